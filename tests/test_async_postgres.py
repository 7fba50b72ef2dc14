"""The ``async`` init template on a real PostgreSQL through asyncpg and psycopg 3's async driver,
as a user runs it: a project made with ``mig init -t async``, the ``mig`` command in subprocesses
and ``command.*`` in process.

The database is a fresh one on the server of ``MIG_TEST_POSTGRES_URL`` (the ``postgres_url``
fixture), reached with the ``postgresql+asyncpg`` driver instead of the URL's own; the tests
of what the driver can change run with ``postgresql+psycopg_async`` too. Without the
server these tests skip with the reason (fail with ``CI=true``), as every PostgreSQL test does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from async_support import async_project, config, create, heads, mig, run_mig, table_names
from pg_drivers import DRIVER_MODULES, missing_driver, with_driver

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent


#: the async drivers: asyncpg, and psycopg 3's async form (``postgresql+psycopg_async``)
ASYNC_DRIVERS = ("asyncpg", "psycopg_async")
#: a test taking ``async_url`` runs once per async driver (else on asyncpg only)
each_async_driver = pytest.mark.parametrize("async_url", ASYNC_DRIVERS, indirect=True)


@pytest.fixture(scope="module")
def async_url(request: pytest.FixtureRequest, postgres_url: str) -> str:
    """The module's fresh database (``postgres_url``, dropped afterwards) through an async
    driver: asyncpg, or the one the test names (:data:`each_async_driver`). A driver that is not
    installed skips the test, and fails it with ``CI=true``."""
    driver = getattr(request, "param", "asyncpg")
    reason = missing_driver(driver)
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason + " (CI=true: a missing driver is a failure)")
        pytest.skip(reason)
    return with_driver(postgres_url, driver)


@pytest.fixture
def db(postgres_url: str) -> Iterator[sa.engine.Engine]:
    """A synchronous engine on the test database, emptied before the test (public schema)."""
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    yield engine
    engine.dispose()


# --- the URL --------------------------------------------------------------------------------------


def test_the_async_url_keeps_everything_but_the_driver() -> None:
    assert with_driver("postgresql+psycopg2://u:p%40ss@db.example:6543/app?sslmode=require",
                       "asyncpg") == (
        "postgresql+asyncpg://u:p%40ss@db.example:6543/app?sslmode=require"
    )
    assert with_driver("postgresql://postgres@127.0.0.1/test", "psycopg_async") == (
        "postgresql+psycopg_async://postgres@127.0.0.1/test"
    )


def test_the_server_comes_from_mig_test_postgres_url(tmp_path: Path) -> None:
    """These tests run on the server ``MIG_TEST_POSTGRES_URL`` names: pointed at a port where
    none listens they skip naming it (and fail with ``CI=true``)."""
    nowhere = "postgresql+psycopg2://postgres@127.0.0.1:9/test"
    env = {**os.environ, "MIG_TEST_POSTGRES_URL": nowhere, "CI": ""}
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
            f"{__file__}::test_upgrade_downgrade_stamp_through_a_branch_and_merge[asyncpg]"]
    skipped = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert skipped.returncode == 0, skipped.stdout
    assert "1 skipped" in skipped.stdout
    assert f"postgresql server at {nowhere} unreachable" in skipped.stdout
    failed = subprocess.run(args, cwd=ROOT, env={**env, "CI": "true"}, capture_output=True,
                            text=True, timeout=120)
    assert failed.returncode == 1, failed.stdout
    assert "CI=true: a missing server is a failure" in failed.stdout


# --- commands -------------------------------------------------------------------------------------


@each_async_driver
def test_upgrade_downgrade_stamp_through_a_branch_and_merge(tmp_path, async_url, db) -> None:
    ini = async_project(tmp_path, async_url, [
        {"rev": "a1", **create("base_t")},
        {"rev": "b1", "down": "a1", **create("left_t")},
        {"rev": "c1", "down": "a1", **create("right_t")},
        {"rev": "m1", "down": ("b1", "c1"), **create("merged_t")},
    ])
    mig(tmp_path, "upgrade", "b1")
    assert heads(db) == ["b1"]
    assert mig(tmp_path, "current") == "b1\n"
    mig(tmp_path, "upgrade", "heads")
    assert heads(db) == ["m1"]
    assert table_names(db) >= {"base_t", "left_t", "right_t", "merged_t"}
    assert mig(tmp_path, "current") == "m1 (head) (mergepoint)\n"

    mig(tmp_path, "downgrade", "-1")
    assert heads(db) == ["b1", "c1"] and "merged_t" not in table_names(db)
    mig(tmp_path, "downgrade", "c1@-1")
    assert heads(db) == ["b1"] and "right_t" not in table_names(db)

    from mig_core import command  # in process: env.py's asyncio.run() in the test's thread

    command.upgrade(config(ini), "head")
    assert heads(db) == ["m1"]
    command.downgrade(config(ini), "base")
    assert heads(db) == [] and table_names(db) == {"mig_version", "mig_history"}

    mig(tmp_path, "stamp", "b1", "c1")
    assert heads(db) == ["b1", "c1"]
    mig(tmp_path, "stamp", "base")
    assert heads(db) == []
    command.stamp(config(ini), "m1")
    assert heads(db) == ["m1"]

    with db.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT direction, revisions, from_heads, to_heads, success, checksum, username, "
            "hostname FROM mig_history ORDER BY id")).all()
    assert [r[:4] for r in rows] == [
        ("upgrade", "a1", "", "a1"), ("upgrade", "b1", "a1", "b1"),
        ("upgrade", "c1", "b1", "b1 c1"), ("upgrade", "m1", "b1 c1", "m1"),
        ("downgrade", "m1", "m1", "b1 c1"), ("downgrade", "c1", "b1 c1", "b1"),
        ("upgrade", "c1", "b1", "b1 c1"), ("upgrade", "m1", "b1 c1", "m1"),
        ("downgrade", "m1", "m1", "b1 c1"), ("downgrade", "b1", "b1 c1", "c1"),
        ("downgrade", "c1", "c1", "a1"), ("downgrade", "a1", "a1", ""),
        ("stamp", "b1 c1", "", "b1 c1"), ("stamp", "base", "b1 c1", ""), ("stamp", "m1", "", "m1"),
    ]
    assert all(r.success for r in rows)
    runs = [r for r in rows if r.direction != "stamp"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", r.checksum) for r in runs)
    assert all(r.checksum is None for r in rows if r.direction == "stamp")
    assert all(r.username and r.hostname for r in rows)

    log = mig(tmp_path, "log").splitlines()
    assert log[0].split()[:4] == ["id", "started", "(UTC)", "direction"]
    assert [line.split()[3:5] for line in log[1:5]] == [
        ["upgrade", "a1"], ["upgrade", "b1"], ["upgrade", "c1"], ["upgrade", "m1"]]
    assert all(line.split()[-1] == "ok" for line in log[1:])
    assert "ok" in mig(tmp_path, "log", "--verify")


MODEL = '''
import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("account", metadata,
         sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("email", sa.String(200), nullable=False, index=True),
         sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now()))
'''


@each_async_driver
def test_check_and_autogenerate_against_a_model(tmp_path, async_url, db) -> None:
    (tmp_path / "model.py").write_text(MODEL)
    async_project(tmp_path, async_url, env_py={
        "target_metadata = None": "from model import metadata as target_metadata"})
    mig(tmp_path, "upgrade", "head")
    pending = run_mig(tmp_path, "check")
    assert pending.returncode == 1, pending.stderr
    assert "add_table" in pending.stderr or "add_table" in pending.stdout

    out = mig(tmp_path, "revision", "--autogenerate", "-m", "account")
    path = Path(re.search(r"Generating (\S+\.py)", out).group(1))  # type: ignore[union-attr]
    source = path.read_text()
    assert "op.create_table('account'" in source
    assert "op.create_index(op.f('ix_account_email'), 'account', ['email']" in source
    assert "server_default=sa.text('now()')" in source

    mig(tmp_path, "upgrade", "head")
    assert "account" in table_names(db)
    clean = run_mig(tmp_path, "check")
    assert clean.returncode == 0, clean.stderr
    assert "No new upgrade operations detected" in clean.stdout


PER_MIGRATION = {
    "context.configure(connection=connection, target_metadata=target_metadata)":
    "context.configure(connection=connection, target_metadata=target_metadata,\n"
    "                      transaction_per_migration=True)"}


# --- the run lock ---------------------------------------------------------------------------------


@each_async_driver
@pytest.mark.parametrize("per_migration", [False, True], ids=["one-transaction", "per-migration"])
def test_four_concurrent_upgrades_apply_each_revision_once(tmp_path, async_url, db,
                                                           per_migration) -> None:
    """The advisory lock, taken through ``run_sync`` on the async connection, serializes four
    ``mig upgrade head`` processes: each revision runs once (holding the lock), every process
    succeeds; with ``transaction_per_migration`` the session lock outlives each commit."""
    held = ("op.execute(\"INSERT INTO applied SELECT '{rev}', count(*) FROM pg_locks "
            "WHERE locktype = 'advisory' AND pid = pg_backend_pid()\")\n"
            "op.execute('SELECT pg_sleep(0.02)')")
    revisions: list[dict[str, Any]] = [{
        "rev": "r00",
        "upgrade": "op.execute('CREATE TABLE applied (rev TEXT, locks INT)')\n"
                   + held.format(rev="r00"),
    }]
    for i in range(1, 12):
        revisions.append({"rev": f"r{i:02d}", "down": f"r{i - 1:02d}",
                          "upgrade": f"op.execute('CREATE TABLE t{i:02d} (x INT)')\n"
                                     + held.format(rev=f"r{i:02d}")})
    async_project(tmp_path, async_url, revisions, PER_MIGRATION if per_migration else None)
    procs = [subprocess.Popen([sys.executable, "-m", "mig_core", "upgrade", "head"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(timeout=100), p.communicate()[1]) for p in procs]
    for code, err in results:
        assert code == 0, err
    with db.connect() as conn:
        applied = conn.execute(sa.text(
            "SELECT rev, count(*), min(locks) FROM applied GROUP BY rev ORDER BY rev")).all()
        history = conn.execute(sa.text(
            "SELECT revisions, count(*) FROM mig_history WHERE direction = 'upgrade' "
            "AND success GROUP BY revisions ORDER BY revisions")).all()
    assert applied == [(f"r{i:02d}", 1, 1) for i in range(12)]
    assert history == [(f"r{i:02d}", 1) for i in range(12)]
    assert heads(db) == ["r11"]


@each_async_driver
def test_lock_timeout_through_the_async_driver(tmp_path, async_url, db, postgres_url) -> None:
    """A run lock held by another session: ``--lock-timeout`` gives up with exit code 5, and so
    does a server ``lock_timeout`` (the async drivers' errors carry the SQLSTATE too)."""
    from mig_postgres.lock import lock_key

    async_project(tmp_path, async_url, [{"rev": "a1", **create("t")}])
    key = lock_key("mig_version", "public")
    holder = db.connect()
    try:
        holder.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
        holder.commit()
        pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        polled = run_mig(tmp_path, "upgrade", "head", "--lock-timeout", "0.3")
        assert polled.returncode == 5, polled.stderr
        assert f"is held by backend pid {pid}; gave up after --lock-timeout 0.3 s" in polled.stderr
        assert "Traceback" not in polled.stderr

        database = sa.engine.make_url(postgres_url).database  # the server's own lock_timeout
        with db.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{database}" SET lock_timeout = 300'))
            conn.commit()
        try:
            server = run_mig(tmp_path, "upgrade", "head")
        finally:
            with db.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{database}" RESET lock_timeout'))
                conn.commit()
        assert server.returncode == 5, server.stderr
        assert "the server ended the wait" in server.stderr
        assert "Traceback" not in server.stderr
    finally:
        holder.close()
    mig(tmp_path, "upgrade", "head")
    assert heads(db) == ["a1"]


# --- failures -------------------------------------------------------------------------------------


FAILING = {
    "upgrade": "op.create_table('half', sa.Column('id', sa.Integer))\n"
               "op.execute('SELECT * FROM no_such_table')",
}


@each_async_driver
@pytest.mark.parametrize("per_migration", [False, True], ids=["one-transaction", "per-migration"])
def test_a_failing_revision_rolls_back_and_names_its_line(tmp_path, async_url, db,
                                                          per_migration) -> None:
    env_py = PER_MIGRATION if per_migration else None
    async_project(tmp_path, async_url, [{"rev": "a1", **create("first")},
                                        {"rev": "b1", "down": "a1", **FAILING},
                                        {"rev": "c1", "down": "b1", **create("never")}], env_py)
    if not per_migration:
        mig(tmp_path, "upgrade", "a1")
    failed = run_mig(tmp_path, "upgrade", "head")
    assert failed.returncode == 1
    line = failed.stderr.strip().splitlines()[-1]
    assert line.startswith("mig: error: revision b1 (")
    assert re.search(r"versions/b1_b1\.py line 18\) upgrade failed: ProgrammingError: ", line), line
    assert 'relation "no_such_table" does not exist' in line
    assert line.endswith("rolled back, the database is still at a1"), line
    assert "Traceback" not in failed.stderr
    assert heads(db) == ["a1"]
    assert table_names(db) == {"mig_version", "mig_history", "first"}
    with db.connect() as conn:
        last = conn.execute(sa.text(
            "SELECT revisions, success, error FROM mig_history ORDER BY id DESC LIMIT 1")).one()
    assert last[:2] == ("b1", False) and "no_such_table" in last.error

    traced = run_mig(tmp_path, "--traceback", "upgrade", "head")
    assert traced.returncode == 1
    assert "Traceback (most recent call last)" in traced.stderr
    assert heads(db) == ["a1"]


def test_a_revision_raising_in_python(tmp_path, async_url, db) -> None:
    async_project(tmp_path, async_url, [
        {"rev": "a1", "upgrade": "op.create_table('t', sa.Column('id', sa.Integer))\n"
                                 "raise RuntimeError('not today')"}])
    failed = run_mig(tmp_path, "upgrade", "head")
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1] == (
        "mig: error: revision a1 (versions/a1_a1.py line 18) upgrade failed: "
        "RuntimeError: not today; rolled back, the database is still at base")
    assert table_names(db) == {"mig_history"}  # the version table's creation rolled back too


