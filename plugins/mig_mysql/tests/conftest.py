"""Fixtures of mig-mysql's tests: the MariaDB server's URL (from tests/conftest.py, which fails
under ``CI=true`` when the server is missing) and an engine on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from mysql_support import reset
from runtime_support import shared_fixtures

mysql_url = shared_fixtures().mysql_url


@pytest.fixture
def engine(mysql_url: str) -> Iterator[sa.Engine]:
    """An engine on the test database, emptied of tables first (a module may define its own)."""
    engine = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    reset(engine)
    yield engine
    engine.dispose()
