"""PostgreSQL comparison of indexes and exclusion constraints, settled by the server.

The core compares index expressions and ``WHERE`` clauses as normalized text; when it flags an
index, the model's index is built on a temporary copy of the table (in a savepoint) and the
server's own definitions are compared. Exclusion constraints, which SQLAlchemy does not
reflect, are read from the catalog (:mod:`mig_postgres.catalog`) and compared the same way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mig_core.autogenerate.snapshot import final_name
from mig_core.operations.ops import DropTableOp, ModifyTableOps
from mig_postgres.catalog import catalog
from mig_postgres.ops import CreateExcludeConstraintOp, drop_exclude_constraint_op

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.autogenerate.context import CompareContext
    from mig_core.autogenerate.snapshot import ReflectedTable
    from mig_core.operations.opbase import MigrateOperation


# --- indexes the core's text comparison cannot settle ------------------------------------------

def drop_same_index_pairs(
    ctx: CompareContext, modify_ops: ModifyTableOps, schema: str | None, table: str
) -> None:
    """Remove a drop + create of the same index when the server says the two are one.

    The core compares expressions and ``WHERE`` clauses as normalized text; the server writes
    them its own way (``<>`` for ``!=``, casts to schema-qualified types ...). Such a pair is
    settled by building the model's index on a temporary copy of the table and comparing
    ``pg_get_indexdef`` of both.
    """
    from mig_core.operations.ops import CreateIndexOp, DropIndexOp

    drops = {str(op.index_name): op for op in modify_ops.ops if isinstance(op, DropIndexOp)}
    adds = {str(op.index_name): op for op in modify_ops.ops if isinstance(op, CreateIndexOp)}
    for name in sorted(set(drops) & set(adds)):
        if _same_index_on_server(ctx, schema, table, name, adds[name].to_index()):
            modify_ops.ops.remove(drops[name])
            modify_ops.ops.remove(adds[name])


#: unique, pg_get_indexdef and the heads it may start with, of the index {where} chooses
_INDEX_PARTS = (
    "SELECT i.indisunique, pg_get_indexdef(i.indexrelid), {head}, {temp_head} FROM pg_index i "
    "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {where}"
)


def _index_parts(conn: Any, where: str) -> tuple[bool, str | None]:
    """(unique, body after the table) of the index ``where`` chooses (see indexdef.py; a
    temporary table's schema may be written ``pg_temp``)."""
    from mig_postgres.indexdef import index_body, index_head_sql

    row = conn.exec_driver_sql(_INDEX_PARTS.format(
        head=index_head_sql(), temp_head=index_head_sql(temp_as_pg_temp=True), where=where,
    )).first()
    return (bool(row[0]), index_body(row[1], row[2], row[3])) if row is not None else (False, None)


def _same_index_on_server(ctx: CompareContext, schema: str | None, table: str, name: str,
                          index: Any) -> bool:
    from sqlalchemy.schema import CreateIndex

    cat = catalog(ctx)
    preparer = ctx.dialect.identifier_preparer
    real = preparer.quote_schema(cat.database_name(schema or cat.default_schema))
    qualified = f"{real}.{preparer.quote(table)}"
    index_name = f"{real}.{preparer.quote(name)}"
    try:
        sql = str(CreateIndex(index).compile(dialect=ctx.dialect))
    except Exception:
        return False
    target = f" ON {preparer.format_table(index.table)} "
    if target not in sql:
        return False
    probe = "mig_index_probe"
    sql = sql.replace(target, f" ON {probe} ", 1)
    literal = index_name.replace("'", "''")
    conn: Any = ctx.connection
    try:
        with conn.begin_nested() as savepoint:
            existing = _index_parts(conn, f"i.indexrelid = '{literal}'::regclass")
            conn.exec_driver_sql(f"CREATE TEMP TABLE {probe} (LIKE {qualified})")
            conn.exec_driver_sql(sql.replace("%", "%%"))
            probed = _index_parts(conn, f"i.indrelid = '{probe}'::regclass")
            savepoint.rollback()
    except Exception:
        return False
    return existing[1] is not None and existing == probed


# --- exclusion constraints -----------------------------------------------------------------


def _normalize(text: str) -> str:
    from mig_core.autogenerate.compare_constraints import normalize_expression

    return normalize_expression(text)


def _sql(ctx: CompareContext, element: Any) -> str:
    if isinstance(element, str):
        return element
    text = getattr(element, "text", None)
    if isinstance(text, str):
        return text
    return str(element.compile(dialect=ctx.dialect,
                               compile_kwargs={"literal_binds": True, "include_table": False}))


def model_exclusion_signature(ctx: CompareContext, constraint: Any) -> tuple[Any, ...]:
    table = constraint.table
    exprs = []
    operators = []
    for expr, _name, operator in constraint._render_exprs:
        if getattr(expr, "table", None) is table and getattr(expr, "name", None):
            exprs.append(_normalize(str(expr.name)))
        else:
            exprs.append(_normalize(_sql(ctx, expr)))
        operators.append(str(operator))
    where = _normalize(_sql(ctx, constraint.where)) if constraint.where is not None else None
    return (
        tuple(exprs), tuple(operators), str(constraint.using or "gist").lower(), where,
        bool(constraint.deferrable), str(constraint.initially or "").upper() == "DEFERRED",
    )


def db_exclusion_signature(found: Any) -> tuple[Any, ...]:
    return (
        tuple(_normalize(e) for e in found.expressions), tuple(found.operators),
        found.using.lower(), _normalize(found.where) if found.where else None,
        found.deferrable, found.initially_deferred,
    )


def exclusion_create_op(schema: str | None, table: str, found: Any,
                        columns: set[str]) -> CreateExcludeConstraintOp:
    """The operation creating an exclusion constraint read from the server."""
    import sqlalchemy as sa

    elements: list[tuple[Any, str]] = []
    for expr, operator in zip(found.expressions, found.operators):
        bare = expr.strip('"') if re.fullmatch(r'[a-z_][a-z0-9_$]*|"[^"]+"', expr) else None
        elements.append((bare if bare in columns else sa.text(expr), operator))
    kw: dict[str, Any] = {"using": found.using}
    if found.deferrable:
        kw["deferrable"] = True
        if found.initially_deferred:
            kw["initially"] = "DEFERRED"
    return CreateExcludeConstraintOp(
        final_name(found.name), table, elements, schema=schema, where=found.where, **kw
    )


def compare_exclusions(
    ctx: CompareContext, schema: str | None, conn_table: ReflectedTable, meta_table: sa.Table
) -> tuple[list[MigrateOperation], list[MigrateOperation]]:
    """(drops, adds) of the exclusion constraints of one table, matched by name."""
    import sqlalchemy.dialects.postgresql as pg  # per table: no from-import machinery

    exclude_class = pg.ExcludeConstraint
    cat = catalog(ctx)
    found = cat.exclusions(schema or cat.default_schema, conn_table.name)
    wanted = {
        str(c.name): c for c in meta_table.constraints
        if isinstance(c, exclude_class) and c.name is not None
    }
    if not found and not wanted:
        return [], []
    existing = {x.name: x for x in found}
    columns = set(conn_table.columns)
    drops: list[MigrateOperation] = []
    adds: list[MigrateOperation] = []
    for name in sorted(set(existing) | set(wanted)):
        reflected, model = existing.get(name), wanted.get(name)
        if model is not None and reflected is not None and _same_exclusion(
            ctx, schema, conn_table, model, reflected
        ):
            continue
        if reflected is not None:
            drops.append(drop_exclude_constraint_op(
                exclusion_create_op(schema, conn_table.name, reflected, columns)
            ))
        if model is not None:
            adds.append(CreateExcludeConstraintOp.from_constraint(model))
    return drops, adds


def _same_exclusion(ctx: CompareContext, schema: str | None, conn_table: ReflectedTable,
                    model: Any, found: Any) -> bool:
    wanted = model_exclusion_signature(ctx, model)
    have = db_exclusion_signature(found)
    if wanted == have:
        return True
    if wanted[1:] != have[1:] or len(wanted[0]) != len(have[0]):
        return False
    # expressions written differently may be the same to the server: let it rewrite ours
    probed = _probe_exclusion(ctx, schema, conn_table.name, model)
    return probed is not None and db_exclusion_signature(probed) == have


def _probe_exclusion(ctx: CompareContext, schema: str | None, table: str, model: Any) -> Any:
    """The model's constraint as the server writes it back, built on a temporary copy."""
    from mig_postgres.catalog import ExclusionConstraint

    cat = catalog(ctx)
    preparer = ctx.dialect.identifier_preparer
    real = preparer.quote_schema(cat.database_name(schema or cat.default_schema))
    qualified = f"{real}.{preparer.quote(table)}"
    compiler = ctx.dialect.ddl_compiler(ctx.dialect, None)  # type: ignore[arg-type]
    clause = compiler.process(model)
    conn: Any = ctx.connection
    probe = "mig_exclusion_probe"
    try:
        with conn.begin_nested() as savepoint:
            conn.exec_driver_sql(f"CREATE TEMP TABLE {probe} (LIKE {qualified})")
            conn.exec_driver_sql(f"ALTER TABLE {probe} ADD {clause}")
            row = conn.exec_driver_sql(
                "SELECT am.amname, array(SELECT pg_get_indexdef(con.conindid, k, true) "
                "FROM generate_series(1, array_length(con.conexclop, 1)) AS k ORDER BY k), "
                "array(SELECT o.oprname FROM unnest(con.conexclop) WITH ORDINALITY AS u(op, k) "
                "JOIN pg_operator o ON o.oid = u.op ORDER BY u.k), "
                "pg_get_expr(i.indpred, i.indrelid, true), con.condeferrable, con.condeferred "
                "FROM pg_constraint con JOIN pg_index i ON i.indexrelid = con.conindid "
                "JOIN pg_class ic ON ic.oid = con.conindid JOIN pg_am am ON am.oid = ic.relam "
                f"WHERE con.contype = 'x' AND con.conrelid = '{probe}'::regclass"
            ).first()
            savepoint.rollback()
    except Exception:
        return None
    if row is None:
        return None
    return ExclusionConstraint("", table, str(model.name), row[0], list(row[1]), list(row[2]),
                               row[3], bool(row[4]), bool(row[5]))


def dropped_table_exclusions(ctx: CompareContext, upgrade_ops: Any) -> None:
    """Before each dropped table, drop its exclusion constraints (so the downgrade re-adds them:
    SQLAlchemy's reflection does not see them, so the re-created table would lack them)."""
    cat = catalog(ctx)
    out: list[Any] = []
    for op in upgrade_ops.ops:
        if isinstance(op, DropTableOp):
            found = cat.exclusions(op.schema or cat.default_schema, op.table_name)
            if found:
                columns = {c.name for c in op.to_table().columns}
                drops = [
                    drop_exclude_constraint_op(
                        exclusion_create_op(op.schema, op.table_name, x, columns)
                    )
                    for x in found
                ]
                out.append(ModifyTableOps(op.table_name, drops, schema=op.schema))
        out.append(op)
    upgrade_ops.ops[:] = out