# --- what a revision does -------------------------------------------------------------------------


@each_async_driver
def test_create_index_concurrently_in_an_autocommit_block(tmp_path, async_url, db) -> None:
    async_project(tmp_path, async_url, [
        {"rev": "a1", "upgrade": "op.create_table('t', sa.Column('id', sa.Integer), "
                                 "sa.Column('x', sa.Integer))\n"
                                 "op.execute('INSERT INTO t SELECT g, g FROM generate_series(1, 50) g')"},
        {"rev": "b1", "down": "a1",
         "upgrade": "with op.get_context().autocommit_block():\n"
                    "    op.create_index('ix_t_x', 't', ['x'], postgresql_concurrently=True)\n"
                    "op.add_column('t', sa.Column('y', sa.Integer))",
         "downgrade": "op.drop_column('t', 'y')\n"
                      "with op.get_context().autocommit_block():\n"
                      "    op.drop_index('ix_t_x', 't', postgresql_concurrently=True)"},
    ])
    mig(tmp_path, "upgrade", "head")
    assert heads(db) == ["b1"]
    with db.connect() as conn:
        index = conn.execute(sa.text(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = 'ix_t_x'")).scalar()
        assert index is True
        assert {c["name"] for c in sa.inspect(conn).get_columns("t")} == {"id", "x", "y"}
    mig(tmp_path, "downgrade", "a1")
    with db.connect() as conn:
        assert sa.inspect(conn).get_indexes("t") == []
    assert heads(db) == ["a1"]


@each_async_driver
def test_a_failure_after_an_autocommit_block(tmp_path, async_url, db) -> None:
    """What ran up to the end of the block stays committed, the rest rolls back, the message
    names what took effect, and --resume runs the rest."""
    async_project(tmp_path, async_url, [
        {"rev": "a1", "upgrade": "op.create_table('t', sa.Column('x', sa.Integer))"},
        {"rev": "b1", "down": "a1",
         "upgrade": "op.add_column('t', sa.Column('y', sa.Integer))\n"
                    "with op.get_context().autocommit_block():\n"
                    "    op.create_index('ix_t_x', 't', ['x'], postgresql_concurrently=True)\n"
                    "op.add_column('t', sa.Column('z', sa.Integer))\n"
                    "op.execute('SELECT * FROM no_such_table')"},
    ])
    mig(tmp_path, "upgrade", "a1")
    failed = run_mig(tmp_path, "upgrade", "head")
    assert failed.returncode == 1
    assert failed.stderr.rstrip().endswith(
        "; 2 statements of it took effect, committed by its autocommit_block(): ALTER TABLE t "
        "ADD COLUMN y INTEGER; CREATE INDEX CONCURRENTLY ix_t_x ON t (x); the rest of it is "
        "rolled back and the version table still names a1. Once the cause is fixed, `mig upgrade "
        "b1 --resume` runs the rest of it (or repair the schema by hand and record where it is "
        "with `mig stamp`)"), failed.stderr
    with db.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("t")}
        indexes = [i["name"] for i in sa.inspect(conn).get_indexes("t")]
    assert columns == {"x", "y"} and indexes == ["ix_t_x"]
    assert heads(db) == ["a1"]
    again = run_mig(tmp_path, "upgrade", "head")  # as with psycopg2: the revision runs again
    assert again.returncode == 1
    assert 'upgrade failed: ProgrammingError: column "y" of relation "t" already exists; none ' \
        "of its statements took effect in this run, 2 statements of it in the run of history " \
        "row " in again.stderr
    with db.begin() as conn:
        conn.execute(sa.text("CREATE TABLE no_such_table (x INTEGER)"))
    mig(tmp_path, "upgrade", "head", "--resume")
    with db.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("t")}
    assert columns == {"x", "y", "z"}
    assert heads(db) == ["b1"]


