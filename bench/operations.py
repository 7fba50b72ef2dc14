"""Per-operation cost of ``op.*``, in process: offline (PostgreSQL SQL text) and online SQLite.

    .venv/bin/python bench/operations.py [--n 2000] [--runs 5]

Workload: N operations in the upgrade benchmark's mix (each step an ``add_column``; every 10th
step a ``create_table`` of 10 columns first), plus an ``alter_column`` and a ``create_index``
every 10th step. mig runs them through ``op`` (registry lookup, operation object, naming
convention, ``mig_ddl_execute`` hook, DefaultImpl). The floor builds the same SQLAlchemy DDL
constructs by hand and compiles them (offline) or executes them on the connection (online),
with no mig in between. Ratios are mig / floor; medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mig_core.ddl.base import AddColumn, ColumnNullable  # noqa: E402
from mig_core.operations import Operations  # noqa: E402
from mig_core.plugins import build_plugin_manager  # noqa: E402
from mig_core.runtime.migration import MigrationContext  # noqa: E402

PM = build_plugin_manager(None, env={})


def workload_mig(op: Any, n: int) -> None:
    table = "t0"
    for i in range(n):
        if i % 10 == 0:
            table = f"t{i}"
            op.create_table(table, *[sa.Column(f"c{k}", sa.Integer) for k in range(10)])
            op.alter_column(table, "c1", nullable=False)
            op.create_index(f"ix_{table}_c2", table, ["c2"])
        op.add_column(table, sa.Column(f"x{i}", sa.String(20)))


def workload_floor(run: Callable[[Any], None], n: int) -> None:
    table = None
    for i in range(n):
        if i % 10 == 0:
            meta = sa.MetaData()
            table = sa.Table(f"t{i}", meta, *[sa.Column(f"c{k}", sa.Integer) for k in range(10)])
            run(sa.schema.CreateTable(table))
            run(ColumnNullable(table.name, "c1", False))
            run(sa.schema.CreateIndex(sa.Index(f"ix_{table.name}_c2", table.c.c2)))
        assert table is not None
        column = sa.Column(f"x{i}", sa.String(20))
        sa.Table(table.name, sa.MetaData(), column)
        run(AddColumn(table.name, column))


def offline_mig(n: int) -> float:
    buf = io.StringIO()
    start = time.perf_counter()
    ctx = MigrationContext.configure(dialect_name="postgresql",
                                     opts={"as_sql": True, "output_buffer": buf},
                                     plugin_manager=PM)
    workload_mig(Operations(ctx), n)
    return time.perf_counter() - start


def offline_floor(n: int) -> float:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    buf = io.StringIO()
    start = time.perf_counter()
    workload_floor(lambda ddl: buf.write(str(ddl.compile(dialect=dialect)) + ";\n\n"), n)
    return time.perf_counter() - start


def online(n: int, use_mig: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{tmp}/b.db")
        with engine.begin() as conn:
            start = time.perf_counter()
            if use_mig:
                ctx = MigrationContext.configure(connection=conn, plugin_manager=PM)
                op = Operations(ctx)
                # SQLite cannot ALTER COLUMN: the floor skips it too
                op.alter_column = lambda *a, **k: None  # type: ignore[method-assign]
                workload_mig(op, n)
            else:
                def run(ddl: Any) -> None:
                    if not isinstance(ddl, ColumnNullable):
                        conn.execute(ddl)
                workload_floor(run, n)
            elapsed = time.perf_counter() - start
        engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    n = args.n
    offline_mig(200), offline_floor(200)  # warm imports and caches
    rows = []
    online_n = max(10, n // 8)  # SQLite rewrites its schema on every ALTER: keep it short
    for label, steps, mig_fn, floor_fn in [
        ("offline (postgresql SQL)", n, lambda: offline_mig(n), lambda: offline_floor(n)),
        ("online SQLite", online_n, lambda: online(online_n, True),
         lambda: online(online_n, False)),
    ]:
        mig_times, floor_times = [], []
        for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
            mig_times.append(mig_fn())
            floor_times.append(floor_fn())
        mig_t, floor_t = statistics.median(mig_times), statistics.median(floor_times)
        ops_count = steps + 3 * (steps // 10)
        rows.append((f"{label}, {ops_count} ops", floor_t, mig_t, mig_t / floor_t,
                     mig_t / ops_count * 1e6))
    print(f"N = {n} steps offline, {online_n} online; median of {args.runs} interleaved runs\n")
    print("| workload | floor s | mig s | mig / floor | mig us per op |")
    print("|---|---|---|---|---|")
    for label, floor_t, mig_t, ratio, per_op in rows:
        print(f"| {label} | {floor_t:.3f} | {mig_t:.3f} | {ratio:.2f} | {per_op:.0f} |")


if __name__ == "__main__":
    main()
