"""The PostgreSQL run lock's key names the version table actually used: a version table found
through ``search_path`` and the same table named with its schema share one lock, and the
``mig_version`` tables of two schemas (one per tenant, chosen by ``search_path``) do not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from mig_postgres.lock import PostgresRunLock

from mig_core import command
from mig_core.errors import LockTimeoutError

TESTS = Path(__file__).resolve().parents[3] / "tests"
sys.path.insert(0, str(TESTS))

from runtime_support import config_for, create_table, make_project, shared_fixtures  # noqa: E402

postgres_url = shared_fixtures().postgres_url


class _Impl:
    """The two attributes of a DDL implementation the lock reads."""

    def __init__(self, connection: sa.Connection, **opts: str) -> None:
        self.connection = connection
        self.context_opts = opts


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path={schema}"


@pytest.fixture
def schemas(postgres_url):
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in ("tenant1", "tenant2"):
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    yield engine
    with engine.begin() as conn:
        for name in ("tenant1", "tenant2"):
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
    engine.dispose()


def test_schema_named_or_found_through_search_path_is_one_lock(tmp_path, postgres_url, schemas):
    ini = make_project(tmp_path, postgres_url, [{"rev": "a", **create_table("t_a")}])
    with schemas.connect() as holder:  # a run leaving the schema to search_path (public)
        with PostgresRunLock(_Impl(holder), timeout=None):
            with pytest.raises(LockTimeoutError):
                command.upgrade(
                    config_for(ini, configure={"version_table_schema": "public"}),
                    "head", lock_timeout=0.3,
                )


def test_tenants_chosen_by_search_path_do_not_block_each_other(tmp_path, postgres_url, schemas):
    ini = make_project(
        tmp_path, _with_search_path(postgres_url, "tenant2"), [{"rev": "a", **create_table("t_a")}]
    )
    tenant1 = sa.create_engine(_with_search_path(postgres_url, "tenant1"), poolclass=sa.pool.NullPool)
    with tenant1.connect() as holder:  # a run of tenant1 holds its lock
        with PostgresRunLock(_Impl(holder), timeout=None):
            command.upgrade(config_for(ini), "head", lock_timeout=5)
    tenant1.dispose()
    with schemas.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM tenant2.mig_version")).scalar() == "a"
        assert sa.inspect(conn).has_table("t_a", schema="tenant2")
