"""mig-core, the five dialect plugins and mig-as-alembic build as wheels and work installed in a
fresh virtual environment: entry points, the init templates and each package's py.typed."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = [ROOT] + [ROOT / "plugins" / p for p in
                          ("mig_postgres", "mig_sqlite_batch", "mig_mssql", "mig_oracle",
                           "mig_mysql")] + [
    ROOT / "shims" / "mig_as_alembic"]


@pytest.mark.slow
def test_wheels_install_into_a_fresh_venv_and_list_plugins(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(  # one pip for all seven: each still builds in its own isolated environment
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         "--disable-pip-version-check", "-w", str(wheels), *map(str, DISTRIBUTIONS)],
        check=True, capture_output=True, text=True,
    )
    built = sorted(p.name.split("-")[0] for p in wheels.glob("*.whl"))
    assert built == ["mig_as_alembic", "mig_core", "mig_mssql", "mig_mysql", "mig_oracle",
                     "mig_postgres", "mig_sqlite_batch"]
    for wheel in wheels.glob("*.whl"):  # each has its README as its PyPI page
        with zipfile.ZipFile(wheel) as archive:
            metadata = next(archive.read(n).decode() for n in archive.namelist()
                            if n.endswith(".dist-info/METADATA"))
        assert "Description-Content-Type: text/markdown" in metadata, wheel.name

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)  # this pip installs into it (--python)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
         "--disable-pip-version-check", *map(str, wheels.glob("*.whl"))],
        check=True, capture_output=True, text=True,
    )
    mig = env_dir / "bin" / "mig"
    result = subprocess.run([str(mig), "plugins", "--json"], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listing = {r["name"]: r for r in json.loads(result.stdout)}
    for name, dist, dialect in [("postgres", "mig-postgres", "postgresql"),
                                ("sqlite_batch", "mig-sqlite-batch", "sqlite"),
                                ("mssql", "mig-mssql", "mssql"), ("oracle", "mig-oracle", "oracle"),
                                ("mysql", "mig-mysql", "mysql")]:
        assert listing[name]["distribution"] == dist
        assert listing[name]["status"] == "loaded"
        assert dialect in listing[name]["dialects"]
    # the installed package is the wheel's, not this checkout's
    where = subprocess.run([str(python), "-c", "import mig_core; print(mig_core.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert str(env_dir) in where
    # package data: every package is typed, and each init template is in the wheel
    typed = subprocess.run(
        [str(python), "-c", "import importlib.resources as r; print(*(r.files(p).joinpath("
         "'py.typed').is_file() for p in ('mig_core', 'mig_postgres', 'mig_sqlite_batch', "
         "'mig_mssql', 'mig_oracle', 'mig_mysql')))"],
        capture_output=True, text=True, check=True, cwd=tmp_path).stdout.split()
    assert typed == ["True"] * 6
    for template in ("generic", "async", "multidb", "pyproject"):
        project = tmp_path / f"project-{template}"
        project.mkdir()
        init = subprocess.run([str(mig), "init", "-t", template, "migrations"],
                              capture_output=True, text=True, cwd=project)
        assert init.returncode == 0, init.stderr
        assert {p.name for p in (project / "migrations").iterdir()} >= {
            "env.py", "script.py.mako", "README", "versions"}
        revision = subprocess.run([str(mig), "revision", "-m", "first"],
                                  capture_output=True, text=True, cwd=project)
        assert revision.returncode == 0, revision.stderr
        assert len(list((project / "migrations" / "versions").glob("*_first.py"))) == 1
    blocked = subprocess.run([str(mig), "-p", "no:oracle", "plugins", "--json"],
                             capture_output=True, text=True, cwd=tmp_path)
    assert {r["name"]: r["status"] for r in json.loads(blocked.stdout)}["oracle"] == "blocked"
    # mig-as-alembic's .pth makes the name ``alembic`` load mig from start-up, unless turned
    # off; this venv has no real Alembic (the probe checks), so nothing else can answer
    probe = (
        "import importlib, importlib.machinery\n"
        "assert importlib.machinery.PathFinder.find_spec('alembic') is None, 'real Alembic'\n"
        "stand_in = importlib.import_module('alembic')\n"
        "print(stand_in.__version__, importlib.import_module('alembic.command').__name__)"
    )
    shim = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert shim.stdout == "1.20.1 mig_core.command\n", shim.stderr
    off = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                         env={"MIG_AS_ALEMBIC": "0", "PATH": "/usr/bin:/bin"})
    assert "No module named 'alembic'" in off.stderr
