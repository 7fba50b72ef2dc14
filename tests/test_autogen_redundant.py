"""Generated files leave out a ``drop_index`` whose table is dropped later in the same body:
``drop_table`` takes the table's indexes, and MySQL refuses DROP INDEX of the index a
foreign key needs. ``compare_metadata`` and ``mig check`` still report every removed index."""

from __future__ import annotations

import sqlalchemy as sa

from mig_core.autogenerate.api import compare_metadata, produce_migrations, render_python_code
from mig_core.autogenerate.redundant import without_index_drops_before_table_drops
from mig_core.operations.constraint_ops import CreateIndexOp, DropIndexOp
from mig_core.operations.containers import ModifyTableOps, UpgradeOps
from mig_core.operations.table_ops import CreateTableOp, DropTableOp
from mig_core.runtime.migration import MigrationContext


def _database() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("p", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("c", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("pid", sa.ForeignKey("p.id"), index=True))
    return md


def test_removed_and_new_tables_are_dropped_without_their_indexes(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        _database().create_all(conn)
        ctx = MigrationContext.configure(connection=conn)
        gone = produce_migrations(ctx, sa.MetaData())  # both tables removed from the model
        diffs = compare_metadata(ctx, sa.MetaData())
    up = render_python_code(gone.upgrade_ops)
    down = render_python_code(gone.downgrade_ops)
    assert "drop_index" not in up and "op.drop_table('c')" in up
    assert "op.create_index(op.f('ix_c_pid'), 'c', ['pid'], unique=False)" in down
    assert ("remove_index", "ix_c_pid") in {(d[0], d[1].name) for d in diffs}

    with sa.create_engine("sqlite://").begin() as conn:  # an empty database: new tables
        new = produce_migrations(MigrationContext.configure(connection=conn), _database())
    assert "op.create_index(op.f('ix_c_pid')" in render_python_code(new.upgrade_ops)
    down = render_python_code(new.downgrade_ops)
    assert "drop_index" not in down and "op.drop_table('c')" in down


def test_only_drops_before_the_table_drop_go() -> None:
    index_of_old = DropIndexOp("ix_old", table_name="t")
    index_of_new = DropIndexOp("ix_new", table_name="t")
    other = DropIndexOp("ix_other", table_name="u")
    in_group = ModifyTableOps("t", [DropIndexOp("ix_grouped", table_name="t"), other])
    new_table = CreateTableOp("t", [sa.Column("id", sa.Integer, primary_key=True)])
    ops = UpgradeOps([index_of_old, in_group, DropTableOp("t"), new_table,
                      CreateIndexOp("ix_new", "t", ["id"]), index_of_new])
    pruned = without_index_drops_before_table_drops(ops)
    assert [type(o).__name__ for o in pruned.ops] == [
        "ModifyTableOps", "DropTableOp", "CreateTableOp", "CreateIndexOp", "DropIndexOp",
    ]
    assert pruned.ops[0].ops == [other]  # the group keeps what is not the dropped table's
    assert pruned.ops[-1] is index_of_new  # after the drop: another table of that name
    assert len(ops.ops) == 6 and len(in_group.ops) == 2  # the input is unchanged


def test_schemas_are_told_apart() -> None:
    ops = UpgradeOps([DropIndexOp("ix", table_name="t", schema="a"), DropTableOp("t", schema="b")])
    assert without_index_drops_before_table_drops(ops).ops == ops.ops
