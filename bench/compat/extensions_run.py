"""Run autogenerate extensions written for Alembic on PostgreSQL projects with mig and with
Alembic, and compare what each step leaves.

* ``enum-utils``: alembic-postgresql-enum and alembic-utils. A table with an enum column; a
  view and a function registered with alembic-utils' ``register_entities``. Three revisions:
  the table and its enum type; a new enum value plus the view and the function; the view and
  the function changed.
* ``declarative``: sqlalchemy-declarative-extensions (``register_alembic_events``): a schema,
  a table; then a view and a function declared on the model; then both changed.

Each tool generates, upgrades and checks (``check``: nothing left) in its own database; then
both downgrade to base. Compared per step: the generated ``upgrade()`` / ``downgrade()`` bodies
(the tool's name in the marker comments and indentation aside) and the catalog (schemas, enum
types with their values, views, functions, tables). mig's side runs in a venv with the
libraries, mig and mig-as-alembic and no Alembic; Alembic's in its own (bench/compat/README.md).

    bench/.venv-compat-pa/bin/python bench/compat/extensions_run.py \\
        --alembic bench/.venv-compat-pa-alembic/bin/python [--projects enum-utils,declarative]
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

POSTGRES_URL = os.environ.get("MIG_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")

ENUM_UTILS_MODELS = '''\
import enum

import sqlalchemy as sa
from alembic_utils.pg_function import PGFunction
from alembic_utils.pg_view import PGView
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Status(enum.Enum):
{values}


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[Status] = mapped_column(sa.Enum(Status, name="status"))


item_view = PGView(schema="public", signature="item_view", definition="{view}")
to_upper = PGFunction(schema="public", signature="to_upper(some_text text)",
                      definition="returns text as $$ select {function}(some_text) $$ language SQL;")
ENTITIES = {entities}
'''
ENUM_UTILS_ENV = (
    "import alembic_postgresql_enum  # noqa: F401\n"
    "from alembic_utils.replaceable_entity import register_entities\n"
    "import models\n"
    "register_entities(models.ENTITIES)\n"
    "target_metadata = models.Base.metadata"
)


def _enum_utils(values: str, view: str, function: str, entities: str) -> str:
    members = "\n".join(f'    {v} = "{v}"' for v in values)
    return ENUM_UTILS_MODELS.format(values=members, view=view, function=function,
                                    entities=entities)


DECLARATIVE_MODELS = '''\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy_declarative_extensions import Schemas, View, Views, declarative_database
from sqlalchemy_declarative_extensions.dialects.postgresql import Function


@declarative_database
class Base(DeclarativeBase):
    schemas = Schemas().are("app")
    views = Views().are({views})
    functions = [{functions}]


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
'''
DECLARATIVE_ENV = (
    "from sqlalchemy_declarative_extensions import register_alembic_events\n"
    "register_alembic_events(schemas=True, views=True, functions=True, roles=False, "
    "grants=False, rows=False)\n"
    "import models\n"
    "target_metadata = models.Base.metadata"
)


def _declarative(view: str | None, function: str | None) -> str:
    views = f'View("active_items", "{view}")' if view else ""
    functions = (f'Function("add_one", "{function}", returns="integer", '
                 'parameters=["i integer"], language="sql")' if function else "")
    return DECLARATIVE_MODELS.format(views=views, functions=functions)


#: project -> (env.py lines replacing ``target_metadata = None``, [(message, models.py)])
PROJECTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "enum-utils": (ENUM_UTILS_ENV, [
        ("table and enum", _enum_utils("ab", "select id from item", "upper", "[]")),
        ("value view function", _enum_utils("abc", "select id from item", "upper",
                                            "[item_view, to_upper]")),
        ("entities changed", _enum_utils("abc", "select id, status from item", "lower",
                                         "[item_view, to_upper]")),
    ]),
    "declarative": (DECLARATIVE_ENV, [
        ("schema and table", _declarative(None, None)),
        ("view and function", _declarative("select id from item where id > 0", "select $1 + 1")),
        ("both changed", _declarative("select id from item where id > 1", "select $1 + 2")),
    ]),
}
CATALOG = {
    "schemas": "SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname "
               "<> 'information_schema' ORDER BY 1",
    "enums": "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_type t "
             "JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1",
    "views": "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1",
    "functions": "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n "
                 "ON n.oid = p.pronamespace WHERE n.nspname IN ('public', 'app') ORDER BY 1",
    "tables": "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN "
              "('alembic_version', 'mig_version', 'mig_history') ORDER BY 1",
}


class Tool:
    """One tool's copy of the project and its database."""

    def __init__(self, name: str, python: str, root: Path, admin: sa.Engine) -> None:
        self.name, self.python, self.root = name, python, root
        self.database = f"mig_ext_{name}_{root.parent.name.replace('-', '_')}_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.database}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{self.database}"'))
        self.url = sa.engine.make_url(POSTGRES_URL).set(database=self.database)
        cli = Path(python).parent / ("mig" if name == "mig" else "alembic")
        self.cli = str(cli)
        self.ini = "mig.ini" if name == "mig" else "alembic.ini"

    def run(self, *args: str) -> str:
        result = subprocess.run([self.cli, "-c", self.ini, *args], cwd=self.root,
                                capture_output=True, text=True, timeout=300)
        if result.returncode:
            raise SystemExit(f"{self.name} {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout + result.stderr

    def setup(self, env_hook: str) -> None:
        self.root.mkdir(parents=True)
        out = subprocess.run([self.cli, "init", "migrations"], cwd=self.root,
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        ini = (self.root / self.ini).read_text()
        ini = re.sub(r"^sqlalchemy\.url = .*$", "sqlalchemy.url = "
                     + self.url.render_as_string(hide_password=False), ini, flags=re.M)
        (self.root / self.ini).write_text(ini)
        env_py = self.root / "migrations" / "env.py"
        env_py.write_text(env_py.read_text().replace("target_metadata = None", env_hook, 1))

    def catalog(self) -> dict[str, list[tuple]]:
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            found = {key: [tuple(r) for r in conn.exec_driver_sql(sql)]
                     for key, sql in CATALOG.items()}
        engine.dispose()
        return found

    def drop(self, admin: sa.Engine) -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))


