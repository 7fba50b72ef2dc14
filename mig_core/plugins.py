"""The plugin manager: built-ins, entry points, run-time choice, registries and listing.

A fresh :class:`MigPluginManager` is made per CLI run or API entry (:func:`build_plugin_manager`);
nothing here is module-global. Importing this module must stay cheap: no SQLAlchemy.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from types import FunctionType, MethodType, ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from mig_core import hookspecs
from mig_core.errors import (
    ConfigError,
    MigWarning,
    NoDialectImplError,
    PluginError,
    PluginLoadError,
    UsageError,
)

if TYPE_CHECKING:
    from mig_core.config import Config

ENTRY_POINT_GROUP = "mig"

#: built-in plugins, registered first under these names; essential ones cannot be blocked
BUILTIN_PLUGINS: tuple[str, ...] = (
    "mig_core.builtin.ddl",
    "mig_core.builtin.operations",
    "mig_core.builtin.compare",
    "mig_core.builtin.render",
)
ESSENTIAL_PLUGINS = frozenset({"mig_core.builtin.ddl", "mig_core.builtin.operations"})

#: first-party dialect plugins, for the install hint when a dialect has no implementation
KNOWN_DIALECT_DISTRIBUTIONS = {
    "postgresql": "mig-postgres",
    "sqlite": "mig-sqlite-batch",
    "mssql": "mig-mssql",
    "oracle": "mig-oracle",
    "mysql": "mig-mysql",
    "mariadb": "mig-mysql",
}


def load_object(ref: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute."""
    module_name, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


# --- registries ------------------------------------------------------------------------------


class DialectEntry:
    """One dialect's implementation as a plugin registered it."""

    __slots__ = ("dialect", "impl", "transactional_ddl", "plugin")

    def __init__(self, dialect: str, impl: Any, transactional_ddl: bool, plugin: str) -> None:
        self.dialect = dialect
        self.impl = impl  # a class, or a "module:Class" string until loaded
        self.transactional_ddl = transactional_ddl
        self.plugin = plugin

    def load(self) -> type:
        """The implementation class, imported on first use."""
        if isinstance(self.impl, str):
            self.impl = load_object(self.impl)
        return self.impl  # type: ignore[no-any-return]


class DialectRegistry:
    """Dialect name -> implementation, filled through ``mig_register_dialects``."""

    def __init__(self) -> None:
        self.entries: dict[str, DialectEntry] = {}
        self._plugin: str = "?"

    def add(self, dialect: str, impl: Any, *, transactional_ddl: bool = False) -> None:
        """Register ``impl`` (a class or ``"module:Class"``) for SQLAlchemy dialect ``dialect``."""
        if dialect in self.entries:
            other = self.entries[dialect].plugin
            raise PluginError(
                f"dialect {dialect!r} is registered by two plugins: {other!r} and "
                f"{self._plugin!r}; block one with -p no:{self._plugin}"
            )
        self.entries[dialect] = DialectEntry(dialect, impl, transactional_ddl, self._plugin)

    def dialects_of(self, plugin: str) -> list[str]:
        return sorted(d for d, e in self.entries.items() if e.plugin == plugin)


class OperationEntry:
    """One ``op.<name>`` directive as a plugin registered it (``alembic_style``: through
    ``Operations.register_operation`` at run time)."""

    __slots__ = ("name", "target", "batch", "plugin", "alembic_style")

    def __init__(self, name: str, target: Any, batch: bool, plugin: str,
                 alembic_style: bool = False) -> None:
        self.name = name
        self.target = target  # a callable, or a "module:attr" string until loaded
        self.batch = batch
        self.plugin = plugin
        self.alembic_style = alembic_style

    def load(self) -> Callable[..., Any]:
        if isinstance(self.target, str):
            self.target = load_object(self.target)
        return self.target  # type: ignore[no-any-return]


