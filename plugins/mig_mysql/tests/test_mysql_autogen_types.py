"""Autogenerate on the real MariaDB / MySQL server: column types and server defaults as the
server stores them (no false differences), and real changes still found. A few spellings only
MySQL 8 produces (it is not available here) are checked on the parsers directly at the end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from autogen_support import autogenerate, build, changes, compare, run_rendered, table
from mysql_support import scalar
from runtime_support import shared_fixtures
from sqlalchemy.dialects import mysql

mysql_url = shared_fixtures().mysql_url


@pytest.fixture(scope="module")
def engine(mysql_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    yield eng
    eng.dispose()


def col(type_: Any, **kw: Any) -> sa.MetaData:
    return table(sa.Column("c", type_, **kw))


TYPE_CHANGE = [("modify_type", "t", "c")]
DEFAULT_CHANGE = [("modify_default", "t", "c")]


# --- types: not a difference ----------------------------------------------------------------

SAME_TYPES = [
    pytest.param(sa.Boolean(), sa.Boolean(), id="boolean-as-tinyint1"),
    pytest.param(mysql.TINYINT(display_width=1), sa.Boolean(), id="tinyint1-is-boolean"),
    pytest.param(sa.Integer(), sa.Integer(), id="int-display-width"),
    pytest.param(mysql.INTEGER(display_width=5), sa.Integer(), id="other-display-width"),
    pytest.param(sa.BigInteger(), sa.BigInteger(), id="bigint"),
    pytest.param(sa.SmallInteger(), sa.SmallInteger(), id="smallint"),
    pytest.param(mysql.INTEGER(unsigned=True), mysql.INTEGER(unsigned=True), id="unsigned"),
    # ZEROFILL makes the column UNSIGNED whether the model says so or not
    pytest.param(mysql.INTEGER(zerofill=True), mysql.INTEGER(zerofill=True), id="zerofill"),
    pytest.param(mysql.DECIMAL(8, 2, zerofill=True), mysql.DECIMAL(8, 2, zerofill=True),
                 id="zerofill-decimal"),
    pytest.param(sa.Enum("a", "b"), sa.Enum("b", "a"), id="enum-order"),
    pytest.param(mysql.SET("x", "y"), mysql.SET("y", "x"), id="set-order"),
    pytest.param(sa.Enum("a\\b", "it's\\"), sa.Enum("a\\b", "it's\\"), id="enum-backslash"),
    pytest.param(mysql.SET("a\\b", "y"), mysql.SET("a\\b", "y"), id="set-backslash"),
    pytest.param(sa.Enum("a", "b", native_enum=False), sa.Enum("a", "b", native_enum=False),
                 id="non-native-enum"),
    pytest.param(sa.JSON(), sa.JSON(), id="json"),
    pytest.param(sa.DateTime(), sa.DateTime(), id="datetime"),
    pytest.param(mysql.DATETIME(fsp=6), mysql.DATETIME(fsp=6), id="datetime-fsp"),
    pytest.param(mysql.TIMESTAMP(fsp=3), mysql.TIMESTAMP(fsp=3), id="timestamp-fsp"),
    pytest.param(mysql.TIME(fsp=2), mysql.TIME(fsp=2), id="time-fsp"),
    pytest.param(sa.Float(), sa.Float(), id="float"),
    pytest.param(sa.Double(), sa.Double(), id="double"),
    pytest.param(sa.REAL(), sa.REAL(), id="real-is-double"),
    pytest.param(sa.Float(precision=53), sa.Double(), id="float53-is-double"),
    pytest.param(sa.Numeric(10, 2), sa.Numeric(10, 2), id="numeric"),
    pytest.param(sa.Numeric(), sa.DECIMAL(), id="numeric-defaults"),
    pytest.param(sa.Numeric(12), sa.Numeric(12, 0), id="numeric-scale-0"),
    pytest.param(sa.Text(), sa.Text(), id="text"),
    pytest.param(mysql.MEDIUMTEXT(), mysql.MEDIUMTEXT(), id="mediumtext"),
    pytest.param(sa.Text(70000), sa.Text(70000), id="text-length-sized"),
    pytest.param(mysql.LONGTEXT(), mysql.LONGTEXT(), id="longtext"),
    pytest.param(sa.LargeBinary(), sa.LargeBinary(), id="blob"),
    pytest.param(sa.LargeBinary(70000), mysql.MEDIUMBLOB(), id="blob-length-sized"),
    pytest.param(sa.String(20), sa.String(20), id="varchar"),
    pytest.param(sa.Unicode(20), sa.String(20), id="unicode"),
    pytest.param(sa.String(20, collation="utf8mb4_bin"), sa.String(20), id="collation-unstated"),
    pytest.param(sa.String(20, collation="utf8mb4_bin"), sa.String(20, collation="utf8mb4_bin"),
                 id="collation"),
    pytest.param(mysql.VARCHAR(20, charset="latin1"), mysql.VARCHAR(20, charset="latin1"),
                 id="charset"),
    pytest.param(sa.CHAR(3), sa.CHAR(3), id="char"),
    pytest.param(sa.Uuid(), sa.Uuid(), id="uuid"),
    pytest.param(mysql.YEAR(), mysql.YEAR(), id="year"),
    pytest.param(mysql.BIT(3), mysql.BIT(3), id="bit"),
    pytest.param(sa.Date(), sa.Date(), id="date"),
]


@pytest.mark.parametrize(("database", "model"), SAME_TYPES)
def test_type_as_stored_is_not_a_difference(engine: sa.Engine, database: Any,
                                            model: Any) -> None:
    assert changes(engine, col(database), col(model)) == []


def test_enum_values_with_backslashes_are_rendered_as_stored(engine: sa.Engine) -> None:
    """Reflection leaves SHOW CREATE TABLE's ``\\\\`` in ENUM / SET values; the re-created
    table of a downgrade must have the values the server holds."""
    build(engine, table(sa.Column("c", sa.Enum("a\\b", "x")),
                        sa.Column("s", mysql.SET("a\\b", "y"))))
    _, _, down = autogenerate(engine, sa.MetaData())
    assert "mysql.ENUM('a\\\\b', 'x')" in down
    assert "mysql.SET('a\\\\b', 'y')" in down


def test_json_with_mariadb_check_constraint_is_not_a_difference(engine: sa.Engine) -> None:
    found = changes(engine, col(sa.JSON), col(sa.JSON), compare_server_default=True)
    assert found == []
    if engine.dialect.is_mariadb:  # MariaDB's JSON: LONGTEXT with CHECK (json_valid(c))
        assert scalar(engine, "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE "
                      "TABLE_SCHEMA = DATABASE() AND COLUMN_NAME = 'c'") == "longtext"
        assert scalar(engine, "SELECT COUNT(*) FROM information_schema.CHECK_CONSTRAINTS "
                      "WHERE CONSTRAINT_SCHEMA = DATABASE()") == 1


def test_mariadb_json_of_a_dropped_table_or_column_is_re_created_as_json(
    engine: sa.Engine,
) -> None:
    """Reflection gives MariaDB's JSON as LONGTEXT: the downgrade re-creating a dropped table
    or column writes ``sa.JSON()``, so the server's ``json_valid`` CHECK comes back too."""
    database = table(sa.Column("j", sa.JSON), name="gone")
    table(sa.Column("j", sa.JSON), sa.Column("txt", sa.Text), name="kept", metadata=database)
    build(engine, database)
    if not engine.dialect.is_mariadb:
        pytest.skip("MariaDB's JSON")
    model = table(sa.Column("txt", sa.Text), name="kept")
    imports, up, down = autogenerate(engine, model)
    assert down.count("sa.Column('j', sa.JSON(), nullable=True)") == 2
    run_rendered(engine, up, imports)
    run_rendered(engine, down, imports)
    assert scalar(engine, "SELECT COUNT(*) FROM information_schema.CHECK_CONSTRAINTS WHERE "
                  "CONSTRAINT_SCHEMA = DATABASE() AND CHECK_CLAUSE = 'json_valid(`j`)'") == 2


