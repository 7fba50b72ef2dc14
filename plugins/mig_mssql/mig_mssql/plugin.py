"""Hook implementations of the SQL Server plugin (only hookimpls; the logic lives in impl.py).

Importing this module must not import SQLAlchemy or a database driver.
"""

from __future__ import annotations

from typing import Any

from mig_core import hookimpl


@hookimpl
def mig_register_dialects(registry: Any) -> None:
    registry.add("mssql", "mig_mssql.impl:MSSQLImpl", transactional_ddl=True)


@hookimpl
def mig_ddl_execute(impl: Any, op: Any) -> Any:
    """The operations SQL Server carries out itself (see ``impl.execute_operation``)."""
    from mig_mssql.impl import execute_operation

    return execute_operation(impl, op)


@hookimpl
def mig_compare_type(ctx: Any, conn_col: Any, meta_col: Any) -> bool | None:
    """Types compared without the collation SQL Server reflects on every string column."""
    from mig_mssql.compare import types_differ

    return types_differ(ctx, conn_col, meta_col)


@hookimpl
def mig_compare_server_default(
    ctx: Any, conn_col: Any, meta_col: Any, conn_default: str | None, meta_default: str | None
) -> bool:
    """Defaults compared without SQL Server's wrapping parentheses and N'' prefixes."""
    from mig_mssql.compare import server_defaults_differ

    return server_defaults_differ(conn_default, meta_default)


@hookimpl
def mig_run_lock(impl: Any, timeout: float | None, transaction_scoped: bool) -> Any:
    """The run lock (see lock.py); imported only when a writing command runs online."""
    from mig_mssql.lock import MSSQLRunLock

    return MSSQLRunLock(impl, timeout, transaction_scoped)
