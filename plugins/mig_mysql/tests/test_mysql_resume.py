"""``--resume`` on the real MariaDB, where each DDL statement commits by itself: a revision
that failed (or whose run was killed) after some of its statements took effect runs again
without sending those, once its recorded count and digest match what it produces.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from mysql_support import constraints, execute, mig_command, rows, scalar
from runtime_support import config_for, create_table, make_project, shared_fixtures

from mig_core import command
from mig_core.errors import MigrationFailed
from mig_core.runtime.history import INTERRUPTED

mysql_url = shared_fixtures().mysql_url

THREE_COLUMNS = (
    "op.add_column('t', sa.Column('a', sa.Integer))\n"
    "op.add_column('t', sa.Column('b', sa.Integer))\n"
    "op.add_column('t', sa.Column('c', sa.Integer))\n"
)


def _run(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(mig_command(ini, *args), capture_output=True, text=True, timeout=60)


def _log(ini: Path) -> list[dict[str, object]]:
    result = _run(ini, "log", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _columns(engine: sa.Engine, table: str) -> list[str]:
    return [c["name"] for c in sa.inspect(engine).get_columns(table)]


def _project(tmp_path: Path, url: str, upgrade: str, downgrade: str = "pass") -> Path:
    return make_project(tmp_path, url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": upgrade, "downgrade": downgrade},
        {"rev": "r3", "down": "r2", **create_table("t3")},
    ])


def _fail_r2_at_its_third_statement(ini: Path, engine: sa.Engine) -> str:
    """r1 applied, then a column ``c`` made by hand: r2's third statement fails."""
    assert _run(ini, "upgrade", "r1").returncode == 0
    execute(engine, "ALTER TABLE t ADD COLUMN c INTEGER")
    result = _run(ini, "upgrade", "head")
    assert result.returncode == 1
    return result.stderr.strip()


