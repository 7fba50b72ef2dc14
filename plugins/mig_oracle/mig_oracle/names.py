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
same conventional name finds the same shortened name. A name holding a double quote (or a
NUL), which Oracle allows in no identifier, quoted or not, is refused the same way. The checks themselves are the core's
(:mod:`mig_core.ddl.identifiers`), shared with the other dialect plugins; this plugin runs them
from its own impl methods, between its other checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mig_core.ddl import identifiers
from mig_core.ddl.identifiers import is_conventional, truncated_name
from mig_core.errors import ConfigError

__all__ = ["IdentifierCheck", "is_conventional", "truncated_name"]

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


def rule_for(dialect: Any) -> identifiers.IdentifierRule:
    """The limit in force for ``dialect``, in bytes, as a rule of the core's checks."""
    return identifiers.IdentifierRule(
        server="this Oracle database",
        limit=limit_of(dialect),
        unit="bytes",
        hint=f" (set {OPTION} in context.configure() if the limit is wrong)",
        forbidden='"\0',
    )


def byte_length(name: str) -> int:
    """Oracle counts identifier length in bytes (AL32UTF8: UTF-8)."""
    return len(name.encode("utf-8"))


class IdentifierCheck(identifiers.IdentifierCheck):
    """Checks the names one operation is about to write against the dialect's limit."""

    def __init__(self, dialect: Any, where: str) -> None:
        rule = rule_for(dialect)
        super().__init__(rule, where, truncate_at=rule.limit)

    def table(self, name: str, schema: str | None = None, new: bool = True) -> None:
        super().table(name, schema, new=new)
