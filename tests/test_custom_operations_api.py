"""Alembic's API for custom operations (``Operations.register_operation``,
``Operations.implementation_for``), as its cookbook and third-party packages use it: the
decorated operations go into mig's own operation registry, run online and offline, in batches."""

from __future__ import annotations

import io
import sqlite3
import sys
import textwrap
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from runtime_support import ENV_PY, config_for, make_project

from mig_core import command, hookimpl
from mig_core.errors import MigWarning, PluginError
from mig_core.operations import custom
from mig_core.plugins import build_plugin_manager, module_plugin
from mig_core.testing import reset_registrations

MODULE = "mig_test_myops"

#: the cookbook recipe; a table stands in for the sequence so SQLite can run it
MYOPS = '''
from mig_core.operations import BatchOperations, MigrateOperation, Operations


@Operations.register_operation("create_sequence")
class CreateSequenceOp(MigrateOperation):
    def __init__(self, sequence_name, schema=None):
        self.sequence_name = sequence_name
        self.schema = schema

    @classmethod
    def create_sequence(cls, operations, sequence_name, **kw):
        op = CreateSequenceOp(sequence_name, **kw)
        return operations.invoke(op)

    def reverse(self):
        return DropSequenceOp(self.sequence_name, schema=self.schema)


@Operations.register_operation("drop_sequence")
class DropSequenceOp(MigrateOperation):
    def __init__(self, sequence_name, schema=None):
        self.sequence_name = sequence_name
        self.schema = schema

    @classmethod
    def drop_sequence(cls, operations, sequence_name, **kw):
        return operations.invoke(DropSequenceOp(sequence_name, **kw))

    def reverse(self):
        return CreateSequenceOp(self.sequence_name, schema=self.schema)


@Operations.implementation_for(CreateSequenceOp)
def create_sequence(operations, operation):
    operations.execute("CREATE TABLE seq_%s (n INTEGER)" % operation.sequence_name)


@Operations.implementation_for(DropSequenceOp)
def drop_sequence(operations, operation):
    operations.execute("DROP TABLE seq_%s" % operation.sequence_name)


@Operations.register_operation("make_marker", "build")
@BatchOperations.register_operation("make_marker", "batch_build")
class MarkerOp(MigrateOperation):
    def __init__(self, name):
        self.name = name

    @classmethod
    def build(cls, operations, name):
        return operations.invoke(cls(name))

    @classmethod
    def batch_build(cls, operations):
        return operations.invoke(cls(operations.table_name))


@Operations.implementation_for(MarkerOp)
def make_marker(operations, operation):
    operations.execute("CREATE TABLE marker_%s (n INTEGER)" % operation.name)
    return "made " + operation.name


@BatchOperations.register_operation("add_audit", "batch_add_audit")
class AddAuditOp(MigrateOperation):
    def __init__(self, table_name):
        self.table_name = table_name

    @classmethod
    def batch_add_audit(cls, operations):
        return operations.invoke(cls(operations.table_name))


@Operations.implementation_for(AddAuditOp)
def add_audit(operations, operation):
    operations.execute("CREATE TABLE %s_audit (n INTEGER)" % operation.table_name)
'''


@pytest.fixture(autouse=True)
def clean_registrations() -> Iterator[None]:
    """The decorators register process-wide: start and end every test without them."""
    saved_path = list(sys.path)
    sys.modules.pop(MODULE, None)
    reset_registrations()
    yield
    reset_registrations()
    sys.modules.pop(MODULE, None)
    sys.path[:] = saved_path


def project(tmp_path: Path, revisions: list[dict[str, Any]], **configure: Any) -> Any:
    (tmp_path / f"{MODULE}.py").write_text(MYOPS)
    env_py = f"import {MODULE}  # noqa: F401\n" + ENV_PY
    ini = make_project(
        tmp_path, f"sqlite:///{tmp_path / 'app.db'}", revisions, env_py=env_py,
        ini_extra="prepend_sys_path = .\n",
    )
    return config_for(ini, configure=configure) if configure else config_for(ini)


def tables(tmp_path: Path) -> set[str]:
    with sqlite3.connect(tmp_path / "app.db") as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows} - {"mig_version", "mig_history"}


SEQUENCE_REVISION = {
    "rev": "s1",
    "upgrade": 'op.create_sequence("orders")',
    "downgrade": f"import {MODULE}\nop.invoke({MODULE}.CreateSequenceOp('orders').reverse())",
}


