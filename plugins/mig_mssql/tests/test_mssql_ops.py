"""Every operation on SQL Server as exact offline T-SQL, each statement parsed by sqlglot."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from mssql_tsql import assert_script_is_tsql, assert_tsql, framed, offline

from mig_core.errors import CommandError, MigWarning
from mig_core.operations.opbase import OperationArgumentError

# the three constraint lookups of drop_column("t", "c", mssql_drop_*=True), written out once
DROP_DEFAULT_T_C = (
    "SELECT @mig_sql = @mig_sql + N'ALTER TABLE t DROP CONSTRAINT ' + QUOTENAME(d.name) + N'; '\n"
    "FROM sys.default_constraints AS d\n"
    "WHERE d.parent_object_id = OBJECT_ID(N't') AND d.parent_column_id = "
    "COLUMNPROPERTY(d.parent_object_id, N'c', 'ColumnId');"
)
DROP_CHECK_T_C = (
    "SELECT @mig_sql = @mig_sql + N'ALTER TABLE t DROP CONSTRAINT ' + QUOTENAME(k.name) + N'; '\n"
    "FROM sys.check_constraints AS k\n"
    "WHERE k.parent_object_id = OBJECT_ID(N't') AND (k.parent_column_id = "
    "COLUMNPROPERTY(k.parent_object_id, N'c', 'ColumnId') OR EXISTS (SELECT 1 FROM "
    "sys.sql_expression_dependencies AS dep WHERE dep.referencing_id = k.object_id AND "
    "dep.referenced_id = k.parent_object_id AND dep.referenced_minor_id = "
    "COLUMNPROPERTY(k.parent_object_id, N'c', 'ColumnId')));"
)
DROP_FK_T_C = (
    "SELECT @mig_sql = @mig_sql + N'ALTER TABLE t DROP CONSTRAINT ' + QUOTENAME(f.name) + N'; '\n"
    "FROM sys.foreign_keys AS f\n"
    "WHERE f.parent_object_id = OBJECT_ID(N't') AND EXISTS (SELECT 1 FROM "
    "sys.foreign_key_columns AS fc WHERE fc.constraint_object_id = f.object_id AND "
    "fc.parent_column_id = COLUMNPROPERTY(f.parent_object_id, N'c', 'ColumnId'));"
)
DECLARE = "DECLARE @mig_sql nvarchar(max) = N'';"
EXEC = "EXEC sp_executesql @mig_sql"
DROP_DEFAULT_BLOCK = f"{DECLARE}\n{DROP_DEFAULT_T_C}\n{EXEC}"


def comment_proc(proc: str, schema: str, table: str, column: str | None, value: str | None) -> str:
    args = "@name = N'MS_Description'"
    if value is not None:
        args += f", @value = N'{value}'"
    args += f", @level0type = N'SCHEMA', @level0name = N'{schema}', @level1type = N'TABLE', " \
            f"@level1name = N'{table}'"
    if column is not None:
        args += f", @level2type = N'COLUMN', @level2name = N'{column}'"
    return f"EXEC {proc} {args}"


def _batch(op: Any) -> None:
    with op.batch_alter_table("acct", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("x", sa.Integer))
        batch_op.alter_column("name", new_column_name="nm")
        batch_op.create_index("ix_x", ["x"])
        batch_op.drop_index("ix_x")
        batch_op.drop_column("gone", mssql_drop_default=True)


#: name -> (operation, expected statements)
CASES: dict[str, tuple[Callable[[Any], Any], list[str]]] = {
    "create_table": (
        lambda op: op.create_table(
            "acct",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(50), nullable=False, server_default="n/a",
                      comment="the name"),
            sa.Column("org_id", sa.Integer, sa.ForeignKey("org.id", ondelete="CASCADE")),
            sa.Column("code", sa.Integer, index=True),
            sa.CheckConstraint("id > 0", name="ck_pos"),
            comment="accounts",
            schema="sales",
        ),
        [
            "CREATE TABLE sales.acct (\n"
            "    id INTEGER NOT NULL IDENTITY, \n"
            "    name VARCHAR(50) NOT NULL DEFAULT 'n/a', \n"
            "    org_id INTEGER NULL, \n"
            "    code INTEGER NULL, \n"
            "    PRIMARY KEY (id), \n"
            "    CONSTRAINT ck_pos CHECK (id > 0), \n"
            "    FOREIGN KEY(org_id) REFERENCES org (id) ON DELETE CASCADE\n"
            ")",
            "CREATE INDEX ix_sales_acct_code ON sales.acct (code)",
            comment_proc("sp_addextendedproperty", "sales", "acct", None, "accounts"),
            comment_proc("sp_addextendedproperty", "sales", "acct", "name", "the name"),
        ],
    ),
    "create_table_if_not_exists": (
        lambda op: op.create_table(
            "acct",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("code", sa.Integer, index=True),
            if_not_exists=True,
        ),
        [
            "IF OBJECT_ID(N'acct', N'U') IS NULL\n"
            "BEGIN\n"
            "    CREATE TABLE acct (\n"
            "        id INTEGER NOT NULL, \n"
            "        code INTEGER NULL, \n"
            "        PRIMARY KEY (id)\n"
            "    )\n"
            "END",
            "IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'acct') AND "
            "name = N'ix_acct_code')\n"
            "BEGIN\n"
            "    CREATE INDEX ix_acct_code ON acct (code)\n"
            "END",
        ],
    ),
    "drop_table": (
        lambda op: (op.drop_table("acct", schema="s", if_exists=True), op.drop_table("acct")),
        ["DROP TABLE IF EXISTS s.acct", "DROP TABLE acct"],
    ),
    "rename_table": (
        lambda op: (op.rename_table("acct", "account", schema="s"),
                    op.rename_table("acct", "account")),
        ["EXEC sp_rename N's.acct', N'account'", "EXEC sp_rename N'acct', N'account'"],
    ),
    "add_column": (
        lambda op: op.add_column(
            "acct", sa.Column("org_id", sa.Integer, nullable=False, server_default=sa.text("0"))
        ),
        ["ALTER TABLE acct ADD org_id INTEGER NOT NULL DEFAULT 0"],
    ),
    "add_column_with_fk_and_index": (
        lambda op: op.add_column(
            "acct", sa.Column("org_id", sa.Integer, sa.ForeignKey("org.id"), index=True),
            schema="s",
        ),
        [
            "ALTER TABLE s.acct ADD org_id INTEGER NULL",
            "ALTER TABLE s.acct ADD FOREIGN KEY(org_id) REFERENCES org (id)",
            "CREATE INDEX ix_s_acct_org_id ON s.acct (org_id)",
        ],
    ),
    "add_column_inline": (
        lambda op: op.add_column(
            "acct",
            sa.Column("org_id", sa.Integer, sa.ForeignKey("org.id", ondelete="SET NULL"),
                      primary_key=True),
            inline_references=True,
            inline_primary_key=True,
        ),
        ["ALTER TABLE acct ADD org_id INTEGER NOT NULL PRIMARY KEY REFERENCES org (id) "
         "ON DELETE SET NULL"],
    ),
    "add_column_if_not_exists": (
        lambda op: op.add_column("acct", sa.Column("x", sa.Integer), if_not_exists=True),
        ["IF COL_LENGTH(N'acct', N'x') IS NULL\n"
         "BEGIN\n"
         "    ALTER TABLE acct ADD x INTEGER NULL\n"
         "END"],
    ),
    "add_column_with_comment": (
        lambda op: op.add_column("acct", sa.Column("note", sa.Unicode(20), comment="free text")),
        [
            "ALTER TABLE acct ADD note NVARCHAR(20) NULL",
            comment_proc("sp_addextendedproperty", "dbo", "acct", "note", "free text"),
        ],
    ),
    "drop_column_default_constraint_by_default": (
        lambda op: op.drop_column("t", "c"),
        [DROP_DEFAULT_BLOCK, "ALTER TABLE t DROP COLUMN c"],
    ),
    "drop_column_if_exists_without_lookup": (
        lambda op: op.drop_column("acct", "code", schema="s", if_exists=True,
                                  mssql_drop_default=False),
        ["ALTER TABLE s.acct DROP COLUMN IF EXISTS code"],
    ),
    "drop_column_with_its_constraints": (
        lambda op: op.drop_column(
            "t", "c", mssql_drop_default=True, mssql_drop_check=True, mssql_drop_foreign_key=True
        ),
        [
            f"{DECLARE}\n{DROP_DEFAULT_T_C}\n{DROP_CHECK_T_C}\n{DROP_FK_T_C}\n{EXEC}",
            "ALTER TABLE t DROP COLUMN c",
        ],
    ),
    "drop_column_check_only": (
        lambda op: op.drop_column("t", "c", mssql_drop_check=True, mssql_drop_default=False),
        [f"{DECLARE}\n{DROP_CHECK_T_C}\n{EXEC}", "ALTER TABLE t DROP COLUMN c"],
    ),
    "drop_column_foreign_key_only": (
        lambda op: op.drop_column("t", "c", mssql_drop_foreign_key=True,
                                  mssql_drop_default=False),
        [f"{DECLARE}\n{DROP_FK_T_C}\n{EXEC}", "ALTER TABLE t DROP COLUMN c"],
    ),
    "drop_column_schema": (
        lambda op: op.drop_column("t", "c", schema="sales", mssql_drop_default=True),
        [
            f"{DECLARE}\n"
            "SELECT @mig_sql = @mig_sql + N'ALTER TABLE sales.t DROP CONSTRAINT ' + "
            "QUOTENAME(d.name) + N'; '\n"
            "FROM sys.default_constraints AS d\n"
            "WHERE d.parent_object_id = OBJECT_ID(N'sales.t') AND d.parent_column_id = "
            "COLUMNPROPERTY(d.parent_object_id, N'c', 'ColumnId');\n"
            f"{EXEC}",
            "ALTER TABLE sales.t DROP COLUMN c",
        ],
    ),
    "alter_column_nullable_restates_type": (
        lambda op: op.alter_column(
            "t", "c", nullable=False, existing_type=sa.String(20, collation="Latin1_General_CI_AS")
        ),
        ["ALTER TABLE t ALTER COLUMN c VARCHAR(20) COLLATE Latin1_General_CI_AS NOT NULL"],
    ),
    "alter_column_integer_not_null": (
        lambda op: op.alter_column("t", "c", nullable=False, existing_type=sa.Integer),
        ["ALTER TABLE t ALTER COLUMN c INTEGER NOT NULL"],
    ),
    "alter_column_type_keeps_nullability": (
        lambda op: (
            op.alter_column("t", "c", type_=sa.BigInteger, existing_nullable=False),
            op.alter_column("t", "d", type_=sa.String(10), nullable=True, existing_nullable=False),
        ),
        ["ALTER TABLE t ALTER COLUMN c BIGINT NOT NULL",
         "ALTER TABLE t ALTER COLUMN d VARCHAR(10) NULL"],
    ),
    "alter_column_drop_default": (
        lambda op: op.alter_column("t", "c", server_default=None),
        [DROP_DEFAULT_BLOCK],
    ),
    "alter_column_change_default": (
        lambda op: op.alter_column("t", "c", server_default="5", existing_server_default="1"),
        [DROP_DEFAULT_BLOCK, "ALTER TABLE t ADD DEFAULT '5' FOR c"],
    ),
    "alter_column_expression_default": (
        lambda op: op.alter_column("t", "c", server_default=sa.func.now()),
        [DROP_DEFAULT_BLOCK, "ALTER TABLE t ADD DEFAULT CURRENT_TIMESTAMP FOR c"],
    ),
    "alter_column_type_with_a_default": (
        lambda op: op.alter_column(
            "t", "c", type_=sa.BigInteger, existing_type=sa.Integer, existing_nullable=False,
            existing_server_default=sa.text("((0))"),
        ),
        [DROP_DEFAULT_BLOCK, "ALTER TABLE t ALTER COLUMN c BIGINT NOT NULL",
         "ALTER TABLE t ADD DEFAULT ((0)) FOR c"],
    ),
    "alter_column_type_of_identity": (
        lambda op: op.alter_column(
            "t", "c", type_=sa.BigInteger, existing_nullable=False,
            existing_server_default=sa.Identity(),
        ),
        ["ALTER TABLE t ALTER COLUMN c BIGINT NOT NULL"],
    ),
    "alter_column_every_aspect": (
        lambda op: op.alter_column(
            "t", "c", nullable=False, server_default="x", type_=sa.String(100),
            existing_type=sa.String(50), existing_server_default="y", new_column_name="d",
            comment="n",
        ),
        [
            DROP_DEFAULT_BLOCK,
            "ALTER TABLE t ALTER COLUMN c VARCHAR(100) NOT NULL",
            "ALTER TABLE t ADD DEFAULT 'x' FOR c",
            comment_proc("sp_addextendedproperty", "dbo", "t", "c", "n"),
            "EXEC sp_rename N't.c', N'd', N'COLUMN'",
        ],
    ),
    "alter_column_rename": (
        lambda op: op.alter_column("acct", "name", new_column_name="full_name", schema="s"),
        ["EXEC sp_rename N's.acct.name', N'full_name', N'COLUMN'"],
    ),
    "column_comments": (
        lambda op: (
            op.alter_column("t", "c", comment="hello", schema="dbo"),
            op.alter_column("t", "c", comment="it's", existing_comment="hello"),
            op.alter_column("t", "c", comment=None, existing_comment="it's", schema="s"),
        ),
        [
            comment_proc("sp_addextendedproperty", "dbo", "t", "c", "hello"),
            comment_proc("sp_updateextendedproperty", "dbo", "t", "c", "it''s"),
            comment_proc("sp_dropextendedproperty", "s", "t", "c", None),
        ],
    ),
    "table_comments": (
        lambda op: (
            op.create_table_comment("acct", "it's a table"),
            op.create_table_comment("acct", "new", existing_comment="it's a table", schema="s"),
            op.drop_table_comment("acct", existing_comment="new"),
        ),
        [
            comment_proc("sp_addextendedproperty", "dbo", "acct", None, "it''s a table"),
            comment_proc("sp_updateextendedproperty", "s", "acct", None, "new"),
            comment_proc("sp_dropextendedproperty", "dbo", "acct", None, None),
        ],
    ),
    "create_index_include_clustered_where": (
        lambda op: op.create_index(
            "ix_n", "acct", ["name", sa.text("code DESC")], unique=True, schema="s",
            mssql_include=["note"], mssql_clustered=False,
            mssql_where=sa.text("name IS NOT NULL"),
        ),
        ["CREATE UNIQUE NONCLUSTERED INDEX ix_n ON s.acct (name, code DESC) INCLUDE (note) "
         "WHERE name IS NOT NULL"],
    ),
    "create_index_clustered_if_not_exists": (
        lambda op: op.create_index(
            "ix_n", "acct", ["name"], if_not_exists=True, mssql_clustered=True
        ),
        ["IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'acct') AND "
         "name = N'ix_n')\n"
         "BEGIN\n"
         "    CREATE CLUSTERED INDEX ix_n ON acct (name)\n"
         "END"],
    ),
    "drop_index": (
        lambda op: (
            op.drop_index("ix_n", "acct", schema="s", if_exists=True),
            op.drop_index("ix_m", "acct"),
        ),
        ["DROP INDEX IF EXISTS ix_n ON s.acct", "DROP INDEX ix_m ON acct"],
    ),
    "constraints": (
        lambda op: (
            op.create_unique_constraint("uq_c", "acct", ["code", "name"], schema="s",
                                        mssql_clustered=True),
            op.create_primary_key("pk_acct", "acct", ["id", "region"]),
            op.create_foreign_key("fk_o", "acct", "org", ["org_id"], ["id"],
                                  ondelete="SET NULL", onupdate="CASCADE"),
            op.create_check_constraint("ck_len", "acct", "len(name) > 0"),
            op.drop_constraint("fk_o", "acct", type_="foreignkey", if_exists=True),
            op.drop_constraint("ck_len", "acct", schema="s"),
        ),
        [
            "ALTER TABLE s.acct ADD CONSTRAINT uq_c UNIQUE CLUSTERED (code, name)",
            "ALTER TABLE acct ADD CONSTRAINT pk_acct PRIMARY KEY (id, region)",
            "ALTER TABLE acct ADD CONSTRAINT fk_o FOREIGN KEY(org_id) REFERENCES org (id) "
            "ON DELETE SET NULL ON UPDATE CASCADE",
            "ALTER TABLE acct ADD CONSTRAINT ck_len CHECK (len(name) > 0)",
            "ALTER TABLE acct DROP CONSTRAINT IF EXISTS fk_o",
            "ALTER TABLE s.acct DROP CONSTRAINT ck_len",
        ],
    ),
    "execute": (
        lambda op: (
            op.execute("UPDATE acct SET a = 1"),
            op.execute(sa.text("DELETE FROM acct WHERE id = 5")),
            op.execute(
                sa.table("acct", sa.column("name", sa.String), sa.column("id", sa.Integer))
                .update()
                .where(sa.column("id") == op.inline_literal(3))
                .values(name=op.inline_literal("it's"))
            ),
        ),
        ["UPDATE acct SET a = 1", "DELETE FROM acct WHERE id = 5",
         "UPDATE acct SET name='it''s' WHERE id = 3"],
    ),
    "batch_recreate_never": (
        _batch,
        [
            "ALTER TABLE acct ADD x INTEGER NULL",
            "EXEC sp_rename N'acct.name', N'nm', N'COLUMN'",
            "CREATE INDEX ix_x ON acct (x)",
            "DROP INDEX ix_x ON acct",
            DROP_DEFAULT_BLOCK.replace("N't'", "N'acct'")
            .replace("TABLE t ", "TABLE acct ")
            .replace("N'c'", "N'gone'"),
            "ALTER TABLE acct DROP COLUMN gone",
        ],
    ),
    "hostile_identifiers": (
        lambda op: (
            op.create_table(
                'we"ird tab',
                sa.Column("select", sa.Integer),
                sa.Column("Mixed Case", sa.Integer, server_default="0"),
                sa.Column("o'brien", sa.Integer),
            ),
            op.add_column('we"ird tab', sa.Column("order", sa.Integer)),
            op.alter_column('we"ird tab', "Mixed Case", new_column_name="from]x",
                            server_default=None, schema="my schema"),
            op.drop_column('we"ird tab', "o'brien", mssql_drop_default=True),
            op.rename_table('we"ird tab', "Group"),
        ),
        [
            'CREATE TABLE [we"ird tab] (\n'
            "    [select] INTEGER NULL, \n"
            "    [Mixed Case] INTEGER NULL DEFAULT '0', \n"
            "    [o'brien] INTEGER NULL\n"
            ")",
            'ALTER TABLE [we"ird tab] ADD [order] INTEGER NULL',
            f"{DECLARE}\n"
            "SELECT @mig_sql = @mig_sql + N'ALTER TABLE [my schema].[we\"ird tab] DROP "
            "CONSTRAINT ' + QUOTENAME(d.name) + N'; '\n"
            "FROM sys.default_constraints AS d\n"
            "WHERE d.parent_object_id = OBJECT_ID(N'[my schema].[we\"ird tab]') AND "
            "d.parent_column_id = COLUMNPROPERTY(d.parent_object_id, N'Mixed Case', "
            "'ColumnId');\n"
            f"{EXEC}",
            "EXEC sp_rename N'[my schema].[we\"ird tab].[Mixed Case]', N'from]x', N'COLUMN'",
            f"{DECLARE}\n"
            "SELECT @mig_sql = @mig_sql + N'ALTER TABLE [we\"ird tab] DROP CONSTRAINT ' + "
            "QUOTENAME(d.name) + N'; '\n"
            "FROM sys.default_constraints AS d\n"
            "WHERE d.parent_object_id = OBJECT_ID(N'[we\"ird tab]') AND d.parent_column_id = "
            "COLUMNPROPERTY(d.parent_object_id, N'o''brien', 'ColumnId');\n"
            f"{EXEC}",
            "ALTER TABLE [we\"ird tab] DROP COLUMN [o'brien]",
            "EXEC sp_rename N'[we\"ird tab]', N'Group'",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_offline_tsql(case: str) -> None:
    fn, expected = CASES[case]
    sql = offline(fn)
    assert sql == framed(*expected)
    assert len(assert_script_is_tsql(sql)) == len(expected)


# --- bulk_insert and IDENTITY_INSERT -----------------------------------------------------------


def test_bulk_insert_into_identity_table_switches_identity_insert_per_run() -> None:
    def run(op: Any) -> None:
        table = op.create_table(
            "t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.String(5))
        )
        op.bulk_insert(
            table,
            [{"id": 1, "v": "a'b"}, {"v": "b", "id": 2}, {"v": "c"}, {"id": 4, "v": None}],
        )

    sql = offline(run)
    assert sql == framed(
        "CREATE TABLE t (\n"
        "    id INTEGER NOT NULL IDENTITY, \n"
        "    v VARCHAR(5) NULL, \n"
        "    PRIMARY KEY (id)\n"
        ")",
        "SET IDENTITY_INSERT t ON",
        "INSERT INTO t (id, v) VALUES (1, 'a''b')",
        "INSERT INTO t (id, v) VALUES (2, 'b')",
        "SET IDENTITY_INSERT t OFF",
        "INSERT INTO t (v) VALUES ('c')",
        "SET IDENTITY_INSERT t ON",
        "INSERT INTO t (id, v) VALUES (4, NULL)",
        "SET IDENTITY_INSERT t OFF",
    )
    assert_script_is_tsql(sql)


def test_bulk_insert_explicit_identity_column_in_a_schema() -> None:
    table = sa.Table(
        "t", sa.MetaData(), sa.Column("n", sa.Integer, sa.Identity(start=10)),
        sa.Column("v", sa.Unicode(5)), schema="s",
    )
    sql = offline(lambda op: op.bulk_insert(table, [{"n": 1, "v": "é"}]))
    assert sql == framed(
        "SET IDENTITY_INSERT s.t ON",
        "INSERT INTO s.t (n, v) VALUES (1, N'é')",
        "SET IDENTITY_INSERT s.t OFF",
    )
    assert_script_is_tsql(sql)


def test_bulk_insert_without_identity_is_not_wrapped() -> None:
    table = sa.Table(
        "t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("v", sa.String(5)),
    )
    assert offline(lambda op: op.bulk_insert(table, [{"id": 1, "v": "x"}])) == framed(
        "INSERT INTO t (id, v) VALUES (1, 'x')"
    )


def test_bulk_insert_into_table_clause_asks_the_catalog() -> None:
    """``sa.table()`` does not say which column is IDENTITY: the script checks when it runs."""
    table = sa.table("t", sa.column("id", sa.Integer), sa.column("v", sa.String), schema="s")
    sql = offline(lambda op: op.bulk_insert(table, [{"id": 1, "v": "x"}, {"v": "y"}]))

    def switch(columns: str, state: str) -> str:
        return (
            "IF EXISTS (SELECT 1 FROM sys.identity_columns WHERE object_id = OBJECT_ID(N's.t') "
            f"AND name IN ({columns}))\n"
            "BEGIN\n"
            f"    SET IDENTITY_INSERT s.t {state}\n"
            "END"
        )

    assert sql == framed(
        switch("N'id', N'v'", "ON"),
        "INSERT INTO s.t (id, v) VALUES (1, 'x')",
        switch("N'id', N'v'", "OFF"),
        switch("N'v'", "ON"),
        "INSERT INTO s.t (v) VALUES ('y')",
        switch("N'v'", "OFF"),
    )
    assert_script_is_tsql(sql)


class _RecordingConnection:
    """Stands in for a SQL Server connection (there is no server here): records what runs."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, Any]] = []

    def execute(self, statement: Any, parameters: Any = None) -> None:
        self.calls.append((statement, parameters))


