"""Alembic's ``autogenerate.comparators.dispatch_for``, on top of mig's comparator hooks.

Code written for Alembic's "autogenerate extension" recipe (alembic-utils and the like) adds
comparators with a decorator::

    from mig_core.autogenerate import comparators

    @comparators.dispatch_for("schema")
    def compare_sequences(autogen_context, upgrade_ops, schemas): ...

    @comparators.dispatch_for("table")
    def compare_grants(autogen_context, modify_table_ops, schema, tname, conn_table, metadata_table): ...

    @comparators.dispatch_for("column")
    def compare_x(autogen_context, alter_column_op, schema, tname, cname, conn_col, metadata_col): ...

The registrations form one plugin, installed into a run's plugin manager when a comparison or a
rendering starts (:func:`install`), whose ``mig_compare_schema`` / ``mig_compare_table`` /
``mig_compare_column`` wrappers call them after the core and the other plugins have compared,
as Alembic calls them after its own. ``autogen_context`` is mig's
:class:`~mig_core.autogenerate.context.CompareContext` (``connection``, ``dialect``,
``metadata``, ``opts``, ``migration_context``, ``run_name_filters`` ...); ``conn_table`` and
``conn_col`` are real SQLAlchemy objects built from the reflection. Table comparators also
see added tables (``conn_table=None``) and removed ones (``metadata_table=None``), as in
Alembic; column comparators see the columns both sides have. ``qualifier`` is a dialect name
(``"default"``: every dialect); ``priority`` (a number or a ``DispatchPriority`` member from
:mod:`mig_core.util`: higher runs first, then a dialect's own before ``"default"``) orders the
functions of one target; one returning ``PriorityDispatchResult.STOP`` skips the later
functions of its ``subgroup``.

Registrations are process-wide, like Alembic's: every later run in the process uses them,
whichever project it is for. :func:`mig_core.testing.reset_registrations` forgets them (with the
other Alembic-style registrations), as tests running several projects need.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from mig_core import hookimpl
from mig_core.errors import CommandError

_C = TypeVar("_C", bound=Callable[..., Any])

#: the targets mig calls; "autogenerate" (Alembic 1.18's top level) runs with "schema"'s
#: functions, ``fn(autogen_context, upgrade_ops)``. Functions for any other target are kept and
#: never called, as Alembic keeps them (sqlalchemy-declarative-extensions registers a
#: "database" comparator).
TARGETS = ("autogenerate", "schema", "table", "column")
#: Alembic's medium priority, the default
DEFAULT_PRIORITY = 25


@dataclass
class _Comparator:
    fn: Callable[..., Any]
    qualifier: str
    priority: int
    order: int
    subgroup: str | None = None


_COMPARATORS: dict[str, list[_Comparator]] = {target: [] for target in TARGETS}
_UNCALLED: dict[str, list[_Comparator]] = {}
#: bumped on every change, so plugin managers know when to pick the registrations up again
_generation = 0


def _priority_value(priority: Any) -> int:
    value = getattr(priority, "value", priority)
    if not isinstance(value, int):
        raise CommandError(f"comparators.dispatch_for: priority must be a number, got {priority!r}")
    return value


def dispatch_for(
    target: str, *, priority: Any = DEFAULT_PRIORITY, qualifier: str = "default",
    subgroup: str | None = None,
) -> Callable[[_C], _C]:
    """Register ``fn`` as a comparator for ``target`` (``"autogenerate"``, ``"schema"``,
    ``"table"``, ``"column"``; another name is kept and never called, as in Alembic).

    Registering the same function again (a re-import: same module and name) replaces it.
    """
    rank = _priority_value(priority)

    def decorate(fn: _C) -> _C:
        global _generation
        entries = _COMPARATORS[target] if target in TARGETS else _UNCALLED.setdefault(target, [])
        key = _origin(fn)
        entries[:] = [e for e in entries if _origin(e.fn) != key]
        entries.append(_Comparator(fn, qualifier, rank, _generation, subgroup))
        _generation += 1
        return fn

    return decorate


def note_change() -> int:
    """Note that the comparators changed (a plugin added one): runs pick the change up.
    Returns a new registration number, which orders comparators of equal priority."""
    global _generation
    _generation += 1
    return _generation


def _origin(fn: Any) -> tuple[str, str]:
    return (getattr(fn, "__module__", "?"), getattr(fn, "__qualname__", repr(fn)))


def forget(module: str | None = None) -> None:
    """Drop the registrations (of ``module``, or all): for tests of code using the decorator."""
    global _generation
    for entries in [*_COMPARATORS.values(), *_UNCALLED.values()]:
        entries[:] = [e for e in entries if module is not None and e.fn.__module__ != module]
    _generation += 1


def _for(target: str, dialect_name: str | None,
         plugin_names: frozenset[str] = frozenset()) -> list[_Comparator]:
    """The functions for ``target`` on this dialect, in order: higher priority first, then a
    dialect's own before ``"default"``, then registration order. Those of ``dispatch_for``
    always; those of the Alembic 1.18 plugins ``plugin_names`` (mig_core.runtime.plugins)."""
    entries = list(_COMPARATORS[target])
    if plugin_names:
        from mig_core.runtime.plugins import comparators_of

        entries.extend(comparators_of(plugin_names, target))
    entries = [e for e in entries if e.qualifier in ("default", dialect_name)]
    entries.sort(key=lambda e: (-e.priority, e.qualifier == "default", e.order))
    return entries


def _for_run(ctx: Any, target: str) -> list[_Comparator]:
    """:func:`_for` for one comparison (the plugins its ``autogenerate_plugins`` enables),
    worked out once per comparison and target."""
    cache = getattr(ctx, "cache", None)
    key = ("dispatch_comparators", target)
    if cache is not None and key in cache:
        return cache[key]  # type: ignore[no-any-return]
    entries = _for(target, ctx.dialect_name,
                   getattr(ctx, "autogenerate_plugins", None) or frozenset())
    if cache is not None:
        cache[key] = entries
    return entries


def _run(entries: list[_Comparator], *args: Any) -> None:
    """Call each function; one returning ``PriorityDispatchResult.STOP`` skips the later ones
    of its subgroup."""
    from mig_core.util.dispatch import PriorityDispatchResult

    stopped: set[str | None] = set()
    for entry in entries:
        if entry.subgroup in stopped:
            continue
        if entry.fn(*args) is PriorityDispatchResult.STOP:
            stopped.add(entry.subgroup)


# --- the plugin ----------------------------------------------------------------------------


@hookimpl(wrapper=True)
def _compare_schema(ctx: Any, schemas: Sequence[str | None], upgrade_ops: Any) -> Generator[
        None, Any, Any]:
    result = yield
    _compare_added_and_removed_tables(ctx, upgrade_ops)
    _run(_for_run(ctx, "schema"), ctx, upgrade_ops, set(schemas))
    _run(_for_run(ctx, "autogenerate"), ctx, upgrade_ops)
    return result


def _compare_added_and_removed_tables(ctx: Any, upgrade_ops: Any) -> None:
    """Table comparators also see the tables only one side has, as in Alembic: an added table
    with ``conn_table=None``, a removed one with ``metadata_table=None``. What they add goes
    into a ``ModifyTableOps`` right after the table's create (or before its drop)."""
    from mig_core.operations.ops import CreateTableOp, DropTableOp, ModifyTableOps

    fns = _for_run(ctx, "table")
    if not fns:
        return
    meta_tables = ctx.meta_tables()
    out: list[Any] = []
    for op in upgrade_ops.ops:
        if isinstance(op, CreateTableOp):
            meta = meta_tables.get((ctx.normalize_schema(op.schema), op.table_name))
            modify = ModifyTableOps(op.table_name, [], schema=op.schema)
            _run(fns, ctx, modify, op.schema, op.table_name, None, meta)
            out.append(op)
            if modify.ops:
                out.append(modify)
        elif isinstance(op, DropTableOp):
            modify = ModifyTableOps(op.table_name, [], schema=op.schema)
            _run(fns, ctx, modify, op.schema, op.table_name, op.to_table(), None)
            if modify.ops:
                out.append(modify)
            out.append(op)
        else:
            out.append(op)
    upgrade_ops.ops[:] = out


