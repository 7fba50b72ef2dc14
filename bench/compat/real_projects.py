"""Run real projects' Alembic migration histories with mig and with Alembic, and compare.

Each project's migrations ship inside its PyPI package. The script copies them twice: as they
are (run by ``alembic``) and with ``alembic`` renamed to ``mig_core`` in their imports (run by
``mig``), which is the whole switch docs/from-alembic.md describes. Both use the same ini (its
``[alembic]`` section, ``version_table = alembic_version`` for mig), the project's own env.py,
and a fresh database each. Then, per target database:

* ``upgrade head``, the schema reflected (tables, columns, keys, indexes, constraints) and
  compared;
* ``downgrade base`` (or the project's ``downgrade_to``), the same;
* ``upgrade head --sql`` for each offline dialect, the scripts compared line by line.

Differences are written to the work folder and summed up at the end. Like the other Alembic
comparisons under bench/, this runs ONLY in a separate environment that has Alembic installed
(``bench/.venv-compat``, see bench/compat/README.md), each tool in its own subprocess; mig and
its tests never import Alembic, and mig's runs here block ``import alembic`` so that nothing of
it is used.

    bench/.venv-compat/bin/python bench/compat/real_projects.py --projects optuna,prefect
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
POSTGRES_URL = os.environ.get("MIG_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("MIG_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
OFFLINE_URLS = {
    "postgresql": "postgresql://",
    "mysql": "mysql://",
    "mssql": "mssql://",
    "oracle": "oracle://",
    "sqlite": "sqlite://",
}
IGNORED_TABLES = {"alembic_version", "mig_version", "mig_history"}

RUNNER = """\
import os, sys
tool, *argv = sys.argv[1:]
if tool == "mig":
    sys.modules["alembic"] = None  # mig's run must not use any of Alembic
    if os.environ.get("COMPAT_ALIAS_ALEMBIC"):  # revisions run from the installed package
        import importlib, importlib.abc, importlib.util
        class Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
            def find_spec(self, name, path=None, target=None):
                if name == "alembic" or name.startswith("alembic."):
                    return importlib.util.spec_from_loader(name, self)
            def create_module(self, spec):
                return importlib.import_module("mig_core" + spec.name[len("alembic"):])
            def exec_module(self, module):
                pass
        del sys.modules["alembic"]
        sys.meta_path.insert(0, Alias())
    from mig_core.config import main
else:
    from alembic.config import main
