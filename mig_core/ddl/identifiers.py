"""Identifier length limits, checked before any statement of an operation is written.

A dialect plugin gives its server's limit as an :class:`IdentifierRule` (its impl's
``identifier_rule()``); the core checks the names each operation is about to write
(:mod:`mig_core.operations.toimpl`) before its first statement, online and offline, so a name
the server would refuse fails early with the operation and the name, instead of in the middle
of a run (or, on a server without transactional DDL, half-way through an operation).

A rule either refuses a long name (SQL Server, MySQL, Oracle) or, for a server that shortens
names itself (PostgreSQL), warns with the name the server will use. Names made by a naming
convention (and names marked with ``op.f()``) are first shortened as SQLAlchemy's compiler
writes them (:func:`truncated_name`; only index and constraint names, at the dialect's limit
for each), and only what is left is checked.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from typing import Any

from mig_core.errors import CommandError, MigWarning

#: the kinds of names SQLAlchemy's compiler itself refuses when longer than the dialect's
#: ``max_identifier_length`` (characters); a warning-only rule leaves those to it
_VALIDATED_KINDS = frozenset(
    {"primary key", "foreign key", "unique constraint", "check constraint", "constraint", "index"}
)


@dataclass(frozen=True)
class IdentifierRule:
    """A server's limit on the length of the names it is given."""

    #: how messages speak of the server: "SQL Server", "this Oracle database"
    server: str
    #: the longest name allowed, in :attr:`unit`
    limit: int
    #: "characters" or "bytes" (UTF-8)
    unit: str = "characters"
    #: appended to the error (how to set the limit when it is wrong), with its leading space
    hint: str = ""
    #: True when the server shortens a long name itself (a warning), False when it refuses it
    truncates: bool = False
    #: characters the server allows in no name, quoted or not (Oracle: the double quote)
    forbidden: str = ""

    def size(self, name: str) -> int:
        return len(name.encode("utf-8")) if self.unit == "bytes" else len(name)

    def fits(self, name: str) -> bool:
        """Whether ``name`` is within the limit: ``size(name) <= limit``, without encoding an
        ASCII name (each of its characters is one byte)."""
        if self.unit != "bytes" or name.isascii():
            return len(name) <= self.limit
        return len(name.encode("utf-8")) <= self.limit

    def shortened(self, name: str) -> str:
        """``name`` cut to the limit as a truncating server does (whole characters only)."""
        if self.unit != "bytes":
            return name[: self.limit]
        return name.encode("utf-8")[: self.limit].decode("utf-8", errors="ignore")


#: SQLAlchemy's marker class of conventional names, imported on first use (SQLAlchemy is
#: loaded by then; importing it here would load it for every command that imports this module)
_truncated_label: Any = None


def is_conventional(name: Any) -> bool:
    """True for names SQLAlchemy shortens itself (naming conventions, ``op.f()``)."""
    global _truncated_label
    if _truncated_label is None:
        from sqlalchemy.sql.elements import _truncated_label
    return isinstance(name, _truncated_label)


