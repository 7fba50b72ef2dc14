"""Every MySQL / MariaDB operation as exact offline SQL, on SQLAlchemy's ``mysql`` dialect
(MySQL 8 assumed) and its ``mariadb`` dialect (MariaDB 10.11 assumed)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from mysql_support import offline, script

from mig_core.cli import main
from mig_core.errors import CommandError, MigWarning

BOTH = pytest.mark.parametrize("dialect", ["mysql", "mariadb"])


def sql_of(fn: Any, dialect: str = "mysql", **opts: Any) -> str:
    """The offline script, failing on any warning (tests of warnings catch them themselves)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return offline(fn, dialect, **opts)


# --- framing -------------------------------------------------------------------------------


@BOTH
def test_statements_end_with_semicolon_and_no_transaction(dialect: str) -> None:
    def fn(op: Any) -> None:
        op.add_column("t", sa.Column("x", sa.Integer))
        op.drop_column("t", "y")

    assert sql_of(fn, dialect) == script(
        "ALTER TABLE t ADD COLUMN x INTEGER", "ALTER TABLE t DROP COLUMN y"
    )


def test_upgrade_script_has_plain_version_statements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """``mig upgrade --sql`` on mysql://: version table DDL and INSERT as plain statements, no
    BEGIN / COMMIT anywhere (MySQL commits DDL at once)."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "migrations"]) == 0
    ini = tmp_path / "mig.ini"
    ini.write_text(re.sub(r"^sqlalchemy\.url = .*$", "sqlalchemy.url = mysql://", ini.read_text(),
                          flags=re.M))
    (tmp_path / "migrations" / "versions" / "a1_first.py").write_text(
        '"""first\n\nRevision ID: a1\nRevises:\n"""\nimport sqlalchemy as sa\n'
        "from mig_core import op\n\nrevision = 'a1'\ndown_revision = None\n"
        "branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n"
        "    op.add_column('t', sa.Column('x', sa.Integer))\n\n\ndef downgrade():\n"
        "    op.drop_column('t', 'x')\n"
    )
    capsys.readouterr()
    assert main(["upgrade", "--sql", "head"]) == 0
    sql = capsys.readouterr().out
    assert (
        "CREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT mig_version_pkc PRIMARY KEY (version_num));\n"
    ) in sql
    assert "ALTER TABLE t ADD COLUMN x INTEGER;\n" in sql
    assert "INSERT INTO mig_version (version_num) VALUES ('a1');\n" in sql
    assert not re.search(r"^(BEGIN|COMMIT|START TRANSACTION)", sql, re.M)


# --- alter_column --------------------------------------------------------------------------


@BOTH
def test_rename_is_rename_column_without_spec(dialect: str) -> None:
    """A pure rename needs no spec (MySQL 8, MariaDB 10.5+): nothing can be lost."""
    assert sql_of(lambda op: op.alter_column("t", "a", new_column_name="b"), dialect) == script(
        "ALTER TABLE t RENAME COLUMN a TO b"
    )


@pytest.mark.parametrize(
    ("dialect", "version"), [("mysql", "5.7.44"), ("mariadb", "10.4.32")]
)
def test_rename_on_older_servers_is_change_with_spec(dialect: str, version: str) -> None:
    def fn(op: Any) -> None:
        op.alter_column("t", "a", new_column_name="b", existing_type=sa.String(100),
                        existing_nullable=False, existing_server_default="x",
                        existing_comment="c")

    assert sql_of(fn, dialect, mysql_server_version=version) == script(
        "ALTER TABLE t CHANGE a b VARCHAR(100) NOT NULL DEFAULT 'x' COMMENT 'c'"
    )


def test_rename_on_older_server_needs_existing_type() -> None:
    with pytest.raises(CommandError, match=r"alter_column\('t', 'a'\).*existing_type="):
        sql_of(lambda op: op.alter_column("t", "a", new_column_name="b"),
               mysql_server_version=(5, 7))


@BOTH
def test_rename_with_other_changes_is_one_change(dialect: str) -> None:
    def fn(op: Any) -> None:
        op.alter_column("t", "a", new_column_name="b", nullable=False, server_default="z",
                        existing_type=sa.String(100), existing_comment="", schema="s")

    assert sql_of(fn, dialect) == script("ALTER TABLE s.t CHANGE a b VARCHAR(100) NOT NULL DEFAULT 'z'")


@BOTH
def test_every_change_in_one_modify(dialect: str) -> None:
    def fn(op: Any) -> None:
        op.alter_column("t", "a", type_=sa.String(200), nullable=False, server_default="z",
                        comment="it's", existing_autoincrement=False)

    assert sql_of(fn, dialect) == script(
        "ALTER TABLE t MODIFY a VARCHAR(200) NOT NULL DEFAULT 'z' COMMENT 'it''s'"
    )


@BOTH
def test_autoincrement_and_nullability_restate_the_spec(dialect: str) -> None:
    known = {"existing_server_default": None, "existing_comment": ""}

    def fn(op: Any) -> None:
        op.alter_column("t", "id", existing_type=sa.Integer, autoincrement=True,
                        existing_nullable=False, **known)
        op.alter_column("t", "id", existing_type=sa.Integer, autoincrement=False,
                        existing_nullable=False, **known)
        op.alter_column("t", "n", existing_type=sa.Integer, nullable=True,
                        existing_server_default="4", existing_comment="cnt",
                        existing_autoincrement=False)

    assert sql_of(fn, dialect) == script(
        "ALTER TABLE t MODIFY id INTEGER NOT NULL AUTO_INCREMENT",
        "ALTER TABLE t MODIFY id INTEGER NOT NULL",
        "ALTER TABLE t MODIFY n INTEGER NULL DEFAULT '4' COMMENT 'cnt'",
    )


@BOTH
def test_comment_change_and_removal(dialect: str) -> None:
    known = {"existing_nullable": True, "existing_server_default": None,
             "existing_autoincrement": False}

    def fn(op: Any) -> None:
        op.alter_column("t", "a", comment="new", existing_type=sa.Integer, **known)
        op.alter_column("t", "a", comment=None, existing_type=sa.Integer,
                        existing_comment="old", **known)

    assert sql_of(fn, dialect) == script(
        "ALTER TABLE t MODIFY a INTEGER NULL COMMENT 'new'",
        "ALTER TABLE t MODIFY a INTEGER NULL",
    )


@BOTH
def test_default_only_changes_use_alter_column(dialect: str) -> None:
    def fn(op: Any) -> None:
        op.alter_column("t", "a", server_default="5")
        op.alter_column("t", "a", server_default=sa.text("0"))
        op.alter_column("t", "a", server_default=sa.text("rand()"))
        op.alter_column("t", "a", server_default=None)

    assert sql_of(fn, dialect) == script(
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT '5'",
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT 0",
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT (rand())",
        "ALTER TABLE t ALTER COLUMN a DROP DEFAULT",
    )


def test_timestamp_function_default_on_mysql_restates_the_column() -> None:
    """MySQL's ``ALTER COLUMN SET DEFAULT`` takes a literal or ``(expr)`` only; a timestamp
    function default goes in the column definition."""
    def fn(op: Any) -> None:
        op.alter_column("t", "at", server_default=sa.text("CURRENT_TIMESTAMP"),
                        existing_type=sa.DateTime, existing_nullable=False, existing_comment="")

    assert sql_of(fn) == script("ALTER TABLE t MODIFY at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP")


def test_timestamp_function_default_on_mariadb_uses_set_default() -> None:
    def fn(op: Any) -> None:
        op.alter_column("t", "at", server_default=sa.text("CURRENT_TIMESTAMP"))

    assert sql_of(fn, "mariadb") == script("ALTER TABLE t ALTER COLUMN at SET DEFAULT CURRENT_TIMESTAMP")


@BOTH
def test_on_update_default_restates_the_column(dialect: str) -> None:
    def fn(op: Any) -> None:
        op.alter_column("t", "at", existing_type=sa.TIMESTAMP, existing_nullable=False,
                        existing_comment="",
                        server_default=sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"))

    assert sql_of(fn, dialect) == script(
        "ALTER TABLE t MODIFY at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE "
        "CURRENT_TIMESTAMP"
    )


@BOTH
def test_existing_computed_column_is_restated(dialect: str) -> None:
    def fn(op: Any) -> None:
        op.alter_column("t", "g", comment="doubled", existing_type=sa.Integer,
                        existing_nullable=True, existing_server_default=sa.Computed("n * 2"))

    assert sql_of(fn, dialect) == script(
        "ALTER TABLE t MODIFY g INTEGER GENERATED ALWAYS AS (n * 2) COMMENT 'doubled'"
    )


@BOTH
def test_modify_without_existing_type_offline_is_an_error(dialect: str) -> None:
    with pytest.raises(CommandError, match=r"alter_column\('s.acct', 'name'\).*existing_type="):
        sql_of(lambda op: op.alter_column("acct", "name", nullable=False, schema="s"), dialect)


@BOTH
def test_offline_unknown_attributes_are_reset_with_a_warning(dialect: str) -> None:
    """As Alembic writes it (NULL, no default, no comment), but never silently."""
    with pytest.warns(MigWarning) as caught:
        sql = offline(lambda op: op.alter_column("t", "n", type_=sa.BigInteger), dialect)
    assert sql == script("ALTER TABLE t MODIFY n BIGINT NULL")
    (message,) = [str(w.message) for w in caught]
    assert "alter_column('t', 'n')" in message
    for lost in ("NOT NULL", "DEFAULT", "COMMENT", "AUTO_INCREMENT"):
        assert lost in message
    assert ("pass existing_nullable=, existing_server_default=, existing_comment= (\"\" for "
            "none), existing_autoincrement= to keep") in message


def test_offline_warning_names_only_what_is_missing() -> None:
    with pytest.warns(MigWarning) as caught:
        offline(lambda op: op.alter_column("t", "n", type_=sa.String(40),
                                           existing_nullable=False), "mysql")
    (message,) = [str(w.message) for w in caught]
    assert "written without its DEFAULT, its COMMENT;" in message
    assert 'pass existing_server_default=, existing_comment= ("" for none) to keep' in message
    assert "existing_nullable" not in message and "AUTO_INCREMENT" not in message


def test_no_warning_when_every_existing_value_is_given() -> None:
    def fn(op: Any) -> None:
        op.alter_column("t", "n", type_=sa.BigInteger, existing_nullable=False,
                        existing_server_default=sa.text("0"), existing_comment="",
                        existing_autoincrement=False)

    assert sql_of(fn) == script("ALTER TABLE t MODIFY n BIGINT NOT NULL DEFAULT 0")


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"server_default": sa.Identity()}, "no identity columns"),
        ({"server_default": sa.Computed("a + 1")}, "generated column"),
        ({"mysql_bogus": 1}, "unknown option 'mysql_bogus'"),
    ],
)
def test_alter_column_refuses(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(CommandError, match=match):
        sql_of(lambda op: op.alter_column("t", "a", existing_type=sa.Integer, **kw))


def test_core_constructs_compile_for_mysql() -> None:
    """mig's one-aspect constructs, executed directly, restate the column from existing_*."""
    from sqlalchemy.dialects import mysql

    from mig_core.ddl import base

    dialect = mysql.dialect()

    def text(construct: Any) -> str:
        return str(construct.compile(dialect=dialect))

    kw = {"existing_type": sa.String(10), "existing_server_default": "x"}
    assert text(base.ColumnNullable("t", "c", False, **kw)) == (
        "ALTER TABLE t MODIFY c VARCHAR(10) NOT NULL DEFAULT 'x'"
    )
    assert text(base.ColumnType("t", "c", sa.Text(), existing_nullable=False)) == (
        "ALTER TABLE t MODIFY c TEXT NOT NULL"
    )
    assert text(base.ColumnComment("t", "c", "hi", **kw)) == (
        "ALTER TABLE t MODIFY c VARCHAR(10) NULL DEFAULT 'x' COMMENT 'hi'"
    )
    assert text(base.ColumnName("t", "c", "d")) == "ALTER TABLE t RENAME COLUMN c TO d"
    assert text(base.ColumnDefault("t", "c", None)) == "ALTER TABLE t ALTER COLUMN c DROP DEFAULT"
    with pytest.raises(CommandError, match=r"t\.c.*existing_type="):
        text(base.ColumnNullable("t", "c", True))


