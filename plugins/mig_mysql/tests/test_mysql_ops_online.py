"""Operations on the real MariaDB server, each result checked in the catalog.

The point of most of these: ``alter_column`` without ``existing_*`` reads the column from
information_schema, so a rename or type change keeps NOT NULL, the default, the comment,
AUTO_INCREMENT, ON UPDATE, the collation and column CHECKs.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from mysql_support import column_info, constraints, execute, indexes, rows, run, show_create
from runtime_support import shared_fixtures

from mig_core.errors import CommandError, MigWarning
from mig_core.operations import Operations
from mig_core.runtime.migration import MigrationContext

mysql_url = shared_fixtures().mysql_url

pytestmark = pytest.mark.mysql

ACCT = (
    "CREATE TABLE acct ("
    " id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY COMMENT 'the id',"
    " name VARCHAR(50) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL DEFAULT 'it''s'"
    " COMMENT 'nm',"
    " n INT NOT NULL DEFAULT 5 COMMENT 'count' CHECK (n > 0),"
    " ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,"
    " g INT AS (n * 2) VIRTUAL,"
    " hidden INT INVISIBLE,"
    " doc JSON)"
)


@pytest.fixture
def engine(mysql_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    execute(eng, "DROP TABLE IF EXISTS child", "DROP TABLE IF EXISTS acct",
            "DROP TABLE IF EXISTS acct2", ACCT)
    yield eng
    eng.dispose()


def info(engine: sa.Engine, column: str, table: str = "acct") -> dict[str, Any]:
    found = column_info(engine, table, column)
    assert found is not None, f"{table}.{column} is missing"
    return found


# --- alter_column: what the catalog fills ------------------------------------------------------


def test_rename_keeps_everything(engine: sa.Engine) -> None:
    run(engine, lambda op: op.alter_column("acct", "name", new_column_name="full_name"))
    assert info(engine, "full_name") == {
        "COLUMN_TYPE": "varchar(50)", "IS_NULLABLE": "NO", "COLUMN_DEFAULT": "'it''s'",
        "EXTRA": "", "COLUMN_COMMENT": "nm", "COLLATION_NAME": "latin1_bin",
    }


def test_rename_with_a_change_is_one_change_keeping_the_rest(engine: sa.Engine) -> None:
    run(engine, lambda op: op.alter_column("acct", "id", new_column_name="ident",
                                           comment="key"))
    assert info(engine, "ident") == {
        "COLUMN_TYPE": "int(10) unsigned", "IS_NULLABLE": "NO", "COLUMN_DEFAULT": None,
        "EXTRA": "auto_increment", "COLUMN_COMMENT": "key", "COLLATION_NAME": None,
    }


def test_type_change_keeps_not_null_default_comment_and_check(engine: sa.Engine) -> None:
    run(engine, lambda op: op.alter_column("acct", "n", type_=sa.BigInteger))
    assert info(engine, "n") == {
        "COLUMN_TYPE": "bigint(20)", "IS_NULLABLE": "NO", "COLUMN_DEFAULT": "5",
        "EXTRA": "", "COLUMN_COMMENT": "count", "COLLATION_NAME": None,
    }
    assert "CHECK (`n` > 0)" in show_create(engine, "acct")


def test_type_change_keeps_auto_increment(engine: sa.Engine) -> None:
    run(engine, lambda op: op.alter_column("acct", "id", type_=sa.BigInteger))
    found = info(engine, "id")
    assert (found["COLUMN_TYPE"], found["EXTRA"], found["COLUMN_COMMENT"]) == (
        "bigint(20)", "auto_increment", "the id"
    )


def test_string_type_change_keeps_the_collation(engine: sa.Engine) -> None:
    run(engine, lambda op: op.alter_column("acct", "name", type_=sa.String(80)))
    found = info(engine, "name")
    assert (found["COLUMN_TYPE"], found["COLLATION_NAME"], found["IS_NULLABLE"]) == (
        "varchar(80)", "latin1_bin", "NO"
    )


def test_type_whose_mysql_variant_states_the_collation(engine: sa.Engine) -> None:
    """Airflow's ``String(1500).with_variant(String(1500, collation="latin1_general_cs"),
    "mysql")`` as ``existing_type`` / ``type_``: the variant states a collation, so the
    catalog's is not restated after it (mig wrote ``COLLATE latin1_general_cs CHARACTER SET
    latin1 COLLATE latin1_general_cs``, a syntax error)."""
    variant = sa.String(80).with_variant(sa.String(80, collation="latin1_general_cs"), "mysql")
    execute(engine, "ALTER TABLE acct ADD uri VARCHAR(80) COLLATE latin1_general_cs NULL")
    run(engine, lambda op: op.alter_column("acct", "uri", existing_type=variant, nullable=False))
    run(engine, lambda op: op.alter_column("acct", "name", type_=variant))
    for column in ("uri", "name"):
        found = info(engine, column)
        assert (found["COLUMN_TYPE"], found["COLLATION_NAME"], found["IS_NULLABLE"]) == (
            "varchar(80)", "latin1_general_cs", "NO"
        )


def test_nullable_change_keeps_default_and_comment(engine: sa.Engine) -> None:
    run(engine, lambda op: op.alter_column("acct", "n", nullable=True))
    found = info(engine, "n")
    assert (found["IS_NULLABLE"], found["COLUMN_DEFAULT"], found["COLUMN_COMMENT"]) == (
        "YES", "5", "count"
    )


def test_caller_values_win_over_the_catalog(engine: sa.Engine) -> None:
    run(engine, lambda op: op.alter_column("acct", "n", type_=sa.Integer,
                                           existing_nullable=True, existing_comment=""))
    found = info(engine, "n")
    assert (found["IS_NULLABLE"], found["COLUMN_DEFAULT"], found["COLUMN_COMMENT"]) == (
        "YES", "5", ""
    )


def test_default_change_keeps_on_update(engine: sa.Engine) -> None:
    """MariaDB's ALTER COLUMN SET DEFAULT drops ON UPDATE: mig restates the column instead."""
    run(engine, lambda op: op.alter_column("acct", "ts", server_default="2000-01-01 00:00:00"))
    found = info(engine, "ts")
    assert found["COLUMN_DEFAULT"] == "'2000-01-01 00:00:00'"
    assert found["EXTRA"] == "on update current_timestamp()"