hook = os.environ.get("COMPAT_RUN_HOOK")  # "file.py:function": the project's own way to run
if hook and ("--sql" not in argv or os.environ.get("COMPAT_RUN_HOOK_SQL")):
    import importlib.util
    path, function = hook.rsplit(":", 1)
    sys.path.insert(0, os.path.dirname(os.path.dirname(path)))  # compat/, for real_projects
    spec = importlib.util.spec_from_file_location("compat_run_hook", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    getattr(module, function)(tool, argv)
elif os.environ.get("COMPAT_IN_WORKER_THREAD"):  # env.py expects an anyio worker thread
    import anyio, anyio.to_thread
    async def in_thread():
        await anyio.to_thread.run_sync(lambda: main(argv=argv))
    anyio.run(in_thread)
else:
    main(argv=argv)
"""

@dataclass
class Project:
    """Where a package keeps its migrations and what its env.py needs to find the database."""

    package: str
    script_dir: str
    online: tuple[str, ...] = ("sqlite", "postgresql", "mysql")
    offline: tuple[str, ...] = ("postgresql", "mysql", "mssql", "oracle", "sqlite")
    environ: Callable[[str, str], dict[str, str]] = field(default=lambda target, url: {})
    url_for: Callable[[str, str], str] = field(default=lambda target, url: url)
    #: run on each fresh database before either tool (a project that creates a base schema
    #: outside its migrations first), given the target and a synchronous URL
    prepare: Callable[[str, str], None] | None = None
    #: edits the copied revisions, the same for both tools, given the target and the copy's
    #: folder (a history that only runs from an empty database with data its application
    #: writes between revisions, or with a branch for a dialect it never reaches)
    patch: Callable[[str, Path], None] | None = None
    #: where the downgrade goes: ``base``, or a revision whose schema is worth comparing when
    #: the history's first revision cannot be undone (Airflow's squashed first revision)
    downgrade_to: str = "base"


def load_projects() -> dict[str, Project]:
    """Every ``bench/compat/projects/<name>.py``: each defines ``PROJECT = Project(...)``."""
    found: dict[str, Project] = {}
    for path in sorted((HERE / "projects").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"compat_project_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found[path.stem] = module.PROJECT
    return found


IMPORT_LINE = re.compile(r"^(\s*)(from|import)\s+alembic\b", re.MULTILINE)


def _to_mig(source: str) -> str:
    """Rename ``alembic`` to ``mig_core`` in import statements, nothing else."""

    def rename(match: re.Match[str]) -> str:
        indent, keyword = match.group(1), match.group(2)
        return f"{indent}{keyword} mig_core"

    renamed = IMPORT_LINE.sub(rename, source)
    return re.sub(r"^(\s*)import mig_core$", r"\1import mig_core as alembic", renamed, flags=re.MULTILINE)


def copy_scripts(project: Project, dest: Path, tool: str) -> Path:
    spec = importlib.util.find_spec(project.package)
    assert spec and spec.submodule_search_locations, project.package
    source = Path(next(iter(spec.submodule_search_locations))) / project.script_dir
    target = dest / tool / "migrations"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    if tool == "mig":
        for path in target.rglob("*.py"):
            path.write_text(_to_mig(path.read_text()))
    return target


def write_ini(folder: Path, script_location: Path, url: str, tool: str) -> Path:
    ini = folder / "alembic.ini"
    lines = ["[alembic]", f"script_location = {script_location}", f"sqlalchemy.url = {url}"]
    if tool == "mig":
        lines.append("version_table = alembic_version")
    lines += [
        "",
        "[loggers]\nkeys = root\n",
        "[handlers]\nkeys = console\n",
        "[formatters]\nkeys = generic\n",
        "[logger_root]\nlevel = WARNING\nhandlers = console\nqualname =\n",
        "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n",
        "[formatter_generic]\nformat = %(levelname)-5.5s [%(name)s] %(message)s\n",
    ]
    ini.write_text("\n".join(lines) + "\n")
    return ini


@dataclass
class Run:
    ok: bool
    seconds: float
    stdout: str
    stderr: str


def run_tool(tool: str, ini: Path, args: list[str], environ: dict[str, str]) -> Run:
    argv = [PYTHON, "-c", RUNNER, tool, "-c", str(ini), *args]
    env = {**os.environ, **environ, "PYTHONPATH": str(ini.parent)}
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ini.parent, timeout=900)
    return Run(done.returncode == 0, time.perf_counter() - started, done.stdout, done.stderr)


# --- databases -------------------------------------------------------------------------------


def fresh_database(target: str, name: str, folder: Path) -> str:
    if target == "sqlite":
        path = folder / f"{name}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin_url = POSTGRES_URL if target == "postgresql" else MYSQL_URL
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        quote = '"' if target == "postgresql" else "`"
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{name}{quote}")
        conn.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
    engine.dispose()
    return str(sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False))


def drop_database(target: str, name: str) -> None:
    if target == "sqlite":
        return
    admin_url = POSTGRES_URL if target == "postgresql" else MYSQL_URL
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        quote = '"' if target == "postgresql" else "`"
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{name}{quote}")
    engine.dispose()


def snapshot(url: str) -> dict[str, object]:
    """The schema as plain data: everything two tools must agree on."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Skipped unsupported reflection")  # see below
            inspector = sa.inspect(conn)
            dialect = conn.dialect
            tables = sorted(t for t in inspector.get_table_names() if t not in IGNORED_TABLES)
            result: dict[str, object] = {}
            for table in tables:
                columns = [
                    {
                        "name": c["name"],
                        "type": c["type"].compile(dialect=dialect),
                        "nullable": c["nullable"],
                        "default": c.get("default"),
                        "comment": c.get("comment"),
                    }
                    for c in inspector.get_columns(table)
                ]
                result[table] = {
                    "columns": columns,
                    "primary_key": inspector.get_pk_constraint(table),
                    "foreign_keys": sorted(inspector.get_foreign_keys(table), key=repr),
                    "indexes": sorted(inspector.get_indexes(table), key=repr),
                    "unique": sorted(inspector.get_unique_constraints(table), key=repr),
                    "check": sorted(_checks(inspector, table), key=repr),
                }
            if dialect.name == "postgresql":
                result["<enums>"] = sorted(inspector.get_enums(), key=repr)  # type: ignore[attr-defined]
            if dialect.name == "sqlite":
                result["<sqlite expression indexes>"] = _sqlite_expression_indexes(conn, result)
            return json.loads(json.dumps(result, default=str, sort_keys=True))
    finally:
        engine.dispose()


