"""Alembic 1.18's plugin system: :class:`Plugin`, the ``alembic.plugins`` entry points, and the
``autogenerate_plugins`` name patterns of ``context.configure()`` (``alembic.runtime.plugins``).

A plugin is a module with a ``setup(plugin)`` function, registered under a dotted name, either
published as an entry point of the group ``alembic.plugins`` (the entry-point name is the plugin
name) or set up by hand with ``Plugin.setup_plugin_from_module(module, "name")``. ``setup`` may
register anything globally (operations, renderers) and adds its autogenerate comparators with
:meth:`Plugin.add_autogenerate_comparator`; those run only in comparisons whose
``autogenerate_plugins`` patterns enable the plugin's name. The registry is process-global, as
Alembic's; the entry points are read at the first comparison (not at import: ``mig --help``
stays as fast as it was).

mig's own comparisons answer to Alembic's built-in names (:data:`BUILTIN_NAMES`:
``alembic.autogenerate.schemas``, ``.tables``, ``.types``, ``.constraints``, ``.defaults``,
``.comments``) and the opt-in ``alembic.ext.checkconstraint_byname`` (see
:mod:`mig_core.autogenerate.families`). ``autogenerate_plugins`` is a list of name patterns,
resolved by :func:`enabled_plugins` once per comparison:

* a pattern is split on ``.``; each part is an identifier or ``*`` (else ValueError);
* ``*`` matches one or more parts, so ``alembic.*`` matches ``alembic.ext.checkconstraint_byname``;
* ``~pattern`` excludes, and an exclusion wins over any inclusion;
* an inclusion matching no plugin is a PluginError, a CommandError ("Did not locate plugins: ...");
* the default is ``["alembic.autogenerate.*"]``: the built-ins, not the ``alembic.ext`` ones.

Importing this module stays cheap (no SQLAlchemy).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from mig_core.errors import PluginError, PluginLoadError
from mig_core.util.dispatch import DispatchPriority

if TYPE_CHECKING:
    from mig_core.autogenerate.comparators import _Comparator

log = logging.getLogger(__name__)

#: the entry-point group Alembic 1.18 reads plugins from (mig reads the same one)
ENTRY_POINT_GROUP = "alembic.plugins"

#: Alembic's built-in autogenerate plugins, mapped onto mig's own comparisons
SCHEMAS = "alembic.autogenerate.schemas"
TABLES = "alembic.autogenerate.tables"
TYPES = "alembic.autogenerate.types"
CONSTRAINTS = "alembic.autogenerate.constraints"
DEFAULTS = "alembic.autogenerate.defaults"
COMMENTS = "alembic.autogenerate.comments"
BUILTIN_NAMES = (SCHEMAS, TABLES, TYPES, CONSTRAINTS, DEFAULTS, COMMENTS)
#: the opt-in comparison of named CHECK constraints (see mig_core.ext.checkconstraint_byname)
CHECKCONSTRAINT_BYNAME = "alembic.ext.checkconstraint_byname"

#: exact names that stand for another plugin: Alembic's name before 1.19.2, and mig's module
ALIASES = {
    "alembic.autogenerate.checkconstraint_byname": CHECKCONSTRAINT_BYNAME,
    "mig_core.ext.checkconstraint_byname": CHECKCONSTRAINT_BYNAME,
}
DEFAULT_PATTERNS: tuple[str, ...] = ("alembic.autogenerate.*",)

_TOKEN = re.compile(r"^(?:[A-Za-z_]\w*|\*)$")


#: the comparison targets a plugin may add comparators for
TARGETS = ("autogenerate", "schema", "table", "column")


class Plugin:
    """One named plugin. Creating it registers it (process-wide); :meth:`remove` forgets it.

    ``autogenerate_comparators`` maps each target to the plugin's comparators in registration
    order (and has Alembic's ``dispatch_for`` decorator); they run through the same dispatch as ``comparators.dispatch_for`` ones (higher
    priority first, then a dialect's own before ``"default"``; ``STOP`` ends its subgroup),
    in comparisons that enable the plugin's name.
    """

    def __init__(self, name: str) -> None:
        if name in _registry:
            raise ValueError(f"A plugin named {name} is already registered")
        self.name = name
        self._comparators: dict[str, list[_Comparator]] = {}
        self._module: Any = None  # the module set up as this plugin, if any
        _registry[name] = self
        log.debug("setup plugin %s", name)

    def __repr__(self) -> str:
        return f"Plugin({self.name!r})"

    @property
    def autogenerate_comparators(self) -> PluginComparators:
        return PluginComparators(self)

    def remove(self) -> None:
        """Unregister this plugin (its comparators no longer run; the name is free again)."""
        if _registry.get(self.name) is self:
            del _registry[self.name]
            if self._comparators:
                _changed()

    def add_autogenerate_comparator(
        self,
        fn: Callable[..., Any],
        compare_target: str,
        compare_element: str | None = None,
        *,
        qualifier: str = "default",
        priority: Any = DispatchPriority.MEDIUM,
    ) -> None:
        """Add ``fn`` for ``compare_target`` (``"autogenerate"``, ``"schema"``, ``"table"``,
        ``"column"``; the call signatures are ``comparators.dispatch_for``'s) in subgroup
        ``compare_element``, for dialect ``qualifier``, ordered by ``priority``."""
        from mig_core.autogenerate.comparators import _Comparator, _priority_value

        if compare_target not in TARGETS:
            raise ValueError(
                f"plugin {self.name}: unknown compare target {compare_target!r}; expected one "
                f"of {', '.join(TARGETS)}"
            )
        entry = _Comparator(fn, qualifier, _priority_value(priority), _changed(),
                            compare_element)
        self._comparators.setdefault(compare_target, []).append(entry)

    @classmethod
    def setup_plugin_from_module(cls, module: Any, name: str) -> Plugin:
        """Register ``module`` as plugin ``name``: ``module.setup(Plugin(name))``."""
        setup = getattr(module, "setup", None)
        if not callable(setup):
            raise PluginLoadError(
                f"plugin {name}: {getattr(module, '__name__', module)!r} has no setup(plugin) "
                "function"
            )
        plugin = cls(name)
        plugin._module = module
        try:
            setup(plugin)
        except BaseException:
            plugin.remove()
            raise
        return plugin


class PluginComparators(Mapping[str, list["_Comparator"]]):
    """A plugin's comparators by target; also ``dispatch_for(target, subgroup=, qualifier=,
    priority=)``, the decorator Alembic's per-plugin dispatcher offers."""

    def __init__(self, plugin: Plugin) -> None:
        self._plugin = plugin

    def __getitem__(self, target: str) -> list[_Comparator]:
        return self._plugin._comparators[target]

    def __iter__(self) -> Iterator[str]:
        return iter(self._plugin._comparators)

    def __len__(self) -> int:
        return len(self._plugin._comparators)

    def dispatch_for(
        self, target: str, *, subgroup: str | None = None, qualifier: str = "default",
        priority: Any = DispatchPriority.MEDIUM,
    ) -> Callable[[_F], _F]:
        def register(fn: _F) -> _F:
            self._plugin.add_autogenerate_comparator(
                fn, target, subgroup, qualifier=qualifier, priority=priority)
            return fn

        return register


_F = TypeVar("_F", bound=Callable[..., Any])
_registry: dict[str, Plugin] = {}
_discovered = False


def _changed() -> int:
    """Note a change of the comparators (runs pick it up); returns a registration number."""
    from mig_core.autogenerate import comparators

    return comparators.note_change()


def registered() -> dict[str, Plugin]:
    """The registered plugins by name (the built-ins included)."""
    return dict(_registry)


def comparators_of(names: Iterable[str], target: str) -> list[_Comparator]:
    """The comparators the plugins ``names`` added for ``target``."""
    found: list[_Comparator] = []
    for name in names:
        plugin = _registry.get(name)
        if plugin is not None:
            found.extend(plugin._comparators.get(target, ()))
    return found


def targets_of(names: Iterable[str]) -> set[str]:
    """The targets the plugins ``names`` have comparators for."""
    return {
        target
        for name in names if name in _registry
        for target, entries in _registry[name]._comparators.items() if entries
    }


def discover(entry_points: Iterable[Any] | None = None) -> None:
    """Set up the plugins of the ``alembic.plugins`` entry points (once per process, unless
    ``entry_points`` is given). Each entry point names a module; its name is the plugin name.
    A module already set up under that name (by hand, earlier) is not set up again."""
    global _discovered
    if entry_points is None:
        if _discovered:
            return
        _discovered = True
        from importlib.metadata import entry_points as all_entry_points

        entry_points = all_entry_points(group=ENTRY_POINT_GROUP)
    for ep in entry_points:
        where = f"{ENTRY_POINT_GROUP} entry point {ep.name} = {ep.value}"
        try:
            module = ep.load()
        except Exception as exc:
            raise PluginLoadError(f"{where} failed to import: {type(exc).__name__}: {exc}") from exc
        existing = _registry.get(ep.name)
        if existing is not None:
            if existing._module is module:
                continue
            raise PluginLoadError(f"{where}: a plugin named {ep.name} is already registered")
        if not isinstance(module, ModuleType):
            raise PluginLoadError(f"{where}: must name a module with a setup(plugin) function")
        Plugin.setup_plugin_from_module(module, ep.name)


def known_names() -> list[str]:
    """Every plugin name a pattern can match (the entry points are read first, once)."""
    discover()
    return list(_registry)


for _name in (*BUILTIN_NAMES, CHECKCONSTRAINT_BYNAME):
    Plugin(_name)  # mig's own comparisons, chosen by these names (mig_core.autogenerate.families)


class PluginExpressionError(PluginError, ValueError):
    """A malformed ``autogenerate_plugins`` pattern: exit 3, and a ValueError as Alembic raises."""


def pattern_regex(expression: str) -> re.Pattern[str]:
    """The anchored regular expression of one name pattern (without its ``~``)."""
    parts = expression.split(".")
    if not all(_TOKEN.match(part) for part in parts):
        raise PluginExpressionError(
            f"Invalid plugin expression {expression!r}: each dot-separated part must be an "
            "identifier or '*'"
        )
    regex = ""
    for position, part in enumerate(parts):
        dot = r"\." if position else ""
        regex += dot + (".+?" if part == "*" else re.escape(part))
    return re.compile(f"^{regex}$")


def enabled_plugins(patterns: Any = None, names: Iterable[str] | None = None) -> frozenset[str]:
    """The plugin names ``patterns`` (``autogenerate_plugins``; None: the default) enables,
    among ``names`` (default: :func:`known_names`)."""
    if patterns is None:
        patterns = DEFAULT_PATTERNS
    elif isinstance(patterns, str):
        patterns = (patterns,)
    candidates = list(known_names() if names is None else names)
    included: set[str] = set()
    excluded: set[str] = set()
    missing: list[str] = []
    for raw in patterns:
        expression = str(raw).strip()
        exclude = expression.startswith("~")
        if exclude:
            expression = expression[1:]
        expression = ALIASES.get(expression, expression)
        regex = pattern_regex(expression)
        found = {name for name in candidates if regex.match(name)}
        if exclude:
            excluded |= found
        elif found:
            included |= found
        else:
            missing.append(expression)
    if missing:
        raise PluginError(f"Did not locate plugins: {', '.join(missing)}")
    return frozenset(included - excluded)