def test_default_only_changes(engine: sa.Engine) -> None:
    run(engine, lambda op: op.alter_column("acct", "n", server_default="7"))
    assert info(engine, "n")["COLUMN_DEFAULT"] == "7"
    run(engine, lambda op: op.alter_column("acct", "n", server_default=sa.text("(1 + 2)")))
    assert info(engine, "n")["COLUMN_DEFAULT"] == "(1 + 2)"
    run(engine, lambda op: op.alter_column("acct", "n", server_default=None))
    found = info(engine, "n")
    assert (found["COLUMN_DEFAULT"], found["IS_NULLABLE"], found["COLUMN_COMMENT"]) == (
        None, "NO", "count"
    )


def test_generated_invisible_and_json_columns_are_restated(engine: sa.Engine) -> None:
    def fn(op: Any) -> None:
        op.alter_column("acct", "g", comment="doubled")
        op.alter_column("acct", "hidden", type_=sa.BigInteger)
        op.alter_column("acct", "doc", nullable=False)

    run(engine, fn)
    ddl = show_create(engine, "acct")
    assert "`g` int(11) GENERATED ALWAYS AS (`n` * 2) VIRTUAL COMMENT 'doubled'" in ddl
    assert "`hidden` bigint(20) INVISIBLE" in ddl
    assert "`doc` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK " in ddl


def test_rename_with_a_change_restates_the_column_check_in_the_new_name(
    engine: sa.Engine,
) -> None:
    """Airflow renames JSON columns with a type: ``alter_column("dataset_expression",
    new_column_name="asset_expression", type_=sa.JSON())``. MariaDB's JSON is a LONGTEXT with
    ``CHECK (json_valid(`dataset_expression`))``; restated as read, the ``CHANGE`` failed with
    "Unknown column 'dataset_expression' in 'CHECK'"."""
    def fn(op: Any) -> None:
        op.alter_column("acct", "doc", new_column_name="document", type_=sa.JSON())
        op.alter_column("acct", "n", new_column_name="count", nullable=True)

    run(engine, fn)
    ddl = show_create(engine, "acct")
    assert "CHECK (json_valid(`document`))" in ddl
    assert "`count` int(11) DEFAULT 5 COMMENT 'count' CHECK (`count` > 0)" in ddl


