"""What Apache Airflow's migration history does (about 125 revisions for SQLite, PostgreSQL and
MySQL, batch mode everywhere), found by running it with mig beside Alembic
(bench/compat/real_projects.py, bench/compat/README.md). Each test is one such pattern, written
out here; nothing of Airflow is used."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import config_for, make_project

from mig_core import command
from mig_core.errors import CommandError, MigWarning
from mig_core.operations import Operations
from mig_core.runtime.migration import MigrationContext


@contextmanager
def operations(url: str, **opts: Any) -> Iterator[tuple[Operations, sa.Connection]]:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            yield Operations(MigrationContext.configure(conn, opts=opts)), conn
    finally:
        engine.dispose()


def test_revision_importing_op_as_a_module(tmp_path: Path, sqlite_url: str) -> None:
    """``import alembic.op as op`` (Airflow's 6a9e7a527a88): renamed, ``import mig_core.op
    as op`` must give the same proxy as ``from mig_core import op``, as must
    ``import mig_core.context``."""
    ini = make_project(
        tmp_path,
        sqlite_url,
        [{"rev": "a", "upgrade": "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))",
          "downgrade": "op.drop_table('t')"}],
    )
    path = tmp_path / "migrations" / "versions" / "a_a.py"
    path.write_text(path.read_text().replace("from mig_core import op", "import mig_core.op as op"))
    command.upgrade(config_for(ini), "head")
    with sa.create_engine(sqlite_url).connect() as conn:
        assert "t" in sa.inspect(conn).get_table_names()
    command.downgrade(config_for(ini), "base")

    import mig_core
    import mig_core.context
    import mig_core.op
    from mig_core.proxies import context, op

    assert mig_core.op is op and importlib.import_module("mig_core.op") is op
    assert mig_core.context is context and importlib.import_module("mig_core.context") is context
    # what the import system (and copy, inspect) asks an inactive proxy is simply not there;
    # an operation is, as in Alembic's module, and only calling it outside a run fails
    assert not hasattr(op, "__spec__")
    with pytest.raises(NameError, match="only available"):
        op.add_column("t", sa.Column("x", sa.Integer))


def test_alter_column_with_a_python_side_default(sqlite_url: str) -> None:
    """``batch_op.alter_column("group", type_=..., default="asset", nullable=False)``: Alembic
    ignores ``default=`` (it lives only in Python); mig refused it as an unknown keyword and
    the revision failed. Now ignored with a warning naming it; the rest of the change runs."""
    with operations(sqlite_url) as (op, conn):
        conn.exec_driver_sql("CREATE TABLE dataset (id INTEGER PRIMARY KEY, \"group\" VARCHAR(10))")
        conn.exec_driver_sql("INSERT INTO dataset VALUES (1, 'asset')")
        with pytest.warns(MigWarning, match=r"default='asset' is a Python-side default"):
            with op.batch_alter_table("dataset") as batch_op:
                batch_op.alter_column(
                    "group", type_=sa.String(20), default="asset", nullable=False
                )
        column = {c["name"]: c for c in sa.inspect(conn).get_columns("dataset")}["group"]
        assert column["nullable"] is False and column["default"] is None
        assert str(column["type"]) == "VARCHAR(20)"
        with pytest.warns(MigWarning, match=r"onupdate="):
            op.alter_column("dataset", "id", onupdate=lambda: 1, existing_type=sa.Integer)
        # a misspelt argument is still an error
        with warnings.catch_warnings(), pytest.raises(TypeError, match="'nulable'"):
            warnings.simplefilter("error")
            op.alter_column("dataset", "group", nulable=True)


def test_batch_drop_constraint_if_exists_by_catching_value_error(sqlite_url: str) -> None:
    """Airflow drops a foreign key that older databases may not have as
    ``try: with op.batch_alter_table(t) as b: b.drop_constraint(name, type_="foreignkey")
    except ValueError: pass``, as Alembic's batch raises ValueError for a constraint (or an
    index) the table lacks. mig raised a CommandError that was no ValueError, and the revision
    failed. The table is left as it was, and the run goes on."""
    with operations(sqlite_url) as (op, conn):
        conn.exec_driver_sql("CREATE TABLE dag (dag_id VARCHAR(250) PRIMARY KEY)")
        conn.exec_driver_sql(
            "CREATE TABLE ref (dag_id VARCHAR(250) NOT NULL, n INTEGER, "
            "CONSTRAINT ref_pkey PRIMARY KEY (dag_id))"
        )
        conn.exec_driver_sql("CREATE INDEX idx_n ON ref (n)")
        conn.exec_driver_sql("INSERT INTO ref VALUES ('a', 1)")
        try:
            with op.batch_alter_table("ref") as batch_op:
                batch_op.drop_constraint("ref_dag_id_fkey", type_="foreignkey")
        except ValueError:
            pass
        with pytest.raises(ValueError, match="no index of that name") as raised:
            with op.batch_alter_table("ref", recreate="always") as batch_op:
                batch_op.drop_index("idx_missing")
        assert isinstance(raised.value, CommandError)
        with op.batch_alter_table("ref") as batch_op:
            batch_op.create_foreign_key("ref_dag_id_fkey", "dag", ["dag_id"], ["dag_id"])
        inspector = sa.inspect(conn)
        assert [fk["name"] for fk in inspector.get_foreign_keys("ref")] == ["ref_dag_id_fkey"]
        assert [ix["name"] for ix in inspector.get_indexes("ref")] == ["idx_n"]
        assert conn.exec_driver_sql("SELECT dag_id, n FROM ref").all() == [("a", 1)]


def test_offline_read_guarded_by_the_results_truth(tmp_path: Path) -> None:
    """Offline, Alembic's ``bind.execute()`` returns None, and Airflow's data migrations guard
    their reads with it: ``result = conn.execute(stmt); if result: rows = result.fetchall()``
    (d59cbbef95eb reads ``.rowcount`` in a loop, 7645189f3479 ``.fetchall()``). mig's offline
    result refused the read even so; it is now false, so the guard skips the read and the
    script goes on. A read that is not guarded still fails, naming the statement."""
    guarded = (
        "conn = op.get_bind()\n"
        "result = conn.execute(sa.text('SELECT id FROM ti WHERE try_id IS NULL'))\n"
        "rows = result.fetchall() if result else []\n"
        "for row in rows:\n"
        "    op.execute('never written')\n"
        "op.execute('UPDATE ti SET n = 1')"
    )
    ini = make_project(
        tmp_path,
        "postgresql://",
        [{"rev": "a", "upgrade": guarded},
         {"rev": "b", "down": "a",
          "upgrade": "op.get_bind().execute(sa.text('SELECT count(*) FROM ti')).scalar()"}],
    )
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        command.upgrade(config_for(ini), "a", sql=True)
    script = out.getvalue()
    assert "SELECT id FROM ti WHERE try_id IS NULL;" in script
    assert "UPDATE ti SET n = 1;" in script and "never written" not in script
    with pytest.raises(CommandError, match=r"\.scalar\(\).*SELECT count\(\*\) FROM ti"):
        with contextlib.redirect_stdout(io.StringIO()):
            command.upgrade(config_for(ini), "head", sql=True)
