"""Concurrent runs and killed runs, as separate ``mig`` processes on real databases.

* 8 ``mig upgrade head`` processes at once on one PostgreSQL database apply each revision
  exactly once, and all of them succeed (the run lock, then heads read again under it).
* ``kill -9`` at random moments during a 200-revision upgrade, then a rerun: it completes, and
  after every kill the version table names exactly the revisions whose tables exist.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from pg_drivers import each_postgres_driver
from runtime_support import make_project

pytestmark = pytest.mark.slow


def _mig(ini, *args):
    return [sys.executable, "-m", "mig_core", "-c", str(ini), *args]


def _clean(url):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    return engine


@each_postgres_driver
def test_eight_concurrent_upgrades_apply_each_revision_once(tmp_path, postgres_url):
    engine = _clean(postgres_url)
    revisions = [{"rev": "r00", "upgrade": "op.execute('CREATE TABLE applied (rev TEXT)')\n"
                                           "op.execute(\"INSERT INTO applied VALUES ('r00')\")"}]
    for i in range(1, 30):
        revisions.append({
            "rev": f"r{i:02d}",
            "down": f"r{i - 1:02d}",
            "upgrade": f"op.execute('CREATE TABLE t{i:02d} (x INT)')\n"
                       f"op.execute(\"INSERT INTO applied VALUES ('r{i:02d}')\")",
        })
    ini = make_project(tmp_path, postgres_url, revisions)
    procs = [
        subprocess.Popen(_mig(ini, "upgrade", "head"), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    results = [(p.wait(timeout=50), p.stderr.read() if p.stderr else "") for p in procs]
    for code, err in results:
        assert code == 0, err
    with engine.connect() as conn:
        applied = conn.execute(sa.text("SELECT rev, count(*) FROM applied GROUP BY rev")).all()
        history = conn.execute(sa.text(
            "SELECT revisions, count(*) FROM mig_history WHERE direction = 'upgrade' "
            "AND success GROUP BY revisions")).all()
        heads = conn.execute(sa.text("SELECT version_num FROM mig_version")).scalars().all()
    assert sorted(applied) == [(f"r{i:02d}", 1) for i in range(30)]
    assert sorted(history) == [(f"r{i:02d}", 1) for i in range(30)]
    assert heads == ["r29"]
    engine.dispose()


def _consistent(engine, n):
    """The version table names rK exactly when tables t000..tK exist (and no others)."""
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        heads = (
            conn.execute(sa.text("SELECT version_num FROM mig_version")).scalars().all()
            if "mig_version" in names
            else []
        )
    tables = sorted(int(t[1:]) for t in names if t.startswith("t") and t[1:].isdigit())
    assert len(heads) <= 1, heads
    done = int(heads[0][1:]) + 1 if heads else 0
    assert tables == list(range(done)), (heads, tables)
    return done


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("per_migration", [False, True], ids=["one-transaction", "per-migration"])
def test_kill_9_during_upgrade_then_rerun(tmp_path, request, backend, per_migration):
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    engine = _clean(url)
    n = 200
    revisions = []
    for i in range(n):
        revisions.append({
            "rev": f"r{i:03d}",
            "down": f"r{i - 1:03d}" if i else None,
            "upgrade": f"op.create_table('t{i:03d}', sa.Column('id', sa.Integer, "
                       "primary_key=True))\n"
                       + (f"op.add_column('t{i - 1:03d}', sa.Column('c', sa.Integer))" if i else ""),
        })
    ini = make_project(tmp_path, url, revisions)
    extra = ["-x", "transaction_per_migration=true"] if per_migration else []
    started = time.monotonic()
    subprocess.run(_mig(ini, *extra, "upgrade", "head"), check=True, timeout=60)
    whole_run = time.monotonic() - started
    assert _consistent(engine, n) == n
    rng = random.Random(4242 + per_migration)
    progress = []
    for _ in range(6):  # each trial starts from an empty database and is killed part-way
        engine.dispose()
        _clean(url).dispose()
        proc = subprocess.Popen(_mig(ini, *extra, "upgrade", "head"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 0.95) * whole_run)
        proc.kill()  # SIGKILL
        proc.wait()
        progress.append(_consistent(engine, n))
    if per_migration:  # commits per revision: kills land part-way through the graph
        assert any(0 < p < n for p in progress), progress
    else:  # one transaction: all or nothing
        assert set(progress) <= {0, n}, progress
    final = subprocess.run(_mig(ini, *extra, "upgrade", "head"), capture_output=True, text=True,
                           timeout=60)
    assert final.returncode == 0, final.stderr
    assert _consistent(engine, n) == n
    engine.dispose()