# --- constraints and indexes -----------------------------------------------------------------


def test_drop_constraint_by_kind_mysql() -> None:
    def fn(op: Any) -> None:
        op.drop_constraint("fk_a", "t", type_="foreignkey")
        op.drop_constraint("pk_t", "t", type_="primary")
        op.drop_constraint("uq_a", "t", type_="unique")
        op.drop_constraint("ck_a", "t", type_="check", schema="s")

    assert sql_of(fn) == script(
        "ALTER TABLE t DROP FOREIGN KEY fk_a",
        "ALTER TABLE t DROP PRIMARY KEY",
        "ALTER TABLE t DROP INDEX uq_a",
        "ALTER TABLE s.t DROP CHECK ck_a",
    )


def test_drop_constraint_by_kind_mariadb_with_if_exists() -> None:
    def fn(op: Any) -> None:
        op.drop_constraint("ck_a", "t", type_="check")
        op.drop_constraint("fk_a", "t", type_="foreignkey", if_exists=True)
        op.drop_constraint("uq_a", "t", type_="unique", if_exists=True)
        op.drop_constraint("ck_a", "t", type_="check", if_exists=True)

    assert sql_of(fn, "mariadb") == script(
        "ALTER TABLE t DROP CONSTRAINT ck_a",
        "ALTER TABLE t DROP FOREIGN KEY IF EXISTS fk_a",
        "ALTER TABLE t DROP INDEX IF EXISTS uq_a",
        "ALTER TABLE t DROP CONSTRAINT IF EXISTS ck_a",
    )


