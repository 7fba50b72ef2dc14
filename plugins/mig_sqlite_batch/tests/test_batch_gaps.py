"""Gaps the audit of issue 7 found in batch recreates: ``table_args`` / ``table_kwargs``,
column-level CHECKs of added columns, untyped and unknown declared types, one-line generated
columns, old column names after a rename without a recreate, the warnings, ``reflect_args``
and ``copy_from`` online."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import clean, engine_for, execute, offline, rows, run, schema_sql, shared

from mig_core.errors import CommandError, MigWarning

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


# --- 3. untyped columns and types SQLAlchemy does not know -------------------------------------


def declared_types(engine: Any, table: str) -> dict[str, str]:
    return {r[1]: r[2] for r in rows(engine, f"PRAGMA table_xinfo({table})")}


def test_untyped_and_unknown_types_keep_their_declared_text(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    execute(
        eng,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, notype, blobby MYBLOB, u UUID, "
        "money MONEYTYPE COLLATE NOCASE, d DECIMAL(10,2), x INT)",
        "INSERT INTO t VALUES (1, x'0102', x'03', 'abc', '12.50', 1.5, 1), "
        "(2, '12', 'b', 'def', 'x', '3.10', 2)",
    )
    before = declared_types(eng, "t")
    data = "SELECT notype, typeof(notype), u, typeof(u), money, typeof(money) FROM t ORDER BY id"
    rows_before = rows(eng, data)

    def batch(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as b:
            b.alter_column("x", nullable=False)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # "Did not recognize type"
        run(eng, batch)
    after = declared_types(eng, "t")
    assert after == before  # known types too: DECIMAL(10,2) and INT as written
    assert after["notype"] == "" and after["u"] == "UUID" and after["money"] == "MONEYTYPE"
    assert "money MONEYTYPE COLLATE NOCASE" in table_sql(eng)
    assert rows(eng, data) == rows_before
    clean(eng)
    eng.dispose()


def test_strict_table_with_any_recreates(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    execute(
        eng,
        "CREATE TABLE s (id INTEGER PRIMARY KEY, a ANY, n INT) STRICT",
        "INSERT INTO s VALUES (1, 'text', 1), (2, 2.5, 2), (3, x'00', 3)",
    )
    data = "SELECT a, typeof(a) FROM s ORDER BY id"
    rows_before = rows(eng, data)

    def batch(op: Any) -> None:
        with op.batch_alter_table("s", recreate="always") as b:
            b.add_column(sa.Column("z", sa.Integer, nullable=False, server_default="0"))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        run(eng, batch)
    assert declared_types(eng, "s")["a"] == "ANY"
    assert "STRICT" in table_sql(eng, "s")
    assert rows(eng, data) == rows_before
    clean(eng)
    eng.dispose()


# --- 4. generated columns written on one line -------------------------------------------------


def test_one_line_generated_columns_are_read_from_the_sql(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    execute(
        eng,
        "CREATE TABLE w (id INTEGER PRIMARY KEY, v INT, g INT AS (v*2) VIRTUAL, "
        "st INT AS (v+1) STORED, h INT GENERATED ALWAYS AS (v - 1))",
        "INSERT INTO w (id, v) VALUES (1, 1), (2, 5)",
    )

    def batch(op: Any) -> None:
        with op.batch_alter_table("w", recreate="always") as b:
            b.alter_column("v", nullable=False)

    run(eng, batch)
    sql = table_sql(eng, "w")
    assert "g INT GENERATED ALWAYS AS (v*2) VIRTUAL" in sql
    assert "st INT GENERATED ALWAYS AS (v+1) STORED" in sql
    assert "h INT GENERATED ALWAYS AS (v - 1) VIRTUAL" in sql
    assert rows(eng, "SELECT * FROM w ORDER BY id") == [(1, 1, 2, 2, 0), (2, 5, 10, 6, 4)]
    execute(eng, "INSERT INTO w (id, v) VALUES (3, 7)")
    assert rows(eng, "SELECT g, st, h FROM w WHERE id = 3") == [(14, 8, 6)]
    clean(eng)
    eng.dispose()


# --- 5. old column names after a rename, without a recreate ----------------------------------


def test_old_name_follows_a_rename_when_the_batch_does_not_recreate(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:  # auto: plain ALTERs on SQLite
            b.alter_column("x", new_column_name="xx")
            b.create_index("ix_old", ["x"])
            b.alter_column("x", new_column_name="xy")  # the old name, twice renamed
            b.alter_column("price", new_column_name="cost")
            b.add_column(sa.Column("price", sa.Integer))  # "price" is now the new column
            b.create_index("ix_price", ["price"])
            b.create_index("ix_cost", ["cost"])

    run(engine, batch)
    schema = schema_sql(engine)
    assert schema["t"].startswith("CREATE TABLE t (")  # ALTERed in place, not recreated
    assert rows(engine, "SELECT id, flag, cost, xy, price FROM t ORDER BY id") == [
        (1, 1, "1.5", 1, None), (2, 0, "2", 50, None),
    ]
    assert schema["ix_old"] == "CREATE INDEX ix_old ON t (xy)"
    assert schema["ix_price"] == "CREATE INDEX ix_price ON t (price)"
    clean(engine)


def test_old_name_follows_a_rename_offline() -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table("t", recreate="never") as b:
            b.alter_column("a", new_column_name="aa")
            b.create_unique_constraint("uq_a", ["a"])
            b.create_foreign_key("fk_self", "t", ["a"], ["a"])
            b.alter_column("a", nullable=False, existing_type=sa.Integer)

    sql = offline("postgresql", batch)
    assert "ALTER TABLE t RENAME COLUMN a TO aa" in sql
    assert "ADD CONSTRAINT uq_a UNIQUE (aa)" in sql
    assert "FOREIGN KEY(aa) REFERENCES t (aa)" in sql
    assert "ALTER COLUMN aa SET NOT NULL" in sql


# --- 6. the warning when the CHECKs cannot be read from the SQL ------------------------------


def test_unreadable_checks_warning_names_table_columns_and_checks(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mig_sqlite_batch import sqltext

    execute(
        engine,
        "CREATE TABLE c (id INTEGER PRIMARY KEY, a INT CHECK (a > 0), b INT, "
        "CONSTRAINT ck_b CHECK (b < 10))",
    )

    def unreadable(sql: str) -> Any:
        raise ValueError("unbalanced parentheses")

    monkeypatch.setattr(sqltext, "check_clauses", unreadable)

    def batch(op: Any) -> None:
        with op.batch_alter_table("c", recreate="always") as b:
            b.alter_column("b", nullable=False)

    with pytest.warns(MigWarning) as caught:
        run(engine, batch)
    message = " ".join(str(w.message) for w in caught)
    assert "table 'c'" in message
    assert "columns: id, a, b" in message
    assert "CONSTRAINT ck_b CHECK (b < 10)" in message
    assert "CONSTRAINT ck_b CHECK (b < 10)" in table_sql(engine, "c")


# --- 7. reflect_args, reflect_kwargs, table_kwargs, copy_from online --------------------------


def test_reflect_args_and_reflect_kwargs_shape_the_new_table(engine: Any) -> None:
    execute(engine, "ALTER TABLE t ADD COLUMN u UUID")

    def on_reflect(inspector: Any, table: Any, info: dict[str, Any]) -> None:
        if info["name"] == "price":
            info["type"] = sa.String(20)

    def batch(op: Any) -> None:
        with op.batch_alter_table(
            "t", recreate="always",
            reflect_args=[
                sa.Column("flag", sa.Boolean(create_constraint=True, name="ck_flag_bool")),
                sa.Column("u", sa.String(36)),
            ],
            reflect_kwargs={"listeners": [("column_reflect", on_reflect)]},
        ) as b:
            b.alter_column("x", new_column_name="xx")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # "Did not recognize type 'UUID'"
        run(engine, batch)
    sql = table_sql(engine)
    assert "flag BOOLEAN" in sql and "CONSTRAINT ck_flag_bool CHECK (flag IN (0, 1))" in sql
    assert "price VARCHAR(20)" in sql
    assert "u VARCHAR(36)" in sql  # reflect_args wins over the declared text
    assert rows(engine, "SELECT id, flag, price, xx FROM t ORDER BY id") == [
        (1, 1, "1.5", 1), (2, 0, "2", 50),
    ]
    clean(engine)


def test_table_kwargs_without_rowid(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table(
            "t", recreate="always", table_kwargs={"sqlite_with_rowid": False}
        ):
            pass

    run(engine, batch)
    assert table_sql(engine).rstrip().endswith("WITHOUT ROWID")
    assert rows(engine, "SELECT * FROM t ORDER BY id") == [(1, 1, "1.5", 1), (2, 0, "2", 50)]
    clean(engine)


def copy_from_table() -> sa.Table:
    return sa.Table(
        "t", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("flag", sa.Boolean),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("x", sa.Integer),
    )


def test_copy_from_online_replaces_reflection(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table("t", copy_from=copy_from_table()) as b:
            b.alter_column("price", type_=sa.Text)

    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)  # nothing omitted: no warning
        run(engine, batch)
    sql = table_sql(engine)
    assert "flag BOOLEAN" in sql and "price TEXT" in sql  # copy_from's types, not reflected
    assert rows(engine, "SELECT id, flag, price, typeof(price), x FROM t ORDER BY id") == [
        (1, 1, "1.5", "text", 1), (2, 0, "2", "text", 50),
    ]
    clean(engine)


def test_copy_from_online_warns_about_what_it_omits(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    execute(
        eng,
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, flag INT, price TEXT, x INT)",
        "CREATE INDEX ix_x ON t (x)",
        "CREATE INDEX ix_kept ON t (flag)",
        "INSERT INTO t VALUES (1, 1, '1.5', 1)",
    )
    described = copy_from_table()
    sa.Index("ix_kept", described.c.flag)

    def batch(op: Any) -> None:
        with op.batch_alter_table("t", copy_from=described) as b:
            b.alter_column("x", nullable=False)

    with pytest.warns(MigWarning, match="copy_from") as caught:
        run(eng, batch)
    message = " ".join(str(w.message) for w in caught)
    assert "index ix_x" in message and "AUTOINCREMENT" in message
    assert "ix_kept" not in message
    schema = schema_sql(eng)
    assert "ix_x" not in schema and "ix_kept" in schema  # as the warning said
    eng.dispose()


# --- 8. the batch hint renders types as a migration writes them -------------------------------


@pytest.mark.parametrize(
    ("type_", "rendered"),
    [(sa.Text, "type_=sa.Text()"), (sa.String(40), "type_=sa.String(length=40)"),
     (sa.Numeric(10, 2), "type_=sa.Numeric(precision=10, scale=2)")],
)
def test_batch_hint_renders_the_type(engine: Any, type_: Any, rendered: str) -> None:
    with pytest.raises(CommandError) as caught:
        run(engine, lambda op: op.alter_column("t", "price", type_=type_))
    message = str(caught.value)
    assert f"batch_op.alter_column('price', {rendered})" in message
    assert "<class" not in message


# --- a constraint added twice under one name (Prefect's history does it) -------------------------


def test_the_same_foreign_key_added_again_is_kept_once(engine: Any) -> None:
    execute(engine, "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
            "INSERT INTO parent VALUES (1), (50)")

    def batch(op: Any) -> None:
        # the second batch reflects ON DELETE CASCADE: the same action, spelled otherwise
        for _ in range(2):
            with op.batch_alter_table("t", recreate="always") as b:
                b.create_foreign_key("fk_t_x", "parent", ["x"], ["id"], ondelete="cascade")

    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)
        run(engine, batch)
    sql = table_sql(engine)
    assert sql.count("CONSTRAINT fk_t_x FOREIGN KEY") == 1
    assert "ON DELETE CASCADE" in sql.upper()
    clean(engine)


def test_a_different_constraint_under_a_taken_name_replaces_it_with_a_warning(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as b:
            b.create_check_constraint("ck_x", "x < 100")
        with op.batch_alter_table("t", recreate="always") as b:
            b.create_check_constraint("ck_x", "x < 1000")

    with pytest.warns(MigWarning, match=r"create_check_constraint\('ck_x'\): table 't' already "
                                        r"has a check constraint of that name; the new one "
                                        r"replaces it"):
        run(engine, batch)
    sql = table_sql(engine)
    assert "CONSTRAINT ck_x CHECK (x < 1000)" in sql
    assert "x < 100)" not in sql
    execute(engine, "INSERT INTO t VALUES (3, 1, 'x', 500)")
    clean(engine)


def test_dropping_what_went_with_a_dropped_column_is_accepted(engine: Any) -> None:
    """Prefect's history drops a column, then the unique index on it, in one batch (Alembic
    accepts it; mig said the table had no such index)."""
    execute(engine, "CREATE UNIQUE INDEX uq_t_price_x ON t (price, x)",
            "CREATE INDEX ix_t_flag ON t (flag)")

    def batch(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always",
                                  table_args=[sa.UniqueConstraint("x", name="uq_x")]) as b:
            b.add_column(sa.Column("x2", sa.Integer))
        with op.batch_alter_table("t") as b:
            b.drop_column("x")
            b.drop_index("uq_t_price_x")
            b.drop_constraint("uq_x", type_="unique")
            b.create_index("uq_t_price", ["price"], unique=True)

    run(engine, batch)
    schema = schema_sql(engine)
    assert "uq_t_price_x" not in schema and "ix_t_flag" in schema and "uq_t_price" in schema
    assert "uq_x" not in schema["t"] and " x INT" not in schema["t"]
    assert rows(engine, "SELECT * FROM t ORDER BY id") == [(1, 1, "1.5", None), (2, 0, "2", None)]
    clean(engine)


def test_dropping_an_index_the_table_never_had_is_still_an_error(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.drop_column("x")
            b.drop_index("ix_never")

    with pytest.raises(CommandError, match=r"drop_index\('ix_never'\): table 't' has no index"):
        run(engine, batch)


def test_a_constraint_named_through_the_naming_convention_is_dropped_by_its_given_name(
    engine: Any,
) -> None:
    """With ``ck_%(table_name)s__%(constraint_name)s`` on the target metadata, a created
    CHECK gets the converted name, and a drop by the name given converts it the same way
    (Alembic does both; Prefect's downgrade relies on it)."""
    metadata = sa.MetaData(naming_convention={"ck": "ck_%(table_name)s__%(constraint_name)s"})

    def create(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.create_check_constraint("x_small", "x < 100")

    def drop(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.drop_constraint("x_small", type_="check")

    run(engine, create, target_metadata=metadata)
    assert "CONSTRAINT ck_t__x_small CHECK (x < 100)" in table_sql(engine)
    run(engine, drop, target_metadata=metadata)
    assert "x < 100" not in table_sql(engine)
    clean(engine)


def test_batch_execute_runs_at_once_before_the_recreate(engine: Any) -> None:
    """``batch_op.execute()`` runs when called, before the queued operations, as in
    Alembic: here it reads a column the batch then drops, in a batch that recreates."""
    execute(engine, "CREATE INDEX ix_t_flag ON t (flag)")

    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.drop_column("x")
            b.execute("UPDATE t SET flag = x")
            b.execute("DROP INDEX IF EXISTS ix_t_flag")  # Prefect's downgrades do this
            b.create_index("ix_t_price", ["price"])

    run(engine, batch)
    schema = schema_sql(engine)
    assert "ix_t_flag" not in schema and "ix_t_price" in schema and " x INT" not in schema["t"]
    assert rows(engine, "SELECT * FROM t ORDER BY id") == [(1, 1, "1.5"), (2, 50, "2")]
    clean(engine)


def test_an_index_may_name_a_column_the_batch_adds_after_it(engine: Any) -> None:
    """Prefect's downgrade creates an index, then adds its columns, in one batch (indexes are
    built on the new table, so Alembic accepts the order)."""
    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.create_index("ix_t_version_x", ["version", "x"])
            b.alter_column("flag", nullable=False)
            b.add_column(sa.Column("version", sa.String(), nullable=True))

    run(engine, batch)
    assert "CREATE INDEX ix_t_version_x ON t (version, x)" in schema_sql(engine).values()
    clean(engine)


def test_an_index_on_a_column_the_batch_never_adds_is_an_error(engine: Any) -> None:
    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.create_index("ix_t_nothing", ["nothing"])
            b.alter_column("flag", nullable=False)

    with pytest.raises(CommandError, match=r"create_index\('ix_t_nothing'\): table 't' has no "
                                           r"column 'nothing'"):
        run(engine, batch)


def test_batch_add_column_with_foreign_key_recreates_and_keeps_name_and_ondelete(
    engine: Any,
) -> None:
    """Phoenix adds ``user_id`` columns with ``sa.ForeignKey(..., ondelete="SET NULL")`` in a
    batch: Alembic recreates the table, so the key is a named table constraint. mig wrote it
    inline in ADD COLUMN, which SQLAlchemy reflects with no name and no ON DELETE (and so
    every later recreate, which reflects, would drop the action)."""
    execute(engine, "CREATE TABLE users (id INTEGER PRIMARY KEY)")
    metadata = sa.MetaData(naming_convention={"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"})

    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.add_column(sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")))

    run(engine, batch, target_metadata=metadata)
    assert "CONSTRAINT fk_t_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE SET NULL" in (
        table_sql(engine)
    )
    with engine.connect() as conn:
        [fk] = sa.inspect(conn).get_foreign_keys("t")
    assert fk["name"] == "fk_t_user_id_users" and fk["options"] == {"ondelete": "SET NULL"}
    assert rows(engine, "SELECT id, user_id FROM t ORDER BY id") == [(1, None), (2, None)]
    clean(engine)


def test_batch_add_column_inline_references_keeps_add_column(engine: Any) -> None:
    """``inline_references=True`` asks for the plain ``ADD COLUMN ... REFERENCES``, which
    SQLite can do without a recreate (Alembic does the same)."""
    execute(engine, "CREATE TABLE users (id INTEGER PRIMARY KEY)")

    def batch(op: Any) -> None:
        with op.batch_alter_table("t") as b:
            b.add_column(
                sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE")),
                inline_references=True,
            )

    run(engine, batch)
    assert table_sql(engine).startswith("CREATE TABLE t (id INTEGER PRIMARY KEY")
    assert "user_id INTEGER REFERENCES users (id) ON DELETE CASCADE" in table_sql(engine)
    clean(engine)
