"""The MySQL / MariaDB run lock: a user-level lock (``GET_LOCK``) held by the migration session.

``GET_LOCK`` belongs to the session, not to a transaction: it survives the commit after every
revision a non-transactional run makes, and the server drops it when the session ends, so a
killed process never leaves it held. Names are server-wide, so the name carries the database:
``mig:<database>.<version table>`` (hashed past GET_LOCK's 64 characters). Results: 1 granted,
0 timed out, NULL an error (killed, bad argument).

MariaDB answers a negative timeout with NULL and a warning (MySQL takes it as "for ever"), so
waiting for ever is a one-year timeout, the same on both.

MySQL has no transaction-scoped user lock. Inside a caller's transaction (``transaction_scoped``)
the same session lock is taken and released when ``run_migrations()`` ends, before the caller
commits: never holding it past the run (a pooled connection would keep it, blocking every later
run) is the safer of the two wrong choices. MySQL's DDL commits the caller's transaction
implicitly anyway; only the last version-row update waits for the caller's commit.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from mig_core.errors import CommandError, LockTimeoutError

log = logging.getLogger("mig.runtime")

#: GET_LOCK's longest name (MySQL 5.7+ refuses longer ones)
MAX_NAME = 64
#: "wait for ever": a year (MariaDB refuses negative timeouts)
FOREVER = 365 * 24 * 3600


def lock_name(database: str, version_table: str) -> str:
    """``mig:<database>.<version_table>``; past 64 characters, its head and a hash."""
    name = f"mig:{database}.{version_table}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.blake2b(name.encode(), digest_size=8).hexdigest()
    return f"{name[: MAX_NAME - len(digest) - 1]}~{digest}"


def wait_seconds(timeout: float | None) -> float:
    """GET_LOCK's timeout argument for ``--lock-timeout`` (None: for ever)."""
    return FOREVER if timeout is None else max(0.0, float(timeout))


class MySQLRunLock:
    """Context manager: ``GET_LOCK`` on ``impl.connection`` on enter, ``RELEASE_LOCK`` on exit."""

    def __init__(self, impl: Any, timeout: float | None, transaction_scoped: bool = False) -> None:
        opts = impl.context_opts
        self.impl = impl
        self.table = opts.get("version_table") or "mig_version"
        self.schema: str | None = opts.get("version_table_schema")
        self.timeout = timeout
        self.transaction_scoped = transaction_scoped
        self.name = ""

    def _scalar(self, sql: str, **params: Any) -> Any:
        from sqlalchemy import text

        return self.impl.connection.execute(text(sql), params).scalar()

    def __enter__(self) -> MySQLRunLock:
        conn = self.impl.connection
        outside_transaction = not conn.in_transaction()
        database = self.schema or self._scalar("SELECT DATABASE()") or ""
        self.name = lock_name(database, self.table)
        result = self._get_lock()
        if result is None:
            raise CommandError(
                f"the run lock ({self._what()}) could not be taken: GET_LOCK returned NULL "
                "(the session was killed, or the server refused the name or timeout)"
            )
        if not int(result):
            raise LockTimeoutError(self._timeout_message())
        if outside_transaction and not self.transaction_scoped and conn.in_transaction():
            conn.commit()  # the session lock outlives it; leave the connection as it was
        return self

    def _get_lock(self) -> Any:
        from sqlalchemy.exc import DBAPIError

        try:
            return self._scalar(
                "SELECT GET_LOCK(:name, :wait)", name=self.name, wait=wait_seconds(self.timeout)
            )
        except DBAPIError as exc:  # deadlock detected, query killed while waiting
            first = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
            raise CommandError(
                f"the run lock ({self._what()}) could not be taken: {type(exc).__name__}: {first}"
            ) from exc

    def _what(self) -> str:
        return f"GET_LOCK {self.name!r} for version table {self.table!r}"

    def _timeout_message(self) -> str:
        try:
            holder = self._scalar("SELECT IS_USED_LOCK(:name)", name=self.name)
        except Exception:  # only for the message
            holder = None
        who = f" by connection id {holder}" if holder else ""
        return (
            f"the run lock ({self._what()}) is held{who}; "
            f"gave up after --lock-timeout {self.timeout:g} s"
        )

    def __exit__(self, *exc: Any) -> None:
        conn = self.impl.connection
        was_in_transaction = conn.in_transaction()
        released = self._scalar("SELECT RELEASE_LOCK(:name)", name=self.name)
        if not released:  # 0: another session's, NULL: nobody's (a reconnect lost it)
            log.warning("the run lock %s was no longer held by this session", self.name)
        if not was_in_transaction and not self.transaction_scoped and conn.in_transaction():
            conn.commit()  # do not leave an auto-begun transaction behind

