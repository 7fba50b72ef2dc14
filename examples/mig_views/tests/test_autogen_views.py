"""mig-views in autogenerate: its comparator finds a declared view the database lacks, and its
renderer writes ``op.create_view(...)`` (and the reversing ``op.drop_view(...)``)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from mig_views.model import View
from mig_views.ops import CreateViewOp

from mig_core.autogenerate.api import produce_migrations, render_python_code
from mig_core.operations import Operations
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext

DEFINITION = "SELECT id, name FROM users WHERE active = 1"


@pytest.fixture(scope="module")
def pm() -> Any:
    return build_plugin_manager(None, env={})


def model() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("users", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String(50)), sa.Column("active", sa.Integer))
    View("active_users", md, DEFINITION)
    return md


def test_declared_view_missing_from_the_database(sqlite_url: str, pm: Any) -> None:
    engine = sa.create_engine(sqlite_url)
    md = model()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=pm)
        script = produce_migrations(ctx, md)
        kinds = [type(op).__name__ for op in script.upgrade_ops.ops]
        # the view comes after the table it selects from, and goes before it in the downgrade
        assert kinds == ["CreateTableOp", "CreateViewOp"]
        assert [type(op).__name__ for op in script.downgrade_ops.ops] == [
            "DropViewOp", "DropTableOp"]
        up = render_python_code(script.upgrade_ops, migration_context=ctx, plugin_manager=pm)
        down = render_python_code(script.downgrade_ops, migration_context=ctx, plugin_manager=pm)
    assert f"    op.create_view('active_users', {DEFINITION!r})" in up
    assert f"    op.drop_view('active_users', definition={DEFINITION!r})" in down
    assert down.index("op.drop_view") < down.index("op.drop_table('users')")

    namespace: dict[str, Any] = {}
    exec(compile("import sqlalchemy as sa\ndef upgrade():\n    " + up, "<rev>", "exec"),
         namespace)
    with engine.begin() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=pm)
        from mig_core import op

        namespace["op"] = op
        with op.installed(Operations(ctx)):
            namespace["upgrade"]()
    with engine.connect() as conn:
        assert sa.inspect(conn).get_view_names() == ["active_users"]
        ctx = MigrationContext.configure(connection=conn, plugin_manager=pm)
        assert produce_migrations(ctx, md).upgrade_ops.ops == []
    engine.dispose()


def test_view_comparator_is_skipped_when_the_plugin_is_blocked(sqlite_url: str) -> None:
    pm = build_plugin_manager(None, ["no:views"], env={})
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=pm)
        ops = produce_migrations(ctx, model()).upgrade_ops.ops
    assert not any(isinstance(op, CreateViewOp) for op in ops)
    engine.dispose()


def test_user_filters_see_each_view_once_and_can_leave_it_out(sqlite_url: str, pm: Any) -> None:
    engine = sa.create_engine(sqlite_url)
    md = model()
    View("scratch_users", md, DEFINITION)
    names: list[tuple[str, Any]] = []
    objects: list[tuple[str, bool, Any]] = []

    def include_name(name: Any, type_: str, parent_names: Any) -> bool:
        if type_ == "view":
            names.append((name, parent_names.get("schema_name")))
        return not str(name).startswith("scratch_")

    def include_object(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "view":
            objects.append((name, reflected, compare_to))
        return True

    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=pm, opts={
            "include_name": include_name, "include_object": include_object})
        ops = produce_migrations(ctx, md).upgrade_ops.ops
    engine.dispose()
    assert [op.view_name for op in ops if isinstance(op, CreateViewOp)] == ["active_users"]
    assert sorted(names) == [("active_users", None), ("scratch_users", None)]
    assert objects == [("active_users", False, None)]
