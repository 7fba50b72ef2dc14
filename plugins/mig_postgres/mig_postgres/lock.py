"""The PostgreSQL run lock: a session-level advisory lock on the migration connection.

Session level (not transaction level) so it survives the commits of ``autocommit_block`` and
``transaction_per_migration`` and cannot deadlock with ``CREATE INDEX CONCURRENTLY``: the lock
and the DDL share one connection. When the process dies the server ends the session and drops
the lock, so a killed run never leaves it stuck. The key is derived from the version table's
schema and name, so projects with different version tables in one database do not block each
other; with no schema configured it is the one the table lives in (``current_schema()``), so a
run naming ``public`` and one relying on ``search_path`` share a lock, and tenants whose
``search_path`` picks their own schema do not. Inside a transaction the caller owns, the transaction-level variant is used instead.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from mig_core.errors import LockTimeoutError

#: longest pause between two ``pg_try_advisory_lock`` attempts while waiting with a timeout
MAX_POLL_INTERVAL = 0.2
#: SQLSTATEs of a wait the server ended: ``lock_timeout``; ``statement_timeout`` or a cancel
SERVER_ENDED_WAIT = {"55P03", "57014"}


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error (psycopg2 ``pgcode``, psycopg 3 ``sqlstate``)."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)


def lock_key(version_table: str, schema: str | None) -> int:
    """A stable signed 64-bit advisory-lock key for one version table (``schema`` resolved)."""
    digest = hashlib.blake2b(f"mig:{schema or ''}.{version_table}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def lock_statements(transaction_scoped: bool) -> dict[str, str]:
    """The SQL the lock runs: blocking, trying and releasing forms."""
    xact = "_xact" if transaction_scoped else ""
    return {
        "lock": f"SELECT pg_advisory{xact}_lock(:key)",
        "try": f"SELECT pg_try_advisory{xact}_lock(:key)",
        "unlock": "SELECT pg_advisory_unlock(:key)",
        "holder": (
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = :hi AND objid = :lo AND objsubid = 1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
    }


class PostgresRunLock:
    """Context manager: take the advisory lock on ``impl.connection``, release it on exit."""

    def __init__(self, impl: Any, timeout: float | None, transaction_scoped: bool = False) -> None:
        opts = impl.context_opts
        self.table = opts.get("version_table") or "mig_version"
        self.schema: str | None = opts.get("version_table_schema")
        self.key = 0  # set on __enter__, once the schema is known
        self.impl = impl
        self.timeout = timeout
        self.transaction_scoped = transaction_scoped
        self.sql = lock_statements(transaction_scoped)

    def _scalar(self, name: str, **params: Any) -> Any:
        from sqlalchemy import text

        conn = self.impl.connection
        return conn.execute(text(self.sql[name]), {"key": self.key, **params}).scalar()

    def _resolved_schema(self) -> str:
        """The schema the version table is in: the configured one (through the connection's
        ``schema_translate_map``), or the one an unqualified table is created in."""
        from mig_core.runtime.versions import effective_schema

        schema = effective_schema(self.impl.connection, self.schema)
        if schema:
            return schema
        from sqlalchemy import text

        return self.impl.connection.execute(text("SELECT current_schema()")).scalar() or ""

    def __enter__(self) -> PostgresRunLock:
        conn = self.impl.connection
        outside_transaction = not conn.in_transaction()
        self.key = lock_key(self.table, self._resolved_schema())
        try:
            self._acquire()
        except Exception as exc:
            if _sqlstate(exc) not in SERVER_ENDED_WAIT:
                raise
            if not self.transaction_scoped:
                conn.rollback()  # the failed statement aborted it; mig's own has done nothing yet
            raise LockTimeoutError(self._timeout_message(server_timeout=True)) from exc
        if outside_transaction and not self.transaction_scoped and conn.in_transaction():
            conn.commit()  # the session lock outlives it; leave the connection as it was
        return self

    def _acquire(self) -> None:
        if self.timeout is None:
            self._scalar("lock")
            return
        deadline = time.monotonic() + max(self.timeout, 0.0)
        pause = 0.01
        while not self._scalar("try"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockTimeoutError(self._timeout_message())
            time.sleep(min(pause, left))
            pause = min(pause * 2, MAX_POLL_INTERVAL)

    def _timeout_message(self, server_timeout: bool = False) -> str:
        unsigned = self.key & 0xFFFFFFFFFFFFFFFF
        try:
            holder = self._scalar("holder", hi=unsigned >> 32, lo=unsigned & 0xFFFFFFFF)
        except Exception:  # only for the message
            holder = None
        who = f" by backend pid {holder}" if holder else ""
        why = (
            "the server ended the wait (its lock_timeout or statement_timeout setting, or a "
            "cancel; pass --lock-timeout to choose how long mig waits)"
            if server_timeout
            else f"gave up after --lock-timeout {self.timeout:g} s"
        )
        return (
            f"the run lock (PostgreSQL advisory lock {self.key} for version table "
            f"{self.table!r}) is held{who}; {why}"
        )

    def __exit__(self, *exc: Any) -> None:
        if self.transaction_scoped:
            return  # ends with the caller's transaction
        conn = self.impl.connection
        was_in_transaction = conn.in_transaction()
        self._scalar("unlock")
        if not was_in_transaction and conn.in_transaction():
            conn.commit()  # do not leave an auto-begun transaction behind