def _online_impl() -> tuple[Any, _RecordingConnection]:
    from mig_mssql.impl import MSSQLImpl
    from sqlalchemy.dialects import mssql

    conn = _RecordingConnection()
    impl = MSSQLImpl(mssql.dialect(), conn, False, None, {})  # type: ignore[arg-type]
    return impl, conn


def test_bulk_insert_online_has_no_identity_insert_statements() -> None:
    impl, conn = _online_impl()
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    impl.bulk_insert(table, [{"id": 1}, {"id": 2}])
    assert len(conn.calls) == 1
    statement, rows = conn.calls[0]
    assert isinstance(statement, sa.Insert) and rows == [{"id": 1}, {"id": 2}]


def test_online_constraint_drop_uses_the_plain_variable() -> None:
    impl, conn = _online_impl()
    impl.drop_column("t", "c", mssql_drop_default=True)
    texts = [str(stmt.compile(dialect=impl.dialect)) for stmt, _ in conn.calls]
    assert texts == [DROP_DEFAULT_BLOCK, "ALTER TABLE t DROP COLUMN c"]


# --- framing and batch separators ----------------------------------------------------------------


def test_batch_separator_is_configurable() -> None:
    assert offline(lambda op: op.drop_table("t"), mssql_batch_separator="GO2") == (
        "DROP TABLE t;\nGO2"
    )