def test_failed_third_statement_resumes_after_the_cause_is_fixed(tmp_path, engine, mysql_url):
    ini = _project(tmp_path, mysql_url, THREE_COLUMNS)
    message = _fail_r2_at_its_third_statement(ini, engine)
    assert "\n" not in message
    assert "Duplicate column name 'c'" in message
    assert message.endswith(
        "; before the failing statement it ran 2 statements: ALTER TABLE t ADD COLUMN a INTEGER; "
        "ALTER TABLE t ADD COLUMN b INTEGER; 2 statements of it took effect (no transactional DDL "
        "on mysql) and the version table still names r1. Once the cause is fixed, `mig upgrade "
        "r2 --resume` runs the rest of it (or repair the schema by hand and record where it is "
        "with `mig stamp`)")
    failed = _log(ini)[-1]
    assert (failed["revisions"], failed["success"], failed["statements"]) == ("r2", False, 2)
    assert len(str(failed["statements_sha256"])) == 64
    assert failed["resumed_from"] is None

    # without --resume the revision starts again, and its first statement fails; what the
    # first run left still holds (this one made none of its statements take effect)
    again = _run(ini, "upgrade", "head")
    assert again.returncode == 1
    assert "Duplicate column name 'a'" in again.stderr
    assert ("; none of its statements took effect in this run, 2 statements of it in the run of "
            f"history row {failed['id']} (no transactional DDL on mysql) and the version table "
            "still names r1. Once the cause is fixed, `mig upgrade r2 --resume` runs the rest"
            ) in again.stderr
    carried = _log(ini)[-1]
    assert (carried["statements"], carried["statements_sha256"]) == (2, failed["statements_sha256"])

    execute(engine, "ALTER TABLE t DROP COLUMN c")  # the cause
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert _columns(engine, "t") == ["id", "a", "b", "c"]
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r3"
    log = _log(ini)
    resumed = log[-2]
    assert (resumed["revisions"], resumed["direction"], resumed["success"]) == ("r2", "upgrade",
                                                                                True)
    assert resumed["resumed_from"] == carried["id"]
    assert resumed["statements"] == 3
    assert log[-1]["revisions"] == "r3" and log[-1]["resumed_from"] is None
    # the revision that completed is the one the history verifies against
    verify = _run(ini, "log", "--verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    text = _run(ini, "log")
    assert f"ok (resumed from row {carried['id']})" in text.stdout
    assert "FAILED: " in text.stdout and "(2 statements took effect)" in text.stdout


def test_an_edited_revision_refuses_to_resume_and_sends_nothing(tmp_path, engine, mysql_url):
    ini = _project(tmp_path, mysql_url, THREE_COLUMNS)
    _fail_r2_at_its_third_statement(ini, engine)
    execute(engine, "ALTER TABLE t DROP COLUMN c")
    path = tmp_path / "migrations" / "versions" / "r2_r2.py"
    source = path.read_text()
    path.write_text(source.replace("sa.Column('b', sa.Integer)", "sa.Column('b', sa.BigInteger)"))

    sent: list[str] = []
    with sa.create_engine(mysql_url, poolclass=sa.pool.NullPool).connect() as conn:
        sa.event.listen(conn, "before_cursor_execute",
                        lambda c, cursor, statement, *a: sent.append(statement))
        with pytest.raises(MigrationFailed) as info:
            command.upgrade(config_for(ini, connection=conn), "head", resume=True)
    message = str(info.value)
    assert message.startswith(
        "revision r2 (versions/r2_r2.py) upgrade cannot be resumed: its first 2 statements "
        "differ from the ones the run of history row ")
    assert message.endswith(
        " applied (the revision was edited, or its code takes another path now); nothing was "
        "sent. Restore the revision as it ran and resume again, or repair the schema by hand and "
        "record where it is with `mig stamp`")
    assert info.value.exit_code == 1
    schema_changes = [s for s in sent if s.split()[0].upper() in ("ALTER", "CREATE", "DROP")
                      and "mig_history" not in s]
    assert schema_changes == []
    assert _columns(engine, "t") == ["id", "a", "b"]
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r1"
    # its row keeps what took effect, so the revision put back resumes
    refused = _log(ini)[-1]
    assert (refused["success"], refused["statements"]) == (False, 2)
    path.write_text(source)
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert _columns(engine, "t") == ["id", "a", "b", "c"]


def test_data_statements_take_effect_with_the_next_ddl_or_not_at_all(tmp_path, engine, mysql_url):
    """An INSERT before a DDL statement took effect with it (mig commits it first, as the
    server would); one after the last DDL statement was rolled back with the failure: the
    count says so, and the resumed run inserts each row once."""
    ini = _project(tmp_path, mysql_url, (
        "op.execute('INSERT INTO t (id) VALUES (1)')\n"
        "op.add_column('t', sa.Column('a', sa.Integer))\n"
        "op.bulk_insert(sa.table('t', sa.column('id'), sa.column('a')), [{'id': 2, 'a': 2}])\n"
        "op.add_column('t', sa.Column('c', sa.Integer))\n"
        "op.execute('INSERT INTO t (id, a, c) VALUES (3, 3, 3)')\n"
        "op.execute('INSERT INTO no_such_table VALUES (1)')\n"
    ))
    assert _run(ini, "upgrade", "r1").returncode == 0
    execute(engine, "ALTER TABLE t ADD COLUMN c INTEGER")
    assert _run(ini, "upgrade", "head").returncode == 1  # Duplicate column name 'c'
    assert _log(ini)[-1]["statements"] == 3
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,), (2,)]
    execute(engine, "ALTER TABLE t DROP COLUMN c")
    failed = _run(ini, "upgrade", "head", "--resume")  # now no_such_table
    assert failed.returncode == 1
    assert "`mig upgrade r2 --resume`" in failed.stderr
    assert _log(ini)[-1]["statements"] == 4  # the INSERT of id 3 was rolled back
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,), (2,)]
    execute(engine, "CREATE TABLE no_such_table (x INTEGER)")
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,), (2,), (3,)]
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r3"


KILLS_ITSELF_AFTER_TWO = (
    "op.add_column('t', sa.Column('a', sa.Integer))\n"
    "op.add_column('t', sa.Column('b', sa.Integer))\n"
    "import os, signal\n"
    "if os.environ.get('KILL_R2'):\n"
    "    os.kill(os.getpid(), signal.SIGKILL)  # between two statements\n"
    "op.add_column('t', sa.Column('c', sa.Integer))\n"
)


def test_a_killed_run_resumes_from_the_statement_it_stopped_at(tmp_path, engine, mysql_url):
    ini = _project(tmp_path, mysql_url, KILLS_ITSELF_AFTER_TWO)
    import os

    killed = subprocess.run(mig_command(ini, "upgrade", "head"), capture_output=True, text=True,
                            timeout=60, env={**os.environ, "KILL_R2": "1"})
    assert killed.returncode == -signal.SIGKILL
    assert _columns(engine, "t") == ["id", "a", "b"]
    started = _log(ini)[-1]
    assert (started["revisions"], started["error"], started["statements"]) == (
        "r2", INTERRUPTED, 2)

    stopped = _run(ini, "upgrade", "head")
    assert stopped.returncode == 1
    assert "revision r2 (versions/r2_r2.py) upgrade was interrupted: " in stopped.stderr
    assert ("never finished; 2 statements of it took effect, as recorded after each one (the one "
            "running when it stopped may have too), and the version table still names r1. Run "
            "`mig upgrade r2 --resume` to run the rest of it (with --skip-interrupted, if the "
            "one running when it stopped took effect, to skip that one too); or check the "
            "schema against the revision, repair it if needed, then record where the database is with `mig stamp "
            "r1` (none of its DDL took effect) or `mig stamp r2` (all of it did)") in stopped.stderr

    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert _columns(engine, "t") == ["id", "a", "b", "c"]
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r3"
    log = _log(ini)
    assert [(r["revisions"], r["success"], r["resumed_from"]) for r in log] == [
        ("r1", True, None), ("r2", False, None), ("r2", True, started["id"]), ("r3", True, None)]


