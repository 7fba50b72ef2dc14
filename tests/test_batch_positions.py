"""insert_before / insert_after under recreate="auto": allowed when the batch recreates the
table anyway (an Alembic migration that changes a type and places a new column), an error
naming the column when the dialect runs the batch as ALTER statements."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.operations import Operations
from mig_core.operations.opbase import OperationArgumentError
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext


def _columns(conn: sa.Connection, table: str) -> list[str]:
    return [c["name"] for c in sa.inspect(conn).get_columns(table)]


def test_positions_under_auto_when_sqlite_recreates_anyway() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT, age TEXT)")
        conn.exec_driver_sql("INSERT INTO person VALUES (1, 'ann', '41')")
        op = Operations(MigrationContext.configure(conn, plugin_manager=build_plugin_manager(None)))
        with op.batch_alter_table("person") as batch_op:  # recreate="auto"
            batch_op.alter_column("age", existing_type=sa.Text, type_=sa.Integer)
            batch_op.add_column(sa.Column("email", sa.String(80)), insert_after="name")
        assert _columns(conn, "person") == ["id", "name", "email", "age"]
        assert conn.exec_driver_sql("SELECT id, name, email, age FROM person").all() == [
            (1, "ann", None, 41)
        ]
        with op.batch_alter_table("person") as batch_op:  # the position alone recreates too
            batch_op.add_column(sa.Column("nick", sa.Text), insert_before="id")
        assert _columns(conn, "person") == ["nick", "id", "name", "email", "age"]
    engine.dispose()


def test_positions_under_auto_without_a_recreate_name_the_column() -> None:
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name="postgresql", opts={"as_sql": True, "output_buffer": buf},
        plugin_manager=build_plugin_manager(None),
    )
    op = Operations(ctx)
    with pytest.raises(OperationArgumentError, match=(
        r"batch_alter_table\('person'\): insert_before / insert_after \(column 'email'\) need "
        r"the table recreated, and dialect 'postgresql' runs this batch as ALTER statements"
    )):
        with op.batch_alter_table("person") as batch_op:
            batch_op.alter_column("age", type_=sa.Integer)
            batch_op.add_column(sa.Column("email", sa.String(80)), insert_after="name")
    assert "ALTER" not in buf.getvalue()  # nothing of the batch was written


def test_positions_with_recreate_never_fail_at_the_call() -> None:
    ctx = MigrationContext.configure(
        dialect_name="sqlite", opts={"as_sql": True, "output_buffer": io.StringIO()},
        plugin_manager=build_plugin_manager(None),
    )
    op: Any = Operations(ctx)
    with pytest.raises(OperationArgumentError, match="recreate='never'"):
        with op.batch_alter_table("person", recreate="never") as batch_op:
            batch_op.alter_column("age", insert_before="id")
