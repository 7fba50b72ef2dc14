"""The README's demo: a quickstart project in a temporary folder, driven through the mig CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

MIG = [sys.executable, "-m", "mig_core"]


def mig(*args: str, cwd: str) -> None:
    print(f"\n$ mig {' '.join(args)}", flush=True)
    subprocess.run([*MIG, *args], cwd=cwd, check=True)


def main() -> None:
    work = tempfile.mkdtemp(prefix="mig-quickstart-")
    try:
        mig("--version", cwd=work)
        mig("plugins", cwd=work)
        mig("list_templates", cwd=work)
        mig("init", "migrations", cwd=work)
        print("\nfiles:", sorted(os.listdir(work)), sorted(os.listdir(os.path.join(work, "migrations"))))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
