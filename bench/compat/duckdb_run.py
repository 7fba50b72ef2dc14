"""A DuckDB project through Alembic's recipe for a dialect it does not know (duckdb_engine's
README: ``class AlembicDuckDBImpl(DefaultImpl): __dialect__ = "duckdb"`` in env.py), with mig
(through mig-as-alembic, env.py unchanged) and with Alembic: ``upgrade head`` over two
revisions, ``downgrade -1``, ``downgrade base``, ``upgrade head --sql``; compared: exit statuses,
the tables and columns DuckDB reports after each step, and the SQL scripts (the version
table's statements aside).

    bench/.venv-compat-pa/bin/python bench/compat/duckdb_run.py \\
        --alembic bench/.venv-compat-pa-alembic/bin/python
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ENV_PY = '''\
import sqlalchemy as sa
from alembic import context
from alembic.ddl.impl import DefaultImpl


class AlembicDuckDBImpl(DefaultImpl):
    """Alembic's recipe for DuckDB (duckdb_engine's README)."""

    __dialect__ = "duckdb"


config = context.config
url = config.get_main_option("sqlalchemy.url")
if context.is_offline_mode():
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
'''
REVISIONS = {
    "r1_items.py": '''\
"""items"""
import sqlalchemy as sa
from alembic import op

revision = "r1"
down_revision = None


def upgrade():
    op.create_table("item", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("name", sa.String(50), nullable=False))



def downgrade():
    op.drop_table("item")
''',
    "r2_note.py": '''\
"""note"""
import sqlalchemy as sa
from alembic import op

revision = "r2"
down_revision = "r1"


def upgrade():
    op.add_column("item", sa.Column("note", sa.String(80), server_default="none"))
    op.create_table("tag", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("label", sa.Text))
    op.create_index("ix_tag_label", "tag", ["label"])  # DuckDB: no ALTER of an indexed table


def downgrade():
    op.drop_index("ix_tag_label", table_name="tag")
    op.drop_table("tag")
    op.drop_column("item", "note")
''',
}
STEPS = [["upgrade", "head"], ["downgrade", "-1"], ["upgrade", "head"], ["downgrade", "base"]]
CATALOG = ("SELECT table_name, column_name, data_type, is_nullable, column_default FROM "
           "information_schema.columns WHERE table_name NOT IN ('alembic_version', "
           "'mig_version') ORDER BY 1, ordinal_position")


def project(root: Path) -> None:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/migrations\n"
        "sqlalchemy.url = duckdb:///%(here)s/app.duckdb\nversion_table = alembic_version\n")
    (root / "migrations" / "env.py").write_text(ENV_PY)
    (root / "migrations" / "script.py.mako").write_text("")
    for name, text in REVISIONS.items():
        (root / "migrations" / "versions" / name).write_text(text)


def catalog(python: str, root: Path) -> str:
    code = ("import duckdb; c = duckdb.connect('app.duckdb'); "
            f"print(c.execute({CATALOG!r}).fetchall()); c.close()")
    return subprocess.run([python, "-c", code], cwd=root, capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alembic", required=True, metavar="PYTHON")
    args = parser.parse_args()
    tools = {"mig": (sys.executable, "mig"),
             "alembic": (os.path.abspath(args.alembic), "alembic")}
    rows = []
    with tempfile.TemporaryDirectory(prefix="mig-duckdb-") as tmp:
        for name in tools:
            project(Path(tmp) / name)
        for step in STEPS:
            seen = {}
            for name, (python, cli) in tools.items():
                root = Path(tmp) / name
                done = subprocess.run([str(Path(python).parent / cli), "-c", "alembic.ini", *step],
                                      cwd=root, capture_output=True, text=True)
                seen[name] = (done.returncode, catalog(python, root))
                if done.returncode:
                    print(f"{name} {' '.join(step)}: {done.stderr[-1500:]}")
            rows.append((" ".join(step), f"{seen['mig'][0]} / {seen['alembic'][0]}",
                         "same" if seen["mig"] == seen["alembic"] else "**DIFFERS**"))
        scripts = {}
        for name, (python, cli) in tools.items():
            done = subprocess.run([str(Path(python).parent / cli), "-c", "alembic.ini",
                                   "upgrade", "head", "--sql"], cwd=Path(tmp) / name,
                                  capture_output=True, text=True)
            text = re.sub(r"CREATE TABLE alembic_version .*?\);", "", done.stdout, flags=re.S)
            lines = [line for line in text.splitlines() if line.strip()
                     and "alembic_version" not in line and not line.startswith("--")]
            scripts[name] = (done.returncode, re.sub(r"\s+", " ", " ".join(lines)))
        rows.append(("upgrade head --sql", f"{scripts['mig'][0]} / {scripts['alembic'][0]}",
                     "same" if scripts["mig"] == scripts["alembic"] else "**DIFFERS**"))
        if scripts["mig"] != scripts["alembic"]:
            print(scripts)
    print("\n| step | exit status mig / Alembic | catalog / script |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    sys.exit(0 if all(row[2] == "same" for row in rows) else 1)


if __name__ == "__main__":
    main()
