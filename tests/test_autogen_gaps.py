"""Gaps an audit of autogenerate found: tables dropped and created across schemas in foreign-key
order, ``include_name`` for the default schema, ``render_item`` returning None, a
``compare_type`` callable answering True, and readable ``mig check`` lines for every kind."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mig_core.autogenerate.api import render_python_code
from mig_core.autogenerate.describe import describe_diff, diff_record
from mig_core.errors import CommandError
from mig_core.operations import ops
from tests.autogen_helpers import diffs, flat, migrate, run_code, setup

# --- several schemas on PostgreSQL -------------------------------------------------------------


@pytest.fixture
def pg(postgres_url):
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with eng.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS extra CASCADE"))
    setup(eng, None)
    with eng.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA extra"))
    yield eng
    with eng.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS extra CASCADE"))
    eng.dispose()


def library() -> sa.MetaData:
    """public.book <- extra.audit <- public.review: foreign keys crossing schemas both ways.

    The reflected ``referred_schema`` of audit's key is None (book is on the search path);
    review's is ``extra``.
    """
    md = sa.MetaData()
    sa.Table("book", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("audit", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("book_id", sa.Integer, sa.ForeignKey("book.id")), schema="extra")
    sa.Table("review", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("audit_id", sa.Integer, sa.ForeignKey("extra.audit.id")))
    return md


def table_order(body: str, verb: str) -> list[str]:
    names = ("'book'", "'audit'", "'review'")
    found = [(body.index(f"op.{verb}({n}"), n.strip("'")) for n in names if f"op.{verb}({n}" in body]
    return [name for _, name in sorted(found)]


def tables_of(engine: sa.Engine) -> set[str]:
    insp = sa.inspect(engine)
    return {*insp.get_table_names(), *(f"extra.{t}" for t in insp.get_table_names("extra"))}


def test_tables_of_several_schemas_are_created_and_dropped_in_foreign_key_order(pg):
    # created: the upgrade from an empty database runs, its downgrade drops them again
    up, down = migrate(pg, library(), include_schemas=True)
    assert table_order(up, "create_table") == ["book", "audit", "review"]
    assert table_order(down, "drop_table") == ["review", "audit", "book"]
    assert tables_of(pg) == {"book", "extra.audit", "review"}
    assert diffs(pg, library(), include_schemas=True) == []
    run_code(pg, down)
    assert tables_of(pg) == set()

    # removed: the model is empty; dropping book first fails (DependentObjectsStillExist)
    setup(pg, library())
    up, down = migrate(pg, sa.MetaData(), include_schemas=True)
    assert table_order(up, "drop_table") == ["review", "audit", "book"]
    assert table_order(down, "create_table") == ["book", "audit", "review"]
    assert tables_of(pg) == set()
    run_code(pg, down)  # the downgrade re-creates book before the tables referring to it
    assert tables_of(pg) == {"book", "extra.audit", "review"}
    assert diffs(pg, library(), include_schemas=True) == []


def test_include_name_sees_and_can_leave_out_the_default_schema(pg):
    setup(pg, library())
    seen = []

    def skip_default(name, type_, parent_names):
        if type_ == "schema":
            seen.append((name, dict(parent_names)))
            return name is not None
        return True

    result = flat(diffs(pg, sa.MetaData(), include_schemas=True, include_name=skip_default))
    assert (None, {}) in seen and ("extra", {}) in seen
    assert [(d[0], d[1].schema, d[1].name) for d in result] == [
        ("remove_table", "extra", "audit")]

    # as in Alembic, the default schema is offered to include_name without include_schemas too
    seen.clear()
    assert diffs(pg, sa.MetaData(), include_name=skip_default) == []
    assert seen == [(None, {})]


# --- render_item returning None ---------------------------------------------------------------


def thing() -> sa.Table:
    return sa.Table(
        "thing", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("secret", sa.String(20)),
        sa.Column("size", sa.Integer, server_default="3"),
        sa.UniqueConstraint("size", name="uq_thing_size"),
    )


def test_render_item_none_leaves_columns_and_constraints_out_of_create_table(sqlite_url):
    def render_item(type_, obj, autogen_context):
        if type_ == "column" and obj.name == "secret":
            return None
        if type_ in ("unique", "server_default"):
            return None
        return False

    upgrade = ops.UpgradeOps([ops.CreateTableOp.from_table(thing())])
    code = render_python_code(upgrade, render_item=render_item)
    assert "secret" not in code and "uq_thing_size" not in code and "server_default" not in code
    assert ", ," not in code and "(, " not in code
    assert "sa.Column('size', sa.Integer(), nullable=True)" in code
    engine = sa.create_engine(sqlite_url)
    run_code(engine, code)  # the code runs
    columns = [c["name"] for c in sa.inspect(engine).get_columns("thing")]
    engine.dispose()
    assert columns == ["id", "size"]


def test_render_item_none_for_a_type_writes_none_as_alembic_does():
    upgrade = ops.UpgradeOps([ops.CreateTableOp.from_table(thing())])
    code = render_python_code(
        upgrade, render_item=lambda t, o, c: None if t == "type" else False)
    assert "sa.Column('id', None, nullable=False)" in code
    compile("def upgrade():\n    " + code, "<rendered>", "exec")


def test_render_item_none_for_an_added_column_is_a_clear_error():
    upgrade = ops.UpgradeOps([ops.ModifyTableOps("thing", [
        ops.AddColumnOp("thing", sa.Column("secret", sa.String(20)))])])
    with pytest.raises(CommandError, match=r"render_item returned None for column 'secret'"):
        render_python_code(upgrade, render_item=lambda t, o, c: None if t == "column" else False)


# --- compare_type answering True ------------------------------------------------------------------


def test_compare_type_callable_true_reports_a_type_change(sqlite_url):
    engine = sa.create_engine(sqlite_url)
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String(20)), sa.Column("other", sa.String(20)))
    setup(engine, md)
    assert diffs(engine, md) == []

    def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
        return True if metadata_column.name == "name" else None

    result = flat(diffs(engine, md, compare_type=compare_type))
    engine.dispose()
    assert [(d[0], d[3]) for d in result] == [("modify_type", "name")]


# --- mig check lines ------------------------------------------------------------------------------


def test_check_lines_for_comments_and_plugin_operations():
    md = sa.MetaData()
    author = sa.Table("author", md, sa.Column("id", sa.Integer), schema="s")
    assert describe_diff(("remove_table_comment", author)) == "remove_table_comment s.author"
    commented = sa.Table("book", md, sa.Column("id", sa.Integer), comment="new")
    assert describe_diff(("add_table_comment", commented, "old")) == (
        "add_table_comment book: 'old' -> 'new'")
    # a plugin's (kind, schema, name, *details) tuple
    assert describe_diff(("add_view", None, "v_acct", "SELECT id,\n  name FROM acct")) == (
        "add_view v_acct: SELECT id, name FROM acct")
    assert describe_diff(("add_view", "rep", "v", sa.select(author.c.id))) == (
        "add_view rep.v: SELECT s.author.id FROM s.author")
    long = describe_diff(("remove_view", None, "v", "SELECT " + "x, " * 40 + "y FROM t"))
    assert long.startswith("remove_view v: SELECT x, x,") and long.endswith("...")
    assert len(long) < 90
    # --json keeps the whole SQL
    whole = diff_record(("remove_view", None, "v", "SELECT " + "x, " * 40 + "y FROM t"))
    assert whole["detail"] == ["SELECT " + "x, " * 40 + "y FROM t"]
    assert describe_diff(("alter_enum", "s", "mood", ("a",), ("a", "b"))) == (
        "alter_enum s.mood: ['a'] -> ['a', 'b']")
    assert describe_diff(("add_sequence", sa.Sequence("seq", schema="s"))) == "add_sequence s.seq"
    assert "None" not in describe_diff(("add_enum", None, "mood", ("a", "b")))


def test_sqlite_on_conflict_of_an_unchanged_unique_constraint_is_no_difference(tmp_path):
    """SQLAlchemy does not reflect sqlite_on_conflict: comparing it would report every run."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'oc.db'}")
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer),
             sa.UniqueConstraint("a", name="uq_a", sqlite_on_conflict="REPLACE"))
    md.create_all(engine)
    assert flat(diffs(engine, md)) == []
    engine.dispose()
