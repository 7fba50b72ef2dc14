"""Move and copy on SQLite: every batch operation, what a recreate keeps, column order,
integrity (checksums, integrity_check, foreign_key_check) and failures that leave the table as
it was."""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import (
    checksum,
    clean,
    column_names,
    engine_for,
    engine_with_attached,
    execute,
    rows,
    run,
    schema_sql,
    shared,
)

from mig_core.errors import CommandError, MigWarning

sqlite_url = shared.sqlite_url

ACCT = """CREATE TABLE acct (
    id INTEGER NOT NULL CONSTRAINT pk_acct PRIMARY KEY,
    name VARCHAR(50) NOT NULL DEFAULT 'anon' CHECK (length(name) > 0),
    qty VARCHAR(10) CONSTRAINT ck_qty CHECK (qty >= 0),
    org_id INTEGER CONSTRAINT fk_acct_org REFERENCES org (id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES acct (id),
    note TEXT,
    CONSTRAINT uq_acct_name UNIQUE (name, org_id),
    UNIQUE (note),
    CHECK (length(qty) < 5)
)"""

INDEXES = [
    "CREATE INDEX ix_acct_lower ON acct (lower(name))",
    "CREATE INDEX ix_acct_qty ON acct (qty DESC) WHERE qty > 5",
    "CREATE INDEX ix_acct_note ON acct (note COLLATE NOCASE)",
]


@pytest.fixture
def engine(sqlite_url: str) -> Any:
    eng = engine_for(sqlite_url)
    execute(
        eng,
        "CREATE TABLE org (id INTEGER PRIMARY KEY, code VARCHAR(5) UNIQUE)",
        ACCT,
        *INDEXES,
        "INSERT INTO org VALUES (1, 'a'), (2, 'b')",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
        "INSERT INTO acct SELECT i, 'name' || i, CAST(i % 50 AS TEXT), 1 + i % 2, "
        "CASE WHEN i > 1 THEN i - 1 END, 'note ' || i FROM n",
    )
    yield eng
    eng.dispose()


def table_sql(engine: Any, name: str = "acct") -> str:
    return schema_sql(engine)[name]


def index_sql(engine: Any) -> dict[str, str]:
    return {
        r[0]: r[1] for r in rows(
            engine, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    }


def batch(engine: Any, fn: Any, **kw: Any) -> None:
    def migrate(op: Any) -> None:
        with op.batch_alter_table("acct", **kw) as batch_op:
            fn(batch_op)

    run(engine, migrate)


# --- a recreate with no change keeps everything ------------------------------------------------


def test_recreate_always_keeps_table_rows_and_indexes(engine: Any) -> None:
    before_rows = checksum(engine, "acct")
    before_indexes = index_sql(engine)
    insp_before = _reflected(engine)
    batch(engine, lambda b: None, recreate="always")
    assert checksum(engine, "acct") == before_rows
    assert index_sql(engine) == before_indexes  # the stored CREATE INDEX text, verbatim
    assert _reflected(engine) == insp_before
    sql = table_sql(engine)
    for kept in ("CONSTRAINT pk_acct PRIMARY KEY (id)", "CHECK (length(name) > 0)",
                 "CONSTRAINT ck_qty CHECK (qty >= 0)", "CHECK (length(qty) < 5)",
                 "CONSTRAINT uq_acct_name UNIQUE (name, org_id)", "UNIQUE (note)",
                 "CONSTRAINT fk_acct_org FOREIGN KEY(org_id) REFERENCES org (id) ON DELETE "
                 "CASCADE", "FOREIGN KEY(parent_id) REFERENCES acct (id)",
                 "name VARCHAR(50) DEFAULT 'anon' NOT NULL"):
        assert kept in sql
    assert "_mig_tmp" not in str(schema_sql(engine))
    clean(engine)


def _reflected(engine: Any) -> dict[str, Any]:
    with engine.connect() as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        insp = sa.inspect(conn)
        return {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c["default"])
                        for c in insp.get_columns("acct")],
            "pk": insp.get_pk_constraint("acct"),
            # (names of column-level FKs are not reflected by SQLAlchemy; the SQL is checked)
            "fks": sorted((f["constrained_columns"], f["referred_table"], f["referred_columns"])
                          for f in insp.get_foreign_keys("acct")),
            "uniques": sorted((u["name"] or "", u["column_names"])
                              for u in insp.get_unique_constraints("acct")),
            "checks": sorted((c["name"] or "", c["sqltext"])
                             for c in insp.get_check_constraints("acct")),
        }


