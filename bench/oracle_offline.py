"""Cost of writing Oracle scripts: the mig-oracle plugin against the core's generic path.

    .venv/bin/python bench/oracle_offline.py [--n 2000] [--runs 5]

Workload: N steps, each an ``add_column`` with a default, an ``alter_column`` changing type and
nullability (one ``MODIFY`` on Oracle), a default change, a comment, a rename, a guarded
``drop_column(if_exists=True)`` and a plain one; every 10th step a ``create_table`` with a
foreign key, an index and a unique constraint named by a naming convention. Every name an
operation writes is checked against the identifier limit on Oracle. Run offline (``--sql``) on
``oracle`` with the plugin's impl, and as floors the same operations on ``oracle`` through the
core's DefaultImpl (framing only) and on ``postgresql``. Medians of ``--runs`` runs.
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

from mig_core import hookimpl  # noqa: E402
from mig_core.ddl.impl import DefaultImpl  # noqa: E402
from mig_core.operations import Operations  # noqa: E402
from mig_core.plugins import build_plugin_manager, module_plugin  # noqa: E402
from mig_core.runtime.migration import MigrationContext  # noqa: E402

PM = build_plugin_manager(None, env={})
CONVENTION = {"ix": "ix_%(table_name)s_%(column_0_N_name)s",
              "uq": "uq_%(table_name)s_%(column_0_N_name)s",
              "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
              "pk": "pk_%(table_name)s"}


class CoreOracleImpl(DefaultImpl):
    """The core's generic path with Oracle's framing only."""

    dialect_name = "oracle"
    command_terminator = ""
    batch_separator = "/"


@hookimpl
def _core_oracle(registry: Any) -> None:
    registry.add("oracle", CoreOracleImpl)


CORE_PM = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
CORE_PM.register_plugin(module_plugin("core_oracle", mig_register_dialects=_core_oracle),
                        "core_oracle")


def workload(op: Any, n: int) -> None:
    name = ""
    for i in range(n):
        if i % 10 == 0:
            name = f"account_history_{i}"
            op.create_table(
                name, sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("org_id", sa.Integer, sa.ForeignKey("org.id"), index=True),
                sa.Column("code", sa.String(20), unique=True),
            )
        op.add_column(name, sa.Column(f"x{i}", sa.Integer, server_default="0"))
        op.alter_column(name, f"x{i}", type_=sa.Numeric(12, 2), nullable=False,
                        existing_type=sa.Integer)
        op.alter_column(name, f"x{i}", server_default="1", existing_server_default="0")
        op.alter_column(name, f"x{i}", comment="c", existing_type=sa.Numeric(12, 2))
        op.alter_column(name, f"x{i}", new_column_name=f"y{i}")
        op.drop_column(name, f"gone{i}", if_exists=True)
        op.drop_column(name, f"y{i}")


def run_once(dialect: str, pm: Any, n: int) -> float:
    buf = io.StringIO()
    start = time.perf_counter()
    ctx = MigrationContext.configure(
        dialect_name=dialect, plugin_manager=pm,
        opts={"as_sql": True, "output_buffer": buf,
              "target_metadata": sa.MetaData(naming_convention=CONVENTION)},
    )
    with Operations.context(ctx) as op:
        workload(op, n)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cases = {"oracle (mig-oracle)": ("oracle", PM),
             "oracle (core DefaultImpl)": ("oracle", CORE_PM),
             "postgresql (mig-postgres)": ("postgresql", PM)}
    for dialect, pm in cases.values():
        run_once(dialect, pm, 20)  # imports and first compilations out of the measurement
    times: dict[str, list[float]] = {label: [] for label in cases}
    for _ in range(args.runs):  # interleaved, so load on the machine hits every case alike
        for label, (dialect, pm) in cases.items():
            times[label].append(run_once(dialect, pm, args.n))
    medians = {label: statistics.median(values) for label, values in times.items()}
    floor = medians["oracle (core DefaultImpl)"]
    ops = args.n * 7 + args.n // 10
    print(f"{ops} operations, median of {args.runs} runs")
    print("| run | seconds | us per operation | x core DefaultImpl on oracle |")
    print("|---|---|---|---|")
    for label, seconds in medians.items():
        print(f"| {label} | {seconds:.3f} | {seconds / ops * 1e6:.0f} | {seconds / floor:.2f} |")


if __name__ == "__main__":
    main()
