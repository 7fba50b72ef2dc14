"""The PostgreSQL drivers the driver-sensitive tests run on.

Most PostgreSQL tests use the driver of ``MIG_TEST_POSTGRES_URL`` (psycopg2 by default). Tests of
what a driver can change (execution, locking, errors, transactions, autocommit, batches of DDL,
reflection) take ``@each_postgres_driver``: they run once per driver of
``MIG_TEST_POSTGRES_DRIVERS`` (comma-separated SQLAlchemy driver names, default ``psycopg2,psycopg``;
``psycopg`` is psycopg 3, what a plain ``postgresql://`` URL means under SQLAlchemy 2.1), each on
the same server through that driver. A driver that is not installed skips its tests with the
reason, and with ``CI=true`` fails them, as a missing server does.
"""

from __future__ import annotations

import os

import pytest

#: the module each driver name needs, for the "not installed" message
DRIVER_MODULES = {
    "psycopg2": "psycopg2", "psycopg": "psycopg", "psycopg_async": "psycopg",
    "asyncpg": "asyncpg",
}
#: what installs each driver's module
DRIVER_PACKAGES = {"psycopg2": "psycopg2-binary", "psycopg": "psycopg[binary]"}


def _names(variable: str, default: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in os.environ.get(variable, default).split(",") if n.strip())


POSTGRES_DRIVERS = _names("MIG_TEST_POSTGRES_DRIVERS", "psycopg2,psycopg")

#: a test taking ``postgres_url`` runs once per driver, its id the driver's name
each_postgres_driver = pytest.mark.parametrize("postgres_url", POSTGRES_DRIVERS, indirect=True)


def with_driver(url: str, driver: str) -> str:
    """``url`` (any PostgreSQL driver) through ``driver``: same host, user, password, database
    and query."""
    import sqlalchemy as sa

    return (
        sa.engine.make_url(url)
        .set(drivername=f"postgresql+{driver}")
        .render_as_string(hide_password=False)
    )


def missing_driver(driver: str) -> str | None:
    """Why ``driver`` cannot be used here (its module does not import), or None."""
    import importlib

    module = DRIVER_MODULES.get(driver, driver)
    try:
        importlib.import_module(module)
    except ImportError as exc:
        package = DRIVER_PACKAGES.get(module, module)
        return f"PostgreSQL driver {driver} is not installed ({exc}; pip install {package!r})"
    return None
