"""The upgrade loop's fast paths give the same results as the general paths they shortcut.

* ``load_module`` runs a revision from the folder's code cache or its current ``__pycache__``
  entry without the import machinery, and falls back to importlib for anything else (no,
  stale, hash-based or foreign .pyc), keeping file names right in tracebacks and errors; the
  history checksum is the digest of the source that was loaded.
* ``add_column`` of a plain column compiles ``ALTER TABLE ... ADD COLUMN`` without building a
  Table, when the impl, the dialect compilation and the dialect's column specification allow it;
  the SQL is the one the Table path writes.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import io
import marshal
import os
import py_compile
import shutil
import sys
from typing import Any

import pytest
import sqlalchemy as sa
from ops_support import (  # the core alone, plugins' compilations set aside
    core_impl,
    core_plugin_manager,
    offline,
    without_dialect_compilations,  # noqa: F401 (autouse fixture)
)
from sqlalchemy.ext.compiler import compiles

from mig_core import hookimpl
from mig_core.ddl import base
from mig_core.errors import CommandError, RevisionGraphError
from mig_core.operations import toimpl
from mig_core.plugins import module_plugin
from mig_core.runtime.migration import MigrationContext
from mig_core.runtime.steps import RevisionStep
from mig_core.script import code_cache
from mig_core.script.headers import load_module

REVISION = '''"""r"""
revision = "a1"
down_revision = None
VALUE = {value!r}


def upgrade():
    raise RuntimeError("in upgrade")
'''


def write_revision(folder: Any, value: str, name: str = "a1_r.py", age: float = 0) -> str:
    """Write a revision file; ``age`` seconds old (the code cache skips files just written)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(REVISION.format(value=value))
    if age:
        stamp = os.stat(path).st_mtime_ns - int(age * 1e9)
        os.utime(path, ns=(stamp, stamp))
    return str(path)


@pytest.fixture(autouse=True)
def fresh_code_caches() -> Any:
    """Each test starts like a new process: no code cache read yet."""
    code_cache._CACHES.clear()
    yield
    code_cache._CACHES.clear()


def new_process() -> None:
    """Write the caches, then forget them, as the end of a run and a new process would."""
    code_cache.save_all()
    code_cache._CACHES.clear()


