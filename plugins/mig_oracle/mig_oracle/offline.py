"""Long values and long lines in offline scripts, as Oracle and SQL*Plus / SQLcl take them.

Oracle refuses a string literal over 4000 bytes (ORA-01704), and SQL*Plus a line over 2499
characters (SP2-0027, 4999 from 12.2), where online a bound value has neither limit. So:

* a string whose literal would be longer than :data:`CHUNK` characters is written as pieces on
  lines of their own, ``'...'\\n|| '...'``, each piece at most :data:`CHUNK` characters (so at
  most 4000 bytes); over 4000 bytes in all the pieces are ``TO_CLOB(...)``, as a concatenation
  of plain literals over 4000 bytes fails too (ORA-01489);
* a line still longer than :data:`LINE_LIMIT` (an INSERT of many values) is broken after commas
  outside quotes and comments.
"""

from __future__ import annotations

import re
from typing import Any

#: the most characters of one literal piece (escaped), and so of the line holding it
CHUNK = 1000
#: the longest line a script keeps as it is (SQL*Plus before 12.2 reads 2499 characters)
LINE_LIMIT = 2000
#: Oracle's limit on a string literal, and on a VARCHAR2 expression, in bytes
LITERAL_BYTES = 4000
#: alternative quoting (q'[...]'), whose quotes a simple scan cannot follow
_Q_QUOTE = re.compile(r"(?<![\w$#])[nN]?[qQ]'")


def literal(value: Any) -> str | None:
    """A string too long for one literal line as concatenated pieces, else None."""
    if not isinstance(value, str) or len(value) + value.count("'") + 2 <= CHUNK:
        return None
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in value:
        width = 2 if char == "'" else 1
        if size + width > CHUNK - 2:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    pieces.append("".join(current))
    clob = len(value.encode("utf-8")) > LITERAL_BYTES
    quoted = ["'" + piece.replace("'", "''") + "'" for piece in pieces]
    if clob:
        quoted = [f"TO_CLOB({piece})" for piece in quoted]
    return "\n|| ".join(quoted)


def wrap_long_lines(text: str) -> str:
    """``text`` with every line over :data:`LINE_LIMIT` characters broken after commas outside
    quotes, so that no piece is much over :data:`CHUNK`; a line with a comment or Oracle's
    alternative quoting is left as it is."""
    if all(len(line) <= LINE_LIMIT for line in text.split("\n")):
        return text
    out: list[str] = []
    quote = ""  # the quote open at the end of the previous line, if any
    for line in text.split("\n"):
        if len(line) <= LINE_LIMIT or _Q_QUOTE.search(line):
            out.append(line)
            quote = _open_quote(line, quote)
            continue
        pieces, start, index = [], 0, 0
        while index < len(line):
            char = line[index]
            if quote:
                if char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif line.startswith("--", index) or line.startswith("/*", index):
                break
            elif char == "," and index - start >= CHUNK:
                pieces.append(line[start:index + 1])
                start = index + 1
                while start < len(line) and line[start] == " ":
                    start += 1
                index = start
                continue
            index += 1
        out.extend([*pieces, line[start:]])  # a comment ends the line: no quote stays open
    return "\n".join(out)


def _open_quote(line: str, quote: str) -> str:
    """The quote still open after ``line`` (``quote`` open before it); a doubled quote
    inside a literal closes and reopens it, which ends the same."""
    for char in line:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
    return quote