def test_cookbook_recipe_upgrade_and_downgrade_by_reverse(tmp_path: Path) -> None:
    config = project(tmp_path, [SEQUENCE_REVISION])
    command.upgrade(config, "head")
    assert tables(tmp_path) == {"seq_orders"}
    command.downgrade(config, "base")
    assert tables(tmp_path) == set()


def test_cookbook_recipe_offline(tmp_path: Path) -> None:
    buf = io.StringIO()
    config = project(tmp_path, [SEQUENCE_REVISION], output_buffer=buf)
    command.upgrade(config, "head", sql=True)
    assert "CREATE TABLE seq_orders (n INTEGER);" in buf.getvalue()
    buf.seek(0)
    buf.truncate()
    command.downgrade(config, "s1:base", sql=True)
    assert "DROP TABLE seq_orders;" in buf.getvalue()


def test_sourcename_and_invoke_result(tmp_path: Path) -> None:
    revision = {"rev": "m1", "upgrade": 'assert op.make_marker("a") == "made a"\n'
                "assert op.create_sequence('b') is None"}
    command.upgrade(project(tmp_path, [revision]), "head")
    assert tables(tmp_path) == {"marker_a", "seq_b"}


@pytest.mark.parametrize("recreate", ["auto", "always"])
def test_batch_operations_registration(tmp_path: Path, recreate: str) -> None:
    revision = {"rev": "b1", "upgrade": textwrap.dedent(f"""
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        try:
            op.add_audit
        except AttributeError as exc:
            assert "batch_op.add_audit" in str(exc)
        else:
            raise AssertionError("op.add_audit exists")
        with op.batch_alter_table("t", recreate={recreate!r}) as batch_op:
            batch_op.add_column(sa.Column("x", sa.Integer))
            batch_op.add_audit()
            assert batch_op.make_marker() == "made t"
            assert "add_audit" in dir(batch_op)
    """)}
    command.upgrade(project(tmp_path, [revision]), "head")
    assert tables(tmp_path) == {"t", "t_audit", "marker_t"}
    with sqlite3.connect(tmp_path / "app.db") as conn:
        assert [r[1] for r in conn.execute("PRAGMA table_info(t)")] == ["id", "x"]


def test_the_same_module_imported_again_replaces_its_registrations(tmp_path: Path) -> None:
    config = project(tmp_path, [SEQUENCE_REVISION])
    command.upgrade(config, "head")
    first = sys.modules.pop(MODULE)
    command.downgrade(config, "base")  # env.py imports the module again: new classes
    second = sys.modules[MODULE]
    assert second is not first and second.CreateSequenceOp is not first.CreateSequenceOp
    command.upgrade(config, "head")
    assert tables(tmp_path) == {"seq_orders"}
    # the registry calls the newest class
    entry = custom._REGISTRATIONS["create_sequence"]
    assert entry.op_form is not None and entry.op_form.op_class is second.CreateSequenceOp


def test_a_module_imported_during_the_run_is_seen(tmp_path: Path) -> None:
    """Registered after ``op`` was made (imported inside upgrade()): found on first use."""
    (tmp_path / f"{MODULE}.py").write_text(MYOPS)
    revision = {"rev": "l1", "upgrade": f"import {MODULE}\nop.create_sequence('late')"}
    ini = make_project(
        tmp_path, f"sqlite:///{tmp_path / 'app.db'}", [revision],
        ini_extra="prepend_sys_path = .\n",
    )
    command.upgrade(config_for(ini), "head")
    assert tables(tmp_path) == {"seq_late"}


