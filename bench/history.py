"""Benchmark: whole-process ``mig heads`` and ``mig history`` on long histories (issue 3).

Generates N revisions (a linear chain with a branch point and a merge point every 40 revisions)
in a temporary environment, then times each command as a fresh process, cold (no header cache)
and warm (cache written by the previous run), against the floor ``python -c pass``.

    .venv/bin/python bench/history.py                # N = 500, 2000, 5000; 7 runs each
    .venv/bin/python bench/history.py --runs 15 --sizes 500 5000

Targets: ``mig heads`` at 5,000 revisions <= 0.27 s median; cost linear in N, marginal
<= 0.1 ms per revision. Reference (from the issue): Alembic 1.20.1 takes 2.66 s (heads) and
4.12 s (history) at 5,000 revisions on this machine.
"""

from __future__ import annotations

import argparse
import glob
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

# as installed for users: .pyc files written and used (this machine sets PYTHONDONTWRITEBYTECODE,
# which would make every run compile every module)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ALEMBIC_5000 = {"heads": 2.66, "history": 4.12}
TARGET_HEADS_5000 = 0.27
TARGET_MARGINAL_MS = 0.1

REVISION = '''"""{message}

Revision ID: {rev}
Revises: {revises}
Create Date: 2024-01-01 00:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa

from mig_core import op

# revision identifiers, used by mig.
revision: str = {rev!r}
down_revision: Union[str, Sequence[str], None] = {down!r}
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("t{n}", sa.Column("c{n}", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("t{n}", "c{n}")
'''


def generate(root: str, n: int) -> None:
    """``n`` revision files: a chain; every 40th revision is a branch point whose side branch
    (one revision) is merged back by the next revision on the chain."""
    env = os.path.join(root, "migrations")
    versions = os.path.join(env, "versions")
    os.makedirs(versions)
    with open(os.path.join(root, "mig.ini"), "w") as f:
        f.write("[mig]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite://\n")
    with open(os.path.join(env, "env.py"), "w") as f:
        f.write("")
    past = time.time() - 3600  # old files, as in a real checkout: cacheable at once

    def write(rev: str, down: object, i: int) -> None:
        revises = ", ".join(down) if isinstance(down, tuple) else (down or "")
        path = os.path.join(versions, f"{rev}_step_{i}.py")
        with open(path, "w") as f:
            f.write(REVISION.format(message=f"step {i}", rev=rev, revises=revises, down=down, n=i))
        os.utime(path, (past, past))

    made = 0
    prev: str | None = None
    side: str | None = None
    while made < n:
        rev = uuid.uuid4().hex[-12:]
        if side is not None and made < n:
            down: object = (prev, side)  # merge point
            side = None
        else:
            down = prev
        write(rev, down, made)
        made += 1
        if made % 40 == 0 and made < n - 1:  # rev becomes a branch point: a side revision
            side = uuid.uuid4().hex[-12:]
            write(side, rev, made)
            made += 1
        prev = rev


def clear_cache(root: str) -> None:
    for path in glob.glob(os.path.join(root, "migrations", "versions", "__pycache__", "mig-headers.*")):
        os.unlink(path)


def timed(argv: list[str], cwd: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+sys) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(runs: int, argv: list[str], cwd: str, before: object = None) -> tuple[float, float]:
    """Median wall and CPU time; on a loaded machine CPU time is the steadier figure."""
    walls, cpus = [], []
    for _ in range(runs):
        if callable(before):
            before()
        wall, cpu = timed(argv, cwd)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    script = os.path.join(os.path.dirname(sys.executable), "mig")
    mig = [script] if os.path.exists(script) else [sys.executable, "-m", "mig_core"]
    floor_wall, floor_cpu = median_of(args.runs * 2, [sys.executable, "-c", "pass"], os.getcwd())
    print(f"python {sys.version.split()[0]}, {args.runs} runs each, medians; floor (python -c "
          f"pass) = {floor_wall * 1000:.1f} ms wall, {floor_cpu * 1000:.1f} ms CPU; "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| N | command | cold wall ms | warm wall ms | cold CPU ms | warm CPU ms | "
          "warm CPU x floor |")
    print("|---|---|---|---|---|---|---|")
    results: dict[tuple[int, str], tuple[float, float, float, float]] = {}
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"mig-bench-{n}-") as root:
            generate(root, n)
            for cmd in ("heads", "history"):
                argv = [*mig, cmd]
                timed(argv, root)  # warms the OS file cache and the .pyc files
                cold = median_of(args.runs, argv, root, before=lambda: clear_cache(root))
                timed(argv, root)  # writes the header cache
                warm = median_of(args.runs, argv, root)
                results[(n, cmd)] = (cold[0], warm[0], cold[1], warm[1])
                print(f"| {n} | mig {cmd} | {cold[0] * 1000:.0f} | {warm[0] * 1000:.0f} | "
                      f"{cold[1] * 1000:.0f} | {warm[1] * 1000:.0f} | {warm[1] / floor_cpu:.1f} |")
    lo, hi = min(args.sizes), max(args.sizes)
    if lo != hi:
        print()
        for cmd in ("heads", "history"):
            parts = []
            for label, idx in (("cold wall", 0), ("warm wall", 1), ("cold CPU", 2), ("warm CPU", 3)):
                marginal = (results[(hi, cmd)][idx] - results[(lo, cmd)][idx]) / (hi - lo) * 1000
                parts.append(f"{label} {marginal:.3f}")
            print(f"mig {cmd} marginal ms per revision ({lo}->{hi}): {', '.join(parts)} "
                  f"(target <= {TARGET_MARGINAL_MS})")
    if 5000 in args.sizes:
        print()
        for cmd in ("heads", "history"):
            cold_w, warm_w, cold_c, warm_c = results[(5000, cmd)]
            ref = ALEMBIC_5000[cmd]
            print(f"N=5000 mig {cmd}: warm {warm_w:.3f} s wall / {warm_c:.3f} s CPU, cold "
                  f"{cold_w:.3f} s wall / {cold_c:.3f} s CPU; Alembic 1.20.1 {ref:.2f} s (issue "
                  f"figure) -> {warm_w / ref:.2f}x warm wall")
        print(f"target: mig heads at 5000 <= {TARGET_HEADS_5000} s median")


if __name__ == "__main__":
    main()
