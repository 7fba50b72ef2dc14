"""PostgreSQL failures after a revision's ``autocommit_block()`` committed part of it: the error
names the statements that took effect, the history records them (in the block's commits, and
after each statement of the block), and ``--resume`` runs the rest without them; a failed
``CREATE INDEX CONCURRENTLY`` that left an INVALID index says how to drop it. A run that never
enters an autocommit block sends nothing more than before.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, make_project

from mig_core import command
from mig_core.errors import MigrationFailed

TABLE_AB = {
    "upgrade": "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), "
               "sa.Column('a', sa.Integer), sa.Column('b', sa.Integer))",
    "downgrade": "op.drop_table('t')",
}
TWO_INDEXES_THEN_A_FAILURE = (
    "with op.get_context().autocommit_block():\n"
    "    op.create_index('ix_a', 't', ['a'], postgresql_concurrently=True)\n"
    "    op.create_index('ix_b', 't', ['b'], postgresql_concurrently=True)\n"
    "op.execute('INSERT INTO audit VALUES (1)')\n"
)
RESUME_R2 = ("Once the cause is fixed, `mig upgrade r2 --resume` runs the rest of it (or repair "
             "the schema by hand and record where it is with `mig stamp`)")


@pytest.fixture
def engine(postgres_engine):
    return postgres_engine


def _project(tmp_path: Path, url: str, upgrade: str, ini_extra: str = "") -> Path:
    return make_project(tmp_path, url, [
        {"rev": "r1", **TABLE_AB},
        {"rev": "r2", "down": "r1", "upgrade": upgrade},
        {"rev": "r3", "down": "r2", **create_table("t3")},
    ], ini_extra=ini_extra)


def _run(ini: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "mig_core", "-c", str(ini), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def _log(ini: Path) -> list[dict[str, object]]:
    result = _run(ini, "log", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _upgrade(ini: Path, target: str = "head", opts: dict[str, object] | None = None,
             **kw: object) -> None:
    command.upgrade(config_for(ini, configure=opts or {}), target, **kw)


def _failure(ini: Path, target: str = "head", opts: dict[str, object] | None = None,
             **kw: object) -> str:
    with pytest.raises(MigrationFailed) as info:
        _upgrade(ini, target, opts, **kw)
    message = str(info.value)
    assert "\n" not in message
    assert info.value.exit_code == 1
    return message


def _version(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar()


def _indexes(engine: sa.Engine) -> dict[str, bool]:
    """The indexes of table t by name, and whether each is valid."""
    with engine.connect() as conn:
        return dict(conn.execute(sa.text(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c "
            "ON c.oid = i.indexrelid WHERE i.indrelid = 't'::regclass AND NOT i.indisprimary"
        )).all())


def _execute(engine: sa.Engine, sql: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(sql))


def test_failure_after_the_block_names_what_took_effect_and_resumes(tmp_path, engine,
                                                                     postgres_url):
    ini = _project(tmp_path, postgres_url, TWO_INDEXES_THEN_A_FAILURE)
    message = _failure(ini)  # r1 and r2 in one transaction: the block committed r1 too
    assert re.search(r"upgrade failed: ProgrammingError: relation \S*audit\S* does not exist",
                     message), message
    assert message.endswith(
        "; 2 statements of it took effect, committed by its autocommit_block(): CREATE INDEX "
        "CONCURRENTLY ix_a ON t (a); CREATE INDEX CONCURRENTLY ix_b ON t (b); the rest of it "
        "is rolled back and the version table still names r1. " + RESUME_R2), message
    assert _version(engine) == "r1"
    assert _indexes(engine) == {"ix_a": True, "ix_b": True}
    failed = _log(ini)[-1]
    assert (failed["revisions"], failed["success"], failed["statements"]) == ("r2", False, 2)
    assert len(str(failed["statements_sha256"])) == 64

    # without --resume it starts again: "already exists", and the count still holds
    again = _failure(ini)
    assert 'relation "ix_a" already exists' in again
    assert again.endswith(
        f"; none of its statements took effect in this run, 2 statements of it in the run of "
        f"history row {failed['id']}; the rest of it is rolled back and the version table still "
        "names r1. " + RESUME_R2), again
    carried = _log(ini)[-1]
    assert (carried["statements"], carried["statements_sha256"]) == (
        2, failed["statements_sha256"])

    _execute(engine, "CREATE TABLE audit (x INTEGER)")  # the cause
    _upgrade(ini, resume=True)
    assert _version(engine) == "r3"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT x FROM audit")).scalars().all() == [1]
    resumed = _log(ini)[-2]
    assert (resumed["revisions"], resumed["success"], resumed["resumed_from"]) == (
        "r2", True, carried["id"])
    assert resumed["statements"] == 3


@pytest.mark.parametrize("opts", [{}, {"transaction_per_migration": True},
                                  {"transactional_ddl": False}],
                         ids=["one-transaction", "per-migration", "transactional_ddl-off"])
def test_statements_before_the_block_take_effect_with_its_commit(tmp_path, engine,
                                                                 postgres_url, opts):
    """The block commits the revision's transaction so far: its add_column took effect too;
    the one after the block was rolled back, and the resumed run sends only that one."""
    ini = _project(tmp_path, postgres_url, (
        "op.add_column('t', sa.Column('x', sa.Integer))\n"
        "with op.get_context().autocommit_block():\n"
        "    op.create_index('ix_x', 't', ['x'], postgresql_concurrently=True)\n"
        "op.add_column('t', sa.Column('y', sa.Integer))\n"
        "op.execute('INSERT INTO audit VALUES (1)')\n"
    ))
    _upgrade(ini, "r1", opts)
    message = _failure(ini, opts=opts)
    assert message.endswith(
        "; 2 statements of it took effect, committed by its autocommit_block(): ALTER TABLE t "
        "ADD COLUMN x INTEGER; CREATE INDEX CONCURRENTLY ix_x ON t (x); the rest of it is "
        "rolled back and the version table still names r1. " + RESUME_R2), message
    with engine.connect() as conn:
        assert [c["name"] for c in sa.inspect(conn).get_columns("t")] == ["id", "a", "b", "x"]

    _execute(engine, "CREATE TABLE audit (x INTEGER)")
    sent: list[str] = []
    with engine.connect() as conn:
        sa.event.listen(conn, "before_cursor_execute",
                        lambda c, cursor, statement, *a: sent.append(statement))
        command.upgrade(config_for(ini, connection=conn, configure=opts), "head", resume=True)
    assert not [s for s in sent if "ADD COLUMN x" in s or "ix_x" in s]
    assert _version(engine) == "r3"
    with engine.connect() as conn:
        assert [c["name"] for c in sa.inspect(conn).get_columns("t")] == ["id", "a", "b", "x",
                                                                          "y"]


def test_failed_concurrent_unique_index_names_the_invalid_index_to_drop(tmp_path, engine,
                                                                       postgres_url):
    ini = _project(tmp_path, postgres_url, (
        "with op.get_context().autocommit_block():\n"
        "    op.create_index('ix_a', 't', ['a'], postgresql_concurrently=True)\n"
        "    op.create_index('uq_b', 't', ['b'], unique=True, postgresql_concurrently=True)\n"
    ))
    _upgrade(ini, "r1")
    _execute(engine, "INSERT INTO t (id, a, b) VALUES (1, 1, 7), (2, 2, 7)")
    message = _failure(ini)
    assert "could not create unique index" in message
    assert message.endswith(
        "; 1 statement of it took effect, committed by its autocommit_block(): CREATE INDEX "
        "CONCURRENTLY ix_a ON t (a); the rest of it is rolled back and the version table still "
        "names r1. The failed statement left the index uq_b behind, INVALID (pg_index.indisvalid "
        "is false): run `DROP INDEX CONCURRENTLY uq_b` before running the revision again. "
        + RESUME_R2), message
    assert _indexes(engine) == {"ix_a": True, "uq_b": False}

    _execute(engine, "DROP INDEX CONCURRENTLY uq_b")
    _execute(engine, "UPDATE t SET b = 8 WHERE id = 2")
    _upgrade(ini, resume=True)
    assert _indexes(engine) == {"ix_a": True, "uq_b": True}
    assert _version(engine) == "r3"


def test_failure_in_the_blocks_first_statement_took_nothing_into_effect(tmp_path, engine,
                                                                         postgres_url):
    """Nothing of r2 was committed: the message says so and offers no --resume (the
    invalid-index note names a schema-qualified index as it must be dropped)."""
    _execute(engine, "CREATE SCHEMA IF NOT EXISTS other")
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "r1", "upgrade": "op.create_table('t', sa.Column('b', sa.Integer), "
                                 "schema='other')"},
        {"rev": "r2", "down": "r1", "upgrade": (
            "with op.get_context().autocommit_block():\n"
            "    op.create_index('uq_b', 't', ['b'], unique=True, schema='other', "
            "postgresql_concurrently=True)\n")},
    ])
    _upgrade(ini, "r1")
    _execute(engine, "INSERT INTO other.t (b) VALUES (7), (7)")
    message = _failure(ini)
    assert message.endswith(
        "; none of its statements took effect (its autocommit_block() committed none of them); "
        "rolled back, the version table still names r1. The failed statement left the index "
        "other.uq_b behind, INVALID (pg_index.indisvalid is false): run `DROP INDEX "
        "CONCURRENTLY other.uq_b` before running the revision again"), message
    assert "--resume" not in message
    _execute(engine, "DROP SCHEMA other CASCADE")


def test_history_off_names_what_took_effect_and_offers_a_stamp(tmp_path, engine, postgres_url):
    ini = _project(tmp_path, postgres_url, TWO_INDEXES_THEN_A_FAILURE,
                   ini_extra="history_table = false\n")
    message = _failure(ini)
    assert message.endswith(
        "; 2 statements of it took effect, committed by its autocommit_block(): CREATE INDEX "
        "CONCURRENTLY ix_a ON t (a); CREATE INDEX CONCURRENTLY ix_b ON t (b); the rest of it "
        "is rolled back and the version table still names r1. Nothing was recorded to resume it "
        "(the history table is turned off): repair the schema by hand and record where it is "
        "with `mig stamp`"), message


def test_an_edited_revision_refuses_to_resume(tmp_path, engine, postgres_url):
    ini = _project(tmp_path, postgres_url, TWO_INDEXES_THEN_A_FAILURE)
    _failure(ini)
    path = tmp_path / "migrations" / "versions" / "r2_r2.py"
    path.write_text(path.read_text().replace("['b']", "['a', 'b']"))
    message = _failure(ini, resume=True)
    assert message.startswith("revision r2 (versions/r2_r2.py) upgrade cannot be resumed: its "
                              "first 2 statements differ from the ones the run of history row ")
    assert _indexes(engine) == {"ix_a": True, "ix_b": True}
    assert _version(engine) == "r1"


def test_resume_note_when_the_failure_rolled_back_whole(tmp_path, engine, postgres_url):
    ini = _project(tmp_path, postgres_url, "op.execute('INSERT INTO audit VALUES (1)')")
    _failure(ini)
    _execute(engine, "CREATE TABLE audit (x INTEGER)")
    with pytest.warns(Warning, match=r"--resume: nothing to resume \(the upgrade of revision "
                      r"r2 \(history row \d+\) failed and was rolled back whole: no "
                      r"autocommit_block\(\) of it committed any of its statements\); the "
                      r"command runs as without --resume"):
        _upgrade(ini, resume=True)
    assert _version(engine) == "r3"


def test_a_run_without_autocommit_blocks_sends_no_more_statements(tmp_path, engine,
                                                                  postgres_url):
    """Recording what an autocommit block commits costs a plain run no statement: its history
    table sees one INSERT for all its revisions, as before."""
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "r1", **create_table("t1")},
        {"rev": "r2", "down": "r1", **create_table("t2")},
        {"rev": "r3", "down": "r2", "upgrade": "op.execute('INSERT INTO t1 VALUES (1)')"},
    ])
    _upgrade(ini, "r1")
    sent: list[str] = []
    with engine.connect() as conn:
        sa.event.listen(conn, "before_cursor_execute",
                        lambda c, cursor, statement, *a: sent.append(statement))
        command.upgrade(config_for(ini, connection=conn), "head")
    history = [s.split()[0] for s in sent if "mig_history" in s and "pg_catalog" not in s]
    assert history == ["SELECT", "INSERT"], sent


KILL_IN_THE_BLOCK = (
    "op.add_column('t', sa.Column('x', sa.Integer))\n"
    "with op.get_context().autocommit_block():\n"
    "    op.create_index('ix_a', 't', ['a'], postgresql_concurrently=True)\n"
    "    import os, signal\n"
    "    if os.environ.get('KILL_R2'):\n"
    "        os.kill(os.getpid(), signal.SIGKILL)\n"
    "    op.create_index('ix_b', 't', ['b'], postgresql_concurrently=True)\n"
    "op.add_column('t', sa.Column('y', sa.Integer))\n"
)


@pytest.mark.parametrize("per_migration", [False, True])
def test_kill_in_the_block_then_resume(tmp_path, engine, postgres_url, per_migration):
    ini = _project(tmp_path, postgres_url, KILL_IN_THE_BLOCK)
    x = ["-x", "transaction_per_migration=true"] if per_migration else []
    killed = _run(ini, *x, "upgrade", "head", env={"KILL_R2": "1"})
    assert killed.returncode == -signal.SIGKILL
    assert _version(engine) == "r1"
    assert _indexes(engine) == {"ix_a": True}
    started = _log(ini)[-1]
    assert (started["revisions"], started["success"], started["statements"]) == ("r2", False, 2)

    again = _run(ini, *x, "upgrade", "head")
    assert again.returncode == 1
    assert "upgrade was interrupted: a run started it at " in again.stderr
    assert ("; 2 statements of it took effect, as recorded after each one (the one running when "
            "it stopped may have too), and the version table still names r1. Run `mig upgrade "
            "r2 --resume` to run the rest of it") in again.stderr
    assert _version(engine) == "r1"

    done = _run(ini, *x, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert _version(engine) == "r3"
    assert _indexes(engine) == {"ix_a": True, "ix_b": True}
    with engine.connect() as conn:
        assert [c["name"] for c in sa.inspect(conn).get_columns("t")] == ["id", "a", "b", "x",
                                                                          "y"]
    log = _log(ini)
    assert [(r["revisions"], r["success"]) for r in log] == [
        ("r1", True), ("r2", False), ("r2", True), ("r3", True)]
    assert log[2]["resumed_from"] == started["id"]
