"""Prepared statements (asyncpg, psycopg 3) and DDL that SQLAlchemy does not report to them.

A statement prepared before DDL that changes what it returns, and run again after it on the
same connection, fails ("cached statement plan is invalid due to a database schema or
configuration change" on asyncpg, "cached plan must not change result type" on psycopg), and
inside a migration's transaction that fails the run. So mig drops a connection's prepared
statements after each statement that may change the schema; reads and writes of rows do not
count, so a data migration's repeated statements stay prepared.

* asyncpg: SQLAlchemy's dialect prepares every statement and keeps the prepared statements per
  connection; it drops them after DDL it compiled itself, but DDL given as text (``op.execute(
  "ALTER TABLE ...")``, a ``DO`` block, mig's own SQL text) looks like any statement to it: mig
  tells the dialect after each such text (:func:`schema_change_listener`).
* psycopg 3 (sync and async): psycopg prepares a statement once it has run it
  ``prepare_threshold`` times (5) on a connection, and drops its prepared statements itself
  only after a command whose status is ``ALTER ...`` or ``DROP ...`` (or a rollback): not after
  a ``DO`` block, ``CREATE OR REPLACE VIEW`` or a ``sa.DDL()`` holding one. SQLAlchemy does
  nothing for it, so mig watches every statement run on the migration's connection
  (:func:`watch_psycopg_connection`): text, constructs and batches of DDL alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mig_core.ddl.statements import first_words

#: first words of statements that only read or write rows, or control the transaction
ROW_STATEMENTS = frozenset({
    "select", "insert", "update", "delete", "with", "values", "merge", "table", "copy",
    "explain", "show", "fetch", "move",
    "begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release",
})


def may_change_schema(sql: Any) -> bool:
    """Whether SQL text ``sql`` (a string or ``text()``) may be DDL: anything but a statement
    that reads or writes rows or controls the transaction. A SQLAlchemy construct is not text
    (SQLAlchemy knows its DDL)."""
    if not isinstance(sql, str):
        sql = getattr(sql, "text", None)  # a TextClause
        if not isinstance(sql, str):
            return False
    words = first_words(sql)
    return not words or words[0] not in ROW_STATEMENTS


def schema_change_listener(dialect: Any) -> Callable[[Any], None] | None:
    """For :attr:`~mig_core.ddl.impl.DefaultImpl.text_statement_ran`: drops ``dialect``'s
    prepared statements after text that may change the schema; None for a dialect that keeps
    none in SQLAlchemy (every driver but asyncpg)."""
    invalidate = getattr(dialect, "_invalidate_schema_cache", None)
    if invalidate is None:
        return None

    def text_statement_ran(sql: Any) -> None:
        if may_change_schema(sql):
            invalidate()

    return text_statement_ran


def forget_psycopg_prepared_statements(connection: Any) -> None:
    """psycopg 3: forget the prepared statements of ``connection`` (a SQLAlchemy connection),
    as psycopg does itself after a rollback: none is used again, and psycopg deallocates them
    on the server with the connection's next statement. Nothing to do (and no round trip)
    when none is prepared."""
    driver_connection = connection.connection.driver_connection
    clear = getattr(getattr(driver_connection, "_prepared", None), "clear", None)
    if clear is not None:
        clear()


def _after_cursor_execute(conn: Any, cursor: Any, statement: Any, *args: Any) -> None:
    if isinstance(statement, str) and may_change_schema(statement):
        forget_psycopg_prepared_statements(conn)


def watch_psycopg_connection(connection: Any) -> None:
    """On a psycopg 3 connection (sync or async), forget its prepared statements after every
    statement run on it that may change the schema; once per connection, nothing on other
    drivers."""
    if connection is None or connection.dialect.driver != "psycopg":
        return
    from sqlalchemy import event

    if not event.contains(connection, "after_cursor_execute", _after_cursor_execute):
        event.listen(connection, "after_cursor_execute", _after_cursor_execute)