def test_timestamp_function_default(engine: sa.Engine) -> None:
    execute(engine, "ALTER TABLE acct ADD COLUMN at DATETIME NULL")
    run(engine, lambda op: op.alter_column("acct", "at",
                                           server_default=sa.text("CURRENT_TIMESTAMP")))
    assert info(engine, "at")["COLUMN_DEFAULT"] == "current_timestamp()"


def test_missing_column_is_a_clear_error(engine: sa.Engine) -> None:
    with pytest.raises(CommandError, match=r"alter_column\('acct', 'nope'\): no such column"):
        run(engine, lambda op: op.alter_column("acct", "nope", nullable=True))


def test_pure_rename_without_catalog_lookup_is_rename_column(engine: sa.Engine) -> None:
    """RENAME COLUMN keeps what the column is by itself, whatever existing_* say."""
    run(engine, lambda op: op.alter_column("acct", "n", new_column_name="cnt",
                                           existing_type=sa.Integer))
    found = info(engine, "cnt")
    assert (found["IS_NULLABLE"], found["COLUMN_DEFAULT"], found["COLUMN_COMMENT"]) == (
        "NO", "5", "count"
    )


# --- constraints, indexes, IF [NOT] EXISTS --------------------------------------------------


def _with_child(engine: sa.Engine) -> None:
    execute(
        engine,
        "CREATE TABLE child (id INT PRIMARY KEY, acct_id INT UNSIGNED, code INT,"
        " CONSTRAINT fk_acct FOREIGN KEY (acct_id) REFERENCES acct (id),"
        " CONSTRAINT uq_code UNIQUE (code), CONSTRAINT ck_code CHECK (code > 0))",
    )


def test_drop_constraint_by_type(engine: sa.Engine) -> None:
    _with_child(engine)

    def fn(op: Any) -> None:
        op.drop_constraint("fk_acct", "child", type_="foreignkey")
        op.drop_constraint("uq_code", "child", type_="unique")
        op.drop_constraint("ck_code", "child", type_="check")
        op.drop_constraint("PRIMARY", "child", type_="primary")

    run(engine, fn)
    assert constraints(engine, "child") == {}


def test_drop_constraint_without_type_reads_the_kind(engine: sa.Engine) -> None:
    _with_child(engine)

    def fn(op: Any) -> None:
        op.drop_constraint("fk_acct", "child")
        op.drop_constraint("uq_code", "child")
        op.drop_constraint("ck_code", "child")

    run(engine, fn)
    assert constraints(engine, "child") == {"PRIMARY": "PRIMARY KEY"}


def test_drop_constraint_without_type_unknown_name(engine: sa.Engine) -> None:
    _with_child(engine)
    with pytest.raises(CommandError, match=r"drop_constraint\('nope'\) on 'child': no such"):
        run(engine, lambda op: op.drop_constraint("nope", "child"))
    run(engine, lambda op: op.drop_constraint("nope", "child", if_exists=True))


def test_if_exists_forms_run_on_mariadb(engine: sa.Engine) -> None:
    _with_child(engine)

    def fn(op: Any) -> None:
        for _ in range(2):
            op.add_column("child", sa.Column("x", sa.Integer), if_not_exists=True)
            op.create_index("ix_x", "child", ["x"], if_not_exists=True)
        for _ in range(2):
            op.drop_index("ix_x", "child", if_exists=True)
            op.drop_column("child", "x", if_exists=True)
            op.drop_constraint("fk_acct", "child", type_="foreignkey", if_exists=True)
            op.drop_constraint("ck_code", "child", type_="check", if_exists=True)
            op.drop_constraint("uq_code", "child", type_="unique", if_exists=True)

    run(engine, fn)
    assert column_info(engine, "child", "x") is None
    assert constraints(engine, "child") == {"PRIMARY": "PRIMARY KEY"}


