"""The PostgreSQL drivers the suite runs its driver-sensitive tests on (tests/pg_drivers.py): a
driver that is not installed is never passed over in silence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pg_drivers import POSTGRES_DRIVERS, with_driver

ROOT = Path(__file__).resolve().parent.parent
ONE_TEST = "tests/test_runtime_pipeline.py::test_bad_statements_per_round_trip_is_a_config_error"


def test_with_driver_keeps_everything_but_the_driver() -> None:
    assert with_driver("postgresql+psycopg2://u:p%40ss@db.example:6543/app?sslmode=require",
                       "psycopg") == "postgresql+psycopg://u:p%40ss@db.example:6543/app?sslmode=require"
    assert with_driver("postgresql://postgres@127.0.0.1/test", "psycopg2") == (
        "postgresql+psycopg2://postgres@127.0.0.1/test")


def test_psycopg_3_is_one_of_the_drivers_by_default() -> None:
    if "MIG_TEST_POSTGRES_DRIVERS" not in os.environ:
        assert POSTGRES_DRIVERS == ("psycopg2", "psycopg")


@pytest.mark.slow
def test_a_missing_driver_skips_and_fails_in_ci(tmp_path: Path, postgres_url: str) -> None:
    """Without psycopg 3 its runs of a test skip naming the driver and how to install it; with
    ``CI=true`` they fail. The psycopg2 runs go on."""
    blocker = tmp_path / "no_psycopg"
    (blocker / "psycopg").mkdir(parents=True)
    (blocker / "psycopg" / "__init__.py").write_text("raise ImportError('psycopg is blocked')\n")
    env = {**os.environ, "CI": "", "MIG_TEST_POSTGRES_DRIVERS": "psycopg2,psycopg",
           "PYTHONPATH": os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")])}
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", ONE_TEST]
    skipped = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert skipped.returncode == 0, skipped.stdout
    assert "1 passed, 1 skipped" in skipped.stdout
    assert ("PostgreSQL driver psycopg is not installed (psycopg is blocked; "
            "pip install 'psycopg[binary]')") in skipped.stdout
    failed = subprocess.run(args, cwd=ROOT, env={**env, "CI": "true"}, capture_output=True,
                            text=True, timeout=120)
    assert failed.returncode == 1, failed.stdout
    assert "1 passed" in failed.stdout and "1 error" in failed.stdout
    assert "CI=true: a missing driver is a failure" in failed.stdout
