"""Which SQL text makes mig drop asyncpg's prepared statements (``statement_cache``); the
run itself is tested on the server in tests/test_async_postgres.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from mig_postgres.statement_cache import may_change_schema, schema_change_listener


@pytest.mark.parametrize("sql", [
    "ALTER TABLE t ADD COLUMN y integer", "  -- why\n/* note */ create index i on t (x)",
    "DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD y int'; END $$", "SET search_path TO app",
    "CALL reshape()", "drop table t", "COMMENT ON TABLE t IS 'x'", "",
    sa.text("ALTER TABLE t ALTER x TYPE bigint"),
])
def test_may_change_schema(sql) -> None:
    assert may_change_schema(sql)


@pytest.mark.parametrize("sql", [
    "SELECT * FROM t", "insert into t values (1)", " (SELECT 1) UNION (SELECT 2)",
    "WITH x AS (SELECT 1) UPDATE t SET y = 1", "-- c\nDELETE FROM t", sa.text("update t set x=1"),
    sa.table("t").insert(), sa.schema.DDL("ALTER TABLE t ADD y int"),  # constructs: not text
])
def test_rows_only(sql) -> None:
    assert not may_change_schema(sql)


def test_only_the_asyncpg_dialect_gets_a_listener() -> None:
    from sqlalchemy.dialects.postgresql import asyncpg, psycopg2

    assert schema_change_listener(psycopg2.dialect()) is None
    dialect = asyncpg.dialect()
    listener = schema_change_listener(dialect)
    assert listener is not None
    before = dialect._invalidate_schema_cache_asof
    listener("INSERT INTO t VALUES (1)")
    assert dialect._invalidate_schema_cache_asof == before
    listener("ALTER TABLE t ADD y int")
    assert dialect._invalidate_schema_cache_asof > before
