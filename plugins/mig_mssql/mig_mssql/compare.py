"""Autogenerate comparison on SQL Server: type synonyms, collations and default texts.

* Type synonyms (:data:`TYPE_SYNONYMS`, read by the core as ``MSSQLImpl.type_synonyms``): names
  SQL Server reflects differently from how SQLAlchemy compiles the model type.
* Collations: every reflected string column carries the database's collation; a model type
  without one is compared as if the reflected type had none too.
* Server defaults: SQL Server stores them wrapped in parentheses (``((0))``, ``(N'x')``,
  ``(getdate())``); both sides are compared without those wrappers, ``N`` prefixes and quotes.
* Filtered indexes: SQL Server stores ``mssql_where`` as its own text (``([a]>(1))``,
  ``([b] IS NOT NULL)``, ``<>`` for ``!=``); both sides are compared without brackets,
  parentheses, ``N`` prefixes, quotes, spaces or case (:func:`normalize_filter`).
"""

from __future__ import annotations

import copy
import re
from typing import Any

#: groups of type names that mean the same column type on SQL Server
TYPE_SYNONYMS: tuple[frozenset[str], ...] = (
    # sa.String on a column the database holds as NVARCHAR (and back) is not a change
    frozenset({"VARCHAR", "NVARCHAR"}),
    # sa.Double compiles to DOUBLE PRECISION; SQL Server reflects FLOAT(53)
    frozenset({"FLOAT", "DOUBLE PRECISION", "DOUBLE"}),
    # ROWVERSION is reflected under its old name
    frozenset({"ROWVERSION", "TIMESTAMP"}),
)


def types_differ(ctx: Any, conn_col: Any, meta_col: Any) -> bool | None:
    """Compare types with the reflected collation ignored unless the model names one.

    Returns None (the core decides) when the reflected type has no collation.
    """
    from mig_core.autogenerate.compare_columns import default_types_differ

    conn_type, meta_type = conn_col.type, meta_col.type
    conn_collation = getattr(conn_type, "collation", None)
    if not conn_collation:
        return None
    meta_collation = getattr(meta_type, "collation", None)
    if meta_collation and str(meta_collation).lower() != str(conn_collation).lower():
        return True
    return default_types_differ(ctx, _without_collation(conn_type), _without_collation(meta_type))


def _without_collation(type_: Any) -> Any:
    if not getattr(type_, "collation", None):
        return type_
    stripped = copy.copy(type_)
    stripped.collation = None
    return stripped


def normalize_default(text: str | None) -> str | None:
    """A default's SQL in one spelling: no wrapping parentheses or ``N`` prefix; a string
    literal re-quoted with its case kept (a numeric one unquoted); an expression lower-cased."""
    if text is None:
        return None
    from mig_core.autogenerate.compare_columns import unwrap_parentheses

    out = unwrap_parentheses(text)
    if out[:1] in ("n", "N") and _is_literal(out[1:]):
        out = out[1:]
    if _is_literal(out):
        content = out[1:-1].replace("''", "'")
        return content if _is_number(content) else "'" + content + "'"
    return out.lower()


def _is_literal(text: str) -> bool:
    """``text`` is one quoted string (inner quotes doubled)."""
    return (
        len(text) >= 2 and text[0] == text[-1] == "'" and "'" not in text[1:-1].replace("''", "")
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def server_defaults_differ(conn_default: str | None, meta_default: str | None) -> bool:
    """Whether a reflected default text and the model's rendered default differ."""
    return normalize_default(conn_default) != normalize_default(meta_default)


_BRACKETED = re.compile(r"\[((?:[^\]]|\]\])*)\]")
_N_PREFIX = re.compile(r"(?<![\w'])[nN]'")


_IN_LIST = re.compile(
    r"(?P<col>\[(?:[^\]]|\]\])*\]|\"[^\"]*\"|[\w.]+)\s+(?P<neg>not\s+)?in\s*"
    r"\((?P<values>(?:[^()']|'(?:[^']|'')*')*)\)",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"\s*((?:[^,']|'(?:[^']|'')*')+)")


def _in_as_comparisons(match: re.Match[str]) -> str:
    """``c IN (1, 2)`` as SQL Server stores it, ``c=1 OR c=2`` (``NOT IN``: ``<>`` ANDed)."""
    col, negated = match.group("col"), bool(match.group("neg"))
    values = [m.group(1).strip() for m in _LIST_ITEM.finditer(match.group("values"))]
    joiner, op = (" AND ", "<>") if negated else (" OR ", "=")
    return joiner.join(f"{col}{op}{value}" for value in values if value)


def normalize_filter(text: str) -> str:
    """A filtered index's WHERE clause in one spelling, the server's (``([a]>(1))``) or the
    model's (``a > 1``): ``[names]`` unbracketed, ``N'x'`` as ``'x'``, ``!=`` as ``<>``, an
    ``IN`` list as the ``OR`` of comparisons SQL Server turns it into, then the core's
    expression normalisation (no parentheses, quotes, spaces or case)."""
    from mig_core.autogenerate.compare_constraints import normalize_expression

    out = _IN_LIST.sub(_in_as_comparisons, text)
    out = _BRACKETED.sub(lambda m: m.group(1).replace("]]", "]"), out)
    out = _N_PREFIX.sub("'", out).replace("!=", "<>")
    return normalize_expression(out)


def index_option(dialect: Any, key: str, value: Any) -> Any:
    """``mssql_where`` as :func:`normalize_filter` text (None when empty); any other option
    ``NotImplemented`` (the core compares it)."""
    if key != "where":
        return NotImplemented
    from mig_core.autogenerate.compare_constraints import clause_text

    return normalize_filter(clause_text(dialect, value)) or None
