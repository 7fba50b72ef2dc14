"""Which SQL texts only set the PostgreSQL session's state (``--resume`` sends them again: see
:meth:`mig_postgres.impl.PostgresqlImpl.session_statement`).

Besides ``SET`` and ``RESET``, a ``SELECT`` whose only items are ``set_config(name, value,
false)`` calls (``pg_catalog.set_config`` too, each with an optional ``AS`` alias) sets session
settings, as ``SET`` does; ``is_local`` true makes the setting the transaction's, which ends with
it. The values may be literals, bind parameters, ``current_setting(...)``, ``||`` and casts;
anything else in the SELECT (another item, a FROM, another function) makes it more than a
session setting. A text of several statements only sets the session's state when each does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mig_core.ddl.session import sets_session
from mig_core.ddl.statements import first_words

_TOKEN = re.compile(r"""
    (?P<blank>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<string>[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*')
  | (?P<dollar>\$\$.*?\$\$|\$(?P<tag>[A-Za-z_]\w*)\$.*?\$(?P=tag)\$)
  | (?P<cast>::)
  | (?P<param>:[A-Za-z_]\w*)
  | (?P<word>[A-Za-z_][\w$]*|"(?:[^"]|"")*")
  | (?P<number>\d+(?:\.\d*)?)
  | (?P<concat>\|\|)
  | (?P<other>.)
""", re.S | re.X)

#: the texts PostgreSQL reads as boolean false (``'f'``, ``'off'`` ...)
_FALSE_TEXTS = frozenset({"f", "fa", "fal", "fals", "false", "n", "no", "off", "0"})

Token = tuple[str, str]


def tokens(sql: str) -> list[Token]:
    """``(kind, text)`` of each token of ``sql``, blanks and comments left out; a word as
    PostgreSQL names it (lower-case unless quoted)."""
    found: list[Token] = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        assert kind is not None
        text = match.group(kind)
        if kind == "blank":
            continue
        if kind == "word":
            text = text[1:-1].replace('""', '"') if text.startswith('"') else text.lower()
        found.append((kind, text))
    return found


def statements(sql: str) -> list[str]:
    """The statements of ``sql``, split at its ``;`` outside strings and comments (empty ones
    left out)."""
    parts: list[str] = []
    start = 0
    for match in _TOKEN.finditer(sql):
        if match.lastgroup == "other" and match.group() == ";":
            parts.append(sql[start:match.start()])
            start = match.end()
    parts.append(sql[start:])
    return [part for part in parts if tokens(part)]


def sets_config_only(sql: str) -> bool:
    """Whether ``sql`` is ``SELECT set_config(name, value, false)`` (several such calls, and
    nothing else)."""
    found = tokens(sql)
    if found[:1] != [("word", "select")]:
        return False
    at = 1
    while True:
        at = _set_config_call(found, at)
        if at < 0:
            return False
        if _kind(found, at) == "word" and found[at][1] == "as" and _kind(found, at + 1) == "word":
            at += 2
        if found[at:at + 1] != [("other", ",")]:
            break
        at += 1
    return at == len(found)


def _kind(found: Sequence[Token], at: int) -> str | None:
    """The kind of the token at ``at``, or None past the end."""
    return found[at][0] if 0 <= at < len(found) else None


def _function(found: Sequence[Token], at: int, name: str) -> int:
    """Where the ``(`` after ``name`` or ``pg_catalog.name`` at ``at`` ends, or -1."""
    if found[at:at + 2] == [("word", "pg_catalog"), ("other", ".")]:
        at += 2
    if found[at:at + 2] != [("word", name), ("other", "(")]:
        return -1
    return at + 2


def _set_config_call(found: Sequence[Token], at: int) -> int:
    """The end of ``set_config(value, value, false)`` at ``at``, or -1."""
    at = _function(found, at, "set_config")
    for _ in range(2):
        at = _value(found, at) if at >= 0 else -1
        if at < 0 or found[at:at + 1] != [("other", ",")]:
            return -1
        at += 1
    at = _false(found, at)
    if at < 0 or found[at:at + 1] != [("other", ")")]:
        return -1
    return at + 1


def _value(found: Sequence[Token], at: int) -> int:
    """The end of a value at ``at`` (terms joined by ``||``), or -1."""
    at = _term(found, at)
    while at >= 0 and found[at:at + 1] == [("concat", "||")]:
        at = _term(found, at + 1)
    return at


def _term(found: Sequence[Token], at: int) -> int:
    """The end of a literal, bind parameter, ``current_setting(...)`` or ``(value)``, with its
    casts, at ``at``; or -1."""
    if at >= len(found):
        return -1
    kind, text = found[at]
    if kind in ("string", "dollar", "param", "number"):
        at += 1
    elif (kind, text) == ("other", "("):
        at = _value(found, at + 1)
        if at < 0 or found[at:at + 1] != [("other", ")")]:
            return -1
        at += 1
    else:
        at = _current_setting(found, at)
    return _casts(found, at)


def _current_setting(found: Sequence[Token], at: int) -> int:
    """The end of ``current_setting(value [, value])`` at ``at``, or -1."""
    at = _function(found, at, "current_setting")
    at = _value(found, at) if at >= 0 else -1
    if at >= 0 and found[at:at + 1] == [("other", ",")]:
        at = _value(found, at + 1)
    if at < 0 or found[at:at + 1] != [("other", ")")]:
        return -1
    return at + 1


def _casts(found: Sequence[Token], at: int) -> int:
    """After ``at``, past any ``::type`` (a name, maybe schema-qualified)."""
    while at >= 0 and found[at:at + 1] == [("cast", "::")]:
        if _kind(found, at + 1) != "word":
            return -1
        at += 2
        if found[at:at + 1] == [("other", ".")] and _kind(found, at + 1) == "word":
            at += 2
    return at


def _false(found: Sequence[Token], at: int) -> int:
    """The end of a boolean false (``false``, ``'off'``, maybe cast to boolean), or -1."""
    if at >= len(found):
        return -1
    kind, text = found[at]
    if (kind, text) == ("word", "false"):
        at += 1
    elif kind == "string" and text[:1] == "'" and text[1:-1].strip().lower() in _FALSE_TEXTS:
        at += 1
    else:
        return -1
    while found[at:at + 1] == [("cast", "::")] and found[at + 1:at + 2] in (
            [("word", "bool")], [("word", "boolean")]):
        at += 2
    return at


def only_sets_session(sql: str) -> bool:
    """Whether every statement of ``sql`` sets the session's state: ``SET`` (not ``SET LOCAL``
    / ``TRANSACTION`` / ``CONSTRAINTS``), ``RESET``, or ``SELECT set_config(..., false)``."""
    parts = statements(sql)
    return bool(parts) and all(_one(part) for part in parts)


def sets_session_state(sql: str) -> bool:
    """Whether the one statement ``sql`` only sets the session's state (see
    :func:`only_sets_session`)."""
    return _one(sql)


def _one(sql: str) -> bool:
    return sets_session(sql) or first_words(sql)[:1] == ["reset"] or sets_config_only(sql)
