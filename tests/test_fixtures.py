"""The real-database fixtures give fresh, working databases."""

from __future__ import annotations

import sqlalchemy as sa


def _tables(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
            return sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_sqlite_fixture_is_an_empty_file_database(sqlite_url):
    assert sqlite_url.startswith("sqlite:///") and _tables(sqlite_url) == []


def test_postgres_fixture_is_a_fresh_database(postgres_url):
    assert "mig_test_" in postgres_url and _tables(postgres_url) == []


def test_mysql_fixture_is_a_fresh_database(mysql_url):
    assert "mig_test_" in mysql_url and _tables(mysql_url) == []
