"""Statements that only change the session's (the connection's) state, such as ``SET
search_path`` or ``SET foreign_key_checks = 0``: a revision resumed with ``--resume`` runs on a
new connection, so such a statement among the ones it skips is sent again (see
:meth:`DefaultImpl.session_statement <mig_core.ddl.impl.DefaultImpl.session_statement>` and
:mod:`mig_core.runtime.progress`).

Each dialect's impl decides; these helpers read the SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


def session_part(
    sql: Any, split: Callable[[str], list[str]], sets: Callable[[str], bool]
) -> Any | None:
    """The part of ``sql`` that only sets the session's state: ``sql`` itself when each of its
    statements (``split`` cuts its text into them) does (``sets``), None when none does, else
    the ones that do, joined with ``;`` (for ``SET search_path TO app; CREATE TABLE t ...``,
    ``SET search_path TO app``): a string for a string, a ``text()`` keeping the bound values
    it names for a ``text()``."""
    text = statement_text(sql)
    if text is None:
        return None
    pieces = split(text)
    kept = [piece.strip() for piece in pieces if sets(piece)]
    if not kept:
        return None
    if len(kept) == len(pieces):
        return sql
    joined = "; ".join(kept)
    if isinstance(sql, str):
        return joined
    from sqlalchemy import text as sql_text

    part = sql_text(joined)
    named = [bind for key, bind in sql._bindparams.items() if key in part._bindparams]
    return part.bindparams(*named) if named else part


def lexer(comment: str, quoted: str) -> re.Pattern[str]:
    """A pattern for :func:`split_outside`: a dialect's ``comment`` and ``quoted`` (strings,
    quoted names) as alternations, any other character alone."""
    return re.compile(rf"(?P<comment>{comment})|(?P<quoted>{quoted})|(?P<char>.)", re.S)


def split_outside(sql: str, tokens: re.Pattern[str], separator: str) -> list[str]:
    """The pieces of ``sql`` between its ``separator`` characters that stand outside
    parentheses, strings, quoted names and comments (``tokens``, made by :func:`lexer`),
    stripped; a piece of blanks and comments only is left out."""
    pieces: list[str] = []
    start = depth = 0
    content = False
    for match in tokens.finditer(sql):
        char = match.group("char")
        if char == separator and depth == 0:
            if content:
                pieces.append(sql[start:match.start()].strip())
            start, content = match.end(), False
            continue
        if char is not None:
            depth += (char == "(") - (char == ")")
            content = content or not char.isspace()
        elif match.group("quoted") is not None:
            content = True
    if content:
        pieces.append(sql[start:].strip())
    return pieces
