"""Alembic-style registrations are process-wide, like Alembic's: a project's ``dispatch_for``
comparators and renderers, ``register_operation`` and ``implementation_for`` reach every later
run in the process until :func:`mig_core.testing.reset_registrations` forgets them."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.autogenerate import comparators, renderers
from mig_core.autogenerate.api import compare_metadata
from mig_core.operations import custom, ops, toimpl
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext
from mig_core.testing import reset_registrations

PROJECT_A = '''
from mig_core.autogenerate import comparators, renderers
from mig_core.operations import MigrateOperation, Operations, ops


@Operations.register_operation("create_view_a")
class CreateViewAOp(MigrateOperation):
    def __init__(self, name):
        self.name = name

    @classmethod
    def create_view_a(cls, operations, name):
        return operations.invoke(cls(name))

    def to_diff_tuple(self):
        return ("project_a_view", self.name)


@Operations.implementation_for(CreateViewAOp)
def create_view_a(operations, operation):
    operations.execute("SELECT 1")


@comparators.dispatch_for("schema")
def project_a_views(autogen_context, upgrade_ops, schemas):
    upgrade_ops.ops.append(CreateViewAOp("v"))


@renderers.dispatch_for(CreateViewAOp)
def render_view_a(autogen_context, op):
    return "op.create_view_a(%r)" % op.name
'''

#: a core handler replaced, which forgetting restores
REPLACE_EXECUTE = '''
from mig_core.operations import Operations, ops


@Operations.implementation_for(ops.ExecuteSQLOp, replace=True)
def execute_sql(operations, operation):
    raise AssertionError("project A's execute")
'''


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    reset_registrations()
    yield
    reset_registrations()


def _define(module: str, body: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": module}
    exec(textwrap.dedent(body), namespace)
    return namespace


def _compare() -> list[Any]:
    """Project B: its own engine, metadata and context (a fresh plugin manager)."""
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), sa.MetaData()))


def test_registrations_reach_later_runs_until_reset() -> None:
    core_execute = toimpl._HANDLERS[ops.ExecuteSQLOp]
    namespace = _define("project_a.migrations.ops", PROJECT_A + REPLACE_EXECUTE)
    assert toimpl._HANDLERS[ops.ExecuteSQLOp] is not core_execute
    # process-wide, as in Alembic: project B's comparison sees project A's comparator
    assert _compare() == [("project_a_view", "v")]
    pm = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
    custom.install(pm)
    assert "create_view_a" in pm.operations.entries
    assert renderers.renderer_for(namespace["CreateViewAOp"]("v"), None) is not None

    reset_registrations()
    assert _compare() == []
    pm = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
    custom.install(pm)
    assert "create_view_a" not in pm.operations.entries
    assert renderers.renderer_for(namespace["CreateViewAOp"]("v"), None) is None
    assert toimpl._HANDLERS[ops.ExecuteSQLOp] is core_execute


def test_reset_of_one_module_keeps_the_others() -> None:
    _define("project_a.migrations.ops", PROJECT_A)
    project_b = PROJECT_A.replace("project_a", "project_b").replace("ViewA", "ViewB")
    _define("project_b.migrations.ops", project_b.replace("view_a", "view_b"))
    reset_registrations("project_a.migrations.ops")
    assert _compare() == [("project_b_view", "v")]
    assert set(custom._REGISTRATIONS) == {"create_view_b"}
    assert comparators._for("schema", None)[0].fn.__module__ == "project_b.migrations.ops"


def test_reset_of_a_module_whose_batch_form_was_replaced_keeps_the_op_form() -> None:
    from mig_core.errors import MigWarning

    body = """
from mig_core.operations import {owner}, MigrateOperation

@{owner}.register_operation("stamp_it")
class StampOp(MigrateOperation):
    @classmethod
    def stamp_it(cls, operations):
        return None
"""
    _define("svc_a.ops", body.format(owner="Operations"))
    _define("svc_a.ops", body.format(owner="BatchOperations"))
    with pytest.warns(MigWarning, match="svc_a.ops.StampOp and svc_b.ops.StampOp"):
        _define("svc_b.ops", body.format(owner="BatchOperations"))
    reset_registrations("svc_b.ops")
    entry = custom._REGISTRATIONS["stamp_it"]
    assert entry.batch_form is None and entry.op_form is not None
    assert entry.plugin == "svc_a.ops"
    reset_registrations("svc_a.ops")
    assert "stamp_it" not in custom._REGISTRATIONS