@BOTH
def test_drop_constraint_without_type_offline_is_an_error(dialect: str) -> None:
    with pytest.raises(CommandError, match=r"drop_constraint\('fk_a'\) on 't'.*type_="):
        sql_of(lambda op: op.drop_constraint("fk_a", "t"), dialect)


def test_drop_primary_key_if_exists_is_refused() -> None:
    with pytest.raises(CommandError, match="DROP PRIMARY KEY IF EXISTS"):
        sql_of(lambda op: op.drop_constraint("pk", "t", type_="primary", if_exists=True),
               "mariadb")


@BOTH
def test_indexes(dialect: str) -> None:
    def fn(op: Any) -> None:
        op.create_index("ix_ab", "t", ["a", "b"], mysql_length={"a": 10}, mysql_using="btree")
        op.create_index("ix_ft", "t", ["txt"], mysql_prefix="FULLTEXT")
        op.create_index("ix_u", "t", ["a"], unique=True, schema="s")
        op.drop_index("ix_ab", "t")
        op.drop_index("ix_u", "t", schema="s")

    assert sql_of(fn, dialect) == script(
        "CREATE INDEX ix_ab ON t (a(10), b) USING btree",
        "CREATE FULLTEXT INDEX ix_ft ON t (txt)",
        "CREATE UNIQUE INDEX ix_u ON s.t (a)",
        "DROP INDEX ix_ab ON t",
        "DROP INDEX ix_u ON s.t",
    )


