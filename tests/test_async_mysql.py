"""The ``async`` init template on a real MariaDB / MySQL through aiomysql: upgrade and
downgrade with ``op.run_async``, a failing revision (non-transactional DDL: what took effect,
``--resume``), and the run lock (``GET_LOCK`` through ``run_sync``) across processes.

The database is a fresh one on the server of ``MIG_TEST_MYSQL_URL`` (the ``mysql_url``
fixture), reached with the ``mysql+aiomysql`` driver; without the server these tests skip with
the reason (fail with ``CI=true``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from async_support import async_project, create, heads, mig, run_mig, table_names

pytestmark = [pytest.mark.mysql, pytest.mark.slow]


@pytest.fixture(scope="module")
def async_url(mysql_url: str) -> str:
    """The module's fresh database (``mysql_url``, dropped afterwards) through aiomysql."""
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        pytest.importorskip("aiomysql", reason="the async template's MySQL driver")
    return sa.engine.make_url(mysql_url).set(drivername="mysql+aiomysql").render_as_string(
        hide_password=False)


@pytest.fixture
def db(mysql_url: str) -> Iterator[sa.engine.Engine]:
    """A synchronous engine on the test database, emptied before the test."""
    engine = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.exec_driver_sql(f"DROP TABLE `{name}`")
    yield engine
    engine.dispose()


RUN_ASYNC = '''
async def count(conn, table):
    return (await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar()

t = op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), sa.Column('s', sa.String(20)))
op.bulk_insert(t, [{'id': 1, 's': '50%'}])
op.execute("INSERT INTO t VALUES (2, 'a:b')")
assert op.run_async(count, 't') == 2
assert op.get_bind().execute(sa.text('SELECT count(*) FROM t')).scalar() == 2
'''


def test_upgrade_downgrade_with_run_async(tmp_path, async_url, db) -> None:
    async_project(tmp_path, async_url, [
        {"rev": "a1", "upgrade": RUN_ASYNC, "downgrade": "op.drop_table('t')"},
        {"rev": "b1", "down": "a1", **create("two")},
    ])
    mig(tmp_path, "upgrade", "head")
    assert heads(db) == ["b1"] and {"t", "two"} <= table_names(db)
    assert mig(tmp_path, "current") == "b1 (head)\n"
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT s FROM t ORDER BY id")).scalars().all() == [
            "50%", "a:b"]
    mig(tmp_path, "downgrade", "base")
    assert heads(db) == [] and table_names(db) == {"mig_version", "mig_history"}
    log = mig(tmp_path, "log").splitlines()
    assert [line.split()[3:5] for line in log[1:]] == [
        ["upgrade", "a1"], ["upgrade", "b1"], ["downgrade", "b1"], ["downgrade", "a1"]]


def test_a_failing_revision_then_resume(tmp_path, async_url, db) -> None:
    """MariaDB commits each DDL statement: the message lists what took effect, the version
    table names the revision before, and ``--resume`` runs the rest once the cause is gone."""
    async_project(tmp_path, async_url, [
        {"rev": "a1", **create("t")},
        {"rev": "b1", "down": "a1",
         "upgrade": "op.add_column('t', sa.Column('a', sa.Integer))\n"
                    "op.add_column('t', sa.Column('b', sa.Integer))\n"
                    "op.execute('INSERT INTO needed VALUES (1)')\n"
                    "op.add_column('t', sa.Column('c', sa.Integer))"},
    ])
    failed = run_mig(tmp_path, "upgrade", "head")
    assert failed.returncode == 1
    line = failed.stderr.strip().splitlines()[-1]
    assert line.startswith("mig: error: revision b1 (versions/b1_b1.py line 19) upgrade failed: "
                           "ProgrammingError: (1146, "), line
    assert line.endswith(
        "before the failing statement it ran 2 statements: ALTER TABLE t ADD COLUMN a INTEGER; "
        "ALTER TABLE t ADD COLUMN b INTEGER; 2 statements of it took effect (no transactional DDL "
        "on mysql) and the version table still names a1. Once the cause is fixed, `mig upgrade "
        "b1 --resume` runs the rest of it (or repair the schema by hand and record where it is "
        "with `mig stamp`)"), line
    assert "Traceback" not in failed.stderr
    assert heads(db) == ["a1"]
    with db.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE needed (x INT)")
    mig(tmp_path, "upgrade", "head", "--resume")
    assert heads(db) == ["b1"]
    with db.connect() as conn:
        assert [c["name"] for c in sa.inspect(conn).get_columns("t")] == ["id", "a", "b", "c"]
        assert conn.exec_driver_sql("SELECT x FROM needed").scalars().all() == [1]


def test_four_concurrent_upgrades_apply_each_revision_once(tmp_path, async_url, db) -> None:
    """The run lock (``GET_LOCK`` on the migration connection, through ``run_sync``) serializes
    four ``mig upgrade head`` processes; each revision checks it holds the lock as it runs."""
    held = ("op.execute(\"INSERT INTO applied SELECT '{rev}', "
            "IS_USED_LOCK(CONCAT('mig:', DATABASE(), '.mig_version')) = CONNECTION_ID()\")\n"
            "op.execute('DO SLEEP(0.02)')")
    revisions: list[dict[str, Any]] = [{
        "rev": "r00",
        "upgrade": "op.execute('CREATE TABLE applied (rev VARCHAR(8), held INT)')\n"
                   + held.format(rev="r00"),
    }]
    for i in range(1, 10):
        revisions.append({"rev": f"r{i:02d}", "down": f"r{i - 1:02d}",
                          "upgrade": f"op.execute('CREATE TABLE t{i:02d} (x INT)')\n"
                                     + held.format(rev=f"r{i:02d}")})
    async_project(tmp_path, async_url, revisions)
    procs = [subprocess.Popen([sys.executable, "-m", "mig_core", "upgrade", "head"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(timeout=100), p.communicate()[1]) for p in procs]
    for code, err in results:
        assert code == 0, err
    with db.connect() as conn:
        applied = conn.execute(sa.text(
            "SELECT rev, count(*), min(held) FROM applied GROUP BY rev ORDER BY rev")).all()
    assert applied == [(f"r{i:02d}", 1, 1) for i in range(10)]
    assert heads(db) == ["r09"]