@pytest.mark.parametrize("statement", [
    "CREATE VIEW v AS SELECT 1 AS a\nGO",
    "CREATE VIEW v AS SELECT 1 AS a\n  go  \nGO\n",
])
def test_a_go_line_ending_an_execute_is_not_doubled(statement: str) -> None:
    """``GO;`` is no batch separator for sqlcmd, and ``GO`` twice is an empty batch."""
    assert offline(lambda op: op.execute(statement)) == "CREATE VIEW v AS SELECT 1 AS a;\nGO"


def test_an_execute_of_go_alone_writes_nothing() -> None:
    assert offline(lambda op: (op.execute("GO"), op.drop_table("t"))) == "DROP TABLE t;\nGO"


@pytest.mark.parametrize(("statement", "opening"), [
    ("CREATE PROCEDURE p AS SELECT 1", "CREATE PROCEDURE"),
    ("-- the view\ncreate  or alter VIEW v AS SELECT 1 AS a", "CREATE OR ALTER VIEW"),
    ("ALTER TRIGGER tr ON t AFTER INSERT AS SELECT 1", "ALTER TRIGGER"),
])
def test_without_go_a_procedure_like_statement_is_refused(statement: str, opening: str) -> None:
    """In one batch it would take the script's next statements as its body."""
    with pytest.raises(CommandError, match=(
        f"^{opening} must start a batch of its own, and this SQL script has no batch "
        r"separator \(mssql_batch_separator=None\)"
    )):
        offline(lambda op: op.execute(statement), mssql_batch_separator=None)


