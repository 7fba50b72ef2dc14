"""The plugin system: loading, blocking, broken plugins, dialect registry and binding."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from mig_core import hookimpl
from mig_core.cli import main
from mig_core.config import Config
from mig_core.errors import (
    MigPluginWarning,
    NoDialectImplError,
    PluginError,
    PluginLoadError,
    UsageError,
)
from mig_core.plugins import build_plugin_manager, module_plugin


@dataclass
class FakeDist:
    name: str
    version: str

    @property
    def metadata(self) -> dict[str, str]:
        return {"Name": self.name}


@dataclass
class FakeEntryPoint:
    """Looks like an importlib-metadata entry point of group ``mig``."""

    name: str
    module: Any  # a module, or an exception to raise on load
    dist: FakeDist

    @property
    def value(self) -> str:
        return f"fake_{self.name}.plugin"

    def load(self) -> Any:
        if isinstance(self.module, BaseException):
            raise self.module
        return self.module


def dialect_plugin(name: str, dialect: str, **extra: Any) -> ModuleType:
    @hookimpl
    def mig_register_dialects(registry: Any) -> None:
        registry.add(dialect, "mig_core.ddl.impl:DefaultImpl", transactional_ddl=True)

    return module_plugin(f"fake_{name}.plugin", mig_register_dialects=mig_register_dialects,
                         **extra)


def fake_eps(*eps: FakeEntryPoint):
    return lambda: list(eps)


def ep(name: str, module: Any, dist: str | None = None, version: str = "1.0") -> FakeEntryPoint:
    return FakeEntryPoint(name, module, FakeDist(dist or f"mig-{name}", version))


def build(*eps: FakeEntryPoint, cli=(), env=None, config=None, autoload=None):
    return build_plugin_manager(config, cli, env=env or {}, autoload=autoload,
                                entry_points=fake_eps(*eps))


def test_entry_points_are_loaded_with_distribution_and_dialects():
    pm = build(ep("pg", dialect_plugin("pg", "postgresql"), "mig-pg", "2.3"))
    record = pm.records["pg"]
    assert (record.distribution, record.version, record.status) == ("mig-pg", "2.3", "loaded")
    listing = {r.name: r for r in pm.plugin_listing()}
    assert listing["pg"].dialects == ["postgresql"]
    assert listing["pg"].hooks == ["mig_register_dialects"]
    assert pm.dialect_entry("postgresql").plugin == "pg"


def test_builtins_are_registered_first_and_marked():
    pm = build()
    names = list(pm.records)
    assert names[:2] == ["mig_core.builtin.ddl", "mig_core.builtin.operations"]
    assert all(pm.records[n].builtin for n in names)


def test_block_with_cli_env_and_config():
    eps = [ep("a", dialect_plugin("a", "d1")), ep("b", dialect_plugin("b", "d2")),
           ep("c", dialect_plugin("c", "d3"))]
    config = Config()
    config.set_main_option("plugins", "no:c")
    pm = build(*eps, cli=["no:a"], env={"MIG_PLUGINS": "no:b"}, config=config)
    assert {n: pm.records[n].status for n in "abc"} == {"a": "blocked", "b": "blocked",
                                                        "c": "blocked"}
    assert not pm.has_plugin("a")


def test_block_by_distribution_name():
    pm = build(ep("oracle", dialect_plugin("oracle", "oracle"), "mig-oracle"),
               cli=["no:mig-oracle"])
    assert pm.records["oracle"].status == "blocked"


def test_blocked_dialect_plugin_reported_when_dialect_needed():
    pm = build(ep("oracle", dialect_plugin("oracle", "oracle"), "mig-oracle"), cli=["no:oracle"])
    with pytest.raises(NoDialectImplError, match="blocked.*-p no:oracle"):
        pm.dialect_entry("oracle")


def test_essential_builtin_cannot_be_blocked():
    with pytest.raises(UsageError, match="essential"):
        build(cli=["no:mig_core.builtin.ddl"])


def test_non_essential_builtin_can_be_blocked():
    pm = build(cli=["no:mig_core.builtin.compare"])
    assert pm.records["mig_core.builtin.compare"].status == "blocked"


def test_import_crash_is_reported_and_skipped():
    broken = ep("broken", ImportError("No module named 'cx_Oracle'"))
    with pytest.warns(MigPluginWarning, match="'broken'.*cx_Oracle"):
        pm = build(broken, ep("pg", dialect_plugin("pg", "postgresql")))
    assert pm.records["broken"].status == "failed"
    assert "cx_Oracle" in (pm.records["broken"].error or "")
    assert pm.has_plugin("pg")


def test_import_crash_is_fatal_when_asked_for():
    broken = ep("broken", RuntimeError("boom"))
    with pytest.raises(PluginLoadError, match="'broken'.*boom"):
        build(broken, cli=["broken"])


def test_import_crash_is_fatal_when_its_dialect_is_needed():
    broken = ep("oracle", ImportError("nope"), "mig-oracle")
    with pytest.warns(MigPluginWarning):
        pm = build(broken)
    with pytest.raises(PluginLoadError, match="'oracle'.*mig-oracle.*failed to import: ImportError"):
        pm.dialect_entry("oracle")


def test_duplicate_dialect_names_both_plugins():
    with pytest.raises(PluginError, match="'postgresql'.*'one' and 'two'.*-p no:two"):
        build(ep("one", dialect_plugin("one", "postgresql")),
              ep("two", dialect_plugin("two", "postgresql")))


def test_missing_dialect_gives_install_hint():
    pm = build(ep("pg", dialect_plugin("pg", "postgresql"), "mig-postgres"))
    with pytest.raises(NoDialectImplError) as info:
        pm.dialect_entry("oracle")
    assert "pip install mig-oracle" in str(info.value)
    assert "postgresql (mig-postgres)" in str(info.value)
    for dialect in ("mysql", "mariadb"):  # mariadb:// URLs too
        with pytest.raises(NoDialectImplError, match="pip install mig-mysql"):
            pm.dialect_entry(dialect)


def test_autoload_disabled_loads_only_named_plugins():
    eps = [ep("a", dialect_plugin("a", "d1")), ep("b", dialect_plugin("b", "d2"))]
    pm = build(*eps, cli=["b"], env={"MIG_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert not pm.has_plugin("a") and pm.has_plugin("b")


def test_autoload_disabled_names_the_installed_plugin_a_dialect_needs():
    """Not `pip install mig-sqlite-batch` (it is installed) but how to load it."""
    eps = [ep("sqlite_batch", dialect_plugin("sqlite_batch", "sqlite"), "mig-sqlite-batch")]
    pm = build(*eps, env={"MIG_DISABLE_PLUGIN_AUTOLOAD": "1"})
    with pytest.raises(NoDialectImplError) as info:
        pm.dialect_entry("sqlite")
    message = str(info.value)
    assert "pip install" not in message
    assert ("dialect 'sqlite' is provided by plugin 'sqlite_batch' (mig-sqlite-batch), not "
            "loaded: MIG_DISABLE_PLUGIN_AUTOLOAD is set; load it with -p sqlite_batch") in message


def test_plugin_by_module_name(tmp_path, monkeypatch):
    (tmp_path / "my_local_plugin.py").write_text(
        "from mig_core import hookimpl\n"
        "@hookimpl\n"
        "def mig_register_dialects(registry):\n"
        "    registry.add('local', 'mig_core.ddl.impl:DefaultImpl')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    pm = build(cli=["my_local_plugin"], autoload=False)
    assert pm.dialect_entry("local").plugin == "my_local_plugin"


def test_unknown_plugin_name_is_an_error():
    with pytest.raises(PluginLoadError, match="'no_such_plugin_xyz'"):
        build(cli=["no_such_plugin_xyz"])


def test_required_plugins_met_and_unmet():
    eps = [ep("pg", dialect_plugin("pg", "postgresql"), "mig-postgres", "0.3")]
    config = Config()
    config.set_main_option("required_plugins", "mig-postgres>=0.1")
    build(*eps, config=config)  # met
    config.set_main_option("required_plugins", "mig-postgres>=1.0")
    with pytest.raises(PluginError, match="mig-postgres>=1.0.*0.3 is installed"):
        build(*eps, config=config)
    config.set_main_option("required_plugins", "mig-oracle")
    with pytest.raises(PluginError, match="'mig-oracle' is not installed"):
        build(*eps, config=config)


@pytest.mark.parametrize("by", ["mig-postgres", "pg"])
def test_required_plugin_installed_but_left_out_says_how_to_load_it(by):
    """An installed required plugin that is blocked, or not autoloaded, is not told to be
    installed: the message says what left it out and how to load it."""
    eps = [ep("pg", dialect_plugin("pg", "postgresql"), "mig-postgres", "0.3")]
    config = Config()
    config.set_main_option("required_plugins", f"{by}>=0.1")
    with pytest.raises(PluginError) as blocked:
        build(*eps, config=config, cli=["no:pg"])
    assert str(blocked.value) == (
        f"required plugin '{by}>=0.1' is installed (plugin 'pg', mig-postgres 0.3) but blocked "
        "by -p no:pg, MIG_PLUGINS or config 'plugins' (config 'required_plugins')")
    with pytest.raises(PluginError) as skipped:
        build(*eps, config=config, autoload=False)
    assert str(skipped.value) == (
        f"required plugin '{by}>=0.1' is installed (plugin 'pg', mig-postgres 0.3) but not "
        "loaded: MIG_DISABLE_PLUGIN_AUTOLOAD is set; load it with -p pg "
        "(config 'required_plugins')")
    build(*eps, config=config, cli=["pg"], autoload=False)  # asked for: met


def test_required_plugin_that_fails_to_import_is_fatal():
    config = Config()
    config.set_main_option("required_plugins", "mig-oracle")
    with pytest.raises(PluginLoadError, match="'oracle'"):
        build(ep("oracle", ImportError("x"), "mig-oracle"), config=config)


def test_incompatible_hook_is_a_plugin_error():
    @hookimpl
    def mig_no_such_hook() -> None: ...

    bad = module_plugin("bad.plugin", mig_no_such_hook=mig_no_such_hook)
    with pytest.raises(PluginError, match="'bad'.*incompatible"):
        build(ep("bad", bad))


def test_dialect_binding_filters_hooks():
    """A plugin bound to oracle is never called on a postgresql run; a neutral one always is."""
    calls: list[str] = []

    def make_execute(tag: str):
        @hookimpl
        def mig_ddl_execute(impl: Any, op: Any) -> bool | None:
            calls.append(tag)
            return None

        return mig_ddl_execute

    pg = dialect_plugin("pg", "postgresql", mig_ddl_execute=make_execute("pg"))
    ora = dialect_plugin("ora", "oracle", mig_ddl_execute=make_execute("ora"))
    neutral = module_plugin("neutral", mig_ddl_execute=make_execute("neutral"))
    pm = build(ep("pg", pg), ep("ora", ora), ep("neutral", neutral))
    pm.hooks_for("postgresql").mig_ddl_execute(impl=None, op=SimpleNamespace())
    assert sorted(calls) == ["neutral", "pg"]
    calls.clear()
    pm.hooks_for("oracle").mig_ddl_execute(impl=None, op=SimpleNamespace())
    assert sorted(calls) == ["neutral", "ora"]


def test_each_manager_is_fresh():
    a = build(ep("pg", dialect_plugin("pg", "postgresql")))
    b = build()
    assert a.has_plugin("pg") and not b.has_plugin("pg")


def test_plugin_commands_are_added_to_the_cli(capsys, monkeypatch):
    @hookimpl
    def mig_register_commands(registry: Any) -> None:
        def hello(config: Config, args: Any) -> int:
            config.print_stdout(f"hello {args.who}")
            return 0

        registry.add("hello", hello, help="say hello",
                     setup=lambda p: p.add_argument("who"))

    plugin = module_plugin("hello.plugin", mig_register_commands=mig_register_commands)
    monkeypatch.setattr("mig_core.plugins._entry_points", fake_eps(ep("hello", plugin)))
    assert main(["hello", "world"]) == 0
    assert capsys.readouterr().out == "hello world\n"


def test_plugin_command_may_not_shadow_a_core_command(capsys, monkeypatch):
    @hookimpl
    def mig_register_commands(registry: Any) -> None:
        registry.add("upgrade", lambda c, a: 0, help="evil")

    plugin = module_plugin("evil.plugin", mig_register_commands=mig_register_commands)
    monkeypatch.setattr("mig_core.plugins._entry_points", fake_eps(ep("evil", plugin)))
    assert main(["plugins"]) == 3
    assert "mig: error: plugin 'evil' registers command 'upgrade', a core command" in (
        capsys.readouterr().err
    )


def test_cli_plugins_json_shows_blocked(capsys, monkeypatch):
    monkeypatch.setattr(
        "mig_core.plugins._entry_points",
        fake_eps(ep("oracle", dialect_plugin("oracle", "oracle"), "mig-oracle")),
    )
    assert main(["-p", "no:oracle", "plugins", "--json"]) == 0
    listing = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert listing["oracle"]["status"] == "blocked"
    assert listing["oracle"]["distribution"] == "mig-oracle"


def test_installed_first_party_plugins_are_listed(capsys):
    """The real entry points of this checkout's four plugins (installed editable by tasks.py)."""
    assert main(["plugins", "--json"]) == 0
    listing = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    expected = {"postgres": "postgresql", "sqlite_batch": "sqlite", "mssql": "mssql",
                "oracle": "oracle"}
    for name, dialect in expected.items():
        assert listing[name]["status"] == "loaded"
        assert dialect in listing[name]["dialects"]