@each_async_driver
@pytest.mark.parametrize("table, ddl", [
    ("t", "op.execute('ALTER TABLE t ADD COLUMN y integer')"),
    ("t", "op.execute(sa.text('ALTER TABLE t ALTER COLUMN x TYPE bigint'))"),
    ("t", "op.execute(\"DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD COLUMN y integer'; END $$\")"),
    ("v", "op.execute('CREATE OR REPLACE VIEW v AS SELECT x, 2 AS y FROM t')"),
    ("v", "op.execute(sa.DDL('CREATE OR REPLACE VIEW v AS SELECT x, 2 AS y FROM t'))"),
], ids=["string", "text", "do-block", "replace-view", "ddl-element"])
def test_sql_text_ddl_does_not_leave_stale_prepared_statements(tmp_path, async_url, db,
                                                               table, ddl) -> None:
    """asyncpg runs every statement as a prepared statement, which SQLAlchemy caches per
    connection and drops after DDL it compiled itself; psycopg 3 prepares a statement on its
    6th run and drops it after ``ALTER`` / ``DROP`` only. DDL given as SQL text changes the
    table or view behind a prepared ``SELECT *`` too, and running that again in the same run
    must not fail ("cached statement plan is invalid due to a database schema change", "cached
    plan must not change result type")."""
    select = ("for _ in range(6):\n"
              f"    rows = op.get_bind().execute(sa.text('SELECT * FROM {table} WHERE x > :v'), "
              "{'v': 0}).all()")
    async_project(tmp_path, async_url, [
        {"rev": "a1", "upgrade": "op.create_table('t', sa.Column('x', sa.Integer))\n"
                                 "op.execute('INSERT INTO t VALUES (1)')\n"
                                 + ("op.execute('CREATE VIEW v AS SELECT x FROM t')\n"
                                    if table == "v" else "") + select},
        {"rev": "b1", "down": "a1", "upgrade": ddl},
        {"rev": "c1", "down": "b1", "upgrade": select + "\nassert len(rows) == 1, rows"},
    ])
    mig(tmp_path, "upgrade", "head")
    assert heads(db) == ["c1"]