def body(path: Path) -> str:
    """upgrade() and downgrade() of a revision file, the tool's marker names and indentation
    left out."""
    text = path.read_text()
    text = text[text.index("def upgrade"):]
    text = re.sub(r"# ### (commands auto generated by|end) \w+", r"# ### \1 TOOL", text)
    return "\n".join(line.strip() for line in text.splitlines())


def run_project(name: str, alembic: str, admin: sa.Engine, tmp: Path) -> list[tuple[str, str]]:
    env_hook, steps = PROJECTS[name]
    rows: list[tuple[str, str]] = []
    tools = [Tool("mig", sys.executable, tmp / name / "mig", admin),
             Tool("alembic", alembic, tmp / name / "alembic", admin)]
    try:
        for tool in tools:
            tool.setup(env_hook)
        for number, (message, models) in enumerate(steps, 1):
            bodies, catalogs, checks = [], [], []
            for tool in tools:
                (tool.root / "models.py").write_text(models)
                tool.run("revision", "--autogenerate", "-m", message, "--rev-id", f"r{number}")
                bodies.append(body(next((tool.root / "migrations/versions").glob(
                    f"r{number}_*.py"))))
                tool.run("upgrade", "head")
                catalogs.append(tool.catalog())
                checks.append("No new upgrade operations detected" in tool.run("check"))
            same = bodies[0] == bodies[1] and catalogs[0] == catalogs[1] and all(checks)
            rows.append((f"{name} r{number} {message}: revision, upgrade, check",
                         "same" if same else "**DIFFERS**"))
            if not same:
                print("\n".join(difflib.unified_diff(
                    bodies[1].splitlines(), bodies[0].splitlines(), f"alembic r{number}",
                    f"mig r{number}", lineterm="")))
                print(catalogs, checks)
        for tool in tools:
            tool.run("downgrade", "base")
        after = [tool.catalog() for tool in tools]
        empty = after[0]["views"] == [] and after[0]["enums"] == []
        rows.append((f"{name} downgrade base",
                     "same" if after[0] == after[1] and empty else "**DIFFERS**"))
    finally:
        for tool in tools:
            tool.drop(admin)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alembic", required=True, metavar="PYTHON",
                        help="a venv's python with Alembic 1.20.1 and the libraries")
    parser.add_argument("--projects", default=",".join(PROJECTS))
    args = parser.parse_args()
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    rows: list[tuple[str, str]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="mig-ext-") as tmp:
            for name in args.projects.split(","):
                rows.extend(run_project(name, os.path.abspath(args.alembic), admin, Path(tmp)))
    finally:
        admin.dispose()
    print("\n| step | mig beside Alembic |\n|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    sys.exit(0 if all(row[1] == "same" for row in rows) else 1)


if __name__ == "__main__":
    main()
