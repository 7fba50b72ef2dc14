"""The SQLite run lock: a lock file held for the whole run, and the database's write lock.

SQLite has one writer at a time; ``BEGIN IMMEDIATE`` takes the write (RESERVED) lock at the
start of the transaction instead of at its first write, so a second process waits (up to the
busy timeout, which ``--lock-timeout`` sets) before it reads the version table. While the lock
is held, every transaction mig begins on the connection also starts with ``BEGIN IMMEDIATE``,
which makes each one a real SQLite transaction around its DDL (the default pysqlite driver
would otherwise run DDL outside any transaction).

The write lock ends with each transaction, so on its own it would let another run in between
two revisions (``transaction_per_migration``) or around an ``autocommit_block()``. For a
database file, mig therefore also holds an exclusive advisory lock (``flock``; ``msvcrt`` on
Windows) on ``<database file>.mig-lock`` from the start of the run to its end, as PostgreSQL's
session-level advisory lock does: the operating system releases it when the process dies, so a
killed run never leaves it held. The file stays in place (deleting it could let two runs lock
two different files). Where it cannot be created (a read-only folder), the write lock alone
serializes runs.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from mig_core.errors import LockTimeoutError

#: SQLite's busy timeout is a C int of milliseconds; "wait for ever" uses the largest one
FOREVER_MS = 2**31 - 1


def busy_timeout_ms(timeout: float | None) -> int:
    return FOREVER_MS if timeout is None else max(0, min(FOREVER_MS, int(timeout * 1000)))


def _is_locked_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text


#: how often a run waiting with ``--lock-timeout`` tries the lock file again
POLL_SECONDS = 0.05


class RunLockFile:
    """An exclusive advisory lock on one file, held until :meth:`release` or the process ends."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, timeout: float | None) -> bool:
        """Wait for the lock (for ever when ``timeout`` is None); False when it timed out.

        Raises OSError when the file cannot be opened (the caller then goes without it).
        """
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                if _try_lock(self._fd, wait=deadline is None):
                    return True
                if deadline is not None and time.monotonic() >= deadline:
                    self.release()
                    return False
                time.sleep(POLL_SECONDS)
        except BaseException:  # no lock support here, Ctrl-C while waiting: no open descriptor
            self.release()
            raise

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops its lock
            self._fd = None


def _try_lock(fd: int, *, wait: bool) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


class SQLiteRunLock:
    """Context manager holding SQLite's write lock for the run's transactions."""

    begin_sql = "BEGIN IMMEDIATE"

    def __init__(self, impl: Any, timeout: float | None, transaction_scoped: bool = False) -> None:
        self.impl = impl
        self.timeout = timeout
        self.transaction_scoped = transaction_scoped
        self._previous_busy: int | None = None
        self._listening = False
        self._file_lock: RunLockFile | None = None

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
        from mig_sqlite_batch.fkeys import in_transaction

        if in_transaction(self._dbapi()):
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

    def _database_file(self) -> str | None:
        """The main database's file, or None for an in-memory or temporary database."""
        cursor = self._dbapi().cursor()
        try:
            cursor.execute("PRAGMA database_list")  # aiosqlite's adapted execute() returns no cursor
            rows = cursor.fetchall()
        finally:
            cursor.close()
        for _seq, name, file in rows:
            if name == "main":
                return file or None
        return None

    def _lock_file(self) -> None:
        """Hold ``<database file>.mig-lock`` for the run (not inside a caller's transaction,
        whose lock ends with that transaction)."""
        if self.transaction_scoped:
            return
        database = self._database_file()
        if database is None:
            return
        lock = RunLockFile(database + ".mig-lock")
        try:
            acquired = lock.acquire(self.timeout)
        except OSError:
            return  # no lock file where it cannot be created: the write lock alone serializes
        if not acquired:
            raise LockTimeoutError(
                f"the run lock ({lock.path}) is held by another mig run; gave up after "
                f"--lock-timeout {self.timeout:g} s"
            )
        self._file_lock = lock

    def _on_begin(self, conn: Any) -> None:
        if conn is not self.impl.connection or self.impl.in_autocommit_block:
            return  # another connection; VACUUM and friends must run outside a transaction
        from mig_core.runtime.progress import connection_autocommits

        if not self.impl.transactional_ddl and connection_autocommits(conn):
            return  # a connection that commits each statement, as this run was configured
        # a connection in AUTOCOMMIT otherwise runs in transactions all the same, as from the
        # first one (__enter__): a failed revision rolls back, with transaction_per_migration too
        self._begin_immediate()

    def __enter__(self) -> SQLiteRunLock:
        from sqlalchemy import event

        self._lock_file()
        try:
            row = self._cursor_execute("PRAGMA busy_timeout")
            self._previous_busy = int(row[0]) if row else None
            self._cursor_execute(f"PRAGMA busy_timeout = {busy_timeout_ms(self.timeout)}")
            self._begin_immediate()
            # on the engine, after the listeners already there: a project's own "begin"
            # listener that emits BEGIN (Prefect's does) runs first, and this one then sees
            # the transaction open (a connection's own listeners would run before the engine's)
            event.listen(self.impl.connection.engine, "begin", self._on_begin)
            self._listening = True
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        from sqlalchemy import event

        if self._listening:
            event.remove(self.impl.connection.engine, "begin", self._on_begin)
            self._listening = False
        if self._previous_busy is not None:
            try:
                self._cursor_execute(f"PRAGMA busy_timeout = {self._previous_busy}")
            except Exception:  # a closed connection: nothing to restore
                pass
        if self._file_lock is not None:
            self._file_lock.release()
            self._file_lock = None
