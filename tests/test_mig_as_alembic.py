"""The mig-as-alembic distribution (shims/mig_as_alembic): the name ``alembic`` loads mig, for
libraries that import Alembic and cannot be renamed. Each check runs in a fresh interpreter
where no real Alembic is installed (checked first), with the hook installed by hand (the wheel
test, tests/test_wheels.py, checks the .pth start-up). The project files of the last checks say
``from alembic import op`` as an unrenamed project's do; they too run on mig only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import mig_core

SHIM = Path(__file__).resolve().parents[1] / "shims" / "mig_as_alembic"
# Files written for Alembic (a project that still imports it, a plugin module), kept as text so
# that nothing in the test suite reads as importing Alembic: mig-as-alembic runs them on mig.
ALEMBIC_STYLE = Path(__file__).resolve().parent / "alembic_style"

#: Every child first proves that no real Alembic is installed, so the name ``alembic`` can only
#: resolve to mig through the hook; ``stand_in(name)`` loads such a name and checks it did.
PREAMBLE = """\
import importlib, importlib.machinery, sys
if importlib.machinery.PathFinder.find_spec("alembic") is not None:
    sys.exit("a real Alembic is installed here; these checks need mig standing in for it")
import mig_as_alembic

def stand_in(name):
    module = importlib.import_module(name)
    assert isinstance(sys.modules[name.split(".")[0]].__spec__.loader, mig_as_alembic.AlembicIsMig)
    return module
"""


def python(code: str, *, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(SHIM), **env}
    return subprocess.run([sys.executable, "-c", PREAMBLE + textwrap.dedent(code)],
                          capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120)


def test_alembic_is_mig_with_alembics_version_number() -> None:
    result = python("""
        mig_as_alembic.install()
        alembic = stand_in("alembic")
        config, command = stand_in("alembic.config"), stand_in("alembic.command")
        migration, util = stand_in("alembic.runtime.migration"), stand_in("alembic.util")
        import mig_core, mig_core.config, mig_core.runtime.migration
        assert "alembic.script" not in sys.modules
        assert alembic.__version__ == mig_core.ALEMBIC_API_VERSION
        assert config is mig_core.config and command is mig_core.command
        assert alembic.command is mig_core.command
        assert migration.MigrationContext is mig_core.runtime.migration.MigrationContext
        assert alembic.op is mig_core.op and alembic.context is mig_core.context
        # Airflow's spelling, import alembic.op as op: modules that are the proxies
        assert stand_in("alembic.op") is mig_core.op
        assert stand_in("alembic.context") is mig_core.context
        assert util.CommandError is mig_core.CommandError
        assert alembic.hookimpl is mig_core.hookimpl  # any other name: mig_core's
        import mig_core.script
        assert alembic.script is mig_core.script  # a submodule not imported yet: imported
        try:
            alembic.nosuchthing
        except AttributeError as exc:
            assert str(exc) == "module 'alembic' (mig) has no attribute 'nosuchthing'"
        assert mig_core.config.__spec__.name == "mig_core.config"  # mig's modules keep their spec
        print("ok")
    """)
    assert result.stdout == "ok\n", result.stderr
    assert mig_core.ALEMBIC_API_VERSION == "1.20.1"


def test_op_and_context_imported_as_modules() -> None:
    """``import alembic.op as op`` (an Airflow revision): ``mig_core.op`` is a module that is
    the proxy, which has no ``__spec__`` of its own while no migration runs."""
    result = python("""
        mig_as_alembic.install()
        op, context = stand_in("alembic.op"), stand_in("alembic.context")
        import mig_core
        assert op is stand_in("alembic").op is mig_core.op and context is mig_core.context
        print("ok")
    """)
    assert result.stdout == "ok\n", result.stderr


def test_a_module_mig_lacks_is_named_in_the_error() -> None:
    result = python("""
        mig_as_alembic.install()
        try:
            stand_in("alembic.ddl.nosuchdialect")
        except ModuleNotFoundError as exc:
            print(exc.name, "|", exc)
    """)
    assert result.stdout == (
        "alembic.ddl.nosuchdialect | No module named 'alembic.ddl.nosuchdialect': mig stands in "
        "for Alembic here (mig-as-alembic) and has no mig_core.ddl.nosuchdialect\n"
    ), result.stderr


def test_mig_as_alembic_0_turns_the_start_up_hook_off() -> None:
    code = """
        mig_as_alembic.install_from_site()
        try:
            alembic = stand_in("alembic")
        except ModuleNotFoundError:
            print("off")
        else:
            print("on", alembic.__version__)
    """
    off = python(code, MIG_AS_ALEMBIC="0")
    assert off.stdout == "off\n", off.stderr
    on = python(code)
    assert on.stdout == f"on {mig_core.ALEMBIC_API_VERSION}\n", on.stderr


def test_a_project_whose_files_still_import_alembic_runs_on_mig(tmp_path: Path) -> None:
    """env.py and a revision with ``from alembic import context / op``, run by mig's command."""
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/migrations\n"
        f"sqlalchemy.url = sqlite:///{tmp_path / 'app.db'}\n"
    )
    (tmp_path / "migrations" / "env.py").write_text((ALEMBIC_STYLE / "env.py.txt").read_text())
    (tmp_path / "migrations" / "script.py.mako").write_text("")
    (tmp_path / "migrations" / "versions" / "a1_one.py").write_text(
        (ALEMBIC_STYLE / "a1_one.py.txt").read_text())
    result = python("""
        mig_as_alembic.install()
        command, config = stand_in("alembic.command"), stand_in("alembic.config")
        command.upgrade(config.Config("alembic.ini"), "head")
        import sqlite3
        print(sqlite3.connect("app.db").execute("SELECT version_num FROM mig_version").fetchall())
    """, cwd=tmp_path)
    assert result.stdout == "[('a1',)]\n", result.stderr


def test_alembics_dialect_modules_are_the_plugins() -> None:
    result = python("""
        mig_as_alembic.install()
        import mig_postgres.impl, mig_sqlite_batch.impl, mig_core.ddl.impl
        assert stand_in("alembic.ddl.postgresql") is mig_postgres.impl
        assert stand_in("alembic.ddl.sqlite") is mig_sqlite_batch.impl
        assert stand_in("alembic.ddl.impl").DefaultImpl is mig_core.ddl.impl.DefaultImpl
        print("ok")
    """)
    assert result.stdout == "ok\n", result.stderr
