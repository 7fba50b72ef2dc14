"""Autogenerate on Oracle: type synonyms, server defaults as Oracle stores them, ``oracle.X(...)``.

No Oracle server runs here, so the reflected side is what SQLAlchemy's Oracle reflection builds
from the data dictionary (``NUMBER`` with scale 0 and no precision becomes ``INTEGER()``,
``NUMBER(p, s)`` becomes ``oracle.NUMBER(p, s)``, ``FLOAT`` with binary precision 126 becomes
``DOUBLE_PRECISION()``, ``VARCHAR2`` becomes ``VARCHAR2(char_length)`` ...), and the hooks are
called through the plugin manager exactly as the core's comparison and rendering call them.
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from mig_oracle.compare import server_defaults_differ, types_differ
from oracle_support import plugin_manager
from sqlalchemy.dialects import oracle

from mig_core.autogenerate.context import RenderContext
from mig_core.autogenerate.render import render_ops_body
from mig_core.operations import ops
from mig_core.runtime.migration import MigrationContext

DIALECT = oracle.dialect()

#: (model type, reflected type, differ?)
TYPES: list[tuple[Any, Any, bool]] = [
    (sa.Integer(), sa.INTEGER(), False),
    (sa.BigInteger(), oracle.NUMBER(19, 0), False),
    (sa.SmallInteger(), sa.INTEGER(), False),
    (sa.Integer(), oracle.NUMBER(), False),
    (sa.Integer(), oracle.NUMBER(10, 2), True),
    (sa.Numeric(12, 2), oracle.NUMBER(12, 2), False),
    (sa.Numeric(12, 2), oracle.NUMBER(12, 3), True),
    (sa.Numeric(12, 2), oracle.NUMBER(14, 2), True),
    (sa.Numeric(10, 2), sa.INTEGER(), True),
    (sa.DECIMAL(8, 0), sa.INTEGER(), False),
    (oracle.NUMBER(8), oracle.NUMBER(8, 0), False),
    (sa.String(50), oracle.VARCHAR2(50), False),
    (sa.VARCHAR(50), oracle.VARCHAR2(50), False),
    (sa.String(50), oracle.VARCHAR2(60), True),
    (sa.Unicode(20), oracle.VARCHAR2(20), False),  # NVARCHAR2 only with use_nchar_for_unicode
    (sa.NVARCHAR(20), oracle.NVARCHAR2(20), False),
    (sa.String(5), sa.INTEGER(), True),
    (sa.Text(), sa.CLOB(), False),
    (sa.Text(), oracle.VARCHAR2(4000), True),
    (sa.DateTime(), oracle.DATE(), False),
    (sa.Date(), oracle.DATE(), False),
    (sa.DateTime(timezone=True), oracle.DATE(), False),  # SQLAlchemy writes DATE for it
    (sa.TIMESTAMP(timezone=True), oracle.TIMESTAMP(timezone=True), False),
    (sa.DateTime(), oracle.TIMESTAMP(timezone=True), True),
    (sa.Float(), oracle.FLOAT(binary_precision=126), False),
    (sa.Double(), sa.DOUBLE_PRECISION(), False),
    (sa.LargeBinary(), sa.BLOB(), False),
    (sa.Boolean(), oracle.BOOLEAN(), False),
    (sa.Integer(), sa.types.NullType(), False),
]


@pytest.mark.parametrize(("meta", "conn", "differ"), TYPES, ids=lambda v: repr(v))
def test_type_comparison(meta: Any, conn: Any, differ: bool) -> None:
    assert types_differ(DIALECT, conn, meta) is differ


def test_boolean_before_23_is_a_smallint_read_back_as_integer() -> None:
    old = oracle.dialect()
    old.supports_native_boolean = False
    assert sa.Boolean().compile(dialect=old) == "SMALLINT"
    assert types_differ(old, sa.INTEGER(), sa.Boolean()) is False


def _ctx(dialect_name: str) -> Any:
    """What the comparison hooks read from the core's CompareContext."""
    mc = MigrationContext.configure(
        dialect_name=dialect_name, opts={"as_sql": True, "output_buffer": io.StringIO()},
        plugin_manager=plugin_manager(),
    )
    return SimpleNamespace(dialect=mc.dialect, dialect_name=dialect_name, impl=mc.impl, cache={},
                           hooks=mc.hooks)


def test_the_plugin_decides_on_oracle_before_the_core() -> None:
    ctx = _ctx("oracle")
    conn = SimpleNamespace(name="c", type=oracle.NUMBER(10, 2), server_default=None)
    meta = sa.Column("c", sa.Integer)
    # the core's rule (synonym names, arguments only when both sides have them) calls these
    # equal; Oracle's scale says they differ
    from mig_core.autogenerate.compare_columns import default_types_differ

    assert default_types_differ(ctx, conn.type, meta.type) is False
    assert ctx.hooks.mig_compare_type(ctx=ctx, conn_col=conn, meta_col=meta) is True
    names = [i.plugin_name for i in ctx.hooks.mig_compare_type.get_hookimpls()]
    assert "oracle" in names
    pg = _ctx("postgresql")
    assert "oracle" not in [i.plugin_name for i in pg.hooks.mig_compare_type.get_hookimpls()]


