"""A run on a SQLite connection in AUTOCOMMIT (on the engine, or as an execution option), with
transactional DDL left on: the run lock opens every transaction mig begins with ``BEGIN
IMMEDIATE``, so a failed revision rolls back as on an ordinary connection, and what an
``autocommit_block()`` commits of it is recorded, so that ``--resume`` runs the rest (as on an
ordinary connection: tests/test_postgres_autocommit_resume.py). The same through aiosqlite.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, make_project

from mig_core import command
from mig_core.errors import MigrationFailed

TABLES_THEN_A_FAILURE = (
    "op.create_table('t2', sa.Column('id', sa.Integer, primary_key=True))\n"
    "op.create_table('t3', sa.Column('id', sa.Integer, primary_key=True))\n"
    "op.execute('INSERT INTO audit VALUES (1)')\n"
)
A_BLOCK_THEN_A_FAILURE = (
    "op.create_table('t2', sa.Column('id', sa.Integer, primary_key=True))\n"
    "with op.get_context().autocommit_block():\n"
    "    op.create_table('t3', sa.Column('id', sa.Integer, primary_key=True))\n"
    "op.create_table('t4', sa.Column('id', sa.Integer, primary_key=True))\n"
    "op.execute('INSERT INTO audit VALUES (1)')\n"
    "op.create_table('t5', sa.Column('id', sa.Integer, primary_key=True))\n"
)
BLOCK_FAILURE = (
    "2 statements of it took effect, committed by its autocommit_block(): CREATE TABLE t2 "
    "( id INTEGER NOT NULL, PRIMARY KEY (id) ); CREATE TABLE t3 ( id INTEGER NOT NULL, PRIMARY "
    "KEY (id) ); the rest of it is rolled back and the version table still names r1. Once the "
    "cause is fixed, `mig upgrade r2 --resume` runs the rest of it (or repair the schema by "
    "hand and record where it is with `mig stamp`)"
)


def _autocommit_engine(url: str, how: str) -> sa.Engine:
    if how == "ordinary":
        return sa.create_engine(url, poolclass=sa.pool.NullPool)
    if how == "engine":
        return sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _tables(db: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _rows(db: str, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def _history(db: str) -> list[tuple[object, ...]]:
    return _rows(db, "SELECT id, revisions, success, statements, resumed_from FROM mig_history "
                     "ORDER BY id")


def _project(tmp_path, upgrade: str) -> tuple[str, object]:
    db = str(tmp_path / "app.db")
    ini = make_project(tmp_path, f"sqlite:///{db}", [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": upgrade},
    ])
    return db, ini


@pytest.mark.parametrize("per_migration", [False, True])
@pytest.mark.parametrize("how", ["engine", "execution option"])
def test_a_failed_revision_rolls_back_on_an_autocommit_connection(tmp_path, how,
                                                                   per_migration):
    """Each revision's transaction is the run lock's BEGIN IMMEDIATE, also after the first
    commit (transaction_per_migration), where the connection would otherwise commit each
    statement as it runs, uncounted."""
    db, ini = _project(tmp_path, TABLES_THEN_A_FAILURE)
    engine = _autocommit_engine(f"sqlite:///{db}", how)
    config = config_for(ini)
    config.attributes["configure"] = {"transaction_per_migration": per_migration}
    with engine.connect() as conn, pytest.raises(MigrationFailed) as info:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    engine.dispose()
    held = "r1" if per_migration else "base"
    assert str(info.value).endswith(f"; rolled back, the database is still at {held}")
    assert not {"t2", "t3"} & _tables(db)


def _run(engine: sa.Engine, ini: object, resume: bool = False) -> None:
    with engine.connect() as conn:
        command.upgrade(config_for(ini, connection=conn), "head", resume=resume)


def _run_async(url: str, ini: object, resume: bool = False) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    async def main() -> None:
        engine = create_async_engine(url, poolclass=sa.pool.NullPool,
                                     isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.run_sync(lambda sync: command.upgrade(
                    config_for(ini, connection=sync), "head", resume=resume))
        finally:
            await engine.dispose()

    asyncio.run(main())


def _runner(db: str, ini: object, how: str) -> tuple[Callable[..., None], sa.Engine | None]:
    if how == "aiosqlite":
        pytest.importorskip("aiosqlite")
        return (lambda resume=False: _run_async(f"sqlite+aiosqlite:///{db}", ini, resume)), None
    engine = _autocommit_engine(f"sqlite:///{db}", how)
    return (lambda resume=False: _run(engine, ini, resume)), engine


@pytest.mark.parametrize("how", ["engine", "execution option", "aiosqlite", "ordinary"])
def test_what_an_autocommit_block_commits_on_an_autocommit_connection_resumes(tmp_path, how):
    """The block's commit makes t2 take effect, t3 does in the block; t4 waits and rolls back.
    Resumed while the cause is still there, the block comes among the statements skipped: the
    new failure's row keeps both (also on an ordinary connection)."""
    db, ini = _project(tmp_path, A_BLOCK_THEN_A_FAILURE)
    run, engine = _runner(db, ini, how)
    with pytest.raises(MigrationFailed) as info:
        run()
    assert str(info.value).endswith(BLOCK_FAILURE)
    assert {"t2", "t3"} <= _tables(db) and "t4" not in _tables(db)  # t4 was rolled back
    failed = _history(db)[-1]
    assert failed[1:4] == ("r2", 0, 2)

    with pytest.raises(MigrationFailed, match="audit"):
        run(resume=True)  # the cause is still there: the count still holds
    again = _history(db)[-1]
    assert again[1:] == ("r2", 0, 2, failed[0])
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE audit (n INTEGER)")  # the cause
    run(resume=True)
    if engine is not None:
        engine.dispose()
    assert {"t2", "t3", "t4", "t5"} <= _tables(db)
    assert _rows(db, "SELECT version_num FROM mig_version") == [("r2",)]
    assert _rows(db, "SELECT count(*) FROM audit") == [(1,)]
    assert _history(db)[-1][1:] == ("r2", 1, 5, again[0])


def test_an_autocommit_block_leaves_the_connection_in_autocommit(tmp_path):
    """The block puts back the connection's own isolation level (set on the engine, so not
    among its execution options), not SQLite's default."""
    db, ini = _project(tmp_path, "with op.get_context().autocommit_block():\n"
                                 "    op.execute('VACUUM')\n")
    engine = _autocommit_engine(f"sqlite:///{db}", "engine")
    with engine.connect() as conn:
        command.upgrade(config_for(ini, connection=conn), "head")
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        conn.rollback()  # nothing to roll back: the INSERT committed as it ran
    engine.dispose()
    assert _rows(db, "SELECT id FROM t") == [(1,)]
