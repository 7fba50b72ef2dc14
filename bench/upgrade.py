"""``mig upgrade head`` on N revisions, whole process: SQLite, PostgreSQL, MySQL / MariaDB, and
offline ``--sql``.

    .venv/bin/python bench/upgrade.py [--sizes 500,2000,5000]
                                      [--targets sqlite,postgresql,offline] (also: mysql)
                                      [--alembic bench/.venv-alembic/bin/python] [--runs 1]
                                      [--cold] [--gaps]

Each revision adds a column; every 10th also creates a table (so N=5,000 makes 500 tables of
10 columns). Every figure is one whole ``mig`` process from start to exit, against two floors:

* ``floor``: a plain Python process that imports SQLAlchemy and executes (or, offline, prints)
  the same DDL, as ready-made strings, in one transaction: what the database (or the output)
  costs on its own (on MySQL, which commits each DDL statement anyway, autocommitted);
* ``sa floor``: the least work any SQLAlchemy-based tool does for these revisions: start Python
  with SQLAlchemy and the dialect, run each revision module from its .pyc (read, unmarshal,
  exec: no import machinery), let its ``upgrade()`` build its Columns, compile each statement
  with SQLAlchemy's compiler for the dialect (no Table for an added column) and execute or
  print it, in one transaction (on MySQL autocommitted). No version table, no history, no
  error handling.

PostgreSQL and MySQL get a fresh database per measured run (``MIG_BENCH_POSTGRES_URL``,
``MIG_BENCH_MYSQL_URL``: a server URL whose user may create and drop databases).

With ``--alembic PYTHON`` (an interpreter with Alembic installed, kept apart in
``bench/.venv-alembic``; mig never imports it), the same revisions run under Alembic in the same
session. Without it the issue's Alembic figures are printed for the ratio. ``sa/alembic`` is
the sa floor against Alembic: a goal below it cannot be met by compiling with SQLAlchemy.

Besides wall time, the CPU time of each process (user + system, from ``getrusage``) is shown
for mig and Alembic: on a shared machine it moves less than the wall time. The project is set
up as one that has been used before: revision files dated an hour back, byte-compiled (the
.pyc files both tools read), and mig's own caches (revision headers, compiled code) filled by
one untimed ``mig upgrade head --sql``. ``--cold``: no .pyc, no mig caches, every run compiles.

Issue targets at N=5,000 against Alembic 1.20.1: SQLite <= 0.25x, PostgreSQL <= 0.5x,
offline <= 0.2x (reference on this machine: 27.6 s, 11.6 s, 9.6 s). MySQL has no target.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PY = sys.executable
POSTGRES = os.environ.get("MIG_BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
MYSQL = os.environ.get("MIG_BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
#: the server of each target that needs a database of its own per run
SERVERS = {"postgresql": POSTGRES, "mysql": MYSQL}
ALEMBIC_REFERENCE_5000 = {"sqlite": 27.6, "postgresql": 11.6, "offline": 9.6}
TARGET = {"sqlite": 0.25, "postgresql": 0.5, "offline": 0.2}

ENV_PY = '''
import sqlalchemy as sa
from {pkg} import context

config = context.config
if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
'''

REVISION = '''"""r{i}