def test_with_go_a_procedure_like_statement_is_its_own_batch() -> None:
    assert offline(lambda op: (op.drop_table("t"), op.execute("CREATE VIEW v AS SELECT 1 AS a"))
                   ) == "DROP TABLE t;\nGO\n\nCREATE VIEW v AS SELECT 1 AS a;\nGO"


def test_no_batch_separator_numbers_the_variables() -> None:
    """Without GO the whole script is one batch: each DECLARE needs its own name."""
    sql = offline(
        lambda op: (
            op.drop_column("t", "c", mssql_drop_default=True),
            op.alter_column("t", "d", server_default=None),
        ),
        mssql_batch_separator=None,
    )
    first = DROP_DEFAULT_BLOCK.replace("@mig_sql", "@mig_sql_1")
    second = DROP_DEFAULT_BLOCK.replace("@mig_sql", "@mig_sql_2").replace("N'c'", "N'd'")
    assert sql == f"{first};\n\nALTER TABLE t DROP COLUMN c;\n\n{second};"
    assert "GO" not in sql
    assert_tsql(sql)  # one batch, so the whole script must parse as one


# --- errors --------------------------------------------------------------------------------------


def test_nullable_change_needs_the_type() -> None:
    with pytest.raises(CommandError, match=r"alter_column\('t', 'c'\): SQL Server restates the "
                                           r"column type .* pass existing_type="):
        offline(lambda op: op.alter_column("t", "c", nullable=False))