def test_transaction_per_migration(tmp_path, async_url, db) -> None:
    """Each revision commits on its own: a later failure keeps the earlier ones."""
    async_project(tmp_path, async_url, [
        {"rev": "a1", **create("one")}, {"rev": "b1", "down": "a1", **create("two")},
        {"rev": "c1", "down": "b1", **FAILING},
    ], env_py=PER_MIGRATION)
    failed = run_mig(tmp_path, "upgrade", "head")
    assert failed.returncode == 1
    assert failed.stderr.rstrip().endswith("rolled back, the database is still at b1")
    assert heads(db) == ["b1"]
    assert {"one", "two"} <= table_names(db) and "half" not in table_names(db)


RUN_ASYNC = '''
async def count_and_insert(conn, table):
    await conn.execute(sa.text(f"INSERT INTO {table} VALUES (2)"))
    return (await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar()

op.create_table('t', sa.Column('id', sa.Integer))
op.execute('INSERT INTO t VALUES (1)')
bind = op.get_bind()
assert bind.execute(sa.text('SELECT count(*) FROM t')).scalar() == 1
counted = op.run_async(count_and_insert, 't')
op.execute(f"INSERT INTO t VALUES ({counted * 10})")
assert op.get_bind().execute(sa.text('SELECT max(id) FROM t')).scalar() == 20
'''


