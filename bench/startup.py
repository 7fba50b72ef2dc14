"""Start-up cost of the mig CLI, whole process, against Python's and SQLAlchemy's own start-up.

    .venv/bin/python bench/startup.py [--runs 21]

Prints the median wall time and CPU time of each command and its ratio to ``import sqlalchemy``.
Target (issue 2): ``mig --help`` <= 0.4x the time of importing SQLAlchemy.

Also a no-op ``mig upgrade head`` on a SQLite project at head (the start-up a whole
``mig upgrade`` process pays before any migration runs, issue 7) against what its env.py cannot
avoid: importing SQLAlchemy, creating the engine and connecting.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
MIG = str(Path(PY).parent / "mig")
CASES = [
    ("python -c pass (floor)", [PY, "-c", "pass"]),
    ("python -c 'import sqlalchemy'", [PY, "-c", "import sqlalchemy"]),
    ("mig --help", [PY, "-m", "mig_core", "--help"]),
    ("mig plugins", [PY, "-m", "mig_core", "plugins"]),
    ("sqlalchemy + engine + connect", [
        PY, "-c", "import sqlalchemy as sa; e = sa.create_engine('sqlite:///app.db', "
        "poolclass=sa.pool.NullPool); c = e.connect(); c.exec_driver_sql('SELECT 1'); c.close()",
    ]),
    ("mig upgrade head (no-op)", [MIG, "-c", "mig.ini", "upgrade", "head"]),
]
#: cases run in the SQLite project's folder (the others where there is no mig.ini)
IN_PROJECT = {"sqlalchemy + engine + connect", "mig upgrade head (no-op)"}

ENV_PY = """import sqlalchemy as sa
from mig_core import context

engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"),
                          poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"""

REVISION = """\"\"\"one table\"\"\"
import sqlalchemy as sa

from mig_core import op

revision = "a1"
down_revision = None


def upgrade():
    op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("t")
"""


def write_project(root: Path) -> None:
    """A SQLite project with one revision (the warm-up runs apply it; then upgrades are no-ops)."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text(ENV_PY)
    (root / "migrations" / "script.py.mako").write_text("")
    (versions / "a1_one_table.py").write_text(REVISION)
    (root / "mig.ini").write_text("[mig]\nscript_location = %(here)s/migrations\n"
                                  "sqlalchemy.url = sqlite:///%(here)s/app.db\n")
    sqlite3.connect(root / "app.db").close()


# as installed from wheels: modules load from .pyc (this machine sets PYTHONDONTWRITEBYTECODE)
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median_seconds(cmd: list[str], runs: int, cwd: str) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``runs`` runs."""
    times, cpus = [], []
    for _ in range(runs):
        cpu = _children_cpu()
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       cwd=cwd, env=CHILD_ENV)
        times.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
    return statistics.median(times), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    cwd = tempfile.mkdtemp(prefix="mig-bench-")  # mig.ini only for the upgrade case
    project = tempfile.mkdtemp(prefix="mig-bench-project-")
    write_project(Path(project))
    env_note = f"python {sys.version.split()[0]}, {os.cpu_count()} cpus"
    results = {}
    for label, cmd in CASES:
        where = project if label in IN_PROJECT else cwd
        median_seconds(cmd, 2, where)  # warm the OS file cache and write .pyc files
        results[label] = median_seconds(cmd, args.runs, where)
    sa = results["python -c 'import sqlalchemy'"]
    print(f"start-up, median of {args.runs} runs ({env_note}, load average "
          f"{os.getloadavg()[0]:.2f})")
    print(f"{'command':<34} {'wall ms':>9} {'x import sqlalchemy':>20} {'CPU ms':>8} {'x':>6}")
    for label, (seconds, cpu) in results.items():
        print(f"{label:<34} {seconds * 1000:>9.1f} {seconds / sa[0]:>20.2f} {cpu * 1000:>8.1f}"
              f" {cpu / sa[1]:>6.2f}")
    noop, floor = results["mig upgrade head (no-op)"], results["sqlalchemy + engine + connect"]
    print(f"\nno-op mig upgrade head: {(noop[0] - floor[0]) * 1000:.0f} ms wall, "
          f"{(noop[1] - floor[1]) * 1000:.0f} ms CPU over importing SQLAlchemy and connecting")
    ratio = results["mig --help"][0] / sa[0]
    verdict = "meets" if ratio <= 0.4 else "MISSES"
    print(f"\nmig --help is {ratio:.2f}x import sqlalchemy: {verdict} the target of 0.40x "
          f"(Alembic's --help: 1.5x)")


if __name__ == "__main__":
    main()