# --- each operation ----------------------------------------------------------------------------


def test_alter_column_type_casts_where_affinity_changes(engine: Any) -> None:
    assert rows(engine, "SELECT DISTINCT typeof(qty) FROM acct") == [("text",)]
    batch(engine, lambda b: b.alter_column("qty", type_=sa.Integer))
    assert rows(engine, "SELECT DISTINCT typeof(qty) FROM acct") == [("integer",)]
    assert rows(engine, "SELECT qty FROM acct WHERE id = 7") == [(7,)]
    assert "qty INTEGER" in table_sql(engine)
    clean(engine)


def test_numeric_affinity_target_is_not_cast(engine: Any) -> None:
    execute(engine, "UPDATE acct SET note = '2024-01-02 10:00:00' WHERE id = 1")
    batch(engine, lambda b: (b.drop_constraint("uq_note", type_="unique"),
                             b.alter_column("note", type_=sa.DateTime)),
          naming_convention={"uq": "uq_%(column_0_name)s"})
    # CAST(... AS DATETIME) would turn the text into 2024; NUMERIC affinity keeps it
    assert rows(engine, "SELECT note FROM acct WHERE id = 1") == [("2024-01-02 10:00:00",)]


def test_alter_column_nullable_and_default(engine: Any) -> None:
    batch(engine, lambda b: (
        b.alter_column("note", nullable=False, server_default="none"),
        b.alter_column("name", server_default=None),
    ))
    sql = table_sql(engine)
    assert "note TEXT DEFAULT 'none' NOT NULL" in sql
    assert "name VARCHAR(50) NOT NULL" in sql and "'anon'" not in sql
    execute(engine, "INSERT INTO acct (id, name) VALUES (500, 'z')")
    assert rows(engine, "SELECT note FROM acct WHERE id = 500") == [("none",)]


def test_add_and_drop_columns_keep_the_rows(engine: Any) -> None:
    before = checksum(engine, "acct", "id, name, qty, org_id, parent_id")
    batch(engine, lambda b: (
        b.add_column(sa.Column("flag", sa.Boolean, nullable=False, server_default=sa.false())),
        b.add_column(sa.Column("code", sa.String(5), unique=True)),
        b.drop_column("note"),
    ))
    assert column_names(engine, "acct") == ["id", "name", "qty", "org_id", "parent_id", "flag",
                                            "code"]
    assert checksum(engine, "acct", "id, name, qty, org_id, parent_id") == before
    assert rows(engine, "SELECT DISTINCT flag, code FROM acct") == [(0, None)]
    assert "ix_acct_note" not in index_sql(engine)  # dropped with its column
    assert "UNIQUE (code)" in table_sql(engine)
    clean(engine)


def test_index_and_constraint_operations(engine: Any) -> None:
    batch(engine, lambda b: (
        b.create_index("ix_acct_org", ["qty", "id"], unique=True),
        b.drop_index("ix_acct_lower"),
        b.create_unique_constraint("uq_acct_qty_note", ["qty", "note"]),
        b.drop_constraint("uq_acct_name", type_="unique"),
        b.create_check_constraint("ck_acct_id", "id > 0"),
        b.drop_constraint("ck_qty", type_="check"),
        b.create_foreign_key("fk_acct_org2", "org", ["qty"], ["id"]),
        b.drop_constraint("fk_acct_org", type_="foreignkey"),
    ))
    sql = table_sql(engine)
    assert "uq_acct_name" not in sql and "ck_qty" not in sql and "fk_acct_org " not in sql
    for new in ("CONSTRAINT uq_acct_qty_note UNIQUE (qty, note)",
                "CONSTRAINT ck_acct_id CHECK (id > 0)",
                "CONSTRAINT fk_acct_org2 FOREIGN KEY(qty) REFERENCES org (id)"):
        assert new in sql
    indexes = index_sql(engine)
    assert "ix_acct_lower" not in indexes
    assert indexes["ix_acct_org"] == "CREATE UNIQUE INDEX ix_acct_org ON acct (qty, id)"


