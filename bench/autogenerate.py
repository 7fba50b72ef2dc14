"""Autogenerate benchmark (issue 6): compare a T-table model with a database.

For T = 100, 500, 1000 tables (about 11 columns, a primary key, 1-2 foreign keys, 2 indexes and
a unique constraint each), on SQLite and PostgreSQL, against an empty database and against one
where 5% of the tables differ, it times:

* floor      SQLAlchemy's bulk reflection of the database alone (Inspector.get_multi_* for
             columns, primary keys, foreign keys, indexes, unique and CHECK constraints, table
             comments), the faster of garbage collection on and off
* floor5     the same without primary keys and CHECK constraints: the calls mig makes when no
             table is dropped (neither is compared; a dropped table's downgrade needs both)
* mig        in-process ``compare_metadata`` (reflection included)
* alembic    the same with Alembic 1.20.1, in bench/.venv-alembic, in a subprocess
* whole-process ``revision --autogenerate`` of both CLIs on a fresh project (modules from .pyc,
  one untimed run first), beside a CLI floor: a process that imports SQLAlchemy, builds the
  model as env.py does, connects and reflects in bulk (what any SQLAlchemy-based tool's
  process costs at least; ``CLI floor/Alembic`` is the least ratio such a tool can reach)

and prints medians with the ratios mig/alembic (target <= 0.5) and mig/floor (target <= 1.3;
mig/floor5 beside it). floor, floor5 and mig are timed in turn, one run of each per round, so
their ratios are not moved by the drift of a shared machine's load between blocks of runs.
Set up Alembic's venv once:
``python3 -m venv bench/.venv-alembic && bench/.venv-alembic/bin/pip install alembic==1.20.1
SQLAlchemy==<same as .venv> psycopg2-binary``.

``--filters`` runs both in-process compares (mig's and Alembic's) with a typical
``include_name`` and ``include_object`` (bench/_autogen_model.py: they leave nothing of the model
out, but every table, column, index and constraint goes through them).

Run: ``.venv/bin/python bench/autogenerate.py [--tables 100,500,1000] [--dialects sqlite,postgresql]
[--repeat 3] [--no-alembic] [--no-cli] [--filters]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _autogen_model  # noqa: E402

ALEMBIC_PY = HERE / ".venv-alembic" / "bin" / "python"
PG_ADMIN = os.environ.get("MIG_TEST_POSTGRES_URL",
                          "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
PG_DB = f"mig_bench_autogen_{os.getpid()}"  # one per run: runs never share a database
DIFFER_EVERY = 20  # 5% of the tables


def database_url(dialect: str, workdir: Path) -> str:
    if dialect == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    return sa.engine.make_url(PG_ADMIN).set(database=PG_DB).render_as_string(hide_password=False)


def prepare(url: str, tables: int, scenario: str) -> None:
    """An empty database, or one holding the model with 5% of its tables the old way."""
    if url.startswith("postgresql"):
        database_url("postgresql", Path("."))  # a new database: no lock-hungry DROP CASCADE
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if not url.startswith("postgresql"):
        with engine.begin() as conn:
            existing = sa.MetaData()
            existing.reflect(conn)
            existing.drop_all(conn)
    if scenario == "differ":
        md = _autogen_model.build(tables, differ_every=DIFFER_EVERY, database_side=True)
        ordered = md.sorted_tables
        for start in range(0, len(ordered), 100):  # PostgreSQL: bounded locks per transaction
            with engine.begin() as conn:
                for table in ordered[start:start + 100]:
                    table.create(conn)
    engine.dispose()


Run = tuple[float, float]  # (wall s, CPU s)


def interleaved(url: str, tables: int, repeat: int,
                filters: bool = False) -> dict[str, list[Run]]:
    """floor, floor5 and mig's ``compare_metadata``, one run of each in turn (the order rotating
    from round to round), ``repeat`` rounds after an uncounted one (imports, caches).

    Taken in turn, the three share the machine's load of the moment: timed as three blocks of
    runs, one after the other, their ratios took in how the load of a shared machine drifted
    from block to block (0.2-0.3 either way). Each floor run is the faster of two, garbage
    collection on (as SQLAlchemy runs) and off (as mig's comparison runs), so the floor is the
    strictest one; ``floor5`` is the floor without primary keys and CHECK constraints.
    ``filters``: mig's compare with the model's typical ``include_name`` / ``include_object``."""
    import gc

    from mig_core.autogenerate.api import compare_metadata
    from mig_core.plugins import build_plugin_manager
    from mig_core.runtime.migration import MigrationContext

    md = _autogen_model.build(tables, differ_every=DIFFER_EVERY)
    opts: dict = dict(_autogen_model.FILTERS) if filters else {}
    pm = build_plugin_manager(None)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def reflect(whole: bool) -> Run:
        runs = []
        for collect in (True, False):
            if not collect:
                gc.disable()
            try:
                with engine.connect() as conn:
                    start, cpu = time.perf_counter(), time.process_time()
                    _autogen_model.bulk_reflect(conn, whole=whole)
                    runs.append((time.perf_counter() - start, time.process_time() - cpu))
            finally:
                gc.enable()
        return min(runs[0][0], runs[1][0]), min(runs[0][1], runs[1][1])

    def compare() -> Run:
        with engine.connect() as conn:
            start, cpu = time.perf_counter(), time.process_time()
            ctx = MigrationContext.configure(connection=conn, plugin_manager=pm, opts=opts)
            compare_metadata(ctx, md)
            return time.perf_counter() - start, time.process_time() - cpu

    kinds = [("floor", lambda: reflect(True)), ("floor5", lambda: reflect(False)),
             ("mig", compare)]
    out: dict[str, list[Run]] = {kind: [] for kind, _ in kinds}
    for round_ in range(repeat + 1):
        shift = round_ % len(kinds)
        for kind, run in kinds[shift:] + kinds[:shift]:
            timing = run()
            if round_:
                out[kind].append(timing)
    engine.dispose()
    return out


def alembic_compare(url: str, tables: int, repeat: int,
                    filters: bool = False) -> list[tuple[float, float]]:
    out = subprocess.run(
        [str(ALEMBIC_PY), str(HERE / "_alembic_worker.py"), "compare", url, str(tables),
         str(DIFFER_EVERY), str(repeat), *(["filters"] if filters else [])],
        capture_output=True, text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"Alembic's worker failed: {out.stderr.strip().splitlines()[-1:]}")
    return [tuple(t) for t in json.loads(out.stdout)]  # type: ignore[misc]


ENV_MODEL = (
    "import sys\nsys.path.insert(0, {bench!r})\nimport _autogen_model\n"
    "target_metadata = _autogen_model.build({tables}, differ_every={differ})\n"
)


CLI_FLOOR = """
import sys
import sqlalchemy as sa
sys.path.insert(0, sys.argv[2])
import _autogen_model
target_metadata = _autogen_model.build(int(sys.argv[3]), differ_every=int(sys.argv[4]))
engine = sa.create_engine(sys.argv[1], poolclass=sa.pool.NullPool)
with engine.connect() as conn:
    _autogen_model.bulk_reflect(conn)
"""


def cli_floor_times(url: str, tables: int, repeat: int) -> list[float]:
    """The least a whole ``revision --autogenerate`` process does: start Python, import
    SQLAlchemy, build the model (as env.py does), connect, reflect in bulk; no tool."""
    argv = [sys.executable, "-c", CLI_FLOOR, url, str(HERE), str(tables), str(DIFFER_EVERY)]
    times = []
    for run in range(repeat + 1):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=CHILD_ENV)
        if run:
            times.append(time.perf_counter() - start)
    return times


def cli_project(tool: str, root: Path, url: str, tables: int) -> list[str]:
    """A fresh project for ``tool`` (mig or alembic); returns the revision command line."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    model = ENV_MODEL.format(bench=str(HERE), tables=tables, differ=DIFFER_EVERY)
    if tool == "mig":
        exe = [sys.executable, "-m", "mig_core"]
        subprocess.run([*exe, "init", "migrations"], cwd=root, check=True, capture_output=True)
        ini = root / "mig.ini"
    else:
        exe = [str(ALEMBIC_PY), "-m", "alembic"]
        subprocess.run([*exe, "init", "migrations"], cwd=root, check=True, capture_output=True)
        ini = root / "alembic.ini"
    env = root / "migrations" / "env.py"
    env.write_text(env.read_text().replace("target_metadata = None", model))
    lines = [f"sqlalchemy.url = {url}" if line.startswith("sqlalchemy.url") else line
             for line in ini.read_text().splitlines()]
    ini.write_text("\n".join(lines) + "\n")
    return [*exe, "revision", "--autogenerate", "-m", "bench"]


#: CLI runs load modules from .pyc files, as a wheel install does (this machine sets
#: PYTHONDONTWRITEBYTECODE, and mig is installed editable here: without this every mig run
#: would compile mig's modules from source while Alembic's come from pip's .pyc files)
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cli_times(tool: str, root: Path, url: str, tables: int, repeat: int) -> list[float]:
    argv = cli_project(tool, root, url, tables)
    times = []
    for run in range(repeat + 1):  # the first run (writing the .pyc files) is not counted
        start = time.perf_counter()
        subprocess.run(argv, cwd=root, check=True, capture_output=True, env=CHILD_ENV)
        if run:
            times.append(time.perf_counter() - start)
        for path in (root / "migrations" / "versions").glob("*.py"):
            path.unlink()
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default="100,500,1000")
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-alembic", action="store_true")
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--filters", action="store_true",
                        help="in-process compares with a typical include_name / include_object")
    args = parser.parse_args()
    with_alembic = not args.no_alembic and ALEMBIC_PY.exists()
    if not args.no_alembic and not with_alembic:
        print(f"(no {ALEMBIC_PY}: Alembic columns skipped)")
    rows = []
    work = Path(tempfile.mkdtemp(prefix="mig-bench-autogen-"))
    try:
        for dialect in args.dialects.split(","):
            url = database_url(dialect, work)
            for tables in (int(t) for t in args.tables.split(",")):
                for scenario in ("empty", "differ"):
                    prepare(url, tables, scenario)
                    row = {"dialect": dialect, "tables": tables, "scenario": scenario}
                    for key, runs in interleaved(url, tables, args.repeat, args.filters).items():
                        row[key] = median([w for w, _ in runs])
                        row[key + "_cpu"] = median([c for _, c in runs])
                    if with_alembic:
                        runs = alembic_compare(url, tables, args.repeat, args.filters)
                        row["alembic"] = median([w for w, _ in runs])
                        row["alembic_cpu"] = median([c for _, c in runs])
                    if not args.no_cli:
                        row["cli_floor"] = median(cli_floor_times(url, tables, args.repeat))
                        row["mig_cli"] = median(
                            cli_times("mig", work / "m", url, tables, args.repeat))
                        if with_alembic:
                            row["alembic_cli"] = median(
                                cli_times("alembic", work / "a", url, tables, args.repeat))
                    rows.append(row)
                    print(format_row(row), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if "postgresql" in args.dialects:
            admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT",
                                     poolclass=sa.pool.NullPool)
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}"'))
            admin.dispose()
    print()
    print(markdown(rows))


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