def test_drop_index_needs_the_table() -> None:
    with pytest.raises(CommandError, match=r"drop_index\('ix'\).*table_name"):
        sql_of(lambda op: op.drop_index("ix"))


# --- IF [NOT] EXISTS -------------------------------------------------------------------------


def test_if_exists_forms_on_mariadb() -> None:
    def fn(op: Any) -> None:
        op.add_column("t", sa.Column("x", sa.Integer), if_not_exists=True)
        op.drop_column("t", "x", if_exists=True)
        op.create_index("ix", "t", ["x"], if_not_exists=True)
        op.drop_index("ix", "t", if_exists=True)
        op.create_table("u", sa.Column("id", sa.Integer, primary_key=True), if_not_exists=True)
        op.drop_table("u", if_exists=True)

    assert sql_of(fn, "mariadb") == script(
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS x INTEGER",
        "ALTER TABLE t DROP COLUMN IF EXISTS x",
        "CREATE INDEX IF NOT EXISTS ix ON t (x)",
        "DROP INDEX IF EXISTS ix ON t",
        "CREATE TABLE IF NOT EXISTS u (\n    id INTEGER NOT NULL AUTO_INCREMENT, \n"
        "    PRIMARY KEY (id)\n)",
        "DROP TABLE IF EXISTS u",
    )


def test_mysql_has_if_exists_for_tables() -> None:
    def fn(op: Any) -> None:
        op.create_table("u", sa.Column("id", sa.Integer, primary_key=True), if_not_exists=True)
        op.drop_table("u", if_exists=True)

    assert sql_of(fn) == script(
        "CREATE TABLE IF NOT EXISTS u (\n    id INTEGER NOT NULL AUTO_INCREMENT, \n"
        "    PRIMARY KEY (id)\n)",
        "DROP TABLE IF EXISTS u",
    )


