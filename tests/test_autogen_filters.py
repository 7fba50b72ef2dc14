"""include_name / include_object, compare_type / compare_server_default callables, Rewriter,
blocking the core comparators, and a plugin comparator."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mig_core import hookimpl
from mig_core.autogenerate.api import produce_migrations
from mig_core.autogenerate.rewriter import Rewriter
from mig_core.operations import ops
from mig_core.plugins import build_plugin_manager, module_plugin
from mig_core.runtime.migration import MigrationContext
from tests.autogen_helpers import diffs, flat, setup


@pytest.fixture
def engine(sqlite_url):
    eng = sa.create_engine(sqlite_url)
    yield eng
    eng.dispose()


def db_and_model():
    db, model = sa.MetaData(), sa.MetaData()
    sa.Table("keep", db, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("old", sa.String(10)), sa.Column("secret", sa.Integer))
    sa.Table("legacy_stuff", db, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("keep", model, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("old", sa.String(20)), sa.Column("new", sa.Integer))
    sa.Table("fresh", model, sa.Column("id", sa.Integer, primary_key=True))
    return db, model


def names(diff_list):
    out = []
    for d in flat(diff_list):
        if d[0] in ("add_table", "remove_table"):
            out.append((d[0], d[1].name))
        elif d[0] in ("add_column", "remove_column"):
            out.append((d[0], d[3].name))
        else:
            out.append((d[0], d[3]))
    return sorted(out)


def test_unfiltered(engine):
    db, model = db_and_model()
    setup(engine, db)
    assert names(diffs(engine, model)) == [
        ("add_column", "new"), ("add_table", "fresh"), ("modify_type", "old"),
        ("remove_column", "secret"), ("remove_table", "legacy_stuff"),
    ]


def test_include_name_leaves_objects_out_before_reflection(engine):
    db, model = db_and_model()
    setup(engine, db)
    seen = []

    def include_name(name, type_, parent_names):
        seen.append((name, type_, dict(parent_names)))
        if type_ == "table":
            return not name.startswith("legacy_")
        if type_ == "column":
            return name != "secret"
        return True

    assert names(diffs(engine, model, include_name=include_name)) == [
        ("add_column", "new"), ("add_table", "fresh"), ("modify_type", "old"),
    ]
    assert ("keep", "table", {"schema_name": None,
                              "schema_qualified_table_name": "keep"}) in seen
    assert any(t == "column" and p["table_name"] == "keep" for _, t, p in seen)


def test_include_object_sees_model_and_reflected_objects(engine):
    db, model = db_and_model()
    setup(engine, db)
    calls = []

    def include_object(obj, name, type_, reflected, compare_to):
        calls.append((name, type_, reflected))
        return not (type_ == "table" and reflected and compare_to is None)

    assert names(diffs(engine, model, include_object=include_object)) == [
        ("add_column", "new"), ("add_table", "fresh"), ("modify_type", "old"),
        ("remove_column", "secret"),
    ]
    assert ("legacy_stuff", "table", True) in calls and ("fresh", "table", False) in calls


def test_compare_type_and_server_default_callables(engine):
    db, model = db_and_model()
    setup(engine, db)
    asked = []

    def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
        asked.append(metadata_column.name)
        return False if metadata_column.name == "old" else None

    result = names(diffs(engine, model, compare_type=compare_type))
    assert ("modify_type", "old") not in result and "old" in asked

    db2, model2 = sa.MetaData(), sa.MetaData()
    sa.Table("t", db2, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("v", sa.Integer, server_default="1"))
    sa.Table("t", model2, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("v", sa.Integer, server_default="1"))
    setup(engine, db2)
    seen = []

    def compare_default(context, insp_col, meta_col, insp_default, meta_default, rendered):
        seen.append((meta_col.name, insp_default, rendered))
        return True if meta_col.name == "v" else None

    result = flat(diffs(engine, model2, compare_server_default=compare_default))
    assert [d[0] for d in result] == ["modify_default"]
    # Alembic's arguments: not called when neither side has a default; the model's string
    # default as written (the reflected one as the database reports it)
    assert seen == [("v", "'1'", "1")]


def test_rewriter_rewrites_and_chains(engine):
    db, model = db_and_model()
    setup(engine, db)
    first, second = Rewriter(), Rewriter()

    @first.rewrites(ops.AddColumnOp)
    def add_nullable_then_alter(context, revision, op):
        op.column.nullable = True
        return [op, ops.AlterColumnOp(op.table_name, op.column.name, existing_nullable=True,
                                      modify_nullable=False)]

    @second.rewrites(ops.DropTableOp)
    def keep_tables(context, revision, op):
        return []

    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn)
        script = produce_migrations(ctx, model)
    directives = [script]
    first.chain(second)(ctx, ("rev",), directives)
    leaves = [op for group in directives[0].upgrade_ops.ops
              for op in (group.ops if isinstance(group, ops.ModifyTableOps) else [group])]
    kinds = [type(op).__name__ for op in leaves]
    assert "DropTableOp" not in kinds
    assert kinds.count("AlterColumnOp") == 2  # the type change and the rewrite's
    index = kinds.index("AddColumnOp")
    assert kinds[index + 1] == "AlterColumnOp" and leaves[index + 1].modify_nullable is False


def test_blocking_the_core_comparators(engine):
    db, model = db_and_model()
    setup(engine, db)
    pm = build_plugin_manager(None, ["no:mig_core.builtin.compare"], env={})
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=pm)
        assert produce_migrations(ctx, model).upgrade_ops.ops == []


def test_plugin_comparators_at_every_level(engine):
    db, model = db_and_model()
    setup(engine, db)
    calls = []

    @hookimpl
    def mig_compare_table(ctx, modify_ops, schema, name, conn_table, meta_table):
        calls.append(("table", name, sorted(conn_table.columns)))
        modify_ops.ops.append(ops.CreateTableCommentOp(name, "seen"))

    @hookimpl
    def mig_compare_column(ctx, alter_op, schema, table_name, conn_col, meta_col):
        calls.append(("column", conn_col.name))

    @hookimpl
    def mig_compare_type(ctx, conn_col, meta_col):
        return False  # this "dialect" considers every type equal

    pm = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
    pm.register_plugin(module_plugin("mine", mig_compare_table=mig_compare_table,
                                     mig_compare_column=mig_compare_column,
                                     mig_compare_type=mig_compare_type), "mine")
    pm.register_plugin(
        __import__("mig_sqlite_batch.plugin", fromlist=["x"]), "sqlite_batch")
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=pm)
        script = produce_migrations(ctx, model)
    keep = next(op for op in script.upgrade_ops.ops if isinstance(op, ops.ModifyTableOps))
    assert ("table", "keep", ["id", "old", "secret"]) in calls
    assert ("column", "old") in calls and ("column", "id") in calls
    assert not any(isinstance(op, ops.AlterColumnOp) for op in keep.ops)
    assert isinstance(keep.ops[0], ops.CreateTableCommentOp)  # plugins run before the core
