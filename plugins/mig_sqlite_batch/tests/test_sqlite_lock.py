"""The SQLite run lock: BEGIN IMMEDIATE write lock, busy timeout, real transactional DDL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from mig_sqlite_batch.lock import FOREVER_MS, RunLockFile, busy_timeout_ms

from mig_core import command
from mig_core.errors import LockTimeoutError, MigrationFailed

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))

from runtime_support import config_for, create_table, make_project, shared_fixtures  # noqa: E402

sqlite_url = shared_fixtures().sqlite_url


def test_busy_timeout_conversion():
    assert busy_timeout_ms(None) == FOREVER_MS
    assert busy_timeout_ms(0.25) == 250
    assert busy_timeout_ms(-1) == 0


def test_lock_timeout_while_another_connection_writes(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, [{"rev": "a", **create_table("t_a")}])
    path = sqlite_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(LockTimeoutError, match=r"SQLite write lock on .*test.db\) is held by "
                                                   r"another connection; gave up after "
                                                   r"--lock-timeout 0.3 s") as info:
            command.upgrade(config_for(ini), "head", lock_timeout=0.3)
        assert 0.25 <= time.monotonic() - started < 3
        assert info.value.exit_code == 5
    finally:
        other.execute("ROLLBACK")
        other.close()
    command.upgrade(config_for(ini), "head", lock_timeout=1)
    with sa.create_engine(sqlite_url).connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "a"


def test_ddl_of_failed_run_is_rolled_back(tmp_path, sqlite_url):
    """pysqlite alone would run CREATE TABLE outside any transaction; the lock's BEGIN
    IMMEDIATE makes the whole run one SQLite transaction."""
    ini = make_project(tmp_path, sqlite_url, [
        {"rev": "a", **create_table("t_a")},
        {"rev": "b", "down": "a", "upgrade": "op.execute('CREATE TABLE t_b (x INT)')\n"
                                             "op.execute('SELECT * FROM missing')"},
    ])
    with pytest.raises(MigrationFailed):
        command.upgrade(config_for(ini), "head")
    with sa.create_engine(sqlite_url).connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) == {"mig_history"}


def test_per_migration_transactions_each_take_the_write_lock(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, [
        {"rev": "a", **create_table("t_a")},
        {"rev": "b", "down": "a", "upgrade": "op.execute('CREATE TABLE t_b (x INT)')\n"
                                             "op.execute('SELECT * FROM missing')"},
    ])
    with pytest.raises(MigrationFailed, match="still at a"):
        command.upgrade(config_for(ini, configure={"transaction_per_migration": True}), "head")
    with sa.create_engine(sqlite_url).connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) == {"mig_version", "mig_history", "t_a"}
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "a"


def test_autocommit_block_runs_vacuum_outside_transaction(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, [
        {"rev": "a", **create_table("t_a")},
        {"rev": "b", "down": "a", "upgrade": (
            "with op.get_context().autocommit_block():\n"
            "    op.execute('VACUUM')\n"
            "op.execute('CREATE TABLE t_b (x INT)')"
        )},
    ])
    command.upgrade(config_for(ini), "head")
    with sa.create_engine(sqlite_url).connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "b"
        assert "t_b" in sa.inspect(conn).get_table_names()


def test_a_run_waits_for_the_lock_file_then_gives_up(tmp_path, sqlite_url):
    """The lock file is held for the whole run: a second run waits for it (here: gives up after
    --lock-timeout) before reading the version table, and changes nothing."""
    ini = make_project(tmp_path, sqlite_url, [{"rev": "a", **create_table("t_a")}])
    path = sqlite_url.removeprefix("sqlite:///")
    holder = RunLockFile(str(Path(path).resolve()) + ".mig-lock")
    assert holder.acquire(None)
    try:
        with pytest.raises(LockTimeoutError, match=r"the run lock \(.*test\.db\.mig-lock\) is "
                                                   r"held by another mig run; gave up after "
                                                   r"--lock-timeout 0.2 s") as info:
            command.upgrade(config_for(ini), "head", lock_timeout=0.2)
        assert info.value.exit_code == 5
    finally:
        holder.release()
    with sa.create_engine(sqlite_url).connect() as conn:
        assert "mig_version" not in sa.inspect(conn).get_table_names()
    command.upgrade(config_for(ini), "head", lock_timeout=1)
    after = RunLockFile(holder.path)
    assert after.acquire(0)  # released when the run ended
    after.release()


@pytest.mark.slow
def test_concurrent_per_migration_runs_apply_each_revision_once(tmp_path, sqlite_url):
    """The write lock ends with every transaction (after each revision with
    transaction_per_migration, and around each autocommit_block); the lock file keeps other runs
    out until the whole run ends, so the others find nothing left to do."""
    revisions = [{"rev": "r00", "upgrade": "op.execute('CREATE TABLE applied (rev TEXT)')\n"
                                           "op.execute(\"INSERT INTO applied VALUES ('r00')\")"}]
    for i in range(1, 15):
        revisions.append({
            "rev": f"r{i:02d}", "down": f"r{i - 1:02d}",
            "upgrade": "import time\n"
                       "with op.get_context().autocommit_block():\n"  # no write lock here
                       "    time.sleep(0.02)\n"
                       f"op.execute(\"INSERT INTO applied VALUES ('r{i:02d}')\")",
        })
    ini = make_project(tmp_path, sqlite_url, revisions)
    argv = [sys.executable, "-m", "mig_core", "-c", str(ini),
            "-x", "transaction_per_migration=true", "upgrade", "head"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(timeout=60), p.stderr.read() if p.stderr else "") for p in procs]
    for code, err in results:
        assert code == 0, err
    with sa.create_engine(sqlite_url).connect() as conn:
        applied = conn.execute(sa.text("SELECT rev, count(*) FROM applied GROUP BY rev")).all()
        heads = conn.execute(sa.text("SELECT version_num FROM mig_version")).scalars().all()
    assert sorted(applied) == [(f"r{i:02d}", 1) for i in range(15)]
    assert heads == ["r14"]


OWN_BEGIN_ENV_PY = '''
import sqlalchemy as sa
from sqlalchemy import event
from mig_core import context

engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"), isolation_level=None)


@event.listens_for(engine, "begin")
def begin_immediate(conn):  # the project emits its own BEGIN, as Prefect's engine does
    conn.exec_driver_sql("BEGIN IMMEDIATE")


with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    context.execute("COMMIT")
    context.execute("PRAGMA foreign_keys=OFF")
    context.execute("BEGIN IMMEDIATE")
    with context.begin_transaction():
        context.run_migrations()
    context.execute("END")
    context.execute("PRAGMA foreign_keys=ON")
'''


def test_an_engine_that_emits_its_own_begin_runs_every_revision(tmp_path, sqlite_url):
    """Prefect's env.py: pysqlite's own BEGIN off, an engine "begin" listener that emits
    BEGIN IMMEDIATE, and a transaction per revision. The run lock's listener must let that
    BEGIN come first (it failed at the second revision with "cannot start a transaction
    within a transaction")."""
    ini = make_project(
        tmp_path,
        sqlite_url,
        [{"rev": "a", **create_table("t_a")}, {"rev": "b", "down": "a", **create_table("t_b")},
         {"rev": "c", "down": "b", **create_table("t_c")}],
        env_py=OWN_BEGIN_ENV_PY,
    )
    command.upgrade(config_for(ini), "head")
    with sa.create_engine(sqlite_url).connect() as conn:
        assert {"t_a", "t_b", "t_c"} <= set(sa.inspect(conn).get_table_names())
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "c"
    command.downgrade(config_for(ini), "base")
    with sa.create_engine(sqlite_url).connect() as conn:
        assert not {"t_a", "t_b", "t_c"} & set(sa.inspect(conn).get_table_names())