def test_indexes_with_mysql_options(engine: sa.Engine) -> None:
    execute(engine, "ALTER TABLE acct ADD COLUMN body TEXT")

    def fn(op: Any) -> None:
        op.create_index("ix_name", "acct", ["name", "n"], mysql_length={"name": 10})
        op.create_index("ix_body", "acct", ["body"], mysql_prefix="FULLTEXT")

    run(engine, fn)
    assert rows(
        engine,
        "SELECT INDEX_NAME, COLUMN_NAME, SUB_PART, INDEX_TYPE FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'acct' AND INDEX_NAME LIKE 'ix%' "
        "ORDER BY INDEX_NAME, SEQ_IN_INDEX",
    ) == [("ix_body", "body", None, "FULLTEXT"), ("ix_name", "name", 10, "BTREE"),
          ("ix_name", "n", None, "BTREE")]
    run(engine, lambda op: op.drop_index("ix_name", "acct"))
    assert "ix_name" not in indexes(engine, "acct")


# --- tables, comments, data, batch ------------------------------------------------------------


def test_rename_table_and_comments(engine: sa.Engine) -> None:
    schema = engine.url.database

    def fn(op: Any) -> None:
        op.rename_table("acct", "acct2", schema=schema)
        op.create_table_comment("acct2", "accounts")

    run(engine, fn)
    assert rows(engine, "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE "
                "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'acct2'") == [("accounts",)]
    run(engine, lambda op: op.drop_table_comment("acct2"))
    assert rows(engine, "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE "
                "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'acct2'") == [("",)]


def test_create_table_bulk_insert_and_literals(engine: sa.Engine) -> None:
    def fn(op: Any) -> None:
        t = op.create_table(
            "acct2",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("s", sa.String(20), comment="text"),
            sa.Column("twice", sa.Integer, sa.Computed("id * 2")),
            mysql_engine="InnoDB", mysql_charset="utf8mb4", comment="copy",
        )
        op.bulk_insert(t, [{"s": "a\\b"}, {"s": "it's"}])
        op.execute(t.update().where(t.c.id == op.inline_literal(2))
                   .values(s=op.inline_literal("x\\y'z")))

    run(engine, fn)
    assert rows(engine, "SELECT id, s, twice FROM acct2 ORDER BY id") == [
        (1, "a\\b", 2), (2, "x\\y'z", 4)
    ]
    assert "COMMENT='copy'" in show_create(engine, "acct2")


def test_batch_runs_as_plain_alters(engine: sa.Engine) -> None:
    def fn(op: Any) -> None:
        with op.batch_alter_table("acct") as batch:
            batch.add_column(sa.Column("x", sa.Integer))
            batch.alter_column("name", new_column_name="nm")
            batch.alter_column("n", type_=sa.BigInteger)
            batch.create_index("ix_x", ["x"])

    run(engine, fn)
    assert info(engine, "nm")["COLLATION_NAME"] == "latin1_bin"
    assert info(engine, "n")["COLUMN_TYPE"] == "bigint(20)"
    assert info(engine, "n")["IS_NULLABLE"] == "NO"
    assert "ix_x" in indexes(engine, "acct")
    # no copy was made: the AUTO_INCREMENT counter and the table itself are the originals
    assert rows(engine, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                "TABLE_SCHEMA = DATABASE() ORDER BY 1") == [("acct",)]


def test_rename_table_in_another_schema_stays_there(engine: sa.Engine) -> None:
    """Unqualified, ``RENAME TO`` would move the table into the connection's database."""
    other = f"{engine.url.database}_other"
    execute(engine, f"DROP DATABASE IF EXISTS `{other}`", f"CREATE DATABASE `{other}`",
            f"CREATE TABLE `{other}`.t (a INT)")
    try:
        run(engine, lambda op: op.rename_table("t", "u", schema=other))
        assert rows(engine, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                    "WHERE TABLE_NAME IN ('t', 'u') AND TABLE_SCHEMA IN (:o, DATABASE())",
                    o=other) == [(other, "u")]
    finally:
        execute(engine, f"DROP DATABASE IF EXISTS `{other}`")