def test_first_party_transactional_flags_match_their_impl_classes():
    pm = build_plugin_manager(None, env={})
    for dialect, transactional in [("postgresql", True), ("sqlite", True), ("mssql", True),
                                   ("oracle", False)]:
        entry = pm.dialect_entry(dialect)
        assert entry.transactional_ddl is transactional
        assert entry.load().transactional_ddl is transactional
        assert entry.load().dialect_name == dialect


def test_cli_plugins_reports_an_operation_two_plugins_register(capsys, monkeypatch):
    """`mig plugins` lists what is installed, then fails naming both plugins (not a silent 0)."""

    def ops_plugin(name: str) -> ModuleType:
        @hookimpl
        def mig_register_operations(registry: Any) -> None:
            registry.add("create_view", lambda operations, name: None)

        return module_plugin(f"fake_{name}.plugin", mig_register_operations=mig_register_operations)

    monkeypatch.setattr("mig_core.plugins._entry_points",
                        fake_eps(ep("views", ops_plugin("views")), ep("docs", ops_plugin("docs"))))
    for args in (["plugins"], ["plugins", "--json"]):
        assert main(args) == 3
        out, err = capsys.readouterr()
        assert "views" in out and "docs" in out
        assert "mig: error: operation 'create_view' is registered by two plugins: " in err
        assert err.rstrip().endswith("; block one with -p no:docs")
    assert main(["-p", "no:docs", "plugins"]) == 0
    assert "operations: create_view" in capsys.readouterr().out


