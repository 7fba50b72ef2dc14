"""Autogenerate on SQL Server: type synonyms, collations, default texts, and rendering types.

There is no SQL Server here to reflect, so comparisons run on reflected columns written the way
SQLAlchemy's mssql dialect reflects them (collation on every string type, defaults wrapped in
parentheses), through the core's column comparison and the plugin's hooks.
"""

from __future__ import annotations

import io
import textwrap
from typing import Any

import pytest
import sqlalchemy as sa
from mig_mssql.compare import normalize_default
from mssql_tsql import assert_script_is_tsql, framed, offline, plugin_manager
from sqlalchemy.dialects import mssql

from mig_core.autogenerate.api import render_python_code
from mig_core.autogenerate.compare_columns import compare_column, default_types_differ
from mig_core.autogenerate.context import CompareContext, RenderContext
from mig_core.autogenerate.snapshot import ReflectedColumn
from mig_core.operations import ops
from mig_core.runtime.migration import MigrationContext

CI = "SQL_Latin1_General_CP1_CI_AS"


def _migration_context() -> MigrationContext:
    return MigrationContext.configure(
        dialect_name="mssql",
        opts={"as_sql": True, "output_buffer": io.StringIO()},
        plugin_manager=plugin_manager(),
    )


def _compare_context(**opts: Any) -> CompareContext:
    mc = _migration_context()
    mc.connection = object()  # type: ignore[assignment]  # comparison reads no rows here
    return CompareContext(mc, opts=opts)


class _Table:
    name = "t"
    fullname = "t"


def _reflected(type_: Any, default: str | None = None, nullable: bool = True) -> ReflectedColumn:
    raw = {"name": "c", "type": type_, "nullable": nullable, "default": default,
           "autoincrement": False}
    return ReflectedColumn(raw, _Table())  # type: ignore[arg-type]


def _changes(conn: ReflectedColumn, meta: sa.Column[Any], **opts: Any) -> dict[str, Any]:
    ctx = _compare_context(**opts)
    sa.Table("t", sa.MetaData(), meta)
    alter = ops.AlterColumnOp("t", "c", existing_type=conn.type)
    compare_column(ctx, alter, conn, meta)
    out = {}
    if alter.modify_type is not None:
        out["type"] = alter.modify_type
    if alter.modify_server_default is not False:
        out["server_default"] = alter.modify_server_default
    return out


@pytest.mark.parametrize(
    ("reflected", "model"),
    [
        (sa.VARCHAR(50, collation=CI), sa.String(50)),
        (sa.NVARCHAR(50, collation=CI), sa.String(50)),  # VARCHAR and NVARCHAR are synonyms
        (sa.VARCHAR(50, collation=CI), sa.String(50, collation=CI.lower())),
        (sa.NVARCHAR(None, collation=CI), sa.UnicodeText()),  # NVARCHAR(max)
        (sa.FLOAT(53), sa.Double()),  # DOUBLE PRECISION is reflected as FLOAT(53)
        (mssql.TIMESTAMP(), mssql.ROWVERSION()),
        (mssql.DATETIME2(precision=7), mssql.DATETIME2()),
        (sa.INTEGER(), sa.Integer()),
        (mssql.BIT(), sa.Boolean()),
        (mssql.UNIQUEIDENTIFIER(), sa.Uuid()),
    ],
)
def test_types_sql_server_reflects_differently_are_equal(reflected: Any, model: Any) -> None:
    assert _changes(_reflected(reflected), sa.Column("c", model)) == {}


@pytest.mark.parametrize(
    ("reflected", "model"),
    [
        (sa.VARCHAR(50, collation=CI), sa.String(60)),
        (sa.VARCHAR(50, collation=CI), sa.String(50, collation="Latin1_General_CS_AS")),
        (sa.INTEGER(), sa.BigInteger()),
        (sa.DATETIME(), mssql.DATETIME2()),
        (mssql.DATETIME2(precision=7), mssql.DATETIME2(precision=3)),
        (sa.VARCHAR(50, collation=CI), sa.Integer()),
    ],
)
def test_real_type_changes_are_found(reflected: Any, model: Any) -> None:
    assert type(_changes(_reflected(reflected), sa.Column("c", model))["type"]) is type(model)


def test_the_collation_is_what_the_core_alone_would_report() -> None:
    """Without the plugin's hook the reflected collation alone makes every string differ."""
    ctx = _compare_context()
    assert default_types_differ(ctx, sa.VARCHAR(50, collation=CI), sa.String(50))
    assert _changes(_reflected(sa.VARCHAR(50, collation=CI)), sa.Column("c", sa.String(50))) == {}


@pytest.mark.parametrize(
    ("reflected", "model"),
    [
        ("((0))", sa.text("0")),
        ("('0')", "0"),
        ("((0))", "0"),
        ("(N'n/a')", "n/a"),
        ("('it''s')", "it's"),
        ("(getdate())", sa.func.getdate()),
        ("(getdate())", sa.text("GETDATE()")),
    ],
)
def test_wrapped_defaults_are_equal(reflected: str, model: Any) -> None:
    conn = _reflected(sa.INTEGER(), default=reflected)
    meta = sa.Column("c", sa.Integer, server_default=model)
    assert _changes(conn, meta, compare_server_default=True) == {}