def test_drop_index_a_foreign_key_needs_is_a_clear_error(engine: sa.Engine) -> None:
    execute(
        engine,
        "CREATE TABLE child (id INT PRIMARY KEY, acct_id INT UNSIGNED,"
        " CONSTRAINT fk_child_acct FOREIGN KEY (acct_id) REFERENCES acct (id))",
        "CREATE INDEX ix_child_acct ON child (acct_id)",
    )
    with pytest.raises(CommandError) as raised:
        run(engine, lambda op: op.drop_index("ix_child_acct", "child"))
    message = str(raised.value)
    assert "drop_index('ix_child_acct') on 'child'" in message
    assert "a foreign key of the table needs this one" in message
    assert "op.drop_table drops the table's indexes" in message
    assert "ix_child_acct" in indexes(engine, "child")
    # the autogenerated downgrade's drop_index + drop_table works once the drop_index goes
    run(engine, lambda op: op.drop_table("child"))
    assert rows(engine, "SHOW TABLES LIKE 'child'") == []


def test_catalog_text_with_percent_signs_is_restated(engine: sa.Engine) -> None:
    """pymysql reads ``%`` in a statement as a format character: SQL the plugin writes as it
    is (the catalog's default, type, generation expression and CHECK, a ``text()`` default)
    has it doubled, as SQLAlchemy does for what it compiles."""
    execute(engine, "CREATE TABLE acct2 (id INT PRIMARY KEY,"
            " name VARCHAR(20) DEFAULT '5%' COMMENT 'x%', g INT AS (id % 2) VIRTUAL,"
            " e ENUM('50%','b'), m VARCHAR(20) CHECK (m LIKE '%@%'))")
    run(engine, lambda op: (
        op.alter_column("acct2", "name", new_column_name="name2", type_=sa.String(90)),
        op.alter_column("acct2", "g", comment="parity"),
        op.alter_column("acct2", "e", nullable=False),
        op.alter_column("acct2", "m", server_default=sa.text("'a%'")),
        op.alter_column("acct2", "m", comment="mail"),
    ))
    assert info(engine, "name2", "acct2")["COLUMN_DEFAULT"] == "'5%'"
    assert info(engine, "e", "acct2")["COLUMN_TYPE"] == "enum('50%','b')"
    m = info(engine, "m", "acct2")
    assert (m["COLUMN_DEFAULT"], m["COLUMN_COMMENT"]) == ("'a%'", "mail")
    created = show_create(engine, "acct2")
    assert "CHECK (`m` like '%@%')" in created
    assert "GENERATED ALWAYS AS (`id` MOD 2) VIRTUAL COMMENT 'parity'" in created


def test_expression_defaults_run_on_the_server(engine: sa.Engine) -> None:
    """The parentheses mig adds are what MariaDB needs (bare, both are syntax errors)."""
    run(engine, lambda op: op.alter_column("acct", "n", server_default=sa.text("1 + 1")))
    run(engine, lambda op: op.alter_column("acct", "ts",
                                           server_default=sa.text("now() + interval 1 day")))
    assert info(engine, "n")["COLUMN_DEFAULT"] == "(1 + 1)"
    ts = info(engine, "ts")
    assert ts["COLUMN_DEFAULT"] == "(current_timestamp() + interval 1 day)"
    assert ts["EXTRA"] == "on update current_timestamp()"  # read from the catalog, kept


