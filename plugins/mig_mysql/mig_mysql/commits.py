"""Which statements MySQL / MariaDB commit the transaction around (the manuals' "Statements
That Cause an Implicit Commit", checked on MariaDB 10.11): mig counts what took effect by them
(see ``mig_core.runtime.progress``).

Besides DDL's first words (``implicit_commit_words``), read here:

* ``LOCK TABLE(S)`` commits what waits, then holds locks under which no other table may be
  written until ``UNLOCK TABLE(S)``, which commits what was sent under them;
* ``ANALYZE`` / ``OPTIMIZE`` / ``REPAIR`` with ``LOCAL`` or ``NO_WRITE_TO_BINLOG`` before
  ``TABLE``;
* MariaDB's ``SET STATEMENT var = value FOR <statement>``: as the statement it runs;
* an executable comment (``/*!50001 CREATE VIEW ... */``, as mysqldump writes them): as its
  body;
* ``CREATE TEMPORARY SEQUENCE`` commits (MariaDB), while ``CREATE OR REPLACE TEMPORARY TABLE``
  stays in the transaction, as ``CREATE TEMPORARY TABLE`` does, and so does MariaDB's compound
  statement ``BEGIN NOT ATOMIC ... END`` (``BEGIN`` alone starts a transaction: it commits).

(The manual also lists ``CACHE INDEX`` and ``LOAD INDEX INTO CACHE``; on InnoDB tables MariaDB
10.11 commits nothing for them. Counted anyway: mig commits before and after a statement it
counts, so the count stays exact either way.)
"""

from __future__ import annotations

import re
from typing import Any

from mig_core.ddl.statements import first_words
from mig_core.runtime.progress import COMMITS, LOCKS, UNLOCKS, commits_by_itself

#: the verbs whose ``LOCAL`` / ``NO_WRITE_TO_BINLOG`` stands between them and ``TABLE``
_TABLE_MAINTENANCE = frozenset({"analyze", "optimize", "repair"})
_SET_STATEMENT = re.compile(r"\s*SET\s+STATEMENT\s.*?\sFOR\s+(?P<inner>.+)", re.I | re.S)
#: a statement that is one executable comment, as mysqldump writes them (``/*!50001 CREATE VIEW
#: ... */``, MariaDB's ``/*M!100100 ... */``): the server runs its body (one older than the
#: version number skips it, as it did before)
EXECUTABLE_COMMENT = re.compile(r"\s*/\*M?!\d*(?P<body>(?:(?!\*/).)*)\*/\s*;?\s*\Z", re.S)


def commit_kind(sql: Any, words: frozenset[str]) -> str | None:
    """``COMMITS``, ``LOCKS``, ``UNLOCKS`` or None for ``sql`` (text or a SQLAlchemy
    construct), ``words`` being the impl's ``implicit_commit_words``."""
    text = getattr(sql, "text", sql)  # a TextClause's SQL
    if not isinstance(text, str):
        return COMMITS if commits_by_itself(sql, words) else None
    executable = EXECUTABLE_COMMENT.match(text)
    if executable:  # counted as run: a server that skips it commits nothing, which mig's
        return commit_kind(executable.group("body"), words)  # commits around it allow for
    found = first_words(text, 6)
    head = found[:1]
    if head == ["lock"] and found[1:2] in (["tables"], ["table"]):
        return LOCKS
    if head == ["unlock"] and found[1:2] in (["tables"], ["table"]):
        return UNLOCKS
    if head == ["set"]:
        inner = _SET_STATEMENT.match(text)
        if inner:
            return commit_kind(inner.group("inner"), words)
        return None  # (``SET autocommit = 1``: the driver reports it, see progress)
    if head and head[0] in _TABLE_MAINTENANCE:
        rest = found[1:]
        if rest[:1] == ["local"]:
            rest = rest[1:]
        elif rest[:4] == ["no", "write", "to", "binlog"]:
            rest = rest[4:]
        if rest[:1] == ["table"]:
            return COMMITS if f"{head[0]} table" in words else None
    if found[:4] == ["create", "or", "replace", "temporary"]:
        return None
    if found[:3] == ["create", "temporary", "sequence"]:
        return COMMITS
    if found[:3] == ["begin", "not", "atomic"]:
        return None
    return COMMITS if commits_by_itself(text, words) else None