@pytest.mark.parametrize(
    ("call", "clause"),
    [
        (lambda op: op.add_column("t", sa.Column("x", sa.Integer), if_not_exists=True),
         "ADD COLUMN IF NOT EXISTS"),
        (lambda op: op.drop_column("t", "x", if_exists=True), "DROP COLUMN IF EXISTS"),
        (lambda op: op.create_index("ix", "t", ["x"], if_not_exists=True),
         "CREATE INDEX IF NOT EXISTS"),
        (lambda op: op.drop_constraint("fk", "t", type_="foreignkey", if_exists=True),
         "DROP ... IF EXISTS for constraints"),
    ],
)
def test_mysql_refuses_if_exists_it_lacks(call: Any, clause: str) -> None:
    with pytest.raises(CommandError, match=f"MySQL has no {re.escape(clause)}"):
        sql_of(call)


def test_alter_column_ignores_other_databases_options() -> None:
    """Airflow's 1949afb29106 passes ``postgresql_using="kwargs::json"`` to every dialect; MySQL
    has no use for it (Alembic ignores it), and mig refused it as an unknown option."""
    def fn(op: Any) -> None:
        op.alter_column("trigger", "kwargs", existing_type=sa.Text(), type_=sa.JSON(),
                        postgresql_using="kwargs::json", existing_nullable=False,
                        existing_server_default=None, existing_comment="")

    assert sql_of(fn) == script("ALTER TABLE `trigger` MODIFY kwargs JSON NOT NULL")
    with pytest.raises(CommandError, match="unknown option 'mysql_bogus'"):
        sql_of(lambda op: op.alter_column("t", "c", type_=sa.Integer, mysql_bogus=1))


def test_mysql_drop_index_if_exists_is_written_with_a_warning() -> None:
    """Airflow's ``with suppress(DatabaseError): op.drop_index(..., if_exists=True)``: offline
    mig writes the statement Alembic writes (MariaDB runs it, MySQL rejects it) and warns;
    online it looks the index up first (test_mysql_ops_online)."""
    with pytest.warns(MigWarning, match=r"MySQL has no DROP INDEX IF EXISTS.*will reject"):
        assert offline(lambda op: op.drop_index("ix", "t", if_exists=True), "mysql") == script(
            "DROP INDEX IF EXISTS ix ON t"
        )


# --- tables, comments, data ------------------------------------------------------------------


@BOTH
def test_rename_table_keeps_the_schema(dialect: str) -> None:
    def fn(op: Any) -> None:
        op.rename_table("t", "u")
        op.rename_table("t", "u", schema="s")

    assert sql_of(fn, dialect) == script(
        "ALTER TABLE t RENAME TO u", "ALTER TABLE s.t RENAME TO s.u"
    )


@BOTH
def test_table_comments(dialect: str) -> None:
    def fn(op: Any) -> None:
        op.create_table_comment("t", "it's", schema="s")
        op.drop_table_comment("t")

    assert sql_of(fn, dialect) == script("ALTER TABLE s.t COMMENT 'it''s'", "ALTER TABLE t COMMENT ''")


@BOTH
def test_create_table_with_mysql_options(dialect: str) -> None:
    """``mysql_*`` table options mean the same on SQLAlchemy's ``mariadb`` dialect."""
    def fn(op: Any) -> None:
        op.create_table(
            "acct",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("n", sa.Integer, comment="count"),
            sa.Column("twice", sa.Integer, sa.Computed("n * 2", persisted=True)),
            mysql_engine="InnoDB", mysql_charset="utf8mb4", comment="accounts",
        )

    assert sql_of(fn, dialect) == script(
        "CREATE TABLE acct (\n    id INTEGER NOT NULL AUTO_INCREMENT, \n"
        "    n INTEGER COMMENT 'count', \n"
        "    twice INTEGER GENERATED ALWAYS AS (n * 2) STORED, \n    PRIMARY KEY (id)\n"
        ")ENGINE=InnoDB CHARSET=utf8mb4 COMMENT='accounts'"
    )


