"""Which SQL text makes mig drop the prepared statements of asyncpg and psycopg 3
(``statement_cache``), and runs on the server whose revisions run a statement often enough to
be prepared, then text DDL, then that statement again (asyncpg runs: tests/test_async_postgres.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from mig_postgres.statement_cache import (
    may_change_schema,
    schema_change_listener,
    watch_psycopg_connection,
)

from mig_core import command

TESTS = Path(__file__).resolve().parents[3] / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from pg_drivers import each_postgres_driver  # noqa: E402
from runtime_support import config_for, drop_all_tables, make_project, shared_fixtures  # noqa: E402

postgres_url = shared_fixtures().postgres_url
psycopg_url = shared_fixtures().psycopg_url


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
    "SAVEPOINT sa_savepoint_1", "RELEASE SAVEPOINT s", "ROLLBACK TO SAVEPOINT s", "COMMIT",
])
def test_rows_only(sql) -> None:
    assert not may_change_schema(sql)


def test_only_the_asyncpg_dialect_gets_a_listener() -> None:
    from sqlalchemy.dialects.postgresql import asyncpg, psycopg, psycopg2

    assert schema_change_listener(psycopg2.dialect()) is None
    assert schema_change_listener(psycopg.dialect()) is None  # watched on its connection
    dialect = asyncpg.dialect()
    listener = schema_change_listener(dialect)
    assert listener is not None
    before = dialect._invalidate_schema_cache_asof
    listener("INSERT INTO t VALUES (1)")
    assert dialect._invalidate_schema_cache_asof == before
    listener("ALTER TABLE t ADD y int")
    assert dialect._invalidate_schema_cache_asof > before


# --- on the server: a statement prepared before text DDL, run again after it -------------------

SERVER_PREPARED = "SELECT count(*) FROM pg_prepared_statements"


def test_a_watched_psycopg_connection_forgets_its_prepared_statements_after_ddl(
    psycopg_url, postgres_url
) -> None:
    """Rows read or written and transaction control keep the prepared statements; any other
    statement makes psycopg forget them, and the server's go with the next statement."""
    engine = sa.create_engine(psycopg_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        watch_psycopg_connection(conn)
        watch_psycopg_connection(conn)  # once per connection
        assert len(conn.dispatch.after_cursor_execute) == 1
        conn.exec_driver_sql("CREATE TEMPORARY TABLE tt (x integer)")
        for _ in range(6):
            conn.execute(sa.text("SELECT :v"), {"v": 1}).all()
        assert conn.exec_driver_sql(SERVER_PREPARED).scalar() == 1
        conn.exec_driver_sql("INSERT INTO tt VALUES (1)")
        with conn.begin_nested():
            conn.exec_driver_sql("UPDATE tt SET x = 2")
        assert conn.exec_driver_sql(SERVER_PREPARED).scalar() == 1
        conn.execute(sa.schema.DDL("DO $$ BEGIN END $$"))
        conn.exec_driver_sql("SELECT 1")  # psycopg deallocates with this one
        assert conn.exec_driver_sql(SERVER_PREPARED).scalar() == 0
        conn.rollback()
    other = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with other.connect() as conn:
        watch_psycopg_connection(conn)
        assert len(conn.dispatch.after_cursor_execute) == (conn.dialect.driver == "psycopg")
    other.dispose()
    engine.dispose()


PREPARED = (  # psycopg 3 prepares a statement on its 6th run (prepare_threshold 5)
    "bind = op.get_bind()\n"
    "for _ in range(6):\n"
    "    rows = bind.execute(sa.text('SELECT * FROM {table} WHERE x > :v'), {{'v': 0}}).all()\n"
)
STALE_DDL = {
    "string": ("t", "op.execute('ALTER TABLE t ADD COLUMN y integer')"),
    "do-block": ("t", "op.execute(\"DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD COLUMN y integer'; "
                      "END $$\")"),
    "replace-view": ("v", "op.execute('CREATE OR REPLACE VIEW v AS SELECT x, 2 AS y FROM t')"),
    "ddl-element": ("v", "op.execute(sa.DDL('CREATE OR REPLACE VIEW v AS SELECT x, 2 AS y "
                         "FROM t'))"),  # queued with the run's DDL (batches)
    "get-bind": ("v", "op.get_bind().execute(sa.text('CREATE OR REPLACE VIEW v AS SELECT x, "
                      "2 AS y FROM t'))"),  # past op.execute()
}


@each_postgres_driver
@pytest.mark.parametrize("kind", list(STALE_DDL))
def test_ddl_does_not_leave_stale_prepared_statements(tmp_path, postgres_url, kind) -> None:
    """DDL that changes what a prepared ``SELECT *`` returns, then the same statement again
    in the same run: on psycopg 3 (which prepares a statement run often enough, and drops its
    prepared statements itself only after ``ALTER`` / ``DROP`` commands) it failed with
    "cached plan must not change result type"."""
    table, ddl = STALE_DDL[kind]
    drop_all_tables(postgres_url)
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "a1", "upgrade": "op.execute('CREATE TABLE t (x integer)')\n"
                                 "op.execute('INSERT INTO t VALUES (1)')\n"
                                 "op.execute('CREATE VIEW v AS SELECT x FROM t')\n"
                                 + PREPARED.format(table=table)},
        {"rev": "b1", "down": "a1", "upgrade": ddl},
        {"rev": "c1", "down": "b1",
         "upgrade": PREPARED.format(table=table)
                    + f"assert rows == [(1, {2 if table == 'v' else None})], rows"},
    ])
    command.upgrade(config_for(ini), "head")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM mig_version").scalar() == "c1"
    engine.dispose()