Revision ID: {rev}
Revises: {down}
"""
import sqlalchemy as sa

from {pkg} import op

revision = {rev!r}
down_revision = {down_repr}
branch_labels = None
depends_on = None


def upgrade():
{body}

def downgrade():
    pass
'''


def rev_id(i: int) -> str:
    return f"{i:04d}" + uuid.UUID(int=i * 7919 + 1).hex[-8:]


def statements(i: int) -> list[tuple[str, str]]:
    """(op source, plain SQL) of revision ``i``."""
    table = f"t{i // 10}"
    out = []
    if i % 10 == 0:
        out.append((
            f"    op.create_table({table!r}, sa.Column('id', sa.Integer, primary_key=True))",
            f"CREATE TABLE {table} (id INTEGER NOT NULL, PRIMARY KEY (id))",
        ))
    out.append((
        f"    op.add_column({table!r}, sa.Column('c{i}', sa.Integer))",
        f"ALTER TABLE {table} ADD COLUMN c{i} INTEGER",
    ))
    return out


def write_project(root: Path, n: int, pkg: str) -> Path:
    """A migration environment with ``n`` revisions importing ``pkg`` (mig_core or alembic)."""
    scripts = root / "migrations"
    versions = scripts / "versions"
    versions.mkdir(parents=True)
    (scripts / "env.py").write_text(ENV_PY.format(pkg=pkg))
    (scripts / "script.py.mako").write_text("")
    prev = None
    for i in range(n):
        rev = rev_id(i)
        body = "\n".join(src for src, _ in statements(i)) + "\n"
        (versions / f"{rev}_r{i}.py").write_text(REVISION.format(
            i=i, rev=rev, down=prev or "", down_repr=repr(prev), pkg=pkg, body=body
        ))
        prev = rev
    ini = root / ("mig.ini" if pkg == "mig_core" else "alembic.ini")
    section = "mig" if pkg == "mig_core" else "alembic"
    ini.write_text(f"[{section}]\nscript_location = %(here)s/migrations\nsqlalchemy.url = X\n")
    return ini


FLOOR = '''
import sys, sqlalchemy as sa
url, n, offline = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
sys.path.insert(0, sys.argv[4])
from upgrade import statements
sql = [s for i in range(n) for _, s in statements(i)]
if url.startswith("postgresql"):  # what sa.Integer primary keys become there
    sql = [s.replace("id INTEGER NOT NULL", "id SERIAL NOT NULL") for s in sql]
elif url.startswith("mysql"):
    sql = [s.replace("id INTEGER NOT NULL", "id INTEGER NOT NULL AUTO_INCREMENT") for s in sql]
if offline:
    out = sys.stdout
    out.write("BEGIN;\\n\\n")
    for s in sql:
        out.write(s + ";\\n\\n")
    out.write("COMMIT;\\n\\n")
else:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if engine.dialect.name == "mysql":  # each DDL statement commits there anyway
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # pysqlite would otherwise autocommit each DDL
        for s in sql:
            conn.exec_driver_sql(s)
'''


FLOOR_SA = '''
import marshal, os, sys, types
import sqlalchemy as sa
from sqlalchemy.schema import CreateTable
url, versions, offline = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
engine = sa.create_engine(url, poolclass=sa.pool.NullPool) if not offline else None
if engine is not None and engine.dialect.name == "mysql":  # each DDL statement commits anyway
    engine = engine.execution_options(isolation_level="AUTOCOMMIT")
dialect = engine.dialect if engine is not None else sa.engine.make_url(url).get_dialect()()
compiler = dialect.ddl_compiler(dialect, None)
quote = dialect.identifier_preparer.quote
statements = []
class Op:  # what the revisions call: compile with SQLAlchemy, nothing else
    def add_column(self, table, column):
        spec = compiler.get_column_specification(column)
        statements.append(f"ALTER TABLE {quote(table)} ADD COLUMN {spec}")
    def create_table(self, name, *columns):
        statements.append(str(CreateTable(sa.Table(name, sa.MetaData(), *columns))
                              .compile(dialect=dialect)).strip())
stub = types.ModuleType("mig_core")
stub.op = Op()
sys.modules["mig_core"] = stub
tag = sys.implementation.cache_tag
def run_revisions(each):
    names = sorted(n for n in os.listdir(versions) if n.endswith(".py"))
    for i, name in enumerate(names):
        pyc = os.path.join(versions, "__pycache__", f"{name[:-3]}.{tag}.pyc")
        try:
            with open(pyc, "rb") as f:
                code = marshal.loads(f.read()[16:])
        except OSError:  # --cold: no .pyc
            with open(os.path.join(versions, name), "rb") as f:
                code = compile(f.read(), os.path.join(versions, name), "exec")
        module = types.ModuleType(f"rev{i}")
        exec(code, module.__dict__)
        module.upgrade()
        for statement in statements:
            each(statement)
        statements.clear()
if offline:
    out = sys.stdout
    out.write("BEGIN;\\n\\n")
    run_revisions(lambda statement: out.write(statement + ";\\n\\n"))
    out.write("COMMIT;\\n\\n")
else:
    with engine.begin() as conn:
        if dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # pysqlite would otherwise autocommit each DDL
        run_revisions(conn.exec_driver_sql)
'''


def set_url(ini: Path, url: str) -> None:
    text = ini.read_text().splitlines()
    ini.write_text("\n".join(
        f"sqlalchemy.url = {url}" if line.startswith("sqlalchemy.url") else line for line in text
    ) + "\n")


#: children run with .pyc files enabled (the revision files are compiled once, before timing),
#: as a project checked out and migrated more than once would; --cold keeps the caller's setting
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process) of one run."""
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env=CHILD_ENV)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stderr}")
    return elapsed, _children_cpu() - cpu