@BOTH
def test_literals_escape_backslashes_and_quotes(dialect: str) -> None:
    t = sa.table("t", sa.column("a", sa.String), sa.column("b", sa.Integer))

    def fn(op: Any) -> None:
        op.execute(t.update().where(t.c.b == op.inline_literal(1))
                   .values(a=op.inline_literal("a\\b'c")))
        op.bulk_insert(t, [{"a": "x\\y", "b": 1}, {"a": None, "b": 2}])
        op.execute("SET foreign_key_checks = 0")

    assert sql_of(fn, dialect) == script(
        "UPDATE t SET a='a\\\\b''c' WHERE t.b = 1",
        "INSERT INTO t (a, b) VALUES ('x\\\\y', 1)",
        "INSERT INTO t (a, b) VALUES (NULL, 2)",
        "SET foreign_key_checks = 0",
    )


@BOTH
def test_batch_never_recreates(dialect: str) -> None:
    def fn(op: Any) -> None:
        with op.batch_alter_table("t") as batch:
            batch.add_column(sa.Column("x", sa.Integer))
            batch.alter_column("y", new_column_name="z")
            batch.create_index("ix_x", ["x"])
            batch.drop_constraint("fk_y", type_="foreignkey")

    assert sql_of(fn, dialect) == script(
        "ALTER TABLE t ADD COLUMN x INTEGER",
        "ALTER TABLE t RENAME COLUMN y TO z",
        "CREATE INDEX ix_x ON t (x)",
        "ALTER TABLE t DROP FOREIGN KEY fk_y",
    )


# --- reading the catalog (MySQL rows, which the MariaDB server here cannot produce) ----------


def _spec_sql(row: tuple[Any, ...], mariadb: bool) -> str:
    from mig_mysql.catalog import column_from_row
    from mig_mysql.ddl import ModifyColumn
    from sqlalchemy.dialects import mysql

    spec = column_from_row(row, mariadb).spec
    return str(ModifyColumn("t", "c", spec).compile(dialect=mysql.dialect()))


