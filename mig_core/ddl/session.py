"""Statements that only change the session's (the connection's) state, such as ``SET
search_path`` or ``SET foreign_key_checks = 0``: a revision resumed with ``--resume`` runs on a
new connection, so such a statement among the ones it skips is sent again (see
:meth:`DefaultImpl.session_statement <mig_core.ddl.impl.DefaultImpl.session_statement>` and
:mod:`mig_core.runtime.progress`).

Each dialect's impl decides; these helpers read the SQL text.
"""

from __future__ import annotations

from typing import Any

from mig_core.ddl.statements import first_words

#: the second word of a ``SET`` that does not set the session's state: a transaction's (it
#: ends with that transaction), the server's or an account's (they outlive the connection), or
#: one statement's (MariaDB's ``SET STATEMENT ... FOR``)
NOT_SESSION_SETS = frozenset({"transaction", "constraint", "constraints", "local", "global",
                              "persist", "password", "default", "statement"})


def statement_text(sql: Any) -> str | None:
    """The SQL text of ``sql`` when it is text (a string, mig's own SQL text, or a
    ``sqlalchemy.text()`` clause); None for a construct."""
    if isinstance(sql, str):
        return sql
    from sqlalchemy.sql.elements import TextClause

    return sql.text if isinstance(sql, TextClause) else None


def sets_session(sql: Any, not_session: frozenset[str] = NOT_SESSION_SETS) -> bool:
    """Whether ``sql`` is ``SET ...`` for the session: ``SET x = 1``, ``SET SESSION x``, ``SET
    ROLE``, ``SET NAMES``, ``SET @v = 1``, but not when its second word is in ``not_session``
    (``SET TRANSACTION``, ``SET GLOBAL``, ``SET PASSWORD`` ...)."""
    text = statement_text(sql)
    if text is None:
        return False
    words = first_words(text, 2)
    return words[:1] == ["set"] and words[1:2] != [] and words[1] not in not_session