def _sqlite_expression_indexes(conn: sa.Connection, tables: dict[str, object]) -> dict[str, str]:
    """name -> SQL (whitespace collapsed) of the indexes SQLAlchemy does not reflect on SQLite
    (on expressions), which get_indexes() leaves out with a warning."""
    reflected = {
        ix["name"] for table in tables.values() for ix in table["indexes"]  # type: ignore[index]
    }
    rows = conn.exec_driver_sql(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ).all()
    return {
        name: " ".join(sql.split())
        for name, table, sql in rows
        if table not in IGNORED_TABLES and name not in reflected
    }


def _checks(inspector: sa.Inspector, table: str) -> list[dict[str, object]]:
    try:
        return inspector.get_check_constraints(table)  # type: ignore[return-value]
    except NotImplementedError:
        return []


# --- comparison ------------------------------------------------------------------------------


def _diff(label: str, alembic_text: str, mig_text: str, out: Path) -> int:
    lines = list(
        difflib.unified_diff(
            alembic_text.splitlines(), mig_text.splitlines(), "alembic", "mig", lineterm="", n=2
        )
    )
    if lines:
        (out / f"{label}.diff").write_text("\n".join(lines) + "\n")
    return sum(1 for line in lines if line[:1] in "+-" and line[:3] not in ("+++", "---"))


def _verdict(changed: int, diff_file: str, alembic_result: str, mig_result: str) -> str:
    if alembic_result.startswith("FAILED") and mig_result.startswith("FAILED"):
        return "both fail"
    return "same" if not changed else f"DIFFERS ({changed} lines, {diff_file})"


def _error(run: Run) -> str:
    text = (run.stderr or run.stdout).strip().splitlines()
    return text[-1] if text else "(no output)"


def compare_online(name: str, project: Project, target: str, work: Path, report: list[str]) -> None:
    folders = {tool: work / name / target / tool for tool in ("alembic", "mig")}
    snapshots: dict[str, dict[str, str]] = {"alembic": {}, "mig": {}}
    times: dict[str, dict[str, float]] = {"alembic": {}, "mig": {}}
    for tool, folder in folders.items():
        folder.parent.mkdir(parents=True, exist_ok=True)
        scripts = copy_scripts(project, folder.parent, tool)
        if project.patch is not None:
            project.patch(target, scripts)
        database = f"compat_{name}_{tool}"
        plain_url = fresh_database(target, database, folder)
        if project.prepare is not None:
            project.prepare(target, plain_url)
        url = project.url_for(target, plain_url)
        ini = write_ini(folder, scripts, url, tool)
        environ = project.environ(target, url)
        try:
            phases = (("upgrade", ["upgrade", "head"]), ("downgrade", ["downgrade", project.downgrade_to]))
            for phase, args in phases:
                run = run_tool(tool, ini, args, environ)
                times[tool][phase] = run.seconds
                (folder / f"{phase}.log").write_text(run.stdout + run.stderr)
                if not run.ok:
                    snapshots[tool][phase] = f"FAILED: {_error(run)}"
                    break
                sync_url = url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg2")
                snapshots[tool][phase] = json.dumps(snapshot(sync_url), indent=1, sort_keys=True)
        finally:
            drop_database(target, database)
    compare_answers(name, target, folders, work, report)
    for phase in ("upgrade", "downgrade"):
        a, m = snapshots["alembic"].get(phase, "(not run)"), snapshots["mig"].get(phase, "(not run)")
        changed = _diff(f"{name}-{target}-{phase}", a, m, work)
        verdict = _verdict(changed, f"{name}-{target}-{phase}.diff", a, m)
        if a.startswith("FAILED") or m.startswith("FAILED"):
            verdict += f" | alembic: {a[:150]} | mig: {m[:150]}"
        ratio = (
            f"{times['mig'][phase] / times['alembic'][phase]:.2f}"
            if phase in times["mig"] and phase in times["alembic"]
            else "-"
        )
        report.append(f"| {name} | {target} | {phase} | {verdict} | {ratio} |")


