"""The index a failed ``CREATE INDEX CONCURRENTLY`` leaves behind.

PostgreSQL builds a concurrent index in several transactions; when the build fails (a unique
index over duplicate values, a deadlock, a cancel) the index stays, marked INVALID
(``pg_index.indisvalid`` false): it is not used for reads but is kept up to date by writes, and
running the statement again fails with "already exists". It must be dropped first, with
``DROP INDEX CONCURRENTLY``. After such a failure inside an ``autocommit_block()`` the failure's
message says so, with the exact statement.
"""

from __future__ import annotations

import re
from typing import Any

_NAME = r'"(?:[^"]|"")+"|[^\s".(]+'
_CREATE_CONCURRENTLY = re.compile(
    r"\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<name>{_NAME})\s+ON\s+(?:ONLY\s+)?(?P<table>(?:{_NAME})(?:\s*\.\s*(?:{_NAME}))?)",
    re.IGNORECASE,
)
_INVALID = (
    "SELECT n.nspname, c.relname, pg_catalog.pg_table_is_visible(c.oid) "
    "FROM pg_catalog.pg_index i "
    "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE NOT i.indisvalid AND c.relname = :name "
    "AND i.indrelid = pg_catalog.to_regclass(:table)"
)


def concurrent_index(statement: str) -> tuple[str, str] | None:
    """The index name (as the catalog holds it) and the table (as written) of a
    ``CREATE [UNIQUE] INDEX CONCURRENTLY`` statement; None for any other statement, or one
    that leaves the name to the server."""
    found = _CREATE_CONCURRENTLY.match(statement)
    if found is None:
        return None
    name = found["name"]
    if name.startswith('"'):
        name = name[1:-1].replace('""', '"')
    else:
        name = name.lower()
    return name, found["table"]


def invalid_index_note(conn: Any, statement: str | None) -> str | None:
    """After ``statement`` failed: when it was a ``CREATE INDEX CONCURRENTLY`` whose index is
    there and INVALID, the sentence naming it and the ``DROP INDEX CONCURRENTLY`` to run."""
    import sqlalchemy as sa

    index = concurrent_index(statement) if statement else None
    if index is None or conn is None:
        return None
    name, table = index
    row = conn.execute(sa.text(_INVALID), {"name": name, "table": table}).first()
    if row is None:
        return None
    preparer = conn.dialect.identifier_preparer
    shown = preparer.quote(row[1])
    if not row[2]:  # not found through the search path: name its schema
        shown = f"{preparer.quote_schema(row[0])}.{shown}"
    return (f"The failed statement left the index {shown} behind, INVALID "
            f"(pg_index.indisvalid is false): run `DROP INDEX CONCURRENTLY {shown}` before "
            "running the revision again")
