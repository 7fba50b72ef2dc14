"""``comparators.dispatch_for("table")`` sees added tables (``conn_table=None``) and removed
ones (``metadata_table=None``) as well as kept ones, as Alembic's does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.autogenerate import comparators
from mig_core.autogenerate.api import produce_migrations
from mig_core.operations import ops
from mig_core.runtime.migration import MigrationContext
from mig_core.testing import reset_registrations


@pytest.fixture
def seen() -> Iterator[list[tuple[str, bool, bool]]]:
    calls: list[tuple[str, bool, bool]] = []
    reset_registrations()

    @comparators.dispatch_for("table")
    def note_tables(autogen_context: Any, modify_ops: Any, schema: Any, tname: str,
                    conn_table: Any, metadata_table: Any) -> None:
        calls.append((tname, conn_table is not None, metadata_table is not None))
        if conn_table is None:  # a new table: the comparator adds its own operation
            modify_ops.ops.append(ops.CreateIndexOp(f"ix_{tname}_extra", tname, ["id"]))

    yield calls
    reset_registrations()


def test_table_comparators_see_added_kept_and_removed_tables(
    seen: list[tuple[str, bool, bool]],
) -> None:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("CREATE TABLE gone (id INTEGER PRIMARY KEY, kept_id INTEGER)")
        md = sa.MetaData()
        sa.Table("kept", md, sa.Column("id", sa.Integer, primary_key=True))
        sa.Table("fresh", md, sa.Column("id", sa.Integer, primary_key=True))
        script = produce_migrations(MigrationContext.configure(conn), md)
    engine.dispose()
    assert sorted(seen) == [("fresh", False, True), ("gone", True, False), ("kept", True, True)]
    names = [type(op).__name__ for op in script.upgrade_ops.ops]
    created = names.index("CreateTableOp")
    assert names[created + 1] == "ModifyTableOps"  # the comparator's op follows the create
    added = script.upgrade_ops.ops[created + 1].ops[0]
    assert (added.index_name, added.table_name) == ("ix_fresh_extra", "fresh")
