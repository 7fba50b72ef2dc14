"""A COMMIT the database refuses (SQLite in rollback-journal mode while another connection
holds a read transaction past ``--lock-timeout``): one clear error saying the run was rolled
back, not "env.py failed", and a rerun once the reader is gone."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from runtime_support import create_table, make_project


def _run(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "mig_core", "-c", str(ini), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def test_commit_blocked_by_a_reader_is_reported_as_such(tmp_path):
    db = tmp_path / "app.db"
    setup = sqlite3.connect(db)
    setup.execute("PRAGMA journal_mode=delete")
    setup.execute("CREATE TABLE seed (x INTEGER)")
    setup.commit()
    setup.close()
    ini = make_project(tmp_path, f"sqlite:///{db}", [
        {"rev": "r1", **create_table("t1")}, {"rev": "r2", "down": "r1", **create_table("t2")},
    ])
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM seed").fetchall()  # holds SHARED: no COMMIT can finish
    try:
        blocked = _run(ini, "upgrade", "head", "--lock-timeout", "0.5")
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert blocked.returncode == 1
    assert blocked.stderr.strip() == (
        "mig: error: the database refused to commit the migrations: OperationalError: database "
        "is locked; rolled back, the database is still at base"
    )
    assert _run(ini, "current").stdout.strip() == ""
    done = _run(ini, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    assert _run(ini, "current").stdout.strip() == "r2 (head)"