def test_a_failed_downgrade_resumes_too(tmp_path, engine, mysql_url):
    ini = _project(tmp_path, mysql_url, THREE_COLUMNS, downgrade=(
        "op.drop_column('t', 'c')\nop.drop_column('t', 'b')\nop.drop_column('t', 'a')\n"))
    assert _run(ini, "upgrade", "r2").returncode == 0
    execute(engine, "ALTER TABLE t DROP COLUMN a")  # the third statement fails
    failed = _run(ini, "downgrade", "r1")
    assert failed.returncode == 1, failed.stderr
    assert "`mig downgrade r1 --resume`" in failed.stderr
    assert _log(ini)[-1]["statements"] == 2
    execute(engine, "ALTER TABLE t ADD COLUMN a INTEGER")
    done = _run(ini, "downgrade", "r1", "--resume")
    assert done.returncode == 0, done.stderr
    assert _columns(engine, "t") == ["id"]
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r1"


def test_resume_with_nothing_to_resume_is_a_note(tmp_path, engine, mysql_url):
    ini = _project(tmp_path, mysql_url, THREE_COLUMNS)
    result = _run(ini, "upgrade", "r2", "--resume")
    assert result.returncode == 0, result.stderr
    assert ("mig: warning: --resume: nothing to resume (the last run did not stop inside a "
            "revision); the command runs as without --resume") in result.stderr
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r2"
    offline = _run(ini, "upgrade", "r2:head", "--sql", "--resume")
    assert offline.returncode == 2
    assert "--resume" in offline.stderr and "--sql" in offline.stderr


