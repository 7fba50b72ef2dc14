"""Gaps the audit of issue 7 found in batch recreates: ``table_args`` / ``table_kwargs``,
column-level CHECKs of added columns, untyped and unknown declared types, one-line generated
columns, old column names after a rename without a recreate, the warnings, ``reflect_args``
and ``copy_from`` online."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import clean, engine_for, execute, rows, run, schema_sql, shared

from mig_core.errors import CommandError

sqlite_url = shared.sqlite_url

TABLE = "CREATE TABLE t (id INTEGER PRIMARY KEY, flag INT, price TEXT, x INT)"


@pytest.fixture
def engine(sqlite_url: str) -> Any:
    eng = engine_for(sqlite_url)
    execute(eng, TABLE, "INSERT INTO t VALUES (1, 1, '1.5', 1), (2, 0, '2', 50)")
    yield eng
    eng.dispose()


def table_sql(engine: Any, name: str = "t") -> str:
    return schema_sql(engine)[name]


# --- 1. table_args / table_kwargs --------------------------------------------------------------


def test_table_args_check_and_unique_land_on_the_new_table(engine: Any) -> None:
    args = [sa.CheckConstraint("x < 100", name="ck_x"), sa.UniqueConstraint("price", name="uq_price")]

    def batch(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always", table_args=args) as b:
            b.alter_column("flag", nullable=False)

    run(engine, batch)
    sql = table_sql(engine)
    assert "CONSTRAINT ck_x CHECK (x < 100)" in sql
    assert "CONSTRAINT uq_price UNIQUE (price)" in sql
    assert rows(engine, "SELECT * FROM t ORDER BY id") == [(1, 1, "1.5", 1), (2, 0, "2", 50)]
    with pytest.raises(sa.exc.IntegrityError):
        execute(engine, "INSERT INTO t VALUES (3, 1, 'x', 500)")
    with pytest.raises(sa.exc.IntegrityError):
        execute(engine, "INSERT INTO t VALUES (3, 1, '2', 5)")
    clean(engine)


def test_table_args_index_is_created_on_the_final_table(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table(
            "t", recreate="always",
            table_args=[sa.Index("ix_extra", "price"), sa.Index("ix_expr", sa.text("lower(price)"))],
        ) as b:
            b.alter_column("x", new_column_name="xx")

    run(engine, batch)
    schema = schema_sql(engine)
    assert schema["ix_extra"] == "CREATE INDEX ix_extra ON t (price)"
    assert schema["ix_expr"] == "CREATE INDEX ix_expr ON t (lower(price))"
    assert not any(name.startswith("_mig_tmp") for name in schema)
    clean(engine)


def test_table_args_may_be_reused_by_a_second_batch(engine: Any) -> None:
    """The caller's objects are copied, never attached: the same list works twice."""
    args = [sa.CheckConstraint("x < 100", name="ck_x"), sa.Index("ix_extra", "price")]

    def batch(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always", table_args=args):
            pass

    run(engine, batch)
    execute(engine, "DROP INDEX ix_extra")
    run(engine, batch)
    assert "CONSTRAINT ck_x CHECK (x < 100)" in table_sql(engine)
    assert "ix_extra" in schema_sql(engine)


def test_table_args_naming_a_missing_column_is_a_clear_error(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table(
            "t", recreate="always", table_args=[sa.UniqueConstraint("nope", name="uq_nope")]
        ):
            pass

    with pytest.raises(CommandError, match="nope"):
        run(engine, batch)
    assert table_sql(engine) == TABLE


def test_table_kwargs_reach_the_new_table(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table(
            "t", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as b:
            b.alter_column("flag", nullable=False)

    run(engine, batch)
    assert "AUTOINCREMENT" in table_sql(engine)
    execute(engine, "INSERT INTO t (flag) VALUES (1)")
    assert rows(engine, "SELECT seq FROM sqlite_sequence WHERE name = 't'") == [(3,)]
    clean(engine)


# --- 2. column-level CHECKs of added columns ---------------------------------------------------


def test_added_column_keeps_its_column_level_checks(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as b:
            b.add_column(sa.Column("c", sa.Integer, sa.CheckConstraint("c > 0", name="ck_c")))
            b.add_column(sa.Column("d", sa.Integer, sa.CheckConstraint("d < 10")))
            b.alter_column("flag", type_=sa.Boolean(create_constraint=True, name="ck_flag"))

    run(engine, batch)
    sql = table_sql(engine)
    assert "CONSTRAINT ck_c CHECK (c > 0)" in sql
    assert "CHECK (d < 10)" in sql
    assert "CONSTRAINT ck_flag CHECK (flag IN (0, 1))" in sql
    for bad in ("(3, 1, 'p', 1, 0, 1)", "(3, 1, 'p', 1, 1, 10)", "(3, 2, 'p', 1, 1, 1)"):
        with pytest.raises(sa.exc.IntegrityError):
            execute(engine, f"INSERT INTO t VALUES {bad}")
    execute(engine, "INSERT INTO t VALUES (3, 1, 'p', 1, 1, 1)")
    clean(engine)
