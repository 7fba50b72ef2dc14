"""What SQLite keeps about a table beyond SQLAlchemy's reflection: its SQL, the SQL of its
indexes and triggers, the foreign keys of other tables pointing at it, foreign key actions,
and the views and triggers elsewhere that mention it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mig_sqlite_batch import sqltext


def _schema_table(preparer: Any, schema: str | None) -> str:
    return f"{preparer.quote_schema(schema)}.sqlite_schema" if schema else "sqlite_schema"


def _rows(conn: Any, sql: str, **params: Any) -> list[Any]:
    return list(conn.execute(sa.text(sql), params).all())


def table_sql(conn: Any, schema: str | None, name: str) -> str | None:
    master = _schema_table(conn.dialect.identifier_preparer, schema)
    rows = _rows(
        conn, f"SELECT sql FROM {master} WHERE type = 'table' AND name = :n COLLATE NOCASE", n=name
    )
    return rows[0][0] if rows else None


def stored_name(conn: Any, schema: str | None, name: str) -> str | None:
    """The name ``name`` has in the schema (SQLite matches table names case-insensitively)."""
    master = _schema_table(conn.dialect.identifier_preparer, schema)
    rows = _rows(
        conn, f"SELECT name FROM {master} WHERE type = 'table' AND name = :n COLLATE NOCASE",
        n=name,
    )
    return str(rows[0][0]) if rows else None


def column_names(conn: Any, schema: str | None, table: str) -> list[str]:
    """The names of ``table``'s columns, generated ones included (``PRAGMA table_xinfo``)."""
    preparer = conn.dialect.identifier_preparer
    prefix = f"{preparer.quote_schema(schema)}." if schema else ""
    rows = conn.exec_driver_sql(f"PRAGMA {prefix}table_xinfo({preparer.quote(table)})").all()
    return [row[1] for row in rows if row[6] != 1]  # hidden = 1: a virtual table's own


def index_sql(conn: Any, schema: str | None, table: str) -> dict[str, str]:
    """The CREATE INDEX statement of every explicit index of ``table``, by lower-cased name."""
    master = _schema_table(conn.dialect.identifier_preparer, schema)
    rows = _rows(
        conn,
        f"SELECT name, sql FROM {master} WHERE type = 'index' AND tbl_name = :t COLLATE NOCASE "
        "AND sql IS NOT NULL ORDER BY rowid",
        t=table,
    )
    return {name.lower(): sql for name, sql in rows}


@dataclass
class StoredIndex:
    name: str
    sql: str
    unique: bool
    columns: list[str]  # the table's columns it mentions (keys, expressions, WHERE)


def indexes(conn: Any, schema: str | None, table: str, column_names: list[str]) -> list[StoredIndex]:
    """The explicit indexes of ``table`` with the columns each one uses."""
    preparer = conn.dialect.identifier_preparer
    prefix = f"{preparer.quote_schema(schema)}." if schema else ""
    listed = conn.exec_driver_sql(f"PRAGMA {prefix}index_list({preparer.quote(table)})").all()
    unique = {row[1]: bool(row[2]) for row in listed}
    out = []
    for name, sql in _stored(conn, schema, "index", table):
        keyed = [
            row[2] for row in conn.exec_driver_sql(
                f"PRAGMA {prefix}index_xinfo({preparer.quote(name)})"
            ).all()
            if row[5] and row[2] is not None
        ]
        mentioned = sqltext.mentioned(sqltext.index_body(sql), column_names)
        lowered = {k.lower() for k in keyed}
        columns = [c for c in column_names if c in mentioned or c.lower() in lowered]
        out.append(StoredIndex(name, sql, unique.get(name, False), columns))
    return out


def unique_constraints(conn: Any, schema: str | None, table: str) -> list[list[str]]:
    """The columns of each UNIQUE constraint of ``table``, from the indexes SQLite made for
    them (SQLAlchemy's reflection misses column-level ``UNIQUE``)."""
    preparer = conn.dialect.identifier_preparer
    prefix = f"{preparer.quote_schema(schema)}." if schema else ""
    listed = conn.exec_driver_sql(f"PRAGMA {prefix}index_list({preparer.quote(table)})").all()
    out = []
    for row in sorted(listed, key=lambda r: r[1]):
        if row[3] != "u":
            continue
        info = conn.exec_driver_sql(f"PRAGMA {prefix}index_info({preparer.quote(row[1])})").all()
        out.append([r[2] for r in sorted(info, key=lambda r: r[0])])
    return out


def _stored(conn: Any, schema: str | None, kind: str, table: str) -> list[tuple[str, str]]:
    master = _schema_table(conn.dialect.identifier_preparer, schema)
    return [
        (name, sql)
        for name, sql in _rows(
            conn,
            # a trigger's tbl_name is the table as its CREATE TRIGGER spelled it
            f"SELECT name, sql FROM {master} WHERE type = :k AND tbl_name = :t COLLATE NOCASE "
            "AND sql IS NOT NULL ORDER BY rowid",
            k=kind, t=table,
        )
    ]