def test_primary_key_can_be_replaced(engine: Any) -> None:
    batch(engine, lambda b: (
        b.drop_constraint("pk_acct", type_="primary"),
        b.create_primary_key("pk_acct2", ["id", "name"]),
    ))
    assert "CONSTRAINT pk_acct2 PRIMARY KEY (id, name)" in table_sql(engine)
    assert "pk_acct " not in table_sql(engine)


def test_table_comment_is_not_supported_on_sqlite(engine: Any) -> None:
    batch(engine, lambda b: b.create_table_comment("accounts"), recreate="always")
    assert "accounts" not in table_sql(engine)  # SQLite keeps no comments: silently none


def test_unknown_names_are_clear_errors(engine: Any) -> None:
    with pytest.raises(CommandError, match=r"batch_op.drop_constraint\('nope'\): table 'acct' "
                                           r"has no constraint of that name \(named "
                                           r"constraints: pk_acct \(primary\), uq_acct_name "
                                           r"\(unique\), fk_acct_org \(foreignkey\), ck_qty"):
        batch(engine, lambda b: b.drop_constraint("nope"))
    with pytest.raises(CommandError, match=r"batch_op.drop_index\('nope'\): table 'acct' has no "
                                           r"index of that name \(indexes: ix_acct_lower, "):
        batch(engine, lambda b: b.drop_index("nope"), recreate="always")
    with pytest.raises(CommandError, match=r"batch_op.alter_column\('nope'\): table 'acct' has "
                                           r"no column 'nope' \(columns: id, name, qty"):
        batch(engine, lambda b: b.alter_column("nope", type_=sa.Integer))
    with pytest.raises(CommandError, match=r"batch_op.create_index\('ix_acct_qty'\): table "
                                           r"'acct' already has an index of that name"):
        batch(engine, lambda b: b.create_index(None, ["qty"]), recreate="always")
    with pytest.raises(CommandError, match=r"batch_alter_table\('missing'\): no table "
                                           r"'missing' in the database"):
        run(engine, lambda op: _batch_on(op, "missing"))
    assert rows(engine, "SELECT count(*) FROM acct") == [(200,)]


def _batch_on(op: Any, table: str) -> None:
    with op.batch_alter_table(table, recreate="always"):
        pass


# --- renames -------------------------------------------------------------------------------------


def test_rename_carries_constraints_indexes_and_later_ops_by_either_name(engine: Any) -> None:
    before = checksum(engine, "acct", "id, name, qty")
    batch(engine, lambda b: (
        b.alter_column("name", new_column_name="full_name"),
        b.alter_column("qty", type_=sa.Integer),  # forces the recreate
        # Alembic silently drops a constraint named by the new name; both names work here
        b.create_unique_constraint("uq_new_name", ["full_name", "qty"]),
        b.create_index("ix_old_name", ["name", "id"]),
    ))
    assert column_names(engine, "acct")[:3] == ["id", "full_name", "qty"]
    sql = table_sql(engine)
    assert "CHECK (length(full_name) > 0)" in sql
    assert "CONSTRAINT uq_acct_name UNIQUE (full_name, org_id)" in sql
    assert "CONSTRAINT uq_new_name UNIQUE (full_name, qty)" in sql
    indexes = index_sql(engine)
    assert indexes["ix_acct_lower"] == "CREATE INDEX ix_acct_lower ON acct (lower(full_name))"
    assert indexes["ix_old_name"] == "CREATE INDEX ix_old_name ON acct (full_name, id)"
    assert checksum(engine, "acct", "id, full_name, CAST(qty AS TEXT)") == before
    assert rows(engine, "SELECT full_name FROM acct WHERE id = 3") == [("name3",)]
    clean(engine)


def test_swapping_two_column_names(engine: Any) -> None:
    batch(engine, lambda b: (
        b.alter_column("name", new_column_name="tmp"),
        b.alter_column("note", new_column_name="name"),
        b.alter_column("tmp", new_column_name="note"),
        b.alter_column("qty", nullable=False),
    ))
    assert rows(engine, "SELECT name, note FROM acct WHERE id = 4") == [("note 4", "name4")]
    assert index_sql(engine)["ix_acct_lower"] == "CREATE INDEX ix_acct_lower ON acct (lower(note))"
    assert "CHECK (length(note) > 0)" in table_sql(engine)