# --- registering module plugins -----------------------------------------------------------


def _odd_module() -> ModuleType:
    """A module with every kind of attribute pluggy looks at."""
    import types

    @hookimpl
    def mig_configure(config):
        pass

    class Holder:
        @staticmethod
        @hookimpl
        def static(config):
            pass

        @classmethod
        @hookimpl
        def klass(cls, config):
            pass

        @hookimpl
        def method(self, config):
            pass

    module = ModuleType("odd_plugin")
    module.__dict__.update(
        mig_configure=mig_configure, plain=lambda: None, number=1, text="x", cls=Holder,
        static=Holder.__dict__["static"], klass=Holder.__dict__["klass"],
        bound=Holder().method, sub=types, __annotations__={"number": int},
    )
    return module


def test_module_plugins_are_parsed_as_pluggy_parses_them():
    """mig answers at once for a module's attributes that cannot be hooks; for every name of
    every plugin module of a run (and an odd one) the result is pluggy's own."""
    import pluggy

    from mig_core.plugins import MigPluginManager

    pm = build_plugin_manager(None, env={})
    modules = [p for p in pm.get_plugins() if isinstance(p, ModuleType)]
    assert len(modules) >= 4
    ours, plain = MigPluginManager(), pluggy.PluginManager("mig")
    for module in [*modules, _odd_module()]:
        for name in dir(module):
            assert ours.parse_hookimpl_opts(module, name) == plain.parse_hookimpl_opts(
                module, name), (module.__name__, name)
    assert ours.parse_hookimpl_opts(_odd_module(), "mig_configure") is not None


def test_module_plugin_registration_looks_up_only_candidate_names(monkeypatch):
    """pluggy's static lookup (``inspect.getattr_static``, ~250 names a run) runs only for a
    module's functions and methods, not for its imports, constants and classes."""
    import inspect

    looked_up: list[str] = []
    getattr_static = inspect.getattr_static

    def spy(obj, name, *args):
        if isinstance(obj, ModuleType):
            looked_up.append(name)
        return getattr_static(obj, name, *args)

    monkeypatch.setattr(inspect, "getattr_static", spy)
    pm = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
    pm.register(_odd_module(), name="odd")
    assert pm.hook.mig_configure.get_hookimpls()[-1].plugin_name == "odd"
    assert "number" not in looked_up and "sub" not in looked_up and "cls" not in looked_up