@pytest.mark.parametrize(
    ("kwargs", "kind"),
    [
        ({"server_default": sa.Identity(start=5)}, "IDENTITY"),
        ({"server_default": None, "existing_server_default": sa.Identity()}, "IDENTITY"),
        ({"server_default": sa.Computed("a + b")}, "a computed column"),
    ],
)
def test_identity_and_computed_cannot_be_altered(kwargs: dict[str, Any], kind: str) -> None:
    with pytest.raises(CommandError, match=f"cannot add, change or drop {kind} with ALTER"):
        offline(lambda op: op.alter_column("t", "id", **kwargs))


def test_drop_index_needs_the_table() -> None:
    with pytest.raises(CommandError, match=r"drop_index\('ix'\): SQL Server's DROP INDEX names "
                                           r"the table; pass table_name"):
        offline(lambda op: op.drop_index("ix"))


def test_unknown_sql_server_options_are_named() -> None:
    with pytest.raises(CommandError, match=r"unknown SQL Server option 'mssql_drop_defaults' "
                                           r"\(known: mssql_drop_default, mssql_drop_check"):
        offline(lambda op: op.drop_column("t", "c", mssql_drop_defaults=True))
    with pytest.raises(CommandError, match="unknown SQL Server option 'mssql_foo'"):
        offline(lambda op: op.alter_column("t", "c", type_=sa.Integer, existing_nullable=True,
                                           mssql_foo=1))
    with pytest.raises(OperationArgumentError, match="unexpected keyword argument 'drop_default'"):
        offline(lambda op: op.drop_column("t", "c", drop_default=True))


