"""The SQLite run lock: the database's write lock, taken with ``BEGIN IMMEDIATE``.

SQLite has one writer at a time; ``BEGIN IMMEDIATE`` takes the write (RESERVED) lock at the
start of the transaction instead of at its first write, so a second process waits (up to the
busy timeout, which ``--lock-timeout`` sets) before it reads the version table. While the lock
is held, every transaction mig begins on the connection also starts with ``BEGIN IMMEDIATE``,
which makes each one a real SQLite transaction around its DDL (the default pysqlite driver
would otherwise run DDL outside any transaction). The write lock ends with each transaction:
with ``transaction_per_migration`` another process may take it between two revisions.
"""

from __future__ import annotations

from typing import Any

from mig_core.errors import LockTimeoutError

#: SQLite's busy timeout is a C int of milliseconds; "wait for ever" uses the largest one
FOREVER_MS = 2**31 - 1


def busy_timeout_ms(timeout: float | None) -> int:
    return FOREVER_MS if timeout is None else max(0, min(FOREVER_MS, int(timeout * 1000)))


def _is_locked_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text


class SQLiteRunLock:
    """Context manager holding SQLite's write lock for the run's transactions."""

    begin_sql = "BEGIN IMMEDIATE"

    def __init__(self, impl: Any, timeout: float | None, transaction_scoped: bool = False) -> None:
        self.impl = impl
        self.timeout = timeout
        self.transaction_scoped = transaction_scoped
        self._previous_busy: int | None = None
        self._listening = False

    def _dbapi(self) -> Any:
        return self.impl.connection.connection.dbapi_connection

    def _cursor_execute(self, sql: str) -> Any:
        cursor = self._dbapi().cursor()
        try:
            cursor.execute(sql)
            return cursor.fetchone() if sql.startswith("PRAGMA busy_timeout") else None
        finally:
            cursor.close()

    def _begin_immediate(self) -> None:
        """Open the DBAPI transaction with the write lock, unless one is already open."""
        if getattr(self._dbapi(), "in_transaction", False):
            return  # the caller's (or an earlier) transaction: its first write takes the lock
        try:
            self._cursor_execute(self.begin_sql)
        except Exception as exc:
            if _is_locked_error(exc):
                raise LockTimeoutError(
                    f"the run lock (SQLite write lock on {self._database()}) is held by another "
                    f"connection; gave up after --lock-timeout {self.timeout:g} s"
                    if self.timeout is not None
                    else f"SQLite write lock on {self._database()}: {exc}"
                ) from exc
            if "within a transaction" in str(exc):
                return
            raise

    def _database(self) -> str:
        url = self.impl.connection.engine.url
        return url.database or ":memory:"

    def _on_begin(self, conn: Any) -> None:
        level = conn.get_execution_options().get("isolation_level")
        if level == "AUTOCOMMIT":
            return  # autocommit_block: VACUUM and friends must run outside a transaction
        self._begin_immediate()

    def __enter__(self) -> SQLiteRunLock:
        from sqlalchemy import event

        row = self._cursor_execute("PRAGMA busy_timeout")
        self._previous_busy = int(row[0]) if row else None
        self._cursor_execute(f"PRAGMA busy_timeout = {busy_timeout_ms(self.timeout)}")
        self._begin_immediate()
        event.listen(self.impl.connection, "begin", self._on_begin)
        self._listening = True
        return self

    def __exit__(self, *exc: Any) -> None:
        from sqlalchemy import event

        if self._listening:
            event.remove(self.impl.connection, "begin", self._on_begin)
            self._listening = False
        if self._previous_busy is not None:
            try:
                self._cursor_execute(f"PRAGMA busy_timeout = {self._previous_busy}")
            except Exception:  # a closed connection: nothing to restore
                pass
