"""A column's current definition and a constraint's kind, read from information_schema.

Online, ``alter_column`` fills what the caller did not say (``existing_type``,
``existing_nullable``, ...) from here, so a ``MODIFY`` / ``CHANGE`` restates the column as it is
instead of silently making it NULL and dropping its default, comment or AUTO_INCREMENT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mig_mysql.ddl import TIMESTAMP_FUNCTION, ColumnSpec

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_COLUMN_SQL = (
    "SELECT c.COLUMN_TYPE, c.DATA_TYPE, c.IS_NULLABLE, c.COLUMN_DEFAULT, c.EXTRA, "
    "c.COLUMN_COMMENT, c.CHARACTER_SET_NAME, c.COLLATION_NAME, c.GENERATION_EXPRESSION, "
    "t.TABLE_COLLATION "
    "FROM information_schema.COLUMNS c JOIN information_schema.TABLES t "
    "ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
    "WHERE c.TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND c.TABLE_NAME = :table "
    "AND c.COLUMN_NAME = :column"
)
#: MariaDB: a column-level CHECK lives in the column definition; MODIFY without it drops it
_COLUMN_CHECK_SQL = (
    "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
    "WHERE CONSTRAINT_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :table "
    "AND CONSTRAINT_NAME = :column AND LEVEL = 'Column'"
)
_CONSTRAINT_SQL = (
    "SELECT CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS "
    "WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :table "
    "AND CONSTRAINT_NAME = :name"
)
_INDEX_SQL = (
    "SELECT 1 FROM information_schema.STATISTICS "
    "WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :table "
    "AND INDEX_NAME = :name LIMIT 1"
)
#: TABLE_CONSTRAINTS.CONSTRAINT_TYPE -> mig's ``type_`` names
CONSTRAINT_KINDS = {
    "FOREIGN KEY": "foreignkey",
    "PRIMARY KEY": "primary",
    "UNIQUE": "unique",
    "CHECK": "check",
}
_ON_UPDATE = re.compile(r"on update (\S+(?:\(\d*\))?)", re.I)


@dataclass
class CatalogColumn:
    """A column as the catalog reports it: its spec, and its type's family (``DATA_TYPE``)."""

    spec: ColumnSpec
    data_type: str


def column_from_row(row: Any, mariadb: bool) -> CatalogColumn:
    """Turn one information_schema.COLUMNS row (see ``_COLUMN_SQL``) into a spec.

    The type is the server's own text; the character set and collation are restated only when
    they differ from the table's default. MariaDB reports defaults as SQL (``'it''s'``,
    ``current_timestamp()``, ``NULL``); MySQL reports literal values bare and marks expression
    defaults ``DEFAULT_GENERATED`` in EXTRA.
    """
    (column_type, data_type, is_nullable, default, extra, comment, charset, collation,
     generation, table_collation) = tuple(row)
    import sqlalchemy as sa

    extra_l = (extra or "").lower()
    spec = ColumnSpec(type=column_type, nullable=is_nullable == "YES")
    if collation and collation != table_collation:
        spec.charset, spec.collation = charset, collation
    spec.autoincrement = "auto_increment" in extra_l
    spec.comment = comment or None
    spec.invisible = "invisible" in extra_l
    on_update = _ON_UPDATE.search(extra or "")
    spec.on_update = on_update.group(1) if on_update else None
    if "generated" in extra_l and generation and "default_generated" not in extra_l:
        kind = "STORED" if "stored" in extra_l or "persistent" in extra_l else "VIRTUAL"
        spec.computed = f"GENERATED ALWAYS AS ({generation}) {kind}"
    elif default is not None:
        if mariadb:
            spec.default = None if default == "NULL" else sa.text(default)
        elif "default_generated" in extra_l or (
            data_type in ("timestamp", "datetime") and TIMESTAMP_FUNCTION.match(default)
        ) or (data_type == "bit" and default.startswith("b'")):
            spec.default = sa.text(default)
        else:
            spec.default = default  # a literal value: written quoted
    return CatalogColumn(spec=spec, data_type=data_type)


def read_column(
    conn: Connection, schema: str | None, table: str, column: str, mariadb: bool,
    version: tuple[int, ...],
) -> CatalogColumn | None:
    """The column's definition, None when the table or column does not exist."""
    import sqlalchemy as sa

    params = {"schema": schema, "table": table, "column": column}
    row = conn.execute(sa.text(_COLUMN_SQL), params).first()
    if row is None:
        return None
    found = column_from_row(row, mariadb)
    if mariadb and version >= (10, 5, 10):
        found.spec.check = conn.execute(sa.text(_COLUMN_CHECK_SQL), params).scalar()
    return found


def constraint_kind(conn: Connection, schema: str | None, table: str, name: str) -> str | None:
    """``foreignkey`` / ``primary`` / ``unique`` / ``check`` for a named constraint of
    ``table``; None when there is none by that name."""
    import sqlalchemy as sa

    rows = conn.execute(
        sa.text(_CONSTRAINT_SQL), {"schema": schema, "table": table, "name": name}
    ).scalars().all()
    kinds = {CONSTRAINT_KINDS.get(str(kind)) for kind in rows} - {None}
    if not kinds:
        return None
    if len(kinds) > 1:  # MariaDB: a CHECK may share its name with another constraint
        from mig_core.errors import CommandError

        raise CommandError(
            f"drop_constraint({name!r}) on {table!r}: several constraints of that name "
            f"({', '.join(sorted(str(k) for k in kinds))}); pass type_="
        )
    return kinds.pop()


def has_index(conn: Connection, schema: str | None, table: str, name: str) -> bool:
    """Whether ``table`` has an index ``name`` (MySQL has no ``DROP INDEX IF EXISTS``)."""
    import sqlalchemy as sa

    params = {"schema": schema, "table": table, "name": name}
    return conn.execute(sa.text(_INDEX_SQL), params).first() is not None
