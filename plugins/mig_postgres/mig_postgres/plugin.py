"""Hook implementations of the PostgreSQL plugin (only hookimpls; the logic lives in the modules
named in each hook).

Importing this module must not import SQLAlchemy or a database driver: every hook imports its
module lazily, and operations are registered as ``"module:attribute"`` strings.
"""

from __future__ import annotations

from typing import Any

from mig_core import hookimpl

#: ``op.<name>`` directives of this plugin -> whether they have a ``batch_op`` form
OPERATIONS: dict[str, bool] = {
    "create_exclude_constraint": True,
    "create_enum": False,
    "drop_enum": False,
    "add_enum_value": False,
    "drop_enum_value": False,
    "rename_enum_value": False,
    "alter_enum": False,
}
#: generic directives other dialect plugins may provide as well (registered when nobody has)
SHARED_OPERATIONS: dict[str, bool] = {
    "create_sequence": False,
    "drop_sequence": False,
}


@hookimpl
def mig_register_dialects(registry: Any) -> None:
    registry.add("postgresql", "mig_postgres.impl:PostgresqlImpl", transactional_ddl=True)


@hookimpl
def mig_register_operations(registry: Any) -> None:
    """Exclusion constraints, enum types and values, sequences (see ops.py)."""
    for name, batch in OPERATIONS.items():
        registry.add(name, f"mig_postgres.ops:{name}", batch=batch)
    for name, batch in SHARED_OPERATIONS.items():
        if name not in registry.entries:
            registry.add(name, f"mig_postgres.ops:{name}", batch=batch)


# --- autogenerate ------------------------------------------------------------------------------


@hookimpl(wrapper=True)
def mig_compare_schema(ctx: Any, schemas: Any, upgrade_ops: Any) -> Any:
    """Around the core's table comparison: the default schema's own tables and what dropped
    tables' re-creation needs beyond reflection first; then enum types and sequences (created
    first, dropped last), the exclusion constraints, owned sequences and partition bounds of
    dropped tables (see compare.py, enums.py and dropped.py)."""
    from mig_postgres.compare import after_schema_compare, only_default_schema_tables
    from mig_postgres.dropped import complete_dropped_tables

    only_default_schema_tables(ctx)
    complete_dropped_tables(ctx, list(schemas))
    result = yield
    after_schema_compare(ctx, list(schemas), upgrade_ops)
    return result


@hookimpl(wrapper=True)
def mig_compare_table(
    ctx: Any, modify_ops: Any, schema: Any, name: str, conn_table: Any, meta_table: Any
) -> Any:
    """Foreign keys get their target's real schema and equal types the model's type first
    (ARRAY dimensions, enum schemas, Float precision); then exclusion constraints, and
    ``postgresql_using`` on type changes PostgreSQL cannot cast by itself."""
    import mig_postgres.compare as compare  # called per table: no from-import machinery

    compare.fix_foreign_key_schemas(ctx, schema, conn_table)
    compare.align_reflected_types(ctx, conn_table, meta_table)
    result = yield
    compare.after_table_compare(ctx, modify_ops, schema, conn_table, meta_table)
    return result


@hookimpl
def mig_compare_server_default(
    ctx: Any, conn_col: Any, meta_col: Any, conn_default: str | None, meta_default: str | None
) -> bool:
    """SERIAL / ``nextval`` recognised; defaults that differ as text evaluated on the server."""
    from mig_postgres.compare import server_defaults_differ

    return server_defaults_differ(ctx, conn_col, meta_col, conn_default, meta_default)


@hookimpl
def mig_render_type(ctx: Any, type_: Any) -> str | None:
    """``postgresql.ENUM(..., create_type=False)``, ``ARRAY(item)``, ``DOMAIN(...)``."""
    from mig_postgres.render import render_type

    return render_type(ctx, type_)


@hookimpl
def mig_render_op(ctx: Any, op: Any) -> Any:
    """Enum, sequence and exclusion-constraint operations; tables with exclusions."""
    from mig_postgres.render import render_op

    return render_op(ctx, op)


# --- runtime ---------------------------------------------------------------------------------


@hookimpl
def mig_run_lock(impl: Any, timeout: float | None, transaction_scoped: bool) -> Any:
    """The run lock (see lock.py); imported only when a writing command runs online."""
    from mig_postgres.lock import PostgresRunLock

    return PostgresRunLock(impl, timeout, transaction_scoped)


# --- batch -----------------------------------------------------------------------------------


@hookimpl
def mig_batch_recreate_keep(impl: Any, batch: Any, columns: dict[str, str]) -> Any:
    """A move and copy refuses partitioned, partition, inheriting, typed and unlogged tables
    and keeps the owner, privileges, row-level security and policies (see batch_safety.py)."""
    from mig_postgres.batch_safety import keep

    return keep(impl, batch, columns)
