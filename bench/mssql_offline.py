"""Cost of writing SQL Server scripts: the mig-mssql plugin against the core's generic path.

    .venv/bin/python bench/mssql_offline.py [--n 2000] [--runs 5]

Workload: N steps, each an ``add_column`` with a default, an ``alter_column`` changing type and
nullability, a default change, a comment, a rename and a ``drop_column`` (SQL Server: the
default-constraint lookup, ``ALTER COLUMN`` restating the type, ``sp_rename``, extended
properties), plus a 10-row ``bulk_insert`` into an IDENTITY table every 10th step. Run offline
(``--sql``) on ``mssql`` and, as the floor, the same operations on ``postgresql``, whose impl is
the core's standard-SQL path. Ratios are mssql / postgresql; medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mig_core.operations import Operations  # noqa: E402
from mig_core.plugins import build_plugin_manager  # noqa: E402
from mig_core.runtime.migration import MigrationContext  # noqa: E402

PM = build_plugin_manager(None, env={})


def workload(op: Any, n: int) -> None:
    table: Any = None
    for i in range(n):
        if i % 10 == 0:
            table = op.create_table(
                f"t{i}", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("v", sa.String(20)),
            )
            op.bulk_insert(table, [{"id": k, "v": f"r{k}"} for k in range(10)])
        name = table.name
        op.add_column(name, sa.Column(f"x{i}", sa.Integer, server_default="0"))
        op.alter_column(name, f"x{i}", type_=sa.BigInteger, nullable=False,
                        existing_type=sa.Integer)
        op.alter_column(name, f"x{i}", server_default="1", existing_server_default="0")
        op.alter_column(name, f"x{i}", comment="c", existing_type=sa.BigInteger)
        op.alter_column(name, f"x{i}", new_column_name=f"y{i}", existing_type=sa.BigInteger)
        op.drop_column(name, f"y{i}")


def run_once(dialect: str, n: int) -> tuple[float, int]:
    buf = io.StringIO()
    start = time.perf_counter()
    ctx = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": buf}, plugin_manager=PM
    )
    with Operations.context(ctx) as op:
        workload(op, n)
    elapsed = time.perf_counter() - start
    return elapsed, buf.getvalue().count(";\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    run_once("mssql", 20)  # imports and first compilations out of the measurement
    run_once("postgresql", 20)
    results: dict[str, tuple[float, int]] = {}
    for dialect in ("postgresql", "mssql"):
        times = []
        statements = 0
        for _ in range(args.runs):
            elapsed, statements = run_once(dialect, args.n)
            times.append(elapsed)
        results[dialect] = (statistics.median(times), statements)
    floor = results["postgresql"][0]
    operations = args.n * 6 + (args.n // 10) * 2
    print(f"{operations} operations, median of {args.runs} runs")
    print("| dialect | median s | statements | us / operation | x postgresql |")
    print("|---|---|---|---|---|")
    for dialect, (seconds, statements) in results.items():
        print(f"| {dialect} | {seconds:.3f} | {statements} | "
              f"{seconds / operations * 1e6:.0f} | {seconds / floor:.2f} |")


if __name__ == "__main__":
    main()
