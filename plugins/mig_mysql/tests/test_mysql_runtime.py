"""Runs on the real MariaDB beyond the lock itself: 8 concurrent ``mig upgrade head`` processes,
a revision failing in its second statement (seen through the CLI and ``mig log --json``), runs
killed between a revision's DDL and its version row (the next writing command stops, ``mig
stamp`` records where the database is), and offline scripts (no lock, no BEGIN/COMMIT).

Tests/test_runtime_failures.py covers the failure message, tables, version row and history
rows of a mid-run failure on MariaDB; these do not repeat it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from mysql_support import mig_command, scalar
from runtime_support import config_for, create_table, make_project, shared_fixtures

from mig_core.runtime.history import INTERRUPTED

mysql_url = shared_fixtures().mysql_url


def _run(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(mig_command(ini, *args), capture_output=True, text=True, timeout=60)


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table)}


def _log(ini: Path) -> list[dict[str, object]]:
    result = _run(ini, "log", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


# --- concurrent runs ---------------------------------------------------------------------------


@pytest.mark.slow
def test_eight_concurrent_upgrades_apply_each_revision_once(tmp_path, engine, mysql_url):
    revisions = [{"rev": "r00", "upgrade": "op.execute('CREATE TABLE applied (rev VARCHAR(8))')\n"
                                           "op.execute(\"INSERT INTO applied VALUES ('r00')\")"}]
    for i in range(1, 30):
        revisions.append({
            "rev": f"r{i:02d}",
            "down": f"r{i - 1:02d}",
            "upgrade": f"op.execute('CREATE TABLE t{i:02d} (x INT)')\n"
                       f"op.execute(\"INSERT INTO applied VALUES ('r{i:02d}')\")",
        })
    ini = make_project(tmp_path, mysql_url, revisions)
    procs = [
        subprocess.Popen(mig_command(ini, "upgrade", "head"), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    results = [p.communicate(timeout=90) for p in procs]
    for proc, (_out, err) in zip(procs, results):
        assert proc.returncode == 0, err
    with engine.connect() as conn:
        applied = conn.execute(sa.text("SELECT rev, count(*) FROM applied GROUP BY rev")).all()
        history = conn.execute(sa.text(
            "SELECT revisions, count(*) FROM mig_history WHERE direction = 'upgrade' "
            "GROUP BY revisions")).all()
        failed = conn.execute(sa.text("SELECT count(*) FROM mig_history WHERE NOT success"))
        heads = conn.execute(sa.text("SELECT version_num FROM mig_version")).scalars().all()
        assert failed.scalar() == 0  # no failure, no started row left behind
    assert sorted(tuple(r) for r in applied) == [(f"r{i:02d}", 1) for i in range(30)]
    assert sorted(tuple(r) for r in history) == [(f"r{i:02d}", 1) for i in range(30)]
    assert heads == ["r29"]


# --- a failure in a revision's second statement, through the CLI --------------------------------


def test_failure_in_second_statement_through_cli_and_log_json(tmp_path, engine, mysql_url):
    ini = make_project(tmp_path, mysql_url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": (
            "op.add_column('t', sa.Column('x', sa.Integer))\n"
            "op.execute('INSERT INTO no_such_table VALUES (1)')\n"
        )},
    ])
    result = _run(ini, "upgrade", "head")
    assert result.returncode == 1
    line = result.stderr.strip()
    assert "\n" not in line
    source = (tmp_path / "migrations" / "versions" / "r2_r2.py").read_text().splitlines()
    failing = next(i for i, text in enumerate(source, 1) if "no_such_table" in text)
    assert line.startswith(f"mig: error: revision r2 (versions/r2_r2.py line {failing}) upgrade "
                           "failed: ProgrammingError: (1146, \"Table ")
    # what ran before the failing statement, and stays: the ADD COLUMN
    assert line.endswith("; before the failing statement it ran 1 statement: ALTER TABLE t ADD "
                         "COLUMN x INTEGER; 1 statement of it took effect (no transactional DDL "
                         "on mysql) and the version table still names r1. Once the cause is "
                         "fixed, `mig upgrade r2 --resume` runs the rest of it (or repair the "
                         "schema by hand and record where it is with `mig stamp`)")
    assert "x" in _columns(engine, "t")  # the first statement committed
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r1"
    rows = _log(ini)
    assert [(r["revisions"], r["success"]) for r in rows] == [("r1", True), ("r2", False)]
    assert "no_such_table" in str(rows[-1]["error"])
    assert (rows[-1]["from_heads"], rows[-1]["to_heads"]) == ("r1", "r1")
    assert rows[-1]["database"] and "mig_test_" in str(rows[-1]["database"])


def test_successful_steps_replace_their_started_rows(tmp_path, engine, mysql_url):
    """Each revision first commits a started row; its own row replaces it (same id, one row
    per step), so a finished run leaves no started row behind."""
    ini = make_project(tmp_path, mysql_url, [
        {"rev": "r1", **create_table("t1")},
        {"rev": "r2", "down": "r1", **create_table("t2")},
    ])
    assert _run(ini, "upgrade", "head").returncode == 0
    assert _run(ini, "downgrade", "r1").returncode == 0
    rows = _log(ini)
    assert [(r["id"], r["revisions"], r["direction"], r["success"], r["error"]) for r in rows] == [
        (1, "r1", "upgrade", True, None),
        (2, "r2", "upgrade", True, None),
        (3, "r2", "downgrade", True, None),
    ]


def _started_rows_seen_during_steps(config: object, engine: sa.Engine) -> list[object]:
    """Run ``upgrade head``; what another connection reads of mig_history inside each step."""
    from mig_core import command

    seen: list[object] = []

    def look(ctx, step, heads, run_args):  # inside the step, after its DDL
        with engine.connect() as other:
            if not sa.inspect(other).has_table("mig_history"):  # not committed yet
                seen.append([])
                return
            seen.append(other.execute(
                sa.text("SELECT revisions, error FROM mig_history ORDER BY id")).all())

    config.attributes.setdefault("configure", {})["on_version_apply"] = look  # type: ignore[attr-defined]
    command.upgrade(config, "head")  # type: ignore[arg-type]
    return seen


def test_started_row_is_committed_before_the_ddl_on_mariadb_only(tmp_path, engine, mysql_url):
    """MariaDB: while a revision runs, its started row is already visible to anyone;
    SQLite (transactional DDL): a killed run rolls everything back, so no started row."""
    from runtime_support import config_for

    revisions = [{"rev": "r1", **create_table("t1")}, {"rev": "r2", "down": "r1",
                                                       **create_table("t2")}]
    ini = make_project(tmp_path / "mysql", mysql_url, revisions)
    seen = _started_rows_seen_during_steps(config_for(ini), engine)
    assert [[tuple(r) for r in rows] for rows in seen] == [
        [("r1", INTERRUPTED)],
        [("r1", None), ("r2", INTERRUPTED)],
    ]
    sqlite_url = f"sqlite:///{tmp_path / 'lite.db'}"
    lite = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    ini = make_project(tmp_path / "sqlite", sqlite_url, revisions)
    config = config_for(ini)
    config.attributes["configure"] = {"transaction_per_migration": True}
    seen = _started_rows_seen_during_steps(config, lite)
    assert [[tuple(r) for r in rows] for rows in seen] == [[], [("r1", None)]]
    lite.dispose()


def test_transactional_ddl_forced_on_keeps_the_run_one_transaction(tmp_path, engine, mysql_url):
    """``transactional_ddl=True`` (an Alembic option) on MariaDB makes the run one transaction:
    no started row is committed between steps (that commit ended the run's transaction, and
    the version rows written after it were never committed: exit 0, version table behind)."""
    from runtime_support import config_for

    from mig_core import command

    ini = make_project(tmp_path, mysql_url, [
        {"rev": "r1", **create_table("t1")},
        {"rev": "r2", "down": "r1", **create_table("t2")},
    ])
    config = config_for(ini)
    config.attributes["configure"] = {"transactional_ddl": True}
    command.upgrade(config, "head")
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r2"
    rows = _log(ini)
    assert [(r["revisions"], r["success"], r["error"]) for r in rows] == [
        ("r1", True, None), ("r2", True, None),
    ]
    command.downgrade(config, "base")
    assert scalar(engine, "SELECT COUNT(*) FROM mig_version") == 0


# --- history times ------------------------------------------------------------------------------


def _history_times(engine: sa.Engine) -> tuple[str, list[tuple[object, object]]]:
    with engine.connect() as conn:
        kind = conn.execute(sa.text(
            "SELECT column_type FROM information_schema.columns WHERE table_schema = DATABASE()"
            " AND table_name = 'mig_history' AND column_name = 'started_at'")).scalar_one()
        times = conn.execute(sa.text(
            "SELECT started_at, finished_at FROM mig_history ORDER BY id")).all()
    return kind, [tuple(row) for row in times]


def test_new_history_table_keeps_microseconds(tmp_path, engine, mysql_url):
    """mig creates ``started_at`` / ``finished_at`` as DATETIME(6): a plain DATETIME would round
    every time to the second, and a step's start and end to the same second."""
    from mig_core import command

    ini = make_project(tmp_path, mysql_url, [
        {"rev": "r1", **create_table("t1")},
        {"rev": "r2", "down": "r1", **create_table("t2")},
    ])
    command.upgrade(config_for(ini), "head")
    kind, times = _history_times(engine)
    assert kind == "datetime(6)"
    with engine.connect() as conn:
        finished_kind = conn.execute(sa.text(
            "SELECT column_type FROM information_schema.columns WHERE table_schema = DATABASE()"
            " AND table_name = 'mig_history' AND column_name = 'finished_at'")).scalar_one()
    assert finished_kind == "datetime(6)"
    assert len(times) == 2
    # 4 times of one microsecond each in .000000 has a chance of 1e-24
    assert any(t.microsecond for row in times for t in row)  # type: ignore[attr-defined]
    for started, finished in times:
        assert started <= finished  # type: ignore[operator]


