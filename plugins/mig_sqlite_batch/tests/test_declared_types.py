"""Issue 7: a SQLite recreate keeps each column's declared type text as the old table wrote it
(``INT PRIMARY KEY`` stays an ordinary column, not the rowid); only a column the batch retypes,
or whose type the batch is given (``reflect_args``, a ``column_reflect`` listener), changes."""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import (
    checksum,
    clean,
    engine_for,
    execute,
    offline,
    rows,
    run,
    schema_sql,
    shared,
)
from mig_sqlite_batch.source import DeclaredType

from mig_core.errors import MigWarning

sqlite_url = shared.sqlite_url

#: (column, declared type text) as the old table writes them
DECLARED = [
    ("id", "INT"),
    ("v", "VARCHAR(40)"),
    ("n", "NUMERIC(10, 2)"),
    ("b", "BOOLEAN"),
    ("d", "DATETIME"),
    ("big", "INT8"),
    ("dp", "DOUBLE PRECISION"),
    ("lo", "varchar(12)"),
    ("ts", "timestamp"),
    ("f", "FLOAT"),
    ("s", "SMALLINT"),
    ("bi", "BIGINT"),
    ("c", "NVARCHAR(5)"),
    ("r", "REAL"),
]
TABLE = (
    "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40), n NUMERIC(10, 2), b BOOLEAN, "
    "d DATETIME, big INT8, dp DOUBLE PRECISION, lo varchar(12) COLLATE NOCASE, ts timestamp, "
    "f FLOAT, s SMALLINT, bi BIGINT, c NVARCHAR(5), r REAL, gone TEXT)"
)
COLUMNS = "id, v, n, b, d, big, dp, lo, ts, f, s, bi, c, r"
ROWS = (
    "INSERT INTO t VALUES "
    "(10, 'a', 1.25, 1, '2024-01-02 03:04:05', 9007199254740993, 2.5, 'Ab', "
    "'2024-01-02', 1.5, 3, 4, 'xy', 0.5, 'x'), "
    "('k-7', 'b', '12.50', 0, '2024-02-03', 1, 1e300, 'cd', NULL, NULL, NULL, NULL, NULL, NULL, "
    "'y')"
)


@pytest.fixture
def engine(sqlite_url: str) -> Any:
    eng = engine_for(sqlite_url)
    execute(eng, TABLE, ROWS, "INSERT INTO t (rowid, id, gone) VALUES (100, 3, 'z')")
    yield eng
    eng.dispose()


def column_sql(engine: Any) -> dict[str, str]:
    """column name -> its definition as stored in sqlite_master."""
    sql = schema_sql(engine)["t"]
    body = sql[sql.index("(") + 1 : sql.rindex(")")]
    out = {}
    for part in re.split(r",\s*(?![^()]*\))", body):
        name, _, rest = part.strip().partition(" ")
        out[name] = rest
    return out


def declared_types(engine: Any) -> dict[str, str]:
    return {r[1]: r[2] for r in rows(engine, "PRAGMA table_info(t)")}


def test_every_unchanged_column_keeps_its_declared_type_text(engine: Any) -> None:
    before = checksum(engine, "t", COLUMNS)
    rowids = rows(engine, "SELECT rowid, id FROM t ORDER BY rowid")

    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.drop_column("gone")
            b.add_column(sa.Column("extra", sa.Integer))

    run(engine, batch)
    types = declared_types(engine)
    for name, declared in DECLARED:
        assert types[name] == declared, name
    assert types["extra"] == "INTEGER"
    assert column_sql(engine)["lo"].startswith("varchar(12) COLLATE NOCASE")
    # INT PRIMARY KEY is still an ordinary column: the text id came over, rowids are kept
    assert rows(engine, "SELECT rowid, id FROM t ORDER BY rowid") == rowids
    assert rows(engine, "SELECT typeof(id) FROM t WHERE id = 'k-7'") == [("text",)]
    assert rows(engine, "SELECT count(*) FROM t WHERE rowid <> id") == [(3,)]
    assert checksum(engine, "t", COLUMNS) == before
    clean(engine)


