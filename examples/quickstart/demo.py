"""The README's main job: a quickstart project on SQLite, driven through the ``mig`` CLI.

init -> autogenerate a revision from a model -> upgrade -> history -> change the model ->
autogenerate and upgrade again -> downgrade -1 -> the same plan as SQL scripts for PostgreSQL,
MSSQL, Oracle and MySQL. Runs in a temporary folder (``--keep`` keeps it and prints where).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIG = [sys.executable, "-m", "mig_core"]
OFFLINE_URLS = {
    "postgresql": "postgresql://", "mssql": "mssql://", "oracle": "oracle://", "mysql": "mysql://",
}


def mig(*args: str, cwd: Path, expect: int = 0) -> str:
    """Run ``mig args`` in ``cwd``, echo its output, and stop the demo on an unexpected exit."""
    print(f"\n$ mig {' '.join(args)}", flush=True)
    result = subprocess.run([*MIG, *args], cwd=cwd, capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    sys.stdout.write(result.stderr)
    sys.stdout.flush()
    if result.returncode != expect:
        sys.exit(f"demo failed: mig {' '.join(args)} exited with {result.returncode}, "
                 f"expected {expect}")
    return result.stdout


def use_model(work: Path, model_file: str) -> None:
    """Put the model module next to mig.ini (on sys.path through prepend_sys_path = .)."""
    shutil.copy(HERE / model_file, work / "model.py")
    for cache in work.glob("__pycache__"):
        shutil.rmtree(cache)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the project folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mig-quickstart-"))
    try:
        mig("--version", cwd=work)
        mig("plugins", cwd=work)
        mig("init", "migrations", cwd=work)

        env_py = work / "migrations" / "env.py"
        env_py.write_text(
            re.sub(r"^target_metadata = None$", "from model import metadata\n"
                   "target_metadata = metadata", env_py.read_text(), flags=re.M)
        )
        use_model(work, "model.py")
        mig("revision", "--autogenerate", "-m", "create customer, product and order", "--rev-id",
            "a1b2c3d4e5f6", cwd=work)
        print((next((work / "migrations" / "versions").glob("a1b2c3d4e5f6_*.py"))).read_text())
        mig("upgrade", "head", cwd=work)
        mig("current", "-v", cwd=work)

        use_model(work, "model_v2.py")
        mig("check", cwd=work, expect=1)  # the model changed: check lists the differences
        mig("revision", "--autogenerate", "-m", "add reviews, customer phone, order status", "--rev-id", "b2c3d4e5f6a1",
            cwd=work)
        print((next((work / "migrations" / "versions").glob("b2c3d4e5f6a1_*.py"))).read_text())
        mig("upgrade", "head", cwd=work)
        mig("check", cwd=work)
        mig("history", "-v", cwd=work)
        mig("log", cwd=work)
        mig("downgrade", "-1", cwd=work)
        mig("current", cwd=work)

        for dialect, url in OFFLINE_URLS.items():
            ini = work / f"{dialect}.ini"
            text = (work / "mig.ini").read_text()
            ini.write_text(re.sub(r"^sqlalchemy\.url = .*$", f"sqlalchemy.url = {url}", text,
                                  flags=re.M))
            mig("-c", ini.name, "upgrade", "--sql", "base:head", cwd=work)
    finally:
        if args.keep:
            print(f"\nproject kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