@pytest.fixture
def no_import_machinery(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make importlib's source loader fail: only the .pyc fast path can load a module."""

    def refuse(self: Any, module: Any) -> None:
        raise AssertionError("the import machinery was used")

    monkeypatch.setattr(importlib.machinery.SourceFileLoader, "exec_module", refuse)


# --- load_module ------------------------------------------------------------------------------


def test_current_pyc_is_run_without_the_import_machinery(tmp_path, no_import_machinery):
    path = write_revision(tmp_path / "v", "one")
    cached = py_compile.compile(path, doraise=True)
    module = load_module(path)
    assert module.VALUE == "one" and module.revision == "a1"
    assert module.__file__ == path and module.__cached__ == cached
    assert module.__spec__.origin == path and module.__spec__.cached == cached
    assert module.__spec__.loader is module.__loader__
    assert module.__loader__.get_source(module.__name__) == open(path).read()


def test_stale_pyc_is_not_used(tmp_path):
    path = write_revision(tmp_path / "v", "one")
    py_compile.compile(path, doraise=True)
    stat = os.stat(path)
    write_revision(tmp_path / "v", "three")  # another size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime
    assert load_module(path).VALUE == "three"


def test_pyc_of_another_interpreter_is_not_used(tmp_path):
    path = write_revision(tmp_path / "v", "one")
    cached = py_compile.compile(path, doraise=True)
    assert cached is not None
    with open(cached, "rb") as f:
        data = bytearray(f.read())
    data[0] ^= 0xFF  # another magic number: another Python version wrote it
    with open(cached, "wb") as f:
        f.write(bytes(data))
    assert load_module(path).VALUE == "one"


def test_hash_based_pyc_goes_through_importlib(tmp_path):
    path = write_revision(tmp_path / "v", "one")
    py_compile.compile(
        path, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH
    )
    write_revision(tmp_path / "v", "two")  # same size, the source hash differs
    assert load_module(path).VALUE == "two"


def test_moved_project_reports_the_new_path(tmp_path, no_import_machinery):
    old = write_revision(tmp_path / "old", "one")
    py_compile.compile(old, doraise=True)
    shutil.copytree(tmp_path / "old", tmp_path / "new", copy_function=shutil.copy2)
    shutil.rmtree(tmp_path / "old")
    path = str(tmp_path / "new" / "a1_r.py")
    module = load_module(path)
    assert module.upgrade.__code__.co_filename == path
    with pytest.raises(RuntimeError) as err:
        module.upgrade()
    assert err.traceback[-1].path == tmp_path / "new" / "a1_r.py"


def test_import_error_from_pyc_names_file_and_line(tmp_path, no_import_machinery):
    path = write_revision(tmp_path / "v", "one")
    with open(path, "a") as f:
        f.write("\nraise ValueError('at import')\n")
    py_compile.compile(path, doraise=True)
    with pytest.raises(RevisionGraphError) as err:
        load_module(path)
    assert str(err.value) == (
        f"{path}:10: importing the revision file failed: ValueError: at import"
    )


@pytest.mark.usefixtures("caches_written")
def test_code_cache_loads_without_reading_the_revision_files(tmp_path, no_import_machinery):
    path = write_revision(tmp_path / "v", "one", age=10)
    py_compile.compile(path, doraise=True)
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    assert load_module(path).VALUE == "one"
    assert code_cache.loaded_digest(path) == digest
    new_process()
    code_cache._LOADED_DIGESTS.clear()
    os.unlink(importlib.util.cache_from_source(path))  # only the code cache is left
    reads: list[str] = []
    real_open = open

    def recording_open(file: Any, *args: Any, **kw: Any) -> Any:
        reads.append(str(file))
        return real_open(file, *args, **kw)

    import builtins

    builtins.open = recording_open  # type: ignore[assignment]
    try:
        module = load_module(path)
    finally:
        builtins.open = real_open
    assert module.VALUE == "one" and module.__file__ == path
    assert reads == [code_cache._cache_file(str(tmp_path / "v"))]  # one read: the cache
    assert code_cache.loaded_digest(path) == digest


@pytest.mark.usefixtures("caches_written")
def test_code_cache_follows_edits(tmp_path):
    path = write_revision(tmp_path / "v", "one", age=10)
    assert load_module(path).VALUE == "one"
    new_process()
    write_revision(tmp_path / "v", "two", age=5)  # same size, another mtime
    assert load_module(path).VALUE == "two"
    assert code_cache.loaded_digest(path) == hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.mark.usefixtures("caches_written")
def test_files_just_written_are_not_cached(tmp_path):
    path = write_revision(tmp_path / "v", "one")
    assert load_module(path).VALUE == "one"
    new_process()
    assert not os.path.exists(code_cache._cache_file(str(tmp_path / "v")) or "")


@pytest.mark.usefixtures("caches_written")
def test_code_cache_of_another_interpreter_is_ignored(tmp_path):
    path = write_revision(tmp_path / "v", "one", age=10)
    load_module(path)
    new_process()
    cache_file = code_cache._cache_file(str(tmp_path / "v"))
    assert cache_file is not None
    with open(cache_file, "rb") as f:
        fmt, magic, entries = marshal.loads(f.read())
    name = os.path.basename(path)
    other = compile("VALUE = 'other'", path, "exec")
    entries[name] = (*entries[name][:3], marshal.dumps(other))
    with open(cache_file, "wb") as f:
        f.write(marshal.dumps((fmt, b"\0\0\r\n", entries)))
    assert load_module(path).VALUE == "one"
    code_cache._CACHES.clear()
    with open(cache_file, "wb") as f:
        f.write(marshal.dumps((fmt, magic, entries)))
    assert load_module(path).VALUE == "other"  # the right magic: the entry is trusted


@pytest.mark.usefixtures("caches_written")
def test_code_cache_forgets_removed_files(tmp_path):
    first = write_revision(tmp_path / "v", "one", name="a1_r.py", age=10)
    second = write_revision(tmp_path / "v", "two", name="b2_r.py", age=10)
    load_module(first)
    load_module(second)
    new_process()
    os.unlink(second)
    write_revision(tmp_path / "v", "three", name="c3_r.py", age=10)
    load_module(str(tmp_path / "v" / "c3_r.py"))
    new_process()
    cache = code_cache.cache_for(str(tmp_path / "v"))
    assert cache is not None and sorted(cache.entries) == ["a1_r.py", "c3_r.py"]


def test_no_cache_is_written_while_python_writes_no_bytecode(tmp_path, monkeypatch):
    """PYTHONDONTWRITEBYTECODE / python -B: neither the code nor the header cache is written."""
    from mig_core.script.headers import scan_location

    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    path = write_revision(tmp_path / "v", "one", age=10)
    assert [h.revision for h in scan_location(str(tmp_path / "v"))] == ["a1"]
    assert load_module(path).VALUE == "one"
    new_process()
    assert not (tmp_path / "v" / "__pycache__").exists()


def test_cached_code_of_a_moved_folder_names_the_new_path(tmp_path, no_import_machinery):
    old = write_revision(tmp_path / "old", "one", age=10)
    load_module(old)
    new_process()
    shutil.copytree(tmp_path / "old", tmp_path / "new", copy_function=shutil.copy2)
    shutil.rmtree(tmp_path / "old")
    path = str(tmp_path / "new" / "a1_r.py")
    module = load_module(path)
    assert module.upgrade.__code__.co_filename == path


def test_history_checksum_is_the_loaded_sources(tmp_path):
    class FakeScript:
        revision = "a1"
        down_revisions = ()

        def __init__(self, path: str) -> None:
            self.path = path
            self.module = load_module(path)

        @property
        def checksum(self) -> str:
            raise AssertionError("the file was read again")

    path = write_revision(tmp_path / "v", "one", age=10)
    step = RevisionStep(FakeScript(path), is_upgrade=True)
    assert step.checksum == hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_failed_import_records_the_failing_sources_digest(tmp_path):
    path = write_revision(tmp_path / "v", "one", age=10)
    load_module(path)
    with open(path, "a") as f:
        f.write("\nraise ValueError('broken now')\n")
    with pytest.raises(RevisionGraphError):
        load_module(path)
    assert code_cache.loaded_digest(path) == hashlib.sha256(open(path, "rb").read()).hexdigest()


# --- add_column without a Table ---------------------------------------------------------------

PLAIN_COLUMNS = [
    lambda: sa.Column("n", sa.Integer),
    lambda: sa.Column("name", sa.String(50), nullable=False, server_default="x'y"),
    lambda: sa.Column("Odd Name", sa.Numeric(10, 2), server_default=sa.text("0")),
    lambda: sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    lambda: sa.Column("total", sa.Integer, sa.Computed("n * 2")),
    lambda: sa.Column("seq", sa.BigInteger, sa.Identity(start=5)),
    lambda: sa.Column("select", sa.Text, key="k"),
]


def _table_path_sql(pm: Any, dialect: str, make: Any, **kw: Any) -> str:
    """What the Table path writes: the column attached to a throw-away Table first."""

    def fn(op: Any) -> None:
        column = make()
        sa.Table("acct", sa.MetaData(), column, schema=kw.get("schema"))
        impl = op.get_context().impl
        impl.execute(base.AddColumn("acct", column, **kw))

    return offline(pm, dialect, fn)


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "oracle", "mysql"])
@pytest.mark.parametrize("make", PLAIN_COLUMNS)
@pytest.mark.parametrize("kw", [{}, {"schema": "s", "if_not_exists": True}])
def test_plain_add_column_writes_the_table_paths_sql(dialect, make, kw):
    if dialect in ("sqlite", "mysql") and make is PLAIN_COLUMNS[5]:
        pytest.skip("no identity columns")
    pm = core_plugin_manager(module_plugin("mysql_impl", mig_register_dialects=_mysql_impl))
    column = make()
    fast = offline(pm, dialect, lambda op: op.add_column("acct", column, **kw))
    assert column.table is None  # no Table was built for it
    assert fast == _table_path_sql(pm, dialect, make, **kw)
    assert "ADD" in fast


