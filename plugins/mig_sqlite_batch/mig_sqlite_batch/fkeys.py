"""``PRAGMA foreign_keys`` around table recreates.

With foreign keys enforced, ``DROP TABLE`` of a table other tables reference first deletes its
rows, which fires their ``ON DELETE`` actions (a CASCADE empties the children) or fails. So
enforcement must be off while a referenced table is recreated. SQLite ignores
``PRAGMA foreign_keys`` inside a transaction, which is where every migration runs, so it is
switched off *before* the transaction begins and switched back on after it ended:

* a mig run (``mig upgrade`` ...): :class:`ForeignKeysOffForRun`, entered with the SQLite run
  lock, before its ``BEGIN IMMEDIATE``; for the whole run, since the run's transaction opens
  before any migration script is read;
* a batch outside a run (``MigrationContext.configure(connection=...)`` by hand): the recreate
  switches it off itself when no SQLite transaction is open yet, and back on when the
  connection's transaction ends (:class:`ForeignKeysOffForTransaction`).

Either way ``PRAGMA foreign_key_check`` runs right before each commit: a violation rolls the
transaction back and fails with a message naming the table and row. The check reads every
foreign key of the database (0.1 s per million child rows), so a run's commit skips it when
the transaction changed nothing: no row changed (the connection's ``total_changes``) and no
schema changed (every attached database's ``schema_version``), as in an ``upgrade head`` with
nothing to do; with nothing changed, nothing can have broken. When enforcement cannot be
switched off (a transaction was already open), a recreate of a table that foreign keys point
at is refused with a message saying how to fix it.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from mig_core.errors import CommandError

log = logging.getLogger("mig.batch")

#: key in ``Connection.info`` of the guard currently holding enforcement off
GUARD_KEY = "mig_sqlite_batch.foreign_keys_off"


def dbapi_of(connection: Any) -> Any:
    """The sqlite3 (or compatible) connection under a SQLAlchemy Connection."""
    return connection.connection.dbapi_connection


def raw_rows(dbapi: Any, sql: str) -> Any:
    """The rows of ``sql`` run on the driver connection itself (PRAGMAs SQLAlchemy must not
    wrap in its own transaction handling)."""
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def enforced(dbapi: Any) -> bool:
    """Whether ``PRAGMA foreign_keys`` is on for this connection."""
    rows = raw_rows(dbapi, "PRAGMA foreign_keys")
    return bool(rows and rows[0][0])


def driver_attribute(dbapi: Any, name: str) -> Any:
    """``in_transaction`` / ``total_changes`` of the sqlite3 connection: on ``dbapi`` itself, or,
    for SQLAlchemy's aiosqlite adapter (which has neither), on the aiosqlite connection it
    adapts (which reads them from its sqlite3 connection). None when neither has it."""
    if hasattr(dbapi, name):
        return getattr(dbapi, name)
    return getattr(getattr(dbapi, "driver_connection", None), name, None)


def in_transaction(dbapi: Any) -> bool:
    return bool(driver_attribute(dbapi, "in_transaction"))


def manageable(dbapi: Any) -> bool:
    """Whether the driver connection says when a SQLite transaction is open (sqlite3 does,
    aiosqlite through its adapter too; another driver may not: a recreate then refuses a
    referenced table while enforcement is on, see ``SQLiteRecreate.prepare_transaction``)."""
    return hasattr(dbapi, "cursor") and driver_attribute(dbapi, "in_transaction") is not None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def violations(dbapi: Any) -> list[tuple[Any, ...]]:
    """Rows of ``PRAGMA foreign_key_check`` in every database of the connection (without a
    schema the pragma reads only ``main``); the table of a row outside ``main`` is written
    ``schema.table``. A structural mismatch becomes a CommandError."""
    try:
        found: list[tuple[Any, ...]] = []
        for row in raw_rows(dbapi, "PRAGMA database_list"):
            name = str(row[1])
            prefix = "" if name == "main" else f"{_quoted(name)}."
            for bad in raw_rows(dbapi, f"PRAGMA {prefix}foreign_key_check"):
                table = bad[0] if name == "main" else f"{name}.{bad[0]}"
                found.append((table, *bad[1:]))
        return found
    except Exception as exc:  # "foreign key mismatch - "child" referencing "parent""
        raise CommandError(
            f"foreign key check before commit failed: {str(exc).splitlines()[0]}; the "
            "transaction was rolled back"
        ) from exc


def describe_violations(rows: list[tuple[Any, ...]]) -> str:
    first = rows[0]
    more = f" and {len(rows) - 1} more" if len(rows) > 1 else ""
    return (
        f"{len(rows)} foreign key violation(s): table {first[0]!r} rowid {first[1]} "
        f"references a missing row of {first[2]!r}{more}"
    )


def change_marks(dbapi: Any, quote_schema: Any) -> tuple[Any, ...] | None:
    """What moves whenever the connection changes the database: its count of changed rows
    and the schema version of every attached database (None: the driver does not tell).
    ``quote_schema`` is the dialect's (``identifier_preparer.quote_schema``)."""
    changes = driver_attribute(dbapi, "total_changes")
    if not isinstance(changes, int):
        return None
    try:
        names = [row[1] for row in raw_rows(dbapi, "PRAGMA database_list")]
        versions = tuple(
            (name, raw_rows(dbapi, f"PRAGMA {quote_schema(name)}.schema_version")[0][0])
            for name in names
        )
    except Exception:
        return None
    return (changes, versions)


