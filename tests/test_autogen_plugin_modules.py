"""Alembic 1.18 plugin modules (``alembic.runtime.plugins``): ``Plugin``, set up by hand or found
through the ``alembic.plugins`` entry points; their comparators run through the same dispatch
as ``comparators.dispatch_for`` ones, when ``autogenerate_plugins`` names them."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from autogen_helpers import diffs, setup

from mig_core.autogenerate import comparators
from mig_core.autogenerate.api import produce_migrations
from mig_core.errors import PluginLoadError
from mig_core.operations import ops
from mig_core.runtime import plugins
from mig_core.runtime.migration import MigrationContext
from mig_core.runtime.plugins import Plugin
from mig_core.testing import reset_registrations
from mig_core.util import DispatchPriority, PriorityDispatchResult

DEFAULT = "alembic.autogenerate.*"


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    before = set(plugins.registered())
    reset_registrations()
    yield
    reset_registrations()
    for name, plugin in plugins.registered().items():
        if name not in before:
            plugin.remove()


def test_plugin_registry() -> None:
    plugin = Plugin("mycompany.audit")
    assert plugins.registered()["mycompany.audit"] is plugin
    with pytest.raises(ValueError, match=r"^A plugin named mycompany\.audit is already registered$"):
        Plugin("mycompany.audit")
    plugin.remove()
    assert "mycompany.audit" not in plugins.registered()
    Plugin("mycompany.audit").remove()  # the name is free again
    for builtin in (*plugins.BUILTIN_NAMES, plugins.CHECKCONSTRAINT_BYNAME):
        with pytest.raises(ValueError, match="already registered"):
            Plugin(builtin)
    with pytest.raises(ValueError, match="unknown compare target 'index'"):
        Plugin("mycompany.bad").add_autogenerate_comparator(print, "index")


def test_per_plugin_dispatch_for(sqlite_engine: sa.Engine) -> None:
    """Alembic's plugin.autogenerate_comparators.dispatch_for(...) decorator, and the mapping."""
    plugin = Plugin("mycompany.deco")
    seen: list[str] = []

    @plugin.autogenerate_comparators.dispatch_for("table", subgroup="x", qualifier="sqlite")
    def on_table(autogen_context: Any, modify_ops: Any, schema: Any, tname: str,
                 conn_table: Any, metadata_table: Any) -> None:
        seen.append(tname)

    entries = plugin.autogenerate_comparators["table"]
    assert [(e.fn, e.subgroup, e.qualifier) for e in entries] == [(on_table, "x", "sqlite")]
    assert list(plugin.autogenerate_comparators) == ["table"]
    diffs(sqlite_engine, _model(), autogenerate_plugins=[DEFAULT, "mycompany.deco"])
    assert seen == ["t"]


# --- a plugin module, set up by hand ---------------------------------------------------------

calls: list[str] = []


def _audit_module(name: str = "mycompany_audit") -> types.ModuleType:
    """An Alembic 1.18 plugin module: each target's comparator notes its call; the table one
    adds an index on the audited tables."""
    module = types.ModuleType(name)

    def schema_level(autogen_context: Any, upgrade_ops: Any, schemas: set[Any]) -> None:
        calls.append(f"schema {sorted(map(str, schemas))}")

    def top_level(autogen_context: Any, upgrade_ops: Any) -> None:
        calls.append("autogenerate")

    def table_level(autogen_context: Any, modify_ops: Any, schema: Any, tname: str,
                    conn_table: Any, metadata_table: Any) -> None:
        calls.append(f"table {tname} {conn_table is not None} {metadata_table is not None}")
        if conn_table is not None and metadata_table is not None:
            modify_ops.ops.append(ops.CreateIndexOp("ix_audit", tname, ["id"]))

    def column_level(autogen_context: Any, alter_op: Any, schema: Any, tname: str, cname: str,
                     conn_col: Any, metadata_col: Any) -> None:
        calls.append(f"column {tname}.{cname} {type(conn_col).__name__}")

    def setup(plugin: Plugin) -> None:
        plugin.add_autogenerate_comparator(top_level, "autogenerate")
        plugin.add_autogenerate_comparator(schema_level, "schema")
        plugin.add_autogenerate_comparator(table_level, "table", "audit")
        plugin.add_autogenerate_comparator(column_level, "column", "audit")

    module.setup = setup  # type: ignore[attr-defined]
    return module


def _model() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True))
    return md


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    setup(engine, _model())
    yield engine
    engine.dispose()