def test_existing_history_table_keeps_its_datetime_columns(tmp_path, engine, mysql_url):
    """A table an older mig made with plain DATETIME is left as it is (no ALTER): its times
    stay whole seconds and the run writes to it as before."""
    from mig_core import command
    from mig_core.runtime.history import make_history_table

    make_history_table("mig_history", None).create(engine)  # DATETIME, as before DATETIME(6)
    ini = make_project(tmp_path, mysql_url, [{"rev": "r1", **create_table("t1")}])
    command.upgrade(config_for(ini), "head")
    kind, times = _history_times(engine)
    assert kind == "datetime"
    assert len(times) == 1
    assert all(t.microsecond == 0 for t in times[0])  # type: ignore[attr-defined]


# --- interrupted runs --------------------------------------------------------------------------

KILLS_ITSELF = (
    "op.add_column('t', sa.Column('x', sa.Integer))\n"
    "import os, signal\n"
    "os.kill(os.getpid(), signal.SIGKILL)  # dies between the DDL and the version row\n"
)


def _interrupted_project(tmp_path: Path, url: str, upgrade: str) -> Path:
    return make_project(tmp_path, url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": upgrade,
         "downgrade": "op.drop_column('t', 'x')"},
        {"rev": "r3", "down": "r2", **create_table("t3")},
    ])


