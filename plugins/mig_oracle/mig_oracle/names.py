"""Oracle identifier length limits, checked before any statement of an operation is written.

Oracle allows names of at most 128 bytes (12.2 and later) or 30 bytes (earlier versions, or a
lower ``COMPATIBLE`` setting). The limit is the dialect's ``max_identifier_length``: SQLAlchemy
sets it from the server on connect, ``create_engine(..., max_identifier_length=30)`` or
``dialect_opts={"max_identifier_length": 30}`` set it by hand, and mig's
``context.configure(oracle_max_identifier_length=30)`` sets it for one run (offline scripts for
an old server need it: there is no server to ask).

A name that is too long is an error naming the operation, the kind of name and its length,
raised before any of the operation's SQL is written: Oracle DDL is not transactional, so a
half-applied operation would stay half-applied. Names made by a naming convention (and names
marked with ``op.f()``) are shortened instead, deterministically and exactly as SQLAlchemy's
compiler does when it writes them: the first ``limit - 8`` characters, ``_`` and the last four
hex digits of the name's MD5 (:func:`truncated_name`), so a later ``drop_constraint`` of the
same conventional name finds the same shortened name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from mig_core.errors import CommandError, ConfigError

#: ``context.configure()`` option setting the limit for a run
OPTION = "oracle_max_identifier_length"
#: Oracle 12.2 and later
DEFAULT_LIMIT = 128
#: Oracle before 12.2
LEGACY_LIMIT = 30


def configure_limit(dialect: Any, context_opts: Mapping[str, Any]) -> None:
    """Apply ``oracle_max_identifier_length`` from ``context_opts`` to ``dialect``, if given.

    The dialect itself is changed, so SQLAlchemy's naming-convention truncation uses the same
    limit as the checks here.
    """
    value = context_opts.get(OPTION)
    if value is None:
        return
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if limit < 1:
        raise ConfigError(f"{OPTION} must be a positive whole number of bytes, not {value!r}")
    dialect.max_identifier_length = limit
    dialect._user_defined_max_identifier_length = limit


def limit_of(dialect: Any) -> int:
    """The identifier length limit in force for ``dialect``."""
    return int(getattr(dialect, "max_identifier_length", None) or DEFAULT_LIMIT)


def is_conventional(name: Any) -> bool:
    """True for names SQLAlchemy shortens itself (naming conventions, ``op.f()``)."""
    from sqlalchemy.sql.elements import _truncated_label

    return isinstance(name, _truncated_label)


def truncated_name(name: str, limit: int) -> str:
    """A conventional name as SQLAlchemy writes it under ``limit`` (unchanged when it fits)."""
    if len(name) <= limit:
        return name
    digest = hashlib.md5(name.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{name[: limit - 8]}_{digest[-4:]}"


def byte_length(name: str) -> int:
    """Oracle counts identifier length in bytes (AL32UTF8: UTF-8)."""
    return len(name.encode("utf-8"))


class IdentifierCheck:
    """Checks the names one operation is about to write against the dialect's limit."""

    def __init__(self, dialect: Any, where: str) -> None:
        self.limit = limit_of(dialect)
        self.where = where

    def name(self, kind: str, name: Any) -> None:
        """Raise :class:`CommandError` when ``name`` (a ``kind`` name) is too long."""
        if not isinstance(name, str) or not name:
            return  # None, or SQLAlchemy's "no name" marker
        written = truncated_name(name, self.limit) if is_conventional(name) else name
        size = byte_length(written)
        if size > self.limit:
            shown = written if len(written) <= 40 else written[:37] + "..."
            raise CommandError(
                f"{self.where}: the {kind} name {shown!r} is {size} bytes long; this Oracle "
                f"database allows at most {self.limit} (set {OPTION} in context.configure() "
                "if the limit is wrong)"
            )

    def table(self, name: str, schema: str | None = None) -> None:
        self.name("schema", schema)
        self.name("table", name)

    def constraint(self, constraint: Any) -> None:
        kind = {
            "PrimaryKeyConstraint": "primary key",
            "ForeignKeyConstraint": "foreign key",
            "UniqueConstraint": "unique constraint",
            "CheckConstraint": "check constraint",
            "Index": "index",
        }.get(type(constraint).__name__, "constraint")
        self.name(kind, constraint.name)

    def column(self, column: Any) -> None:
        """A column's name and the names it brings: its sequence, its foreign-key referent."""
        self.name("column", column.name)
        default = getattr(column, "default", None)
        if default is not None and getattr(default, "is_sequence", False):
            self.name("schema", default.schema)
            self.name("sequence", default.name)

    def whole_table(self, table: Any) -> None:
        """A Table about to be created: its name, columns, constraints and indexes."""
        self.table(table.name, table.schema)
        for column in table.columns:
            self.column(column)
        for constraint in table.constraints:
            self.constraint(constraint)
        for index in table.indexes:
            self.constraint(index)
