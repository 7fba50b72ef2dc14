#!/usr/bin/env python3
"""Set up a virtual environment and run the demo or the test suite. Needs only Python 3.10+.

    python3 tasks.py demo    # the quickstart on SQLite, plus SQL for PostgreSQL, MSSQL, Oracle, MySQL
    python3 tasks.py test    # ruff, mypy and the whole pytest suite
    python3 tasks.py setup   # only create/refresh .venv

Extra arguments after ``test`` go to pytest (``python3 tasks.py test -k graph -x``). The suite
runs on two pytest-xdist workers, a test file on one worker (``-n 2 --dist loadfile``);
``python3 tasks.py test -n 0`` runs it in one process.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("MIG_VENV", ROOT / ".venv"))
PLUGINS = ["mig_postgres", "mig_sqlite_batch", "mig_mssql", "mig_oracle", "mig_mysql"]
EXAMPLES = ["examples/mig_views"]


def _bin(name: str) -> str:
    folder = "Scripts" if os.name == "nt" else "bin"
    return str(VENV / folder / name)


def _requirements_fingerprint() -> str:
    digest = hashlib.sha256()
    files = [ROOT / "pyproject.toml", *(ROOT / "plugins" / p / "pyproject.toml" for p in PLUGINS)]
    files += [ROOT / e / "pyproject.toml" for e in EXAMPLES]
    for path in files:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def setup() -> None:
    """Create .venv and install mig-core, the five plugins and the test tools (editable)."""
    if sys.version_info < (3, 10):  # noqa: UP036 - tasks.py may be run by an older python3
        sys.exit("mig needs Python 3.10 or newer")
    if not Path(_bin("python")).exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".mig-installed"
    fingerprint = _requirements_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    print("installing mig-core, its plugins and the test tools into .venv", flush=True)
    targets = ["-e", f"{ROOT}[test]"]
    for plugin in PLUGINS:
        targets += ["-e", str(ROOT / "plugins" / plugin)]
    for example in EXAMPLES:
        if (ROOT / example / "pyproject.toml").exists():
            targets += ["-e", str(ROOT / example)]
    subprocess.run(
        [_bin("python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *targets],
        check=True,
    )
    stamp.write_text(fingerprint)


def run(*cmd: str) -> None:
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


def demo() -> None:
    setup()
    run(_bin("python"), str(ROOT / "examples" / "quickstart" / "demo.py"))


def test(pytest_args: list[str]) -> None:
    setup()
    run(_bin("ruff"), "check", ".")
    run(_bin("mypy"))
    # two workers, each test file whole on one of them (its module-scoped database, its order);
    # most tests wait on a database server or a subprocess, so two overlap well on two cores
    run(_bin("python"), "-m", "pytest", "-n", "2", "--dist", "loadfile", *pytest_args)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test", "setup"):
        sys.exit(__doc__)
    task = sys.argv[1]
    if task == "setup":
        setup()
    elif task == "demo":
        demo()
    else:
        test(sys.argv[2:])


if __name__ == "__main__":
    main()
