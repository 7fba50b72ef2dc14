"""Schema level: which tables were added or removed, and the per-table comparison of the rest.

The order of the operations is chosen so that both the upgrade and its reverse (the downgrade)
run: new tables in foreign-key order, then changes to existing tables, then removed tables in
reverse foreign-key order. A new table's indexes follow its ``create_table``; a removed table's
indexes are dropped before its ``drop_table``, so the reverse re-creates them (with the sort
order the database reports, as for a changed index). What the re-creation cannot restore (a
dialect plugin's ``ReflectedTable.notes``) is said in a comment above it, with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mig_core.autogenerate.snapshot import add_index_sorting, sorted_index
from mig_core.autogenerate.table_order import creation_order
from mig_core.operations.ops import (
    CreateIndexOp,
    CreateTableOp,
    DropIndexOp,
    DropTableOp,
    ModifyTableOps,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.autogenerate.context import CompareContext
    from mig_core.autogenerate.snapshot import ReflectedTable
    from mig_core.operations.ops import MigrateOperation, UpgradeOps


def schemas_to_compare(ctx: CompareContext) -> list[str | None]:
    """None (the default schema), plus every other schema with ``include_schemas``.

    As in Alembic, ``include_name`` sees every schema, the default one as
    ``include_name(None, "schema", {})``, and may leave any of them out. Under a connection's
    ``schema_translate_map`` the schemas are the model's names: a schema the map sends one to
    is listed as that one, and a schema the map moves away from and nothing to is left out.
    """
    insp = ctx.inspector  # also learns the default schema's name and the translation
    translation = ctx.translation
    assert translation is not None
    candidates: list[str | None] = [None]
    if ctx.opts.get("include_schemas"):
        named = {
            translation.to_model(s) for s in insp.get_schema_names()
            if not translation.is_hidden(s)
        }
        named.update(s for s, _ in ctx.meta_tables() if s is not None)
        named.discard("information_schema")
        named.discard(ctx.default_schema)
        candidates.extend(sorted(n for n in named if n is not None))
    schemas = [s for s in candidates if ctx.run_name_filters(s, "schema", {})]
    translation.warn_collisions(schemas)
    return schemas


def compare_schema_tables(
    ctx: CompareContext, schemas: list[str | None], upgrade_ops: UpgradeOps
) -> None:
    """Append table additions, per-table changes and removals for ``schemas``."""
    created: list[MigrateOperation] = []
    modified: list[MigrateOperation] = []
    removed: list[MigrateOperation] = []
    removed_all: list[ReflectedTable] = []
    meta_tables = ctx.meta_tables()
    new_tables: list[sa.Table] = []
    filtering = ctx.has_object_filters
    compare_table = _table_hook(ctx)
    for schema in schemas:
        snapshot = ctx.snapshot(schema)
        conn_tables = snapshot.tables  # include_name already ran on these names
        model = {
            name: table
            for (table_schema, name), table in meta_tables.items()
            if table_schema == schema
            and not ctx.is_version_table(schema, name)
            and (name in conn_tables or ctx.table_name_included(schema, name))
        }
        # include_object as Alembic calls it: once per table, a kept table with the model's
        # and the reflected one as ``compare_to``; a table it refuses is neither compared,
        # created nor dropped
        for name in sorted(set(conn_tables) & set(model)):
            meta_table = model[name]
            if filtering and not ctx.model_table_included(
                schema, name, meta_table, conn_tables[name]
            ):
                continue
            modify = ModifyTableOps(name, [], schema=meta_table.schema)
            compare_table(
                ctx=ctx, modify_ops=modify, schema=meta_table.schema, name=name,
                conn_table=conn_tables[name], meta_table=meta_table,
            )
            if modify.ops:
                modified.append(modify)
        new_tables.extend(
            table for name, table in model.items()
            if name not in conn_tables
            and (not filtering or ctx.model_table_included(schema, name, table, None))
        )
        removed_tables = [conn_tables[n] for n in conn_tables if n not in model]
        if removed_tables:  # their re-creation needs the primary keys and CHECK constraints
            snapshot.load_deferred([t.name for t in removed_tables])
            if filtering:  # a reflected sqlalchemy.Table, as Alembic offers a removed table
                removed_tables = [
                    t for t in removed_tables
                    if ctx.run_object_filters(t.to_table(), t.name, "table", True, None)
                ]
            removed_all.extend(removed_tables)
            ctx.dropped_tables.update((schema, t.name) for t in removed_tables)
    # removed tables of every schema are ordered together: a foreign key may cross schemas
    for conn_table in _reverse_dependency_order(removed_all, ctx.normalize_schema):
        table = conn_table.to_table()
        if ctx._name_filters:
            _offer_inline_names(ctx, conn_table, table.schema)
        # each index as the database has it, sort order included, so the downgrade re-creates it
        records = [r for r in conn_table.indexes if not r.get("duplicates_constraint")]
        add_index_sorting(ctx, conn_table, records)
        reflected = [sorted_index(ctx, conn_table, r) for r in records]
        index_drops: list[MigrateOperation] = [
            DropIndexOp.from_index(ix)
            for ix in sorted(reflected, key=lambda i: str(i.name))
            if _index_included(ctx, ix, reflected=True)
        ]
        if index_drops:
            removed.append(ModifyTableOps(table.name, index_drops, schema=table.schema))
        drop = DropTableOp.from_table(table)
        for note in conn_table.notes:
            add_downgrade_note(drop, note)
        removed.append(drop)
    for table in creation_order(new_tables):
        created.append(CreateTableOp.from_table(table))
        indexes = [
            CreateIndexOp.from_index(ix)
            for ix in sorted(table.indexes, key=lambda i: str(i.name))
            if _index_included(ctx, ix, reflected=False)
        ]
        if indexes:
            created.append(ModifyTableOps(table.name, indexes, schema=table.schema))
    upgrade_ops.ops.extend(created + modified + removed)


def _table_hook(ctx: CompareContext) -> Callable[..., Any]:
    """``mig_compare_table``, called once per table: without pluggy's per-call dispatch when
    only the core and wrappers implement it (see mig_core.hookcall; same results)."""
    from mig_core.builtin.compare import mig_compare_table
    from mig_core.hookcall import direct_caller

    caller = ctx.hooks.mig_compare_table
    return direct_caller(caller, mig_compare_table) or caller


def add_downgrade_note(drop: DropTableOp, note: str) -> None:
    """Say in the downgrade, above the re-creation of a dropped table, what it cannot restore
    (``note`` names the object), and warn about it while autogenerating."""
    import warnings

    from mig_core.errors import MigWarning

    create = drop.reverse()
    if note in create.notes:
        return
    create.notes.append(note)
    name = f"{drop.schema}.{drop.table_name}" if drop.schema else drop.table_name
    warnings.warn(
        f"autogenerate: the downgrade re-creating dropped table {name} cannot restore "
        f"everything: {note}", MigWarning, stacklevel=2,
    )


def _offer_inline_names(ctx: CompareContext, conn_table: ReflectedTable,
                        schema: str | None) -> None:
    """Offer ``include_name`` a dropped table's unique constraints and the indexes backing
    them, as Alembic does (each once; they go with the table whatever the answer)."""
    parents = ctx.table_parent_names(conn_table.name, schema)
    for record in conn_table.unique_constraints:
        ctx.run_table_name_filters(record.get("name"), "unique_constraint", parents)
    for record in conn_table.indexes:
        if record.get("duplicates_constraint"):
            ctx.run_table_name_filters(record.get("name"), "index", parents)


def _index_included(ctx: CompareContext, index: sa.Index, *, reflected: bool) -> bool:
    table = index.table
    assert table is not None
    parents = {"table_name": table.name, "schema_name": table.schema}
    if not ctx.run_name_filters(index.name, "index", parents):
        return False
    return not ctx.has_object_filters or ctx.run_object_filters(
        index, index.name, "index", reflected, None
    )


TableKey = tuple[str | None, str]


def _reverse_dependency_order(
    tables: list[ReflectedTable], normalize_schema: Callable[[str | None], str | None]
) -> list[ReflectedTable]:
    """Tables ordered so that a table comes before the tables its foreign keys refer to.

    Tables of several schemas are ordered together, keyed by ``(schema, name)`` with None for
    the default schema (``normalize_schema``). A reflected ``referred_schema`` of None means
    the default schema on PostgreSQL (a table visible on the search path) and the referring
    table's own schema elsewhere, so both are tried, the default schema first.
    """
    by_key: dict[TableKey, ReflectedTable] = {
        (normalize_schema(t.schema), t.name): t for t in tables
    }

    def referred_key(own: TableKey, fk: dict[str, Any]) -> TableKey | None:
        name = fk["referred_table"]
        schema = fk.get("referred_schema")
        candidates: list[TableKey] = (
            [(None, name), (own[0], name)] if schema is None
            else [(normalize_schema(schema), name)]
        )
        return next((key for key in candidates if key in by_key), None)

    refers: dict[TableKey, set[TableKey]] = {}
    for key, table in by_key.items():
        found = {referred_key(key, fk) for fk in table.foreign_keys}
        refers[key] = {k for k in found if k is not None and k != key}
    order: list[TableKey] = []
    done: set[TableKey] = set()
    # referred tables first (dependency order), then reversed; cycles are broken by name
    pending = sorted(by_key, key=_sort_key)
    while pending:
        ready = [k for k in pending if refers[k] <= done] or pending[:1]
        for key in ready:
            order.append(key)
            done.add(key)
        pending = [k for k in pending if k not in done]
    return [by_key[k] for k in reversed(order)]


def _sort_key(key: TableKey) -> tuple[bool, str, str]:
    """The default schema (None) first, then the named schemas, each by table name."""
    return (key[0] is not None, key[0] or "", key[1])
