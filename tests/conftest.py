"""Shared fixtures: real databases (SQLite file, PostgreSQL, MariaDB), isolated plugin managers.

PostgreSQL and MariaDB URLs come from ``MIG_TEST_POSTGRES_URL`` / ``MIG_TEST_MYSQL_URL``. Each test
module gets a fresh database, dropped afterwards. When a server is unreachable its tests skip with
the reason, except with ``CI=true``, where that is a failure. PostgreSQL tests of what a driver
can change run once per driver (tests/pg_drivers.py); a driver that is not installed is treated
as a missing server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

POSTGRES_URL = os.environ.get(
    "MIG_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("MIG_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_unreachable: dict[str, str] = {}


def _server_or_skip(kind: str, url: str) -> None:
    """Skip (or, in CI, fail) when the server behind ``url`` cannot be reached."""
    if kind not in _unreachable:
        import sqlalchemy as sa

        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            _unreachable[kind] = ""
        except Exception as exc:  # any driver error means "not reachable"
            _unreachable[kind] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        finally:
            engine.dispose()
    reason = _unreachable[kind]
    if reason:
        message = f"{kind} server at {url} unreachable: {reason}"
        if IN_CI:
            pytest.fail(message + " (CI=true: a missing server is a failure)")
        pytest.skip(message)


def _with_database(url: str, name: str) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database in a temporary file."""
    return f"sqlite:///{tmp_path / 'test.db'}"


def _fresh_database(kind: str, admin_url: str, create: str, drop: str) -> Iterator[str]:
    import sqlalchemy as sa

    _server_or_skip(kind, admin_url)
    name = f"mig_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(create.format(name=name)))
    try:
        yield _with_database(admin_url, name)
    finally:
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )
            conn.execute(sa.text(drop.format(name=name)))
        admin.dispose()


def _postgres_database(driver: str | None) -> Iterator[str]:
    """A fresh PostgreSQL database, reached through ``driver`` (None: the URL's own)."""
    from pg_drivers import missing_driver, with_driver

    if driver is not None:
        reason = missing_driver(driver)
        if reason:
            if IN_CI:
                pytest.fail(reason + " (CI=true: a missing driver is a failure)")
            pytest.skip(reason)
    for url in _fresh_database(
        "postgresql", POSTGRES_URL, 'CREATE DATABASE "{name}"', 'DROP DATABASE IF EXISTS "{name}"'
    ):
        yield url if driver is None else with_driver(url, driver)


@pytest.fixture(scope="module")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database for the test module, dropped afterwards; through the driver
    of ``MIG_TEST_POSTGRES_URL``, or the one a test names (``@each_postgres_driver``,
    tests/pg_drivers.py)."""
    yield from _postgres_database(getattr(request, "param", None))


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Any]:
    """An engine on the module's PostgreSQL database, emptied of tables and views first."""
    import sqlalchemy as sa
    from runtime_support import drop_all_tables

    drop_all_tables(postgres_url)
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def psycopg_url() -> Iterator[str]:
    """:func:`postgres_url` through psycopg 3 (``postgresql+psycopg``), for tests that list
    their backends by fixture name; skipped when ``MIG_TEST_POSTGRES_DRIVERS`` leaves it out."""
    from pg_drivers import POSTGRES_DRIVERS

    if "psycopg" not in POSTGRES_DRIVERS:
        pytest.skip("psycopg is not in MIG_TEST_POSTGRES_DRIVERS")
    yield from _postgres_database("psycopg")


@pytest.fixture(scope="module")
def mysql_url() -> Iterator[str]:
    """A fresh MariaDB/MySQL database for the test module, dropped afterwards."""
    yield from _fresh_database(
        "mysql", MYSQL_URL, "CREATE DATABASE `{name}`", "DROP DATABASE IF EXISTS `{name}`"
    )


@pytest.fixture
def mig_pm():
    """A plugin manager with only the built-ins (no entry points)."""
    from mig_core.plugins import build_plugin_manager

    return build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])


@pytest.fixture
def caches_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """mig writes its ``__pycache__`` caches as Python writes ``.pyc`` files: not while
    ``PYTHONDONTWRITEBYTECODE`` is set (as on some machines running these tests)."""
    import sys

    monkeypatch.setattr(sys, "dont_write_bytecode", False)


@pytest.fixture
def run(capsys):
    """``run(*argv)``: the ``mig`` CLI in this process, as ``(exit code, stdout, stderr)``."""
    from mig_core.cli import main

    def run(*argv):
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run