def _define(module: str, body: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": module}
    exec(textwrap.dedent(body), namespace)
    return namespace


SEQ_CLASS = """
from mig_core.operations import MigrateOperation, Operations

@Operations.register_operation("create_sequence")
class {name}(MigrateOperation):
    @classmethod
    def create_sequence(cls, operations, name):
        return operations.invoke(cls())
"""


def test_two_modules_claiming_one_name_the_last_wins_with_a_warning() -> None:
    """Two services in one process, each with the cookbook's ``create_sequence``: as in Alembic
    the last registration wins (it was a PluginError on the second import)."""
    _define("pkg_a.ops", SEQ_CLASS.format(name="CreateSequenceOp"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _define("pkg_a.ops", SEQ_CLASS.format(name="CreateSequenceOp"))  # a re-import: silent
    with pytest.warns(MigWarning, match=r"two classes: pkg_a\.ops\.CreateSequenceOp and "
                                        r"pkg_b\.ops\.MySequenceOp"):
        second = _define("pkg_b.ops", SEQ_CLASS.format(name="MySequenceOp"))
    entry = custom._REGISTRATIONS["create_sequence"]
    assert entry.op_form is not None and entry.op_form.op_class is second["MySequenceOp"]
    pm = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
    custom.install(pm)
    assert pm.operations.entries["create_sequence"].plugin == "pkg_b.ops"


def test_a_registered_operation_is_on_the_op_proxy_outside_a_run() -> None:
    """``Operations.register_operation`` names are there outside a run, as the core's are
    (calling one raises NameError); they go with their registration."""
    from mig_core import op

    assert not hasattr(op, "create_sequence")
    _define("pkg_a.ops", SEQ_CLASS.format(name="CreateSequenceOp"))
    assert hasattr(op, "create_sequence")
    with pytest.raises(NameError, match=r"^mig_core\.op\.create_sequence: 'op' is only"):
        op.create_sequence("s")
    custom.forget()
    assert not hasattr(op, "create_sequence")


def test_a_name_a_plugin_registers_too_stays_the_projects_with_a_warning() -> None:
    """As in Alembic, where the last registration wins: alembic-postgresql-enum's
    ``add_enum_value`` over mig-postgres's."""
    @hookimpl
    def mig_register_operations(registry: Any) -> None:
        registry.add("create_sequence", lambda operations, name: None)

    _define("pkg_a.ops", SEQ_CLASS.format(name="CreateSequenceOp"))
    pm = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
    pm.register_plugin(
        module_plugin("seqplugin", mig_register_operations=mig_register_operations), "seqplugin"
    )
    custom.install(pm)
    with pytest.warns(MigWarning, match=r"op.create_sequence is registered with "
                      r"Operations.register_operation by pkg_a.ops and provided by plugin "
                      r"'seqplugin' too; the register_operation one is used"):
        entry = pm.operations.entries["create_sequence"]
    assert entry.plugin == "pkg_a.ops" and entry.alembic_style


def test_a_name_two_plugins_register_is_an_error_naming_both() -> None:
    def plugin(name: str) -> Any:
        @hookimpl
        def mig_register_operations(registry: Any) -> None:
            registry.add("create_sequence", lambda operations, name: None)

        return module_plugin(name, mig_register_operations=mig_register_operations)

    pm = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
    pm.register_plugin(plugin("seq_a"), "seq_a")
    pm.register_plugin(plugin("seq_b"), "seq_b")
    with pytest.raises(PluginError, match="'create_sequence' is registered by two plugins: "
                                          "'seq_a' and 'seq_b'"):
        _ = pm.operations


def test_a_plugins_optional_directive_yields_to_the_project() -> None:
    pytest.importorskip("mig_postgres.plugin")
    _define("pkg_a.ops", SEQ_CLASS.format(name="CreateSequenceOp"))
    pm = build_plugin_manager(None, ["postgres"], env={}, autoload=False)
    assert custom.install(pm)
    assert not custom.install(pm)  # nothing new
    assert pm.operations.entries["create_sequence"].plugin == "pkg_a.ops"
    listing = {record.name: record for record in pm.plugin_listing()}
    assert listing["pkg_a.ops"].operations == ["create_sequence"]


def test_reserved_and_missing_names_are_refused() -> None:
    from mig_core.operations import BatchOperations, Operations

    with pytest.raises(PluginError, match="invoke"):
        Operations.register_operation("invoke")
    with pytest.raises(PluginError, match="has no classmethod 'nope'"):
        Operations.register_operation("thing", "nope")(type("ThingOp", (), {}))
    with pytest.raises(PluginError, match="table_name"):
        BatchOperations.register_operation("table_name")


def test_alembic_operations_names_are_exported() -> None:
    import mig_core.operations as operations
    from mig_core.operations import BatchOperations, MigrateOperation, Operations, ops

    assert MigrateOperation is ops.MigrateOperation
    assert issubclass(BatchOperations, Operations)
    assert operations.MigrationScript is ops.MigrationScript
    assert {"MigrateOperation", "Operations", "BatchOperations", "ops"} <= set(operations.__all__)


LATE_OPS = """
from mig_core.operations import MigrateOperation, Operations

@Operations.register_operation("create_thing")
class CreateThingOp(MigrateOperation):
    def __init__(self, name):
        self.name = name

    @classmethod
    def create_thing(cls, operations, name):
        return operations.invoke(cls(name))

@Operations.implementation_for(CreateThingOp)
def create_thing(operations, operation):
    operations.execute("CREATE TABLE %s (n INTEGER)" % operation.name)
"""


@contextmanager
def direct_operations() -> Iterator[tuple[Any, Any]]:
    """An ``Operations`` made by hand (embedded use) on an in-memory SQLite database."""
    import sqlalchemy as sa

    from mig_core.operations import Operations
    from mig_core.runtime.migration import MigrationContext

    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)")
        context = MigrationContext.configure(conn, plugin_manager=build_plugin_manager(None))
        yield Operations(context), conn


def _tables(conn: Any) -> set[str]:
    import sqlalchemy as sa

    return set(sa.inspect(conn).get_table_names())


def test_an_operation_registered_late_is_seen_after_a_batch_noticed_it_first() -> None:
    """``batch_op`` installing a new registration must not leave ``op`` on the old registry."""
    import sqlalchemy as sa

    with direct_operations() as (op, conn):
        op.execute("SELECT 1")  # op in use
        _define("pkg_late.ops", LATE_OPS)  # imported inside upgrade()
        with op.batch_alter_table("t") as batch_op:
            batch_op.add_column(sa.Column("b", sa.Integer))
        op.create_thing("x")
        assert _tables(conn) == {"t", "x"}


REPLACED_ADD_COLUMN = """
from mig_core.operations import Operations, ops

EVENTS = []

@Operations.implementation_for(ops.AddColumnOp, replace=True)
def add_column(operations, operation):
    EVENTS.append(("impl", type(operations).__name__, operation.column.name))
    operations.impl.add_column(operation.table_name, operation.column, schema=operation.schema)
"""


@pytest.mark.parametrize("recreate", ["never", "always"])
def test_a_replaced_core_operation_is_queued_in_a_batch(recreate: str) -> None:
    """``implementation_for(AddColumnOp, replace=True)`` must not take add_column out of the
    batch: it is queued (ran at once, and past a recreate, before)."""
    import sqlalchemy as sa

    from mig_core.operations import ops, toimpl

    core_handler = toimpl._HANDLERS[ops.AddColumnOp]
    namespace = _define("pkg_replace.ops", REPLACED_ADD_COLUMN)
    events = namespace["EVENTS"]
    with direct_operations() as (op, conn):
        with op.batch_alter_table("t", recreate=recreate) as batch_op:
            batch_op.add_column(sa.Column("b", sa.Integer))
            events.append("queued")
        columns = [c["name"] for c in sa.inspect(conn).get_columns("t")]
        assert columns == ["id", "a", "b"]
    if recreate == "never":  # applied as ALTERs: the implementation, given the outer op
        assert events == ["queued", ("impl", "Operations", "b")]
    else:  # the recreate carries the queued operation out
        assert events == ["queued"]
    custom.forget()
    assert toimpl._HANDLERS[ops.AddColumnOp] is core_handler  # the core handler is back


BATCH_IMPL = """
from mig_core.operations import BatchOperations, MigrateOperation, Operations

SEEN = []

@BatchOperations.register_operation("note_table", "batch_note_table")
class NoteTableOp(MigrateOperation):
    def __init__(self, table_name):
        self.table_name = table_name

    @classmethod
    def batch_note_table(cls, operations):
        return operations.invoke(cls(operations.table_name))

@Operations.implementation_for(NoteTableOp)
def note_table(operations, operation):
    SEEN.append((type(operations).__name__, operations.table_name))
    operations.execute("CREATE TABLE %s_note (n INTEGER)" % operation.table_name)
    return "noted"
"""


@pytest.mark.parametrize("recreate", ["never", "always"])
def test_a_custom_operation_in_a_batch_gets_the_batch_operations(recreate: str) -> None:
    namespace = _define("pkg_batchimpl.ops", BATCH_IMPL)
    with direct_operations() as (op, conn):
        with op.batch_alter_table("t", recreate=recreate) as batch_op:
            assert batch_op.note_table() == "noted"
            assert "t_note" in _tables(conn)  # its execute() ran at once
        assert _tables(conn) == {"t", "t_note"}
    assert namespace["SEEN"] == [("BatchOperations", "t")]
