"""Tables that refer to each other, created or dropped in one revision: the foreign key that
refers forward is added after both tables exist (dropped before them), so the upgrade and the
downgrade run on PostgreSQL and MariaDB (the inline one named a missing table); on SQLite, which
accepts that, it stays inline."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.autogen_helpers import diffs, migrate, reset, run_code


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    url = request.getfixturevalue(f"{request.param}_url")
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    reset(eng)
    yield eng
    reset(eng)
    eng.dispose()


def model(*, use_alter: bool) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("org", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("owner_id", sa.Integer,
                       sa.ForeignKey("person.id", name="fk_org_owner", use_alter=use_alter)))
    sa.Table("person", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("org_id", sa.Integer, sa.ForeignKey("org.id", name="fk_person_org")),
             sa.Column("boss_id", sa.Integer, sa.ForeignKey("person.id", name="fk_boss")))
    return md


@pytest.mark.parametrize("use_alter", [True, False])
def test_mutually_referring_tables_are_created_and_dropped(engine, use_alter):
    md = model(use_alter=use_alter)
    up, down = migrate(engine, md)
    inline = engine.dialect.name == "sqlite"
    assert ("op.create_foreign_key('fk_org_owner'" in up) is not inline
    assert diffs(engine, md) == []
    # the tables leave the model: dropped, then re-created by that revision's downgrade
    drop_up, drop_down = migrate(engine, sa.MetaData())
    assert ("op.drop_constraint(op.f('fk_org_owner')" in drop_up) is not inline
    assert sa.inspect(engine).get_table_names() == []
    run_code(engine, drop_down)
    assert diffs(engine, md) == []
    run_code(engine, down)
    assert sa.inspect(engine).get_table_names() == []


def test_a_cycle_of_new_tables_gives_no_sort_warning():
    """SQLAlchemy's "Cannot correctly sort tables ... Foreign key constraints involving these
    tables will not be considered" is not true of autogenerate, which orders the cycle's tables
    and adds the forward key after them: no such warning reaches the user (Alembic gives none)."""
    eng = sa.create_engine("sqlite://")
    with warnings.catch_warnings():
        warnings.simplefilter("error", sa.exc.SAWarning)
        up, _ = migrate(eng, model(use_alter=False))
    assert "op.create_table('org'" in up and "op.create_table('person'" in up


def test_the_log_names_what_check_lists(tmp_path, postgres_url):
    """The INFO lines ``Detected ...`` are ``mig check``'s lines, the forward key of tables
    referring to each other (added after them on PostgreSQL) included."""
    import subprocess
    import sys

    from tests.runtime_support import init_project

    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    reset(eng)
    eng.dispose()
    init_project(tmp_path)
    env = tmp_path / "migrations" / "env.py"
    env.write_text(env.read_text().replace("target_metadata = None", (
        "target_metadata = sa.MetaData()\n"
        "sa.Table('org', target_metadata, sa.Column('id', sa.Integer, primary_key=True),\n"
        "         sa.Column('owner_id', sa.ForeignKey('person.id')))\n"
        "sa.Table('person', target_metadata, sa.Column('id', sa.Integer, primary_key=True),\n"
        "         sa.Column('org_id', sa.ForeignKey('org.id')))")))
    ini = tmp_path / "mig.ini"
    ini.write_text(re.sub(r"(?m)^sqlalchemy.url = .*$", f"sqlalchemy.url = {postgres_url}",
                          ini.read_text()))
    done = subprocess.run([sys.executable, "-m", "mig_core", "check"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    listed = done.stdout.splitlines()[1:]
    logged = [line for line in done.stderr.splitlines() if "[mig.autogenerate]" in line]
    assert [f"INFO  [mig.autogenerate] Detected {line.strip()}" for line in listed] == logged
    assert listed[-1] == "  add_fk (unnamed) on org (owner_id) -> person"
