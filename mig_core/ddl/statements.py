"""SQL text that mig writes or reads itself, as opposed to a user's ``op.execute("...")``.

A plain ``str`` given to :meth:`~mig_core.ddl.impl.DefaultImpl.execute` is a user's statement
and runs as ``sqlalchemy.text()`` (Alembic's semantics: ``:name`` is a bind parameter,
``\\:`` a colon). Text an implementation built itself must not be read that way: a server
default ``'at :now'`` or a trigger's body would become a parameter. Such text is passed as
one of the two ``str`` subclasses below, which say how it reaches the driver:

* :class:`CompiledSQL`: what SQLAlchemy's DDL compiler and identifier preparer write for the
  connection's dialect, including f-strings joining such pieces. Where the driver's paramstyle
  reads ``%`` (psycopg2, pymysql: ``format`` / ``pyformat``) they write a literal ``%`` as
  ``%%``, and the driver turns it back, exactly as for SQLAlchemy's own DDL.
* :class:`VerbatimSQL`: text that must reach the server byte for byte: read from the server
  (``sqlite_master``, ``pg_get_triggerdef()``, ``SHOW CREATE ...``) or written without the
  preparer. Nothing in it is a parameter and ``%`` is left as it is.

To put verbatim text inside a compiled-form f-string (a foreign key definition read from the
server after a quoted table name), pass it through
:meth:`~mig_core.ddl.impl.DefaultImpl.compiled_form` first.

Offline (``--sql``) both are written as they are, like any statement text.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

#: leading comments and blanks of a SQL text
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_WORD = re.compile(r"[A-Za-z]+")


def first_words(sql: str, count: int = 1) -> list[str]:
    """The first ``count`` words of SQL text, lower-case, after blanks, comments and
    parentheses (``["create", "temporary"]``); fewer when the text has fewer."""
    start = _LEADING.match(sql)
    return [w.lower() for w in _WORD.findall(sql[start.end() if start else 0:][:40])][:count]


class SQLText(str):
    """SQL text mig built or read itself (use one of the two subclasses)."""

    __slots__ = ()
    #: whether the text is in the compiled form (``%`` doubled where the driver reads it)
    compiled: ClassVar[bool] = False


class CompiledSQL(SQLText):
    """SQL text as SQLAlchemy's compiler writes it for the connection's dialect."""

    __slots__ = ()
    compiled = True


class VerbatimSQL(SQLText):
    """SQL text that reaches the server exactly as it is (no parameters, ``%`` untouched)."""

    __slots__ = ()
    compiled = False


def server_form(dialect: Any, sql: str) -> str:
    """SQL text in the compiled form (what SQLAlchemy's compiler and identifier preparer write
    for ``dialect``: ``%`` doubled where the driver's paramstyle reads it) as the server reads
    it, for a bound value or :class:`VerbatimSQL`, which nothing undoes the doubling in. The
    inverse of :meth:`~mig_core.ddl.impl.DefaultImpl.compiled_form`."""
    if dialect.identifier_preparer._double_percents:
        return sql.replace("%%", "%")
    return sql


def text_escaped(sql: str) -> str:
    """``sql`` written for ``sqlalchemy.text()`` so that it compiles back to exactly ``sql``:
    a backslash before each colon ``text()`` would take as a bind parameter (``:name``) or as
    the escape of one (``\\:name``, which loses its backslash). For SQL read from the
    database and handed to SQLAlchemy as ``text()`` (a reflected server default, a CHECK's
    condition), whose ``'at :now'`` is not a parameter. The colons are found with
    SQLAlchemy's own patterns for them, so ``::`` casts and ``a:b`` stay as they are."""
    if ":" not in sql:
        return sql
    from sqlalchemy.sql.compiler import BIND_PARAMS, BIND_PARAMS_ESC

    colons = {m.start() for m in BIND_PARAMS.finditer(sql)}
    colons.update(m.start(1) for m in BIND_PARAMS_ESC.finditer(sql))
    if not colons:
        return sql
    out, last = [], 0
    for at in sorted(colons):
        out.append(sql[last:at])
        out.append("\\")
        last = at
    out.append(sql[last:])
    return "".join(out)


def unescape_colons(sql: str) -> str:
    """A user's statement string as ``sqlalchemy.text()`` writes it: each ``\\:`` escape a
    plain colon. Offline scripts write ``op.execute("...")`` strings this way, so
    ``'10\\:30'`` is ``'10:30'`` in the script as in an online run; a ``:name`` is left as
    written (``text()`` with literal values would write NULL in its place)."""
    if "\\:" not in sql:
        return sql
    from sqlalchemy.sql.compiler import BIND_PARAMS_ESC

    return BIND_PARAMS_ESC.sub(lambda m: m.group(1), sql)


def verbatim_text(sql: str) -> Any:
    """A ``sqlalchemy.text()`` clause that compiles to exactly ``sql`` (see
    :func:`text_escaped`): no bind parameters."""
    from sqlalchemy import text

    return text(text_escaped(sql))