def check_before_commit(dbapi: Any) -> None:
    """Run ``PRAGMA foreign_key_check``; on a violation roll back and raise."""
    try:
        rows = violations(dbapi)
    except CommandError:
        dbapi.rollback()
        raise
    if rows:
        dbapi.rollback()
        raise CommandError(
            f"foreign key check before commit: {describe_violations(rows)}; the transaction "
            "was rolled back"
        )


class ForeignKeysOffForRun:
    """Foreign key enforcement off for a mig run; checked before every commit, restored after.

    Does nothing when enforcement is off already, when a transaction is open (SQLite ignores
    the pragma there) or when the run asked to keep enforcement
    (``context.configure(sqlite_keep_foreign_keys=True)``).
    """

    def __init__(self, impl: Any, transaction_scoped: bool = False) -> None:
        self.impl = impl
        self.transaction_scoped = transaction_scoped
        self.switched = False
        #: :func:`change_marks` when the current transaction began (None: always check)
        self.marks: tuple[Any, ...] | None = None

    def __enter__(self) -> ForeignKeysOffForRun:
        conn = self.impl.connection
        if conn is None or self.transaction_scoped:
            return self
        if self.impl.context_opts.get("sqlite_keep_foreign_keys"):
            return self
        dbapi = dbapi_of(conn)
        if not manageable(dbapi) or in_transaction(dbapi) or not enforced(dbapi):
            return self
        raw_rows(dbapi, "PRAGMA foreign_keys = OFF")
        self.switched = True
        self.marks = self._marks(dbapi)
        conn.info[GUARD_KEY] = self
        _listen(conn)
        log.info("PRAGMA foreign_keys off for the run (checked before each commit)")
        return self

    def _marks(self, dbapi: Any) -> tuple[Any, ...] | None:
        return change_marks(dbapi, self.impl.dialect.identifier_preparer.quote_schema)

    def on_commit(self, conn: Any) -> None:
        dbapi = dbapi_of(conn)
        marks = self._marks(dbapi)
        if marks is None or marks != self.marks:
            check_before_commit(dbapi)
        else:
            log.debug("foreign key check skipped: the transaction changed nothing")
        self.marks = marks

    def on_rollback(self, conn: Any) -> None:
        # read before the rollback: a schema change being undone makes the next commit check
        self.marks = self._marks(dbapi_of(conn))

    def __exit__(self, *exc: Any) -> None:
        if not self.switched:
            return
        self.switched = False
        conn = self.impl.connection
        conn.info.pop(GUARD_KEY, None)
        if conn.closed or conn.invalidated:
            return
        txn = conn.get_transaction()
        if txn is not None and not txn.is_active:
            conn.rollback()  # a commit refused by the check leaves SQLAlchemy's transaction
        dbapi = dbapi_of(conn)
        if in_transaction(dbapi):
            log.warning("PRAGMA foreign_keys left off: a transaction is still open")
            return
        raw_rows(dbapi, "PRAGMA foreign_keys = ON")


