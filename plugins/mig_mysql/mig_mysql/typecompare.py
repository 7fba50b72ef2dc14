"""Column types as MySQL / MariaDB store them, compared.

Both types are compiled for the run's dialect (so TypeDecorators and variants count as what
they emit) and read back into a :class:`Spec`: a family name, its size arguments and the
modifiers MySQL keeps (UNSIGNED, ZEROFILL, charset, collation, enum values). Then:

* integers: BOOL / BOOLEAN is ``TINYINT(1)``; display widths (``INT(11)``) are ignored, except
  that a model Boolean differs from a ``TINYINT`` of another width; UNSIGNED / ZEROFILL count;
* ``DECIMAL`` = ``NUMERIC`` with MySQL's defaults (10, 0) for what the model leaves out;
  ``REAL``, ``DOUBLE``, ``DOUBLE PRECISION`` and ``FLOAT(p)`` with p > 24 are ``DOUBLE``;
* ``TINYTEXT`` .. ``LONGTEXT`` and ``TINYBLOB`` .. ``LONGBLOB`` by size; a model ``Text(n)`` /
  ``LargeBinary(n)`` matches the sizes MySQL may pick for n characters / bytes;
* ``JSON`` matches a MariaDB ``LONGTEXT`` (MariaDB's JSON is an alias);
* ``ENUM`` / ``SET`` value sets compared ignoring order;
* ``DATETIME`` / ``TIMESTAMP`` / ``TIME`` fractional precision (none is 0), ``BIT`` length,
  string and binary lengths when both sides give one;
* charset and collation only when the model names one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_INTEGERS = {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT", "BOOL", "BOOLEAN"}
_NAMES = {
    "INTEGER": "INT", "BOOL": "TINYINT", "BOOLEAN": "TINYINT", "NUMERIC": "DECIMAL",
    "DEC": "DECIMAL", "FIXED": "DECIMAL", "REAL": "DOUBLE", "DOUBLE PRECISION": "DOUBLE",
    "CHARACTER": "CHAR", "CHARACTER VARYING": "VARCHAR",
}
#: TEXT / BLOB sizes, smallest first, with the bytes each holds
_SIZES = (("TINY", 255), ("", 65_535), ("MEDIUM", 16_777_215), ("LONG", 4_294_967_295))
_SIZED = {f"{prefix}{base}": (base, i) for base in ("TEXT", "BLOB")
          for i, (prefix, _) in enumerate(_SIZES)}
_FRACTIONAL = {"DATETIME", "TIMESTAMP", "TIME"}
#: bytes per character of the widest charset (utf8mb4): a TEXT(n) may need 4n bytes
_MAX_CHAR_BYTES = 4

_TYPE_TEXT = re.compile(
    r"^(?P<national>NATIONAL\s+)?(?P<name>[A-Z][A-Z ]*?)\s*(?:\((?P<args>.*)\))?"
    r"(?P<tail>\s+[^()]*)?$",
    re.S | re.I,
)
_CHARSET = re.compile(r"\b(?:CHARACTER SET|CHARSET)\s+(\w+)", re.I)
_COLLATE = re.compile(r"\bCOLLATE\s+(\w+)", re.I)
_QUOTED = re.compile(r"'((?:[^'\\]|''|\\.)*)'", re.S)


@dataclass(frozen=True)
class Spec:
    """What MySQL keeps of a column type."""

    name: str
    args: tuple[str, ...] = ()
    unsigned: bool = False
    zerofill: bool = False
    boolean: bool = False
    charset: str | None = None
    collation: str | None = None
    binary: bool = False
    values: frozenset[str] | None = None


def spec_of(dialect: Any, type_: Any) -> Spec | None:
    """The :class:`Spec` of ``type_`` compiled for ``dialect``; None when it does not compile
    or does not read as a MySQL type."""
    try:
        text = type_.compile(dialect=dialect)
    except Exception:
        return None
    return parse(str(text))


def parse(text: str) -> Spec | None:
    """``"INTEGER(11) UNSIGNED"`` -> ``Spec("INT", ("11",), unsigned=True)`` and the like."""
    match = _TYPE_TEXT.match(" ".join(text.split()))
    if match is None:
        return None
    raw_name = match.group("name").upper().strip()
    name = _NAMES.get(raw_name, raw_name)
    args_text = match.group("args")
    tail = match.group("tail") or ""
    words = set(tail.upper().split())
    values: frozenset[str] | None = None
    args: tuple[str, ...] = ()
    if name in ("ENUM", "SET"):
        values = frozenset(_unquote(v) for v in _QUOTED.findall(args_text or ""))
    elif args_text:
        args = tuple(a.strip().lower() for a in args_text.split(","))
    if name == "FLOAT" and len(args) == 1 and args[0].isdigit() and int(args[0]) > 24:
        name, args = "DOUBLE", ()
    elif name == "FLOAT" and len(args) == 1:
        args = ()  # FLOAT(p <= 24): binary precision, stored as FLOAT
    charset = _first(_CHARSET, tail)
    if "ASCII" in words:
        charset = "latin1"
    elif "UNICODE" in words:
        charset = "ucs2"
    return Spec(
        name=name,
        args=args,
        unsigned="UNSIGNED" in words or "ZEROFILL" in words,  # ZEROFILL implies UNSIGNED
        zerofill="ZEROFILL" in words,
        boolean=raw_name in ("BOOL", "BOOLEAN"),
        charset=_charset_name(charset),
        collation=(_first(_COLLATE, tail) or "").lower() or None,
        binary="BINARY" in words,
        values=values,
    )


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    return found.group(1) if found else None


def _unquote(value: str) -> str:
    return value.replace("''", "'").replace("\\'", "'").replace("\\\\", "\\")


def _charset_name(name: str | None) -> str | None:
    if not name:
        return None
    name = name.lower()
    return "utf8mb3" if name == "utf8" else name


def _charset_of_collation(collation: str) -> str:
    return _charset_name(collation.split("_", 1)[0]) or collation


def types_differ(dialect: Any, conn_type: Any, meta_type: Any) -> bool | None:
    """Whether a reflected MySQL type and a model type differ; None when either side does not
    compile for the dialect (the core then decides)."""
    from sqlalchemy.types import NullType

    if isinstance(conn_type, NullType) or isinstance(meta_type, NullType):
        return False
    conn = spec_of(dialect, conn_type)
    meta = spec_of(dialect, meta_type)
    if conn is None or meta is None:
        return None
    return specs_differ(conn, meta, mariadb=bool(getattr(dialect, "is_mariadb", False)))


def specs_differ(conn: Spec, meta: Spec, *, mariadb: bool = False) -> bool:
    """The comparison of two read types (see the module docstring)."""
    if _charsets_differ(conn, meta):
        return True
    if meta.name == "JSON" and (conn.name == "JSON" or (mariadb and conn.name == "LONGTEXT")):
        return False
    if conn.name in _SIZED or meta.name in _SIZED:
        return _sizes_differ(conn, meta)
    if conn.name != meta.name:
        return True
    name = conn.name
    if name in _INTEGERS or name == "INT":
        if (conn.unsigned, conn.zerofill) != (meta.unsigned, meta.zerofill):
            return True
        if meta.boolean and conn.args and conn.args != ("1",):
            return True
        return False
    if name in ("FLOAT", "DOUBLE"):
        return (conn.unsigned != meta.unsigned
                or bool(len(conn.args) == 2 and len(meta.args) == 2 and conn.args != meta.args))
    if name == "DECIMAL":
        return conn.unsigned != meta.unsigned or _decimal(conn) != _decimal(meta)
    if name in ("ENUM", "SET"):
        return conn.values != meta.values
    if name in _FRACTIONAL:
        return _fsp(conn) != _fsp(meta)
    if name == "BIT":
        return (conn.args or ("1",)) != (meta.args or ("1",))
    if name == "YEAR":
        return False
    return bool(conn.args and meta.args and conn.args != meta.args)


def _charsets_differ(conn: Spec, meta: Spec) -> bool:
    """Charset / collation differences, counted only where the model names one."""
    if meta.collation and conn.collation and meta.collation != conn.collation:
        return True
    conn_charset = conn.charset or (
        _charset_of_collation(conn.collation) if conn.collation else None
    )
    if meta.charset and conn_charset and meta.charset != conn_charset:
        return True
    if meta.binary and conn.collation and not conn.collation.endswith("_bin"):
        return True
    return False


def _decimal(spec: Spec) -> tuple[str, str]:
    args = spec.args
    return (args[0] if args else "10", args[1] if len(args) > 1 else "0")


def _fsp(spec: Spec) -> str:
    return spec.args[0] if spec.args else "0"


def _size_range(spec: Spec) -> tuple[str, int, int] | None:
    """(TEXT or BLOB, smallest size index, largest size index) a type may be stored as."""
    if spec.name in _SIZED:
        base, size = _SIZED[spec.name]
        if spec.name in ("TEXT", "BLOB") and spec.args and spec.args[0].isdigit():
            n = int(spec.args[0])
            per_char = _MAX_CHAR_BYTES if base == "TEXT" else 1
            return base, _size_index(n), _size_index(n * per_char)
        return base, size, size
    return None


def _size_index(n: int) -> int:
    for i, (_, limit) in enumerate(_SIZES):
        if n <= limit:
            return i
    return len(_SIZES) - 1


def _sizes_differ(conn: Spec, meta: Spec) -> bool:
    conn_range, meta_range = _size_range(conn), _size_range(meta)
    if conn_range is None or meta_range is None or conn_range[0] != meta_range[0]:
        return True
    # the reflected size is exact; the model's may be a range (TEXT(n))
    return not meta_range[1] <= conn_range[1] <= meta_range[2]