def _drop_db(conn, name: str) -> None:  # type: ignore[no-untyped-def]
    quoted = conn.dialect.identifier_preparer.quote_identifier(name)
    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}")


def server_admin(target: str):  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    return sa.create_engine(SERVERS[target], isolation_level="AUTOCOMMIT",
                            poolclass=sa.pool.NullPool)


def fresh_db(target: str, name: str) -> str:
    """An empty database ``name`` on the target's server (dropped first); its URL."""
    import sqlalchemy as sa

    with server_admin(target).connect() as conn:
        _drop_db(conn, name)
        quoted = conn.dialect.identifier_preparer.quote_identifier(name)
        conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
    url = sa.engine.make_url(SERVERS[target]).set(database=name)
    return url.render_as_string(hide_password=False)


def drop_db(target: str, name: str) -> None:
    with server_admin(target).connect() as conn:
        _drop_db(conn, name)


def age_files(root: Path, seconds: float = 3600) -> None:
    """Date every file under ``root`` ``seconds`` back: a project whose revisions were written
    earlier (mig caches nothing modified in the last two seconds)."""
    stamp = time.time() - seconds
    for path in root.rglob("*"):
        os.utime(path, (stamp, stamp))


def forget_mig_caches(project: Path) -> None:
    """Remove mig's header and code caches (``--cold``)."""
    for cache in project.rglob("__pycache__/mig-*.marshal"):
        cache.unlink()


def warm_mig(project: Path) -> None:
    """One untimed ``mig upgrade head --sql``: fills mig's header and code caches, as any
    earlier mig command on the project would have."""
    ini = project / "mig.ini"
    set_url(ini, "postgresql://")
    timed([PY, "-m", "mig_core", "-c", str(ini), "upgrade", "head", "--sql"], project)


def measure(target: str, n: int, work: Path, alembic_python: str | None, runs: int,
            cold: bool = False) -> dict[str, float]:
    """Median seconds of the floor, mig and (optionally) Alembic for one target and size."""
    db_name = f"mig_bench_{os.getpid()}"

    def fresh_url() -> str:
        if target == "sqlite":
            path = work / "bench.db"
            if path.exists():
                path.unlink()
            return f"sqlite:///{path}"
        if target in SERVERS:
            return fresh_db(target, db_name)
        return "postgresql://"  # offline: a dialect, no database

    def median(make_cmd, ini: Path | None, cwd: Path):  # type: ignore[no-untyped-def]
        walls, cpus = [], []
        for _ in range(runs):
            url = fresh_url()
            if ini is not None:
                set_url(ini, url)
            if cold and ini is not None:
                forget_mig_caches(ini.parent)
            wall, cpu = timed(make_cmd(url), cwd)
            walls.append(wall)
            cpus.append(cpu)
        return statistics.median(walls), statistics.median(cpus)

    offline = target == "offline"
    sql = ["--sql"] if offline else []
    out: dict[str, float] = {}
    out["floor"], out["floor_cpu"] = median(
        lambda url: [PY, "-c", FLOOR, url, str(n), "1" if offline else "0",
                     str(Path(__file__).parent)], None, work)
    versions = str(work / "mig" / "migrations" / "versions")
    out["sa_floor"], out["sa_floor_cpu"] = median(
        lambda url: [PY, "-c", FLOOR_SA, url, versions, "1" if offline else "0"], None, work)
    mig_ini = work / "mig" / "mig.ini"
    out["mig"], out["mig_cpu"] = median(
        lambda url: [PY, "-m", "mig_core", "-c", str(mig_ini), "upgrade", "head", *sql],
        mig_ini, work / "mig")
    if alembic_python:
        alembic_ini = work / "alembic" / "alembic.ini"
        out["alembic"], out["alembic_cpu"] = median(
            lambda url: [alembic_python, "-m", "alembic", "-c", str(alembic_ini), "upgrade",
                         "head", *sql], alembic_ini, work / "alembic")
    if target in SERVERS:
        drop_db(target, db_name)
    return out