@hookimpl
def _mysql_impl(registry: Any) -> None:
    registry.add("mysql", type("CoreMysqlImpl", (core_impl("sqlite"),), {"dialect_name": "mysql"}))


def test_plain_column_can_be_added_to_two_tables():
    pm = core_plugin_manager()
    column = sa.Column("n", sa.Integer)

    def fn(op: Any) -> None:
        op.add_column("a", column)
        op.add_column("b", column)

    assert offline(pm, "postgresql", fn) == (
        "ALTER TABLE a ADD COLUMN n INTEGER;\n\nALTER TABLE b ADD COLUMN n INTEGER;"
    )


def _offline_impl(pm: Any, dialect: str) -> Any:
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": buf}, plugin_manager=pm
    )
    return ctx.impl


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "oracle", "mysql"])
@pytest.mark.parametrize("make", PLAIN_COLUMNS)
@pytest.mark.parametrize("kw", [{}, {"schema": "s", "if_not_exists": True}])
def test_add_column_compiled_directly_is_what_compile_writes(dialect, make, kw):
    """Offline, a plain column's AddColumn is compiled by the core's function called directly
    (no SQLAlchemy compile() around it): the same text as impl.compile()."""
    if dialect in ("sqlite", "mysql") and make is PLAIN_COLUMNS[5]:
        pytest.skip("no identity columns")
    pm = core_plugin_manager(module_plugin("mysql_impl", mig_register_dialects=_mysql_impl))
    impl = _offline_impl(pm, dialect)
    assert toimpl._writes_add_column_directly(impl)
    element = base.AddColumn("acct", make(), **kw)
    assert impl.compile_ddl_with(base._add_column, element) == impl.compile(element)