@each_async_driver
def test_run_async_and_get_bind_inside_a_revision(tmp_path, async_url, db) -> None:
    async_project(tmp_path, async_url, [{"rev": "a1", "upgrade": RUN_ASYNC,
                                        "downgrade": "op.drop_table('t')"}])
    mig(tmp_path, "upgrade", "head")
    with db.connect() as conn:
        assert sorted(conn.exec_driver_sql("SELECT id FROM t").scalars()) == [1, 2, 20]


@each_async_driver
def test_run_async_rolls_back_with_the_run(tmp_path, async_url, db) -> None:
    """What ``op.run_async`` wrote is in the run's transaction: a later failure undoes it."""
    async_project(tmp_path, async_url, [
        {"rev": "a1", "upgrade": RUN_ASYNC},
        {"rev": "b1", "down": "a1", "upgrade": "raise RuntimeError('stop')"}])
    failed = run_mig(tmp_path, "upgrade", "head")
    assert failed.returncode == 1
    assert "t" not in table_names(db)


# --- offline --------------------------------------------------------------------------------------


@each_async_driver
def test_sql_script_needs_neither_the_server_nor_the_driver(tmp_path, async_url) -> None:
    """``--sql`` with the async template: no connection is made (the URL's server does not
    exist) and the driver is never imported (here it cannot be)."""
    nowhere = sa.engine.make_url(async_url).set(host="127.0.0.1", port=9).render_as_string(
        hide_password=False)
    async_project(tmp_path, nowhere, [
        {"rev": "a1", **create("one")},
        {"rev": "b1", "down": "a1",
         "upgrade": "with op.get_context().autocommit_block():\n"
                    "    op.create_index('ix_one_id', 'one', ['id'], postgresql_concurrently=True)"},
    ])
    module = DRIVER_MODULES[sa.engine.make_url(async_url).get_driver_name()]
    blocker = tmp_path / "no_driver"
    blocker.mkdir()
    (blocker / f"{module}.py").write_text(f"raise ImportError('{module} is not installed')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")])}
    result = run_mig(tmp_path, "upgrade", "head", "--sql", env=env)
    assert result.returncode == 0, result.stderr
    sql = result.stdout
    assert sql.startswith("BEGIN;\n\nCREATE TABLE mig_version")
    assert "CREATE TABLE one (\n    id SERIAL NOT NULL, \n    PRIMARY KEY (id)\n);" in sql
    assert "COMMIT;\n\nCREATE INDEX CONCURRENTLY ix_one_id ON one (id);\n\nBEGIN;" in sql
    assert "UPDATE mig_version SET version_num='b1' WHERE version_num = 'a1';" in sql
    assert sql.rstrip().endswith("COMMIT;")
    assert "pg_advisory" not in sql
    down = run_mig(tmp_path, "downgrade", "b1:base", "--sql", env=env)
    assert down.returncode == 0, down.stderr
    assert "DROP TABLE one;" in down.stdout