def test_module_plugin_runs_when_named_and_not_otherwise(sqlite_engine: sa.Engine) -> None:
    calls.clear()
    Plugin.setup_plugin_from_module(_audit_module(), "mycompany.audit")
    assert diffs(sqlite_engine, _model()) == []  # not named: the default is the built-ins
    assert calls == []
    found = diffs(sqlite_engine, _model(), autogenerate_plugins=[DEFAULT, "mycompany.audit"])
    assert [d[0] for d in found] == ["add_index"]
    # columns are compared inside the table's comparison, table comparators after it
    assert calls == ["column t.id Column", "table t True True", "schema ['None']",
                     "autogenerate"]
    calls.clear()
    assert diffs(sqlite_engine, _model(),
                 autogenerate_plugins=[DEFAULT, "mycompany.*", "~mycompany.audit"]) == []
    assert calls == []
    calls.clear()  # a wildcard enables it too; the built-ins may all be off
    diffs(sqlite_engine, _model(), autogenerate_plugins=["mycompany.*"])
    assert calls == ["schema ['None']", "autogenerate"]  # no tables plugin: no table loop


def test_a_module_without_setup_and_a_failing_setup() -> None:
    with pytest.raises(PluginLoadError, match="has no setup"):
        Plugin.setup_plugin_from_module(types.ModuleType("empty"), "mycompany.empty")
    broken = types.ModuleType("broken")

    def setup(plugin: Plugin) -> None:
        raise RuntimeError("nope")

    broken.setup = setup  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        Plugin.setup_plugin_from_module(broken, "mycompany.broken")
    assert "mycompany.broken" not in plugins.registered()  # not left half set up


def test_order_with_global_comparators_and_stop(sqlite_engine: sa.Engine) -> None:
    """Priority first, then the dialect's own before "default", whichever registry; STOP ends
    the later functions of its subgroup only."""
    seen: list[str] = []

    def note(label: str, result: Any = None) -> Any:
        def fn(*args: Any) -> Any:
            seen.append(label)
            return result
        fn.__qualname__ = f"note_{label}"
        return fn

    comparators.dispatch_for("table", subgroup="x")(note("global-medium-x"))
    comparators.dispatch_for("table", priority=DispatchPriority.LAST, subgroup="y")(
        note("global-last-y"))
    comparators.dispatch_for("table", priority=DispatchPriority.FIRST, subgroup="y")(
        note("global-first-y"))
    plugin = Plugin("mycompany.order")
    plugin.add_autogenerate_comparator(note("plugin-medium-default-x"), "table", "x")
    plugin.add_autogenerate_comparator(
        note("plugin-medium-sqlite-x", PriorityDispatchResult.STOP), "table", "x",
        qualifier="sqlite")
    plugin.add_autogenerate_comparator(note("plugin-first-y"), "table", "y",
                                       priority=DispatchPriority.FIRST)
    plugin.add_autogenerate_comparator(note("plugin-postgresql"), "table", "x",
                                       qualifier="postgresql")
    diffs(sqlite_engine, _model(), autogenerate_plugins=[DEFAULT, "mycompany.order"])
    assert seen == ["global-first-y", "plugin-first-y", "plugin-medium-sqlite-x",
                    "global-last-y"]
    seen.clear()  # the plugin excluded: only the global ones, which always run
    diffs(sqlite_engine, _model())
    assert seen == ["global-first-y", "global-medium-x", "global-last-y"]


# --- entry points ----------------------------------------------------------------------------

# A plugin module written for Alembic 1.18+, loaded under ``alembic`` standing for mig_core
# (a text file, so that nothing in the test suite reads as importing Alembic).
PLUGIN_SOURCE = (Path(__file__).parent / "alembic_style" / "plugin_module.py.txt").read_text()


