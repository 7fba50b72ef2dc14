"""A run killed after a revision's ``autocommit_block()`` committed part of it (PostgreSQL):
the next run stops on that revision as interrupted instead of running its DDL again, and
``mig log`` shows the killed step; a run that finishes leaves one row per step; a run killed
while a ``CREATE INDEX CONCURRENTLY`` was building leaves an INVALID index, which the next run's
refusal offers ``--resume``, whose failure names it with the ``DROP INDEX CONCURRENTLY`` to run
first.
(``--resume`` after such a kill: tests/test_postgres_autocommit_resume.py.)"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

TESTS = Path(__file__).resolve().parents[3] / "tests"
sys.path.insert(0, str(TESTS))

from pg_drivers import each_postgres_driver  # noqa: E402
from runtime_support import create_table, make_project, shared_fixtures  # noqa: E402

from mig_core.runtime.history import INTERRUPTED  # noqa: E402

postgres_url = shared_fixtures().postgres_url

R2 = (
    "op.add_column('t', sa.Column('x', sa.Integer))\n"
    "with op.get_context().autocommit_block():\n"
    "    op.create_index('ix_t_x', 't', ['x'], postgresql_concurrently=True)\n"
    "{after}\n"
    "op.add_column('t', sa.Column('y', sa.Integer))\n"
)
KILL = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"


def _run(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "mig_core", "-c", str(ini), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def _log(ini: Path) -> list[tuple[object, ...]]:
    result = _run(ini, "log", "--json")
    assert result.returncode == 0, result.stderr
    return [(r["revisions"], r["direction"], r["success"], r["error"])
            for r in json.loads(result.stdout)]


@pytest.fixture
def engine(postgres_url):
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    yield engine
    engine.dispose()


def _project(tmp_path: Path, url: str, after: str) -> Path:
    return make_project(tmp_path, url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": R2.format(after=after)},
        {"rev": "r3", "down": "r2", **create_table("t3")},
    ])


@pytest.mark.parametrize("per_migration", [False, True])
def test_kill_after_autocommit_block_stops_the_next_run(tmp_path, engine, postgres_url,
                                                         per_migration):
    ini = _project(tmp_path, postgres_url, KILL)
    x = ["-x", "transaction_per_migration=true"] if per_migration else []
    assert _run(ini, *x, "upgrade", "head").returncode == -signal.SIGKILL
    with engine.connect() as conn:  # r2's column and index were committed, r2 not recorded
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "r1"
        assert "x" in {c["name"] for c in sa.inspect(conn).get_columns("t")}
    assert _log(ini) == [("r1", "upgrade", True, None), ("r2", "upgrade", False, INTERRUPTED)]

    again = _run(ini, "upgrade", "head")  # it ran ADD COLUMN x again: "already exists"
    assert again.returncode == 1
    assert again.stderr.startswith("mig: error: revision r2 (versions/r2_r2.py) upgrade was "
                                   "interrupted: a run started it at ")
    assert "; 2 statements of it took effect, as recorded after each one (the one running " \
           "when it stopped may have too), and the version table still names r1. Run `mig " \
           "upgrade r2 --resume` to run the rest of it (with --skip-interrupted, if the one " \
           "running when it stopped took effect, to skip that one too); or check the schema" \
           in again.stderr

    with engine.begin() as conn:  # repaired by hand: the rest of r2
        conn.execute(sa.text("ALTER TABLE t ADD COLUMN y INTEGER"))
    assert _run(ini, "stamp", "r2").returncode == 0
    done = _run(ini, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    assert [row[:3] for row in _log(ini)] == [
        ("r1", "upgrade", True), ("r2", "upgrade", False), ("r2", "stamp", True),
        ("r3", "upgrade", True)]


def test_finished_autocommit_step_leaves_one_row(tmp_path, engine, postgres_url):
    ini = _project(tmp_path, postgres_url, "")
    done = _run(ini, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    assert _log(ini) == [("r1", "upgrade", True, None), ("r2", "upgrade", True, None),
                         ("r3", "upgrade", True, None)]


def _wait_for(conn: sa.Connection, sql: str, what: str, seconds: float = 30) -> object:
    """Poll ``sql`` (one value) on ``conn`` until it returns a row; fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = conn.execute(sa.text(sql)).scalar()
        if value is not None:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


CIC_THEN_A_COLUMN = (
    "with op.get_context().autocommit_block():\n"
    "    op.create_index('ix_t_x', 't', ['id'], postgresql_concurrently=True)\n"
    "op.add_column('t', sa.Column('y', sa.Integer))\n"
)
CIC_BACKEND = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
               "AND query LIKE 'CREATE INDEX CONCURRENTLY ix_t_x%' AND wait_event_type = 'Lock'")
IX_T_X = ("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
          "WHERE c.relname = 'ix_t_x'")
DROP_IX_T_X = ("The failed statement left the index ix_t_x behind, INVALID (pg_index.indisvalid "
               "is false): run `DROP INDEX CONCURRENTLY ix_t_x` before running the revision "
               "again")


@each_postgres_driver
def test_kill_during_create_index_concurrently_names_the_invalid_index(tmp_path, engine,
                                                                         postgres_url):
    """kill -9 while the concurrent build waits (another session holds a write lock on t, which
    CIC waits for after its catalog entry exists), then the server backend ends as it does when
    the connection is lost: the index stays INVALID; the plain rerun offers ``--resume``, whose
    re-sent statement fails with "already exists" and says which index and how to drop it."""
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": CIC_THEN_A_COLUMN},
    ])
    assert _run(ini, "upgrade", "r1").returncode == 0
    with engine.connect() as blocker, engine.connect().execution_options(
            isolation_level="AUTOCOMMIT") as watcher:
        blocker.execute(sa.text("INSERT INTO t (id) VALUES (1)"))  # open, holds ROW EXCLUSIVE
        argv = [sys.executable, "-m", "mig_core", "-c", str(ini), "upgrade", "head"]
        run = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            backend = _wait_for(watcher, CIC_BACKEND, "CREATE INDEX CONCURRENTLY to wait")
            assert _wait_for(watcher, IX_T_X, "ix_t_x in pg_index") is False
            run.kill()
            assert run.wait(60) == -signal.SIGKILL
        finally:
            if run.poll() is None:
                run.kill()
                run.wait(60)
        watcher.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        _wait_for(watcher, "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity "
                  f"WHERE pid = {int(backend)})", "the killed run's backend to end")
        blocker.rollback()
        assert watcher.execute(sa.text(IX_T_X)).scalar() is False
        assert watcher.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "r1"

    again = _run(ini, "upgrade", "head")  # (a) the plain rerun refuses
    assert again.returncode == 1
    assert again.stderr.startswith("mig: error: revision r2 (versions/r2_r2.py) upgrade was "
                                   "interrupted: a run started it at "), again.stderr
    assert "; 0 statements of it took effect, as recorded after each one" in again.stderr
    # it does not name the index: the row keeps how many statements took effect, not the
    # text of the one running (docs/runtime.md, "Interrupted runs"); --resume's failure does
    assert "Run `mig upgrade r2 --resume` to run the rest of it" in again.stderr

    resumed = _run(ini, "upgrade", "r2", "--resume")  # (b) --resume re-sends the CIC
    assert resumed.returncode == 1
    assert 'relation "ix_t_x" already exists' in resumed.stderr, resumed.stderr
    assert DROP_IX_T_X in resumed.stderr, resumed.stderr

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("DROP INDEX CONCURRENTLY ix_t_x"))
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text(IX_T_X)).scalar() is True
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "r2"
