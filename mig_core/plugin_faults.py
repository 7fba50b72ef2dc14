"""Which plugin's code an unexpected error came from, so that its one-line message names it.

A bug in a plugin's comparator, renderer or operation surfaces as a plain Python exception
(``TypeError``, ``KeyError``) in the middle of a mig command; the traceback knows whose code
raised it. The frame that decides is the innermost one that is neither a library's (the standard
library, SQLAlchemy, pluggy, ...): when it is in a loaded plugin's package, that plugin is named;
when it is mig-core's or the user's own code (env.py, a revision, an ``include_object``
callable), nobody is. Database errors are the database's verdict and name no plugin.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from mig_core.plugins import MigPluginManager

#: top-level packages whose frames are passed over: they run on behalf of their caller
_LIBRARIES = frozenset(
    {"sqlalchemy", "pluggy", "mako", "packaging", "tomli", "typing_extensions", "greenlet"}
)


class PluginFault(NamedTuple):
    """The plugin whose code raised, and where: its module and line."""

    plugin: str
    module: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.module} line {self.line}"


def plugin_packages(pm: MigPluginManager | None) -> dict[str, str]:
    """Package -> plugin name for every loaded plugin that is not mig-core's own."""
    if pm is None:
        return {}
    packages: dict[str, str] = {}
    for record in pm.records.values():
        if record.builtin or record.status != "loaded" or not record.module:
            continue
        module = sys.modules.get(record.module)
        package = record.module
        if not hasattr(module, "__path__") and "." in package:
            package = package.rpartition(".")[0]  # mig_grants.plugin -> mig_grants
        if package != "mig_core" and not package.startswith("mig_core."):
            packages[package] = record.name
    return packages


def _owner(module: str, packages: dict[str, str]) -> str | None:
    """The plugin owning ``module``, "" for code of mig-core or the user, None for a library."""
    for package, plugin in packages.items():
        if module == package or module.startswith(package + "."):
            return plugin
    top = module.partition(".")[0]
    if top in _LIBRARIES or top in sys.stdlib_module_names:
        return None
    return ""


def plugin_at_fault(exc: BaseException, pm: MigPluginManager | None) -> PluginFault | None:
    """The plugin whose code raised ``exc`` (see the module docstring), or None."""
    from mig_core.errors import MigError
    from mig_core.runtime.runner import _is_database_error

    if isinstance(exc, MigError) or _is_database_error(exc):
        return None
    packages = plugin_packages(pm)
    if not packages:
        return None
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    for tb in reversed(frames):  # innermost first
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        owner = _owner(module, packages)
        if owner:
            return PluginFault(owner, module, tb.tb_lineno)
        if owner == "":
            return None
    return None


@contextmanager
def naming_plugin(pm: MigPluginManager | None, doing: str) -> Iterator[None]:
    """Turn an error raised by a plugin's code into a :class:`PluginError` naming the plugin:
    ``plugin 'grants' failed in autogenerate's comparison (mig_grants.autogen line 12):
    TypeError: ...``. Other errors pass unchanged."""
    try:
        yield
    except Exception as exc:
        fault = plugin_at_fault(exc, pm)
        if fault is None:
            raise
        from mig_core.errors import PluginError
        from mig_core.runtime.runner import describe_error

        raise PluginError(
            f"plugin {fault.plugin!r} failed in {doing} ({fault.where}): {describe_error(exc)}"
        ) from exc


def plugin_note(exc: BaseException, ctx: Any) -> str:
    """`` (in plugin 'grants', mig_grants.ops line 30)`` for a revision's failure message when
    the error came from a plugin's code, else ""."""
    fault = plugin_at_fault(exc, getattr(ctx, "plugin_manager", None))
    return f" (in plugin {fault.plugin!r}, {fault.where})" if fault else ""
