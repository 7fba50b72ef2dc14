"""The PostgreSQL run lock on the real server: timeout, release on connection death,
``autocommit_block`` / ``CREATE INDEX CONCURRENTLY`` under the lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from mig_postgres.lock import PostgresRunLock, lock_key, lock_statements

from mig_core import command
from mig_core.errors import LockTimeoutError

TESTS = Path(__file__).resolve().parents[3] / "tests"
sys.path.insert(0, str(TESTS))

from pg_drivers import each_postgres_driver  # noqa: E402
from runtime_support import config_for, create_table, make_project, shared_fixtures  # noqa: E402

postgres_url = shared_fixtures().postgres_url


def test_lock_key_is_stable_and_per_version_table():
    assert lock_key("mig_version", None) == lock_key("mig_version", None)
    assert lock_key("mig_version", None) != lock_key("alembic_version", None)
    assert lock_key("mig_version", None) != lock_key("mig_version", "app")
    assert -(2**63) <= lock_key("mig_version", None) < 2**63


def test_lock_statements():
    assert lock_statements(False)["lock"] == "SELECT pg_advisory_lock(:key)"
    assert lock_statements(False)["try"] == "SELECT pg_try_advisory_lock(:key)"
    assert lock_statements(True)["lock"] == "SELECT pg_advisory_xact_lock(:key)"
    assert lock_statements(True)["try"] == "SELECT pg_try_advisory_xact_lock(:key)"


# advisory locks in this test's database (other test runs share the server)
ADVISORY_HERE = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def _hold_lock(conn, table="mig_version"):
    conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": lock_key(table, "public")})


@pytest.fixture
def pg_project(tmp_path, postgres_url):
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    ini = make_project(tmp_path, postgres_url, [{"rev": "a", **create_table("t_a")}])
    yield ini, engine
    engine.dispose()


@each_postgres_driver
def test_lock_timeout_names_holder_then_succeeds_after_release(pg_project):
    ini, engine = pg_project
    with engine.connect() as holder:
        _hold_lock(holder)
        pid = holder.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        started = time.monotonic()
        with pytest.raises(LockTimeoutError, match=rf"held by backend pid {pid}; gave up after "
                                                   r"--lock-timeout 0.3 s") as info:
            command.upgrade(config_for(ini), "head", lock_timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 3
        assert info.value.exit_code == 5
    command.upgrade(config_for(ini), "head", lock_timeout=2)  # holder closed: lock gone
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "a"
        # the run released its own lock: nobody holds an advisory lock now
        assert conn.execute(
            sa.text(ADVISORY_HERE)
        ).scalar() == 0


@each_postgres_driver
def test_lock_released_when_holder_process_is_killed(pg_project, postgres_url):
    ini, engine = pg_project
    script = textwrap.dedent(f"""
        import sqlalchemy as sa, sys, time
        e = sa.create_engine({postgres_url!r})
        c = e.connect()
        c.execute(sa.text("SELECT pg_advisory_lock(:k)"), {{"k": {lock_key("mig_version", "public")}}})
        print("locked", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(LockTimeoutError):
            command.upgrade(config_for(ini), "head", lock_timeout=0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        command.upgrade(config_for(ini), "head", lock_timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "a"


@each_postgres_driver
def test_autocommit_block_and_concurrent_index_under_the_lock(tmp_path, postgres_url):
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "a", **create_table("t_a")},
        {"rev": "b", "down": "a", "upgrade": (
            "op.execute('ALTER TABLE t_a ADD COLUMN x INTEGER')\n"
            "with op.get_context().autocommit_block():\n"
            "    op.execute('CREATE INDEX CONCURRENTLY ix_t_a_x ON t_a (x)')\n"
            "op.execute('ALTER TABLE t_a ADD COLUMN y INTEGER')\n"
        )},
        {"rev": "c", "down": "b", **create_table("t_c")},
    ])
    command.upgrade(config_for(ini), "head", lock_timeout=5)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "c"
        assert {i["name"] for i in sa.inspect(conn).get_indexes("t_a")} == {"ix_t_a_x"}
        assert {c["name"] for c in sa.inspect(conn).get_columns("t_a")} == {"id", "x", "y"}
        assert conn.execute(
            sa.text(ADVISORY_HERE)
        ).scalar() == 0
    engine.dispose()


@each_postgres_driver
def test_transaction_scoped_lock_inside_callers_transaction(pg_project):
    ini, engine = pg_project
    with engine.begin() as conn:
        config = config_for(ini, connection=conn)
        conn.execute(sa.text("SELECT 1"))  # the caller's transaction is open
        command.upgrade(config, "head")
        held = conn.execute(
            sa.text(ADVISORY_HERE + " AND pid = pg_backend_pid()")
        ).scalar()
        assert held == 1  # the xact lock lives until the caller commits
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "a"
        assert conn.execute(
            sa.text(ADVISORY_HERE)
        ).scalar() == 0


@each_postgres_driver
def test_cli_exit_code_5_on_lock_timeout(pg_project):
    ini, engine = pg_project
    with engine.connect() as holder:
        _hold_lock(holder)
        result = subprocess.run(
            [sys.executable, "-m", "mig_core", "-c", str(ini), "upgrade", "head",
             "--lock-timeout", "0.2"],
            capture_output=True, text=True, timeout=60,
        )
    assert result.returncode == 5, result.stderr
    assert result.stderr.startswith("mig: error: the run lock (PostgreSQL advisory lock")


def test_lock_object_polls_with_timeout_and_releases(postgres_url):
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)

    class FakeImpl:
        context_opts = {"version_table": "other_version"}

    with engine.connect() as holder, engine.connect() as mine:
        _hold_lock(holder, "other_version")
        impl = FakeImpl()
        impl.connection = mine  # type: ignore[attr-defined]
        with pytest.raises(LockTimeoutError):
            PostgresRunLock(impl, 0.1).__enter__()
        mine.rollback()
        holder.execute(sa.text("SELECT pg_advisory_unlock_all()"))
        lock = PostgresRunLock(impl, 1.0)
        with lock:
            count = holder.execute(sa.text(
                ADVISORY_HERE + " AND granted")).scalar()
            assert count == 1
        assert not mine.in_transaction()  # the auto-begun transaction was ended
        count = holder.execute(sa.text(
            ADVISORY_HERE + " AND granted")).scalar()
        assert count == 0
    engine.dispose()


def test_ensure_version_waits_for_the_run_lock_or_times_out(pg_project):
    """ensure_version writes (it creates the tables, and adds a column to an old history
    table), so it takes the run lock as upgrade does: --lock-timeout ends the wait with exit
    code 5; without one it waits for the holder."""
    import threading

    ini, engine = pg_project

    def tables():
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())

    with engine.connect() as holder:
        _hold_lock(holder)
        result = subprocess.run(
            [sys.executable, "-m", "mig_core", "-c", str(ini), "ensure_version",
             "--lock-timeout", "0.2"],
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 5, result.stderr
        assert result.stderr.startswith("mig: error: the run lock (PostgreSQL advisory lock")
        assert "gave up after --lock-timeout 0.2 s" in result.stderr
        with pytest.raises(LockTimeoutError):
            command.ensure_version(config_for(ini), lock_timeout=0.2)
        assert tables() == set()
        release = threading.Timer(0.5, holder.close)
        started = time.monotonic()
        release.start()
        command.ensure_version(config_for(ini))  # waits until the holder lets go
        assert time.monotonic() - started >= 0.5
        release.join()
    assert tables() == {"mig_version", "mig_history"}
    with engine.connect() as conn:
        assert conn.execute(sa.text(ADVISORY_HERE)).scalar() == 0
