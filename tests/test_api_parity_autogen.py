"""Alembic API parity of autogenerate and its commands: diff tuple shapes, exceptions, module
paths and the ``comparators`` / ``renderers`` dispatch API (compat audit 4, findings 4, 5, 8)."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.autogenerate.api import compare_metadata, produce_migrations
from mig_core.operations import ops
from mig_core.runtime.migration import MigrationContext


def _shape(diffs: list[Any]) -> list[Any]:
    return [[x[0] for x in d] if isinstance(d, list) else d[0] for d in diffs]


@pytest.fixture
def changed_db(sqlite_url: str) -> sa.Engine:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE k (id INTEGER PRIMARY KEY, a VARCHAR(20) NOT NULL, "
            "b INT DEFAULT 3, c INT, d INT)"
        )
    return engine


def _model() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "k", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.String(30), nullable=True),
        sa.Column("b", sa.Integer, server_default="4", nullable=False),
        sa.Column("c", sa.Integer, server_default="5"),
    )
    return md


def _compare(engine: sa.Engine, **opts: Any) -> tuple[list[Any], list[Any]]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts)
        return compare_metadata(ctx, _model()), produce_migrations(ctx, _model()).upgrade_ops.as_diffs()


def _by_column(diffs: list[Any]) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {(x[3], x[0]): x for d in diffs if isinstance(d, list) for x in d}


def test_existing_kw_leaves_out_the_modified_key(changed_db: sa.Engine) -> None:
    diffs, _ = _compare(changed_db, compare_server_default=True)
    found = _by_column(diffs)
    assert set(found[("a", "modify_type")][4]) == {
        "existing_nullable", "existing_server_default", "existing_comment"}
    assert set(found[("a", "modify_nullable")][4]) == {
        "existing_type", "existing_server_default", "existing_comment"}
    assert set(found[("b", "modify_default")][4]) == {
        "existing_type", "existing_nullable", "existing_comment"}
    # the usual way back from a diff to an operation does not pass a keyword twice
    kind, schema, table, column, existing_kw, old, new = found[("a", "modify_type")]
    op = ops.AlterColumnOp(table, column, modify_type=new, existing_type=old, **existing_kw)
    assert op.existing_nullable is False


def test_existing_server_default_is_false_without_a_default(changed_db: sa.Engine) -> None:
    diffs, _ = _compare(changed_db, compare_server_default=True)
    found = _by_column(diffs)
    assert found[("a", "modify_type")][4]["existing_server_default"] is False
    # a default the database has is given as SQLAlchemy holds it
    assert isinstance(found[("b", "modify_nullable")][4]["existing_server_default"],
                      sa.DefaultClause)
    # a default added where there was none: the old value is None, as in Alembic
    assert found[("c", "modify_default")][5] is None
    with changed_db.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts={"compare_server_default": True})
        upgrade = produce_migrations(ctx, _model()).upgrade_ops
    alters = {o.column_name: o for o in upgrade.ops[0].ops if isinstance(o, ops.AlterColumnOp)}
    assert alters["a"].existing_server_default is False
    assert alters["c"].existing_server_default is None
    from mig_core.autogenerate.api import render_python_code

    text = render_python_code(upgrade)
    assert "existing_server_default=False" not in text
    assert "existing_server_default=None" not in text


def test_remove_column_is_bound_to_its_table(changed_db: sa.Engine) -> None:
    diffs, _ = _compare(changed_db)
    (removed,) = [d for d in diffs if not isinstance(d, list) and d[0] == "remove_column"]
    assert removed[3].name == "d"
    assert removed[3].table.name == "k"


def test_as_diffs_nests_column_changes_like_compare_metadata(changed_db: sa.Engine) -> None:
    diffs, as_diffs = _compare(changed_db, compare_server_default=True)
    assert ["modify_type", "modify_nullable"] in _shape(diffs)
    assert _shape(as_diffs) == _shape(diffs)


# --- exceptions (finding 4) ---------------------------------------------------------------------

MODEL_ENV = '''
import sqlalchemy as sa
target_metadata = sa.MetaData()
sa.Table("extra", target_metadata, sa.Column("id", sa.Integer, primary_key=True))
'''


def _project(tmp_path: Any, sqlite_url: str, extra: str = MODEL_ENV) -> Any:
    """A generic ``mig init`` project on SQLite whose env.py defines the model (+ ``extra``)."""
    import io

    from mig_core import command
    from mig_core.config import Config

    cfg = Config(str(tmp_path / "mig.ini"), stdout=io.StringIO())
    command.init(cfg, str(tmp_path / "migrations"))
    cfg = Config(str(tmp_path / "mig.ini"), stdout=io.StringIO())
    cfg.set_main_option("sqlalchemy.url", sqlite_url)
    env = tmp_path / "migrations" / "env.py"
    env.write_text(env.read_text().replace("target_metadata = None", extra))
    return cfg


def test_exception_classes_at_alembic_paths() -> None:
    import mig_core.util
    import mig_core.util.exc
    from mig_core.autogenerate.revision import AutogenerateDiffsDetected, DatabaseNotAtHead
    from mig_core.errors import CommandError

    for module in (mig_core.util, mig_core.util.exc):
        assert module.DatabaseNotAtHead is DatabaseNotAtHead
        assert module.AutogenerateDiffsDetected is AutogenerateDiffsDetected
    assert issubclass(DatabaseNotAtHead, CommandError)
    assert issubclass(AutogenerateDiffsDetected, CommandError)


def test_current_check_heads_raises_database_not_at_head(tmp_path: Any, sqlite_url: str) -> None:
    from mig_core import command
    from mig_core.util import DatabaseNotAtHead

    cfg = _project(tmp_path, sqlite_url)
    command.revision(cfg, "one", rev_id="r1")
    with pytest.raises(DatabaseNotAtHead):
        command.current(cfg, check_heads=True)
    command.upgrade(cfg, "head")
    command.current(cfg, check_heads=True)


def test_check_raises_alembic_style_and_prints_nothing(tmp_path: Any, sqlite_url: str) -> None:
    from mig_core import command
    from mig_core.operations.ops import MigrationScript
    from mig_core.util import AutogenerateDiffsDetected

    cfg = _project(tmp_path, sqlite_url)
    with pytest.raises(AutogenerateDiffsDetected) as info:
        command.check(cfg)
    exc = info.value
    assert [d[0] for d in exc.diffs] == ["add_table"]
    assert str(exc) == f"New upgrade operations detected: {exc.diffs!r}"
    (script,) = exc.revision_context.generated_revisions
    assert isinstance(script, MigrationScript)
    assert [o.op_name for o in script.upgrade_ops.ops] == ["create_table"]
    assert cfg.stdout.getvalue() == ""


def test_check_from_python_with_cmd_opts_is_still_alembic_style(
    tmp_path: Any, sqlite_url: str
) -> None:
    """Python callers set ``cmd_opts`` to pass -x arguments; that does not make it the CLI."""
    import argparse

    from mig_core import command
    from mig_core.config import Config
    from mig_core.util import AutogenerateDiffsDetected

    _project(tmp_path, sqlite_url)
    cfg = Config(str(tmp_path / "mig.ini"), cmd_opts=argparse.Namespace(x=["a=1"]),
                 stdout=io.StringIO())
    with pytest.raises(AutogenerateDiffsDetected) as info:
        command.check(cfg)
    assert str(info.value).startswith("New upgrade operations detected: [")
    assert cfg.stdout.getvalue() == ""


def test_cli_check_keeps_its_report(tmp_path: Any, sqlite_url: str, capsys: Any) -> None:
    from mig_core.cli import main

    _project(tmp_path, sqlite_url)
    code = main(["-c", str(tmp_path / "mig.ini"), "check"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "New upgrade operations detected (1):\n  add_table extra" in out
    assert "the model and the database differ (1 difference)" in err


# --- module paths and the dispatch_for API (finding 8) ------------------------------------------


def test_alembic_module_paths() -> None:
    from mig_core.autogenerate import comparators, renderers
    from mig_core.autogenerate.api import RevisionContext
    from mig_core.autogenerate.render import render_op_text
    from mig_core.autogenerate.revision import AutogenRun

    assert callable(comparators.dispatch_for) and callable(renderers.dispatch_for)
    assert RevisionContext is AutogenRun
    from mig_core.autogenerate.context import RenderContext

    op = ops.AddColumnOp("t", sa.Column("x", sa.Integer()))
    assert render_op_text(RenderContext(), op) == (
        "op.add_column('t', sa.Column('x', sa.Integer(), nullable=True))"
    )


# Alembic's "autogenerate extension" recipe (the docs' CreateSequenceOp example), made to run on
# SQLite: the model lists views in MetaData.info, a schema comparator emits the op for a view the
# database lacks, a renderer writes it; a table comparator adds a marker op per compared table.
EXTENSION_ENV = '''
import sqlalchemy as sa
from mig_core.autogenerate import comparators, renderers
from mig_core.operations import MigrateOperation, Operations

target_metadata = sa.MetaData(info={"my_views": {"v_ids": "SELECT id FROM extra"}})
sa.Table("extra", target_metadata, sa.Column("id", sa.Integer, primary_key=True))


@Operations.register_operation("create_myview")
class CreateMyViewOp(MigrateOperation):
    def __init__(self, name, sql):
        self.name, self.sql = name, sql

    @classmethod
    def create_myview(cls, operations, name, sql):
        return operations.invoke(cls(name, sql))

    def reverse(self):
        return DropMyViewOp(self.name, self.sql)


@Operations.register_operation("drop_myview")
class DropMyViewOp(MigrateOperation):
    def __init__(self, name, sql=None):
        self.name, self.sql = name, sql

    @classmethod
    def drop_myview(cls, operations, name, sql=None):
        return operations.invoke(cls(name, sql))

    def reverse(self):
        return CreateMyViewOp(self.name, self.sql)


@Operations.implementation_for(CreateMyViewOp)
def _create_myview(operations, op):
    operations.execute("CREATE VIEW %s AS %s" % (op.name, op.sql))


@Operations.implementation_for(DropMyViewOp)
def _drop_myview(operations, op):
    operations.execute("DROP VIEW %s" % op.name)


class NoteOp(MigrateOperation):
    def __init__(self, table):
        self.table = table

    def reverse(self):
        return NoteOp(self.table)


@comparators.dispatch_for("schema")
def compare_views(autogen_context, upgrade_ops, schemas):
    assert None in schemas
    rows = autogen_context.connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'view'").all()
    existing = {r[0] for r in rows}
    for name, sql in sorted(autogen_context.metadata.info["my_views"].items()):
        if name not in existing:
            upgrade_ops.ops.append(CreateMyViewOp(name, sql))


@comparators.dispatch_for("table")
def note_tables(autogen_context, modify_table_ops, schema, tname, conn_table, metadata_table):
    if conn_table is None or metadata_table is None:
        return  # an added or removed table (Alembic calls table comparators for those too)
    assert conn_table.name == tname and isinstance(conn_table, sa.Table)
    modify_table_ops.ops.append(NoteOp(tname))


@renderers.dispatch_for(CreateMyViewOp)
def render_create_myview(autogen_context, op):
    return "op.create_myview(%r, %r)" % (op.name, op.sql)


@renderers.dispatch_for(DropMyViewOp)
def render_drop_myview(autogen_context, op):
    return "op.drop_myview(%r)" % (op.name,)


@renderers.dispatch_for(NoteOp)
def render_note(autogen_context, op):
    return "# compared %s\\npass" % op.table
'''


@pytest.fixture
def forget_dispatch() -> Any:
    from mig_core.testing import reset_registrations

    yield
    reset_registrations()


def test_autogenerate_extension_recipe(tmp_path: Any, sqlite_url: str,
                                       forget_dispatch: Any) -> None:
    from mig_core import command

    cfg = _project(tmp_path, sqlite_url, EXTENSION_ENV)
    first = command.revision(cfg, "tables", autogenerate=True, rev_id="r1")
    text = open(first.path).read()
    assert "op.create_myview('v_ids', 'SELECT id FROM extra')" in text
    assert "op.drop_myview('v_ids')" in text
    assert text.index("op.create_table('extra'") < text.index("op.create_myview(")
    command.upgrade(cfg, "head")
    with sa.create_engine(sqlite_url).connect() as conn:
        views = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'view'").all()
    assert views == [("v_ids",)]
    second = command.revision(cfg, "again", autogenerate=True, rev_id="r2")
    body = open(second.path).read()
    # the table comparator ran for the table both sides have, its op rendered by its renderer
    assert "    # compared extra\n    pass" in body
    assert "create_myview" not in body