def test_collation_named_by_the_model_that_is_the_default_is_not_a_difference(
    engine: sa.Engine,
) -> None:
    default = scalar(engine, "SELECT @@collation_database")
    # SHOW CREATE TABLE leaves the table's own collation out; mig reads the column's
    assert changes(engine, col(sa.String(20)), col(sa.String(20, collation=default))) == []
    charset = scalar(engine, "SELECT @@character_set_database")
    assert changes(engine, col(sa.String(20)), col(mysql.VARCHAR(20, charset=charset))) == []


# --- types: a difference ----------------------------------------------------------------------

CHANGED_TYPES = [
    pytest.param(sa.String(20), sa.String(50), id="varchar-length"),
    pytest.param(sa.Integer(), sa.BigInteger(), id="int-to-bigint"),
    pytest.param(sa.Integer(), mysql.INTEGER(unsigned=True), id="unsigned"),
    pytest.param(mysql.TINYINT(), sa.Boolean(), id="tinyint4-to-boolean"),
    pytest.param(sa.Boolean(), sa.Integer(), id="boolean-to-int"),
    pytest.param(sa.Enum("a", "b"), sa.Enum("a", "b", "c"), id="enum-new-value"),
    pytest.param(sa.Enum("a", "b"), sa.Enum("a"), id="enum-value-removed"),
    pytest.param(sa.Enum("a\\b"), sa.Enum("a\\\\b"), id="enum-backslash-doubled"),
    pytest.param(mysql.DATETIME(fsp=6), mysql.DATETIME(fsp=3), id="fsp"),
    pytest.param(mysql.DATETIME(fsp=6), sa.DateTime(), id="fsp-dropped"),
    pytest.param(sa.DateTime(), sa.TIMESTAMP(), id="datetime-to-timestamp"),
    pytest.param(sa.Float(), sa.Double(), id="float-to-double"),
    pytest.param(sa.Numeric(10, 2), sa.Numeric(12, 2), id="numeric-precision"),
    pytest.param(sa.Numeric(10, 2), sa.Numeric(10, 4), id="numeric-scale"),
    pytest.param(sa.Numeric(12, 2), sa.Numeric(), id="numeric-to-default"),
    pytest.param(sa.Text(), mysql.LONGTEXT(), id="text-to-longtext"),
    pytest.param(mysql.MEDIUMTEXT(), sa.Text(), id="mediumtext-to-text"),
    pytest.param(sa.Text(), sa.String(200), id="text-to-varchar"),
    pytest.param(sa.LargeBinary(), mysql.LONGBLOB(), id="blob-to-longblob"),
    pytest.param(sa.Text(), sa.JSON(), id="text-to-json"),
    pytest.param(sa.String(20), sa.String(20, collation="utf8mb4_bin"), id="collation-added"),
    pytest.param(sa.String(20, collation="utf8mb4_bin"),
                 sa.String(20, collation="utf8mb4_unicode_ci"), id="collation-changed"),
    pytest.param(mysql.VARCHAR(20, charset="latin1"), mysql.VARCHAR(20, charset="utf8mb4"),
                 id="charset-changed"),
    pytest.param(mysql.BIT(1), mysql.BIT(4), id="bit-length"),
]


