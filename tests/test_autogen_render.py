"""Rendering operations and types into revision-file source: exact text."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from mig_core import hookimpl
from mig_core.autogenerate.api import render_python_code
from mig_core.autogenerate.context import RenderContext
from mig_core.autogenerate.render import render_op
from mig_core.operations import ops
from mig_core.plugins import build_plugin_manager, module_plugin


def ctx(**opts) -> RenderContext:
    return RenderContext(opts=opts)


def one(op, **opts) -> str:
    return "\n".join(render_op(ctx(**opts), op))


def test_add_drop_alter_column():
    col = sa.Column("email", sa.String(200), nullable=False, server_default="x", comment="mail")
    assert one(ops.AddColumnOp("account", col, schema="app")) == (
        "op.add_column('account', sa.Column('email', sa.String(length=200), server_default='x', "
        "nullable=False, comment='mail'), schema='app')"
    )
    assert one(ops.DropColumnOp("account", "email")) == "op.drop_column('account', 'email')"
    alter = ops.AlterColumnOp(
        "account", "name", existing_type=sa.VARCHAR(50), modify_type=sa.String(80),
        existing_nullable=True, modify_nullable=False, existing_comment="n",
    )
    assert one(alter) == (
        "op.alter_column('account', 'name', existing_type=sa.VARCHAR(length=50), "
        "type_=sa.String(length=80), nullable=False, existing_nullable=True, existing_comment='n')"
    )


def test_create_table_with_constraints_and_conventional_names():
    md = sa.MetaData(naming_convention={"pk": "pk_%(table_name)s",
                                        "fk": "fk_%(table_name)s_%(column_0_name)s"})
    sa.Table("parent", md, sa.Column("id", sa.Integer, primary_key=True))
    child = sa.Table(
        "child", md,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id", ondelete="CASCADE")),
        sa.Column("n", sa.Numeric(10, 2), sa.CheckConstraint("n > 0", name="n_pos")),
        sa.UniqueConstraint("n", name="uq_n"),
        schema="app", comment="kids",
    )
    text = one(ops.CreateTableOp.from_table(child))
    assert text == (
        "op.create_table('child',\n"
        "    sa.Column('id', sa.BigInteger(), nullable=False),\n"
        "    sa.Column('parent_id', sa.Integer(), nullable=True),\n"
        "    sa.Column('n', sa.Numeric(precision=10, scale=2), nullable=True),\n"
        "    sa.PrimaryKeyConstraint('id', name=op.f('pk_child')),\n"
        "    sa.ForeignKeyConstraint(['parent_id'], ['parent.id'], name=op.f('fk_child_parent_id'), "
        "ondelete='CASCADE'),\n"
        "    sa.UniqueConstraint('n', name='uq_n'),\n"
        "    sa.CheckConstraint('n > 0', name='n_pos'),\n"
        "    schema='app',\n"
        "    comment='kids'\n"
        ")"
    )


def test_indexes_constraints_and_comments():
    assert one(ops.CreateIndexOp("ix_a", "t", ["a", "b"], unique=True)) == (
        "op.create_index('ix_a', 't', ['a', 'b'], unique=True)"
    )
    assert one(ops.DropIndexOp("ix_a", "t", schema="s")) == (
        "op.drop_index('ix_a', table_name='t', schema='s')"
    )
    assert one(ops.CreateForeignKeyOp("fk", "a", "b", ["b_id"], ["id"], ondelete="SET NULL",
                                      referent_schema="other")) == (
        "op.create_foreign_key('fk', 'a', 'b', ['b_id'], ['id'], ondelete='SET NULL', "
        "referent_schema='other')"
    )
    assert one(ops.CreateUniqueConstraintOp(None, "t", ["a"])) == (
        "op.create_unique_constraint(None, 't', ['a'])"
    )
    assert one(ops.DropConstraintOp("uq", "t", type_="unique")) == (
        "op.drop_constraint('uq', 't', type_='unique')"
    )
    assert one(ops.CreateTableCommentOp("t", "new", existing_comment="old")) == (
        "op.create_table_comment('t', 'new', existing_comment='old')"
    )
    assert one(ops.DropTableCommentOp("t", existing_comment="old")) == (
        "op.drop_table_comment('t', existing_comment='old')"
    )


def test_types_dialect_imports_nested_and_variants():
    c = ctx()
    assert c.render_type(postgresql.ARRAY(postgresql.JSONB())) == (
        "postgresql.ARRAY(item_type=postgresql.JSONB(astext_type=sa.Text()))"
    )
    assert c.imports == {"from sqlalchemy.dialects import postgresql"}
    assert c.render_type(sa.String(10).with_variant(sa.Text(), "sqlite")) == (
        "sa.String(length=10).with_variant(sa.Text(), 'sqlite')"
    )
    assert c.render_type(sa.Enum("a", "b", name="ab", native_enum=False)) == (
        "sa.Enum('a', 'b', name='ab', native_enum=False)"
    )
    assert c.render_type(sa.DateTime(timezone=True)) == "sa.DateTime(timezone=True)"


class Money(sa.types.TypeDecorator):
    impl = sa.Numeric
    cache_ok = True


def test_user_types_by_module_or_user_module_prefix():
    c = ctx()
    assert c.render_type(Money()) == f"{__name__}.Money()"
    assert f"import {__name__}" in c.imports
    c2 = ctx(user_module_prefix="mytypes.")
    assert c2.render_type(Money()) == "mytypes.Money()"
    assert c2.imports == set()


class Encrypted(sa.types.TypeDecorator):
    impl = sa.String
    cache_ok = True


def test_type_decorator_keeps_the_arguments_it_passes_to_impl():
    """Encrypted(200) is a VARCHAR(200): rendered Encrypted() it has no length (MySQL refuses)."""
    c = ctx(user_module_prefix="mytypes.")
    assert c.render_type(Encrypted(200)) == "mytypes.Encrypted(length=200)"
    assert c.render_type(Money(10, 2)) == "mytypes.Money(precision=10, scale=2)"
    assert c.render_type(Encrypted()) == "mytypes.Encrypted()"

    class Document(sa.types.TypeDecorator):
        impl = postgresql.JSONB
        cache_ok = True

    # a type among the impl's arguments is written with its prefix (repr would give Text())
    assert c.render_type(Document()) == "mytypes.Document(astext_type=sa.Text())"


def test_prefixes_batch_and_render_item():
    body = ops.UpgradeOps([
        ops.ModifyTableOps("t", [
            ops.AddColumnOp("t", sa.Column("x", sa.Integer)),
            ops.DropColumnOp("t", "y"),
        ]),
    ])
    assert render_python_code(body, render_as_batch=True, sqlalchemy_module_prefix="sqla.") == (
        "# ### commands auto generated by mig - please adjust! ###\n"
        "    with op.batch_alter_table('t', schema=None) as batch_op:\n"
        "        batch_op.add_column(sqla.Column('x', sqla.Integer(), nullable=True))\n"
        "        batch_op.drop_column('y')\n"
        "\n"
        "    # ### end mig commands ###"
    )

    def render_item(type_, obj, autogen_context):
        if type_ == "type" and isinstance(obj, sa.Integer):
            autogen_context.imports.add("import mytypes")
            return "mytypes.Int()"
        return False

    text = render_python_code(body, render_item=render_item, alembic_module_prefix="mig_op.")
    assert "mig_op.add_column('t', sa.Column('x', mytypes.Int(), nullable=True))" in text
    assert render_python_code(ops.UpgradeOps([])) == (
        "# ### commands auto generated by mig - please adjust! ###\n"
        "    pass\n"
        "    # ### end mig commands ###"
    )


def test_a_plugin_renderer_takes_an_operation_over():
    class Special(ops.MigrateOperation):
        pass

    @hookimpl
    def mig_render_op(ctx, op):
        return "op.special()" if isinstance(op, Special) else None

    @hookimpl
    def mig_render_type(ctx, type_):
        return "custom.Int()" if isinstance(type_, sa.Integer) else None

    pm = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
    pm.register_plugin(module_plugin("special", mig_render_op=mig_render_op,
                                     mig_render_type=mig_render_type), "special")
    body = ops.UpgradeOps([Special(), ops.AddColumnOp("t", sa.Column("x", sa.Integer))])
    text = render_python_code(body, plugin_manager=pm)
    assert "    op.special()\n" in text
    assert "op.add_column('t', sa.Column('x', custom.Int(), nullable=True))" in text


def test_unknown_operation_is_a_clear_error():
    import pytest

    from mig_core.errors import CommandError

    class Orphan(ops.MigrateOperation):
        op_name = "orphan"

    with pytest.raises(CommandError, match="no renderer for operation Orphan"):
        render_python_code(ops.UpgradeOps([Orphan()]))


def test_empty_module_prefixes_are_kept():
    """Alembic writes names bare when a prefix is "" (``from sqlalchemy import *``)."""
    body = ops.UpgradeOps([ops.AddColumnOp("t", sa.Column("x", sa.Integer))])
    assert render_python_code(body, sqlalchemy_module_prefix="", alembic_module_prefix="") == (
        "# ### commands auto generated by mig - please adjust! ###\n"
        "    add_column('t', Column('x', Integer(), nullable=True))\n"
        "    # ### end mig commands ###"
    )
    assert one(ops.DropColumnOp("t", "x"), mig_module_prefix="", alembic_module_prefix="x.") == (
        "drop_column('t', 'x')"
    )


def test_drop_of_an_unnamed_constraint_is_flagged(recwarn):
    """Alembic 1.20 (#916): the drop of a constraint the model left unnamed gets a comment
    above it and a warning, since DROP CONSTRAINT needs the name the database chose."""
    from mig_core.errors import MigWarning

    text = one(ops.DropConstraintOp(None, "t", type_="foreignkey", schema="s"))
    assert text == (
        "# TODO: this foreign key of 's.t' has no name in the model; replace None with\n"
        "# the name the database gave it, or the drop fails\n"
        "op.drop_constraint(None, 't', type_='foreignkey', schema='s')"
    )
    assert [w.category for w in recwarn] == [MigWarning]
    assert one(ops.DropConstraintOp("fk", "t", type_="foreignkey")) == (
        "op.drop_constraint('fk', 't', type_='foreignkey')"
    )


class NoInit(sa.types.TypeEngine):
    """A type class with object's ``__init__``, as Integer and Date."""

    args = (sa.Integer(), sa.Date())  # an attribute named like object.__init__'s *args


def test_types_without_their_own_init_render_without_inspect(monkeypatch):
    """``Integer()``, ``Date()``: object's ``__init__`` is known without ``inspect.signature``
    (which reads a C function's signature with tokenize, compiling its regexes: milliseconds
    in a cold process); the result is what the signature gives."""
    import inspect

    from mig_core.autogenerate import render

    signature = inspect.signature

    def no_builtin_signatures(obj, *args, **kwargs):
        assert obj is not object.__init__, "inspect.signature(object.__init__) was called"
        return signature(obj, *args, **kwargs)

    render._init_params.cache_clear()
    monkeypatch.setattr(inspect, "signature", no_builtin_signatures)
    try:
        c = ctx()
        assert c.render_type(sa.Integer()) == "sa.Integer()"
        assert c.render_type(sa.Date()) == "sa.Date()"
        assert c.render_type(NoInit()) == f"{__name__}.NoInit(sa.Integer(), sa.Date())"
        monkeypatch.setattr(inspect, "signature", signature)
        params = [p for p in list(signature(object.__init__).parameters.values())[1:]
                  if p.kind is not p.VAR_KEYWORD]
        assert render._init_params(NoInit) == tuple(
            (p.name, p.default, p.kind is p.VAR_POSITIONAL) for p in params
        )
    finally:
        render._init_params.cache_clear()


def test_render_hooks_skip_pluggy_dispatch_with_the_same_output():
    """``mig_render_op`` / ``mig_render_type`` are called once per operation and column:
    without pluggy's dispatch when plain implementations are all there is (see
    mig_core.hookcall.firstresult_caller); a traced manager (pluggy's own loop) renders the same."""
    import pluggy

    table = ops.CreateTableOp("t", [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tags", postgresql.ARRAY(sa.String(20))),
        sa.Column("made", sa.DateTime(timezone=True), server_default=sa.func.now()),
    ])
    fast = ctx()
    assert not isinstance(fast.hook("mig_render_type"), pluggy.HookCaller)
    assert not isinstance(fast.hook("mig_render_op"), pluggy.HookCaller)
    pm = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
    pm.add_hookcall_monitoring(lambda *a: None, lambda *a: None)
    traced = RenderContext(hooks=pm.hooks_for(None))
    assert isinstance(traced.hook("mig_render_type"), pluggy.HookCaller)
    assert render_op(fast, table) == render_op(traced, table)
    assert fast.imports == traced.imports == {"from sqlalchemy.dialects import postgresql"}


def _table_with_unnamed_constraints(reverse: bool) -> sa.Table:
    m = sa.MetaData()
    sa.Table("a", m, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("b", m, sa.Column("id", sa.Integer, primary_key=True))
    constraints = [
        sa.ForeignKeyConstraint(["a_id"], ["a.id"]), sa.ForeignKeyConstraint(["b_id"], ["b.id"]),
        sa.UniqueConstraint("a_id"), sa.UniqueConstraint("z"),
        sa.CheckConstraint("a_id > 0"), sa.CheckConstraint("z > 1"),
    ]
    return sa.Table(
        "t", m, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a_id", sa.Integer),
        sa.Column("b_id", sa.Integer), sa.Column("z", sa.Integer),
        *(reversed(constraints) if reverse else constraints),
    )


def test_unnamed_constraints_of_a_kind_render_in_one_order():
    """A Table's constraints are a set (ordered by memory address): two unnamed foreign keys
    came out in either order from run to run. They are ordered by what they hold."""
    from mig_core.autogenerate.render import _constraint_order

    table = _table_with_unnamed_constraints(reverse=True)
    keys = [_constraint_order(c) for c in table.constraints]
    assert len(set(keys)) == len(keys)
    rendered = {
        render_python_code(ops.UpgradeOps(ops=[ops.CreateTableOp.from_table(
            _table_with_unnamed_constraints(reverse))]))
        for reverse in (False, True)
    }
    assert len(rendered) == 1
    text = rendered.pop()
    order = ["['a_id'], ['a.id']", "['b_id'], ['b.id']", "UniqueConstraint('a_id')",
             "UniqueConstraint('z')", "CheckConstraint('a_id > 0')", "CheckConstraint('z > 1')"]
    assert [text.index(piece) for piece in order] == sorted(text.index(p) for p in order)