def test_offline_default_change_statement_keeps_on_update_on_the_server(
    engine: sa.Engine,
) -> None:
    """The offline MODIFY (restated from existing_server_default) run on MariaDB."""
    from mysql_support import offline

    sql = offline(lambda op: op.alter_column(
        "acct", "ts", server_default=sa.text("'2020-01-01 00:00:00'"),
        existing_type=sa.TIMESTAMP, existing_nullable=False, existing_comment="",
        existing_server_default=sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")),
        "mariadb")
    execute(engine, sql.rstrip(";\n"))
    ts = info(engine, "ts")
    assert ts["COLUMN_DEFAULT"] == "'2020-01-01 00:00:00'"
    assert ts["EXTRA"] == "on update current_timestamp()"


def test_drop_index_if_exists_on_mysql_looks_the_index_up(engine: sa.Engine,
                                                           monkeypatch: Any) -> None:
    """MySQL has no ``DROP INDEX IF EXISTS``; Airflow drops an index only some databases have
    as ``with suppress(DatabaseError): op.drop_index(..., if_exists=True)``, which on MySQL
    relied on the server's syntax error. mig refused before running (a CommandError, not
    suppressed, so the revision failed); now it looks the index up and drops it when there.
    (MariaDB stands in for MySQL here by telling the dialect it is not MariaDB.)"""
    execute(engine, "CREATE INDEX ix_n ON acct (n)")
    with engine.connect() as conn:
        monkeypatch.setattr(conn.dialect, "is_mariadb", False)
        ctx = MigrationContext.configure(connection=conn)
        with Operations.context(ctx) as op:
            op.drop_index("ix_n", "acct", if_exists=True)
            op.drop_index("ix_n", "acct", if_exists=True)
            op.drop_index("ix_missing", "acct", if_exists=True)
    assert "ix_n" not in show_create(engine, "acct")


# --- what Alembic's restatement would have dropped ---------------------------------------------


def test_rename_without_existing_nullable_keeps_not_null_and_warns(engine: sa.Engine) -> None:
    """ZenML renames ``artifact_id`` to ``artifact_version_id`` in a batch with only
    ``existing_type``: Alembic's ``CHANGE`` writes the NOT NULL column as NULL. mig keeps it
    (read from the catalog) and warns that databases Alembic migrated have lost it."""
    execute(engine, "CREATE TABLE acct2 (id INT PRIMARY KEY, artifact_id CHAR(32) NOT NULL)")

    def rename(op: Any) -> None:
        with op.batch_alter_table("acct2") as batch_op:
            batch_op.alter_column("artifact_id", new_column_name="artifact_version_id",
                                  existing_type=sa.CHAR(32))

    with pytest.warns(MigWarning, match=r"keeps NOT NULL.*existing_nullable=False"):
        run(engine, rename)
    assert info(engine, "artifact_version_id", "acct2")["IS_NULLABLE"] == "NO"


def test_type_change_without_a_collation_keeps_the_columns_and_warns(engine: sa.Engine) -> None:
    """Airflow turns ``VARCHAR(500) COLLATE utf8mb3_bin`` columns into ``sa.Text()``: Alembic's
    ``MODIFY login TEXT`` gives them the table's collation; mig keeps the column's (read from
    the catalog) and says that databases Alembic migrated have the table's instead."""
    execute(engine, "CREATE TABLE acct2 (id INT PRIMARY KEY, "
                    "login VARCHAR(500) CHARACTER SET utf8mb3 COLLATE utf8mb3_bin)")
    with pytest.warns(MigWarning, match=r"keeps CHARACTER SET utf8mb3 COLLATE utf8mb3_bin.*"
                                        r"stating collation='utf8mb3_bin'"):
        run(engine, lambda op: op.alter_column("acct2", "login", type_=sa.Text(),
                                               existing_type=sa.VARCHAR(500),
                                               existing_nullable=True))
    assert info(engine, "login", "acct2")["COLLATION_NAME"] == "utf8mb3_bin"
    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)
        run(engine, lambda op: op.alter_column(
            "acct2", "login", type_=sa.Text(collation="utf8mb3_bin"), existing_nullable=True
        ))


def test_alter_column_stating_the_column_does_not_warn(engine: sa.Engine) -> None:
    """Saying what the column has (as autogenerate does), or a column that has nothing
    Alembic would drop, gives no warning."""
    execute(engine, "CREATE TABLE acct2 (id INT PRIMARY KEY, a CHAR(32) NOT NULL, b CHAR(32))")
    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)
        run(engine, lambda op: op.alter_column("acct2", "a", new_column_name="a2",
                                               existing_type=sa.CHAR(32), existing_nullable=False))
        run(engine, lambda op: op.alter_column("acct2", "b", type_=sa.CHAR(40)))
    assert info(engine, "a2", "acct2")["IS_NULLABLE"] == "NO"
