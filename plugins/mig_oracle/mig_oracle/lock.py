"""The Oracle run lock: ``DBMS_LOCK`` user lock in exclusive mode, held by the session.

``DBMS_LOCK.ALLOCATE_UNIQUE`` turns the lock name into a handle (note: it commits the current
transaction; Oracle DDL is not transactional, so a run has nothing pending at that point);
``DBMS_LOCK.REQUEST`` with ``release_on_commit => FALSE`` keeps it across the run's commits.
Oracle releases it when the session ends. Results: 0 granted, 1 timeout, 2 deadlock,
3 parameter error, 4 already held by this session, 5 illegal handle.
The user needs ``EXECUTE`` on ``DBMS_LOCK``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from mig_core.errors import LockTimeoutError

RESULTS = {1: "timed out", 2: "deadlock", 3: "parameter error", 5: "illegal lock handle"}
#: DBMS_LOCK.MAXWAIT: wait for ever
MAXWAIT = 32767
#: the longest lock name DBMS_LOCK.ALLOCATE_UNIQUE takes
MAX_NAME_BYTES = 128


def lock_name(version_table: str, schema: str | None) -> str:
    """``mig:<schema>.<version_table>``; past DBMS_LOCK's 128 bytes (UTF-8: a non-ASCII name
    reaches them sooner), its head and a hash of the whole, so two long names differing only
    at their ends are two locks."""
    name = f"mig:{schema or ''}.{version_table}"
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).hexdigest()
    head = name[: MAX_NAME_BYTES - len(digest) - 1]
    while len(head.encode("utf-8")) + len(digest) + 1 > MAX_NAME_BYTES:
        head = head[:-1]
    return f"{head}~{digest}"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def acquire_sql(name: str, timeout: float | None, transaction_scoped: bool = False) -> str:
    """A PL/SQL block binding ``:result`` (REQUEST's code) and ``:handle``."""
    seconds = MAXWAIT if timeout is None else max(0, min(MAXWAIT, int(round(timeout))))
    on_commit = "TRUE" if transaction_scoped else "FALSE"
    return (
        "DECLARE\n"
        "  mig_handle VARCHAR2(128);\n"
        "BEGIN\n"
        f"  DBMS_LOCK.ALLOCATE_UNIQUE(lockname => {_literal(name)}, lockhandle => mig_handle);\n"
        "  :result := DBMS_LOCK.REQUEST(lockhandle => mig_handle, "
        f"lockmode => DBMS_LOCK.X_MODE, timeout => {seconds}, "
        f"release_on_commit => {on_commit});\n"
        "  :handle := mig_handle;\n"
        "END;"
    )


RELEASE_SQL = "BEGIN\n  :result := DBMS_LOCK.RELEASE(lockhandle => :handle);\nEND;"


class OracleRunLock:
    """Context manager: DBMS_LOCK.REQUEST on enter, DBMS_LOCK.RELEASE on exit."""

    def __init__(self, impl: Any, timeout: float | None, transaction_scoped: bool = False) -> None:
        opts = impl.context_opts
        self.table = opts.get("version_table") or "mig_version"
        self.name = lock_name(self.table, opts.get("version_table_schema"))
        self.impl = impl
        self.timeout = timeout
        self.transaction_scoped = transaction_scoped
        self.handle: str | None = None

    def _cursor(self) -> Any:
        return self.impl.connection.connection.dbapi_connection.cursor()

    def __enter__(self) -> OracleRunLock:
        cursor = self._cursor()
        try:
            result = cursor.var(int)
            handle = cursor.var(str)
            cursor.execute(
                acquire_sql(self.name, self.timeout, self.transaction_scoped),
                result=result,
                handle=handle,
            )
            code = int(result.getvalue())
            self.handle = handle.getvalue()
        finally:
            cursor.close()
        if code not in (0, 4):
            message = f"the run lock (DBMS_LOCK {self.name!r}) was not granted: "
            message += RESULTS.get(code, f"code {code}")
            if self.timeout is not None:
                message += f" (--lock-timeout {self.timeout:g} s)"
            raise LockTimeoutError(message)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.transaction_scoped or self.handle is None:
            return
        cursor = self._cursor()
        try:
            cursor.execute(RELEASE_SQL, result=cursor.var(int), handle=self.handle)
        finally:
            cursor.close()
