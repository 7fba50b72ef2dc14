"""Autogenerate with ``render_as_batch=True`` on SQLite: the generated revision's batch blocks
run end to end (upgrade, then downgrade), the rows survive, and the database matches the model
after each."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from batch_support import checksum, clean, rows, runtime_support, shared

from mig_core import command
from mig_core.autogenerate.api import compare_metadata
from mig_core.runtime.migration import MigrationContext

sqlite_url = shared.sqlite_url

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def model(new: bool) -> sa.MetaData:
    md = sa.MetaData(naming_convention=NAMING)
    sa.Table(
        "org", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(10), nullable=False),
    )
    columns: list[Any] = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200) if new else sa.String(50), nullable=not new),
        sa.Column("qty", sa.Integer),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("org.id") if new else None),
    ]
    if new:
        columns += [
            sa.Column("email", sa.String(100), server_default="none", nullable=False),
            sa.UniqueConstraint("name"),
            sa.Index(None, "email"),
        ]
    else:
        columns += [sa.Column("legacy", sa.Text), sa.Index(None, "qty")]
    sa.Table("acct", md, *columns)
    return md


def diffs(engine: sa.Engine, md: sa.MetaData) -> list[Any]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn)
        return list(compare_metadata(ctx, md))


def test_render_as_batch_round_trip_on_sqlite(tmp_path: Path, sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    old, new = model(new=False), model(new=True)
    old.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO org VALUES (1, 'a'), (2, 'b')")
        conn.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
            "INSERT INTO acct (id, name, qty, org_id, legacy) "
            "SELECT i, 'name' || i, i % 7, 1 + i % 2, 'x' FROM n"
        )
    kept = checksum(engine, "acct", "id, name, qty, org_id")
    assert diffs(engine, new)  # there is something to do

    ini = runtime_support.make_project(tmp_path, sqlite_url, [])
    shutil.copy(
        Path(command.__file__).parent / "templates" / "generic" / "script.py.mako",
        tmp_path / "migrations" / "script.py.mako",
    )
    config = runtime_support.config_for(
        ini, configure={"target_metadata": new, "render_as_batch": True}
    )
    command.revision(config, "batch change", autogenerate=True)
    (script,) = (tmp_path / "migrations" / "versions").glob("*.py")
    source = script.read_text()
    assert "with op.batch_alter_table('acct', schema=None) as batch_op:" in source
    assert "batch_op.alter_column('name'" in source and "batch_op.drop_column('legacy')" in source

    command.upgrade(config, "head")
    assert diffs(engine, new) == []
    assert checksum(engine, "acct", "id, name, qty, org_id") == kept
    assert rows(engine, "SELECT DISTINCT email FROM acct") == [("none",)]
    clean(engine)

    command.downgrade(config, "base")
    assert diffs(engine, old) == []
    assert checksum(engine, "acct", "id, name, qty, org_id") == kept
    clean(engine)
    engine.dispose()
