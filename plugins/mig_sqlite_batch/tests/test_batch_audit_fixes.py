"""Fixes from the third compatibility audit of SQLite batch recreates: a type change replaces
the CHECK of the old Enum / Boolean type, renames reach generated columns' expressions,
DEFERRABLE and ON CONFLICT clauses are kept, ``copy_from`` online names the constraints it
leaves out, a retype of the rowid alias warns, and a text retype keeps the COLLATE."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import clean, engine_for, execute, rows, run, schema_sql, shared

from mig_core.errors import CommandError, MigWarning

sqlite_url = shared.sqlite_url

OLD_ENUM = sa.Enum("a", "b", name="kindenum", create_constraint=True)
NEW_ENUM = sa.Enum("a", "b", "c", name="kindenum", create_constraint=True)


@pytest.fixture
def engine(sqlite_url: str) -> Any:
    eng = engine_for(sqlite_url)
    yield eng
    eng.dispose()


def table_sql(engine: Any, name: str = "t") -> str:
    return schema_sql(engine)[name]


def fails(engine: Any, sql: str) -> bool:
    try:
        execute(engine, sql)
    except sa.exc.IntegrityError:
        return True
    return False


# --- 1. a type change replaces the old type's CHECK ---------------------------------------------


ITEM = """CREATE TABLE item (
  id INTEGER NOT NULL,
  kind VARCHAR(1),
  flag BOOLEAN,
  PRIMARY KEY (id),
  CONSTRAINT kindenum CHECK (kind IN ('a', 'b')),
  CONSTRAINT ck_flag_bool CHECK (flag IN (0, 1))
)"""


def test_enum_and_boolean_retype_replace_their_named_checks(engine: Any) -> None:
    execute(engine, ITEM, "INSERT INTO item VALUES (1, 'a', 1), (2, 'b', 0)")
    flag_bool = sa.Boolean(create_constraint=True, name="ck_flag_bool")

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("item") as b:
            b.alter_column("kind", existing_type=OLD_ENUM, type_=NEW_ENUM)
            b.alter_column("flag", existing_type=flag_bool, type_=sa.Integer())

    def downgrade(op: Any) -> None:
        op.execute("DELETE FROM item WHERE kind = 'c' OR flag NOT IN (0, 1)")
        with op.batch_alter_table("item") as b:
            b.alter_column("flag", existing_type=sa.Integer(), type_=flag_bool)
            b.alter_column("kind", existing_type=NEW_ENUM, type_=OLD_ENUM)

    run(engine, upgrade)
    sql = table_sql(engine, "item")
    assert sql.count("CHECK") == 1, sql
    assert "CONSTRAINT kindenum CHECK (kind IN ('a', 'b', 'c'))" in sql
    assert "ck_flag_bool" not in sql
    execute(engine, "INSERT INTO item VALUES (3, 'c', 7)")
    assert fails(engine, "INSERT INTO item VALUES (4, 'z', 1)")
    assert rows(engine, "SELECT * FROM item ORDER BY id") == [
        (1, "a", 1), (2, "b", 0), (3, "c", 7)
    ]
    clean(engine)

    for _ in range(2):  # a downgrade / upgrade cycle does not stack constraints
        run(engine, downgrade)
        sql = table_sql(engine, "item")
        assert sql.count("CHECK") == 2, sql
        assert sql.count("kindenum") == 1 and sql.count("ck_flag_bool") == 1, sql
        assert "CONSTRAINT kindenum CHECK (kind IN ('a', 'b'))" in sql
        assert fails(engine, "INSERT INTO item VALUES (5, 'c', 1)")
        assert fails(engine, "INSERT INTO item VALUES (5, 'a', 2)")
        run(engine, upgrade)
        assert table_sql(engine, "item").count("CHECK") == 1
    assert rows(engine, "SELECT * FROM item ORDER BY id") == [(1, "a", 1), (2, "b", 0)]


def test_unnamed_enum_check_is_replaced(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, kind VARCHAR(1) CHECK (kind IN ('a','b')), "
        "n INT CHECK (n > 0))",
        "INSERT INTO t VALUES (1, 'a', 1)",
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.alter_column(
                "kind", existing_type=sa.Enum("a", "b", create_constraint=True),
                type_=sa.Enum("a", "b", "c", create_constraint=True),
            )

    run(engine, upgrade)
    sql = table_sql(engine)
    assert "CHECK (kind IN ('a', 'b', 'c'))" in sql
    assert "'a','b')" not in sql and sql.count("CHECK") == 2, sql
    assert "CHECK (n > 0)" in sql  # another unnamed CHECK stays
    execute(engine, "INSERT INTO t VALUES (2, 'c', 1)")
    assert fails(engine, "INSERT INTO t VALUES (3, 'z', 1)")
    assert fails(engine, "INSERT INTO t VALUES (3, 'a', 0)")


def test_enum_to_string_drops_the_check(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, kind VARCHAR(1), "
        "CONSTRAINT kindenum CHECK (kind IN ('a', 'b')))",
        "INSERT INTO t VALUES (1, 'a')",
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.alter_column("kind", existing_type=OLD_ENUM, type_=sa.String(10))

    run(engine, upgrade)
    sql = table_sql(engine)
    assert "CHECK" not in sql and "kind VARCHAR(10)" in sql, sql
    execute(engine, "INSERT INTO t VALUES (2, 'zzz')")
    assert rows(engine, "SELECT * FROM t ORDER BY id") == [(1, "a"), (2, "zzz")]


def test_boolean_check_named_by_the_batch_convention_is_replaced(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, flag BOOLEAN, "
        "CONSTRAINT ck_t_flag CHECK (flag IN (0, 1)))",
        "INSERT INTO t VALUES (1, 1)",
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table(
            "t", naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"}
        ) as b:
            b.alter_column(
                "flag", existing_type=sa.Boolean(create_constraint=True, name="flag"),
                type_=sa.Integer,
            )

    run(engine, upgrade)
    assert "CHECK" not in table_sql(engine)
    execute(engine, "INSERT INTO t VALUES (2, 7)")


def test_without_existing_type_the_check_is_kept_but_never_doubled(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, kind VARCHAR(1), flag BOOLEAN, "
        "CONSTRAINT kindenum CHECK (kind IN ('a', 'b')), CONSTRAINT ck_flag CHECK (flag IN (0, 1)))",
        "INSERT INTO t VALUES (1, 'a', 1)",
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.alter_column("kind", type_=NEW_ENUM)  # same name: the new CHECK replaces it
            b.alter_column("flag", type_=sa.Integer)  # not given: ck_flag stays

    run(engine, upgrade)
    sql = table_sql(engine)
    assert sql.count("kindenum") == 1, sql
    assert "CONSTRAINT kindenum CHECK (kind IN ('a', 'b', 'c'))" in sql
    assert "CONSTRAINT ck_flag CHECK (flag IN (0, 1))" in sql
    execute(engine, "INSERT INTO t VALUES (2, 'c', 0)")
    assert fails(engine, "INSERT INTO t VALUES (3, 'a', 7)")


def test_table_args_check_of_a_reflected_name_replaces_it(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, x INT, CONSTRAINT ck_x CHECK (x > 5))",
        "INSERT INTO t VALUES (1, 6)",
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table(
            "t", recreate="always", table_args=(sa.CheckConstraint("x > 0", name="ck_x"),)
        ):
            pass

    run(engine, upgrade)
    sql = table_sql(engine)
    assert sql.count("ck_x") == 1 and "CHECK (x > 0)" in sql, sql
    execute(engine, "INSERT INTO t VALUES (2, 1)")


def test_table_args_check_of_a_reflected_unnamed_check_is_not_doubled(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, x INT CHECK (x > 5), y INT)",
        "INSERT INTO t VALUES (1, 6, 1)",
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t", table_args=(sa.CheckConstraint("x>5"),)) as b:
            b.alter_column("y", existing_type=sa.Integer, nullable=False)

    run(engine, upgrade)
    sql = table_sql(engine)
    assert sql.count("CHECK") == 1 and "CHECK (x>5)" in sql, sql
    assert fails(engine, "INSERT INTO t VALUES (2, 1, 1)")


# --- 2. a rename reaches generated columns ---------------------------------------------------------


def test_rename_of_a_column_a_generated_column_uses(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE line (id INTEGER PRIMARY KEY, amount NUMERIC, qty INT, "
        "total NUMERIC GENERATED ALWAYS AS (amount * qty) STORED, "
        "half NUMERIC AS (\"amount\" / 2.0))",
        "INSERT INTO line (id, amount, qty) VALUES (1, 2, 3), (2, 5, 4)",
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("line") as b:
            b.alter_column("amount", new_column_name="price", existing_type=sa.Numeric,
                           nullable=False)

    def downgrade(op: Any) -> None:
        with op.batch_alter_table("line") as b:
            b.alter_column("price", new_column_name="amount", existing_type=sa.Numeric,
                           nullable=True)

    run(engine, upgrade)
    sql = table_sql(engine, "line")
    assert "amount" not in sql, sql
    assert "GENERATED ALWAYS AS (price * qty) STORED" in sql
    execute(engine, "INSERT INTO line (id, price, qty) VALUES (3, 10, 2)")
    assert rows(engine, "SELECT id, price, qty, total, half FROM line ORDER BY id") == [
        (1, 2, 3, 6, 1), (2, 5, 4, 20, 2.5), (3, 10, 2, 20, 5)
    ]
    run(engine, downgrade)
    assert "GENERATED ALWAYS AS (amount * qty) STORED" in table_sql(engine, "line")
    assert rows(engine, "SELECT total FROM line ORDER BY id") == [(6,), (20,), (20,)]
    clean(engine)


def test_drop_of_a_column_a_generated_column_uses_names_it(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE line (id INTEGER PRIMARY KEY, amount NUMERIC, qty INT, "
        "total NUMERIC AS (amount * qty))",
        "INSERT INTO line (id, amount, qty) VALUES (1, 2, 3)",
    )

    def drop_amount(op: Any) -> None:
        with op.batch_alter_table("line") as b:
            b.alter_column("amount", new_column_name="price")
            b.drop_column("price")

    with pytest.raises(CommandError, match=r"generated column 'total' .* price"):
        run(engine, drop_amount)
    assert rows(engine, "SELECT total FROM line") == [(6,)]

    def drop_both(op: Any) -> None:
        with op.batch_alter_table("line") as b:
            b.drop_column("amount")
            b.drop_column("total")

    run(engine, drop_both)
    assert rows(engine, "SELECT * FROM line") == [(1, 3)]


# --- 3. DEFERRABLE and ON CONFLICT --------------------------------------------------------------


def test_deferrable_and_on_conflict_survive_a_recreate(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE child (\n"
        "  id INTEGER PRIMARY KEY ON CONFLICT REPLACE,\n"
        "  parent_id INTEGER REFERENCES parent (id) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,\n"
        "  p2 INT CONSTRAINT fk_p2 REFERENCES parent (id) DEFERRABLE INITIALLY IMMEDIATE,\n"
        "  p3 INT,\n"
        "  code TEXT NOT NULL ON CONFLICT IGNORE UNIQUE ON CONFLICT REPLACE,\n"
        "  a INT, b INT, x INT,\n"
        "  FOREIGN KEY (p3) REFERENCES parent (id) NOT DEFERRABLE,\n"
        "  UNIQUE (a, b) ON CONFLICT IGNORE\n"
        ")",
        "INSERT INTO parent VALUES (1)",
        "INSERT INTO child VALUES (1, 1, 1, 1, 'a', 1, 1, 1)",
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("child") as b:
            b.alter_column("x", existing_type=sa.Integer, nullable=False, server_default="0")

    run(engine, upgrade)
    sql = table_sql(engine, "child")
    assert "PRIMARY KEY (id) ON CONFLICT REPLACE" in sql, sql
    assert "code TEXT NOT NULL ON CONFLICT IGNORE" in sql
    assert "UNIQUE (code) ON CONFLICT REPLACE" in sql
    assert "UNIQUE (a, b) ON CONFLICT IGNORE" in sql
    assert (
        "FOREIGN KEY(parent_id) REFERENCES parent (id) ON UPDATE CASCADE "
        "DEFERRABLE INITIALLY DEFERRED" in sql
    )
    assert "CONSTRAINT fk_p2 FOREIGN KEY(p2) REFERENCES parent (id) DEFERRABLE INITIALLY IMMEDIATE" in sql
    assert "FOREIGN KEY(p3) REFERENCES parent (id) NOT DEFERRABLE" in sql
    # the clauses work: a duplicate code replaces, a NULL code is ignored, (a, b) ignored
    execute(engine, "INSERT INTO child (id, code, a, b) VALUES (2, 'a', 2, 2)")
    execute(engine, "INSERT INTO child (id, code, a, b) VALUES (3, NULL, 3, 3)")
    execute(engine, "INSERT INTO child (id, code, a, b) VALUES (4, 'd', 2, 2)")
    execute(engine, "INSERT INTO child (id, code, a, b) VALUES (2, 'e', 5, 5)")
    assert rows(engine, "SELECT id, code FROM child ORDER BY id") == [(2, "e")]
    # the deferred foreign key is checked at commit only
    raw = engine.raw_connection()
    try:
        raw.execute("PRAGMA foreign_keys = ON")
        raw.execute("BEGIN")
        raw.execute("INSERT INTO child (id, parent_id, code) VALUES (9, 5, 'z')")
        raw.execute("INSERT INTO parent VALUES (5)")
        raw.execute("COMMIT")
    finally:
        raw.close()
    clean(engine)


def test_on_conflict_of_an_autoincrement_key(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INTEGER PRIMARY KEY ON CONFLICT REPLACE AUTOINCREMENT, x INT)",
        "INSERT INTO t VALUES (1, 1)",
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.alter_column("x", existing_type=sa.Integer, nullable=False)

    run(engine, upgrade)
    assert "id INTEGER PRIMARY KEY ON CONFLICT REPLACE AUTOINCREMENT" in table_sql(engine)
    execute(engine, "INSERT INTO t VALUES (1, 2)")
    assert rows(engine, "SELECT id, x FROM t") == [(1, 2)]


# --- 4. copy_from online names what it leaves out ------------------------------------------------


def test_copy_from_warning_names_checks_uniques_and_foreign_keys(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE p (id INTEGER PRIMARY KEY)",
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a INT CHECK (a < 100), b TEXT, "
        "c INT REFERENCES p (id), d TEXT UNIQUE, "
        "CONSTRAINT ck_a CHECK (a > 0), CONSTRAINT uq_b UNIQUE (b))",
        "CREATE INDEX ix_a ON t (a)",
        "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')",
    )
    tt = sa.Table(
        "t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer), sa.Column("b", sa.Text), sa.Column("c", sa.Integer),
        sa.Column("d", sa.Text, unique=True),
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t", copy_from=tt) as b:
            b.alter_column("a", existing_type=sa.Integer, nullable=False)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(engine, upgrade)
    messages = [str(w.message) for w in caught if issubclass(w.category, MigWarning)]
    assert len(messages) == 1, messages
    message = messages[0]
    for part in ("index ix_a", "AUTOINCREMENT", "CHECK constraint ck_a", "CHECK (a < 100)",
                 "UNIQUE constraint uq_b", "FOREIGN KEY (c) REFERENCES p"):
        assert part in message, message
    assert "(d)" not in message  # copy_from has that one


def test_copy_from_describing_everything_warns_nothing(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b TEXT, flag BOOLEAN, "
        "CONSTRAINT ck_a CHECK (a > 0), CONSTRAINT uq_b UNIQUE (b), "
        "CONSTRAINT ck_flag CHECK (flag IN (0, 1)))",
        "INSERT INTO t (a, b) VALUES (1, 'x')",
    )
    tt = sa.Table(
        "t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer), sa.Column("b", sa.Text),
        sa.Column("flag", sa.Boolean(create_constraint=True, name="ck_flag")),
        sa.CheckConstraint("a > 0", name="ck_a"), sa.UniqueConstraint("b", name="uq_b"),
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t", copy_from=tt) as b:
            b.alter_column("a", existing_type=sa.Integer, nullable=False)

    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)
        run(engine, upgrade)


# --- 5. a retype of the rowid alias warns ------------------------------------------------------------


def test_retype_of_the_rowid_alias_warns(engine: Any) -> None:
    execute(engine, "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT)", "INSERT INTO t VALUES (5, 1)")

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.alter_column("id", existing_type=sa.Integer, type_=sa.BigInteger)

    with pytest.warns(MigWarning, match=r"'id'.*rowid.*sa\.Integer"):
        run(engine, upgrade)
    assert "id BIGINT" in table_sql(engine)
    assert rows(engine, "SELECT id, a FROM t") == [(5, 1)]


def test_retype_keeping_the_rowid_alias_does_not_warn(engine: Any) -> None:
    execute(engine, "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT)", "INSERT INTO t VALUES (5, 1)")

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.alter_column("id", existing_type=sa.BigInteger,
                           type_=sa.BigInteger().with_variant(sa.Integer, "sqlite"))
            b.alter_column("a", type_=sa.BigInteger)

    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)
        run(engine, upgrade)
    execute(engine, "INSERT INTO t (a) VALUES (2)")
    assert rows(engine, "SELECT id, a FROM t ORDER BY id") == [(5, 1), (6, 2)]


# --- 6. a text retype keeps COLLATE ------------------------------------------------------------------


def test_text_retype_keeps_the_collation(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(10) COLLATE RTRIM, "
        "code VARCHAR(5) COLLATE NOCASE)",
        "INSERT INTO t VALUES (1, 'x', 'A')",
    )

    def upgrade(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.alter_column("name", type_=sa.String(40))
            b.alter_column("code", type_=sa.String(8, collation="BINARY"))

    run(engine, upgrade)
    sql = table_sql(engine)
    assert 'name VARCHAR(40) COLLATE "RTRIM"' in sql, sql  # (SQLAlchemy quotes it)
    assert 'code VARCHAR(8) COLLATE "BINARY"' in sql
    assert rows(engine, "SELECT id FROM t WHERE name = 'x   '") == [(1,)]
    assert rows(engine, "SELECT id FROM t WHERE code = 'a'") == []
