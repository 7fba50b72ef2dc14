"""GeoAlchemy2's Alembic helpers (``geoalchemy2.alembic_helpers``: its geospatial operations,
``writer``, ``include_object``, ``render_item``) in an env.py, with mig (through
mig-as-alembic) and with Alembic, offline: ``upgrade head --sql`` and ``downgrade g1:base
--sql`` on PostgreSQL, ``upgrade head --sql`` on SQLite; compared: exit statuses and scripts
(the version table's statements and the base revision's name aside). Offline only: this machine
has neither PostGIS nor SpatiaLite.

    bench/.venv-compat-pa/bin/python bench/compat/geoalchemy2_run.py \\
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
from alembic import context
from geoalchemy2 import alembic_helpers

context.configure(
    url=context.config.get_main_option("sqlalchemy.url"),
    literal_binds=True,
    include_object=alembic_helpers.include_object,
    process_revision_directives=alembic_helpers.writer,
    render_item=alembic_helpers.render_item,
)
with context.begin_transaction():
    context.run_migrations()
'''
REVISION = '''\
"""places"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "g1"
down_revision = None


def upgrade():
    op.create_geospatial_table(
        "place",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True)),
    )
    op.add_geospatial_column(
        "place", sa.Column("area", Geometry("POLYGON", srid=4326, spatial_index=False)))
    op.create_geospatial_index("idx_place_area", "place", ["area"], unique=False,
                               postgresql_using="gist", postgresql_ops={})


def downgrade():
    op.drop_geospatial_index("idx_place_area", table_name="place", column_name="area",
                             postgresql_using="gist")
    op.drop_geospatial_column("place", "area")
    op.drop_geospatial_table("place")
'''
RUNS = [("postgresql", ["upgrade", "head", "--sql"]),
        ("postgresql", ["downgrade", "g1:base", "--sql"]),
        ("sqlite", ["upgrade", "head", "--sql"])]
URLS = {"postgresql": "postgresql+psycopg2://", "sqlite": "sqlite:///unused.db"}


def project(root: Path, url: str) -> None:
    (root / "migrations" / "versions").mkdir(parents=True, exist_ok=True)
    (root / "alembic.ini").write_text(
        f"[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = {url}\n")
    (root / "migrations" / "env.py").write_text(ENV_PY)
    (root / "migrations" / "script.py.mako").write_text("")
    (root / "migrations" / "versions" / "g1_places.py").write_text(REVISION)


def script_of(text: str) -> str:
    """The statements, the version table's and the transaction framing left out."""
    text = re.sub(r"CREATE TABLE (alembic|mig)_version .*?\);", "", text, flags=re.S)
    text = text.replace("-> base", "-> ").replace("base -> ", " -> ")
    lines = [line for line in text.splitlines() if line.strip() and "_version" not in line
             and line.strip() not in ("BEGIN;", "COMMIT;")]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alembic", required=True, metavar="PYTHON")
    args = parser.parse_args()
    clis = {"mig": Path(sys.executable).parent / "mig",
            "alembic": Path(os.path.abspath(args.alembic)).parent / "alembic"}
    rows = []
    with tempfile.TemporaryDirectory(prefix="mig-geo-") as tmp:
        for dialect, command in RUNS:
            seen = {}
            for tool, cli in clis.items():
                root = Path(tmp) / f"{tool}-{dialect}"
                project(root, URLS[dialect])
                done = subprocess.run([str(cli), "-c", "alembic.ini", *command], cwd=root,
                                      capture_output=True, text=True)
                seen[tool] = (done.returncode, script_of(done.stdout))
            same = seen["mig"] == seen["alembic"]
            rows.append((f"{dialect}: {' '.join(command)}",
                         f"{seen['mig'][0]} / {seen['alembic'][0]}",
                         "same" if same else "**DIFFERS**"))
            if not same:
                print(seen)
    print("\n| run | exit status mig / Alembic | script |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    sys.exit(0 if all(row[2] == "same" for row in rows) else 1)


if __name__ == "__main__":
    main()
