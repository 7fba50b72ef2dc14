"""Move and copy on PostgreSQL (``recreate="always"``), continued: deferred constraints and
per-column settings.

- A table with a ``DEFERRABLE INITIALLY DEFERRED`` foreign key and an index used to fail with
  PostgreSQL's "cannot CREATE INDEX ... because it has pending trigger events" (the copy queued
  one deferred check per row). The new table's deferrable (and NOT VALID) foreign keys are
  added after the copy and the index builds (``ALTER TABLE ... ADD CONSTRAINT`` checks the
  rows at once), with their names and options; they stay deferred. DEFERRABLE primary keys
  and unique constraints, which reflection does not report, stay DEFERRABLE.
- Per-column settings (``SET STATISTICS``, ``SET STORAGE``, ``SET (n_distinct = ...)``,
  ``SET COMPRESSION``) are kept by mig-postgres's ``mig_batch_recreate_keep``.

(The fixtures for PostgreSQL recreates live in this folder: test_recreate_postgres.py,
test_recreate_postgres_safety.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import execute, run, shared
from batch_support import rows as q

postgres_url = shared.postgres_url


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Any]:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    execute(eng, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    yield eng
    execute(eng, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    eng.dispose()






def rows(engine: Any, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
    return q(engine, f"SELECT {columns} FROM {table} ORDER BY 1")


def constraints(engine: Any, table: str) -> dict[str, tuple[str, bool, bool, bool]]:
    """name -> (definition, deferrable, initially deferred, validated)."""
    return {
        r[0]: tuple(r[1:])  # type: ignore[misc]
        for r in q(engine, (
            "SELECT conname, pg_get_constraintdef(oid), condeferrable, condeferred, "
            f"convalidated FROM pg_constraint WHERE conrelid = '{table}'::regclass"
        ))
    }


def widen_note(table: str = "t", **renames: str) -> Any:
    def migrate(op: Any) -> None:
        with op.batch_alter_table(table, recreate="always") as b:
            b.alter_column("note", existing_type=sa.String(20), type_=sa.String(40))
            for old, new in renames.items():
                b.alter_column(old, new_column_name=new)

    return migrate


DEFERRED_SETUP = [
    "CREATE TABLE p (id INT PRIMARY KEY, code INT UNIQUE)",
    "CREATE TABLE t (id SERIAL PRIMARY KEY, pid INT, up INT, pcode INT, note VARCHAR(20), "
    "slot INT, "
    "CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED, "
    "CONSTRAINT fk_t_up FOREIGN KEY (up) REFERENCES t (id) ON DELETE CASCADE "
    "DEFERRABLE INITIALLY DEFERRED, "
    "CONSTRAINT fk_t_code FOREIGN KEY (pcode) REFERENCES p (code) MATCH FULL "
    "ON UPDATE SET NULL DEFERRABLE INITIALLY IMMEDIATE, "
    "CONSTRAINT uq_t_slot UNIQUE (slot) DEFERRABLE INITIALLY DEFERRED)",
    "CREATE INDEX ix_t_pid ON t (pid)",
    "CREATE TABLE c (id INT PRIMARY KEY, tid INT CONSTRAINT fk_c_t REFERENCES t (id) "
    "DEFERRABLE INITIALLY DEFERRED)",
    "INSERT INTO p VALUES (1, 10), (2, 20)",
    "INSERT INTO t (pid, up, pcode, note, slot) VALUES (1, NULL, 10, 'a', 1), "
    "(1, 1, 20, 'b', 2), (2, 2, NULL, 'c', 3)",
    "INSERT INTO c VALUES (1, 1), (2, 3)",
]


def test_deferred_foreign_keys_with_an_index(engine: Any) -> None:
    execute(engine, *DEFERRED_SETUP)
    before = rows(engine, "t")
    t_before, c_before = constraints(engine, "t"), constraints(engine, "c")
    run(engine, widen_note())  # used to fail: pending trigger events at CREATE INDEX
    assert rows(engine, "t") == before
    assert rows(engine, "c") == [(1, 1), (2, 3)]
    assert constraints(engine, "t") == t_before
    assert constraints(engine, "c") == c_before
    assert q(engine, "SELECT character_maximum_length FROM information_schema.columns "
                     "WHERE table_name = 't' AND column_name = 'note'") == [(40,)]
    assert q(engine, "SELECT indexname FROM pg_indexes WHERE tablename = 't' "
                     "AND indexname = 'ix_t_pid'") == [("ix_t_pid",)]
    # still deferred: child rows before their parents in one transaction
    execute(
        engine,
        "INSERT INTO t (id, pid, up, note, slot) VALUES (100, 3, 101, 'x', 100)",
        "INSERT INTO t (id, pid, up, note, slot) VALUES (101, 3, NULL, 'y', 101)",
        "INSERT INTO c VALUES (3, 102)",
        "INSERT INTO t (id, pid, note, slot) VALUES (102, 1, 'z', 102)",
        "INSERT INTO p VALUES (3, 30)",
        # deferred uniqueness: swap two slots
        "UPDATE t SET slot = 2 WHERE id = 1",
        "UPDATE t SET slot = 1 WHERE id = 2",
    )
    with pytest.raises(sa.exc.IntegrityError):  # and still checked at commit
        execute(engine, "INSERT INTO t (pid, note) VALUES (99, 'orphan')")
    with pytest.raises(sa.exc.IntegrityError):  # fk_t_code stays INITIALLY IMMEDIATE
        execute(engine, "INSERT INTO t (pcode, note) VALUES (99, 'orphan')")
    execute(engine, "DELETE FROM t WHERE id = 101")  # ON DELETE CASCADE kept
    assert q(engine, "SELECT count(*) FROM t WHERE id IN (100, 101)") == [(0,)]


def test_deferred_foreign_keys_follow_a_renamed_column(engine: Any) -> None:
    execute(engine, *DEFERRED_SETUP)
    before = rows(engine, "t")
    run(engine, widen_note(pid="parent_id", id="tid"))
    assert rows(engine, "t") == before
    cons = constraints(engine, "t")
    assert cons["fk_t_p"] == (
        "FOREIGN KEY (parent_id) REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED", True, True,
        True,
    )
    assert cons["fk_t_up"][0] == (
        "FOREIGN KEY (up) REFERENCES t(tid) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
    )
    assert constraints(engine, "c")["fk_c_t"][0] == (
        "FOREIGN KEY (tid) REFERENCES t(tid) DEFERRABLE INITIALLY DEFERRED"
    )


def test_not_valid_foreign_key_stays_not_valid(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE p (id INT PRIMARY KEY)",
        "CREATE TABLE t (id INT PRIMARY KEY, pid INT, note VARCHAR(20))",
        "INSERT INTO p VALUES (1)",
        "INSERT INTO t VALUES (1, 1, 'a'), (2, 7, 'old orphan')",
        "ALTER TABLE t ADD CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id) NOT VALID",
    )
    before = rows(engine, "t")
    run(engine, widen_note())  # used to fail: the new table's key checked the old rows
    assert rows(engine, "t") == before
    assert constraints(engine, "t")["fk_t_p"] == (
        "FOREIGN KEY (pid) REFERENCES p(id) NOT VALID", False, False, False
    )
    with pytest.raises(sa.exc.IntegrityError):  # new rows are checked
        execute(engine, "INSERT INTO t VALUES (3, 8, 'x')")


def test_not_valid_check_stays_not_valid(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INT PRIMARY KEY, qty INT, note VARCHAR(20))",
        "INSERT INTO t VALUES (1, 5, 'a'), (2, -3, 'old negative')",
        "ALTER TABLE t ADD CONSTRAINT ck_t_qty CHECK (qty >= 0) NOT VALID",
        "ALTER TABLE t ADD CONSTRAINT ck_t_id CHECK (id > 0)",
    )
    before = rows(engine, "t")
    run(engine, widen_note())  # used to fail: CREATE TABLE's CHECK refused the old row
    assert rows(engine, "t") == before
    found = constraints(engine, "t")
    assert found["ck_t_qty"] == ("CHECK ((qty >= 0)) NOT VALID", False, False, False)
    assert found["ck_t_id"] == ("CHECK ((id > 0))", False, False, True)
    with pytest.raises(sa.exc.IntegrityError):  # new rows are checked
        execute(engine, "INSERT INTO t VALUES (3, -1, 'x')")


def test_deferred_primary_key_and_unique_with_an_index(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INT, slot INT, note VARCHAR(20), "
        "CONSTRAINT pk_t PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED, "
        "CONSTRAINT uq_t_slot UNIQUE (slot) DEFERRABLE)",
        "CREATE INDEX ix_t_note ON t (note)",
        "INSERT INTO t SELECT i, i, 'n' || i FROM generate_series(1, 50) i",
    )
    before, cons = rows(engine, "t"), constraints(engine, "t")
    run(engine, widen_note())
    assert rows(engine, "t") == before
    assert constraints(engine, "t") == cons
    execute(engine, "UPDATE t SET id = id + 1")  # deferred uniqueness: passes at commit
    assert rows(engine, "t", "min(id), max(id)") == [(2, 51)]


def attributes(engine: Any, table: str) -> dict[str, tuple[Any, ...]]:
    """column -> (statistics target, storage, options, compression); defaults as None.
    Only PostgreSQL's own attribute options (n_distinct, n_distinct_inherited) are compared:
    a server may add options of its own to every column."""
    return {
        r[0]: tuple(r[1:])
        for r in q(engine, (
            "SELECT a.attname, NULLIF(coalesce(a.attstattarget::int, -1), -1), "
            "NULLIF(a.attstorage, t.typstorage), "
            "NULLIF(ARRAY(SELECT o FROM unnest(a.attoptions) o WHERE o LIKE 'n\\_distinct%' "
            "ORDER BY o), '{}'), "
            "NULLIF(a.attcompression::text, '') FROM pg_attribute a "
            "JOIN pg_type t ON t.oid = a.atttypid "
            f"WHERE a.attrelid = '{table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped"
        ))
    }


def test_column_settings_are_kept(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE t (id INT PRIMARY KEY, code TEXT NOT NULL, body TEXT, kind INT, "
        "legacy TEXT, note VARCHAR(20), blob TEXT)",
        "ALTER TABLE t ALTER COLUMN code SET STATISTICS 500",
        "ALTER TABLE t ALTER COLUMN kind SET STATISTICS 0",
        "ALTER TABLE t ALTER COLUMN kind SET (n_distinct = -0.25, n_distinct_inherited = 12)",
        "ALTER TABLE t ALTER COLUMN body SET STORAGE EXTERNAL",
        "ALTER TABLE t ALTER COLUMN body SET COMPRESSION pglz",
        "ALTER TABLE t ALTER COLUMN legacy SET STATISTICS 50",
        "ALTER TABLE t ALTER COLUMN note SET STORAGE MAIN",
        "ALTER TABLE t ALTER COLUMN note SET STATISTICS 7",
        "ALTER TABLE t ALTER COLUMN blob SET STORAGE MAIN",
        "INSERT INTO t SELECT i, 'c' || i, repeat('x', 100), i % 4, 'l', 'n', 'b' "
        "FROM generate_series(1, 20) i",
    )
    before = rows(engine, "t", "id, code, body, kind, note, blob")

    def migrate(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as b:
            b.alter_column("code", new_column_name="ref")
            b.drop_column("legacy")
            b.alter_column("note", existing_type=sa.String(20), type_=sa.String(40))
            b.alter_column("blob", existing_type=sa.Text, type_=sa.LargeBinary,
                           postgresql_using="convert_to(blob, 'UTF8')")

    run(engine, migrate)
    assert rows(engine, "t", "id, ref, body, kind, note, convert_from(blob, 'UTF8')") == before
    attrs = attributes(engine, "t")
    assert attrs == {
        "id": (None, None, None, None),
        "ref": (500, None, None, None),
        "body": (None, "e", None, "p"),
        "kind": (0, None, ["n_distinct=-0.25", "n_distinct_inherited=12"], None),
        # a type change (varchar(20) -> varchar(40) too) resets storage and compression,
        # as ALTER COLUMN ... TYPE does
        "note": (7, None, None, None),
        "blob": (None, None, None, None),
    }