def test_add_column_compiled_directly_fails_as_compile_does():
    class Unwritable(sa.types.UserDefinedType):  # type: ignore[type-arg]
        cache_ok = True

        def get_col_spec(self, **kw: Any) -> str:
            raise ValueError("no spelling for this type")

    impl = _offline_impl(core_plugin_manager(), "postgresql")
    element = base.AddColumn("acct", sa.Column("n", Unwritable()))
    with pytest.raises(CommandError) as general:
        impl.compile(element)
    with pytest.raises(CommandError) as direct:
        impl.compile_ddl_with(base._add_column, element)
    assert str(direct.value) == str(general.value)
    assert "cannot write AddColumn as SQL for dialect 'postgresql': ValueError" in str(
        direct.value
    )


def test_an_impl_with_its_own_execute_gets_the_add_column_element():
    seen: list[Any] = []

    class RecordingImpl(core_impl("sqlite")):  # type: ignore[misc]
        dialect_name = "mysql"

        def execute(self, sql: Any, execution_options: Any = None) -> None:
            seen.append(sql)
            super().execute(sql, execution_options)

    @hookimpl
    def register(registry: Any) -> None:
        registry.add("mysql", RecordingImpl)

    pm = core_plugin_manager(module_plugin("recording", mig_register_dialects=register))
    sql = offline(pm, "mysql", lambda op: op.add_column("acct", sa.Column("n", sa.Integer)))
    assert sql == "ALTER TABLE acct ADD COLUMN n INTEGER;"
    assert [type(s) for s in seen] == [base.AddColumn]


@pytest.mark.parametrize(
    "make",
    [
        lambda: sa.Column("id", sa.Integer, primary_key=True),
        lambda: sa.Column("r", sa.Integer, sa.ForeignKey("other.id")),
        lambda: sa.Column("u", sa.Integer, unique=True),
        lambda: sa.Column("i", sa.Integer, index=True),
        lambda: sa.Column("c", sa.Integer, comment="note"),
        lambda: sa.Column("k", sa.Integer, sa.CheckConstraint("k > 0")),
        lambda: sa.Column("e", sa.Enum("a", "b", name="ab")),
        lambda: sa.Column("b", sa.Boolean(create_constraint=True)),
    ],
)
def test_columns_bringing_more_than_themselves_are_not_plain(make):
    assert not toimpl._is_plain_column(make())
    attached = sa.Column("n", sa.Integer)
    sa.Table("t", sa.MetaData(), attached)
    assert not toimpl._is_plain_column(attached)
    assert toimpl._is_plain_column(sa.Column("n", sa.Integer, server_default="1"))