def triggers(conn: Any, schema: str | None, table: str) -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER statement) of the triggers on ``table``, in creation order."""
    return _stored(conn, schema, "trigger", table)


def _mentions(conn: Any, schema: str | None, table: str) -> list[tuple[str, str, str]]:
    """(type, name, sql) of the views, and the triggers on other tables, whose SQL mentions
    ``table`` (a token scan: it may list one that only uses the name for something else)."""
    master = _schema_table(conn.dialect.identifier_preparer, schema)
    rows = _rows(
        conn,
        f"SELECT type, name, sql FROM {master} WHERE type IN ('view', 'trigger') "
        "AND tbl_name <> :t COLLATE NOCASE AND sql IS NOT NULL ORDER BY rowid",
        t=table,
    )
    out = []
    for kind, name, sql in rows:
        if any(tok.is_identifier and tok.value.lower() == table.lower()
               for tok in sqltext.tokenize(sql)):
            out.append((kind, name, sql))
    return out


def mentioning(conn: Any, schema: str | None, table: str) -> list[tuple[str, str]]:
    """(type, name) of the views, and the triggers on other tables, that mention ``table``."""
    return [(kind, name) for kind, name, _sql in _mentions(conn, schema, table)]


def triggers_elsewhere(conn: Any, schema: str | None, table: str) -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER statement) of the triggers on other tables that mention
    ``table``."""
    return [(name, sql) for kind, name, sql in _mentions(conn, schema, table)
            if kind == "trigger"]


@dataclass
class ForeignKeyRow:
    """One foreign key from ``PRAGMA foreign_key_list``."""

    table: str  # the table holding the foreign key
    columns: list[str]
    referred_table: str
    referred_columns: list[str | None]  # None: the referred table's primary key
    on_update: str
    on_delete: str
    match: str


def _fk_rows(rows: list[Any], table: str) -> list[ForeignKeyRow]:
    grouped: dict[Any, ForeignKeyRow] = {}
    for row in rows:
        # id, seq, table, from, to, on_update, on_delete, match
        fk = grouped.get(row[0])
        if fk is None:
            fk = grouped[row[0]] = ForeignKeyRow(table, [], row[2], [], row[5], row[6], row[7])
        fk.columns.append(row[3])
        fk.referred_columns.append(row[4])
    return list(grouped.values())


def foreign_keys(conn: Any, schema: str | None, table: str) -> list[ForeignKeyRow]:
    """The foreign keys of ``table`` (with the ON DELETE / ON UPDATE actions SQLAlchemy's
    reflection misses for column-level REFERENCES)."""
    preparer = conn.dialect.identifier_preparer
    prefix = f"{preparer.quote_schema(schema)}." if schema else ""
    rows = conn.exec_driver_sql(f"PRAGMA {prefix}foreign_key_list({preparer.quote(table)})").all()
    return _fk_rows(list(rows), table)


def children(conn: Any, schema: str | None, table: str) -> list[ForeignKeyRow]:
    """The foreign keys of *other* tables that point at ``table``: one query joining
    ``pragma_foreign_key_list`` (a recreate runs it, and a query per table in the database
    made a history of batches on a schema of many tables slow, most of all through an async
    driver); a query per table on an SQLite without table-valued PRAGMAs (before 3.16)."""
    master = _schema_table(conn.dialect.identifier_preparer, schema)
    try:
        rows = _rows(
            conn,
            "SELECT m.name, p.id, p.seq, p.\"table\", p.\"from\", p.\"to\", p.on_update, "
            f"p.on_delete, p.\"match\" FROM {master} m "
            "JOIN pragma_foreign_key_list(m.name, :s) p "
            "WHERE m.type = 'table' AND m.name <> :t COLLATE NOCASE "
            "AND p.\"table\" = :t COLLATE NOCASE "
            "ORDER BY m.rowid, p.id, p.seq",
            s=schema or "main", t=table,
        )
    except sa.exc.OperationalError:
        return _children_one_by_one(conn, master, schema, table)
    by_table: dict[str, list[Any]] = {}
    for row in rows:
        by_table.setdefault(row[0], []).append(tuple(row[1:]))
    return [fk for name, found in by_table.items() for fk in _fk_rows(found, name)]


def _children_one_by_one(
    conn: Any, master: str, schema: str | None, table: str
) -> list[ForeignKeyRow]:
    names = [
        r[0] for r in _rows(
            conn, f"SELECT name FROM {master} WHERE type = 'table' AND name <> :t COLLATE NOCASE",
            t=table,
        )
    ]
    out = []
    for name in names:
        for fk in foreign_keys(conn, schema, name):
            if fk.referred_table.lower() == table.lower():
                out.append(fk)
    return out


def rowid_range(conn: Any, schema: str | None, table: str) -> int | None:
    """Rows in ``table`` estimated from its rowid range (cheap: two b-tree seeks)."""
    preparer = conn.dialect.identifier_preparer
    name = f"{preparer.quote_schema(schema)}.{preparer.quote(table)}" if schema else preparer.quote(
        table
    )
    # one aggregate per SELECT: SQLite answers min() / max() alone from the b-tree's ends
    row = conn.exec_driver_sql(
        f"SELECT (SELECT max(rowid) FROM {name}) - (SELECT min(rowid) FROM {name}) + 1"
    ).first()
    return int(row[0]) if row and row[0] is not None else 0


def pragma_value(conn: Any, name: str) -> Any:
    row = conn.exec_driver_sql(f"PRAGMA {name}").first()
    return row[0] if row else None