def compare_answers(
    name: str, target: str, folders: dict[str, Path], work: Path, report: list[str]
) -> None:
    """The ``compat-<label>.txt`` files a run hook left in each tool's folder (what the
    project's own CLI printed: its ``current``, ``heads``, ``history`` ...), compared."""
    labels = sorted({p.stem[len("compat-"):] for f in folders.values() for p in f.glob("compat-*.txt")})
    for label in labels:
        texts = {}
        for tool, folder in folders.items():
            path = folder / f"compat-{label}.txt"
            text = path.read_text() if path.exists() else "(not written)"
            # each tool's own database and folder (a URL in `current`'s answer) named alike
            texts[tool] = text.replace(str(folder), "<folder>").replace(f"compat_{name}_{tool}", f"compat_{name}_<tool>")
        changed = _diff(f"{name}-{target}-{label}", texts["alembic"], texts["mig"], work)
        verdict = "same" if not changed else f"DIFFERS ({changed} lines, {name}-{target}-{label}.diff)"
        report.append(f"| {name} | {target} | {label} | {verdict} | - |")


SQL_NOISE = re.compile(r"^\s*(--.*)?$")


def _statements(script: str) -> list[str]:
    """The script's statements, one per line, without comments and without the version
    table's own statements (mig writes them as plain literal SQL, Alembic through its
    Table: ``RETURNING``, qualified columns; docs/runtime.md)."""
    statements: list[str] = []
    current: list[str] = []
    for line in script.splitlines():
        if SQL_NOISE.match(line) or line.startswith("FAILED:"):  # Alembic's error, on stdout
            continue
        current.append(line.strip())
        if line.rstrip().endswith(";") or line.strip() in ("GO", "/"):
            statement = " ".join(current).rstrip(";").rstrip() + ";"
            current = []
            if "alembic_version" not in statement and "mig_version" not in statement:
                statements.append(statement)
    if current:
        statements.append(" ".join(current))
    return statements


def compare_offline(name: str, project: Project, dialect: str, work: Path, report: list[str]) -> None:
    scripts: dict[str, str] = {}
    errors: dict[str, str] = {}
    for tool in ("alembic", "mig"):
        folder = work / name / f"offline-{dialect}" / tool
        folder.parent.mkdir(parents=True, exist_ok=True)
        location = copy_scripts(project, folder.parent, tool)
        if project.patch is not None:
            project.patch(dialect, location)
        url = project.url_for(dialect, OFFLINE_URLS[dialect])
        ini = write_ini(folder, location, url, tool)
        run = run_tool(tool, ini, ["upgrade", "head", "--sql"], project.environ(dialect, url))
        (folder / "upgrade.sql").write_text(run.stdout)
        (folder / "upgrade.log").write_text(run.stderr)
        # the script as far as it got (a failed run's partial script is compared too)
        scripts[tool] = "\n".join(_statements(run.stdout))
        if not run.ok:
            errors[tool] = _error(run)
    changed = _diff(f"{name}-offline-{dialect}", scripts["alembic"], scripts["mig"], work)
    diff_file = f"{name}-offline-{dialect}.diff"
    verdict = "same" if not changed else f"DIFFERS ({changed} lines, {diff_file})"
    if errors:
        failed = "both fail" if len(errors) == 2 else f"only {' and '.join(errors)} fails"
        verdict = f"{failed}; scripts up to there: {verdict}"
        verdict += "".join(f" | {tool}: {error[:150]}" for tool, error in errors.items())
    report.append(f"| {name} | {dialect} | upgrade --sql | {verdict} | - |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    projects = load_projects()
    parser.add_argument("--projects", default=",".join(projects))
    parser.add_argument("--targets", default="sqlite,postgresql,mysql", help="online databases")
    parser.add_argument("--offline", default=",".join(OFFLINE_URLS), help="offline dialects ('' for none)")
    parser.add_argument("--work", default="/tmp/mig-compat", help="where copies, logs and diffs go")
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    report = ["| project | target | run | mig against Alembic | mig/Alembic time |", "|---|---|---|---|---|"]
    for name in args.projects.split(","):
        project = projects[name]
        for target in [t for t in args.targets.split(",") if t in project.online]:
            compare_online(name, project, target, work, report)
        for dialect in [d for d in args.offline.split(",") if d and d in project.offline]:
            compare_offline(name, project, dialect, work, report)
    print("\n".join(report))
    print(f"\ncopies, logs and diffs: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
