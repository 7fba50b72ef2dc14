"""mig-views built as a wheel and installed with mig-core into a fresh virtual environment."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1]
ROOT = EXAMPLE.parents[1]


@pytest.mark.slow
def test_wheel_installs_and_registers_its_operations(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         "--disable-pip-version-check", "-w", str(wheels), str(ROOT), str(EXAMPLE)],
        check=True, capture_output=True, text=True,
    )
    assert sorted(p.name.split("-")[0] for p in wheels.glob("*.whl")) == ["mig_core", "mig_views"]
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)  # this pip installs into it (--python)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
         "--disable-pip-version-check",
         *map(str, wheels.glob("*.whl"))],
        check=True, capture_output=True, text=True,
    )
    listing = subprocess.run([str(env_dir / "bin" / "mig"), "plugins", "--json"],
                             capture_output=True, text=True, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    views = {r["name"]: r for r in json.loads(listing.stdout)}["views"]
    assert (views["distribution"], views["version"], views["operations"]) == (
        "mig-views", "0.1.0", ["create_view", "drop_view"],
    )
    # mig-core alone has no dialect plugin: register a bare one for this offline run
    script = textwrap.dedent(
        """
        import io
        import mig_views
        from mig_core import hookimpl
        from mig_core.ddl.impl import DefaultImpl
        from mig_core.operations import Operations
        from mig_core.plugins import build_plugin_manager, module_plugin
        from mig_core.runtime.migration import MigrationContext

        @hookimpl
        def mig_register_dialects(registry):
            registry.add("postgresql", DefaultImpl)

        pm = build_plugin_manager(None)
        pm.register_plugin(module_plugin("bare", mig_register_dialects=mig_register_dialects),
                           "bare")
        buf = io.StringIO()
        ctx = MigrationContext.configure(dialect_name="postgresql",
                                         opts={"output_buffer": buf}, plugin_manager=pm)
        with Operations.context(ctx) as op:
            op.create_view("v", "SELECT 1")
            op.drop_view("v", definition="SELECT 1")
        print(mig_views.__file__)
        print(buf.getvalue().strip())
        """
    )
    run = subprocess.run([str(python), "-c", script], capture_output=True, text=True,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    where, sql = run.stdout.split("\n", 1)
    assert str(env_dir) in where
    assert sql.strip() == "CREATE VIEW v AS SELECT 1;\n\nDROP VIEW v;"