def _distribution(root: Path, module: str, source: str, entry_points: str) -> Path:
    """A distribution on ``root``: the module and a dist-info with its entry points."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(source)
    info = root / f"{module.replace('_', '-')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    return root


def test_entry_point_plugin_found_at_the_first_comparison(
    tmp_path: Path, sqlite_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In-process, with ``alembic`` standing for mig_core as mig-as-alembic would make it."""
    import mig_core
    import mig_core.util

    for name, module in (("alembic", mig_core), ("alembic.runtime", sys.modules[
            "mig_core.runtime"]), ("alembic.runtime.plugins", plugins),
            ("alembic.util", mig_core.util)):
        monkeypatch.setitem(sys.modules, name, module)
    root = _distribution(tmp_path / "site", "mycompany_ep", PLUGIN_SOURCE,
                         "[alembic.plugins]\nmycompany.ep = mycompany_ep\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setattr(plugins, "_discovered", False)
    assert "mycompany.ep" not in plugins.registered()
    diffs(sqlite_engine, _model(), autogenerate_plugins=[DEFAULT, "mycompany.ep"])
    assert sys.modules["mycompany_ep"].CALLS == ["t"]
    diffs(sqlite_engine, _model(), autogenerate_plugins=[DEFAULT, "~mycompany.ep"])
    assert sys.modules["mycompany_ep"].CALLS == ["t"]  # excluded: not called again
    monkeypatch.delitem(sys.modules, "mycompany_ep")


def test_a_broken_entry_point_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _distribution(tmp_path / "site", "mycompany_bad", "raise ImportError('no deps')\n",
                         "[alembic.plugins]\nmycompany.bad = mycompany_bad\n")
    monkeypatch.syspath_prepend(str(root))
    found = [ep for ep in importlib.metadata.entry_points(group="alembic.plugins")
             if ep.name == "mycompany.bad"]
    with pytest.raises(PluginLoadError, match=r"alembic\.plugins entry point mycompany\.bad = "
                                              r"mycompany_bad failed to import: ImportError"):
        plugins.discover(found)
    assert "mycompany.bad" not in plugins.registered()


def test_discovery_is_lazy_and_once(monkeypatch: pytest.MonkeyPatch) -> None:
    scans: list[str] = []
    real = importlib.metadata.entry_points

    def counting(**kw: Any) -> Any:
        scans.append(kw.get("group", "*"))
        return real(**kw)

    monkeypatch.setattr(importlib.metadata, "entry_points", counting)
    monkeypatch.setattr(plugins, "_discovered", False)
    plugins.enabled_plugins(None)
    plugins.enabled_plugins(["alembic.*"])
    assert scans == ["alembic.plugins"]


def test_cli_start_up_reads_no_plugin_entry_points(tmp_path: Path) -> None:
    code = (
        "import sys, importlib.metadata as md\n"
        "groups = []\n"
        "real = md.entry_points\n"
        "md.entry_points = lambda **kw: groups.append(kw.get('group')) or real(**kw)\n"
        "from mig_core.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', 'mig_core.runtime.plugins' in sys.modules, 'GROUPS', groups)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path)
    assert "LOADED False" in result.stdout, result.stdout[-500:] + result.stderr
    assert "alembic.plugins" not in result.stdout.split("GROUPS", 1)[1]


# --- through mig-as-alembic ------------------------------------------------------------------

SHIM = Path(__file__).resolve().parents[1] / "shims" / "mig_as_alembic"


def test_alembic_plugin_module_through_mig_as_alembic(tmp_path: Path) -> None:
    """A fresh interpreter with no real Alembic: ``from alembic.runtime.plugins import Plugin``
    is mig's, and an entry-point plugin written for Alembic runs in a comparison."""
    site = _distribution(tmp_path / "site", "mycompany_ep", PLUGIN_SOURCE,
                         "[alembic.plugins]\nmycompany.ep = mycompany_ep\n")
    code = textwrap.dedent(f"""
        import importlib, importlib.machinery, sys
        if importlib.machinery.PathFinder.find_spec("alembic") is not None:
            sys.exit("a real Alembic is installed here")
        import mig_as_alembic
        mig_as_alembic.install()
        runtime_plugins = importlib.import_module("alembic.runtime.plugins")
        assert isinstance(sys.modules["alembic"].__spec__.loader, mig_as_alembic.AlembicIsMig)
        import mig_core.runtime.plugins
        assert runtime_plugins.Plugin is mig_core.runtime.plugins.Plugin
        ext = importlib.import_module("alembic.ext.checkconstraint_byname")
        import sqlalchemy as sa
        from mig_core.autogenerate.api import compare_metadata
        from mig_core.runtime.migration import MigrationContext
        md = sa.MetaData()
        sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True))
        engine = sa.create_engine("sqlite:///{tmp_path / 'shim.db'}")
        with engine.connect() as conn:
            md.create_all(conn)
            ctx = MigrationContext.configure(conn, opts={{"autogenerate_plugins": [
                "alembic.autogenerate.*", "mycompany.ep"]}})
            compare_metadata(ctx, md)
        print(sys.modules["mycompany_ep"].CALLS)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SHIM), str(site)])}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.stdout == "['t']\n", result.stdout + result.stderr


def test_same_plugin_twice_in_produce_migrations(sqlite_engine: sa.Engine) -> None:
    """A run's plugin manager follows the enabled set from one comparison to the next."""
    calls.clear()
    Plugin.setup_plugin_from_module(_audit_module(), "mycompany.audit")
    from mig_core.plugins import build_plugin_manager

    pm = build_plugin_manager(None, env={})
    with sqlite_engine.connect() as conn:
        for _ in range(2):
            on = MigrationContext.configure(conn, plugin_manager=pm, opts={
                "autogenerate_plugins": [DEFAULT, "mycompany.audit"]})
            script = produce_migrations(on, _model())
            assert [type(op).__name__ for op in script.upgrade_ops.ops] == ["ModifyTableOps"]
            off = MigrationContext.configure(conn, plugin_manager=pm, opts={})
            assert produce_migrations(off, _model()).upgrade_ops.ops == []