def test_int_primary_key_stays_not_a_rowid_alias(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.drop_column("gone")

    run(engine, batch)
    assert column_sql(engine)["id"].split()[0] == "INT"
    execute(engine, "INSERT INTO t (id) VALUES ('another text id')")
    assert rows(engine, "SELECT id FROM t WHERE id = 'another text id'") == [
        ("another text id",)
    ]
    clean(engine)


def test_a_retyped_column_gets_its_new_type(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.alter_column("v", type_=sa.String(80))
            b.alter_column("big", type_=sa.String(20))  # INTEGER to TEXT affinity: a CAST
            b.alter_column("n", existing_type=sa.Numeric(10, 2), nullable=True)  # not a retype
            b.alter_column("d", existing_type=sa.DateTime(), new_column_name="d2")

    run(engine, batch)
    types = declared_types(engine)
    assert types["v"] == "VARCHAR(80)"
    assert types["big"] == "VARCHAR(20)"
    assert types["n"] == "NUMERIC(10, 2)"
    assert types["d2"] == "DATETIME"
    assert types["id"] == "INT"
    assert rows(engine, "SELECT v, big, typeof(big), d2 FROM t ORDER BY rowid") == [
        ("a", "9007199254740993", "text", "2024-01-02 03:04:05"),
        ("b", "1", "text", "2024-02-03"),
        (None, None, "null", None),
    ]
    clean(engine)


def test_retyping_the_int_primary_key_to_integer_is_the_users_choice(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    execute(eng, "CREATE TABLE t (id INT PRIMARY KEY, v varchar(9), k bigint)",
            "INSERT INTO t (id, v) VALUES (5, 'a'), (7, 'b')")

    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.alter_column("id", type_=sa.Integer())

    run(eng, batch)
    assert declared_types(eng) == {"id": "INTEGER", "v": "varchar(9)", "k": "bigint"}
    assert rows(eng, "SELECT rowid, id, v FROM t ORDER BY id") == [(5, 5, "a"), (7, 7, "b")]
    clean(eng)
    eng.dispose()


def test_types_given_by_reflect_args_or_a_listener_win(engine: Any) -> None:
    def on_reflect(inspector: Any, table: Any, info: dict[str, Any]) -> None:
        if info["name"] == "s":
            info["type"] = sa.Integer()

    def batch(op: Any) -> None:
        with op.batch_alter_table(
            "t", recreate="always",
            reflect_args=[sa.Column("v", sa.Text()), sa.Column("id", sa.String(10), primary_key=True)],
            reflect_kwargs={"listeners": [("column_reflect", on_reflect)]},
        ):
            pass

    run(engine, batch)
    types = declared_types(engine)
    assert types["v"] == "TEXT"
    assert types["id"] == "VARCHAR(10)"
    assert types["s"] == "INTEGER"
    # the others keep their text (the listener saw them too, but left their types alone)
    assert types["lo"] == "varchar(12)" and types["ts"] == "timestamp"
    assert types["bi"] == "BIGINT" and types["dp"] == "DOUBLE PRECISION"
    clean(engine)


def test_integer_primary_key_autoincrement_is_kept(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    execute(eng, "CREATE TABLE t (id integer PRIMARY KEY AUTOINCREMENT, v Text, gone INT)",
            "INSERT INTO t (v) VALUES ('a'), ('b')", "DELETE FROM t WHERE id = 2")

    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.drop_column("gone")

    run(eng, batch)
    sql = schema_sql(eng)["t"]
    assert "id integer PRIMARY KEY AUTOINCREMENT" in sql
    assert "v Text" in sql
    execute(eng, "INSERT INTO t (v) VALUES ('c')")
    assert rows(eng, "SELECT id, v FROM t ORDER BY id") == [(1, "a"), (3, "c")]
    clean(eng)
    eng.dispose()


def test_reflection_keeps_the_declared_text_but_copy_from_is_the_truth(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    execute(eng, "CREATE TABLE t (id INT PRIMARY KEY, v varchar(40), gone TEXT, more TEXT)",
            "INSERT INTO t VALUES (1, 'a', 'x', 'y')")
    table = sa.Table(
        "t", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("v", sa.String(40)),
        sa.Column("more", sa.Text),
    )

    def reflected(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.drop_column("gone")

    def given(op: Any) -> None:
        with op.batch_alter_table("t", copy_from=table) as b:
            b.drop_column("more")

    run(eng, reflected)
    assert declared_types(eng) == {"id": "INT", "v": "varchar(40)", "more": "TEXT"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)
        run(eng, given)
        sql = offline("sqlite", given)
    assert declared_types(eng) == {"id": "INTEGER", "v": "VARCHAR(40)"}
    assert rows(eng, "SELECT rowid, id, v FROM t") == [(1, 1, "a")]
    assert "id INTEGER NOT NULL" in sql and "v VARCHAR(40)" in sql
    clean(eng)
    eng.dispose()


def test_a_collation_name_that_needs_quotes_is_quoted() -> None:
    assert DeclaredType("TEXT", "my coll").get_col_spec() == 'TEXT COLLATE "my coll"'
    assert DeclaredType("TEXT", "NOCASE").get_col_spec() == "TEXT COLLATE NOCASE"