@pytest.mark.parametrize(("database", "model"), CHANGED_TYPES)
def test_type_change_is_reported(engine: sa.Engine, database: Any, model: Any) -> None:
    assert changes(engine, col(database), col(model)) == TYPE_CHANGE


# --- server defaults: not a difference --------------------------------------------------------

SAME_DEFAULTS = [
    pytest.param(sa.Integer(), "1", "1", id="int-string-1"),
    pytest.param(sa.Integer(), sa.text("1"), "1", id="int-text-1"),
    pytest.param(sa.Integer(), "-3", sa.text("-3"), id="negative"),
    pytest.param(sa.Float(), "1", "1", id="float-1"),
    pytest.param(sa.Numeric(10, 2), "2.5", "2.5", id="numeric-2.50"),
    pytest.param(sa.Boolean(), sa.true(), sa.true(), id="boolean-true"),
    pytest.param(sa.Boolean(), sa.false(), "0", id="boolean-false-as-0"),
    pytest.param(sa.String(10), "x", "x", id="string"),
    pytest.param(sa.String(10), "it's", "it's", id="string-quote"),
    pytest.param(sa.String(10), "0", sa.text("'0'"), id="string-zero"),
    # the server writes backslashes escaped ('a\\b'); a model string is the value itself
    pytest.param(sa.String(10), "a\\b", "a\\b", id="string-backslash"),
    pytest.param(sa.String(10), "x\\'y", "x\\'y", id="string-backslash-quote"),
    pytest.param(sa.String(10), "\\n", "\\n", id="string-backslash-n"),
    pytest.param(sa.String(10), "a\\b", sa.text("'a\\\\b'"), id="string-backslash-as-sql"),
    pytest.param(sa.String(10), "NULL", "NULL", id="string-NULL-text"),
    pytest.param(sa.String(10), sa.text("NULL"), sa.text("NULL"), id="null"),
    pytest.param(sa.String(10), None, sa.text("NULL"), id="null-is-none"),
    pytest.param(sa.Enum("a", "b"), "b", "b", id="enum"),
    pytest.param(sa.DateTime(), sa.text("CURRENT_TIMESTAMP"), sa.text("CURRENT_TIMESTAMP"),
                 id="current-timestamp"),
    pytest.param(sa.DateTime(), sa.func.now(), sa.text("CURRENT_TIMESTAMP"), id="now"),
    pytest.param(sa.TIMESTAMP(), sa.text("CURRENT_TIMESTAMP"), sa.func.current_timestamp(),
                 id="timestamp-func"),
    pytest.param(mysql.DATETIME(fsp=6), sa.text("CURRENT_TIMESTAMP(6)"),
                 sa.text("CURRENT_TIMESTAMP(6)"), id="current-timestamp-fsp"),
    pytest.param(sa.DateTime(), "2020-01-01", "2020-01-01 00:00:00", id="date-literal"),
    pytest.param(sa.Date(), sa.text("(curdate())"), sa.text("(CURDATE())"), id="curdate"),
    pytest.param(sa.Float(), sa.text("(rand())"), sa.text("(rand())"), id="rand"),
    pytest.param(sa.Integer(), sa.text("(1 + 2)"), sa.text("(1 + 2)"), id="expression"),
    # SQLAlchemy cannot read a MariaDB expression default holding a string literal from
    # SHOW CREATE TABLE (it reflects None): information_schema has it
    pytest.param(sa.String(20), sa.text("(concat('a', 'b'))"), sa.text("concat('a','b')"),
                 id="expression-with-string"),
]


