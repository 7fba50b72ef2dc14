"""PostgreSQL ``alter_column`` changing the type and the server default together.

PostgreSQL checks a default against the column's current type when it is set, and casts the
current default when the type changes. The default used to be set before the type changed
(``SET DEFAULT 'none'`` on an INTEGER column: ``invalid input syntax for type integer``); now the
old default is dropped, the type changed, and the new default set, online and in scripts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from pg_support import offline, reset_database, rows, run, statements
from runtime_support import shared_fixtures

postgres_url = shared_fixtures().postgres_url


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    reset_database(eng)
    with eng.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TYPE mood AS ENUM ('ok', 'sad');"
            "CREATE TABLE t (id integer PRIMARY KEY, code integer DEFAULT 0);"
            "INSERT INTO t VALUES (1, 5), (2, 0), (3, NULL)"
        )
    yield eng
    eng.dispose()


def column(engine: sa.Engine) -> tuple[object, ...]:
    """(type, default, nullable, comment) of t.code, and its values by id."""
    (info,) = rows(
        engine,
        "SELECT format_type(a.atttypid, a.atttypmod), pg_get_expr(d.adbin, d.adrelid), "
        "NOT a.attnotnull, col_description(a.attrelid, a.attnum) FROM pg_attribute a "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = 't'::regclass AND a.attname = 'code'",
    )
    return info + (rows(engine, "SELECT id, code::text FROM t ORDER BY id"),)


def to_string(op, ctx) -> None:
    # what autogenerate writes for Integer default 0 -> String(10) default 'none'
    op.alter_column("t", "code", existing_type=sa.INTEGER(), type_=sa.String(length=10),
                    existing_nullable=True, server_default="none",
                    existing_server_default=sa.text("0"))


def to_boolean(op, ctx) -> None:
    # DEFAULT 0 cannot be cast to boolean: it has to go before the type changes
    op.alter_column("t", "code", existing_type=sa.INTEGER(), type_=sa.Boolean(),
                    server_default=sa.false(), postgresql_using="code <> 0")


def to_enum(op, ctx) -> None:
    op.alter_column("t", "code", type_=sa.Enum("ok", "sad", name="mood", create_type=False),
                    server_default="ok",
                    postgresql_using="CASE WHEN code > 0 THEN 'sad' ELSE 'ok' END::mood")


def everything(op, ctx) -> None:
    op.alter_column("t", "code", existing_type=sa.INTEGER(), type_=sa.String(length=10),
                    server_default="none", nullable=False, comment="the code",
                    existing_server_default=sa.text("0"), postgresql_using="coalesce(code, 7)")


def test_type_then_default_in_the_script():
    assert offline(to_string) == statements(
        "BEGIN",
        "ALTER TABLE t ALTER COLUMN code DROP DEFAULT",
        "ALTER TABLE t ALTER COLUMN code TYPE VARCHAR(10)",
        "ALTER TABLE t ALTER COLUMN code SET DEFAULT 'none'",
        "COMMIT",
    )
    assert offline(to_boolean) == statements(
        "BEGIN",
        "ALTER TABLE t ALTER COLUMN code DROP DEFAULT",
        "ALTER TABLE t ALTER COLUMN code TYPE BOOLEAN USING code <> 0",
        "ALTER TABLE t ALTER COLUMN code SET DEFAULT false",
        "COMMIT",
    )


def test_nullable_default_type_comment_and_rename_in_the_script():
    def fn(op, ctx):
        everything(op, ctx)
        op.alter_column("t", "code", type_=sa.Text(), server_default=None, new_column_name="c")

    assert offline(fn) == statements(
        "BEGIN",
        "ALTER TABLE t ALTER COLUMN code DROP DEFAULT",
        "ALTER TABLE t ALTER COLUMN code TYPE VARCHAR(10) USING coalesce(code, 7)",
        "ALTER TABLE t ALTER COLUMN code SET NOT NULL",
        "ALTER TABLE t ALTER COLUMN code SET DEFAULT 'none'",
        "COMMENT ON COLUMN t.code IS 'the code'",
        "ALTER TABLE t ALTER COLUMN code DROP DEFAULT",
        "ALTER TABLE t ALTER COLUMN code TYPE TEXT",
        "ALTER TABLE t RENAME COLUMN code TO c",
        "COMMIT",
    )


def test_without_a_type_change_nothing_moves():
    def fn(op, ctx):
        op.alter_column("t", "code", server_default="1", nullable=False, comment="x")
        op.alter_column("t", "code", type_=sa.BigInteger(), comment="y")

    assert offline(fn) == statements(
        "BEGIN",
        "ALTER TABLE t ALTER COLUMN code SET NOT NULL",
        "ALTER TABLE t ALTER COLUMN code SET DEFAULT '1'",
        "COMMENT ON COLUMN t.code IS 'x'",
        "ALTER TABLE t ALTER COLUMN code TYPE BIGINT",
        "COMMENT ON COLUMN t.code IS 'y'",
        "COMMIT",
    )


def test_drop_not_null_before_a_type_change_that_makes_nulls(engine):
    def fn(op, ctx):
        op.alter_column("t", "code", type_=sa.Boolean(), nullable=True, server_default=None,
                        postgresql_using="NULLIF(code, 0) > 0")

    assert offline(fn) == statements(
        "BEGIN",
        "ALTER TABLE t ALTER COLUMN code DROP NOT NULL",
        "ALTER TABLE t ALTER COLUMN code DROP DEFAULT",
        "ALTER TABLE t ALTER COLUMN code TYPE BOOLEAN USING NULLIF(code, 0) > 0",
        "COMMIT",
    )
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE t SET code = 3 WHERE code IS NULL; "
                             "ALTER TABLE t ALTER COLUMN code SET NOT NULL")
    run(engine, fn)
    assert column(engine) == (
        "boolean", None, True, None, [(1, "true"), (2, None), (3, "true")],
    )


def test_identity_after_the_type_change():
    def fn(op, ctx):
        op.alter_column("t", "id", existing_type=sa.INTEGER(), type_=sa.BigInteger(),
                        server_default=sa.Identity(start=5))

    assert offline(fn) == statements(
        "BEGIN",
        "ALTER TABLE t ALTER COLUMN id TYPE BIGINT",
        "ALTER TABLE t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 5)",
        "COMMIT",
    )


def test_type_and_default_online(engine):
    run(engine, to_string)
    assert column(engine) == (
        "character varying(10)", "'none'::character varying", True, None,
        [(1, "5"), (2, "0"), (3, None)],
    )
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t (id) VALUES (4)")
    assert rows(engine, "SELECT code FROM t WHERE id = 4") == [("none",)]


def test_an_old_default_that_cannot_be_cast_online(engine):
    run(engine, to_boolean)
    assert column(engine) == (
        "boolean", "false", True, None, [(1, "true"), (2, "false"), (3, None)],
    )


def test_an_old_default_to_an_enum_online(engine):
    run(engine, to_enum)
    assert column(engine) == (
        "mood", "'ok'::mood", True, None, [(1, "sad"), (2, "ok"), (3, "ok")],
    )


def test_type_nullable_default_and_comment_online(engine):
    run(engine, everything)
    assert column(engine) == (
        "character varying(10)", "'none'::character varying", False, "the code",
        [(1, "5"), (2, "0"), (3, "7")],
    )
