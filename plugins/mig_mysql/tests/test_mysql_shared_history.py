"""Two projects in one MariaDB database, each with its own version table and so its own run
lock, sharing the default ``mig_history``: an interrupted run of one neither stops the other nor
is forgotten because the other ran since."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from mysql_support import mig_command, scalar
from runtime_support import create_table, make_project, shared_fixtures

mysql_url = shared_fixtures().mysql_url

KILLS_ITSELF = (
    "op.add_column('a_t', sa.Column('x', sa.Integer))\n"
    "import os, signal\n"
    "os.kill(os.getpid(), signal.SIGKILL)  # dies between the DDL and the version row\n"
)


def _run(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(mig_command(ini, *args), capture_output=True, text=True, timeout=60)


def test_interrupted_run_of_one_project_concerns_only_that_project(tmp_path, engine, mysql_url):
    project_a = make_project(tmp_path / "a", mysql_url, [
        {"rev": "a1", **create_table("a_t")},
        {"rev": "a2", "down": "a1", "upgrade": KILLS_ITSELF},
    ], ini_extra="version_table = a_version\n")
    project_b = make_project(tmp_path / "b", mysql_url, [
        {"rev": "b1", **create_table("b_t")},
        {"rev": "b2", "down": "b1", **create_table("b_t2")},
    ], ini_extra="version_table = b_version\n")

    assert _run(project_a, "upgrade", "head").returncode == -signal.SIGKILL
    # B's run is not A's: A's unfinished a2 does not stop it
    done = _run(project_b, "upgrade", "b1")
    assert done.returncode == 0, done.stderr
    assert scalar(engine, "SELECT version_num FROM b_version") == "b1"
    # and B's rows since do not hide A's unfinished a2: its ADD COLUMN is not run again
    again = _run(project_a, "upgrade", "head")
    assert again.returncode == 1
    assert "revision a2 (versions/a2_a2.py) upgrade was interrupted" in again.stderr
    assert "Duplicate column" not in again.stderr
    assert _run(project_b, "upgrade", "head").returncode == 0
    assert scalar(engine, "SELECT version_num FROM a_version") == "a1"


def test_another_projects_started_row_with_the_same_revision_ids_is_not_ours(
    tmp_path, engine, mysql_url
):
    """Two projects whose revision ids coincide (``r1``, ``r2``): the started row of B's killed
    r2 names a revision A also has, so guessing by revision ids stopped A; the history row's
    ``version_table`` says it is B's."""
    project_a = make_project(tmp_path / "a", mysql_url, [
        {"rev": "r1", **create_table("a_t")},
        {"rev": "r2", "down": "r1", **create_table("a_t2")},
    ], ini_extra="version_table = a_version\n")
    project_b = make_project(tmp_path / "b", mysql_url, [
        {"rev": "r1", **create_table("b_t")},
        {"rev": "r2", "down": "r1", "upgrade": KILLS_ITSELF.replace("a_t", "b_t")},
    ], ini_extra="version_table = b_version\n")
    assert _run(project_a, "upgrade", "r1").returncode == 0
    assert _run(project_b, "upgrade", "head").returncode == -signal.SIGKILL
    assert scalar(engine, "SELECT version_table FROM mig_history WHERE NOT success") == (
        "b_version")
    done = _run(project_a, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    assert scalar(engine, "SELECT version_num FROM a_version") == "r2"
    again = _run(project_b, "upgrade", "head")  # B's own interrupted r2 still stops B
    assert again.returncode == 1
    assert "revision r2 (versions/r2_r2.py) upgrade was interrupted" in again.stderr
    assert scalar(engine, "SELECT version_num FROM b_version") == "r1"


@pytest.mark.parametrize("setting", ["version_table_schema", "history_table_schema"])
def test_missing_database_of_mig_tables_names_the_setting(tmp_path, engine, mysql_url, setting):
    """A schema is a database here: one that does not exist is a configuration error (exit 2)
    naming the setting, not "env.py failed: Unknown database"."""
    ini = make_project(tmp_path, mysql_url, [{"rev": "a1", **create_table("a_t")}],
                       ini_extra=f"{setting} = mig_absent_db\n")
    done = _run(ini, "upgrade", "head")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        f"mig: error: {setting} = mig_absent_db: database 'mig_absent_db' does not exist on "
        f"the server; create it first or correct {setting}"
    )
