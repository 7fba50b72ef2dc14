"""The MySQL / MariaDB run lock (``GET_LOCK``) on the real server: held while upgrade, downgrade
and stamp run, released after (also after a failure), ``--lock-timeout``, a killed holder, a
caller's transaction, and heads read again once the lock is held."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa
from mig_mysql.lock import FOREVER, MAX_NAME, MySQLRunLock, lock_name, wait_seconds
from mysql_support import mig_command, scalar
from runtime_support import config_for, create_table, make_project, shared_fixtures

from mig_core import command
from mig_core.errors import CommandError, LockTimeoutError, MigrationFailed

mysql_url = shared_fixtures().mysql_url

TWO = [{"rev": "a", **create_table("t_a")}, {"rev": "b", "down": "a", **create_table("t_b")}]


@pytest.fixture
def name(mysql_url) -> str:
    """The run lock's name for the default version table of the test database."""
    return lock_name(sa.engine.make_url(mysql_url).database, "mig_version")


def _hold(conn: sa.Connection, name: str) -> int:
    assert conn.execute(sa.text("SELECT GET_LOCK(:n, 0)"), {"n": name}).scalar() == 1
    return int(conn.execute(sa.text("SELECT CONNECTION_ID()")).scalar())


# --- the name and the timeout ------------------------------------------------------------------


def test_lock_name_is_readable_and_per_database_and_version_table():
    assert lock_name("shop", "mig_version") == "mig:shop.mig_version"
    assert lock_name("shop", "alembic_version") != lock_name("shop", "mig_version")
    assert lock_name("billing", "mig_version") != lock_name("shop", "mig_version")


def test_long_lock_names_are_hashed_within_64_characters():
    long_a, long_b = "d" * 60 + "_a", "d" * 60 + "_b"
    name = lock_name(long_a, "mig_version")
    assert len(name) == MAX_NAME
    assert name.startswith("mig:ddd") and "~" in name
    assert name == lock_name(long_a, "mig_version")  # stable
    assert name != lock_name(long_b, "mig_version")  # the hash tells them apart


def test_wait_seconds_never_negative_and_none_waits_for_ever():
    # MariaDB answers a negative GET_LOCK timeout with NULL: "for ever" is a long positive wait
    assert wait_seconds(None) == FOREVER >= 365 * 24 * 3600
    assert wait_seconds(-3) == 0
    assert wait_seconds(1.5) == 1.5


def test_forever_timeout_is_accepted_by_the_server(engine):
    """The value standing for "for ever" is granted, not refused (NULL) by the server."""
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT GET_LOCK('mig:test.forever', :w)"), {"w": FOREVER})
        assert got.scalar() == 1
        conn.execute(sa.text("SELECT RELEASE_LOCK('mig:test.forever')"))


# --- held while writing commands run, released after ---------------------------------------------


def test_upgrade_downgrade_and_stamp_hold_the_lock_and_release_it(tmp_path, engine, mysql_url,
                                                                  name):
    seen: list[tuple[object, object]] = []

    def check(ctx, step, heads, run_args):
        me = ctx.connection.execute(sa.text("SELECT CONNECTION_ID()")).scalar()
        seen.append((scalar(engine, "SELECT IS_USED_LOCK(:n)", n=name), me))

    ini = make_project(tmp_path, mysql_url, TWO)
    config = config_for(ini, configure={"on_version_apply": check})
    for run, steps in (
        (lambda: command.upgrade(config, "head"), 2),
        (lambda: command.downgrade(config, "-1"), 1),
        (lambda: command.stamp(config, "b"), 1),
    ):
        seen.clear()
        run()
        assert len(seen) == steps
        assert all(holder == me and me for holder, me in seen), seen  # the run's own session
        assert scalar(engine, "SELECT IS_FREE_LOCK(:n)", n=name) == 1
    assert scalar(engine, "SELECT version_num FROM mig_version") == "b"


