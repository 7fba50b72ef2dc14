"""PRAGMA foreign_keys around recreates: tables that reference the recreated one keep their rows
and keep working; enforcement is off for the copy, checked before commit, restored after."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import (
    PM,
    checksum,
    clean,
    engine_for,
    execute,
    rows,
    run,
    runtime_support,
    shared,
)

from mig_core import command
from mig_core.errors import CommandError, MigError
from mig_core.operations import Operations
from mig_core.runtime.migration import MigrationContext

sqlite_url = shared.sqlite_url

SETUP = (
    "CREATE TABLE org (id INTEGER PRIMARY KEY, code VARCHAR(5) CONSTRAINT uq_code UNIQUE, "
    "label TEXT)",
    "CREATE TABLE acct (id INTEGER PRIMARY KEY, org_id INTEGER REFERENCES org (id) "
    "ON DELETE CASCADE, org_code VARCHAR(5) REFERENCES org (code))",
    "INSERT INTO org VALUES (1, 'a', 'x'), (2, 'b', 'y')",
    "INSERT INTO acct VALUES (1, 1, 'a'), (2, 1, 'a'), (3, 2, 'b')",
)


@pytest.fixture
def engine(sqlite_url: str) -> Any:
    eng = engine_for(sqlite_url, foreign_keys=True)
    execute(eng, *SETUP)
    yield eng
    eng.dispose()


def org_batch(fn: Any, **kw: Any) -> Any:
    def migrate(op: Any) -> None:
        with op.batch_alter_table("org", **kw) as b:
            fn(b)

    return migrate


def test_referenced_table_recreated_children_keep_rows_and_cascades(engine: Any) -> None:
    children = checksum(engine, "acct")
    run(engine, org_batch(lambda b: b.alter_column("label", type_=sa.String(20),
                                                   nullable=False)))
    assert checksum(engine, "acct") == children  # DROP TABLE org cascaded nothing
    assert rows(engine, "PRAGMA foreign_keys") == [(1,)]
    clean(engine)
    execute(engine, "DELETE FROM org WHERE id = 1")  # the children's FK still works
    assert rows(engine, "SELECT id FROM acct") == [(3,)]


def test_renamed_referenced_column_is_renamed_in_the_children(engine: Any) -> None:
    run(engine, org_batch(lambda b: (
        b.alter_column("code", new_column_name="org_code"),
        b.alter_column("label", nullable=False),
    )))
    fks = sorted((r[3], r[4]) for r in rows(engine, "PRAGMA foreign_key_list(acct)"))
    assert fks == [("org_code", "org_code"), ("org_id", "id")]
    clean(engine)
    with pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY constraint failed"):
        execute(engine, "INSERT INTO acct VALUES (9, 1, 'zz')")


def test_a_change_that_breaks_a_childs_foreign_key_is_refused(engine: Any) -> None:
    before = (checksum(engine, "org"), checksum(engine, "acct"))
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('org'): table 'acct' has a foreign key (acct(org_code)) to org.code, "
        "which the batch drops; drop or change that foreign key first"
    )):
        run(engine, org_batch(lambda b: b.drop_column("code")))
    with pytest.raises(CommandError, match=re.escape(
        "table 'acct' has a foreign key (acct(org_code)) to org(code), which after the batch is "
        "neither the primary key nor unique"
    )):
        run(engine, org_batch(lambda b: b.drop_constraint("uq_code", type_="unique")))
    assert (checksum(engine, "org"), checksum(engine, "acct")) == before


def test_foreign_keys_on_inside_an_open_transaction(engine: Any) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO org VALUES (3, 'c', 'z')")  # SQLite's BEGIN is out
        ctx = MigrationContext.configure(connection=conn, plugin_manager=PM)
        op = Operations(ctx)
        with pytest.raises(CommandError, match=re.escape(
            "batch_alter_table('org'): foreign keys point at 'org' and PRAGMA foreign_keys is "
            "ON inside an already open transaction, where SQLite cannot switch it off"
        )):
            org_batch(lambda b: b.alter_column("label", nullable=False))(op)
        # a table nothing references is recreated with enforcement on
        with op.batch_alter_table("acct") as b:
            b.alter_column("org_code", type_=sa.String(10))
        conn.commit()
    assert rows(engine, "SELECT count(*) FROM acct") == [(3,)]
    clean(engine)


def test_violation_is_found_before_commit_and_rolled_back(engine: Any) -> None:
    execute(engine, "PRAGMA foreign_keys = OFF", "INSERT INTO acct VALUES (4, 99, NULL)")
    before = (checksum(engine, "org"), checksum(engine, "acct"))

    def migrate(op: Any) -> None:
        with op.batch_alter_table("org") as b:
            b.alter_column("label", nullable=True, type_=sa.Text)

    with pytest.raises(CommandError, match=re.escape(
        "foreign key check before commit: 1 foreign key violation(s): table 'acct' rowid 4 "
        "references a missing row of 'org'; the transaction was rolled back"
    )):
        run(engine, migrate)
    assert (checksum(engine, "org"), checksum(engine, "acct")) == before
    assert "_mig_tmp_org" not in str(rows(engine, "SELECT name FROM sqlite_master"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


# --- through mig upgrade ---------------------------------------------------------------------


def _project(tmp_path: Path, url: str, revisions: list[dict[str, Any]]) -> Path:
    return runtime_support.make_project(tmp_path, url, revisions)


BATCH_ON_ORG = (
    "with op.batch_alter_table('org') as b:\n"
    "    b.alter_column('label', type_=sa.String(30), nullable=False)\n"
)


@pytest.mark.parametrize("per_migration", [False, True], ids=["one-transaction", "per-migration"])
def test_upgrade_switches_enforcement_off_for_the_run_and_back_on(
    tmp_path: Path, sqlite_url: str, engine: Any, per_migration: bool
) -> None:
    ini = _project(tmp_path, sqlite_url, [
        {"rev": "a", "upgrade": BATCH_ON_ORG},
        {"rev": "b", "down": "a", "upgrade": "op.execute('DELETE FROM org WHERE id = 2')"},
    ])
    children = checksum(engine, "acct")
    with engine.connect() as conn:
        config = runtime_support.config_for(
            ini, connection=conn, configure={"transaction_per_migration": per_migration}
        )
        command.upgrade(config, "a")
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        conn.rollback()  # leave no transaction open: mig begins its own
        assert checksum(engine, "acct") == children
        # an orphan made by a migration is caught before commit and rolled back
        with pytest.raises(MigError, match=r"foreign key check before commit: 2 foreign key "
                                           r"violation\(s\): table 'acct' rowid 3"):
            command.upgrade(config, "b")
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert not conn.in_transaction() or conn.get_transaction().is_active
    assert rows(engine, "SELECT version_num FROM mig_version") == [("a",)]
    assert rows(engine, "SELECT count(*) FROM org") == [(2,)]
    assert checksum(engine, "acct") == children
    clean(engine)


def test_keep_foreign_keys_option_refuses_a_referenced_recreate(
    tmp_path: Path, sqlite_url: str, engine: Any
) -> None:
    ini = _project(tmp_path, sqlite_url, [{"rev": "a", "upgrade": BATCH_ON_ORG}])
    with engine.connect() as conn:
        config = runtime_support.config_for(
            ini, connection=conn, configure={"sqlite_keep_foreign_keys": True}
        )
        with pytest.raises(MigError, match=re.escape(
            "batch_alter_table('org'): foreign keys point at 'org' and the run keeps PRAGMA "
            "foreign_keys ON (context.configure(sqlite_keep_foreign_keys=True)), so dropping "
            "the old table would fire their ON DELETE actions; leave sqlite_keep_foreign_keys "
            "out and mig turns enforcement off for the run (checking foreign keys before each "
            "commit)"
        )):
            command.upgrade(config, "head")
    assert rows(engine, "SELECT count(*) FROM acct") == [(3,)]


# --- the check before commit is skipped when the transaction changed nothing -----------------


def _traced(engine: Any) -> list[str]:
    """Every SQL text the engine's new connections run (raw cursors included)."""
    seen: list[str] = []

    @sa.event.listens_for(engine, "connect")
    def _trace(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.set_trace_callback(seen.append)

    engine.dispose()
    return seen


def test_nothing_to_do_skips_the_check_and_ignores_old_orphans(
    tmp_path: Path, sqlite_url: str, engine: Any
) -> None:
    ini = _project(tmp_path, sqlite_url, [{"rev": "a", "upgrade": "pass"}])
    command.upgrade(runtime_support.config_for(ini), "head")
    # an orphan left by some other program that ran with enforcement off
    execute(engine, "PRAGMA foreign_keys = OFF", "INSERT INTO acct VALUES (4, 99, NULL)")
    seen = _traced(engine)
    with engine.connect() as conn:
        command.upgrade(runtime_support.config_for(ini, connection=conn), "head")
    assert "BEGIN IMMEDIATE" in seen  # the run did run, under its lock
    assert "PRAGMA foreign_key_check" not in seen
    assert rows(engine, "SELECT version_num FROM mig_version") == [("a",)]
    assert rows(engine, "PRAGMA foreign_key_check") == [("acct", 4, "org", 1)]  # not ours


@pytest.mark.parametrize("change, violation", [
    # row changes only
    ("op.execute('DELETE FROM org WHERE id = 2')", "table 'acct' rowid 3"),
    # schema changes only: no row changes, so the schema version must be what tells
    ("op.execute('DROP TABLE org')", "table 'acct' rowid 1"),
    ("op.execute('ALTER TABLE acct ADD COLUMN other INTEGER REFERENCES org (id) DEFAULT 7')",
     "table 'acct' rowid 1"),
], ids=["rows", "dropped-parent", "column-with-default"])
def test_a_change_made_by_the_run_is_still_checked(
    tmp_path: Path, sqlite_url: str, engine: Any, change: str, violation: str
) -> None:
    ini = _project(tmp_path, sqlite_url, [
        {"rev": "a", "upgrade": "pass"},
        {"rev": "b", "down": "a", "upgrade": change},
    ])
    command.upgrade(runtime_support.config_for(ini), "a")
    before = checksum(engine, "acct")
    seen = _traced(engine)
    with engine.connect() as conn:
        with pytest.raises(MigError, match=re.escape(violation)):
            command.upgrade(runtime_support.config_for(ini, connection=conn), "head")
    assert "PRAGMA foreign_key_check" in seen
    assert rows(engine, "SELECT version_num FROM mig_version") == [("a",)]
    assert checksum(engine, "acct") == before
    clean(engine)


def test_change_marks_move_with_rows_and_with_any_attached_schema(tmp_path: Path) -> None:
    import sqlite3

    from mig_sqlite_batch import fkeys
    from sqlalchemy.dialects import sqlite

    def change_marks(db: Any) -> Any:
        return fkeys.change_marks(db, sqlite.dialect().identifier_preparer.quote_schema)

    db = sqlite3.connect(tmp_path / "main.db", isolation_level=None)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    db.execute(f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS \"we\"\"ird\"")
    db.execute('CREATE TABLE "we""ird".u (id INTEGER PRIMARY KEY)')
    db.execute("BEGIN")
    start = change_marks(db)
    assert start is not None and change_marks(db) == start  # reading changes nothing
    db.execute("SELECT * FROM t").fetchall()
    assert change_marks(db) == start
    db.execute("ALTER TABLE t ADD COLUMN c INTEGER")  # schema only: total_changes stays
    assert db.total_changes == start[0]
    after_main = change_marks(db)
    assert after_main != start
    db.execute('ALTER TABLE "we""ird".u ADD COLUMN c INTEGER')  # another attached schema
    after_other = change_marks(db)
    assert after_other != after_main
    db.execute("INSERT INTO t (id) VALUES (1)")  # rows only
    assert change_marks(db) != after_other
    db.execute("ROLLBACK")
    db.close()


def test_children_in_one_query_match_a_query_per_table(tmp_path: Any) -> None:
    """The foreign keys pointing at a table, read with one ``pragma_foreign_key_list`` join
    (Phoenix's history recreates 20 tables of a 40-table schema through aiosqlite, where a
    PRAGMA per table per recreate doubled mig's time), are the ones a PRAGMA per table reads:
    composite keys, actions, a key to the primary key, case-insensitive names; not the
    table's own self-reference."""
    from mig_sqlite_batch import sqlite_schema

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    with engine.begin() as conn:
        for sql in (
            "CREATE TABLE p (a INT, b INT, parent INT REFERENCES p (a), PRIMARY KEY (a, b))",
            "CREATE TABLE c1 (id INT, x INT, y INT, FOREIGN KEY (x, y) REFERENCES p (a, b) "
            "ON DELETE CASCADE)",
            "CREATE TABLE c2 (id INT, pa INT REFERENCES P ON UPDATE SET NULL, "
            "other INT REFERENCES c1 (id))",
            "CREATE TABLE unrelated (id INT)",
        ):
            conn.exec_driver_sql(sql)
        master = "sqlite_schema"
        one = sqlite_schema.children(conn, None, "p")
        assert one == sqlite_schema._children_one_by_one(conn, master, None, "p")
        assert [(fk.table, fk.columns, fk.on_delete, fk.on_update) for fk in one] == [
            ("c1", ["x", "y"], "CASCADE", "NO ACTION"),
            ("c2", ["pa"], "NO ACTION", "SET NULL"),
        ]
        assert sqlite_schema.children(conn, "main", "c1") == [
            *sqlite_schema._children_one_by_one(conn, "main.sqlite_schema", "main", "c1")
        ]
    engine.dispose()


# --- through SQLAlchemy's aiosqlite adapter (the async template's driver) ----------------------


def _async_engine(url: str) -> Any:
    """An aiosqlite engine whose connections enforce foreign keys, as an async app's do."""
    pytest.importorskip("aiosqlite")
    from sqlalchemy.ext.asyncio import create_async_engine

    eng = create_async_engine(url.replace("sqlite:", "sqlite+aiosqlite:", 1),
                              poolclass=sa.pool.NullPool)

    @sa.event.listens_for(eng.sync_engine, "connect")
    def _on(dbapi_conn: Any, record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    return eng


def _on_async(url: str, fn: Any) -> Any:
    """``fn(sync_connection)`` inside ``run_sync`` on an aiosqlite connection (no transaction
    begun: mig begins its own), then ``PRAGMA foreign_keys`` of that same connection."""
    import asyncio

    async def main() -> Any:
        eng = _async_engine(url)
        try:
            async with eng.connect() as conn:
                await conn.run_sync(fn)
                return (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        finally:
            await eng.dispose()

    return asyncio.run(main())


def test_aiosqlite_batch_by_hand_keeps_the_childrens_rows(sqlite_url: str, engine: Any) -> None:
    """The aiosqlite adapter has no ``in_transaction`` of its own (aiosqlite's connection under
    it has): enforcement must still be switched off, or DROP TABLE cascades to the children."""
    children = checksum(engine, "acct")

    def migrate(conn: Any) -> None:
        op = Operations(MigrationContext.configure(connection=conn, plugin_manager=PM))
        org_batch(lambda b: b.alter_column("label", type_=sa.String(20)))(op)
        conn.commit()

    assert _on_async(sqlite_url, migrate) == 1  # enforcement back on afterwards
    assert checksum(engine, "acct") == children
    clean(engine)


def test_aiosqlite_upgrade_keeps_the_childrens_rows_and_checks_before_commit(
    tmp_path: Path, sqlite_url: str, engine: Any
) -> None:
    ini = _project(tmp_path, sqlite_url, [
        {"rev": "a", "upgrade": BATCH_ON_ORG},
        {"rev": "b", "down": "a", "upgrade": "op.execute('DELETE FROM org WHERE id = 2')"},
    ])
    children = checksum(engine, "acct")

    def upgrade(rev: str) -> Any:
        return lambda conn: command.upgrade(
            runtime_support.config_for(ini, connection=conn), rev
        )

    assert _on_async(sqlite_url, upgrade("a")) == 1
    assert checksum(engine, "acct") == children
    with pytest.raises(MigError, match=r"foreign key check before commit: 2 foreign key "
                                       r"violation\(s\): table 'acct' rowid 3"):
        _on_async(sqlite_url, upgrade("b"))
    assert rows(engine, "SELECT version_num FROM mig_version") == [("a",)]
    assert checksum(engine, "acct") == children
    clean(engine)


def test_a_driver_that_hides_its_transaction_state_is_refused_not_cascaded(
    engine: Any, monkeypatch: Any
) -> None:
    """When mig cannot tell whether a transaction is open it cannot switch enforcement off:
    a recreate of a referenced table must then stop, not let DROP TABLE cascade."""
    from mig_sqlite_batch import fkeys

    monkeypatch.setattr(fkeys, "manageable", lambda dbapi: False)
    children = checksum(engine, "acct")
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('org'): foreign keys point at 'org' and PRAGMA foreign_keys is ON "
        "on a driver connection that does not tell whether a transaction is open"
    )):
        run(engine, org_batch(lambda b: b.alter_column("label", type_=sa.String(20))))
    assert checksum(engine, "acct") == children
