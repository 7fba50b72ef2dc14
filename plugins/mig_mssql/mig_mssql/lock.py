"""The SQL Server run lock: ``sp_getapplock`` owned by the session.

Session-owned so it survives the run's commits; SQL Server drops it when the session ends, so
a killed process does not leave it held. ``sp_getapplock`` returns 0 or 1 when granted and a
negative code otherwise (-1 timeout, -2 cancelled, -3 deadlock victim, -999 parameter error).
"""

from __future__ import annotations

from typing import Any

from mig_core.errors import LockTimeoutError

RESULTS = {-1: "timed out", -2: "cancelled", -3: "chosen as deadlock victim", -999: "bad call"}


def resource_name(version_table: str, schema: str | None) -> str:
    """The application-lock resource (at most 255 characters)."""
    return f"mig:{schema or 'dbo'}.{version_table}"[:255]


def _nstring(value: str) -> str:
    return "N'" + value.replace("'", "''") + "'"


def acquire_sql(resource: str, timeout: float | None, transaction_scoped: bool = False) -> str:
    """T-SQL returning sp_getapplock's result code as a one-row result."""
    owner = "Transaction" if transaction_scoped else "Session"
    ms = -1 if timeout is None else max(0, int(timeout * 1000))
    return (
        "DECLARE @mig_lock_result int;\n"
        f"EXEC @mig_lock_result = sp_getapplock @Resource = {_nstring(resource)}, "
        f"@LockMode = 'Exclusive', @LockOwner = '{owner}', @LockTimeout = {ms};\n"
        "SELECT @mig_lock_result"
    )


def release_sql(resource: str) -> str:
    return f"EXEC sp_releaseapplock @Resource = {_nstring(resource)}, @LockOwner = 'Session'"


class MSSQLRunLock:
    """Context manager: ``sp_getapplock`` on enter, ``sp_releaseapplock`` on exit."""

    def __init__(self, impl: Any, timeout: float | None, transaction_scoped: bool = False) -> None:
        opts = impl.context_opts
        self.table = opts.get("version_table") or "mig_version"
        self.resource = resource_name(self.table, opts.get("version_table_schema"))
        self.impl = impl
        self.timeout = timeout
        self.transaction_scoped = transaction_scoped

    def __enter__(self) -> MSSQLRunLock:
        conn = self.impl.connection
        result = conn.exec_driver_sql(
            acquire_sql(self.resource, self.timeout, self.transaction_scoped)
        ).scalar()
        if result is None or int(result) < 0:
            reason = RESULTS.get(int(result) if result is not None else -999, f"code {result}")
            message = f"the run lock (sp_getapplock {self.resource!r}) was not granted: {reason}"
            if self.timeout is not None:
                message += f" (--lock-timeout {self.timeout:g} s)"
            raise LockTimeoutError(message)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.transaction_scoped:
            return
        self.impl.connection.exec_driver_sql(release_sql(self.resource))