@pytest.mark.parametrize(
    ("row", "mariadb", "expected"),
    [
        # MySQL 8: literal defaults bare, expression defaults marked DEFAULT_GENERATED
        (("varchar(20)", "varchar", "NO", "it's", "", "nm", "utf8mb4", "utf8mb4_0900_ai_ci",
          "", "utf8mb4_0900_ai_ci"), False,
         "varchar(20) NOT NULL DEFAULT 'it''s' COMMENT 'nm'"),
        (("double", "double", "YES", "rand()", "DEFAULT_GENERATED", "", None, None, "",
          "utf8mb4_0900_ai_ci"), False, "double NULL DEFAULT (rand())"),
        (("timestamp", "timestamp", "NO", "CURRENT_TIMESTAMP",
          "DEFAULT_GENERATED on update CURRENT_TIMESTAMP", "", None, None, "",
          "utf8mb4_0900_ai_ci"), False,
         "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
        (("int unsigned", "int", "NO", None, "auto_increment", "", None, None, "",
          "utf8mb4_0900_ai_ci"), False, "int unsigned NOT NULL AUTO_INCREMENT"),
        (("int", "int", "YES", None, "STORED GENERATED", "", None, None, "(`n` * 2)",
          "utf8mb4_0900_ai_ci"), False, "int GENERATED ALWAYS AS ((`n` * 2)) STORED"),
        (("varchar(5)", "varchar", "YES", None, "INVISIBLE", "", "latin1", "latin1_bin", "",
          "utf8mb4_0900_ai_ci"), False,
         "varchar(5) CHARACTER SET latin1 COLLATE latin1_bin NULL INVISIBLE"),
        # MariaDB: defaults as SQL, 'NULL' for none
        (("varchar(5)", "varchar", "YES", "NULL", "", "", "utf8mb4", "utf8mb4_general_ci",
          None, "utf8mb4_general_ci"), True, "varchar(5) NULL"),
        (("int(11)", "int", "NO", "5", "", "", None, None, None, "utf8mb4_general_ci"), True,
         "int(11) NOT NULL DEFAULT 5"),
        (("datetime(3)", "datetime", "YES", "current_timestamp(3)", "", "", None, None, None,
          "x"), True, "datetime(3) NULL DEFAULT current_timestamp(3)"),
    ],
)
def test_catalog_rows_restate_the_column(row: tuple[Any, ...], mariadb: bool,
                                          expected: str) -> None:
    assert _spec_sql(row, mariadb) == f"ALTER TABLE t MODIFY c {expected}"


@BOTH
def test_expression_defaults_are_parenthesized_whole(dialect: str) -> None:
    """Only a whole literal or timestamp function stays bare: ``DEFAULT 1 + 1`` and ``DEFAULT
    now() + interval 1 day`` are syntax errors on MySQL and MariaDB."""
    def fn(op: Any) -> None:
        op.alter_column("t", "n", server_default=sa.text("1 + 1"))
        op.alter_column("t", "n", server_default=sa.text("-2.5"))
        op.alter_column("t", "s", server_default=sa.text("'a' ' b'"))
        op.alter_column("t", "d", server_default=sa.text("now() + interval 1 day"),
                        existing_type=sa.DateTime, existing_nullable=True, existing_comment="")

    first, *rest = sql_of(fn, dialect).split(";\n\n")
    assert first == "ALTER TABLE t ALTER COLUMN n SET DEFAULT (1 + 1)"
    assert rest[0] == "ALTER TABLE t ALTER COLUMN n SET DEFAULT -2.5"
    assert rest[1] == "ALTER TABLE t ALTER COLUMN s SET DEFAULT ('a' ' b')"
    # MySQL takes a timestamp function's expression only in the column definition
    assert rest[2].rstrip(";\n") == (
        "ALTER TABLE t MODIFY d DATETIME NULL DEFAULT (now() + interval 1 day)"
        if dialect == "mysql" else "ALTER TABLE t ALTER COLUMN d SET DEFAULT (now() + interval 1 day)"
    )


@BOTH
def test_offline_default_change_keeps_on_update_from_existing_server_default(
    dialect: str,
) -> None:
    """``SET DEFAULT`` drops ``ON UPDATE`` (MariaDB): with existing_type the column is restated
    with the ON UPDATE its existing_server_default names; without, a warning says so."""
    on_update = sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")

    def fn(op: Any) -> None:
        op.alter_column("t", "at", server_default=sa.text("'2020-01-01'"),
                        existing_type=sa.TIMESTAMP, existing_nullable=False,
                        existing_comment="", existing_server_default=on_update)

    assert sql_of(fn, dialect) == script(
        "ALTER TABLE t MODIFY at TIMESTAMP NOT NULL DEFAULT '2020-01-01' "
        "ON UPDATE CURRENT_TIMESTAMP"
    )
    with pytest.warns(MigWarning, match=r"may drop the column's ON UPDATE CURRENT_TIMESTAMP "
                                        r"\(MariaDB does\); pass existing_type="):
        sql = offline(lambda op: op.alter_column(
            "t", "at", server_default=sa.text("'2020-01-01'"),
            existing_server_default=on_update), dialect)
    assert sql == script("ALTER TABLE t ALTER COLUMN at SET DEFAULT '2020-01-01'")


@BOTH
def test_a_plain_add_column_builds_no_table(dialect: str) -> None:
    """The core's fast path (no Table per add_column: most of its cost on long histories)
    applies to mig-mysql's add_column, and writes the same statement."""
    import io

    from mysql_support import plugin_manager

    from mig_core.operations.toimpl import _table_free_add_column
    from mig_core.runtime.migration import MigrationContext

    ctx = MigrationContext.configure(dialect_name=dialect, plugin_manager=plugin_manager(),
                                     opts={"as_sql": True, "output_buffer": io.StringIO()})
    assert _table_free_add_column(ctx.impl)
    assert sql_of(lambda op: op.add_column(
        "t", sa.Column("x", sa.Integer, nullable=False, server_default="0")), dialect) == script(
        "ALTER TABLE t ADD COLUMN x INTEGER NOT NULL DEFAULT '0'")


@pytest.mark.parametrize("sql, commits", [
    ("ANALYZE TABLE t", True),
    ("analyze  table t", True),
    ("ANALYZE SELECT 1", False),  # MariaDB's query analysis: no commit
    ("FLUSH TABLES", True),
    ("SET PASSWORD = PASSWORD('x')", True),
    ("SET @x = 1", False),
    ("START TRANSACTION", True),
    ("DROP TEMPORARY TABLE tmp", False),
    ("INSERT INTO t VALUES (1)", False),
])
def test_statements_mysql_commits_by_itself(sql: str, commits: bool) -> None:
    from mig_mysql.impl import MySQLImpl

    from mig_core.runtime.progress import commits_by_itself

    assert commits_by_itself(sql, MySQLImpl.implicit_commit_words) is commits


@pytest.mark.parametrize("sql, kind", [
    ("LOCK TABLES t WRITE", "locks"),
    ("lock table t read, u write", "locks"),
    ("UNLOCK TABLES", "unlocks"),
    ("unlock table", "unlocks"),
    ("ANALYZE TABLE t", "commits"),
    ("ANALYZE LOCAL TABLE t", "commits"),
    ("OPTIMIZE NO_WRITE_TO_BINLOG TABLE t", "commits"),
    ("REPAIR LOCAL TABLE t", "commits"),
    ("ANALYZE SELECT 1", None),
    ("SET STATEMENT max_statement_time=60 FOR ALTER TABLE t ADD x INT", "commits"),
    ("set statement a=1, b='for' for\n  LOCK TABLES t WRITE", "locks"),
    ("SET STATEMENT max_statement_time=60 FOR SELECT 1", None),
    ("SET @x = 1", None),
    ("CREATE TEMPORARY TABLE tmp (x INTEGER)", None),
    ("CREATE OR REPLACE TEMPORARY TABLE tmp (x INTEGER)", None),
    ("CREATE OR REPLACE TABLE t2 (x INTEGER)", "commits"),
    ("CREATE TEMPORARY SEQUENCE s", "commits"),
    ("BEGIN NOT ATOMIC SELECT 1; END", None),
    ("BEGIN", "commits"),
    ("INSERT INTO t VALUES (1)", None),
    (sa.text("LOCK TABLES t WRITE"), "locks"),
    # mysqldump's executable comments run their body (MariaDB 11.8 commits a waiting INSERT
    # before ``/*!50001 CREATE VIEW ... */``, checked by hand)
    ("/*!50001 CREATE VIEW v AS SELECT 1 AS x */", "commits"),
    ("  /*!50001 DROP VIEW IF EXISTS `v` */;\n", "commits"),
    ("/*M!100100 ALTER TABLE t ADD x INT */", "commits"),
    ("/*!40000 ALTER TABLE `t` DISABLE KEYS */", "commits"),
    ("/*!40101 SET NAMES utf8mb4 */", None),
    ("/*!40000 LOCK TABLES `t` WRITE */", "locks"),
    ("/* a plain comment */ INSERT INTO t VALUES (1)", None),
    (sa.schema.CreateTable(sa.Table("t", sa.MetaData(), sa.Column("x", sa.Integer))), "commits"),
])
def test_mysql_commit_kind(sql: object, kind: str | None) -> None:
    """What MariaDB 10.11 commits around (checked on the server, see test_mysql_resume.py)."""
    from mig_mysql.commits import commit_kind
    from mig_mysql.impl import MySQLImpl

    assert commit_kind(sql, MySQLImpl.implicit_commit_words) == kind


# --- statements with ";" inside: DELIMITER ---------------------------------------------------


TRIGGER = "CREATE TRIGGER t_b BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\nEND"


@pytest.mark.parametrize("given, delimiter", [
    (TRIGGER, "//"),
    (TRIGGER + ";\n", "//"),  # its own last ";" is left out: the delimiter ends it
    (TRIGGER.replace("1;", "'a//b';"), "$$"),
    (TRIGGER.replace("1;", "'// $$';"), "//1"),
])
def test_statement_with_semicolons_is_written_between_delimiter_lines(
    given: str, delimiter: str
) -> None:
    """The ``mysql`` client ends a statement at every ``;`` outside strings and comments, so a
    trigger's or procedure's body is written with another delimiter, one it does not contain."""
    body = given.strip().removesuffix(";")
    assert sql_of(lambda op: op.execute(given)) == (
        f"DELIMITER {delimiter}\n{body}\n{delimiter}\nDELIMITER ;\n\n"
    )


@pytest.mark.parametrize("given", [
    "INSERT INTO t VALUES ('a;b', \"c;d\", `e;f`)",
    "CREATE TABLE t (\n  a INT -- a comment; with a semicolon\n)",
    "UPDATE t SET a = 1 /* x; y */ # z; w\n",
    "DELETE FROM t;",
    "DELETE FROM t; -- done",
])
def test_semicolons_in_strings_comments_or_at_the_end_need_no_delimiter(given: str) -> None:
    text = given.strip()
    expected = text if text.endswith(";") else text + ";"
    assert sql_of(lambda op: op.execute(given)) == expected + "\n\n"