class ForeignKeysOffForTransaction:
    """Enforcement off until the connection's current transaction ends (a batch run by hand).

    Entered before the transaction is begun on the SQLite side. At the commit of the
    SQLAlchemy transaction it checks foreign keys, commits, and switches enforcement back on;
    at a rollback it rolls back and switches it back on.
    """

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def start(self) -> None:
        dbapi = dbapi_of(self.connection)
        raw_rows(dbapi, "PRAGMA foreign_keys = OFF")
        self.connection.info[GUARD_KEY] = self
        _listen(self.connection)

    def _finish(self) -> None:
        self.connection.info.pop(GUARD_KEY, None)

    def on_commit(self, conn: Any) -> None:
        dbapi = dbapi_of(conn)
        self._finish()
        try:
            check_before_commit(dbapi)
            dbapi.commit()  # SQLAlchemy's own commit that follows finds nothing to commit
        finally:
            if not in_transaction(dbapi):
                raw_rows(dbapi, "PRAGMA foreign_keys = ON")

    def on_rollback(self, conn: Any) -> None:
        dbapi = dbapi_of(conn)
        self._finish()
        dbapi.rollback()
        raw_rows(dbapi, "PRAGMA foreign_keys = ON")


#: key in ``Connection.info`` of the foreign keys to check at the next commit
PENDING_KEY = "mig_sqlite_batch.keys_to_check"


def check_key_at_commit(conn: Any, schema: str | None, child: str, problem: str) -> None:
    """Check at the commit that ``child``'s foreign keys point at a primary key or unique
    constraint again (SQLite creates a table whose key does not, and fails only when a row is
    checked: "foreign key mismatch"). A batch that moves a table's primary key leaves the
    other tables' foreign keys to the old one until later batches of the same migration move
    them (MLflow), as Alembic allows; a key still loose at the commit is an error naming
    ``problem`` and the transaction is rolled back (checked before a guard's own check)."""
    conn.info.setdefault(PENDING_KEY, []).append((schema, child, problem))
    _listen(conn)


def _check_pending(conn: Any, pending: list[tuple[str | None, str, str]]) -> None:
    dbapi = dbapi_of(conn)
    preparer = conn.dialect.identifier_preparer
    for schema, child, problem in pending:
        prefix = f"{preparer.quote_schema(schema)}." if schema else ""
        master = f"{prefix}sqlite_master"
        exists = raw_rows(
            dbapi,
            f"SELECT 1 FROM {master} WHERE type = 'table' AND name = "
            f"'{child.replace(chr(39), chr(39) * 2)}'",
        )
        if not exists:
            continue  # dropped (or renamed) later in the transaction
        try:
            raw_rows(dbapi, f"PRAGMA {prefix}foreign_key_check({preparer.quote(child)})")
        except Exception as exc:  # foreign key mismatch
            dbapi.rollback()
            raise CommandError(
                f"{problem} ({str(exc).splitlines()[0]}); the transaction was rolled back"
            ) from exc


#: SQLAlchemy Connections that route their commit / rollback events to a guard
_listening: weakref.WeakSet[Any] = weakref.WeakSet()


def _listen(conn: Any) -> None:
    """Route the connection's commit / rollback events to the guard in ``conn.info`` (one
    listener per Connection, never removed: removing one while SQLAlchemy dispatches the
    event is an error, and with no guard it does nothing)."""
    if conn in _listening:
        return
    from sqlalchemy import event

    event.listen(conn, "commit", _dispatch_commit)
    event.listen(conn, "rollback", _dispatch_rollback)
    _listening.add(conn)


def _dispatch_commit(conn: Any) -> None:
    pending = conn.info.pop(PENDING_KEY, None)
    if pending:
        _check_pending(conn, pending)
    guard = conn.info.get(GUARD_KEY)
    if guard is not None:
        guard.on_commit(conn)


def _dispatch_rollback(conn: Any) -> None:
    conn.info.pop(PENDING_KEY, None)
    guard = conn.info.get(GUARD_KEY)
    if guard is not None:
        guard.on_rollback(conn)


class _Together:
    """Enter ``first`` then ``second``; leave them in reverse order."""

    def __init__(self, first: Any, second: Any) -> None:
        self.first = first
        self.second = second

    def __enter__(self) -> _Together:
        self.first.__enter__()
        try:
            self.second.__enter__()
        except BaseException:
            self.first.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.second.__exit__(*exc)
        finally:
            self.first.__exit__(*exc)


def run_lock_with_foreign_keys_off(impl: Any, timeout: float | None, scoped: bool) -> Any:
    """The SQLite run lock, taken once foreign key enforcement is off for the run."""
    from mig_sqlite_batch.lock import SQLiteRunLock

    return _Together(ForeignKeysOffForRun(impl, scoped), SQLiteRunLock(impl, timeout, scoped))