def test_a_repair_after_a_failed_revision_keeps_it_resumable(tmp_path, engine, mysql_url):
    """``mig repair`` of another revision while the last run failed inside r2: its repair row
    runs no revision, so ``--resume`` still resumes r2 (it said "nothing to resume" and ran r2
    from its start, failing on its first column)."""
    ini = _project(tmp_path, mysql_url, THREE_COLUMNS)
    _fail_r2_at_its_third_statement(ini, engine)
    failed = _log(ini)[-1]
    r1 = tmp_path / "migrations" / "versions" / "r1_r1.py"
    r1.write_text(r1.read_text() + "# reviewed\n")
    assert _run(ini, "log", "--verify").returncode == 1
    repaired = _run(ini, "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert _log(ini)[-1]["direction"] == "repair"
    execute(engine, "ALTER TABLE t DROP COLUMN c")
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert "nothing to resume" not in done.stderr
    assert _columns(engine, "t") == ["id", "a", "b", "c"]
    resumed = [r for r in _log(ini) if r["revisions"] == "r2" and r["success"]]
    assert [r["resumed_from"] for r in resumed] == [failed["id"]]
    verify = _run(ini, "log", "--verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    text = _run(ini, "log").stdout.splitlines()
    assert text[2].endswith("(2 statements took effect)")
    assert text[3].split()[3:6] == ["repair", "r1", "r1"]
    assert text[3].endswith(f"  ok (accepted checksum {_log(ini)[2]['checksum'][:12]})")
    assert text[4].endswith(f"  ok (resumed from row {failed['id']})")


def test_repair_while_a_revision_is_interrupted_names_resume(tmp_path, engine, mysql_url):
    """``mig repair`` refuses while a killed run's started row is the last one; its message
    names ``--resume``, and once the resumed run completed repair and verify see the revision
    as it ran."""
    import os

    ini = _project(tmp_path, mysql_url, KILLS_ITSELF_AFTER_TWO)
    killed = subprocess.run(mig_command(ini, "upgrade", "head"), capture_output=True, text=True,
                            timeout=60, env={**os.environ, "KILL_R2": "1"})
    assert killed.returncode == -signal.SIGKILL
    r1 = tmp_path / "migrations" / "versions" / "r1_r1.py"
    r1.write_text(r1.read_text() + "# reviewed\n")
    refused = _run(ini, "repair")
    assert refused.returncode == 1
    assert "revision r2 (versions/r2_r2.py) upgrade was interrupted" in refused.stderr
    assert "Run `mig upgrade r2 --resume` to run the rest of it" in refused.stderr
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    verify = _run(ini, "log", "--verify")
    assert verify.returncode == 1  # r1's edit, now repairable
    assert _run(ini, "repair").returncode == 0
    verify = _run(ini, "log", "--verify", "--json")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert {(f["revision"], f["status"]) for f in json.loads(verify.stdout)} == {
        ("r1", "ok"), ("r2", "ok"), ("r3", "ok")}


COLON_AND_PERCENT = (
    "op.add_column('t', sa.Column('a', sa.String(20), server_default='at :now 5%'))\n"
    "op.execute(\"ALTER TABLE t ADD COLUMN b VARCHAR(20) DEFAULT '10\\\\:30 %'\")\n"
    "op.execute('ALTER TABLE no_such_table ADD COLUMN x INTEGER')\n"
)


def test_a_revision_fixed_in_its_file_resumes_and_verifies_against_that_file(
    tmp_path, engine, mysql_url
):
    """r2's first two statements hold ':now' / '\\:30' and '%' (a server default compiled by
    SQLAlchemy, a user's string run as text()); its third fails. The file is fixed (the third
    statement only) and resumed: the skipped statements' digest is the same text in both runs,
    the defaults are what the file says, and the resumed row's checksum, the file that
    completed the revision, is what ``log --verify`` compares with (the failed run's file is
    another)."""
    ini = _project(tmp_path, mysql_url, COLON_AND_PERCENT)
    assert _run(ini, "upgrade", "r1").returncode == 0
    failed_run = _run(ini, "upgrade", "head")
    assert failed_run.returncode == 1
    assert "2 statements of it took effect" in failed_run.stderr
    failed = _log(ini)[-1]
    path = tmp_path / "migrations" / "versions" / "r2_r2.py"
    first = path.read_text()
    path.write_text(first.replace("ALTER TABLE no_such_table ADD COLUMN x INTEGER",
                                  "ALTER TABLE t ADD COLUMN c INTEGER"))
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert rows(engine, "SELECT column_name, column_default FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name = 't' ORDER BY ordinal_position"
                ) == [("id", None), ("a", "'at :now 5%'"), ("b", "'10:30 %'"), ("c", "NULL")]
    resumed = _log(ini)[-2]
    assert (resumed["revisions"], resumed["resumed_from"], resumed["statements"]) == (
        "r2", failed["id"], 3)
    assert resumed["checksum"] != failed["checksum"]
    verify = _run(ini, "log", "--verify", "--json")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    r2 = next(f for f in json.loads(verify.stdout) if f["revision"] == "r2")
    assert (r2["status"], r2["recorded_checksum"], r2["history_id"]) == (
        "ok", resumed["checksum"], resumed["id"])
    path.write_text(first)  # the file as the failed run had it is an edit now
    assert _run(ini, "log", "--verify").returncode == 1


def _multidb_revision(versions: Path, rev: str, down: str | None, one: str, two: str) -> None:
    versions.joinpath(f"{rev}_{rev}.py").write_text(
        f"import sqlalchemy as sa\nfrom mig_core import op\n\nrevision = {rev!r}\n"
        f"down_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade(engine_name):\n    globals()[f'upgrade_{engine_name}']()\n\n\n"
        "def downgrade(engine_name):\n    pass\n\n\n"
        f"def upgrade_engine1():\n    {one}\n\n\ndef upgrade_engine2():\n"
        + "".join(f"    {line}\n" for line in two.splitlines())
    )


def test_multidb_repair_and_resume(tmp_path, engine, mysql_url):
    """The multidb template with SQLite (engine1) and MariaDB (engine2): r2 fails in MariaDB
    only, after SQLite completed it; a repair of r1 in both, then ``--resume`` resumes r2 in
    MariaDB (SQLite has nothing to resume) and both verify."""
    import sys

    subprocess.run([sys.executable, "-m", "mig_core", "init", "-t", "multidb", "migrations"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=60)
    ini = tmp_path / "mig.ini"
    ini.write_text(ini.read_text().replace("sqlite:///%(here)s/engine2.db", mysql_url))
    versions = tmp_path / "migrations" / "versions"
    create = "op.create_table({!r}, sa.Column('id', sa.Integer, primary_key=True))"
    _multidb_revision(versions, "r1", None, create.format("one"), create.format("t"))
    _multidb_revision(versions, "r2", "r1", create.format("two"), THREE_COLUMNS)
    assert _run(ini, "upgrade", "r1").returncode == 0
    execute(engine, "ALTER TABLE t ADD COLUMN c INTEGER")
    failed = _run(ini, "upgrade", "head")
    assert failed.returncode == 1
    assert "`mig upgrade r2 --resume`" in failed.stderr
    assert f"r2 (versions/r2_r2.py line 25) upgrade in engine2 ({mysql_url}) failed: " in (
        failed.stderr)
    r1 = versions / "r1_r1.py"
    r1.write_text(r1.read_text() + "# reviewed\n")
    repaired = _run(ini, "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert repaired.stdout.count("repaired    r1") == 2
    execute(engine, "ALTER TABLE t DROP COLUMN c")
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert _columns(engine, "t") == ["id", "a", "b", "c"]
    log = _log(ini)
    sqlite_rows = [r for r in log if r["database"].startswith("sqlite")]
    maria_rows = [r for r in log if not r["database"].startswith("sqlite")]
    assert [(r["revisions"], r["direction"], r["success"]) for r in sqlite_rows] == [
        ("r1", "upgrade", True), ("r2", "upgrade", True), ("r1", "repair", True)]
    assert [(r["revisions"], r["direction"], r["success"], r["resumed_from"])
            for r in maria_rows] == [
        ("r1", "upgrade", True, None), ("r2", "upgrade", False, None),
        ("r1", "repair", True, None), ("r2", "upgrade", True, maria_rows[1]["id"])]
    verify = _run(ini, "log", "--verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert (f"--resume in engine1 (sqlite:///{tmp_path}/engine1.db): nothing to resume (the "
            "last run did not stop inside a revision)") in done.stderr
    assert (f"resuming the upgrade of revision r2 (history row {maria_rows[1]['id']}) in engine2 "
            f"({mysql_url}): its first 2 statements took effect before") in done.stderr
    assert verify.stdout.count("2 applied revisions: 2 ok, 0 changed") == 2


def test_resume_with_the_history_table_off_is_a_note(tmp_path, engine, mysql_url):
    """``history_table = false``: nothing is recorded, the failure's message offers no
    ``--resume``, and ``--resume`` says why it has nothing to resume."""
    ini = _project(tmp_path, mysql_url, THREE_COLUMNS)
    ini.write_text(ini.read_text().replace("[mig]\n", "[mig]\nhistory_table = false\n", 1))
    message = _fail_r2_at_its_third_statement(ini, engine)
    assert "--resume" not in message
    assert message.endswith("; before the failing statement it ran 2 statements: ALTER TABLE t "
                            "ADD COLUMN a INTEGER; ALTER TABLE t ADD COLUMN b INTEGER; its DDL "
                            "may be partly applied (no transactional DDL on mysql); the version "
                            "table still names r1")
    assert "mig_history" not in sa.inspect(engine).get_table_names()
    again = _run(ini, "upgrade", "head", "--resume")
    assert again.returncode == 1
    assert ("mig: warning: --resume: nothing to resume (the history table is turned off, so "
            "nothing was recorded); the command runs as without --resume") in again.stderr


def test_statements_built_from_the_catalog_resume(tmp_path, engine, mysql_url):
    """On MariaDB ``alter_column`` restates the column as information_schema has it, and
    ``drop_constraint`` without ``type_`` reads the constraint's kind there. Resumed, the
    skipped statements changed what the catalog says: the MODIFY was compared as the catalog
    reads now (refused: 'its first 5 statements differ'), the drop found no such constraint.
    They are compared by the operation the revision asked for, and not built again."""
    ini = _project(tmp_path, mysql_url, (
        "op.add_column('t', sa.Column('x', sa.Integer))\n"
        "op.alter_column('t', 'x', nullable=False, existing_type=sa.Integer)\n"
        "op.alter_column('t', 'x', server_default='5')\n"
        "op.create_unique_constraint('uq_x', 't', ['x'])\n"
        "op.drop_constraint('uq_x', 't')\n"
        "op.execute('ALTER TABLE no_such_table ADD COLUMN x INTEGER')\n"))
    assert _run(ini, "upgrade", "r1").returncode == 0
    failed = _run(ini, "upgrade", "head")
    assert "5 statements of it took effect" in failed.stderr, failed.stderr
    execute(engine, "CREATE TABLE no_such_table (y INTEGER)")
    sent: list[str] = []
    with sa.create_engine(mysql_url, poolclass=sa.pool.NullPool).connect() as conn:
        sa.event.listen(conn, "before_cursor_execute",
                        lambda c, cursor, statement, *a: sent.append(statement))
        command.upgrade(config_for(ini, connection=conn), "head", resume=True)
    assert not [s for s in sent if "information_schema" in s.lower()]  # nothing read for them
    assert rows(engine, "SELECT is_nullable, column_default FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name = 't' AND column_name = 'x'"
                ) == [("NO", "5")]
    assert "uq_x" not in constraints(engine, "t")
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r3"


def test_drop_constraint_if_exists_without_type_resumes(tmp_path, engine, mysql_url):
    """``drop_constraint(..., if_exists=True)`` without ``type_`` reads the constraint's kind
    in the catalog as well: resumed, the constraints it dropped are gone, so it produced no
    statement and the resume was refused. It counts by its arguments as without ``if_exists``,
    and a constraint that is not there is dropped with ``DROP CONSTRAINT IF EXISTS`` all the
    same, so both runs count it alike."""
    ini = _project(tmp_path, mysql_url, (
        "op.add_column('t', sa.Column('x', sa.Integer))\n"
        "op.create_unique_constraint('uq_x', 't', ['x'])\n"
        "op.create_check_constraint('ck_x', 't', 'x > 0')\n"
        "op.drop_constraint('uq_x', 't', if_exists=True)\n"
        "op.drop_constraint('no_such', 't', if_exists=True)\n"
        "op.drop_constraint('ck_x', 't', if_exists=True)\n"
        "op.execute('ALTER TABLE no_such_table ADD COLUMN x INTEGER')\n"))
    assert _run(ini, "upgrade", "r1").returncode == 0
    failed = _run(ini, "upgrade", "head")
    assert "6 statements of it took effect" in failed.stderr, failed.stderr
    assert "ALTER TABLE t DROP CONSTRAINT IF EXISTS no_such; " in failed.stderr
    execute(engine, "CREATE TABLE no_such_table (y INTEGER)")
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert constraints(engine, "t") == {"PRIMARY": "PRIMARY KEY"}
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r3"
    assert _log(ini)[-2]["statements"] == 7


def test_statements_sent_through_get_bind_run_again_and_the_note_says_so(tmp_path, engine,
                                                                         mysql_url):
    """Only the statements mig sends (``op.*``) are counted and skipped: what the revision's
    code sends itself through ``op.get_bind()`` before the point it resumes from runs again,
    and the resumed run says so, naming them."""
    ini = _project(tmp_path, mysql_url, (
        "op.add_column('t', sa.Column('a', sa.Integer))\n"
        "op.get_bind().execute(sa.text('INSERT INTO audit VALUES (1)'))\n"
        "op.get_bind().execute(sa.text('SELECT COUNT(*) FROM audit'))\n"
        "op.add_column('t', sa.Column('b', sa.Integer))\n"
        "op.add_column('t', sa.Column('c', sa.Integer))\n"))
    execute(engine, "CREATE TABLE audit (n INTEGER)")
    _fail_r2_at_its_third_statement(ini, engine)
    assert scalar(engine, "SELECT COUNT(*) FROM audit") == 1  # committed with b's ALTER
    execute(engine, "ALTER TABLE t DROP COLUMN c")
    path = tmp_path / "migrations" / "versions" / "r2_r2.py"
    source = path.read_text()
    path.write_text(source.replace("sa.Column('b'", "sa.Column('b2'"))
    refused = _run(ini, "upgrade", "head", "--resume")  # edited: refused, after its INSERT
    assert refused.returncode == 1
    assert ("cannot be resumed: its first 2 statements differ from the ones the run of history "
            "row 2 applied (the revision was edited, or its code takes another path now); "
            "nothing was sent by mig (the revision's code sent 1 statement of its own (through "
            "op.get_bind(), not op.*) before the point it resumed from: INSERT INTO audit VALUES "
            "(1)). Restore the revision") in refused.stderr
    assert "warning" not in refused.stderr
    assert scalar(engine, "SELECT COUNT(*) FROM audit") == 1  # rolled back with the refusal
    path.write_text(source)
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert scalar(engine, "SELECT COUNT(*) FROM audit") == 2
    assert ("mig: warning: --resume: revision r2 (versions/r2_r2.py) upgrade sent 1 statement "
            "of its own (through op.get_bind(), not op.*) before the point it resumed from: "
            "INSERT INTO audit VALUES (1); --resume skips only the statements mig sends for it, "
            "so that one ran again") in done.stderr
    assert _columns(engine, "t") == ["id", "a", "b", "c"]


@pytest.mark.parametrize("statement", [
    "ANALYZE TABLE t", "OPTIMIZE TABLE t", "CHECK TABLE t", "FLUSH TABLES",
])
def test_statements_that_commit_implicitly_count(tmp_path, engine, mysql_url, statement):
    """MariaDB commits the waiting INSERT before ANALYZE / OPTIMIZE / CHECK / FLUSH as it
    does before DDL; mig took them for data statements: the failure said "none of its
    statements took effect" with row 1 committed, and --resume inserted it again (duplicate
    key)."""
    ini = _project(tmp_path, mysql_url, (
        "op.execute('INSERT INTO t (id) VALUES (1)')\n"
        f"op.execute({statement!r})\n"
        "op.execute('INSERT INTO t (id) VALUES (2)')\n"
        "op.execute('INSERT INTO no_such_table VALUES (1)')\n"
    ))
    assert _run(ini, "upgrade", "r1").returncode == 0
    failed = _run(ini, "upgrade", "head")
    assert failed.returncode == 1
    assert "; 2 statements of it took effect (no transactional DDL on mysql)" in failed.stderr
    assert _log(ini)[-1]["statements"] == 2
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,)]
    execute(engine, "CREATE TABLE no_such_table (x INTEGER)")
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,), (2,)]


def test_temporary_tables_do_not_commit(tmp_path, engine, mysql_url):
    """``CREATE`` / ``DROP TEMPORARY TABLE`` stay in the transaction: the INSERT before them
    was rolled back with the failure, but DROP TEMPORARY counted it as taken effect."""
    ini = _project(tmp_path, mysql_url, (
        "op.execute('CREATE TEMPORARY TABLE tmp (x INTEGER)')\n"
        "op.execute('INSERT INTO t (id) VALUES (1)')\n"
        "op.execute('DROP TEMPORARY TABLE tmp')\n"
        "op.execute('INSERT INTO no_such_table VALUES (1)')\n"
    ))
    assert _run(ini, "upgrade", "r1").returncode == 0
    failed = _run(ini, "upgrade", "head")
    assert failed.returncode == 1
    assert "none of its statements took effect" in failed.stderr
    assert rows(engine, "SELECT id FROM t") == []
    assert _log(ini)[-1]["statements"] == 0


def test_a_half_applied_downgrade_stops_an_upgrade_past_it(tmp_path, engine, mysql_url):
    """r2's downgrade failed after dropping column c; `mig upgrade head` then ran r3 on top of
    the half-downgraded r2 (and --resume could no longer reach r2). Now the run stops, as after
    an interrupted one, naming the way on; rerunning r2's downgrade itself is still allowed."""
    ini = _project(tmp_path, mysql_url, THREE_COLUMNS, downgrade=(
        "op.drop_column('t', 'c')\nop.drop_column('t', 'b')\nop.drop_column('t', 'a')\n"))
    assert _run(ini, "upgrade", "r2").returncode == 0
    execute(engine, "ALTER TABLE t DROP COLUMN b")
    assert _run(ini, "downgrade", "r1").returncode == 1
    failed_row = _log(ini)[-1]
    stopped = _run(ini, "upgrade", "head")
    assert stopped.returncode == 1
    assert stopped.stderr.strip() == (
        "mig: error: revision r2 (versions/r2_r2.py) downgrade failed part-way in the run of "
        f"history row {failed_row['id']}: 1 statement of it took effect and the version table "
        "still names r2, so upgrade r3 would run on a half-applied revision. Once the cause is "
        "fixed, `mig downgrade r1 --resume` runs the rest of it; or check the schema against the "
        "revision, repair it if needed, then record where the database is with `mig stamp r2` "
        "(none of its DDL took effect) or `mig stamp r1` (all of it did), and run the command "
        "again"
    )
    assert "Traceback" not in stopped.stderr
    assert rows(engine, "SHOW TABLES LIKE 't3'") == []
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r2"
    again = _run(ini, "downgrade", "r1")  # the same revision again, from its start: allowed
    assert again.returncode == 1 and "Can't DROP COLUMN `c`" in again.stderr
    execute(engine, "ALTER TABLE t ADD COLUMN b INTEGER")
    done = _run(ini, "downgrade", "r1", "--resume")
    assert done.returncode == 0, done.stderr
    assert _columns(engine, "t") == ["id"]
    assert _run(ini, "upgrade", "head").returncode == 0


def test_lock_and_unlock_tables_commit_what_waits(tmp_path, engine, mysql_url):
    """MariaDB commits the waiting INSERT before LOCK TABLES, and the ones made under the lock
    with UNLOCK TABLES; mig took both for data statements: the failure said "none of its
    statements took effect" with rows 1 and 2 committed, and --resume inserted them again."""
    ini = _project(tmp_path, mysql_url, (
        "op.execute('INSERT INTO t (id) VALUES (1)')\n"
        "op.execute('LOCK TABLES t WRITE')\n"
        "op.execute('INSERT INTO t (id) VALUES (2)')\n"
        "op.execute('UNLOCK TABLES')\n"
        "op.execute('INSERT INTO t (id) VALUES (3)')\n"
        "op.execute('INSERT INTO no_such_table VALUES (1)')\n"
    ))
    assert _run(ini, "upgrade", "r1").returncode == 0
    failed = _run(ini, "upgrade", "head")
    assert failed.returncode == 1
    assert "; 4 statements of it took effect (no transactional DDL on mysql)" in failed.stderr
    assert _log(ini)[-1]["statements"] == 4
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,), (2,)]
    execute(engine, "CREATE TABLE no_such_table (x INTEGER)")
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,), (2,), (3,)]


