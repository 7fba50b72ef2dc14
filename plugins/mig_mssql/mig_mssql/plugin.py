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
def mig_run_lock(impl: Any, timeout: float | None, transaction_scoped: bool) -> Any:
    """The run lock (see lock.py); imported only when a writing command runs online."""
    from mig_mssql.lock import MSSQLRunLock

    return MSSQLRunLock(impl, timeout, transaction_scoped)
