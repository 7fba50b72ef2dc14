"""What MLflow's migration history does, found by running it with mig beside Alembic
(compat/real_projects.py, compat/README.md). Each test encodes one such pattern."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

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


def _sqlite_table_sql(conn: sa.Connection, table: str) -> str:
    return str(conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar())


def test_sqlite_batch_sees_a_unique_that_repeats_the_primary_key(sqlite_url: str) -> None:
    """``UNIQUE (name)`` beside ``PRIMARY KEY (name)``: SQLite makes no index for it, so mig's
    batch did not see it; MLflow drops it through the batch's naming convention before moving
    the primary key ('no constraint of that name'). Kept when the batch does not drop it."""
    convention = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
    with operations(sqlite_url) as (op, conn):
        conn.exec_driver_sql(
            "CREATE TABLE registered_models (name VARCHAR(256) NOT NULL, d VARCHAR(10), "
            "CONSTRAINT registered_model_pk PRIMARY KEY (name), UNIQUE (name))"
        )
        conn.exec_driver_sql(
            "CREATE TABLE kept (name VARCHAR(10) NOT NULL, other INT, "
            "PRIMARY KEY (name), UNIQUE (name))"
        )
        with op.batch_alter_table(
            "registered_models", recreate="auto", naming_convention=convention
        ) as batch_op:
            batch_op.drop_constraint("uq_registered_models_name", type_="unique")
            batch_op.add_column(sa.Column("workspace", sa.String(63), nullable=False,
                                          server_default=sa.text("'default'")))
            batch_op.drop_constraint("registered_model_pk", type_="primary")
            batch_op.create_primary_key("registered_model_pk", ["workspace", "name"])
        with op.batch_alter_table("kept", recreate="always") as batch_op:
            batch_op.drop_column("other")
        inspector = sa.inspect(conn)
        assert inspector.get_unique_constraints("registered_models") == []
        assert inspector.get_pk_constraint("registered_models")["constrained_columns"] == [
            "workspace", "name"
        ]
        assert "UNIQUE" not in _sqlite_table_sql(conn, "registered_models")
        assert [u["column_names"] for u in inspector.get_unique_constraints("kept")] == [["name"]]
