"""The ALTER constructs of ``mig_core.ddl.base`` used on their own by a plain SQLAlchemy app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.compiler import compiles

from mig_core.ddl import base


def sql(construct: Any, dialect: Any = None) -> str:
    return str(construct.compile(dialect=dialect or postgresql.dialect()))


def test_default_compilation() -> None:
    meta = sa.MetaData()
    col = sa.Column("email", sa.String(20), nullable=False, server_default="x")
    sa.Table("acct", meta, col, schema="s")
    assert sql(base.AddColumn("acct", col, schema="s")) == (
        "ALTER TABLE s.acct ADD COLUMN email VARCHAR(20) DEFAULT 'x' NOT NULL"
    )
    assert sql(base.DropColumn("acct", "email", if_exists=True)) == (
        "ALTER TABLE acct DROP COLUMN IF EXISTS email"
    )
    assert sql(base.RenameTable("acct", "account", schema="s")) == (
        "ALTER TABLE s.acct RENAME TO account"
    )
    assert sql(base.ColumnName("acct", "a", "b")) == "ALTER TABLE acct RENAME COLUMN a TO b"
    assert sql(base.ColumnNullable("acct", "a", False)) == (
        "ALTER TABLE acct ALTER COLUMN a SET NOT NULL"
    )
    assert sql(base.ColumnNullable("acct", "a", True)) == (
        "ALTER TABLE acct ALTER COLUMN a DROP NOT NULL"
    )
    assert sql(base.ColumnType("acct", "a", sa.Numeric(10, 2), using="a::numeric")) == (
        "ALTER TABLE acct ALTER COLUMN a TYPE NUMERIC(10, 2) USING a::numeric"
    )
    assert sql(base.ColumnType("acct", "a", sa.Text)) == "ALTER TABLE acct ALTER COLUMN a TYPE TEXT"
    assert sql(base.ColumnDefault("acct", "a", sa.text("now()"))) == (
        "ALTER TABLE acct ALTER COLUMN a SET DEFAULT now()"
    )
    assert sql(base.ColumnDefault("acct", "a", "it's")) == (
        "ALTER TABLE acct ALTER COLUMN a SET DEFAULT 'it''s'"
    )
    assert sql(base.ColumnDefault("acct", "a", None)) == "ALTER TABLE acct ALTER COLUMN a DROP DEFAULT"
    assert sql(base.ColumnComment("acct", "a", "c'mt")) == "COMMENT ON COLUMN acct.a IS 'c''mt'"
    assert sql(base.ColumnComment("acct", "a", None)) == "COMMENT ON COLUMN acct.a IS NULL"


def test_identity_forms() -> None:
    add = base.IdentityColumnDefault("t", "id", sa.Identity(always=True, start=3, cycle=True),
                                     None)
    assert sql(add) == (
        "ALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (START WITH 3 CYCLE)"
    )
    change = base.IdentityColumnDefault(
        "t", "id", sa.Identity(start=1, maxvalue=None, cache=5), sa.Identity(maxvalue=100, cycle=True)
    )
    assert sql(change) == (
        "ALTER TABLE t ALTER COLUMN id SET START WITH 1 SET NO MAXVALUE SET CACHE 5 SET NO CYCLE"
    )
    assert sql(base.IdentityColumnDefault("t", "id", None, sa.Identity())) == (
        "ALTER TABLE t ALTER COLUMN id DROP IDENTITY"
    )


def test_existing_column_facts_are_kept_for_dialect_compilers() -> None:
    element = base.ColumnNullable(
        "t", "c", False, existing_type=sa.Integer, existing_server_default="0",
        existing_comment="x",
    )
    assert isinstance(element.existing_type, sa.Integer)
    assert (element.existing_server_default, element.existing_comment) == ("0", "x")


def test_quoting_of_hostile_names() -> None:
    assert sql(base.ColumnName('we"ird', "Mixed Case", "select")) == (
        'ALTER TABLE "we""ird" RENAME COLUMN "Mixed Case" TO "select"'
    )
    # the core's rule (mig-mysql, once imported, schema-qualifies the new name on mysql)
    assert sql(base.RenameTable("ünï", "table", schema="My Schema"), _backtick_dialect()) == (
        "ALTER TABLE `My Schema`.`ünï` RENAME TO `table`"
    )


def _backtick_dialect() -> sa.engine.Dialect:
    """A dialect quoting with backticks that no mig plugin compiles for."""
    from sqlalchemy.engine.default import DefaultDialect
    from sqlalchemy.sql.compiler import IdentifierPreparer

    class BacktickPreparer(IdentifierPreparer):
        def __init__(self, dialect: sa.engine.Dialect) -> None:
            super().__init__(dialect, initial_quote="`")

    dialect = DefaultDialect()
    dialect.name = "backtick"
    dialect.identifier_preparer = BacktickPreparer(dialect)
    return dialect


def test_constructs_execute_with_plain_sqlalchemy_on_sqlite(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    meta = sa.MetaData()
    sa.Table("t", meta, sa.Column("a", sa.Integer))
    col = sa.Column("b", sa.String(5), server_default="z")
    sa.Table("t", sa.MetaData(), col)
    with engine.begin() as conn:
        meta.create_all(conn)
        conn.execute(base.AddColumn("t", col))
        conn.execute(base.ColumnName("t", "a", "a2"))
        conn.execute(sa.text("INSERT INTO t (a2) VALUES (1)"))
        conn.execute(base.RenameTable("t", "u"))
        conn.execute(base.DropColumn("u", "a2"))
        assert conn.execute(sa.text("SELECT * FROM u")).all() == [("z",)]
    engine.dispose()


@pytest.mark.postgres
def test_constructs_execute_with_plain_sqlalchemy_on_postgresql(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text('CREATE TABLE "Odd t" (a integer, b varchar(5))'))
        conn.execute(base.ColumnType("Odd t", "b", sa.Integer, using="b::integer"))
        conn.execute(base.ColumnDefault("Odd t", "b", sa.text("7")))
        conn.execute(base.ColumnNullable("Odd t", "b", False))
        conn.execute(base.ColumnComment("Odd t", "b", "the b"))
        conn.execute(sa.text('INSERT INTO "Odd t" (a) VALUES (1)'))
        column = {c["name"]: c for c in sa.inspect(conn).get_columns("Odd t")}["b"]
        assert (str(column["type"]), column["nullable"], column["default"], column["comment"]) \
            == ("INTEGER", False, "7", "the b")
        assert conn.execute(sa.text('SELECT b FROM "Odd t"')).scalar() == 7
        conn.execute(sa.text('DROP TABLE "Odd t"'))
    engine.dispose()


@pytest.fixture
def mysql_add_column_override() -> Iterator[None]:
    """A dialect-specific compilation, as a plugin would register it; removed afterwards."""

    @compiles(base.AddColumn, "mysql")
    def _mysql_add_column(element: base.AddColumn, compiler: Any, **kw: Any) -> str:
        return (
            f"{base.alter_table(compiler, element.table_name, element.schema)} ADD "
            f"{base.column_specification(compiler, element.column)} FIRST"
        )

    yield
    base.AddColumn._compiler_dispatcher.specs.pop("mysql")  # type: ignore[attr-defined]


def test_dialect_compilation_hook(mysql_add_column_override: None) -> None:
    col = sa.Column("b", sa.Integer)
    sa.Table("t", sa.MetaData(), col)
    assert sql(base.AddColumn("t", col), mysql.dialect()) == "ALTER TABLE t ADD b INTEGER FIRST"
    assert sql(base.AddColumn("t", col), sqlite.dialect()) == "ALTER TABLE t ADD COLUMN b INTEGER"


def test_inline_literal_renders_literally() -> None:
    t = sa.table("t", sa.column("a", sa.String), sa.column("n", sa.Integer))
    stmt = t.update().values(a=base.InlineLiteral("it's \\ x"), n=base.InlineLiteral(5)).where(
        t.c.a == base.InlineLiteral(None)
    )
    assert sql(stmt) == "UPDATE t SET a='it''s \\ x', n=5 WHERE t.a = NULL"
    assert sql(stmt, mysql.dialect()) == "UPDATE t SET a='it''s \\\\ x', n=5 WHERE t.a = NULL"
    typed = base.InlineLiteral("5", sa.Integer)
    assert isinstance(typed.type, sa.Integer)


def test_impl_helpers() -> None:
    import io

    from mig_core.plugins import build_plugin_manager
    from mig_core.runtime.migration import MigrationContext

    ctx = MigrationContext.configure(
        dialect_name="postgresql", opts={"output_buffer": io.StringIO()},
        plugin_manager=build_plugin_manager(None, env={}),
    )
    impl = ctx.impl
    assert impl.quote_identifier("select") == '"select"'
    assert impl.quote_identifier("plain") == "plain"
    assert impl.format_table_name("Mixed", "my schema") == '"my schema"."Mixed"'
    assert impl.render_server_default("o'k") == "'o''k'"
    assert impl.render_server_default(sa.text("now()")) == "now()"
    assert impl.render_server_default(sa.func.coalesce(1, 2)) == "coalesce(1, 2)"
    assert impl.requires_recreate_in_batch(None) is False