def test_a_failure_under_lock_tables_counts_what_lock_tables_committed(tmp_path, engine,
                                                                        mysql_url):
    """Row 1 was committed by LOCK TABLES; row 2, under the lock, is rolled back with the
    failure. The count stops before LOCK TABLES, so --resume takes the lock again."""
    ini = _project(tmp_path, mysql_url, (
        "op.execute('INSERT INTO t (id) VALUES (1)')\n"
        "op.execute('LOCK TABLES t WRITE')\n"
        "op.execute('INSERT INTO t (id) VALUES (2)')\n"
        "op.execute('INSERT INTO t (id) SELECT 1')\n"
        "op.execute('UNLOCK TABLES')\n"
    ))
    assert _run(ini, "upgrade", "r1").returncode == 0
    failed = _run(ini, "upgrade", "head")  # Duplicate entry '1'
    assert failed.returncode == 1
    assert "Duplicate entry '1'" in failed.stderr
    assert "; 1 statement of it took effect (no transactional DDL on mysql)" in failed.stderr
    assert _log(ini)[-1]["statements"] == 1
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,)]
    assert "could not record" not in failed.stderr  # the lock is released first
    path = tmp_path / "migrations" / "versions" / "r2_r2.py"
    source = path.read_text()
    path.write_text(source.replace("SELECT 1'", "SELECT 4'"))
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,), (2,), (4,)]
    assert _log(ini)[-2]["resumed_from"] == _log(ini)[-3]["id"]