def test_schema_type_column_still_gets_its_check_constraint():
    pm = core_plugin_manager()
    column: sa.Column[Any] = sa.Column("b", sa.Boolean(create_constraint=True, name="ck_b"))
    sql = offline(pm, "postgresql", lambda op: op.add_column("acct", column))
    assert sql == (
        "ALTER TABLE acct ADD COLUMN b BOOLEAN;\n\n"
        "ALTER TABLE acct ADD CONSTRAINT ck_b CHECK (b IN (0, 1));"
    )


def test_an_impl_with_its_own_add_column_gets_an_attached_column():
    seen: list[Any] = []

    class RecordingImpl(core_impl("sqlite")):  # type: ignore[misc]
        dialect_name = "mysql"

        def add_column(self, table_name: str, column: Any, schema: Any = None, **kw: Any):
            seen.append(column.table)
            super().add_column(table_name, column, schema=schema, **kw)

    @hookimpl
    def register(registry: Any) -> None:
        registry.add("mysql", RecordingImpl)

    pm = core_plugin_manager(module_plugin("recording", mig_register_dialects=register))
    sql = offline(pm, "mysql", lambda op: op.add_column("acct", sa.Column("n", sa.Integer)))
    assert sql == "ALTER TABLE acct ADD COLUMN n INTEGER;"
    assert len(seen) == 1 and seen[0] is not None and seen[0].name == "acct"


def test_a_dialect_compilation_of_add_column_gets_an_attached_column():
    seen: list[Any] = []

    @compiles(base.AddColumn, "postgresql")
    def _pg_add_column(element: base.AddColumn, compiler: Any, **kw: Any) -> str:
        seen.append(element.column.table)
        return f"ALTER TABLE {element.table_name} ADD {element.column.table.name}_{element.column.name}"

    try:
        pm = core_plugin_manager()
        sql = offline(pm, "postgresql", lambda op: op.add_column("acct", sa.Column("n", sa.Integer)))
    finally:
        base.AddColumn._compiler_dispatcher.specs.pop("postgresql")  # type: ignore[attr-defined]
    assert sql == "ALTER TABLE acct ADD acct_n;"
    assert seen and seen[0] is not None


def test_a_dialect_whose_column_spec_needs_the_table_keeps_the_table_path():
    pm = core_plugin_manager()
    column = sa.Column("n", sa.Integer)
    sql = offline(pm, "mssql", lambda op: op.add_column("acct", column))
    assert sql == "ALTER TABLE acct ADD COLUMN n INTEGER NULL;\nGO"  # the core alone
    assert column.table is not None  # MSSQL's column specification reads the Table


def test_forced_quoting_of_a_column_name_is_kept():
    pm = core_plugin_manager()
    column = sa.Column("lower", sa.Integer, quote=True)
    sql = offline(pm, "postgresql", lambda op: op.add_column("acct", column))
    assert sql == 'ALTER TABLE acct ADD COLUMN "lower" INTEGER;'
    unquoted = sa.Column("Mixed", sa.Integer, quote=False)
    sql = offline(pm, "postgresql", lambda op: op.add_column("acct", unquoted))
    assert sql == "ALTER TABLE acct ADD COLUMN Mixed INTEGER;"


# --- the mig_ddl_execute hook ------------------------------------------------------------------


def test_a_plugins_mig_ddl_execute_is_still_called():
    calls: list[str] = []

    @hookimpl
    def mig_ddl_execute(impl: Any, op: Any) -> Any:
        calls.append(type(op).__name__)
        return None  # let the core carry it out

    pm = core_plugin_manager(module_plugin("watcher", mig_ddl_execute=mig_ddl_execute))
    sql = offline(pm, "postgresql", lambda op: op.add_column("acct", sa.Column("n", sa.Integer)))
    assert sql == "ALTER TABLE acct ADD COLUMN n INTEGER;"
    assert calls == ["AddColumnOp"]


def test_hook_tracing_sees_every_operation():
    pm = core_plugin_manager()
    seen: list[str] = []

    def before(hook_name: str, hook_impls: Any, kwargs: Any) -> None:
        if hook_name == "mig_ddl_execute":
            seen.append(type(kwargs["op"]).__name__)

    pm.add_hookcall_monitoring(before, lambda *a: None)

    def fn(op: Any) -> None:
        op.add_column("acct", sa.Column("n", sa.Integer))
        op.drop_column("acct", "n")

    offline(pm, "postgresql", fn)
    assert seen == ["AddColumnOp", "DropColumnOp"]