class OperationRegistry:
    """``op.<name>`` directives, filled through ``mig_register_operations``."""

    def __init__(self) -> None:
        self.entries: dict[str, OperationEntry] = {}
        self._plugin: str = "?"

    def add(self, name: str, target: Any, *, batch: bool = False,
            alembic_style: bool = False) -> None:
        """Expose ``op.<name>`` (and ``batch_op.<name>`` when ``batch``) calling ``target``.

        Two plugins giving one name is an error. A name the project or a library registered
        with ``Operations.register_operation`` (``alembic_style``, collected first) keeps it
        over a plugin's, with a warning: in Alembic the last registration wins, and such code
        expects its own (alembic-postgresql-enum's ``add_enum_value`` over mig-postgres's).
        """
        existing = self.entries.get(name)
        if existing is not None and existing.alembic_style and not alembic_style:
            warnings.warn(
                f"op.{name} is registered with Operations.register_operation by "
                f"{existing.plugin} and provided by plugin {self._plugin!r} too; the "
                f"register_operation one is used",
                MigWarning,
                stacklevel=2,
            )
            return
        if existing is not None:
            raise PluginError(
                f"operation {name!r} is registered by two plugins: {existing.plugin!r} and "
                f"{self._plugin!r}; block one with -p no:{self._plugin}"
            )
        self.entries[name] = OperationEntry(name, target, batch, self._plugin, alembic_style)

    def operations_of(self, plugin: str) -> list[str]:
        return sorted(n for n, e in self.entries.items() if e.plugin == plugin)


class CommandEntry:
    """One plugin sub-command."""

    __slots__ = ("name", "handler", "help", "setup", "plugin")

    def __init__(self, name: str, handler: Callable[..., Any], help: str,
                 setup: Callable[[Any], None] | None, plugin: str) -> None:
        self.name = name
        self.handler = handler
        self.help = help
        self.setup = setup
        self.plugin = plugin


