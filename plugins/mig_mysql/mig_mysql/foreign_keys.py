"""Foreign keys SQLAlchemy's MySQL reflection cannot read, read from information_schema.

SQLAlchemy parses ``SHOW CREATE TABLE`` with regular expressions; a key whose referred table
holds a backtick (``REFERENCES `p``t` ``) matches none of them, and reflection skips it with
an ``Unknown schema content`` warning. Autogenerate would propose adding such a key again,
never dropping it, and a dropped table's downgrade would re-create the table without it. So
each comparison reads the names of a schema's keys (one query), and the keys reflection
missed, in SQLAlchemy's record form, for the few tables that have any (one query each).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: SQLAlchemy's warning for such a line of SHOW CREATE TABLE (silenced: the key is read here)
UNREAD_KEY_WARNING = r"""Unknown schema content: (['"])\s*CONSTRAINT .* FOREIGN KEY """

#: information_schema cuts names to 64 characters (a server-made ``<table>_ibfk_1`` is longer)
NAME_LIMIT = 64

_NAMES_SQL = (
    "SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
    "WHERE {where}"
)
_KEYS_SQL = (
    "SELECT k.CONSTRAINT_NAME, k.COLUMN_NAME, "
    "CASE WHEN k.REFERENCED_TABLE_SCHEMA = k.TABLE_SCHEMA THEN NULL "
    "ELSE k.REFERENCED_TABLE_SCHEMA END, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, "
    "r.DELETE_RULE, r.UPDATE_RULE "
    "FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
    "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME "
    "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
    "WHERE k.TABLE_SCHEMA = {schema} AND k.TABLE_NAME = :table "
    "ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
)
#: rules SHOW CREATE TABLE leaves out or SQLAlchemy drops: the same as no rule
_DEFAULT_RULES = ("RESTRICT", "NO ACTION")


def key_names(conn: Any, schema: str | None) -> dict[str, set[str]]:
    """``{table: {key name, ...}}`` of a schema (None: the connection's database)."""
    import sqlalchemy as sa

    where = "CONSTRAINT_SCHEMA = " + (":schema" if schema else "DATABASE()")
    found: dict[str, set[str]] = {}
    for table, name in conn.execute(sa.text(_NAMES_SQL.format(where=where)), {"schema": schema}):
        found.setdefault(str(table), set()).add(str(name))
    return found


def missed(names: set[str], reflected: list[dict[str, Any]]) -> set[str]:
    """Of a table's key ``names`` (information_schema's), those not among the ``reflected``
    records (names compared on information_schema's 64 characters)."""
    seen = {str(fk.get("name") or "")[:NAME_LIMIT] for fk in reflected}
    return {name for name in names if name not in seen}


def read_keys(
    conn: Any, schema: str | None, table: str, wanted: Callable[[str], bool]
) -> list[dict[str, Any]]:
    """The keys of ``table`` whose names ``wanted`` accepts, as SQLAlchemy's reflection records
    them (the referred schema None when it is the table's own and ``schema`` is None, as
    reflection gives it)."""
    import sqlalchemy as sa

    sql = _KEYS_SQL.format(schema=":schema" if schema else "DATABASE()")
    keys: dict[str, dict[str, Any]] = {}
    for name, column, ref_schema, ref_table, ref_column, on_delete, on_update in conn.execute(
        sa.text(sql), {"schema": schema, "table": table}
    ):
        if not wanted(str(name)):
            continue
        options = {opt: str(rule) for opt, rule in (("ondelete", on_delete),
                                                   ("onupdate", on_update))
                   if rule and str(rule) not in _DEFAULT_RULES}
        record = keys.setdefault(str(name), {
            "name": str(name), "constrained_columns": [], "referred_schema": ref_schema or schema,
            "referred_table": str(ref_table), "referred_columns": [], "options": options,
        })
        record["constrained_columns"].append(str(column))
        record["referred_columns"].append(str(ref_column))
    return list(keys.values())