def test_rename_onto_a_dropped_column_name(engine: Any) -> None:
    batch(engine, lambda b: (
        b.drop_column("note"),
        b.alter_column("name", new_column_name="note"),
    ))
    assert column_names(engine, "acct") == ["id", "note", "qty", "org_id", "parent_id"]
    assert rows(engine, "SELECT note FROM acct WHERE id = 2") == [("name2",)]


# --- naming conventions and unnamed constraints -----------------------------------------------


def test_naming_convention_lets_unnamed_constraints_be_dropped(engine: Any) -> None:
    convention = {
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
    }
    batch(engine, lambda b: (
        b.drop_constraint("fk_acct_parent_id_acct", type_="foreignkey"),
        b.drop_constraint("uq_acct_note", type_="unique"),
    ), naming_convention=convention)
    sql = table_sql(engine)
    assert "parent_id" in sql and "REFERENCES acct" not in sql
    assert "UNIQUE (note)" not in sql
    assert "CONSTRAINT fk_acct_org FOREIGN KEY(org_id)" in sql  # named ones keep their name


def test_check_using_a_dropped_column_goes_with_a_warning(engine: Any) -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        batch(engine, lambda b: b.drop_column("qty"))
    assert sorted(str(w.message) for w in seen if w.category is MigWarning) == [
        "batch_alter_table('acct'): check constraint 'ck_qty' uses column 'qty', which the "
        "batch drops; the constraint is dropped too",
        "batch_alter_table('acct'): unnamed CHECK (length(qty) < 5) uses column 'qty', which "
        "the batch drops; the constraint is dropped too",
    ]
    assert "qty" not in table_sql(engine)
    assert "CHECK (length(name) > 0)" in table_sql(engine)


def test_self_referencing_foreign_key_points_at_the_final_table(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url, foreign_keys=True)
    execute(eng, "CREATE TABLE node (id INTEGER PRIMARY KEY, up INTEGER REFERENCES node (id) "
                 "ON DELETE CASCADE, label TEXT)",
            "INSERT INTO node VALUES (1, NULL, 'a'), (2, 1, 'b'), (3, 2, 'c')")

    def migrate(op: Any) -> None:
        with op.batch_alter_table("node") as b:
            b.alter_column("label", type_=sa.String(10), nullable=False)

    run(eng, migrate)
    assert "REFERENCES node (id) ON DELETE CASCADE" in schema_sql(eng)["node"]
    assert rows(eng, "SELECT count(*) FROM node") == [(3,)]  # no cascade fired
    assert rows(eng, "PRAGMA foreign_keys") == [(1,)]
    with pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY constraint failed"):
        execute(eng, "INSERT INTO node VALUES (9, 42, 'x')")
    execute(eng, "DELETE FROM node WHERE id = 1")
    assert rows(eng, "SELECT count(*) FROM node") == [(0,)]  # the cascade works on the new table
    eng.dispose()


# --- column order ----------------------------------------------------------------------------


def test_insert_before_after_and_partial_reordering(engine: Any) -> None:
    before = checksum(engine, "acct", "id, name, qty, org_id, parent_id, note")
    batch(engine, lambda b: (
        b.add_column(sa.Column("first", sa.Integer), insert_before="id"),
        b.add_column(sa.Column("after_name", sa.Integer), insert_after="name"),
        b.alter_column("note", insert_after="first"),
    ), recreate="always")
    assert column_names(engine, "acct") == ["first", "note", "id", "name", "after_name", "qty",
                                            "org_id", "parent_id"]
    batch(engine, lambda b: None, recreate="always",
          partial_reordering=[("id", "name", "note"), ("parent_id", "qty")])
    assert column_names(engine, "acct") == ["first", "id", "name", "note", "after_name",
                                            "org_id", "parent_id", "qty"]
    cols = "id, name, qty, org_id, parent_id, note"
    assert checksum(engine, "acct", cols) == before
    assert rows(engine, f"SELECT {cols} FROM acct WHERE id = 9") == [
        (9, "name9", "9", 2, 8, "note 9")
    ]
    with pytest.raises(CommandError, match=r"partial_reordering=...\): the orderings "
                                           r"contradict each other"):
        batch(engine, lambda b: None, recreate="always",
              partial_reordering=[("id", "name"), ("name", "id")])