@pytest.mark.parametrize("statement", [
    "ANALYZE LOCAL TABLE t", "OPTIMIZE NO_WRITE_TO_BINLOG TABLE t",
    "SET STATEMENT max_statement_time = 60 FOR ALTER TABLE t COMMENT 'x'",
    "CREATE TEMPORARY SEQUENCE s",
])
def test_more_statements_that_commit_implicitly_count(tmp_path, engine, mysql_url, statement):
    """Found missing by checking MariaDB 10.11 against its manual's list: table maintenance
    with LOCAL / NO_WRITE_TO_BINLOG, SET STATEMENT ... FOR <DDL>, a temporary sequence. Each commits the waiting INSERT, which a failure must not call rolled
    back (or --resume would insert it again)."""
    ini = _project(tmp_path, mysql_url, (
        "op.execute('INSERT INTO t (id) VALUES (1)')\n"
        f"op.execute({statement!r})\n"
        "op.execute('INSERT INTO no_such_table VALUES (1)')\n"
    ))
    assert _run(ini, "upgrade", "r1").returncode == 0
    failed = _run(ini, "upgrade", "head")
    assert failed.returncode == 1
    assert "; 2 statements of it took effect (no transactional DDL on mysql)" in failed.stderr
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,)]


def test_create_or_replace_temporary_table_does_not_commit(tmp_path, engine, mysql_url):
    """It stays in the transaction, as CREATE TEMPORARY TABLE does; mig counted it (and the
    INSERT before it) as taken effect, so --resume skipped the table the session had lost."""
    ini = _project(tmp_path, mysql_url, (
        "op.execute('INSERT INTO t (id) VALUES (1)')\n"
        "op.execute('CREATE OR REPLACE TEMPORARY TABLE tmp (x INTEGER)')\n"
        "op.execute('INSERT INTO no_such_table VALUES (1)')\n"
    ))
    assert _run(ini, "upgrade", "r1").returncode == 0
    failed = _run(ini, "upgrade", "head")
    assert failed.returncode == 1
    assert "none of its statements took effect" in failed.stderr
    assert rows(engine, "SELECT id FROM t") == []
