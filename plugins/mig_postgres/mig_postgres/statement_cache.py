"""asyncpg's prepared statements and DDL given as SQL text.

SQLAlchemy's asyncpg dialect prepares every statement and keeps the prepared statements per
connection; it drops them after DDL it compiled itself, but DDL given as text (``op.execute(
"ALTER TABLE ...")``, a ``DO`` block, mig's own SQL text) looks like any statement to it. A
statement prepared before such DDL and run again after it on the same connection then fails
("cached statement plan is invalid due to a database schema or configuration change"), and
inside a migration's transaction that fails the run. mig tells the dialect after each text
statement that may change the schema; reads and writes of rows do not count, so a data
migration's repeated statements stay prepared.
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


def schema_change_listener(dialect: Any) -> Callable[[Any], None] | None:
    """For :attr:`~mig_core.ddl.impl.DefaultImpl.text_statement_ran`: drops ``dialect``'s
    prepared statements after text that may change the schema; None for a dialect that keeps
    none (every driver but asyncpg)."""
    invalidate = getattr(dialect, "_invalidate_schema_cache", None)
    if invalidate is None:
        return None

    def text_statement_ran(sql: Any) -> None:
        if may_change_schema(sql):
            invalidate()

    return text_statement_ran
