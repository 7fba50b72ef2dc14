"""Fixes from a fresh-eyes audit of SQLite batch recreates: triggers on other tables that write
the recreated table are checked as well as those on it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import checksum, engine_for, execute, rows, run, schema_sql, shared

from mig_core.errors import CommandError, MigWarning

sqlite_url = shared.sqlite_url


@pytest.fixture
def engine(sqlite_url: str) -> Any:
    eng = engine_for(sqlite_url, foreign_keys=True)
    execute(
        eng,
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT, legacy TEXT)",
        "CREATE TABLE k (id INTEGER PRIMARY KEY, pid INT REFERENCES p (id))",
        "INSERT INTO p VALUES (1, 'a', 'x')",
    )
    yield eng
    eng.dispose()


def drop_legacy(op: Any) -> None:
    with op.batch_alter_table("p") as b:
        b.drop_column("legacy")


# --- triggers on other tables that write the table ----------------------------------------------


@pytest.mark.parametrize("body", [
    "UPDATE p SET legacy = 'touched' WHERE id = new.pid;",
    "UPDATE p SET (name, \"Legacy\") = ('a', 'b') WHERE id = new.pid;",
    "INSERT INTO p (id, legacy) VALUES (new.id + 100, 'z');",
    "INSERT INTO p (id, name) VALUES (new.pid, 'q') ON CONFLICT (id) DO UPDATE SET "
    "legacy = excluded.name;",
], ids=["set", "set-tuple", "insert-columns", "upsert"])
def test_a_trigger_elsewhere_writing_a_dropped_column_blocks_with_its_name(
    engine: Any, body: str
) -> None:
    """SQLite's schema check passes these (it fails only when the trigger fires: every insert
    into ``k`` would have failed after the batch)."""
    execute(engine, f"CREATE TRIGGER tk AFTER INSERT ON k BEGIN {body} END")
    before = (schema_sql(engine), checksum(engine, "p"))
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('p'): trigger 'tk' writes column(s) legacy of 'p', which the batch "
        "drops; drop the trigger before the batch"
    )):
        run(engine, drop_legacy)
    assert (schema_sql(engine), checksum(engine, "p")) == before
    execute(engine, "INSERT INTO k VALUES (2, 1)")  # the trigger still works


def test_a_trigger_elsewhere_inserting_without_a_column_list(engine: Any) -> None:
    execute(engine, "CREATE TRIGGER tk AFTER INSERT ON k BEGIN "
                    "INSERT OR IGNORE INTO p VALUES (new.id + 100, 'n', 'l'); END")
    with pytest.raises(CommandError, match=re.escape(
        "trigger 'tk' inserts into 'p' without a column list, and the batch changes its number "
        "of columns (3 to 2)"
    )):
        run(engine, drop_legacy)

    def retype(op: Any) -> None:  # the same number of columns: the trigger keeps working
        with op.batch_alter_table("p") as b:
            b.alter_column("legacy", type_=sa.String(20))

    run(engine, retype)
    execute(engine, "INSERT INTO k VALUES (2, 1)")
    assert rows(engine, "SELECT id FROM p ORDER BY id") == [(1,), (102,)]


def test_triggers_elsewhere_that_only_read_or_write_other_columns_are_fine(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE log (what TEXT, legacy TEXT)",
        "CREATE TRIGGER tk AFTER INSERT ON k BEGIN "
        "UPDATE p SET name = CASE WHEN new.id > 1 THEN 'big' ELSE 'small' END "
        "WHERE id = new.pid; INSERT INTO log (what, legacy) VALUES ('k', 'x'); "
        "UPDATE log SET legacy = 'y'; END",
    )

    def drop_and_add_back(op: Any) -> None:
        with op.batch_alter_table("p") as b:
            b.drop_column("legacy")
        with op.batch_alter_table("k") as b:
            b.add_column(sa.Column("note", sa.Text))

    run(engine, drop_and_add_back)
    execute(engine, "INSERT INTO k (id, pid) VALUES (2, 1)")
    assert rows(engine, "SELECT name FROM p") == [("big",)]
    assert rows(engine, "SELECT * FROM log") == [("k", "y")]


# --- the batch form shown for what SQLite cannot ALTER ------------------------------------------


@pytest.mark.parametrize("default, shown", [
    (sa.text("0"), "server_default=sa.text('0')"),
    ("0", "server_default='0'"),
    (None, "server_default=None"),
], ids=["text", "string", "drop"])
def test_default_change_hint_is_python_source(engine: Any, default: Any, shown: str) -> None:
    with pytest.raises(CommandError, match=re.escape(
        "with op.batch_alter_table('p') as batch_op: batch_op.alter_column('name', "
        f"{shown})"
    )):
        run(engine, lambda op: op.alter_column("p", "name", server_default=default))


def test_not_null_column_on_a_table_with_rows_says_what_helps(engine: Any) -> None:
    """A batch cannot add a NOT NULL column without a default to a table with rows either (the
    copy fails on the first row): the message says what works."""
    with pytest.raises(CommandError) as info:
        run(engine, lambda op: op.add_column("p", sa.Column("n", sa.Integer, nullable=False)))
    message = str(info.value)
    assert "batch_alter_table" not in message
    assert message == (
        "add_column('p', 'n'): SQLite cannot add a NOT NULL column without a default to a table "
        "that has rows, and a batch cannot either (its copy has no value to put there); give the "
        "column a server_default, or add it nullable, fill it, then make it NOT NULL with "
        "batch_op.alter_column('n', nullable=False)"
    )


# --- copy_from online ----------------------------------------------------------------------------


def test_copy_from_leaving_out_a_column_warns_that_its_values_go(engine: Any) -> None:
    """Online, constraints and indexes copy_from leaves out were named in a warning, but a
    column (and every value in it) went without a word."""
    copy_from = sa.Table("p", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("name", sa.Text))

    def migrate(op: Any) -> None:
        with op.batch_alter_table("p", copy_from=copy_from) as b:
            b.alter_column("name", type_=sa.String(10))

    with pytest.warns(MigWarning, match=re.escape(
        "batch_alter_table('p', copy_from=...): the table in the database has column legacy "
        "(its values are not copied), which copy_from does not describe"
    )):
        run(engine, migrate)


# --- a copy refused by a constraint ---------------------------------------------------------------


def test_not_null_on_a_column_holding_nulls_names_the_table_and_what_to_do(engine: Any) -> None:
    execute(engine, "INSERT INTO p VALUES (2, NULL, NULL)")
    before = (schema_sql(engine), checksum(engine, "p"))

    def migrate(op: Any) -> None:
        with op.batch_alter_table("p") as b:
            b.alter_column("name", nullable=False)

    with pytest.raises(CommandError) as info:
        run(engine, migrate)
    assert str(info.value) == (
        "batch_alter_table('p'): copying the rows failed: NOT NULL constraint failed: p.name "
        "(rows of p hold NULL in name; give them a value first, e.g. "
        "op.execute(\"UPDATE p SET name = ... WHERE name IS NULL\"), in the same migration)"
    )
    assert (schema_sql(engine), checksum(engine, "p")) == before

    def unique(op: Any) -> None:
        with op.batch_alter_table("p") as b:
            b.create_unique_constraint("uq_p_legacy", ["legacy"])
            b.alter_column("legacy", server_default="x")

    execute(engine, "UPDATE p SET legacy = 'x'")
    with pytest.raises(CommandError, match=re.escape(
        "copying the rows failed: UNIQUE constraint failed: p.legacy"
    )):
        run(engine, unique)


# --- PostgreSQL: what blocks DROP TABLE is named ---------------------------------------------------


postgres_url = shared.postgres_url


def test_postgres_objects_using_the_row_type_are_named(postgres_url: str) -> None:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    try:
        with eng.begin() as conn:
            for sql in (
                "DROP SCHEMA IF EXISTS a7 CASCADE", "CREATE SCHEMA a7",
                "CREATE TABLE a7.parent (id SERIAL PRIMARY KEY, name TEXT)",
                "CREATE FUNCTION a7.label(p a7.parent) RETURNS text LANGUAGE sql AS "
                "'select p.name'",
                "INSERT INTO a7.parent (name) VALUES ('a')",
            ):
                conn.exec_driver_sql(sql)

        def migrate(op: Any) -> None:
            with op.batch_alter_table("parent", schema="a7", recreate="always") as b:
                b.alter_column("name", type_=sa.String(40))

        with pytest.raises(CommandError, match=re.escape(
            "batch_alter_table('parent'): dropping parent failed: cannot drop table a7.parent "
            "because other objects depend on it (function a7.label(a7.parent) depends on type "
            "a7.parent); drop or change them before the batch"
        )):
            run(eng, migrate)
        with eng.connect() as conn:
            assert conn.exec_driver_sql("SELECT name FROM a7.parent").all() == [("a",)]
    finally:
        with eng.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS a7 CASCADE")
        eng.dispose()


# --- recreate="never": the hint does not send the user to the batch they are in -------------------


def test_recreate_never_hint_names_the_option_not_a_batch(engine: Any) -> None:
    def migrate(op: Any) -> None:
        with op.batch_alter_table("p", recreate="never") as b:
            b.alter_column("name", type_=sa.Integer)

    with pytest.raises(CommandError) as info:
        run(engine, migrate)
    assert str(info.value) == (
        "alter_column('p', 'name'): SQLite cannot change a column's type with ALTER TABLE; "
        "batch_alter_table('p') has recreate='never', which runs its operations as ALTER "
        "statements: leave recreate out (the default 'auto' recreates the table for this)"
    )
    # outside a batch the batch form is still shown
    with pytest.raises(CommandError, match=re.escape(
        "use a batch, which recreates the table: with op.batch_alter_table('p') as batch_op: "
        "batch_op.alter_column('name', type_=sa.Integer())"
    )):
        run(engine, lambda op: op.alter_column("p", "name", type_=sa.Integer))


def test_a_column_dropped_and_added_again_keeps_the_triggers_using_it(engine: Any) -> None:
    """A column dropped and added back under its name (to change its type or move it, as the
    docs allow) was refused for a trigger on the table using that name."""
    execute(
        engine,
        "CREATE TABLE log (x)",
        "CREATE TRIGGER tr AFTER INSERT ON p BEGIN INSERT INTO log VALUES (new.legacy); END",
        "CREATE TRIGGER tk AFTER INSERT ON k BEGIN UPDATE p SET legacy = 'k' WHERE id = new.pid; "
        "END",
    )

    def migrate(op: Any) -> None:
        with op.batch_alter_table("p") as b:
            b.drop_column("legacy")
            b.add_column(sa.Column("legacy", sa.String(10), server_default="-"))

    run(engine, migrate)
    execute(engine, "INSERT INTO p (id, name) VALUES (2, 'b')", "INSERT INTO k VALUES (1, 2)")
    assert rows(engine, "SELECT * FROM log") == [("-",)]
    assert rows(engine, "SELECT legacy FROM p ORDER BY id") == [("-",), ("k",)]


# --- the foreign key check before commit covers attached databases ------------------------------


def _attached_with_keys(tmp_path: Any) -> Any:
    from batch_support import engine_with_attached

    eng = engine_with_attached(tmp_path)

    @sa.event.listens_for(eng, "connect")
    def _on(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.execute("PRAGMA foreign_keys = ON")

    execute(
        eng,
        "CREATE TABLE other.p (id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE other.c (id INTEGER PRIMARY KEY, pid INT REFERENCES p (id))",
        "INSERT INTO other.p VALUES (1, 'a'), (2, 'b')",
        "INSERT INTO other.c VALUES (1, 1), (2, 2)",
    )
    return eng


def test_check_before_commit_looks_at_attached_databases(tmp_path: Any) -> None:
    """``PRAGMA foreign_key_check`` without a schema reads only ``main``: an orphan made in an
    attached database while enforcement was off went through the commit unseen."""
    eng = _attached_with_keys(tmp_path)

    def migrate(op: Any) -> None:
        with op.batch_alter_table("p", schema="other") as b:
            b.alter_column("name", type_=sa.String(10))
        op.execute("DELETE FROM other.p WHERE id = 2")  # enforcement is off until the commit

    with pytest.raises(CommandError, match=re.escape(
        "foreign key check before commit: 1 foreign key violation(s): table 'other.c' rowid 2 "
        "references a missing row of 'p'; the transaction was rolled back"
    )):
        run(eng, migrate)
    assert rows(eng, "SELECT id FROM other.p") == [(1,), (2,)]
    assert rows(eng, "PRAGMA other.foreign_key_check") == []
    eng.dispose()


def test_upgrade_checks_attached_databases_before_commit(tmp_path: Any) -> None:
    from batch_support import runtime_support

    from mig_core import command
    from mig_core.errors import MigError

    eng = _attached_with_keys(tmp_path)
    ini = runtime_support.make_project(tmp_path / "project", "sqlite://", [
        {"rev": "a", "upgrade": "op.execute('DELETE FROM other.p WHERE id = 2')"},
    ])
    with eng.connect() as conn:
        with pytest.raises(MigError, match=re.escape(
            "1 foreign key violation(s): table 'other.c' rowid 2 references a missing row of 'p'"
        )):
            command.upgrade(runtime_support.config_for(ini, connection=conn), "head")
    assert rows(eng, "SELECT id FROM other.p") == [(1,), (2,)]
    eng.dispose()


# --- table names are case-insensitive in SQLite ----------------------------------------------------


MIXED_CASE = (
    "CREATE TABLE Users (id INTEGER PRIMARY KEY, Name TEXT)",
    "CREATE TABLE posts (id INTEGER PRIMARY KEY, uid INT REFERENCES users (id) "
    "ON DELETE CASCADE)",
    "CREATE TABLE log (v TEXT)",
    "CREATE INDEX ix_users_name ON USERS (name)",
    "CREATE TRIGGER tr_users AFTER INSERT ON users BEGIN INSERT INTO log VALUES (new.name); END",
    "INSERT INTO Users VALUES (1, 'a')",
    "INSERT INTO posts VALUES (1, 1)",
)


@pytest.mark.parametrize("spelled", ["Users", "users"])
def test_table_name_in_another_case_keeps_triggers_indexes_and_children(
    sqlite_url: str, spelled: str
) -> None:
    """SQLite matches table names case-insensitively and stores a trigger's table as its
    CREATE TRIGGER wrote it: a trigger written ``ON users`` for table ``Users`` was dropped
    with the old table and never recreated, and ``batch_alter_table("users")`` found no
    table at all."""
    eng = engine_for(sqlite_url, foreign_keys=True)
    execute(eng, *MIXED_CASE)

    def migrate(op: Any) -> None:
        with op.batch_alter_table(spelled) as b:
            b.alter_column("name", type_=sa.String(20))

    run(eng, migrate)
    stored = schema_sql(eng)
    assert set(stored) == {"Users", "posts", "log", "ix_users_name", "tr_users"}
    assert '"Name" VARCHAR(20)' in stored["Users"]
    execute(eng, "INSERT INTO Users VALUES (2, 'b')")
    assert rows(eng, "SELECT v FROM log") == [("a",), ("b",)]  # the trigger is back
    assert rows(eng, "SELECT * FROM posts") == [(1, 1)]
    eng.dispose()


def test_drop_constraint_none_says_how_to_name_it(engine: Any) -> None:
    """Autogenerate writes ``drop_constraint(None, ...)`` for an unnamed foreign key; the error
    read ``drop_constraint('None')`` (a string) and 'has no constraint of that name'."""
    def migrate(op: Any) -> None:
        with op.batch_alter_table("k") as b:
            b.drop_constraint(None, type_="foreignkey")

    with pytest.raises(CommandError, match=re.escape(
        "batch_op.drop_constraint(None, type_='foreignkey'): a constraint without a name cannot "
        "be found on table 'k'; give the batch a naming convention"
    )):
        run(engine, migrate)


def test_a_type_a_strict_table_refuses_is_explained(sqlite_url: str) -> None:
    """mig keeps STRICT (Alembic drops it), so a type such as sa.String(20) (VARCHAR(20)),
    which STRICT refuses, must say why and what to do."""
    eng = engine_for(sqlite_url)
    execute(eng, "CREATE TABLE s (id INTEGER PRIMARY KEY, t TEXT) STRICT",
            "INSERT INTO s VALUES (1, 'x')")

    def migrate(op: Any) -> None:
        with op.batch_alter_table("s") as b:
            b.alter_column("t", type_=sa.String(20))

    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('s'): creating _mig_tmp_s failed: unknown datatype for s.t: "
        "\"VARCHAR(20)\" (s is a STRICT table, whose columns can only be INT, INTEGER, REAL, "
        "TEXT, BLOB or ANY"
    )):
        run(eng, migrate)
    eng.dispose()


# --- constraint ALTERs on SQLite are NotImplementedError, as in Alembic ---------------------------


def test_constraint_alters_are_a_not_implemented_error_as_in_alembic(engine: Any) -> None:
    """Histories written for Alembic catch its NotImplementedError ("No support for ALTER of
    constraints in SQLite dialect.") and skip or fall back to a batch on SQLite."""
    skipped = []

    def migrate(op: Any) -> None:
        for call in (
            lambda: op.drop_constraint("fk_k_p", "k", type_="foreignkey"),
            lambda: op.create_unique_constraint("uq_p_name", "p", ["name"]),
            lambda: op.create_foreign_key("fk_k_p2", "k", "p", ["pid"], ["id"]),
        ):
            try:
                call()
            except NotImplementedError as exc:
                assert "No support for ALTER of constraints in SQLite dialect." in str(exc)
                skipped.append(type(exc).__name__)
        with op.batch_alter_table("p") as b:
            b.create_unique_constraint("uq_p_name", ["name"])

    run(engine, migrate)
    assert len(skipped) == 3
    assert "CONSTRAINT uq_p_name UNIQUE (name)" in schema_sql(engine)["p"]


# --- a view left broken by an earlier migration, on another table ------------------------------------


def _with_stale_view(engine: Any) -> None:
    """SQLite's DROP TABLE leaves the views on the table in place, broken."""
    execute(engine, "CREATE TABLE gone (x)", "CREATE VIEW stale AS SELECT x FROM gone",
            "DROP TABLE gone")


def test_a_stale_view_elsewhere_does_not_stop_a_recreate(engine: Any) -> None:
    """Every recreate of any table failed (``renaming _mig_tmp_p to p failed: error in view
    stale: no such table: main.gone``)."""
    _with_stale_view(engine)

    def migrate(op: Any) -> None:
        with op.batch_alter_table("p") as b:
            b.alter_column("name", type_=sa.String(10))
            b.drop_column("legacy")

    run(engine, migrate)
    assert rows(engine, "SELECT * FROM p") == [(1, "a")]


def test_with_a_stale_view_elsewhere_the_views_on_the_table_are_still_checked(
    engine: Any,
) -> None:
    _with_stale_view(engine)
    execute(engine, "CREATE VIEW v_ok AS SELECT id, name FROM p",
            "CREATE VIEW v_legacy AS SELECT id, legacy FROM p")
    before = (schema_sql(engine), checksum(engine, "p"))

    def migrate(op: Any) -> None:
        with op.batch_alter_table("p") as b:
            b.drop_column("legacy")

    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('p'): error in view v_legacy: no such column: legacy — it uses what "
        "the batch dropped (legacy)"
    )):
        run(engine, migrate)
    assert (schema_sql(engine), checksum(engine, "p")) == before
    execute(engine, "DROP VIEW v_legacy")
    with pytest.warns(MigWarning, match=re.escape(
        "SQLite could not re-check the triggers that use 'p': error in view stale: no such "
        "table: main.gone, an object that does not use 'p'"
    )):
        run(engine, migrate)
    assert rows(engine, "SELECT * FROM v_ok") == [(1, "a")]


