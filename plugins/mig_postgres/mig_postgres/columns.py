"""Columns as raw catalog rows, for autogenerate's settling of unchanged tables.

SQLAlchemy's ``get_multi_columns`` turns every column's ``format_type`` text into a type object
(regular expressions, type classes, defaults, identity ...), which on a large model costs about
as much as the query itself. The core asks :func:`column_rows` instead, compares those rows with
the model and reflects only the tables it cannot settle from them (see
``mig_core.autogenerate.settle``); :func:`plain_type` is the type SQLAlchemy would have
reflected for the few built-in type names the rows may be settled with, and
:func:`column_record` the whole reflection dict of a plain column (the columns ``include_object``
is shown for a settled table).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mig_core.autogenerate.context import CompareContext

#: one row per column of the named tables, in table-name then column order (as SQLAlchemy reads
#: them, the default's text too). ``plain`` is false for what the core never settles from a row:
#: identity and generated columns, a collation other than the type's, a type outside
#: ``pg_catalog`` or not a base type (enums, domains, composites, arrays are base types with
#: ``typelem``, left out too)
_COLUMNS_SQL = (
    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, "
    "d.description, a.attidentity = '' AND a.attgenerated = '' AND t.typtype = 'b' "
    "AND t.typelem = 0 AND t.typnamespace = 'pg_catalog'::regnamespace "
    "AND (a.attcollation = 0 OR a.attcollation = t.typcollation), "
    "CASE WHEN a.atthasdef THEN (SELECT pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) "
    "FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum) END "
    "FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
    "AND NOT a.attisdropped "
    "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_catalog.pg_description d ON d.objoid = a.attrelid AND d.objsubid = a.attnum "
    "WHERE c.relkind IN ('r', 'p', 'f') AND c.relname = ANY(:names) AND {scope} "
    "ORDER BY c.relname, a.attnum"
)
#: SQLAlchemy's scopes: the tables visible on search_path (schema None), or one schema's
_VISIBLE = "pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> 'pg_catalog'::regnamespace"
_IN_SCHEMA = "c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = :schema)"


#: (column, format_type, nullable, comment, plain, default)
Row = tuple[str, str, bool, str | None, bool, str | None]


def column_rows(
    ctx: CompareContext, schema: str | None, names: list[str]
) -> dict[str, list[Row]] | None:
    """``{table: [(column, format_type, nullable, comment, plain, default), ...]}`` for
    ``names`` of ``schema`` (as reflection names it: None is what is visible on search_path);
    None before PostgreSQL 12 (no ``attgenerated``)."""
    import sqlalchemy as sa

    dialect = ctx.dialect
    if (dialect.server_version_info or (0,)) < (12,):
        return None
    sql = _COLUMNS_SQL.format(scope=_VISIBLE if schema is None else _IN_SCHEMA)
    params: dict[str, Any] = {"names": list(names)}
    if schema is not None:
        params["schema"] = schema
    out: dict[str, list[Any]] = {}
    current: str | None = None
    rows: list[Any] = []
    conn: Any = ctx.connection
    for row in conn.execute(sa.text(sql), params).all():
        if row[0] != current:
            current = row[0]
            rows = out[current] = []
        rows.append(row[1:])
    return out


#: SQLAlchemy's test of a SERIAL-like default (autoincrement, and the sequence's schema)
_NEXTVAL = re.compile(r"""(nextval\(')([^']+)('.*$)""")


def column_record(schema: str | None, row: Row) -> dict[str, Any] | None:
    """The dict SQLAlchemy's ``get_multi_columns`` gives for a plain column's ``row`` of table
    schema ``schema`` (as reflection names it), None for a row that is not plain: the same
    keys and values, the type a new one equal to its reflected type (see
    ``PGDialect._get_columns_info``: a ``nextval`` default makes an integer column
    autoincrement, and is schema-qualified in a named schema)."""
    name, type_text, nullable, comment, plain, default = row
    type_ = plain_type(type_text) if plain else None
    if type_ is None:
        return None
    autoincrement = False
    if default is not None:
        match = _NEXTVAL.search(default)
        if match is not None:
            import sqlalchemy as sa

            autoincrement = issubclass(type_._type_affinity, sa.Integer)
            if "." not in match.group(2) and schema is not None:
                default = f'{match.group(1)}"{schema}".{match.group(2)}{match.group(3)}'
    return {
        "name": name, "type": type_, "nullable": nullable, "default": default,
        "autoincrement": autoincrement, "comment": comment,
    }


_NUMERIC = re.compile(r"^numeric\((\d+),(\d+)\)$")
_LENGTH = re.compile(r"^(character varying|character)\((\d+)\)$")


def _builders() -> dict[str, Callable[[], Any]]:
    from sqlalchemy.dialects import postgresql as pg

    return {
        "integer": pg.INTEGER, "bigint": pg.BIGINT, "smallint": pg.SMALLINT,
        "boolean": pg.BOOLEAN, "text": pg.TEXT, "date": pg.DATE, "uuid": pg.UUID,
        "json": pg.JSON, "jsonb": pg.JSONB, "bytea": pg.BYTEA, "interval": pg.INTERVAL,
        "numeric": pg.NUMERIC, "character varying": pg.VARCHAR,
        "real": pg.REAL, "double precision": lambda: pg.DOUBLE_PRECISION(53),
        "timestamp without time zone": lambda: pg.TIMESTAMP(timezone=False),
        "timestamp with time zone": lambda: pg.TIMESTAMP(timezone=True),
        "time without time zone": lambda: pg.TIME(timezone=False),
        "time with time zone": lambda: pg.TIME(timezone=True),
    }


_BUILDERS: dict[str, Callable[[], Any] | None] = {}


def plain_type(format_type: str) -> Any:
    """A new type equal to what SQLAlchemy's reflection makes of ``format_type``, for the
    built-in types a column can be settled with (None for any other)."""
    if not _BUILDERS:
        _BUILDERS.update(_builders())
    try:
        builder = _BUILDERS[format_type]
    except KeyError:  # sized types, and any other text: parsed once
        builder = _BUILDERS[format_type] = _sized_builder(format_type)
    return None if builder is None else builder()


def _sized_builder(format_type: str) -> Callable[[], Any] | None:
    from functools import partial

    from sqlalchemy.dialects import postgresql as pg

    numeric = _NUMERIC.match(format_type)
    if numeric:
        return partial(pg.NUMERIC, int(numeric.group(1)), int(numeric.group(2)))
    sized = _LENGTH.match(format_type)
    if sized:
        cls = pg.VARCHAR if sized.group(1) == "character varying" else pg.CHAR
        return partial(cls, int(sized.group(2)))
    return None
