"""mig-postgres autogenerate benchmark (issue 8): what PostgreSQL's comparators cost.

For T = 100, 500, 1000 tables of a PostgreSQL-heavy model (ten enum types over two schemas
used by every table, ARRAY, JSONB and timestamptz columns with server defaults, a partial and
an expression index per table, an exclusion constraint on every tenth table, a sequence per
hundred tables), created in a fresh database, it times ``compare_metadata`` with
``compare_server_default=True`` and ``include_schemas=True``:

* floor   SQLAlchemy's bulk reflection of both schemas alone (the Inspector.get_multi_* calls)
* core    mig with the PostgreSQL plugin's comparison hooks removed (dialect and lock kept)
* full    mig with mig-postgres (catalog queries, enum and sequence lifecycle, exclusion
          constraints, FK schemas, server-evaluated defaults, type alignment)

and prints wall and CPU medians with full/core (target <= 1.15 in CPU time, which the shared
machine's load disturbs least: the plugin adds at most 15%) and full/floor. Every run must find no difference (the comparison is also checked for that).

Run: ``.venv/bin/python bench/postgres_autogenerate.py [--tables 100,500,1000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
import types
from typing import Any

import sqlalchemy as sa
from _autogen_model import bulk_reflect
from sqlalchemy.dialects import postgresql as pg

PG_ADMIN = os.environ.get("MIG_TEST_POSTGRES_URL",
                          "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
PG_DB = "mig_bench_pg_autogen"
OPTS = {"compare_server_default": True, "include_schemas": True}


def model(tables: int) -> sa.MetaData:
    md = sa.MetaData()
    enums = [
        sa.Enum(*(f"v{i}_{j}" for j in range(6)), name=f"kind{i}",
                schema="app" if i % 2 else None)
        for i in range(10)
    ]
    sequences = [sa.Sequence(f"counter{i}", metadata=md) for i in range(max(1, tables // 100))]
    for n in range(tables):
        kind = enums[n % 10]
        extra: list[Any] = []
        if n % 10 == 0:
            extra.append(pg.ExcludeConstraint(("during", "&&"), name=f"t{n}_no_overlap"))
        t = sa.Table(
            f"t{n}", md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("kind", kind, nullable=False, server_default=kind.enums[0]),
            sa.Column("kinds", pg.ARRAY(kind)),
            sa.Column("tags", pg.ARRAY(sa.String(30)), server_default=sa.text("'{}'")),
            sa.Column("doc", pg.JSONB, server_default=sa.text("'{}'::jsonb")),
            sa.Column("created", sa.DateTime(timezone=True),
                      server_default=sa.text("CURRENT_TIMESTAMP")),
            sa.Column("amount", sa.Numeric(10, 2), server_default="0"),
            sa.Column("no", sa.Integer,
                      server_default=sequences[n % len(sequences)].next_value()),
            sa.Column("during", pg.TSRANGE),
            sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
            sa.Column("parent_id", sa.Integer, sa.ForeignKey(_qualified(max(n - 1, 0)))),
            *extra,
            schema="app" if n % 3 == 0 else None,
        )
        sa.Index(f"ix_t{n}_live", t.c.created, postgresql_where=sa.text("NOT deleted"))
        sa.Index(f"ix_t{n}_lower", sa.func.lower(t.c.doc["name"].astext))
    return md


def _qualified(n: int) -> str:
    """``t<n>.id`` with the schema table n lives in."""
    return f"app.t{n}.id" if n % 3 == 0 else f"t{n}.id"


def prepare(tables: int) -> str:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    url = sa.engine.make_url(PG_ADMIN).set(database=PG_DB).render_as_string(hide_password=False)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA app"))
    md = model(tables)
    with engine.begin() as conn:
        for enum in {c.type.name: c.type for t in md.tables.values() for c in t.c
                     if isinstance(c.type, sa.Enum)}.values():
            enum.create(conn)
        for sequence in md._sequences.values():
            sequence.create(conn)
    ordered = md.sorted_tables
    for start in range(0, len(ordered), 100):  # bounded locks per transaction
        with engine.begin() as conn:
            for table in ordered[start:start + 100]:
                table.create(conn)
    engine.dispose()
    return url


def floor(url: str, repeat: int) -> list[tuple[float, float]]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    times = []
    for _ in range(repeat + 1):
        with engine.connect() as conn:
            start, cpu = time.perf_counter(), time.process_time()
            for schema in (None, "app"):
                bulk_reflect(conn, schema)
            times.append((time.perf_counter() - start, time.process_time() - cpu))
    engine.dispose()
    return times[1:]


def _dialect_only_plugin() -> types.ModuleType:
    """The PostgreSQL plugin without its comparison and rendering hooks."""
    from mig_postgres import plugin

    module = types.ModuleType("pg_dialect_only")
    module.mig_register_dialects = plugin.mig_register_dialects  # type: ignore[attr-defined]
    module.mig_register_operations = plugin.mig_register_operations  # type: ignore[attr-defined]
    module.mig_run_lock = plugin.mig_run_lock  # type: ignore[attr-defined]
    return module


def compare(url: str, tables: int, repeat: int, full: bool) -> list[tuple[float, float]]:
    from mig_core.autogenerate.api import compare_metadata
    from mig_core.plugins import build_plugin_manager
    from mig_core.runtime.migration import MigrationContext

    if full:
        pm = build_plugin_manager(None, env={})
    else:
        pm = build_plugin_manager(None, ["no:postgres"], env={})
        pm.register_plugin(_dialect_only_plugin(), "pg_dialect_only")
    md = model(tables)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    times = []
    for _ in range(repeat + 1):
        with engine.connect() as conn:
            gc.collect()
            start, cpu = time.perf_counter(), time.process_time()
            ctx = MigrationContext.configure(connection=conn, opts=dict(OPTS),
                                             plugin_manager=pm)
            diffs = compare_metadata(ctx, md)
            times.append((time.perf_counter() - start, time.process_time() - cpu))
        if full and diffs:
            raise SystemExit(f"the full comparison found differences: {diffs[:3]}")
    engine.dispose()
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", default="100,500,1000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for tables in [int(t) for t in args.tables.split(",")]:
        url = prepare(tables)
        runs = {"floor": floor(url, args.repeat),
                "core": compare(url, tables, args.repeat, full=False),
                "full": compare(url, tables, args.repeat, full=True)}
        wall = {k: statistics.median(t[0] for t in v) for k, v in runs.items()}
        cpu = {k: statistics.median(t[1] for t in v) for k, v in runs.items()}
        rows.append((tables, wall, cpu))
        print(f"T={tables}: wall floor {wall['floor']:.3f}s core {wall['core']:.3f}s "
              f"full {wall['full']:.3f}s; CPU core {cpu['core']:.3f}s full {cpu['full']:.3f}s",
              flush=True)
    print()
    print("| T | wall: floor / core / full s | full/core wall | CPU: floor / core / full s "
          "| full/core CPU | full/floor wall |")
    print("|---|---|---|---|---|---|")
    for tables, wall, cpu in rows:
        print(f"| {tables} | {wall['floor']:.3f} / {wall['core']:.3f} / {wall['full']:.3f} | "
              f"{wall['full'] / wall['core']:.2f} | {cpu['floor']:.3f} / {cpu['core']:.3f} / "
              f"{cpu['full']:.3f} | {cpu['full'] / cpu['core']:.2f} | "
              f"{wall['full'] / wall['floor']:.2f} |")


if __name__ == "__main__":
    main()
