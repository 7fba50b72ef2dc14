"""``--resume --skip-interrupted`` on PostgreSQL: a run killed inside a revision's
``autocommit_block()`` just before its second ``CREATE INDEX CONCURRENTLY``, which is then built
by hand (the server completing it after the kill). A plain ``--resume`` sends it again and fails
on "already exists", naming the option; with it, the index is taken as built. A statement after
the block, which waits in a transaction the kill rolled back, is refused.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from runtime_support import create_table, make_project

from mig_core.runtime.history import INTERRUPTED

KILL = ("    import os, signal\n    if os.environ.get('KILL_R2'):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n")
TABLE_AB = {
    "upgrade": "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), "
               "sa.Column('a', sa.Integer), sa.Column('b', sa.Integer))",
    "downgrade": "op.drop_table('t')",
}
KILLED_BETWEEN_TWO_INDEXES = (
    "with op.get_context().autocommit_block():\n"
    "    op.create_index('ix_a', 't', ['a'], postgresql_concurrently=True)\n"
    + KILL +
    "    op.create_index('ix_b', 't', ['b'], postgresql_concurrently=True)\n"
    "op.add_column('t', sa.Column('c', sa.Integer))\n"
)
KILLED_AFTER_THE_BLOCK = (
    "with op.get_context().autocommit_block():\n"
    "    op.create_index('ix_a', 't', ['a'], postgresql_concurrently=True)\n"
    "if True:\n" + KILL +
    "op.add_column('t', sa.Column('c', sa.Integer))\n"
)


def _project(tmp_path: Path, url: str, upgrade: str) -> Path:
    return make_project(tmp_path, url, [
        {"rev": "r1", **TABLE_AB},
        {"rev": "r2", "down": "r1", "upgrade": upgrade},
        {"rev": "r3", "down": "r2", **create_table("t3")},
    ])


def _run(ini: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "mig_core", "-c", str(ini), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def _log(ini: Path) -> list[dict[str, object]]:
    result = _run(ini, "log", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _killed(ini: Path, statements: int) -> dict[str, object]:
    assert _run(ini, "upgrade", "head", KILL_R2="1").returncode == -signal.SIGKILL
    started = _log(ini)[-1]
    assert (started["revisions"], started["error"], started["statements"]) == (
        "r2", INTERRUPTED, statements)
    return started


def _one(engine: sa.Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def test_an_index_built_after_the_kill_is_skipped(tmp_path, postgres_engine, postgres_url):
    ini = _project(tmp_path, postgres_url, KILLED_BETWEEN_TWO_INDEXES)
    started = _killed(ini, 1)
    with postgres_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("CREATE INDEX CONCURRENTLY ix_b ON t (b)"))

    again = _run(ini, "upgrade", "head", "--resume")
    assert again.returncode == 1
    assert 'relation "ix_b" already exists' in again.stderr
    assert again.stderr.strip().endswith(
        "If its statement 2 (CREATE INDEX CONCURRENTLY ix_b ON t (b)) took effect in the run of "
        f"history row {started['id']}, which stopped while it ran, `mig upgrade r2 --resume "
        "--skip-interrupted` skips it"), again.stderr
    failed = _log(ini)[-1]  # the index built before the kill still counts
    assert (failed["statements"], failed["resumed_from"]) == (1, started["id"])

    done = _run(ini, "upgrade", "head", "--resume", "--skip-interrupted")
    assert done.returncode == 0, done.stderr
    assert "its statement 2, running when the run of history row" in done.stderr
    assert "not sent, taken as done: CREATE INDEX CONCURRENTLY ix_b ON t (b)" in done.stderr
    assert _one(postgres_engine, "SELECT version_num FROM mig_version") == "r3"
    assert _one(postgres_engine, "SELECT count(*) FROM pg_index i JOIN pg_class c ON "
                "c.oid = i.indexrelid WHERE c.relname IN ('ix_a', 'ix_b') AND i.indisvalid") == 2
    assert _one(postgres_engine, "SELECT count(*) FROM information_schema.columns WHERE "
                "table_name = 't' AND column_name = 'c'") == 1
    resumed = _log(ini)[-2]
    assert (resumed["revisions"], resumed["success"], resumed["statements"],
            resumed["skipped_statement"]) == ("r2", True, 3, 2)


def test_a_statement_after_the_block_was_rolled_back_and_is_not_skipped(tmp_path,
                                                                        postgres_engine,
                                                                        postgres_url):
    ini = _project(tmp_path, postgres_url, KILLED_AFTER_THE_BLOCK)
    started = _killed(ini, 1)
    refused = _run(ini, "upgrade", "head", "--resume", "--skip-interrupted")
    assert refused.returncode == 1
    assert ("cannot be resumed with --skip-interrupted: its statement 2, ALTER TABLE t ADD "
            "COLUMN c INTEGER, does not commit by itself there, so the run of history row "
            f"{started['id']} could not have made it take effect") in refused.stderr
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr
    assert _one(postgres_engine, "SELECT version_num FROM mig_version") == "r3"
