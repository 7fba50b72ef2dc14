"""Schema level: which tables were added or removed, and the per-table comparison of the rest.

The order of the operations is chosen so that both the upgrade and its reverse (the downgrade)
run: new tables in foreign-key order, then changes to existing tables, then removed tables in
reverse foreign-key order. A new table's indexes follow its ``create_table``; a removed table's
indexes are dropped before its ``drop_table``, so the reverse re-creates them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    """None (the default schema), plus every other schema with ``include_schemas``."""
    insp = ctx.inspector  # also learns the default schema's name
    schemas: list[str | None] = [None]
    if not ctx.opts.get("include_schemas"):
        return schemas
    named = set(insp.get_schema_names())
    named.update(s for s, _ in ctx.meta_tables() if s is not None)
    named.discard("information_schema")
    for name in sorted(named):
        if name == ctx.default_schema:
            continue
        if ctx.run_name_filters(name, "schema", {}):
            schemas.append(name)
    return schemas


def compare_schema_tables(
    ctx: CompareContext, schemas: list[str | None], upgrade_ops: UpgradeOps
) -> None:
    """Append table additions, per-table changes and removals for ``schemas``."""
    created: list[MigrateOperation] = []
    modified: list[MigrateOperation] = []
    removed: list[MigrateOperation] = []
    meta_tables = ctx.meta_tables()
    wanted = set(schemas)
    for schema in schemas:
        snapshot = ctx.snapshot(schema)
        conn_tables = snapshot.tables
        model = {
            name: table
            for (table_schema, name), table in meta_tables.items()
            if table_schema == schema
            and not ctx.is_version_table(schema, name)
            and ctx.run_name_filters(name, "table", {"schema_name": schema})
        }
        filtering = ctx.has_object_filters
        if filtering:
            model = {
                name: table
                for name, table in model.items()
                if ctx.run_object_filters(table, name, "table", False, conn_tables.get(name))
            }
            conn_tables = {
                name: table
                for name, table in conn_tables.items()
                if ctx.run_object_filters(table, name, "table", True, model.get(name))
            }
        for name in sorted(set(conn_tables) & set(model)):
            meta_table = model[name]
            modify = ModifyTableOps(name, [], schema=meta_table.schema)
            ctx.hooks.mig_compare_table(
                ctx=ctx, modify_ops=modify, schema=meta_table.schema, name=name,
                conn_table=conn_tables[name], meta_table=meta_table,
            )
            if modify.ops:
                modified.append(modify)
        removed_tables = [conn_tables[n] for n in conn_tables if n not in model]
        if removed_tables:  # their re-creation needs the primary keys and CHECK constraints
            snapshot.load_deferred([t.name for t in removed_tables])
        for conn_table in _reverse_dependency_order(removed_tables):
            table = conn_table.to_table()
            index_drops: list[MigrateOperation] = [
                DropIndexOp.from_index(ix)
                for ix in sorted(table.indexes, key=lambda i: str(i.name))
                if _index_included(ctx, ix, reflected=True)
            ]
            if index_drops:
                removed.append(ModifyTableOps(table.name, index_drops, schema=table.schema))
            removed.append(DropTableOp.from_table(table))
    new_tables = [
        table
        for (schema, name), table in meta_tables.items()
        if schema in wanted and name not in ctx.snapshot(schema).tables
        and not ctx.is_version_table(schema, name)
        and ctx.run_name_filters(name, "table", {"schema_name": schema})
        and (not ctx.has_object_filters
             or ctx.run_object_filters(table, name, "table", False, None))
    ]
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


def _index_included(ctx: CompareContext, index: sa.Index, *, reflected: bool) -> bool:
    table = index.table
    assert table is not None
    parents = {"table_name": table.name, "schema_name": table.schema}
    if not ctx.run_name_filters(index.name, "index", parents):
        return False
    return not ctx.has_object_filters or ctx.run_object_filters(
        index, index.name, "index", reflected, None
    )


def _reverse_dependency_order(tables: list[ReflectedTable]) -> list[ReflectedTable]:
    """Tables ordered so that a table comes before the tables its foreign keys refer to."""
    by_name = {t.name: t for t in tables}
    refers: dict[str, set[str]] = {
        t.name: {
            fk["referred_table"]
            for fk in t.foreign_keys
            if fk["referred_table"] in by_name and fk["referred_table"] != t.name
        }
        for t in tables
    }
    order: list[str] = []
    done: set[str] = set()
    # referred tables first (dependency order), then reversed; cycles are broken by name
    pending = sorted(by_name)
    while pending:
        ready = [n for n in pending if refers[n] <= done] or pending[:1]
        for name in ready:
            order.append(name)
            done.add(name)
        pending = [n for n in pending if n not in done]
    return [by_name[n] for n in reversed(order)]

