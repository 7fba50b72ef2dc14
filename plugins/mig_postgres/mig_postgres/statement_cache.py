"""Prepared statements (asyncpg, psycopg 3) and DDL given as SQL text.

SQLAlchemy's asyncpg dialect prepares every statement and keeps the prepared statements per
connection; it drops them after DDL it compiled itself, but DDL given as text (``op.execute(
"ALTER TABLE ...")``, a ``DO`` block, mig's own SQL text) looks like any statement to it.
psycopg 3 (sync and async) prepares a statement once it has run it ``prepare_threshold`` times
(5) on a connection, and drops its prepared statements itself only after a command whose status
is ``ALTER ...`` or ``DROP ...`` (or a rollback): not after a ``DO`` block or ``CREATE OR
REPLACE VIEW``. A statement prepared before such DDL and run again after it on the same
connection then fails ("cached statement plan is invalid due to a database schema or
configuration change" on asyncpg, "cached plan must not change result type" on psycopg), and
inside a migration's transaction that fails the run. mig drops the connection's prepared
statements after each text statement that may change the schema; reads and writes of rows do
not count, so a data migration's repeated statements stay prepared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mig_core.ddl.statements import first_words

#: first words of statements that only read or write rows
ROW_STATEMENTS = frozenset({
    "select", "insert", "update", "delete", "with", "values", "merge", "table", "copy",
    "explain", "show", "fetch", "move",
})


def may_change_schema(sql: Any) -> bool:
    """Whether SQL text ``sql`` (a string or ``text()``) may be DDL: anything but a statement
    that reads or writes rows. A SQLAlchemy construct is not text (SQLAlchemy knows its DDL)."""
    if not isinstance(sql, str):
        sql = getattr(sql, "text", None)  # a TextClause
        if not isinstance(sql, str):
            return False
    words = first_words(sql)
    return not words or words[0] not in ROW_STATEMENTS


def forget_psycopg_prepared_statements(connection: Any) -> None:
    """psycopg 3: forget the prepared statements of ``connection`` (a SQLAlchemy connection),
    as psycopg does itself after a rollback: none is used again, and psycopg deallocates them
    on the server with the connection's next statement. Nothing to do (and no round trip)
    when none is prepared."""
    driver_connection = connection.connection.driver_connection
    clear = getattr(getattr(driver_connection, "_prepared", None), "clear", None)
    if clear is not None:
        clear()


def schema_change_listener(dialect: Any, connection: Any) -> Callable[[Any], None] | None:
    """For :attr:`~mig_core.ddl.impl.DefaultImpl.text_statement_ran`: drops the prepared
    statements of ``dialect`` (asyncpg) or of ``connection`` (psycopg 3) after text that may
    change the schema; None for a driver that keeps none (psycopg2 and the others)."""
    invalidate: Callable[[], None] | None = getattr(dialect, "_invalidate_schema_cache", None)
    if invalidate is None and dialect.driver == "psycopg":

        def invalidate() -> None:
            forget_psycopg_prepared_statements(connection)

    if invalidate is None:
        return None
    drop = invalidate

    def text_statement_ran(sql: Any) -> None:
        if may_change_schema(sql):
            drop()

    return text_statement_ran
