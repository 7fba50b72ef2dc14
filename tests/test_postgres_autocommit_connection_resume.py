"""A run on a PostgreSQL connection in AUTOCOMMIT: each statement commits as it returns, so a
failed revision is left partly applied. mig records what of it took effect, as where DDL
commits by itself, and ``--resume`` (on such a connection or on an ordinary one) runs the rest.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, make_project

from mig_core import command
from mig_core.errors import MigrationFailed

TWO_THEN_A_FAILURE = (
    "op.create_table('t2', sa.Column('id', sa.Integer, primary_key=True))\n"
    "op.add_column('t', sa.Column('a', sa.Integer))\n"
    "op.execute('INSERT INTO audit VALUES (1)')\n"
    "op.add_column('t', sa.Column('b', sa.Integer))\n"
)


@pytest.fixture
def engine(postgres_engine):
    return postgres_engine


def _history(engine: sa.Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT id, revisions, success, statements, resumed_from FROM mig_history "
            "ORDER BY id"))]


@pytest.mark.parametrize("resumed_in_autocommit", [True, False])
def test_a_revision_half_applied_in_autocommit_resumes(tmp_path, engine, postgres_url,
                                                        resumed_in_autocommit):
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": TWO_THEN_A_FAILURE},
    ])
    auto = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool,
                            isolation_level="AUTOCOMMIT")
    with auto.connect() as conn, pytest.raises(MigrationFailed) as info:
        command.upgrade(config_for(ini, connection=conn), "head")
    assert str(info.value).endswith(
        "2 statements of it took effect (the connection's isolation level is AUTOCOMMIT, so "
        "each statement commits as it runs) and the version table still names r1. Once the "
        "cause is fixed, "
        "`mig upgrade r2 --resume` runs the rest of it (or repair the schema by hand and record "
        "where it is with `mig stamp`)")
    failed = _history(engine)[-1]
    assert failed[1:4] == ("r2", False, 2)

    def resume() -> None:
        if resumed_in_autocommit:
            with auto.connect() as conn:
                command.upgrade(config_for(ini, connection=conn), "head", resume=True)
        else:
            command.upgrade(config_for(ini), "head", resume=True)

    with pytest.raises(MigrationFailed, match="audit"):
        resume()  # the cause is still there: the count still holds
    again = _history(engine)[-1]
    assert again[1:] == ("r2", False, 2, failed[0])
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE audit (n INTEGER)"))  # the cause
    resume()
    auto.dispose()
    assert [c["name"] for c in sa.inspect(engine).get_columns("t")] == ["id", "a", "b"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "r2"
        assert conn.execute(sa.text("SELECT count(*) FROM audit")).scalar() == 1
    assert _history(engine)[-1][1:] == ("r2", True, 4, again[0])


def test_an_autocommit_block_leaves_the_connection_in_autocommit(tmp_path, engine, postgres_url):
    """After the block the connection is in AUTOCOMMIT again (set on the engine, it is not among
    its execution options), so t4 too took effect as it ran, and the message says why."""
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": (
            "op.create_table('t2', sa.Column('id', sa.Integer, primary_key=True))\n"
            "with op.get_context().autocommit_block():\n"
            "    op.create_table('t3', sa.Column('id', sa.Integer, primary_key=True))\n"
            "op.create_table('t4', sa.Column('id', sa.Integer, primary_key=True))\n"
            "op.execute('INSERT INTO audit VALUES (1)')\n")},
    ])
    auto = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool,
                            isolation_level="AUTOCOMMIT")
    with auto.connect() as conn:
        with pytest.raises(MigrationFailed) as info:
            command.upgrade(config_for(ini, connection=conn), "head")
        assert conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    auto.dispose()
    assert ("3 statements of it took effect (the connection's isolation level is AUTOCOMMIT, "
            "so each statement commits as it runs)") in str(info.value)
    assert _history(engine)[-1][1:4] == ("r2", False, 3)
