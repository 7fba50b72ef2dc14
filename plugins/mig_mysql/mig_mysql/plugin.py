"""Hook implementations of the MySQL / MariaDB plugin (only hookimpls; the logic lives in the
modules named in each hook).

Importing this module must not import SQLAlchemy or a database driver. Every hook here is
dialect-bound: it runs only when the run's dialect is ``mysql`` (MariaDB included: SQLAlchemy
names both ``mysql``, and a ``mariadb://`` URL falls back to this implementation).
"""

from __future__ import annotations

from typing import Any

from mig_core import hookimpl


@hookimpl
def mig_register_dialects(registry: Any) -> None:
    registry.add("mysql", "mig_mysql.impl:MySQLImpl", transactional_ddl=False)


# --- autogenerate ------------------------------------------------------------------------------


@hookimpl(wrapper=True)
def mig_compare_schema(ctx: Any, schemas: Any, upgrade_ops: Any) -> Any:
    """Reflected tables settled before the core compares, dropped ones included: their
    re-creation must not repeat MySQL's implicit FK indexes or twin unique records; then the
    primary keys ``create_table`` cannot write, added right after it (see dropped.py)."""
    from mig_mysql.compare import before_schema_compare
    from mig_mysql.dropped import after_compare

    before_schema_compare(ctx, list(schemas))
    result = yield
    after_compare(ctx, upgrade_ops)
    return result


@hookimpl(wrapper=True)
def mig_compare_table(
    ctx: Any, modify_ops: Any, schema: Any, name: str, conn_table: Any, meta_table: Any
) -> Any:
    """The indexes MySQL makes for foreign keys by itself and unique constraints reflected
    twice are settled before the core compares (see compare.py)."""
    from mig_mysql.compare import before_table_compare

    before_table_compare(ctx, schema, conn_table, meta_table)
    return (yield)


@hookimpl
def mig_compare_type(ctx: Any, conn_col: Any, meta_col: Any) -> bool | None:
    """MySQL's type synonyms (BOOL as TINYINT(1), ENUM value sets, display widths)."""
    from mig_mysql.compare import types_differ

    return types_differ(ctx, conn_col, meta_col)


@hookimpl
def mig_compare_server_default(
    ctx: Any, conn_col: Any, meta_col: Any, conn_default: str | None, meta_default: str | None
) -> bool | None:
    """Defaults as MySQL and MariaDB store them (quoted numbers, expression parentheses)."""
    from mig_mysql.compare import server_defaults_differ

    return server_defaults_differ(ctx, conn_col, meta_col, conn_default, meta_default)


@hookimpl
def mig_render_type(ctx: Any, type_: Any) -> str | None:
    """``mysql.X(...)`` for MySQL-only types; other types are the core's."""
    from mig_mysql.render import render_type

    return render_type(ctx, type_)


# --- runtime ---------------------------------------------------------------------------------


@hookimpl
def mig_run_lock(impl: Any, timeout: float | None, transaction_scoped: bool) -> Any:
    """The run lock through ``GET_LOCK`` (see lock.py); only when a writing command runs online."""
    from mig_mysql.lock import MySQLRunLock

    return MySQLRunLock(impl, timeout, transaction_scoped)