@hookimpl(wrapper=True)
def _compare_table(
    ctx: Any, modify_ops: Any, schema: str | None, name: str, conn_table: Any, meta_table: Any
) -> Generator[None, Any, Any]:
    result = yield
    fns = _for_run(ctx, "table")
    if fns:
        reflected = conn_table.to_table() if hasattr(conn_table, "to_table") else conn_table
        _run(fns, ctx, modify_ops, schema, name, reflected, meta_table)
    return result


@hookimpl(wrapper=True)
def _compare_column(
    ctx: Any, alter_op: Any, schema: str | None, table_name: str, conn_col: Any, meta_col: Any
) -> Generator[None, Any, Any]:
    result = yield
    fns = _for_run(ctx, "column")
    if fns:
        reflected = conn_col.to_column() if hasattr(conn_col, "to_column") else conn_col
        _run(fns, ctx, alter_op, schema, table_name, meta_col.name, reflected, meta_col)
    return result


class _DispatchPlugin:
    """The registrations of :func:`dispatch_for`, as a mig plugin (only the hooks in use)."""

    __name__ = "mig_core.autogenerate.comparators"

    def __init__(self, targets: set[str]) -> None:
        if targets & {"autogenerate", "schema", "table"}:  # table comparators also see
            # added and removed tables
            self.mig_compare_schema = _compare_schema
        if "table" in targets:
            self.mig_compare_table = _compare_table
        if "column" in targets:
            self.mig_compare_column = _compare_column


PLUGIN_NAME = "mig_core.autogenerate.comparators (dispatch_for)"


def install(plugin_manager: Any, enabled: frozenset[str] | None = None) -> bool:
    """Bring ``plugin_manager`` up to date with the ``dispatch_for`` registrations and the
    comparators of the Alembic 1.18 plugins ``enabled`` (None: those of the last call).

    Only the hooks some comparator needs are implemented, so the core's quick paths stay
    when nobody compares columns. Cheap when nothing changed since the last call for this
    manager; returns whether its plugins changed.
    """
    from mig_core.plugins import sync_generated_plugin

    if enabled is None:
        seen = getattr(plugin_manager, "_mig_dispatch_comparators", None)
        enabled = seen[0][1] if seen is not None else frozenset()
    plugin_names = enabled

    def make() -> _DispatchPlugin | None:
        targets = {t for t, entries in _COMPARATORS.items() if entries}
        if plugin_names:
            from mig_core.runtime.plugins import targets_of

            targets |= targets_of(plugin_names)
        return _DispatchPlugin(targets) if targets else None

    return sync_generated_plugin(
        plugin_manager, "_mig_dispatch_comparators", (_generation, enabled), make, PLUGIN_NAME
    )