# --- in process -----------------------------------------------------------------------------------


@each_async_driver
def test_an_async_engine_given_in_attributes_serves_several_commands(tmp_path, async_url,
                                                                     db) -> None:
    """pytest-alembic's way: one async engine (pooled, as ``create_async_engine`` makes it) in
    ``config.attributes["connection"]`` for command after command. Each command runs in its own
    event loop (env.py's ``asyncio.run``); asyncpg's connections belong to the loop that opened
    them, so none may be left in the pool for the next command, nor for the owner's own loop."""
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    from mig_core import command

    ini = async_project(tmp_path, async_url, [{"rev": "a1", **create("one")},
                                              {"rev": "b1", "down": "a1", **create("two")}])
    engine = create_async_engine(async_url)
    cfg = config(ini)
    cfg.attributes["connection"] = engine
    command.upgrade(cfg, "a1")
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    command.upgrade(cfg, "head")
    assert heads(db) == ["b1"]

    async def owner_reads() -> list[str]:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT version_num FROM mig_version"))
            found = [r[0] for r in rows]
        await engine.dispose()
        return found

    assert asyncio.run(owner_reads()) == ["b1"]


@each_async_driver
def test_from_async_code_through_run_sync(tmp_path, async_url, db) -> None:
    """Alembic's recipe for async code: the command runs inside ``connection.run_sync()`` with
    the (sync facade of the) connection in ``config.attributes["connection"]``; the caller's
    transaction holds the run, and ``op.run_async`` reaches the same connection."""
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    from mig_core import command

    ini = async_project(tmp_path, async_url, [
        {"rev": "a1", "upgrade": RUN_ASYNC}, {"rev": "b1", "down": "a1", **create("two")}])

    def upgrade(connection: sa.engine.Connection, revision: str) -> None:
        cfg = config(ini)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async def main(fail: bool) -> None:
        engine = create_async_engine(async_url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(upgrade, "head")
                if fail:
                    raise RuntimeError("the caller rolls back")
        finally:
            await engine.dispose()

    with pytest.raises(RuntimeError, match="the caller rolls back"):
        asyncio.run(main(fail=True))
    assert table_names(db) == set()
    asyncio.run(main(fail=False))
    assert heads(db) == ["b1"] and {"t", "two"} <= table_names(db)


@each_async_driver
def test_a_command_called_from_async_code(tmp_path, async_url, db) -> None:
    """``command.upgrade()`` called straight from a coroutine (a FastAPI startup hook, an async
    test): the caller's event loop is busy with the call, so env.py runs the migrations in an
    event loop of their own instead of failing in ``asyncio.run()``."""
    import asyncio

    from mig_core import command

    ini = async_project(tmp_path, async_url, [{"rev": "a1", "upgrade": RUN_ASYNC},
                                              {"rev": "b1", "down": "a1", **create("two")}])

    async def startup() -> None:
        command.upgrade(config(ini), "head")
        command.downgrade(config(ini), "a1")

    asyncio.run(startup())
    assert heads(db) == ["a1"] and "two" not in table_names(db)

    from sqlalchemy.ext.asyncio import create_async_engine

    from mig_core.errors import CommandError

    engine = create_async_engine(async_url)  # made, and maybe used, in the caller's loop
    given = config(ini)
    given.attributes["connection"] = engine

    async def with_an_engine() -> None:
        try:
            command.upgrade(given, "head")
        finally:
            await engine.dispose()

    with pytest.raises(CommandError, match=r"env\.py failed .*: RuntimeError: an async engine in "
                       r"config\.attributes\['connection'\] cannot be used from inside a running "
                       r"event loop .* run the command in `await connection\.run_sync"):
        asyncio.run(with_an_engine())
    assert heads(db) == ["a1"]