def truncated_name(name: str, limit: int) -> str:
    """A conventional name as SQLAlchemy writes it under ``limit`` (unchanged when it fits):
    the first ``limit - 8`` characters, ``_`` and the last four hex digits of its MD5."""
    if len(name) <= limit:
        return name
    digest = hashlib.md5(name.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{name[: limit - 8]}_{digest[-4:]}"


def _shown(name: str) -> str:
    return name if len(name) <= 40 else name[:37] + "..."


class IdentifierCheck:
    """Checks the names one operation is about to write against a rule.

    ``where`` names the operation in messages (``create_table('t')``), or is the operation
    object whose ``describe()`` does (called only for a message); ``truncate_at`` is the
    dialect's ``max_identifier_length``, ``index_truncate_at`` / ``constraint_truncate_at`` its
    ``max_index_name_length`` / ``max_constraint_name_length`` (None: the same): the lengths
    SQLAlchemy shortens conventional index and constraint names to (MySQL: 64, not 255). It
    shortens no other name.
    """

    def __init__(
        self,
        rule: IdentifierRule,
        where: Any,
        truncate_at: int | None = None,
        index_truncate_at: int | None = None,
        constraint_truncate_at: int | None = None,
    ) -> None:
        self.rule = rule
        self.limit = rule.limit
        self._where = where
        self.truncate_at = truncate_at or rule.limit
        self.index_truncate_at = index_truncate_at or self.truncate_at
        self.constraint_truncate_at = constraint_truncate_at or self.truncate_at

    @property
    def where(self) -> str:
        """The operation as messages name it."""
        where = self._where
        if not isinstance(where, str):
            where = self._where = where.describe()
        return where

    def _written(self, kind: str, name: str) -> str:
        """``name`` as SQLAlchemy's compiler writes it: a conventional index or constraint name
        shortened to the dialect's limit for its kind; any other name as it is."""
        if not is_conventional(name) or kind not in _VALIDATED_KINDS:
            return name
        limit = self.index_truncate_at if kind == "index" else self.constraint_truncate_at
        return truncated_name(name, limit)

    def name(self, kind: str, name: Any, new: bool = True) -> None:
        """Refuse (or warn about) ``name``, a ``kind`` name, when it is too long; ``new`` is
        False for a name that exists already (only a refusing rule checks those)."""
        if not isinstance(name, str) or not name:
            return  # None, or SQLAlchemy's "no name" marker
        rule = self.rule
        if rule.forbidden:
            self._allowed(kind, name)
        if rule.fits(name) and not is_conventional(name):
            return  # the usual name: written as it is, and short enough
        conventional = is_conventional(name)
        written = self._written(kind, name)
        size = rule.size(written)
        if size <= rule.limit:
            return
        if not rule.truncates:
            raise CommandError(
                f"{self.where}: the {kind} name {_shown(written)!r} is {size} {rule.unit} long; "
                f"{rule.server} allows at most {rule.limit}{rule.hint}"
            )
        if not new or (kind in _VALIDATED_KINDS and not conventional
                       and len(written) > self.truncate_at):
            return  # an existing name, or one SQLAlchemy refuses itself
        warnings.warn(
            f"{self.where}: the {kind} name {_shown(written)!r} is {size} {rule.unit} long; "
            f"{rule.server} keeps only the first {rule.limit}: {rule.shortened(written)!r}",
            MigWarning,
            stacklevel=2,
        )

    def _allowed(self, kind: str, name: str) -> None:
        """Refuse a name holding a character the server allows in no name."""
        found = next((c for c in self.rule.forbidden if c in name), None)
        if found is None:
            return
        what = {'"': "a double quote", "\0": "a NUL character"}.get(found, repr(found))
        raise CommandError(
            f"{self.where}: the {kind} name {_shown(name)!r} contains {what}, which "
            f"{self.rule.server} does not allow in a name, quoted or not"
        )

    def table(self, name: str, schema: str | None = None, new: bool = False) -> None:
        self.name("schema", schema, new=False)
        self.name("table", name, new=new)

    def constraint(self, constraint: Any, new: bool = True) -> None:
        kind = {
            "PrimaryKeyConstraint": "primary key",
            "ForeignKeyConstraint": "foreign key",
            "UniqueConstraint": "unique constraint",
            "CheckConstraint": "check constraint",
            "Index": "index",
        }.get(type(constraint).__name__, "constraint")
        self.name(kind, constraint.name, new=new)

    def column(self, column: Any, new: bool = True) -> None:
        """A column's name and the names it brings: its sequence."""
        self.name("column", column.name, new=new)
        default = getattr(column, "default", None)
        if new and default is not None and getattr(default, "is_sequence", False):
            self.name("schema", default.schema, new=False)
            self.name("sequence", default.name)

    def whole_table(self, table: Any) -> None:
        """A Table about to be created: its name, columns, constraints and indexes."""
        self.table(table.name, table.schema, new=True)
        for column in table.columns:
            self.column(column)
        for constraint in table.constraints:
            self.constraint(constraint)
        for index in table.indexes:
            self.constraint(index)
