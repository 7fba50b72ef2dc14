"""Autogenerate comparison for Oracle: type synonyms and server defaults as Oracle stores them.

Types: both sides are compiled for Oracle and compared by what Oracle stores. Exact numbers
(``NUMBER``, ``INTEGER``, ``SMALLINT``, ``NUMERIC``, ``DECIMAL`` — SQLAlchemy's ``BigInteger``
is ``NUMBER(19)``) become ``(precision, scale)``: ``INTEGER`` and ``SMALLINT`` are
``NUMBER(*, 0)``, ``NUMBER(p)`` is ``(p, 0)``, and a precision or scale only one side states is
not a difference (reflection reads an ``INTEGER`` column back as ``NUMBER`` with scale 0 and no
precision). ``VARCHAR`` is ``VARCHAR2``, ``NVARCHAR`` is ``NVARCHAR2``, and ``FLOAT`` /
``DOUBLE PRECISION`` / ``REAL`` are Oracle's binary-precision ``FLOAT``.

Server defaults: Oracle returns the default's text as written, often with trailing spaces or
newlines, keeps the text ``NULL`` after ``MODIFY c DEFAULT NULL``, and may wrap it in
parentheses and quotes; all of that is ignored, and so is a ``<sequence>.NEXTVAL`` default when
the model column uses that :class:`sqlalchemy.Sequence`.

Index compression: reflection gives ``oracle_compress`` as the prefix length Oracle stored;
the model's ``oracle_compress=True`` (``COMPRESS`` without a number) is Oracle's default
length, every key column of a non-unique index and all but the last of a unique one.
"""

from __future__ import annotations

import re
from typing import Any

#: names meaning the same Oracle type (after the exact-number handling below)
TYPE_SYNONYMS: tuple[frozenset[str], ...] = (
    frozenset({"VARCHAR", "VARCHAR2"}),
    frozenset({"NVARCHAR", "NVARCHAR2"}),
    frozenset({"FLOAT", "DOUBLE PRECISION", "DOUBLE", "REAL"}),
    frozenset({"TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE"}),
)
#: Oracle's exact numeric type names
EXACT_NUMBERS = frozenset({"NUMBER", "NUMERIC", "DECIMAL", "DEC", "INTEGER", "INT", "SMALLINT"})
_WHOLE_NUMBERS = frozenset({"INTEGER", "INT", "SMALLINT"})

_CANONICAL: dict[str, str] = {
    name: min(group) for group in TYPE_SYNONYMS for name in group
}


def type_signature(dialect: Any, type_: Any) -> tuple[str, tuple[str, ...]] | None:
    """``(NAME, args)`` of ``type_`` compiled for ``dialect``; None when it does not compile."""
    from mig_core.autogenerate.compare_columns import parse_type_text

    try:
        text = type_.compile(dialect=dialect)
    except Exception:
        return None
    return parse_type_text(text)


def _number(name: str, args: tuple[str, ...]) -> tuple[int | None, int | None]:
    """(precision, scale) of an exact number; None where the type leaves it open."""
    if name in _WHOLE_NUMBERS:
        return None, 0
    values: list[int | None] = []
    for arg in args[:2]:
        values.append(int(arg) if arg.lstrip("-").isdigit() else None)  # "*" stays open
    if len(values) == 1:
        return values[0], 0
    if len(values) == 2:
        return values[0], values[1]
    return None, None


def _open_or_equal(a: int | None, b: int | None) -> bool:
    return a is None or b is None or a == b


def types_differ(dialect: Any, conn_type: Any, meta_type: Any) -> bool | None:
    """Whether a reflected Oracle type and a model type differ; None when either cannot compile
    for Oracle (the core then decides)."""
    from sqlalchemy.types import NullType

    if isinstance(conn_type, NullType) or isinstance(meta_type, NullType):
        return False
    conn = type_signature(dialect, conn_type)
    meta = type_signature(dialect, meta_type)
    if conn is None or meta is None:
        return None
    if conn == meta:
        return False
    (conn_name, conn_args), (meta_name, meta_args) = conn, meta
    if conn_name in EXACT_NUMBERS and meta_name in EXACT_NUMBERS:
        conn_p, conn_s = _number(conn_name, conn_args)
        meta_p, meta_s = _number(meta_name, meta_args)
        return not (_open_or_equal(conn_p, meta_p) and _open_or_equal(conn_s, meta_s))
    if _CANONICAL.get(conn_name, conn_name) != _CANONICAL.get(meta_name, meta_name):
        return True
    return bool(conn_args and meta_args and conn_args != meta_args)


def normalize_default(text: str | None) -> str | None:
    """Default SQL as compared: trimmed, ``NULL`` as None, outer parentheses and quotes off."""
    from mig_core.autogenerate.compare_columns import normalize_default as core_normalize

    if text is None:
        return None
    text = text.strip()
    if not text or text.upper() == "NULL":
        return None
    return core_normalize(text)


_NEXTVAL = re.compile(r'^(?:"?[\w$#]+"?\.)?"?(?P<name>[\w$#]+)"?\.nextval$', re.I)


def _is_sequence_default(conn_default: str | None, meta_col: Any) -> bool:
    """A reflected ``seq.NEXTVAL`` default of a model column using that Sequence."""
    default = getattr(meta_col, "default", None)
    if conn_default is None or default is None or not getattr(default, "is_sequence", False):
        return False
    match = _NEXTVAL.match(conn_default.strip())
    return match is not None and match.group("name").lower() == str(default.name).lower()


def server_defaults_differ(
    conn_default: str | None, meta_default: str | None, meta_col: Any = None
) -> bool:
    """Whether a reflected Oracle default text and a model default's SQL differ."""
    if meta_default is None and _is_sequence_default(conn_default, meta_col):
        return False
    return normalize_default(conn_default) != normalize_default(meta_default)


def index_option(key: str, value: Any, obj: Any) -> Any:
    """``oracle_compress`` as its prefix length (``True``: Oracle's default for ``obj``, the
    model's index); any other option ``NotImplemented`` (the core compares it)."""
    if key != "compress":
        return NotImplemented
    if value is True:
        elements = getattr(obj, "expressions", None) or getattr(obj, "columns", None) or ()
        columns = len(elements)
        return columns - 1 if getattr(obj, "unique", False) else columns
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value).lower()
