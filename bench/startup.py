"""Start-up cost of the mig CLI, whole process, against Python's and SQLAlchemy's own start-up.

    .venv/bin/python bench/startup.py [--runs 21]

Prints the median wall time of each command and its ratio to ``import sqlalchemy``.
Target (issue 2): ``mig --help`` <= 0.4x the time of importing SQLAlchemy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

PY = sys.executable
CASES = [
    ("python -c pass (floor)", [PY, "-c", "pass"]),
    ("python -c 'import sqlalchemy'", [PY, "-c", "import sqlalchemy"]),
    ("mig --help", [PY, "-m", "mig_core", "--help"]),
    ("mig plugins", [PY, "-m", "mig_core", "plugins"]),
]


# as installed from wheels: modules load from .pyc (this machine sets PYTHONDONTWRITEBYTECODE)
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(cmd: list[str], runs: int, cwd: str) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       cwd=cwd, env=CHILD_ENV)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    cwd = tempfile.mkdtemp(prefix="mig-bench-")  # no mig.ini here
    env_note = f"python {sys.version.split()[0]}, {os.cpu_count()} cpus"
    results = {}
    for label, cmd in CASES:
        median_seconds(cmd, 2, cwd)  # warm the OS file cache and write .pyc files
        results[label] = median_seconds(cmd, args.runs, cwd)
    sa = results["python -c 'import sqlalchemy'"]
    print(f"start-up, median of {args.runs} runs ({env_note})")
    print(f"{'command':<34} {'median ms':>10} {'x import sqlalchemy':>20}")
    for label, seconds in results.items():
        print(f"{label:<34} {seconds * 1000:>10.1f} {seconds / sa:>20.2f}")
    ratio = results["mig --help"] / sa
    verdict = "meets" if ratio <= 0.4 else "MISSES"
    print(f"\nmig --help is {ratio:.2f}x import sqlalchemy: {verdict} the target of 0.40x "
          f"(Alembic's --help: 1.5x)")


if __name__ == "__main__":
    main()