@pytest.mark.parametrize(
    ("reflected", "model"),
    [("((0))", "1"), ("(N'abc')", "ABC"), ("(getdate())", sa.func.sysdatetime()), (None, "1")],
)
def test_changed_defaults_are_found(reflected: str | None, model: Any) -> None:
    conn = _reflected(sa.INTEGER(), default=reflected)
    meta = sa.Column("c", sa.Integer, server_default=model)
    assert "server_default" in _changes(conn, meta, compare_server_default=True)


def test_normalize_default_spellings() -> None:
    assert normalize_default("(N'Abc')") == normalize_default("'Abc'") == "'Abc'"
    assert normalize_default("((1.5))") == normalize_default("'1.5'") == "1.5"
    assert normalize_default("('a') + ('b')") == "('a') + ('b')"
    assert normalize_default("(N'x' + N'y')") == "n'x' + n'y'"
    assert normalize_default(None) is None


def test_impl_publishes_the_synonyms() -> None:
    impl = _migration_context().impl
    assert frozenset({"VARCHAR", "NVARCHAR"}) in impl.type_synonyms


# --- rendering ---------------------------------------------------------------------------------


MODEL = sa.MetaData()
GADGET = sa.Table(
    "gadget",
    MODEL,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("made", mssql.DATETIME2(precision=6), nullable=False),
    sa.Column("at", mssql.DATETIMEOFFSET(precision=3)),
    sa.Column("uid", mssql.UNIQUEIDENTIFIER(as_uuid=False)),
    sa.Column("flag", mssql.BIT(), server_default=sa.text("0")),
    sa.Column("price", mssql.MONEY()),
    sa.Column("tiny", mssql.TINYINT()),
    sa.Column("doc", mssql.XML()),
    sa.Column("blob", mssql.VARBINARY("max")),
    sa.Column("name", sa.NVARCHAR(40, collation=CI)),
    sa.Column("version", mssql.ROWVERSION()),
)


def test_types_render_as_mssql_x() -> None:
    ctx = RenderContext(migration_context=_migration_context())
    rendered = [ctx.render_type(c.type) for c in GADGET.c]
    assert rendered == [
        "sa.Integer()",
        "mssql.DATETIME2(precision=6)",
        "mssql.DATETIMEOFFSET(precision=3)",
        "mssql.UNIQUEIDENTIFIER(as_uuid=False)",
        "mssql.BIT()",
        "mssql.MONEY()",
        "mssql.TINYINT()",
        "mssql.XML()",
        "mssql.VARBINARY(length='max')",
        f"sa.NVARCHAR(length=40, collation='{CI}')",
        "mssql.ROWVERSION()",
    ]
    assert ctx.imports == {"from sqlalchemy.dialects import mssql"}


def test_rendered_revision_runs_as_tsql() -> None:
    """render -> exec the rendered upgrade() offline -> the T-SQL the model's types mean."""
    upgrade_ops = ops.UpgradeOps(
        [
            ops.CreateTableOp.from_table(GADGET),
            ops.ModifyTableOps(
                "gadget",
                [
                    ops.AlterColumnOp(
                        "gadget", "made", modify_type=mssql.DATETIME2(precision=3),
                        existing_type=mssql.DATETIME2(precision=6), existing_nullable=False,
                    ),
                ],
            ),
        ]
    )
    source = render_python_code(
        upgrade_ops, migration_context=_migration_context(), plugin_manager=plugin_manager()
    )
    assert "mssql.DATETIME2(precision=3)" in source
    namespace: dict[str, Any] = {"sa": sa, "mssql": mssql}

    def run_rendered(op: Any) -> None:
        namespace["op"] = op
        exec("def upgrade():\n" + textwrap.indent(textwrap.dedent(source), "    "), namespace)
        namespace["upgrade"]()

    sql = offline(run_rendered)
    assert sql == framed(
        "CREATE TABLE gadget (\n"
        "    id INTEGER NOT NULL IDENTITY, \n"
        "    made DATETIME2(6) NOT NULL, \n"
        "    at DATETIMEOFFSET(3) NULL, \n"
        "    uid UNIQUEIDENTIFIER NULL, \n"
        "    flag BIT NULL DEFAULT 0, \n"
        "    price MONEY NULL, \n"
        "    tiny TINYINT NULL, \n"
        "    doc XML NULL, \n"
        "    blob VARBINARY(max) NULL, \n"
        f"    name NVARCHAR(40) COLLATE {CI} NULL, \n"
        "    version ROWVERSION NULL, \n"
        "    PRIMARY KEY (id)\n"
        ")",
        "ALTER TABLE gadget ALTER COLUMN made DATETIME2(3) NOT NULL",
    )
    assert_script_is_tsql(sql)