def test_type_change_without_nullability_warns() -> None:
    with pytest.warns(MigWarning, match="lets SQL Server decide NULL / NOT NULL"):
        sql = offline(lambda op: op.alter_column("t", "c", type_=sa.BigInteger))
    assert sql == framed("ALTER TABLE t ALTER COLUMN c BIGINT")


def test_autoincrement_warns_and_changes_nothing_else() -> None:
    with pytest.warns(MigWarning, match="autoincrement and existing_autoincrement have no effect"):
        sql = offline(lambda op: op.alter_column("t", "c", type_=sa.String(10),
                                                 existing_nullable=True, autoincrement=True))
    assert sql == framed("ALTER TABLE t ALTER COLUMN c VARCHAR(10) NULL")


def test_other_dialects_options_are_ignored() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sql = offline(lambda op: op.alter_column("t", "c", type_=sa.String(10),
                                                 existing_nullable=True,
                                                 postgresql_using="c::text"))
    assert sql == framed("ALTER TABLE t ALTER COLUMN c VARCHAR(10) NULL")


# --- the checker itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "totally bogus statement here",
        "IF x = 1\nBEGIN\n    bogus stuff here\nEND",
        "ALTER TABLE t ADD DEFAULT ((( FOR c",
        "SET IDENTITY_INSERT t MAYBE",
        "EXEC sp_rename N'a",
        "ALTER TABLE t ALTER COLUMN",
        "CREATE TABLE t (a INTEGER NOT NULL IDENTITY,",
    ],
)
def test_the_tsql_check_rejects_what_is_not_tsql(bad: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - sqlglot's ParseError or an assertion
        assert_tsql(bad)


# --- large types -------------------------------------------------------------------------------


def test_offline_scripts_use_max_types_of_sql_server_2012_and_later() -> None:
    table = lambda op: op.create_table(  # noqa: E731
        "doc", sa.Column("body", sa.Text), sa.Column("title", sa.UnicodeText),
        sa.Column("blob", sa.LargeBinary),
    )
    assert offline(table) == framed(
        "CREATE TABLE doc (\n"
        "    body VARCHAR(max) NULL, \n"
        "    title NVARCHAR(max) NULL, \n"
        "    blob VARBINARY(max) NULL\n"
        ")"
    )


def test_an_explicit_deprecate_large_types_is_kept() -> None:
    import io

    from mssql_tsql import plugin_manager

    from mig_core.operations import Operations
    from mig_core.runtime.migration import MigrationContext

    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name="mssql", dialect_opts={"deprecate_large_types": False},
        opts={"as_sql": True, "output_buffer": buf}, plugin_manager=plugin_manager(),
    )
    with Operations.context(ctx) as op:
        op.add_column("doc", sa.Column("body", sa.Text))
    assert buf.getvalue().strip() == framed("ALTER TABLE doc ADD body TEXT NULL")


