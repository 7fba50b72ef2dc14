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
        with pytest.raises(MigError, match=r"foreign keys point at 'org' and PRAGMA "
                                           r"foreign_keys is ON inside an already open"):
            command.upgrade(config, "head")
    assert rows(engine, "SELECT count(*) FROM acct") == [(3,)]
