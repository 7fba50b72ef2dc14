"""Server defaults as MySQL / MariaDB report them, compared with the model's.

Both texts are read into ``(value, on_update)``:

* ``NULL`` (unquoted) is no default;
* ``... ON UPDATE <expr>`` (SQLAlchemy puts MySQL's EXTRA into the reflected default) is split
  off; the model states it in its default text or as ``server_onupdate=text(...)``, and a bare
  ``server_onupdate=FetchedValue()`` accepts whatever the server has;
* wrapping parentheses are dropped (MySQL 8 stores expression defaults as ``(rand())``, MariaDB
  as ``rand()``);
* literals (quoted or not) on numeric and boolean columns compare as numbers (``'1'`` = ``1``,
  ``2.50`` = ``2.5``, ``true`` = ``1``), on date and time columns as dates and times
  (``'2020-01-01'`` = ``'2020-01-01 00:00:00'``), otherwise as text;
* expressions compare lower-cased without spaces, with an empty ``()`` after a bare name dropped
  (``current_timestamp()`` = ``CURRENT_TIMESTAMP``) and ``now()`` / ``localtimestamp`` /
  ``localtime`` read as ``current_timestamp``.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from mig_core.autogenerate.compare_columns import unwrap_parentheses

_ON_UPDATE = re.compile(r"^(?P<value>.*?)\s*\bON\s+UPDATE\s+(?P<expr>.+)$", re.I | re.S)
_EMPTY_CALL = re.compile(r"\b([a-z_][\w$]*)\(\)")
_TIMESTAMP_SYNONYMS = {"now": "current_timestamp", "localtimestamp": "current_timestamp",
                       "localtime": "current_timestamp"}
_SYNONYM_WORD = re.compile(r"\b(now|localtimestamp|localtime)\b")

#: a parsed default: ("lit", text) for a literal, ("expr", text) for an expression
Value = tuple[str, str]


def split_on_update(text: str | None) -> tuple[str | None, str | None]:
    """``"current_timestamp() ON UPDATE current_timestamp()"`` -> (default, on-update expr)."""
    if text is None:
        return None, None
    found = _ON_UPDATE.match(text.strip())
    if found is None:
        return text, None
    return (found.group("value") or None), found.group("expr")


#: MySQL's backslash escapes in string literals (``\\%`` and ``\\_`` keep their backslash)
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


def literal_value(text: str) -> str | None:
    """The value of a MySQL string literal (``'it''s'``, ``'a\\\\b'`` as SHOW CREATE TABLE and
    information_schema write them: quotes doubled, backslashes escaped); None when ``text`` is
    not one quoted literal."""
    if len(text) < 2 or text[0] != "'" or text[-1] != "'":
        return None
    out: list[str] = []
    i, end = 1, len(text) - 1
    while i < end:
        ch = text[i]
        if ch == "\\":
            if i + 1 == end:
                return None  # the closing quote is escaped
            nxt = text[i + 1]
            out.append("\\" + nxt if nxt in "%_" else _ESCAPES.get(nxt, nxt))
            i += 2
        elif ch == "'":
            if text[i + 1] != "'" or i + 1 == end:
                return None  # the literal ends before the text does
            out.append("'")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out) if i == end else None


def parse_value(text: str | None) -> Value | None:
    """One default (without ON UPDATE) as a literal or an expression; None for no default."""
    if text is None:
        return None
    out = unwrap_parentheses(text)
    if not out or out.upper() == "NULL":
        return None
    value = literal_value(out)
    if value is not None:
        return ("lit", value)
    if _number(out) is not None or out.lower() in ("true", "false"):
        return ("lit", out)
    return ("expr", normalize_expression(out))


def normalize_expression(text: str) -> str:
    """An expression default in one spelling (see the module docstring)."""
    out = unwrap_parentheses(text).lower()
    out = _EMPTY_CALL.sub(r"\1", out)
    out = _SYNONYM_WORD.sub(lambda m: _TIMESTAMP_SYNONYMS[m.group(1)], out)
    return "".join(out.split())


def _number(text: str) -> Decimal | None:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return Decimal(int(lowered == "true"))
    try:
        return Decimal(lowered)
    except InvalidOperation:
        return None


def _moment(text: str) -> Any:
    for parse in (datetime.datetime.fromisoformat, datetime.time.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _affinity(type_: Any) -> str:
    """"number", "moment" or "text": how literals of a column of this type compare."""
    import sqlalchemy as sa

    if isinstance(type_, (sa.Integer, sa.Numeric, sa.Boolean)) or type(type_).__name__ == "BIT":
        return "number"
    if isinstance(type_, (sa.DateTime, sa.Date, sa.Time)) or type(type_).__name__ == "YEAR":
        return "moment"
    return "text"


def values_equal(a: Value | None, b: Value | None, affinity: str) -> bool:
    """Two parsed defaults are the same value for a column of ``affinity``."""
    if a is None or b is None:
        return a is b
    if a[0] == "expr" or b[0] == "expr":  # a literal never equals an expression
        return a == b
    if a[1] == b[1]:
        return True
    if affinity == "number":
        x, y = _number(a[1]), _number(b[1])
        return x is not None and x == y
    if affinity == "moment":
        x, y = _moment(a[1]), _moment(b[1])
        return x is not None and x == y
    return False


def _model_on_update(meta_col: Any) -> tuple[bool, str | None]:
    """(whether the model states the ON UPDATE, its expression) from ``server_onupdate``."""
    onupdate = getattr(meta_col, "server_onupdate", None)
    if onupdate is None:
        return False, None
    arg = getattr(onupdate, "arg", None)
    text = getattr(arg, "text", arg)
    return True, text if isinstance(text, str) else None


def server_defaults_differ(dialect: Any, conn_col: Any, meta_col: Any,
                           conn_default: str | None, meta_default: str | None) -> bool:
    """Whether the reflected default text and the model's rendered default differ."""
    conn_value, conn_update = split_on_update(conn_default)
    meta_value, meta_update = split_on_update(meta_default)
    if meta_update is None:
        stated, meta_update = _model_on_update(meta_col)
        if stated and meta_update is None:
            meta_update = conn_update  # FetchedValue(): the server's, whatever it is
    if (conn_update is None) != (meta_update is None):
        return True
    if conn_update is not None and meta_update is not None and (
        normalize_expression(conn_update) != normalize_expression(meta_update)
    ):
        return True
    affinity = _affinity(getattr(meta_col, "type", None))
    arg = getattr(getattr(meta_col, "server_default", None), "arg", None)
    # a model string is the value itself (the core quotes it without MySQL's backslash escapes)
    meta = ("lit", arg) if isinstance(arg, str) else parse_value(meta_value)
    return not values_equal(parse_value(conn_value), meta, affinity)