# --- what offline scripts are written for, and their values ------------------------------------


def test_offline_scripts_use_date_and_time_of_sql_server_2008_and_later() -> None:
    """Without a server, SQLAlchemy would write ``sa.Date`` / ``sa.Time`` as ``DATETIME``."""
    sql = offline(lambda op: op.create_table(
        "ev", sa.Column("day", sa.Date), sa.Column("at", sa.Time), sa.Column("ts", sa.DateTime),
    ))
    assert sql == framed(
        "CREATE TABLE ev (\n    day DATE NULL, \n    at TIME NULL, \n    ts DATETIME NULL\n)"
    )


def test_offline_values_are_written_as_sql_server_reads_them() -> None:
    """Datetimes in ISO 8601 (language-neutral; ``DATETIME`` refuses a string with more than 3
    fractional digits), dates as ``YYYYMMDD``, non-ASCII text as ``N'...'`` (else ``?``)."""
    import datetime

    from sqlalchemy.dialects import mssql

    ev = sa.table(
        "ev", sa.column("ts", sa.DateTime), sa.column("ts2", mssql.DATETIME2),
        sa.column("day", sa.Date), sa.column("name", sa.String), sa.column("code", sa.String),
    )
    at = datetime.datetime(2024, 12, 31, 23, 59, 58, 123456)
    sql = offline(lambda op: op.bulk_insert(ev, [
        {"ts": at, "ts2": at, "day": datetime.date(2024, 1, 2), "name": "Zoë ☃", "code": "a'b"},
        {"ts": at.replace(microsecond=0), "ts2": None, "day": None, "name": None, "code": "x"},
    ]))
    assert "INSERT INTO ev (ts, ts2, day, name, code) VALUES ('2024-12-31T23:59:58.123', " \
        "'2024-12-31T23:59:58.123456', '20240102', N'Zoë ☃', 'a''b');" in sql
    assert "VALUES ('2024-12-31T23:59:58', NULL, NULL, NULL, 'x');" in sql
    assert_script_is_tsql(sql)