def test_lock_released_after_a_failed_run(tmp_path, engine, mysql_url, name):
    ini = make_project(tmp_path, mysql_url, [
        {"rev": "a", **create_table("t_a")},
        {"rev": "b", "down": "a", "upgrade": "op.execute('SELECT * FROM no_such_table')"},
    ])
    with pytest.raises(MigrationFailed, match="revision b"):
        command.upgrade(config_for(ini), "head")
    assert scalar(engine, "SELECT IS_FREE_LOCK(:n)", n=name) == 1
    assert scalar(engine, "SELECT version_num FROM mig_version") == "a"


def test_cli_lock_timeout_exits_5_naming_the_lock_and_holder(tmp_path, engine, mysql_url, name):
    ini = make_project(tmp_path, mysql_url, TWO)
    with engine.connect() as holder:
        holder_id = _hold(holder, name)
        started = time.monotonic()
        result = subprocess.run(mig_command(ini, "upgrade", "head", "--lock-timeout", "1"),
                                capture_output=True, text=True, timeout=60)
        waited = time.monotonic() - started
    assert result.returncode == 5, result.stderr
    assert result.stderr == (
        f"mig: error: the run lock (GET_LOCK {name!r} for version table 'mig_version') is held "
        f"by connection id {holder_id}; gave up after --lock-timeout 1 s\n"
    )
    assert waited >= 1
    assert not sa.inspect(engine).has_table("t_a")  # nothing ran


def test_lock_timeout_from_python_raises_lock_timeout_error(tmp_path, engine, mysql_url, name):
    ini = make_project(tmp_path, mysql_url, TWO)
    with engine.connect() as holder:
        _hold(holder, name)
        started = time.monotonic()
        with pytest.raises(LockTimeoutError, match=r"--lock-timeout 0.3 s") as info:
            command.upgrade(config_for(ini), "head", lock_timeout=0.3)
        assert 0.25 <= time.monotonic() - started < 3
        assert info.value.exit_code == 5
    command.upgrade(config_for(ini), "head", lock_timeout=2)  # holder closed: lock gone
    assert scalar(engine, "SELECT version_num FROM mig_version") == "b"