def _secs(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "-"


def format_row(row: dict) -> str:
    return (f"{row['dialect']:10} T={row['tables']:<5} {row['scenario']:6} "
            f"floor {_secs(row['floor'])}s floor5 {_secs(row['floor5'])}s  "
            f"mig {_secs(row['mig'])}s  "
            f"alembic {_secs(row.get('alembic'))}s  mig/alembic {_ratio(row['mig'], row.get('alembic'))}"
            f"  mig/floor {_ratio(row['mig'], row['floor'])}"
            f"  mig/floor5 {_ratio(row['mig'], row['floor5'])}  cpu: floor "
            f"{_secs(row['floor_cpu'])}s floor5 {_secs(row['floor5_cpu'])}s "
            f"mig {_secs(row['mig_cpu'])}s "
            f"alembic {_secs(row.get('alembic_cpu'))}s  "
            f"cli floor {_secs(row.get('cli_floor'))}s mig {_secs(row.get('mig_cli'))}s "
            f"alembic {_secs(row.get('alembic_cli'))}s")


def markdown(rows: list[dict]) -> str:
    out = ["| dialect | T | database | floor / floor5 s | mig s | Alembic s | mig/Alembic "
           "| mig/floor | mig/floor5 | CPU: floor / floor5 / mig / Alembic s | CLI floor s "
           "| CLI mig s | CLI Alembic s | CLI mig/Alembic | CLI floor/Alembic |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        differ = r["scenario"] != "empty"
        floor_ratio = _ratio(r["mig"], r["floor"]) if differ else "-"
        floor5_ratio = _ratio(r["mig"], r["floor5"]) if differ else "-"
        out.append(
            f"| {r['dialect']} | {r['tables']} | {r['scenario']} | {_secs(r['floor'])} / "
            f"{_secs(r['floor5'])} | "
            f"{_secs(r['mig'])} | {_secs(r.get('alembic'))} | {_ratio(r['mig'], r.get('alembic'))} | "
            f"{floor_ratio} | {floor5_ratio} | {_secs(r['floor_cpu'])} / "
            f"{_secs(r['floor5_cpu'])} / {_secs(r['mig_cpu'])} / "
            f"{_secs(r.get('alembic_cpu'))} | {_secs(r.get('cli_floor'))} | "
            f"{_secs(r.get('mig_cli'))} | {_secs(r.get('alembic_cli'))} | "
            f"{_ratio(r.get('mig_cli'), r.get('alembic_cli'))} | "
            f"{_ratio(r.get('cli_floor'), r.get('alembic_cli'))} |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    main()