# --- insert_after with partial_reordering -----------------------------------------------------------


def test_insert_after_holds_when_partial_reordering_moves_its_anchor(sqlite_url: str) -> None:
    """insert_after was a position only: partial_reordering moving the anchor left the new
    column behind, at the front of the table."""
    eng = engine_for(sqlite_url)
    execute(eng, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT)",
            "INSERT INTO t VALUES (1, 'a', 'b', 'c')")

    def migrate(op: Any) -> None:
        with op.batch_alter_table(
            "t", recreate="always", partial_reordering=[("c", "aa", "id")]
        ) as b:
            b.alter_column("a", new_column_name="aa")
            b.add_column(sa.Column("n", sa.Integer), insert_after="aa")
            b.add_column(sa.Column("m", sa.Integer), insert_before="b")

    run(eng, migrate)
    from batch_support import column_names

    assert column_names(eng, "t") == ["m", "b", "c", "aa", "n", "id"]
    assert rows(eng, "SELECT aa, b, c, id FROM t") == [("a", "b", "c", 1)]
    eng.dispose()


# --- Ctrl-C during a long copy ---------------------------------------------------------------------


def test_ctrl_c_during_the_copy_is_a_keyboard_interrupt(
    sqlite_url: str, monkeypatch: Any
) -> None:
    """A signal raises KeyboardInterrupt as Python enters the progress handler; sqlite3 drops
    it and stops the statement as 'interrupted', which was reported as a failed revision (exit
    1) instead of an interrupted run (the table and rows were kept either way)."""
    from mig_sqlite_batch.progress import CopyProgress

    eng = engine_for(sqlite_url)
    execute(eng, "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT)",
            "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 20000) "
            "INSERT INTO big SELECT i, hex(randomblob(8)) FROM r")
    before = (schema_sql(eng), checksum(eng, "big"))

    def signal_arrives(self: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(CopyProgress, "_tick", signal_arrives)

    def migrate(op: Any) -> None:
        with op.batch_alter_table("big") as b:
            b.alter_column("v", type_=sa.String(40))

    with pytest.raises(KeyboardInterrupt):
        run(eng, migrate)
    assert (schema_sql(eng), checksum(eng, "big")) == before
    eng.dispose()