# --- the collector during long runs -------------------------------------------------------------


def test_long_runs_freeze_older_objects_and_give_them_back():
    import gc

    from mig_core.runtime.runner import _older_objects_frozen

    assert gc.get_freeze_count() == 0
    with _older_objects_frozen(5000):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    with _older_objects_frozen(3):  # a short run: not worth it
        assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("online", [False, True])
def test_a_long_upgrade_runs_with_older_objects_frozen(tmp_path, online):
    import gc
    import io

    from runtime_support import config_for, make_project

    from mig_core import command

    # checked in the first and the last revision: gc.get_freeze_count() walks every frozen
    # object (Python 3.11), which in a process holding a whole test session's objects cost
    # ~0.25 s a call, 120 calls a test
    body = "import gc\nassert gc.get_freeze_count() > 0, 'not frozen'"
    revisions = [
        {"rev": f"r{i:03d}", "down": f"r{i - 1:03d}" if i else None,
         "upgrade": body if i in (0, 119) else "pass"}
        for i in range(120)
    ]
    url = f"sqlite:///{tmp_path / 'db.sqlite'}" if online else "sqlite://"
    ini = make_project(tmp_path, url, revisions)
    buf = io.StringIO()
    config = config_for(ini, configure={"output_buffer": buf})
    command.upgrade(config, "head", sql=not online)
    assert gc.get_freeze_count() == 0
    if not online:
        assert "UPDATE mig_version SET version_num='r119' WHERE version_num = 'r118'" in (
            buf.getvalue()
        )


def test_someone_elses_freeze_is_left_alone():
    import gc

    from mig_core.runtime.runner import _older_objects_frozen

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with _older_objects_frozen(5000):
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen  # not unfrozen by mig
    finally:
        gc.unfreeze()
    gc.disable()
    try:
        with _older_objects_frozen(5000):
            assert gc.get_freeze_count() == 0
    finally:
        gc.enable()


@pytest.mark.parametrize("make", [PLAIN_COLUMNS[i] for i in (0, 1, 2, 4, 6)])
@pytest.mark.parametrize("kw", [{}, {"schema": "s"}])
def test_sqlite_plugin_adds_a_plain_column_without_a_table(make, kw):
    """mig-sqlite-batch's own add_column takes an unattached plain column: same SQL."""
    from mig_core.plugins import build_plugin_manager

    pm = build_plugin_manager(None)
    assert pm.dialect_entry("sqlite").load().add_column_takes_plain_columns
    column = make()
    fast = offline(pm, "sqlite", lambda op: op.add_column("acct", column, **kw))
    assert column.table is None
    attached = make()
    sa.Table("acct", sa.MetaData(), attached, schema=kw.get("schema"))
    table_path = offline(
        pm, "sqlite", lambda op: op.get_context().impl.add_column("acct", attached, **kw)
    )
    assert fast == table_path and fast.startswith("ALTER TABLE")


def test_sqlite_plugin_still_checks_and_inlines_for_columns_that_are_not_plain():
    from mig_core.errors import CommandError
    from mig_core.plugins import build_plugin_manager

    pm = build_plugin_manager(None)
    sql = offline(
        pm, "sqlite", lambda op: op.add_column("acct", sa.Column("r", sa.Integer, sa.ForeignKey("other.id")))
    )
    assert sql == "ALTER TABLE acct ADD COLUMN r INTEGER REFERENCES other (id);"
    # offline the table's rows cannot be seen: written (as Alembic does), with a warning
    from mig_core.errors import MigWarning

    with pytest.warns(MigWarning, match="NOT NULL column without a default; SQLite refuses"):
        sql = offline(pm, "sqlite", lambda op: op.add_column("acct", sa.Column("n", sa.Integer,
                                                                                nullable=False)))
    assert sql == "ALTER TABLE acct ADD COLUMN n INTEGER NOT NULL;"
    with pytest.raises(CommandError, match="cannot add a PRIMARY KEY column"):
        offline(pm, "sqlite", lambda op: op.add_column("acct", sa.Column("k", sa.Integer,
                                                                          primary_key=True)))