def test_a_killed_holder_releases_the_lock(tmp_path, engine, mysql_url, name):
    ini = make_project(tmp_path, mysql_url, TWO)
    script = textwrap.dedent(f"""
        import sqlalchemy as sa, time
        c = sa.create_engine({mysql_url!r}).connect()
        assert c.execute(sa.text("SELECT GET_LOCK(:n, 0)"), {{"n": {name!r}}}).scalar() == 1
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
    assert scalar(engine, "SELECT version_num FROM mig_version") == "b"


def test_a_killed_holder_session_releases_the_lock(tmp_path, engine, mysql_url, name):
    """KILL CONNECTION on the server (a DBA ending a stuck session) frees the lock too."""
    ini = make_project(tmp_path, mysql_url, TWO)
    holder = engine.connect()
    try:
        holder_id = _hold(holder, name)
        with engine.connect() as admin:
            admin.execute(sa.text(f"KILL CONNECTION {holder_id}"))
        command.upgrade(config_for(ini), "head", lock_timeout=5)
    finally:
        holder.invalidate()
        holder.close()
    assert scalar(engine, "SELECT version_num FROM mig_version") == "b"


def test_a_waiting_run_reads_heads_again_and_finds_nothing_to_do(tmp_path, engine, mysql_url,
                                                                 name):
    """While a run waits for the lock, another brings the database to head: once the lock is
    granted the waiting run reads the version table again and runs nothing (its CREATE TABLE
    would fail on the existing table)."""
    ini = make_project(tmp_path, mysql_url, TWO)
    with engine.connect() as holder:
        _hold(holder, name)
        waiting = subprocess.Popen(mig_command(ini, "upgrade", "head"), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 20
            while not scalar(engine, "SELECT count(*) FROM information_schema.PROCESSLIST "
                                      "WHERE INFO LIKE 'SELECT GET_LOCK(%' AND DB = DATABASE()"):
                assert waiting.poll() is None, waiting.communicate()
                assert time.monotonic() < deadline, "the run never asked for the lock"
                time.sleep(0.05)
            # "the other run": applies both revisions while the first one waits
            holder.execute(sa.text("CREATE TABLE t_a (id INTEGER PRIMARY KEY)"))
            holder.execute(sa.text("CREATE TABLE t_b (id INTEGER PRIMARY KEY)"))
            holder.execute(sa.text("CREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL "
                                   "PRIMARY KEY)"))
            holder.execute(sa.text("INSERT INTO mig_version VALUES ('b')"))
            holder.commit()
            holder.execute(sa.text("SELECT RELEASE_LOCK(:n)"), {"n": name})
            _out, err = waiting.communicate(timeout=30)
        finally:
            if waiting.poll() is None:
                waiting.kill()
                waiting.wait()
    assert waiting.returncode == 0, err
    assert "Running upgrade" not in err
    assert scalar(engine, "SELECT version_num FROM mig_version") == "b"
    assert not sa.inspect(engine).has_table("mig_history")  # it ran no step


def test_inside_a_callers_transaction_the_lock_ends_with_the_run(tmp_path, engine, mysql_url,
                                                                 name):
    """MySQL has no transaction-scoped user lock: the session lock is held while the run goes
    and released when it ends, before the caller commits (never left on the caller's session)."""
    held: list[object] = []

    def check(ctx, step, heads, run_args):
        held.append(scalar(engine, "SELECT IS_USED_LOCK(:n)", n=name))

    ini = make_project(tmp_path, mysql_url, TWO[:1])
    with engine.connect() as conn:
        conn.begin()
        me = conn.execute(sa.text("SELECT CONNECTION_ID()")).scalar()
        command.upgrade(config_for(ini, connection=conn, configure={"on_version_apply": check}),
                        "head")
        assert held == [me]
        assert conn.in_transaction()  # the caller's, still open
        assert scalar(engine, "SELECT IS_FREE_LOCK(:n)", n=name) == 1
        conn.commit()
    assert scalar(engine, "SELECT version_num FROM mig_version") == "a"


# --- the lock object ---------------------------------------------------------------------------


class FakeImpl:
    def __init__(self, connection: sa.Connection, **opts: object) -> None:
        self.connection = connection
        self.context_opts = opts


def test_lock_object_names_the_schema_and_leaves_no_transaction_open(engine):
    with engine.connect() as mine:
        lock = MySQLRunLock(FakeImpl(mine, version_table="v", version_table_schema="elsewhere"),
                            timeout=1)
        with lock:
            assert lock.name == "mig:elsewhere.v"
            assert not mine.in_transaction()
            assert scalar(engine, "SELECT IS_USED_LOCK('mig:elsewhere.v')") == (
                mine.execute(sa.text("SELECT CONNECTION_ID()")).scalar())
            mine.rollback()
        assert not mine.in_transaction()
        assert scalar(engine, "SELECT IS_FREE_LOCK('mig:elsewhere.v')") == 1


def test_a_null_result_is_a_clear_error(engine, monkeypatch):
    """GET_LOCK returns NULL on an error (here: the empty name the server refuses)."""
    monkeypatch.setattr("mig_mysql.lock.lock_name", lambda database, table: "")
    with engine.connect() as mine:
        with pytest.raises(CommandError, match=r"the run lock \(GET_LOCK '' for version table "
                                               r"'mig_version'\) could not be taken: GET_LOCK "
                                               r"returned NULL") as info:
            MySQLRunLock(FakeImpl(mine), timeout=1).__enter__()
    assert info.value.exit_code == 1
    assert not isinstance(info.value, LockTimeoutError)


def test_importing_the_plugin_and_lock_imports_no_sqlalchemy():
    code = ("import sys, mig_mysql.plugin, mig_mysql.lock; "
            "print(sorted(m for m in ('sqlalchemy', 'pymysql') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