# --- SQLite table options ----------------------------------------------------------------------


def test_autoincrement_keeps_its_high_water_mark(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    execute(eng, "CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)",
            "INSERT INTO seq (v) VALUES ('a'), ('b'), ('c')", "DELETE FROM seq WHERE id = 3")

    def migrate(op: Any) -> None:
        with op.batch_alter_table("seq") as b:
            b.alter_column("v", nullable=False)

    run(eng, migrate)
    assert "AUTOINCREMENT" in schema_sql(eng)["seq"]
    execute(eng, "INSERT INTO seq (v) VALUES ('d')")
    assert rows(eng, "SELECT id FROM seq WHERE v = 'd'") == [(4,)]  # 3 is never reused
    eng.dispose()


def test_rowids_are_kept_without_an_integer_primary_key(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    execute(eng, "CREATE TABLE log (code TEXT PRIMARY KEY, v INTEGER)",
            "INSERT INTO log VALUES ('a', 1), ('b', 2), ('c', 3)",
            "DELETE FROM log WHERE code = 'a'")
    before = rows(eng, "SELECT rowid, code FROM log ORDER BY rowid")

    def migrate(op: Any) -> None:
        with op.batch_alter_table("log") as b:
            b.alter_column("v", type_=sa.Text)

    run(eng, migrate)
    assert rows(eng, "SELECT rowid, code FROM log ORDER BY rowid") == before == [(2, "b"),
                                                                              (3, "c")]
    eng.dispose()


def test_without_rowid_and_strict_are_kept(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    execute(eng, "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID",
            "CREATE TABLE st (id INTEGER PRIMARY KEY, v TEXT) STRICT",
            "INSERT INTO kv VALUES ('a', 1)", "INSERT INTO st VALUES (1, 'x')")

    def migrate(op: Any) -> None:
        for name in ("kv", "st"):
            with op.batch_alter_table(name) as b:
                b.alter_column("v", nullable=False)

    run(eng, migrate)
    sql = schema_sql(eng)
    assert sql["kv"].rstrip().endswith("WITHOUT ROWID")
    assert sql["st"].rstrip().endswith("STRICT")
    assert rows(eng, "SELECT * FROM kv") == [("a", 1)]
    eng.dispose()


# --- triggers and views ------------------------------------------------------------------------


def test_triggers_are_recreated_and_views_follow_renames(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE audit (acct_id INTEGER, what TEXT)",
        "CREATE TRIGGER tr_acct AFTER UPDATE OF qty ON acct BEGIN "
        "INSERT INTO audit VALUES (new.id, new.name); END",
        "CREATE VIEW v_acct AS SELECT id, name FROM acct WHERE qty > 1",
        "CREATE VIEW v_top AS SELECT * FROM v_acct",
    )
    batch(engine, lambda b: (
        b.alter_column("name", new_column_name="full_name"),
        b.alter_column("note", type_=sa.String(40)),
    ))
    sql = schema_sql(engine)
    assert "new.full_name" in sql["tr_acct"]
    assert "SELECT id, full_name FROM acct" in sql["v_acct"]
    execute(engine, "UPDATE acct SET qty = '3' WHERE id = 5")
    assert rows(engine, "SELECT * FROM audit") == [(5, "name5")]
    assert rows(engine, "SELECT count(*) FROM v_top") == [(192,)]


def test_a_trigger_using_a_dropped_column_blocks_with_its_name(engine: Any) -> None:
    execute(engine, "CREATE TRIGGER tr_note AFTER INSERT ON acct BEGIN "
                    "UPDATE acct SET note = 'x' WHERE id = new.id; END")
    before = schema_sql(engine)
    with pytest.raises(CommandError, match=r"trigger 'tr_note' uses column\(s\) note, which the "
                                           r"batch drops; drop the trigger before the batch"):
        batch(engine, lambda b: b.drop_column("note"))
    assert schema_sql(engine) == before


def test_a_view_using_a_dropped_column_blocks_with_its_name(engine: Any) -> None:
    execute(engine, "CREATE VIEW v_note AS SELECT id, note FROM acct")
    before = (schema_sql(engine), checksum(engine, "acct"))
    with pytest.raises(CommandError, match=r"batch_alter_table\('acct'\): error in view v_note: "
                                           r"no such column: note .* drop or change it in the "
                                           r"same migration"):
        batch(engine, lambda b: b.drop_column("note"))
    assert (schema_sql(engine), checksum(engine, "acct")) == before


# --- failures leave the table as it was ---------------------------------------------------------


def _stop_after_first_report(table: str, rows_done: int, total: Any, seconds: float) -> None:
    raise RuntimeError(f"injected failure after ~{rows_done} rows")


def test_failure_injected_mid_copy_leaves_table_and_rows(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url, foreign_keys=True)
    execute(eng, "CREATE TABLE big (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)",
            "CREATE INDEX ix_big_b ON big (b)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) "
            "INSERT INTO big SELECT i, 'v' || i, i % 7 FROM n")
    before = (schema_sql(eng), checksum(eng, "big"))

    def migrate(op: Any) -> None:
        with op.batch_alter_table("big") as b:
            b.alter_column("a", type_=sa.Integer)
            b.drop_column("b")

    with pytest.raises(RuntimeError, match=r"injected failure after ~\d+ rows"):
        run(eng, migrate, batch_progress=_stop_after_first_report, batch_progress_interval=0)
    assert (schema_sql(eng), checksum(eng, "big")) == before
    assert rows(eng, "PRAGMA foreign_keys") == [(1,)]
    clean(eng)
    eng.dispose()


def test_failing_row_mid_copy_and_failing_index_leave_table_and_rows(engine: Any) -> None:
    before = (schema_sql(engine), checksum(engine, "acct"))
    with pytest.raises(CommandError, match=r"batch_alter_table\('acct'\): copying the rows "
                                           r"failed: CHECK constraint failed: ck_small"):
        batch(engine, lambda b: b.create_check_constraint("ck_small", "id < 100"))
    assert (schema_sql(engine), checksum(engine, "acct")) == before
    with pytest.raises(CommandError, match=r"creating index ix_dup failed: UNIQUE constraint "
                                           r"failed: acct.org_id"):
        batch(engine, lambda b: (b.create_index("ix_dup", ["org_id"], unique=True),
                                 b.alter_column("qty", type_=sa.Integer)))
    assert (schema_sql(engine), checksum(engine, "acct")) == before
    clean(engine)


def test_leftover_temporary_table_is_reported(engine: Any) -> None:
    execute(engine, "CREATE TABLE _mig_tmp_acct (x INTEGER)")
    with pytest.raises(CommandError, match=r"a table named '_mig_tmp_acct' already exists"):
        batch(engine, lambda b: b.alter_column("qty", type_=sa.Integer))


# --- progress ------------------------------------------------------------------------------


def test_long_copies_report_progress(sqlite_url: str, caplog: Any) -> None:
    eng = engine_for(sqlite_url)
    execute(eng, "CREATE TABLE big (id INTEGER PRIMARY KEY, a TEXT)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000) "
            "INSERT INTO big SELECT i, 'v' || i FROM n")
    seen: list[tuple[str, int, Any]] = []

    def migrate(op: Any) -> None:
        with op.batch_alter_table("big", recreate="always"):
            pass

    caplog.set_level("INFO", logger="mig.batch")
    run(eng, migrate, batch_progress=lambda t, n, total, s: seen.append((t, n, total)),
        batch_progress_interval=0)
    assert len(seen) >= 3
    assert all(t == "big" and total == 60000 for t, _n, total in seen)
    done = [n for _t, n, _total in seen]
    assert done == sorted(done) and 0 < done[0] < done[-1] <= 60000
    assert any(re.match(r"copying big: ~\d+ of ~60000 rows \(\d+%\)", r.getMessage())
               for r in caplog.records)
    eng.dispose()


def test_column_details_are_kept(sqlite_url: str) -> None:
    eng = engine_for(sqlite_url)
    execute(eng, """CREATE TABLE f (
        id INTEGER PRIMARY KEY,
        name TEXT COLLATE NOCASE UNIQUE,
        created TEXT DEFAULT (datetime('now')),
        n INTEGER DEFAULT -1,
        s TEXT DEFAULT 'it''s',
        g INTEGER GENERATED ALWAYS AS (n * 2) VIRTUAL,
        gs INTEGER GENERATED ALWAYS AS (n * 3) STORED,
        b BLOB
    )""", "INSERT INTO f (id, name, n, b) VALUES (1, 'Abc', 5, x'00ff')")
    before = checksum(eng, "f")

    def migrate(op: Any) -> None:
        with op.batch_alter_table("f", recreate="always"):
            pass

    run(eng, migrate)
    assert checksum(eng, "f") == before
    sql = schema_sql(eng)["f"]
    for kept in ("name TEXT COLLATE NOCASE", "created TEXT DEFAULT (datetime('now'))",
                 "s TEXT DEFAULT 'it''s'", "g INTEGER GENERATED ALWAYS AS (n * 2) VIRTUAL",
                 "gs INTEGER GENERATED ALWAYS AS (n * 3) STORED", "UNIQUE (name)"):
        assert kept in sql
    execute(eng, "INSERT INTO f (id, n) VALUES (2, 1)")
    assert rows(eng, "SELECT g, gs, s, created IS NOT NULL FROM f WHERE id = 2") == [
        (2, 3, "it's", 1)
    ]
    with pytest.raises(sa.exc.IntegrityError, match="UNIQUE constraint failed: f.name"):
        execute(eng, "INSERT INTO f (id, name) VALUES (3, 'ABC')")  # still NOCASE
    eng.dispose()


def test_table_in_an_attached_schema(tmp_path: Any) -> None:
    eng = engine_with_attached(tmp_path)

    execute(eng, "CREATE TABLE other.t (id INTEGER PRIMARY KEY, a VARCHAR(5), b TEXT)",
            "CREATE INDEX other.ix_t_a ON t (a)",
            "CREATE TABLE other.log (v TEXT)",
            "CREATE TRIGGER other.tr_t AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.b); "
            "END",
            "INSERT INTO other.t VALUES (1, '5', 'x')")

    def migrate(op: Any) -> None:
        with op.batch_alter_table("t", schema="other") as b:
            b.alter_column("a", type_=sa.Integer)
            b.alter_column("b", new_column_name="bb")

    run(eng, migrate)
    assert rows(eng, "SELECT id, a, typeof(a), bb FROM other.t") == [(1, 5, "integer", "x")]
    stored = dict(rows(eng, "SELECT name, sql FROM other.sqlite_master"))
    assert stored["ix_t_a"] == "CREATE INDEX ix_t_a ON t (a)"
    assert "new.bb" in stored["tr_t"]
    execute(eng, "INSERT INTO other.t VALUES (2, 6, 'y')")
    assert rows(eng, "SELECT v FROM other.log") == [("x",), ("y",)]  # before and after
    assert rows(eng, "SELECT name FROM sqlite_master") == []  # nothing leaked into main
    eng.dispose()


def test_recreate_through_an_async_engine(tmp_path: Any) -> None:
    import asyncio

    from batch_support import PM
    from sqlalchemy.ext.asyncio import create_async_engine

    from mig_core.operations import Operations
    from mig_core.runtime.migration import MigrationContext

    def migrate(conn: Any) -> None:
        op = Operations(MigrationContext.configure(connection=conn, plugin_manager=PM))
        with op.batch_alter_table("t") as b:
            b.alter_column("a", type_=sa.Integer)

    async def main() -> list[Any]:
        eng = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
        async with eng.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, a VARCHAR(5))")
            await conn.exec_driver_sql("INSERT INTO t VALUES (1, '7')")
        async with eng.begin() as conn:
            await conn.run_sync(migrate)
        async with eng.connect() as conn:
            result = (await conn.exec_driver_sql("SELECT a, typeof(a) FROM t")).all()
        await eng.dispose()
        return [tuple(r) for r in result]

    assert asyncio.run(main()) == [(7, "integer")]