@pytest.mark.parametrize(
    ("conn", "meta", "differ"),
    [
        ("'n/a' \n", "'n/a'", False),
        ("NULL", None, False),
        ("null  ", None, False),
        ("", None, False),
        ("0 ", "'0'", False),
        ("(0)", "0", False),
        ("sysdate", "SYSDATE", False),
        ("CURRENT_TIMESTAMP\n", "CURRENT_TIMESTAMP", False),
        ("('x')", "'x'", False),
        ("'a'", "'b'", True),
        (None, "'x'", True),
        ("'x'", None, True),
        ("1", "2", True),
    ],
)
def test_server_default_comparison(conn: str | None, meta: str | None, differ: bool) -> None:
    assert server_defaults_differ(conn, meta) is differ


def test_a_sequence_default_is_not_a_difference() -> None:
    column = sa.Column("id", sa.Integer, sa.Sequence("acct_seq"))
    assert server_defaults_differ('"APP"."ACCT_SEQ".nextval', None, column) is False
    assert server_defaults_differ("acct_seq.NEXTVAL ", None, column) is False
    assert server_defaults_differ('"APP"."OTHER_SEQ".nextval', None, column) is True
    assert server_defaults_differ("acct_seq.nextval", None, sa.Column("id", sa.Integer)) is True


def test_server_default_hook_on_oracle() -> None:
    ctx = _ctx("oracle")
    conn = SimpleNamespace(name="c", type=sa.INTEGER(), server_default="NULL\n")
    assert ctx.hooks.mig_compare_server_default(
        ctx=ctx, conn_col=conn, meta_col=sa.Column("c", sa.Integer), conn_default="NULL\n",
        meta_default=None,
    ) is False


# --- rendering ----------------------------------------------------------------------------------


def _render(*columns: Any) -> str:
    """The add_column lines for ``columns`` as revision-file source, and the imports they need."""
    mc = MigrationContext.configure(
        dialect_name="oracle", opts={"as_sql": True, "output_buffer": io.StringIO()},
        plugin_manager=plugin_manager(),
    )
    upgrade = ops.UpgradeOps(ops=[ops.AddColumnOp("t", c) for c in columns])
    ctx = RenderContext(migration_context=mc)
    text = render_ops_body(ctx, upgrade)
    body = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    return "\n".join(body) + "\n#imports " + " | ".join(sorted(ctx.imports))


def test_oracle_types_render_as_oracle_x() -> None:
    text = _render(
        sa.Column("a", oracle.NUMBER(12, 2)),
        sa.Column("b", oracle.NUMBER(19, 0)),
        sa.Column("c", oracle.NUMBER(10, 2, asdecimal=False)),
        sa.Column("d", oracle.NUMBER()),
        sa.Column("e", oracle.VARCHAR2(50)),
        sa.Column("f", oracle.FLOAT(binary_precision=126)),
        sa.Column("g", oracle.INTERVAL(day_precision=2, second_precision=6)),
        sa.Column("h", oracle.TIMESTAMP(local_timezone=True)),
        sa.Column("i", oracle.RAW(16)),
        sa.Column("j", sa.Integer()),
    )
    assert text == (
        "op.add_column('t', sa.Column('a', oracle.NUMBER(precision=12, scale=2), nullable=True))\n"
        "op.add_column('t', sa.Column('b', oracle.NUMBER(precision=19, scale=0), "
        "nullable=True))\n"
        "op.add_column('t', sa.Column('c', oracle.NUMBER(precision=10, scale=2, "
        "asdecimal=False), nullable=True))\n"
        "op.add_column('t', sa.Column('d', oracle.NUMBER(), nullable=True))\n"
        "op.add_column('t', sa.Column('e', oracle.VARCHAR2(length=50), nullable=True))\n"
        "op.add_column('t', sa.Column('f', oracle.FLOAT(binary_precision=126), "
        "nullable=True))\n"
        "op.add_column('t', sa.Column('g', oracle.INTERVAL(day_precision=2, "
        "second_precision=6), nullable=True))\n"
        "op.add_column('t', sa.Column('h', oracle.TIMESTAMP(local_timezone=True), "
        "nullable=True))\n"
        "op.add_column('t', sa.Column('i', oracle.RAW(length=16), nullable=True))\n"
        "op.add_column('t', sa.Column('j', sa.Integer(), nullable=True))"
        "\n#imports from sqlalchemy.dialects import oracle"
    )


def test_vector_enums_render_as_python() -> None:
    text = _render(sa.Column("v", oracle.VECTOR(
        dim=3, storage_format=oracle.VectorStorageFormat.FLOAT32,
        storage_type=oracle.VectorStorageType.DENSE,
    )))
    assert "oracle.VECTOR(dim=3, storage_format=oracle.VectorStorageFormat.FLOAT32, " \
           "storage_type=oracle.VectorStorageType.DENSE)" in text
    source = text.split("\n#imports")[0]
    namespace = {"sa": sa, "oracle": oracle, "op": SimpleNamespace(add_column=lambda t, c: c)}
    column = eval(source.strip(), namespace)  # the rendered code runs
    assert column.type.dim == 3 and column.type.storage_format is oracle.VectorStorageFormat.FLOAT32


def test_rendered_number_round_trips() -> None:
    source = _render(sa.Column("a", oracle.NUMBER(10, 2, asdecimal=False))).split("\n#")[0]
    column = eval(source.strip(), {"sa": sa, "oracle": oracle,
                                   "op": SimpleNamespace(add_column=lambda t, c: c)})
    assert (column.type.precision, column.type.scale, column.type.asdecimal) == (10, 2, False)