def _assert_stops_on_interrupted_r2(ini: Path, *command: str) -> str:
    result = _run(ini, *command)
    assert result.returncode == 1, result.stderr
    message = result.stderr.strip()
    assert "\n" not in message
    assert message.startswith("mig: error: revision r2 (versions/r2_r2.py) upgrade was "
                              "interrupted: a run started it at ")
    assert ("never finished; 1 statement of it took effect, as recorded after each one (the one "
            "running when it stopped may have too), and the version table still names r1. Run "
            "`mig upgrade r2 --resume` to run the rest of it (with --skip-interrupted, if the "
            "one running when it stopped took effect, to skip that one too); or check the "
            "schema against the revision, repair it if needed, then record where the database is with `mig stamp r1` "
            "(none of its DDL took effect) or `mig stamp r2` (all of it did), and run the command "
            "again") in message
    return message


def test_killed_run_stops_the_next_writing_command_until_stamped(tmp_path, engine, mysql_url):
    ini = _interrupted_project(tmp_path, mysql_url, KILLS_ITSELF)
    killed = _run(ini, "upgrade", "head")
    assert killed.returncode == -signal.SIGKILL
    # the schema is ahead of the version table: r2's column exists, the table names r1
    assert "x" in _columns(engine, "t")
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r1"
    rows = _log(ini)
    assert [(r["revisions"], r["success"], r["error"]) for r in rows] == [
        ("r1", True, None), ("r2", False, INTERRUPTED)]
    assert (rows[-1]["from_heads"], rows[-1]["to_heads"]) == ("r1", "r1")

    # without the check, this would run r2's ADD COLUMN again: "Duplicate column name 'x'"
    _assert_stops_on_interrupted_r2(ini, "upgrade", "head")
    _assert_stops_on_interrupted_r2(ini, "downgrade", "base")  # any run of revisions
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r1"
    assert _run(ini, "current").returncode == 0  # reading commands are not concerned

    # the column is there: r2 ran completely; stamping says so, then the upgrade goes on
    stamped = _run(ini, "stamp", "r2")
    assert stamped.returncode == 0, stamped.stderr
    done = _run(ini, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r3"
    assert [(r["revisions"], r["direction"], r["success"]) for r in _log(ini)] == [
        ("r1", "upgrade", True), ("r2", "upgrade", False), ("r2", "stamp", True),
        ("r3", "upgrade", True)]


def test_stamping_the_current_revision_reruns_the_interrupted_one(tmp_path, engine, mysql_url):
    """None of r2's DDL took effect (the user dropped what there was): ``mig stamp r1`` (where
    the table already is) records that, and the next upgrade runs r2 again."""
    ini = _interrupted_project(tmp_path, mysql_url, KILLS_ITSELF)
    assert _run(ini, "upgrade", "head").returncode == -signal.SIGKILL
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE t DROP COLUMN x"))
    assert _run(ini, "stamp", "r1").returncode == 0
    (tmp_path / "migrations" / "versions" / "r2_r2.py").write_text(
        (tmp_path / "migrations" / "versions" / "r2_r2.py").read_text()
        .replace("os.kill(os.getpid(), signal.SIGKILL)", "pass"))
    done = _run(ini, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    assert "x" in _columns(engine, "t")
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r3"


def test_a_killed_downgrade_names_its_parent_to_stamp(tmp_path, engine, mysql_url):
    ini = _interrupted_project(tmp_path, mysql_url, "op.add_column('t', sa.Column('x', "
                                                    "sa.Integer))")
    assert _run(ini, "upgrade", "head").returncode == 0
    path = tmp_path / "migrations" / "versions" / "r2_r2.py"
    path.write_text(path.read_text().replace(
        "op.drop_column('t', 'x')",
        "op.drop_column('t', 'x')\n    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)"))
    assert _run(ini, "downgrade", "r1").returncode == -signal.SIGKILL
    result = _run(ini, "upgrade", "head")
    assert result.returncode == 1
    assert "revision r2 (versions/r2_r2.py) downgrade was interrupted" in result.stderr
    assert "`mig stamp r2` (none of its DDL took effect) or `mig stamp r1` (all of it did)" in (
        result.stderr)


@pytest.mark.slow
def test_kill_9_from_outside_between_ddl_and_version_row(tmp_path, engine, mysql_url):
    """A real ``kill -9`` of ``mig upgrade head`` while its revision sleeps after a DDL."""
    ini = _interrupted_project(
        tmp_path, mysql_url,
        "op.add_column('t', sa.Column('x', sa.Integer))\nop.execute('SELECT SLEEP(2)')\n",
    )
    proc = subprocess.Popen(mig_command(ini, "upgrade", "head"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not scalar(engine, "SELECT count(*) FROM information_schema.PROCESSLIST "
                                  "WHERE INFO = 'SELECT SLEEP(2)' AND DB = DATABASE()"):
            assert proc.poll() is None, "the run ended before its revision slept"
            assert time.monotonic() < deadline, "the revision never slept"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "x" in _columns(engine, "t")
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r1"
    # the server ends the dead client's session (and its run lock) once the SLEEP returns;
    # the next run waits for that, then stops on the interrupted revision
    _assert_stops_on_interrupted_r2(ini, "upgrade", "head")
    assert _run(ini, "stamp", "r2").returncode == 0
    done = _run(ini, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r3"


# --- offline scripts ---------------------------------------------------------------------------


def test_offline_script_holds_no_lock_and_has_no_transaction(tmp_path, engine, mysql_url):
    ini = make_project(tmp_path, mysql_url, [
        {"rev": "r1", **create_table("t1")},
        {"rev": "r2", "down": "r1", **create_table("t2")},
    ])
    with engine.connect() as holder:  # a run holding the lock does not stop a script
        name = f"mig:{sa.engine.make_url(mysql_url).database}.mig_version"
        assert holder.execute(sa.text("SELECT GET_LOCK(:n, 0)"), {"n": name}).scalar() == 1
        result = _run(ini, "upgrade", "head", "--sql", "--lock-timeout", "0")
    assert result.returncode == 0, result.stderr
    sql = result.stdout
    upper = sql.upper()
    assert "CREATE TABLE mig_version" in sql
    assert "CREATE TABLE t1" in sql and "CREATE TABLE t2" in sql
    assert "-- Running upgrade r1 -> r2" in sql
    for absent in ("GET_LOCK", "RELEASE_LOCK", "BEGIN", "COMMIT", "START TRANSACTION",
                   "MIG_HISTORY"):
        assert absent not in upper, absent
    assert not sa.inspect(engine).has_table("mig_version")  # nothing ran


# --- round trips per revision -----------------------------------------------------------------


def test_two_commits_per_revision(tmp_path, engine, mysql_url, monkeypatch):
    """Per revision: its DDL, the count of its statements that took effect written into its
    started row and committed (a resumable record, see test_mysql_resume.py), then the version
    row, its history row (replacing the started row) and the next revision's started row, all
    carried by ONE commit; only the first revision's started row has a commit of its own."""
    import pymysql
    from runtime_support import config_for

    from mig_core import command

    revisions = [{"rev": "r0", **create_table("t")}]
    for i in range(1, 5):
        revisions.append({"rev": f"r{i}", "down": f"r{i - 1}",
                          "upgrade": f"op.add_column('t', sa.Column('c{i}', sa.Integer))"})
    ini = make_project(tmp_path, mysql_url, revisions)
    command.upgrade(config_for(ini), "r0")  # tables made; now count the 4 revisions
    sent: list[str] = []

    def on_execute(conn, cursor, statement, *args):
        sent.append(" ".join(statement.split()[:3]))

    commit = pymysql.connections.Connection.commit

    def counted_commit(self):  # the driver's: SQLAlchemy's and those mig makes on the driver
        sent.append("COMMIT")
        return commit(self)

    monkeypatch.setattr(pymysql.connections.Connection, "commit", counted_commit)
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", on_execute)
    try:
        command.upgrade(config_for(ini), "head")
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", on_execute)
    first = sent.index("INSERT INTO mig_history")
    run = sent[first:sent.index("SELECT RELEASE_LOCK(%(name)s)")]
    per_revision = ["ALTER TABLE t", "UPDATE mig_history SET", "COMMIT",
                    "UPDATE mig_version SET", "UPDATE mig_history SET"]
    assert run == ["INSERT INTO mig_history", "COMMIT"] \
        + (per_revision + ["INSERT INTO mig_history", "COMMIT"]) * 3 + per_revision + ["COMMIT"], \
        run
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(
            "SELECT revisions, success, error FROM mig_history ORDER BY id"))]
    assert rows[1:] == [(f"r{i}", 1, None) for i in range(1, 5)]