class CommandRegistry:
    """Plugin sub-commands of the ``mig`` CLI, filled through ``mig_register_commands``."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.entries: dict[str, CommandEntry] = {}
        self.reserved = set(reserved)
        self._plugin = "?"

    def add(
        self,
        name: str,
        handler: Callable[..., Any],
        *,
        help: str,
        setup: Callable[[Any], None] | None = None,
    ) -> None:
        if name in self.reserved:
            raise PluginError(f"plugin {self._plugin!r} registers command {name!r}, a core command")
        if name in self.entries:
            raise PluginError(
                f"command {name!r} is registered by two plugins: "
                f"{self.entries[name].plugin!r} and {self._plugin!r}"
            )
        self.entries[name] = CommandEntry(name, handler, help, setup, self._plugin)


# --- plugin records --------------------------------------------------------------------------


class PluginRecord:
    """What ``mig plugins`` shows for one plugin."""

    def __init__(
        self,
        name: str,
        distribution_name: str | None = None,
        distribution_version: str | None = None,
        module: str | None = None,
        status: str = "loaded",  # loaded | blocked | failed
        error: str | None = None,
        builtin: bool = False,
        entry_point: Any = None,
    ) -> None:
        self.name = name
        self.distribution_name = distribution_name
        self.distribution_version = distribution_version
        self.module = module
        self.status = status
        self.error = error
        self.builtin = builtin
        self.entry_point = entry_point  # read for distribution metadata on first use
        self.hooks: list[str] = []
        self.dialects: list[str] = []
        self.operations: list[str] = []

    def _resolve(self) -> None:
        if self.entry_point is not None:
            self.distribution_name, self.distribution_version = _dist_of(self.entry_point)
            self.entry_point = None

    @property
    def distribution(self) -> str | None:
        """The distribution the plugin came from (read from metadata on first use)."""
        self._resolve()
        return self.distribution_name

    @property
    def version(self) -> str | None:
        self._resolve()
        return self.distribution_version

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "status": self.status,
            "error": self.error,
            "builtin": self.builtin,
            "hooks": self.hooks,
            "dialects": self.dialects,
            "operations": self.operations,
        }


class PluginChoice:
    """Parsed ``-p`` / ``MIG_PLUGINS`` / config ``plugins`` values."""

    def __init__(self) -> None:
        self.wanted: list[str] = []
        self.blocked: set[str] = set()

    def add(self, spec: str) -> None:
        spec = spec.strip()
        if not spec:
            return
        if spec.startswith("no:"):
            name = spec[3:].strip()
            if not name:
                raise UsageError(f"plugin choice {spec!r} blocks no plugin: write no:NAME")
            self.blocked.add(name)
        elif spec not in self.wanted:
            self.wanted.append(spec)


def _split_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.replace("\n", ",").split(",") if p.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


#: names ``ModuleType`` (or ``object``) itself has: a static lookup on a module may find those
#: rather than the module's own attribute, so pluggy decides for them
_MODULE_TYPE_NAMES = frozenset(dir(ModuleType))
#: what pluggy can take as a hook implementation (functions, static / class / bound methods)
_HOOKABLE = (FunctionType, staticmethod, classmethod, MethodType)


class MigPluginManager(pluggy.PluginManager):
    """pluggy's manager plus mig's records, registries and dialect binding."""

    def __init__(self) -> None:
        super().__init__("mig")
        self.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self._dialects: DialectRegistry | None = None
        self._operations: OperationRegistry | None = None
        self.listing_errors: list[PluginError] = []
        #: entry points left unloaded because autoload is off (named in dialect errors)
        self.not_autoloaded: list[Any] = []
        self._dialect_hooks: dict[str, DialectHooks] = {}

    # registration ------------------------------------------------------------------------
    def register_plugin(
        self,
        plugin: Any,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
        builtin: bool = False,
    ) -> None:
        """Register ``plugin`` (usually a module) under ``name`` and record where it came from."""
        self.register(plugin, name=name)
        self.records[name] = PluginRecord(
            name=name,
            distribution_name=distribution,
            distribution_version=version,
            module=getattr(plugin, "__name__", None),
            builtin=builtin,
        )
        self._dialects = self._operations = None
        self._dialect_hooks.clear()

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        """pluggy's, answered at once for what cannot be a hook implementation of a plain
        module plugin (every plugin mig loads is one): pluggy looks each of the module's
        names up with ``inspect.getattr_static`` (~250 names over the plugins of a run,
        about a third of building the manager), and for a module that lookup is the
        module's own dict unless ``ModuleType`` itself has the name; only functions,
        static / class methods and bound methods can be hooks."""
        if type(plugin) is ModuleType and name not in _MODULE_TYPE_NAMES:
            if not isinstance(plugin.__dict__.get(name), _HOOKABLE):
                return None
        return super().parse_hookimpl_opts(plugin, name)

    def unregister(self, plugin: Any = None, name: str | None = None) -> Any:
        result = super().unregister(plugin, name)
        self._dialects = self._operations = None
        self._dialect_hooks.clear()
        return result

    # registries --------------------------------------------------------------------------
    def _collect(self, hook_name: str, registry: Any) -> Any:
        hook = getattr(self.hook, hook_name)
        for hookimpl in hook.get_hookimpls():  # registration order
            registry._plugin = hookimpl.plugin_name
            try:
                hookimpl.function(registry=registry)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(
                    f"plugin {hookimpl.plugin_name!r} failed in {hook_name}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        registry._plugin = "?"
        return registry

    @property
    def dialects(self) -> DialectRegistry:
        if self._dialects is None:
            self._dialects = self._collect("mig_register_dialects", DialectRegistry())
        return self._dialects

    @property
    def operations(self) -> OperationRegistry:
        if self._operations is None:
            self._operations = self._collect("mig_register_operations", OperationRegistry())
        return self._operations

    def dialect_entry(self, dialect: str) -> DialectEntry:
        """The registered implementation for ``dialect``, or an error with the install hint."""
        entry = self.dialects.entries.get(dialect)
        if entry is not None:
            return entry
        from mig_core.ddl.impl import ALEMBIC_STYLE_IMPLS

        impl = ALEMBIC_STYLE_IMPLS.get(dialect)
        if impl is not None:  # ``class XImpl(DefaultImpl): __dialect__ = "x"`` (Alembic's recipe)
            return DialectEntry(dialect, impl, impl.transactional_ddl,
                                f"{impl.__module__}.{impl.__qualname__} (__dialect__)")
        dist = KNOWN_DIALECT_DISTRIBUTIONS.get(dialect)
        for record in self.records.values():
            if record.status == "failed" and dist and record.distribution == dist:
                raise PluginLoadError(
                    f"plugin {record.name!r} ({dist}) provides dialect {dialect!r} but failed to "
                    f"import: {record.error}"
                )
            if record.status == "blocked" and dist and record.distribution == dist:
                raise NoDialectImplError(
                    f"dialect {dialect!r} is provided by plugin {record.name!r}, which is "
                    f"blocked (-p no:{record.name})"
                )
        for ep in self.not_autoloaded if dist else ():
            if _normalise(_dist_of(ep)[0] or "") == dist:
                raise NoDialectImplError(
                    f"dialect {dialect!r} is provided by plugin {ep.name!r} ({dist}), not "
                    f"loaded: MIG_DISABLE_PLUGIN_AUTOLOAD is set; load it with -p {ep.name}"
                )
        known = ", ".join(
            f"{d} ({self.records[e.plugin].distribution or e.plugin})"
            if e.plugin in self.records
            else d
            for d, e in sorted(self.dialects.entries.items())
        )
        hint = f"; install it with: pip install {dist}" if dist else ""
        raise NoDialectImplError(
            f"no mig implementation for dialect {dialect!r} (registered: {known or 'none'}){hint}"
        )

    def bound_plugins(self) -> dict[str, str]:
        """Plugin name -> dialect for every plugin that registered a dialect."""
        return {e.plugin: d for d, e in self.dialects.entries.items()}

    def hooks_for(self, dialect: str | None) -> DialectHooks:
        """Hook callers for a run on ``dialect``: plugins bound to other dialects are left out."""
        key = dialect or ""
        if key not in self._dialect_hooks:
            self._dialect_hooks[key] = DialectHooks(self, dialect)
        return self._dialect_hooks[key]

    # listing -----------------------------------------------------------------------------
    def plugin_listing(self) -> list[PluginRecord]:
        """Every plugin with its hooks, dialects, operations and status.

        A registry that cannot be built (two plugins giving one name) leaves its column empty
        and its error in :attr:`listing_errors`, for ``mig plugins`` to report after the list.
        """
        self.listing_errors = []
        try:
            dialects: DialectRegistry | None = self.dialects
        except PluginError as exc:
            dialects = None
            self.listing_errors.append(exc)
        try:
            operations: OperationRegistry | None = self.operations
        except PluginError as exc:
            operations = None
            self.listing_errors.append(exc)
        out = []
        for name, record in self.records.items():
            plugin = self.get_plugin(name)
            if plugin is not None:
                record.hooks = sorted(
                    h.name
                    for h in self.get_hookcallers(plugin) or []
                    if not h.name.startswith("_")
                )
                record.dialects = dialects.dialects_of(name) if dialects else []
                record.operations = operations.operations_of(name) if operations else []
            out.append(record)
        return out


class DialectHooks:
    """``pm.hook`` seen from a run on one dialect (pluggy subset callers, cached)."""

    def __init__(self, pm: MigPluginManager, dialect: str | None) -> None:
        self._pm = pm
        self.dialect = dialect
        bound = pm.bound_plugins()
        self._others = [
            pm.get_plugin(p) for p, d in bound.items() if d != dialect and pm.get_plugin(p)
        ]
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._cache:
            if name in hookspecs.DIALECT_BOUND_HOOKS and self._others:
                self._cache[name] = self._pm.subset_hook_caller(name, self._others)
            else:
                self._cache[name] = getattr(self._pm.hook, name)
        return self._cache[name]


# --- building a manager ----------------------------------------------------------------------


def _entry_points() -> list[Any]:
    # the standard library's importlib.metadata (3.10+ selects by group): SQLAlchemy imports
    # it too, so a run pays its import once; the importlib_metadata backport would be extra
    import importlib.metadata

    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return sorted(eps, key=lambda ep: ep.name)


def _dist_of(ep: Any) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-")


def build_plugin_manager(
    config: Config | None = None,
    cli_plugins: Iterable[str] = (),
    *,
    env: Mapping[str, str] | None = None,
    autoload: bool | None = None,
    entry_points: Callable[[], list[Any]] | None = None,
) -> MigPluginManager:
    """Make a fresh manager: built-ins, then entry points, then the plugins asked for by name.

    ``cli_plugins`` are ``-p`` values; ``env`` defaults to ``os.environ`` (``MIG_PLUGINS``,
    ``MIG_DISABLE_PLUGIN_AUTOLOAD``); ``config`` supplies ``plugins`` and ``required_plugins``.
    ``entry_points`` replaces the entry-point scan (tests pass fakes).
    """
    env = os.environ if env is None else env
    choice = PluginChoice()
    config_plugins = config.get_main_option("plugins") if config is not None else None
    for spec in _split_list(config_plugins):
        choice.add(spec)
    for spec in _split_list(env.get("MIG_PLUGINS")):
        choice.add(spec)
    for spec in cli_plugins:
        for part in _split_list(spec):
            choice.add(part)
    if autoload is None:
        autoload = env.get("MIG_DISABLE_PLUGIN_AUTOLOAD", "").strip().lower() not in (
            "1",
            "true",
            "yes",
        )

    for name in choice.blocked & ESSENTIAL_PLUGINS:
        raise UsageError(f"plugin {name!r} is essential to mig and cannot be blocked")

    pm = MigPluginManager()
    for name in BUILTIN_PLUGINS:
        if name in choice.blocked:
            pm.records[name] = PluginRecord(name=name, module=name, status="blocked", builtin=True)
            continue
        pm.register_plugin(importlib.import_module(name), name, builtin=True,
                           distribution="mig-core", version=_core_version())

    eps = (entry_points or _entry_points)()
    by_name = {ep.name: ep for ep in eps}
    wanted = list(choice.wanted)
    required = _split_list(config.get_main_option("required_plugins") if config else None)
    required_names = {_requirement_name(r) for r in required}
    # distribution names are read from package metadata (slow) only when a name needs them
    by_dist: dict[str, list[Any]] = {}
    if any(_normalise(n) not in {_normalise(e) for e in by_name}
           for n in (*choice.blocked, *wanted, *required_names)):
        for ep in eps:
            by_dist.setdefault(_normalise(_dist_of(ep)[0] or ""), []).append(ep)

    def named(ep: Any, names: Iterable[str]) -> bool:
        normal = {_normalise(n) for n in names}
        return _normalise(ep.name) in normal or any(ep in by_dist.get(n, ()) for n in normal)

    to_load = [ep for ep in eps if autoload or named(ep, wanted)]
    pm.not_autoloaded = [ep for ep in eps if ep not in to_load]
    for ep in to_load:
        record = PluginRecord(name=ep.name, module=ep.value, entry_point=ep)
        if named(ep, choice.blocked):
            record.status = "blocked"
            pm.records[ep.name] = record
            continue
        if pm.has_plugin(ep.name):
            continue
        try:
            module = ep.load()
        except Exception as exc:  # a broken plugin must not take the CLI down with it
            record.status, record.error = "failed", f"{type(exc).__name__}: {exc}"
            pm.records[ep.name] = record
            if named(ep, wanted) or named(ep, required_names):
                raise PluginLoadError(
                    f"plugin {ep.name!r} ({record.distribution or ep.value}) failed to import: "
                    f"{record.error}"
                ) from exc
            continue
        try:
            pm.register(module, name=ep.name)
        except ValueError as exc:  # pluggy: already registered under another name
            raise PluginError(f"plugin {ep.name!r} ({record.distribution}) cannot be "
                              f"registered: {exc}") from exc
        pm.records[ep.name] = record

    # names that are not entry points: import them as modules
    for spec in wanted:
        if spec in by_name or by_dist.get(_normalise(spec)):
            continue
        if pm.has_plugin(spec):
            continue
        try:
            module = importlib.import_module(spec)
        except Exception as exc:
            raise PluginLoadError(
                f"plugin {spec!r} (asked for with -p, MIG_PLUGINS or config 'plugins') is neither "
                f"an installed mig plugin nor an importable module: {type(exc).__name__}: {exc}"
            ) from exc
        pm.register_plugin(module, spec)

    _check_required(pm, required, config._where() if config is not None else "configuration")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(
            f"plugin {name!r} is incompatible with mig-core {_core_version()}: {exc}; "
            f"disable it with -p no:{name}"
        ) from exc
    pm.dialects  # noqa: B018 - a duplicate dialect is reported up front, not mid-run
    for record in pm.records.values():
        if record.status == "failed":
            warnings.warn(
                f"plugin {record.name!r} ({record.distribution}) failed to import and was "
                f"skipped: {record.error}",
                _plugin_warning(),
                stacklevel=2,
            )
    return pm


def _plugin_warning() -> type[Warning]:
    from mig_core.errors import MigPluginWarning

    return MigPluginWarning


def _requirement_name(requirement: str) -> str:
    import re

    match = re.match(r"\s*([A-Za-z0-9._-]+)", requirement)
    return _normalise(match.group(1)) if match else requirement


def _check_required(pm: MigPluginManager, required: list[str], where: str) -> None:
    """Enforce config ``required_plugins`` (``mig-postgres>=0.1``)."""
    if not required:
        return
    from packaging.requirements import InvalidRequirement, Requirement

    for text in required:
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            reason = str(exc).splitlines()[0]
            raise ConfigError(
                f"{where}: key 'required_plugins': bad requirement {text!r}: {reason}"
            ) from exc
        wanted = _normalise(req.name)
        found = [
            r
            for r in pm.records.values()
            if r.status == "loaded"
            and (_normalise(r.name) == wanted or _normalise(r.distribution or "") == wanted)
        ]
        if not found:
            raise PluginError(_unmet_requirement(pm, text, wanted))
        version = found[0].version
        if req.specifier and (version is None or not req.specifier.contains(version,
                                                                            prereleases=True)):
            raise PluginError(
                f"required plugin {text!r} is not met: {found[0].distribution} {version} is "
                f"installed (config 'required_plugins')"
            )


def _unmet_requirement(pm: MigPluginManager, text: str, wanted: str) -> str:
    """Why required plugin ``text`` (normalised name ``wanted``) is not loaded, and what to do:
    unblock it, load it with ``-p`` while autoload is off, or install it."""
    def matches(name: str, distribution: str | None) -> bool:
        return wanted in (_normalise(name), _normalise(distribution or ""))

    for record in pm.records.values():
        if record.status == "blocked" and matches(record.name, record.distribution):
            return (f"required plugin {text!r} is installed (plugin {record.name!r}, "
                    f"{record.distribution} {record.version}) but blocked by -p no:{record.name}, "
                    f"MIG_PLUGINS or config 'plugins' (config 'required_plugins')")
    for ep in pm.not_autoloaded:
        distribution, version = _dist_of(ep)
        if matches(ep.name, distribution):
            return (f"required plugin {text!r} is installed (plugin {ep.name!r}, {distribution} "
                    f"{version}) but not loaded: MIG_DISABLE_PLUGIN_AUTOLOAD is set; load it "
                    f"with -p {ep.name} (config 'required_plugins')")
    return (f"required plugin {text!r} is not installed or not loaded "
            f"(config 'required_plugins'); install it with: pip install '{text}'")


def _core_version() -> str:
    from mig_core import __version__

    return __version__


def module_plugin(name: str, **functions: Callable[..., Any]) -> ModuleType:
    """Build a plugin module from hook functions (for tests and embedding)."""
    module = ModuleType(name)
    for fn_name, fn in functions.items():
        setattr(module, fn_name, fn)
    return module


def get_plugin_manager(config: Config | None) -> MigPluginManager:
    """The config's plugin manager, built on first use for API callers."""
    if config is None:
        return build_plugin_manager(None)
    if getattr(config, "plugin_manager", None) is None:
        config.plugin_manager = build_plugin_manager(config)
    return config.plugin_manager  # type: ignore[no-any-return]


def sync_generated_plugin(
    plugin_manager: Any, key: str, generation: object, make_plugin: Callable[[], Any | None],
    name: str,
) -> bool:
    """Keep one plugin built from process-wide registrations (Alembic-style decorators) up to
    date in ``plugin_manager``: when ``generation`` moved since the last call for this manager,
    the old plugin is unregistered and ``make_plugin()`` (None: nothing registered) replaces
    it. ``key`` names the attribute that remembers (generation, plugin) on the manager.
    Returns whether the manager's plugins changed."""
    seen = getattr(plugin_manager, key, None)
    if seen is not None and seen[0] == generation:
        return False
    register = getattr(plugin_manager, "register_plugin", None)
    if register is None:  # not a mig plugin manager (a test double)
        return False
    plugin = make_plugin()
    if seen is None and plugin is None:
        return False
    if seen is not None and seen[1] is not None and plugin_manager.is_registered(seen[1]):
        plugin_manager.unregister(seen[1])
    if plugin is not None:
        register(plugin, name)
    setattr(plugin_manager, key, (generation, plugin))
    return True
