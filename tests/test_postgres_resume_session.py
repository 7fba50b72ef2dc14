"""``--resume`` on PostgreSQL of a revision whose ``SET search_path`` (before its
``autocommit_block()``, or in it) is among the statements that took effect: the resumed run's
new connection would create the rest of the revision's objects in the default schema; the SET
is sent again, where the revision sends it, and they land where the failed run put them.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, drop_all_tables, make_project

from mig_core import command
from mig_core.errors import MigrationFailed

SET_BEFORE_THE_BLOCK = (
    "op.execute('SET search_path TO side, public')\n"
    "with op.get_context().autocommit_block():\n"
    "    op.create_index('ix_a', 't', ['id'], postgresql_concurrently=True)\n"
    "op.execute('INSERT INTO audit VALUES (1)')\n"
    "op.create_table('t2', sa.Column('id', sa.Integer, primary_key=True))\n"
)
SET_IN_THE_BLOCK = (
    "with op.get_context().autocommit_block():\n"
    "    op.execute('SET search_path TO side, public')\n"
    "    op.create_index('ix_a', 't', ['id'], postgresql_concurrently=True)\n"
    "op.execute('INSERT INTO audit VALUES (1)')\n"
    "op.create_table('t2', sa.Column('id', sa.Integer, primary_key=True))\n"
)


@pytest.fixture
def engine(postgres_url):
    drop_all_tables(postgres_url)
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    _execute(engine, "DROP SCHEMA IF EXISTS side CASCADE", "CREATE SCHEMA side")
    yield engine
    _execute(engine, "DROP SCHEMA side CASCADE")
    engine.dispose()


def _execute(engine: sa.Engine, *sql: str) -> None:
    with engine.begin() as conn:
        for statement in sql:
            conn.execute(sa.text(statement))


def _schema_of(engine: sa.Engine, table: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = :t "
            "ORDER BY 1"), {"t": table}).scalars())


@pytest.mark.parametrize("upgrade", [SET_BEFORE_THE_BLOCK, SET_IN_THE_BLOCK],
                         ids=["before-the-block", "in-the-block"])
def test_search_path_among_the_skipped_statements_is_set_again(tmp_path, engine, postgres_url,
                                                              upgrade, caplog):
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": upgrade},
    ])
    command.upgrade(config_for(ini), "r1")
    with pytest.raises(MigrationFailed, match="2 statements of it took effect, committed by its "
                       r"autocommit_block\(\): SET search_path TO side, public; CREATE INDEX"):
        command.upgrade(config_for(ini), "head")

    _execute(engine, "CREATE TABLE public.audit (n INTEGER)")  # the cause
    with caplog.at_level("INFO", logger="mig"):
        command.upgrade(config_for(ini), "head", resume=True)
    assert _schema_of(engine, "t2") == ["side"]  # as the failed run's SET placed it
    assert ("--resume: revision r2 (versions/r2_r2.py) upgrade sent again, of the 2 "
            "statements it skipped, 1 statement that only sets the session's state: SET "
            "search_path TO side, public (the new connection lacked it)") in caplog.text
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "r2"
        assert conn.execute(sa.text("SELECT count(*) FROM public.audit")).scalar() == 1


@pytest.mark.parametrize("setting", [
    "SELECT set_config('search_path', 'side, public', false)",
    "select  PG_CATALOG.set_config( 'search_path' , 'side, ' || current_setting('search_path'),"
    " FALSE ) AS path",
])
def test_set_config_among_the_skipped_statements_is_sent_again(tmp_path, engine, postgres_url,
                                                               setting, caplog):
    """``set_config(..., false)`` sets search_path for the session as SET does."""
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1",
         "upgrade": SET_BEFORE_THE_BLOCK.replace("'SET search_path TO side, public'",
                                                 repr(setting))},
    ])
    command.upgrade(config_for(ini), "r1")
    with pytest.raises(MigrationFailed, match="2 statements of it took effect"):
        command.upgrade(config_for(ini), "head")

    _execute(engine, "CREATE TABLE public.audit (n INTEGER)")  # the cause
    with caplog.at_level("INFO", logger="mig"):
        command.upgrade(config_for(ini), "head", resume=True)
    assert _schema_of(engine, "t2") == ["side"]  # as the failed run's set_config placed it
    assert ("of the 2 statements it skipped, 1 statement that only sets the session's state: "
            + " ".join(setting.split())) in caplog.text


def test_the_set_of_a_text_of_several_statements_is_sent_again_alone(tmp_path, engine,
                                                                     postgres_url, caplog):
    """``SET search_path ...; CREATE TABLE ...`` in one ``op.execute()``: its SET is sent again
    on its own (its CREATE TABLE took effect, and would fail with "already exists")."""
    mixed = "SET search_path TO side, public; CREATE TABLE t3 (n INTEGER)"
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1",
         "upgrade": SET_BEFORE_THE_BLOCK.replace("'SET search_path TO side, public'",
                                                 repr(mixed))},
    ])
    command.upgrade(config_for(ini), "r1")
    with pytest.raises(MigrationFailed, match="2 statements of it took effect"):
        command.upgrade(config_for(ini), "head")
    assert _schema_of(engine, "t3") == ["side"]

    _execute(engine, "CREATE TABLE public.audit (n INTEGER)")  # the cause
    with caplog.at_level("INFO", logger="mig"):
        command.upgrade(config_for(ini), "head", resume=True)
    assert _schema_of(engine, "t2") == ["side"]  # as the failed run's SET placed it
    assert _schema_of(engine, "t3") == ["side"]  # not created again
    assert ("of the 2 statements it skipped, 1 statement that only sets the session's state: "
            "SET search_path TO side, public (the new") in caplog.text