@pytest.mark.parametrize(("type_", "database", "model"), SAME_DEFAULTS)
def test_default_as_stored_is_not_a_difference(engine: sa.Engine, type_: Any, database: Any,
                                               model: Any) -> None:
    found = changes(engine, col(type_, server_default=database),
                    col(type_, server_default=model), compare_server_default=True)
    assert found == []


def test_on_update_stated_in_the_default_is_not_a_difference(engine: sa.Engine) -> None:
    default = sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")
    model = col(sa.TIMESTAMP(), server_default=default)
    assert changes(engine, model, model, compare_server_default=True) == []


def test_on_update_stated_as_server_onupdate_is_not_a_difference(engine: sa.Engine) -> None:
    database = col(sa.DateTime(), server_default=sa.text(
        "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"))
    for onupdate in (sa.FetchedValue(), sa.text("CURRENT_TIMESTAMP")):
        model = col(sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"),
                    server_onupdate=onupdate)
        assert changes(engine, database, model, compare_server_default=True) == []


@pytest.mark.parametrize("how", ["create_table", "add_column", "alter_column"])
def test_on_update_stated_as_server_onupdate_is_created(engine: sa.Engine, how: str) -> None:
    """SQLAlchemy's DDL leaves ``server_onupdate`` out: the revision writes it into the
    column's ``server_default``, so the upgrade creates the ON UPDATE the comparison expects
    (it used to report the column again after every upgrade)."""
    model = col(sa.TIMESTAMP(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP"),
                server_onupdate=sa.text("CURRENT_TIMESTAMP"))
    if how == "create_table":
        build(engine, sa.MetaData())
    else:
        build(engine, table() if how == "add_column" else col(
            sa.TIMESTAMP(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")))
    imports, up, down = autogenerate(engine, model, compare_server_default=True)
    assert "server_default=sa.text('CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP')" in up
    run_rendered(engine, up, imports)
    assert compare(engine, model, compare_server_default=True) == []
    assert "on update" in scalar(
        engine, "SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = 't' AND COLUMN_NAME = 'c'").lower()


# --- server defaults: a difference ------------------------------------------------------------

CHANGED_DEFAULTS = [
    pytest.param(sa.Integer(), "1", "2", id="number"),
    pytest.param(sa.Numeric(10, 2), "2.5", "2.25", id="decimal"),
    pytest.param(sa.Boolean(), sa.true(), sa.false(), id="boolean"),
    pytest.param(sa.String(10), "x", "y", id="string"),
    pytest.param(sa.String(10), "x", None, id="string-removed"),
    pytest.param(sa.String(10), "a\\b", "a\\c", id="string-backslash"),
    pytest.param(sa.String(10), "a\\b", "ab", id="string-backslash-removed"),
    pytest.param(sa.String(10), None, "x", id="string-added"),
    pytest.param(sa.String(10), "NULL", sa.text("NULL"), id="NULL-text-to-null"),
    pytest.param(sa.DateTime(), sa.text("CURRENT_TIMESTAMP"), "2020-01-01 00:00:00",
                 id="expression-to-literal"),
    pytest.param(sa.DateTime(), "2020-01-01", "2021-01-01", id="date-literal"),
    pytest.param(sa.Float(), sa.text("(rand())"), sa.text("(pi())"), id="expression"),
    pytest.param(sa.String(20), sa.text("(concat('a', 'b'))"), sa.text("(concat('a', 'c'))"),
                 id="expression-with-string"),
]


@pytest.mark.parametrize(("type_", "database", "model"), CHANGED_DEFAULTS)
def test_default_change_is_reported(engine: sa.Engine, type_: Any, database: Any,
                                    model: Any) -> None:
    found = changes(engine, col(type_, server_default=database),
                    col(type_, server_default=model), compare_server_default=True)
    assert found == DEFAULT_CHANGE


def test_on_update_added_or_removed_is_reported(engine: sa.Engine) -> None:
    plain = col(sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"))
    updating = col(sa.DateTime(), server_default=sa.text(
        "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"))
    assert changes(engine, plain, updating, compare_server_default=True) == DEFAULT_CHANGE
    assert changes(engine, updating, plain, compare_server_default=True) == DEFAULT_CHANGE


# --- MySQL 8 spellings (parsers only: no MySQL 8 server here) ---------------------------------


@pytest.mark.parametrize(("conn", "meta", "type_", "differ"), [
    ("'1'", "1", sa.Integer(), False),  # MySQL 8 quotes numeric defaults
    ("'2.50'", "'2.5'", sa.Numeric(10, 2), False),
    ("(rand())", "rand()", sa.Float(), False),  # MySQL 8 keeps expression parentheses
    ("CURRENT_TIMESTAMP", "now()", sa.DateTime(), False),
    ("CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)",
     "CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)", sa.DateTime(), False),
    ("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP", sa.DateTime(), True),
    ("'1'", "2", sa.Integer(), True),
])
def test_mysql8_default_spellings(conn: str, meta: str, type_: Any, differ: bool) -> None:
    from mig_mysql.defaults import server_defaults_differ

    meta_col = sa.Column("c", type_)
    assert server_defaults_differ(mysql.dialect(), None, meta_col, conn, meta) is differ


@pytest.mark.parametrize(("conn", "meta", "differ"), [
    (mysql.INTEGER(), sa.Integer(), False),  # MySQL 8.0.19+ shows no display width
    (mysql.TINYINT(display_width=1), sa.Boolean(), False),
    (mysql.JSON(), sa.JSON(), False),
    (mysql.LONGTEXT(), sa.JSON(), True),  # only MariaDB's JSON is LONGTEXT
    (mysql.VARCHAR(20, charset="utf8mb3"), mysql.VARCHAR(20, charset="utf8"), False),
])
def test_mysql8_type_spellings(conn: Any, meta: Any, differ: bool) -> None:
    from mig_mysql.typecompare import types_differ

    assert types_differ(mysql.dialect(), conn, meta) is differ