GAPS = '''
import sys, time, sqlalchemy as sa
url, n, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1e6
sys.path.insert(0, sys.argv[4])
from upgrade import statements
sql = [s.replace("id INTEGER NOT NULL", "id SERIAL NOT NULL")
       for i in range(n) for _, s in statements(i)]
engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
with engine.begin() as conn:
    start = time.perf_counter()
    for s in sql:
        end = time.perf_counter() + gap
        while time.perf_counter() < end:  # client work between statements
            pass
        conn.exec_driver_sql(s)
    print(time.perf_counter() - start - gap * len(sql))
'''


def measure_gaps(n: int) -> None:
    """The floor's statements on PostgreSQL with busy client time between them: how the time
    outside the client grows once the client pauses (an idle CPU's wake-up per round trip)."""
    db_name = f"mig_bench_{os.getpid()}"
    print(f"PostgreSQL, {n} revisions' DDL in one transaction, client busy between statements")
    for gap_us in (0, 25, 50, 100, 200, 400):
        url = fresh_db("postgresql", db_name)
        result = subprocess.run([PY, "-c", GAPS, url, str(n), str(gap_us),
                                 str(Path(__file__).parent)], capture_output=True, text=True,
                                check=True)
        print(f"  {gap_us:>4} µs between statements: {float(result.stdout):6.2f} s besides them")
    drop_db("postgresql", db_name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="500,2000,5000")
    parser.add_argument("--targets", default="sqlite,postgresql,offline")
    parser.add_argument("--alembic", default=None,
                        help="python of a separate environment with Alembic installed")
    parser.add_argument("--runs", type=int, default=1, help="runs per figure (median)")
    parser.add_argument("--cold", action="store_true",
                        help="no .pyc for the revision files: every run compiles them")
    parser.add_argument("--gaps", action="store_true",
                        help="only show how client pauses between statements slow PostgreSQL")
    args = parser.parse_args()
    if args.gaps:
        measure_gaps(max(int(s) for s in args.sizes.split(",")))
        return
    if args.cold:
        CHILD_ENV.update(os.environ)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.alembic:
        args.alembic = os.path.abspath(args.alembic)
    targets = args.targets.split(",")
    print(f"mig upgrade head, whole process (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cpus, median of {args.runs}, "
          f"{'cold: revisions compiled each run' if args.cold else 'revision .pyc present'})")
    header = (f"{'target':<11}{'N':>6}{'floor s':>9}{'sa floor':>9}{'mig s':>8}"
              f"{'mig/sa':>7}{'alembic s':>11}{'mig/alembic':>12}{'sa/alembic':>11}"
              f"{'goal':>6}{'cpu s: sa':>10}{'mig':>6}{'alembic':>8}{'ratio':>7}")
    print(header)
    for n in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"mig-bench-upgrade-{n}-"))
        try:
            write_project(work / "mig", n, "mig_core")
            if args.alembic:
                write_project(work / "alembic", n, "alembic")
            age_files(work)
            if not args.cold:
                subprocess.run([PY, "-m", "compileall", "-q", str(work)], check=True,
                               env=CHILD_ENV)
                warm_mig(work / "mig")
            for target in targets:
                r = measure(target, n, work, args.alembic, args.runs, args.cold)
                alembic = r.get("alembic")
                note = ""
                if alembic is None and n == 5000 and target in ALEMBIC_REFERENCE_5000:
                    alembic = ALEMBIC_REFERENCE_5000[target]
                    note = "*"
                ratio = f"{r['mig'] / alembic:.3f}{note}" if alembic else "-"
                sa_ratio = f"{r['sa_floor'] / alembic:.3f}{note}" if alembic else "-"
                alembic_text = f"{alembic:.2f}{note}" if alembic else "-"
                cpu = (f"{r['alembic_cpu']:>8.2f}{r['mig_cpu'] / r['alembic_cpu']:>7.3f}"
                       if "alembic_cpu" in r else f"{'-':>8}{'-':>7}")
                goal = f"{TARGET[target]:.2f}" if target in TARGET else "-"
                print(f"{target:<11}{n:>6}{r['floor']:>9.2f}{r['sa_floor']:>9.2f}"
                      f"{r['mig']:>8.2f}{r['mig'] / r['sa_floor']:>7.2f}{alembic_text:>11}"
                      f"{ratio:>12}{sa_ratio:>11}{goal:>6}{r['sa_floor_cpu']:>10.2f}"
                      f"{r['mig_cpu']:>6.2f}{cpu}", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if not args.alembic:
        print("* Alembic 1.20.1 reference figure from the issue (same machine), not measured now")


if __name__ == "__main__":
    main()
