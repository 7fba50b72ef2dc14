"""Which statements each dialect's impl says only set the session's state (``--resume`` sends
them again among the ones it skips: tests/test_postgres_resume_session.py,
test_sqlite_resume_session.py, plugins/mig_mysql/tests/test_mysql_resume_session.py), and
Oracle's ``ALTER SESSION`` / ``ALTER SYSTEM``, which commit nothing there, unlike DDL.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext
from mig_core.runtime.progress import COMMITS


def _impl(dialect: str):
    ctx = MigrationContext.configure(dialect_name=dialect, opts={"as_sql": True},
                                     plugin_manager=build_plugin_manager(None, env={}))
    return ctx.impl


SESSION = {
    "mysql": [
        "SET foreign_key_checks = 0", "SET SESSION sql_mode = ''", "set names utf8mb4",
        "SET @v = 1", "SET @@session.time_zone = '+00:00'", "SET LOCAL lock_wait_timeout = 5",
        "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", "SET ROLE app",
        "USE other_db", "  -- why\nSET unique_checks = 0", sa.text("SET foreign_key_checks = 0"),
        "SET @@SESSION.sql_mode = ''", "SET CHARACTER SET utf8mb4", "SET CHARSET utf8mb4",
        "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_bin'", "SET @@sql_mode = '', @@local.x = 1",
        "/*!40101 SET NAMES utf8mb4 */", "/*M!100100 SET sql_mode = '' */;",
        "/*!40014 SET @OLD_FK=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */",
        "SET foreign_key_checks = 0; SET unique_checks = 0;", "USE db; SET a = 1",
        "SET sql_mode = CONCAT(@@sql_mode, ',GLOBAL'), @x = 'a;b'",
        "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED, READ WRITE",
    ],
    "postgresql": [
        "SET search_path TO side, public", "SET lock_timeout = '5s'", "SET ROLE deploy",
        "SET SESSION statement_timeout = 0", "SET TIME ZONE 'UTC'", "RESET search_path",
        "SET SESSION AUTHORIZATION deploy",
        "SELECT set_config('search_path', 'side', false)", "SELECT set_config('a.b', '1', false)",
        "select PG_CATALOG.Set_Config ( 'search_path' ,\n 'side' , FALSE ) ;",
        "SELECT pg_catalog.set_config('search_path', 'side', 'off')",
        "SELECT set_config('a.b', '1', 'f'::boolean) AS a, set_config('c.d', :v, false::bool)",
        "SELECT set_config('search_path', 'side, ' || current_setting('search_path'), false)",
        "SELECT set_config('a.b', $$x;y$$, false)", "SELECT set_config('a.b', E'it\\'s', false)",
        "/* why */ SELECT set_config('a.b', '1'::text, false)",
        "SET search_path TO side; SET lock_timeout = '5s';",
        "SELECT set_config('a.b', 'x; DROP TABLE t', false)",
        sa.text("SELECT set_config('search_path', :path, false)"),
    ],
    "oracle": ["ALTER SESSION SET CURRENT_SCHEMA = app", "alter session enable parallel ddl",
               "SET ROLE app_role"],
    "sqlite": ["PRAGMA foreign_keys = ON", "pragma main.recursive_triggers = 1",
               "PRAGMA legacy_alter_table(ON)", "PRAGMA busy_timeout = 5000"],
    "mssql": ["SET XACT_ABORT ON", "SET IDENTITY_INSERT t ON", "USE other_db",
              "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "set xact_abort off;",
              "SET NOCOUNT ON; SET XACT_ABORT ON", "USE [other db]", "SET CONTEXT_INFO 0x01",
              "SET LANGUAGE us_english -- not an INSERT",
              "EXEC sp_set_session_context @key = N'tenant', @value = 1",
              "EXECUTE sys.sp_set_session_context N'tenant', 'x; DELETE FROM t'",
              "EXECUTE AS USER = 'app'", "REVERT"],
}
NOT_SESSION = {
    "mysql": [
        "SET GLOBAL max_connections = 10", "SET @@global.sql_mode = ''",
        "SET PERSIST max_connections = 10", "SET PASSWORD = PASSWORD('x')",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SET DEFAULT ROLE app FOR u",
        "SET STATEMENT max_statement_time = 10 FOR ALTER TABLE t ADD COLUMN c INTEGER",
        "ALTER TABLE t ADD COLUMN c INTEGER", "INSERT INTO t VALUES (1)", "SELECT 1",
        "UPDATE t SET x = 1", "RESET QUERY CACHE",
        # an assignment that outlives the connection, a statement that does more
        "SET SESSION x = 1, GLOBAL y = 2", "SET @@session.x = 1, @@global.y = 2",
        "SET x = 1, PERSIST_ONLY y = 2", "/*!40101 SET @@GLOBAL.x = 1 */",
        "/*!50001 CREATE VIEW v AS SELECT 1 */", "/* plain */ CREATE TABLE t (x INT)",
        "SET foreign_key_checks = 0; DROP TABLE t", "SET a = 1 /*!, GLOBAL b = 2 */; DELETE FROM t",
        sa.schema.CreateTable(sa.Table("t", sa.MetaData(), sa.Column("x", sa.Integer))),
    ],
    "postgresql": ["SET LOCAL search_path TO side", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
                   "SET CONSTRAINTS ALL DEFERRED", "CREATE SCHEMA side",
                   # transaction-local (is_local true), or more than settings in the SELECT
                   "SELECT set_config('search_path', 'side', true)",
                   "SELECT set_config('search_path', 'side', 'on')",
                   "SELECT set_config('search_path', 'side', :local)",
                   "SELECT set_config('a.b', '1', false), set_config('c.d', '1', true)",
                   "SELECT set_config('a.b', '1', false), 1",
                   "SELECT set_config('a.b', '1', false), nextval('s')",
                   "SELECT set_config('a.b', (SELECT max(x) FROM t)::text, false)",
                   "SELECT set_config('a.b', f(), false)",
                   "SELECT set_config('a.b', '1', false) FROM t",
                   "SELECT set_config('a.b', '1', false) WHERE false",
                   "SELECT set_config('a.b', '1')", "SELECT set_config('a.b', '1', false",
                   "SELECT other.set_config('a.b', '1', false)",
                   "SELECT current_setting('search_path')", "SELECT 1",
                   # several statements, one of which does more
                   "SET search_path TO side; CREATE TABLE t (x INTEGER)",
                   "SELECT set_config('a.b', '1', false); DELETE FROM t",
                   "RESET ALL; INSERT INTO t VALUES (1)", ";"],
    "oracle": ["SET TRANSACTION READ ONLY", "SET CONSTRAINTS ALL DEFERRED",
               "ALTER SYSTEM SET processes = 100", "ALTER TABLE t ADD c NUMBER"],
    "sqlite": ["PRAGMA table_info(t)", "PRAGMA foreign_keys", "PRAGMA user_version = 3",
               "PRAGMA journal_mode = WAL", "PRAGMA defer_foreign_keys = ON",
               "PRAGMA foreign_key_check(t)", "SELECT 1"],
    "mssql": ["ALTER TABLE t ADD c INT", "INSERT INTO t VALUES (1)", "EXEC sp_rename 't', 'u'",
              # T-SQL needs no ';' between statements: a SET followed by another statement
              "SET IDENTITY_INSERT t ON; INSERT INTO t VALUES (1)",
              "SET IDENTITY_INSERT t ON\nINSERT INTO t (id) VALUES (1)\nSET IDENTITY_INSERT t OFF",
              "SET NOCOUNT ON SELECT 1", "USE other_db CREATE TABLE t (x INT)",
              "SET @v = (SELECT max(id) FROM t)", "EXEC sp_set_session_context 'k', 1 DELETE t"],
}


@pytest.mark.parametrize("dialect, sql", [(d, s) for d, many in SESSION.items() for s in many])
def test_session_statements(dialect, sql):
    assert _impl(dialect).session_statement(sql) is True


@pytest.mark.parametrize("dialect, sql",
                         [(d, s) for d, many in NOT_SESSION.items() for s in many])
def test_not_session_statements(dialect, sql):
    assert _impl(dialect).session_statement(sql) is False


@pytest.mark.parametrize("sql, kind", [
    ("ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD'", None),
    (sa.text("alter session set current_schema = app"), None),
    ("ALTER SYSTEM SET processes = 100", None),
    ("ALTER TABLE t ADD c NUMBER", COMMITS),
    ("INSERT INTO t VALUES (1)", None),
    (sa.schema.CreateTable(sa.Table("t", sa.MetaData(), sa.Column("x", sa.Integer))), COMMITS),
])
def test_oracle_alter_session_commits_nothing(sql, kind):
    """Oracle commits before and after DDL, but ALTER SESSION and ALTER SYSTEM are not DDL:
    counted as such, mig committed the INSERT before one itself (a failure later could no
    longer roll it back) and counted the ALTER SESSION as taken effect."""
    assert _impl("oracle").commit_kind(sql) == kind


@pytest.mark.parametrize("dialect, sql, part", [
    ("postgresql", "SET search_path TO side; CREATE TABLE t (n INTEGER)", "SET search_path TO side"),
    ("postgresql", "CREATE TABLE t (n int); SELECT set_config('a.b', 'x;y', false); "
     "INSERT INTO t VALUES (1); RESET role", "SELECT set_config('a.b', 'x;y', false); RESET role"),
    ("mysql", "SET foreign_key_checks = 0; CREATE TABLE t (n INT)", "SET foreign_key_checks = 0"),
    ("mysql", "CREATE TABLE t (n INT); USE other; SET GLOBAL x = 1", "USE other"),
    ("mssql", "SET XACT_ABORT ON; CREATE TABLE t (n INT);", "SET XACT_ABORT ON"),
    ("postgresql", "CREATE TABLE t (n INT); INSERT INTO t VALUES (1)", None),
    ("postgresql", "SET LOCAL lock_timeout = 0; CREATE TABLE t (n INT)", None),
    ("mssql", "SET XACT_ABORT ON CREATE TABLE t (n INT)", None),  # one statement, not a SET
    ("oracle", "ALTER SESSION SET x = 1", "ALTER SESSION SET x = 1"),
    ("sqlite", "PRAGMA foreign_keys = ON", "PRAGMA foreign_keys = ON"),
])
def test_session_part_of_a_text_of_several_statements(dialect, sql, part):
    """What ``--resume`` sends again when it skips a text of several statements: the ones that
    only set the session's state, a whole session statement as it is, or nothing."""
    got = _impl(dialect).session_part(sql)
    assert got == part
    if part == sql:
        assert got is sql


def test_session_part_of_a_text_clause_keeps_the_bound_values_it_names():
    sql = sa.text("SET search_path TO side; INSERT INTO t VALUES (:n); SET ROLE :r").bindparams(
        n=1, r="app")
    part = _impl("postgresql").session_part(sql)
    assert part.text == "SET search_path TO side; SET ROLE :r"
    assert {key: bind.value for key, bind in part._bindparams.items()} == {"r": "app"}
    assert _impl("postgresql").session_part(sa.text("SET ROLE app")) is not None
