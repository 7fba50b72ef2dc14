"""MySQL / MariaDB identifier length limit, checked before any statement of an operation runs.

Table, column, index, constraint and database names hold at most 64 characters; a longer one
fails on the server ("Identifier name ... is too long"), and MySQL DDL is not transactional, so
an operation would be left half-applied. mig refuses it first, naming the operation and the
name (the checks are the core's, :mod:`mig_core.ddl.identifiers`). SQLAlchemy shortens index
and constraint names made by a naming convention to 64 characters itself (its general limit,
255, applies to no name MySQL takes); those are checked as it writes them.
"""

from __future__ import annotations

from mig_core.ddl.identifiers import IdentifierRule

LIMIT = 64


def rule_for(server: str) -> IdentifierRule:
    """The rule for ``server`` ("MySQL" or "MariaDB"), as messages name it."""
    return IdentifierRule(server=server, limit=LIMIT)
