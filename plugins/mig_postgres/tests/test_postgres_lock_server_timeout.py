"""The server's ``lock_timeout`` or ``statement_timeout`` (often set on a deploy role) ending the wait for the run lock:
a lock timeout (exit code 5) naming the holder, not "env.py failed"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from mig_postgres.lock import lock_key

TESTS = Path(__file__).resolve().parents[3] / "tests"
sys.path.insert(0, str(TESTS))

from pg_drivers import each_postgres_driver  # noqa: E402
from runtime_support import create_table, make_project, shared_fixtures  # noqa: E402

postgres_url = shared_fixtures().postgres_url


@each_postgres_driver
@pytest.mark.parametrize("setting", ["lock_timeout", "statement_timeout"])
def test_server_lock_timeout_is_a_lock_timeout(tmp_path, postgres_url, setting):
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    # the ini's %% is a literal %: lock_timeout=300 (ms) for the run's session
    ini = make_project(tmp_path, postgres_url + f"?options=-c{setting}%%3D300",
                       [{"rev": "a", **create_table("t_a")}])
    argv = [sys.executable, "-m", "mig_core", "-c", str(ini), "upgrade", "head"]
    with engine.connect() as holder:
        holder.execute(sa.text("SELECT pg_advisory_lock(:k)"),
                       {"k": lock_key("mig_version", "public")})
        pid = holder.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert result.returncode == 5, result.stderr
    assert result.stderr.strip().endswith(
        f"is held by backend pid {pid}; the server ended the wait (its lock_timeout or "
        "statement_timeout setting, or a cancel; pass --lock-timeout to choose how long mig waits)"
    )
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)  # holder gone
    assert done.returncode == 0, done.stderr
    engine.dispose()
