"""Operation objects on their own: attributes, reverse(), to_diff_tuple(), containers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mig_core.errors import CommandError
from mig_core.operations import ops


def test_constructor_arguments_stay_plain_attributes() -> None:
    op = ops.AlterColumnOp(
        "t", "c", schema="s", existing_type=sa.Integer(), modify_type=sa.String(5),
        modify_nullable=False, existing_nullable=True, postgresql_using="c::text",
    )
    assert (op.table_name, op.column_name, op.schema) == ("t", "c", "s")
    assert op.modify_nullable is False and op.existing_nullable is True
    assert op.modify_server_default is False and op.modify_comment is False
    assert op.kw == {"postgresql_using": "c::text"}
    fk = ops.CreateForeignKeyOp("fk", "a", "b", ["x"], ["id"], ondelete="CASCADE",
                                source_schema="s1")
    assert (fk.table_name, fk.schema, fk.kw["ondelete"]) == ("a", "s1", "CASCADE")


def test_reverse_pairs() -> None:
    col = sa.Column("email", sa.String(10))
    add = ops.AddColumnOp("t", col, schema="s")
    drop = add.reverse()
    assert isinstance(drop, ops.DropColumnOp)
    assert (drop.table_name, drop.column_name, drop.schema) == ("t", "email", "s")
    assert drop.reverse() is add

    create = ops.CreateIndexOp("ix", "t", ["a"], unique=True, postgresql_where="a > 0")
    assert create.reverse().reverse() is create
    assert create.reverse().kw == {"postgresql_where": "a > 0"}

    rename = ops.RenameTableOp("a", "b", schema="s").reverse()
    assert (rename.table_name, rename.new_table_name, rename.schema) == ("b", "a", "s")

    comment = ops.CreateTableCommentOp("t", "new", existing_comment="old").reverse()
    assert isinstance(comment, ops.CreateTableCommentOp)
    assert (comment.comment, comment.existing_comment) == ("old", "new")
    first = ops.CreateTableCommentOp("t", "new").reverse()
    assert isinstance(first, ops.DropTableCommentOp) and first.existing_comment == "new"
    assert isinstance(first.reverse(), ops.CreateTableCommentOp)

    for cls, kind in [
        (ops.CreateUniqueConstraintOp, "unique"),
        (ops.CreatePrimaryKeyOp, "primary"),
    ]:
        made = cls("n", "t", ["a"])
        undone = made.reverse()
        assert isinstance(undone, ops.DropConstraintOp)
        assert (undone.constraint_name, undone.constraint_type) == ("n", kind)
        assert undone.reverse() is made


def test_alter_column_reverse_swaps_every_aspect() -> None:
    op = ops.AlterColumnOp(
        "t", "c",
        existing_type=sa.Integer(), modify_type=sa.String(5),
        existing_nullable=True, modify_nullable=False,
        existing_server_default="1", modify_server_default=None,
        existing_comment=None, modify_comment="hi",
        modify_name="d",
        autoincrement=True, existing_autoincrement=False,
    )
    back = op.reverse()
    assert back.column_name == "d" and back.modify_name == "c"
    assert isinstance(back.modify_type, sa.Integer) and isinstance(back.existing_type, sa.String)
    assert (back.modify_nullable, back.existing_nullable) == (True, False)
    assert (back.modify_server_default, back.existing_server_default) == ("1", None)
    assert (back.modify_comment, back.existing_comment) == (None, "hi")
    assert back.kw == {"autoincrement": False, "existing_autoincrement": True}
    again = back.reverse()
    assert (again.column_name, again.modify_name, again.modify_nullable) == ("c", "d", False)


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (ops.DropTableOp("t"), r"drop_table\('t'\) is not reversible: the table's definition"),
        (ops.DropColumnOp("t", "c"), r"drop_column\('t', 'c'\) is not reversible"),
        (ops.DropIndexOp("ix"), r"drop_index\('ix'\) is not reversible"),
        (ops.DropConstraintOp("n", "t"), r"drop_constraint\('n', 't'\) is not reversible"),
        (ops.DropTableCommentOp("t"), r"without existing_comment"),
        (ops.AlterColumnOp("t", "c", modify_type=sa.Integer()), r"pass existing_type"),
        (ops.AlterColumnOp("t", "c", modify_nullable=True, modify_server_default="x"),
         r"pass existing_nullable, existing_server_default"),
        (ops.ExecuteSQLOp("DELETE FROM t"), r"^execute is not reversible"),
        (ops.BulkInsertOp(sa.table("t"), []), r"bulk_insert\('t'\) is not reversible"),
    ],
)
def test_irreversible_operations_say_so(op: ops.MigrateOperation, message: str) -> None:
    with pytest.raises(ops.IrreversibleOperationError, match=message) as info:
        op.reverse()
    assert isinstance(info.value, CommandError)


def test_from_model_objects_are_reversible() -> None:
    meta = sa.MetaData()
    org = sa.Table("org", meta, sa.Column("id", sa.Integer, primary_key=True))
    acct = sa.Table(
        "acct", meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey(org.c.id, name="fk_org")),
        sa.Column("code", sa.String(5)),
        sa.UniqueConstraint("code", name="uq_code"),
        sa.Index("ix_code", "code"),
    )
    drop_table = ops.DropTableOp.from_table(acct)
    assert drop_table.reverse().to_table() is acct
    drop_fk = ops.DropConstraintOp.from_constraint(next(iter(acct.foreign_key_constraints)))
    add_fk = drop_fk.reverse()
    assert isinstance(add_fk, ops.CreateForeignKeyOp)
    assert (add_fk.referent_table, add_fk.local_cols, add_fk.remote_cols) == (
        "org", ["org_id"], ["id"],
    )
    drop_ix = ops.DropIndexOp.from_index(next(iter(acct.indexes)))
    assert drop_ix.reverse().columns == ["code"]
    drop_col = ops.DropColumnOp.from_column_and_tablename(None, "acct", acct.c.code)
    assert drop_col.reverse().column is acct.c.code


def test_diff_tuples() -> None:
    col = sa.Column("c", sa.Integer)
    assert ops.AddColumnOp("t", col, schema="s").to_diff_tuple() == ("add_column", "s", "t", col)
    kind, table = ops.CreateTableOp("t", [sa.Column("a", sa.Integer)]).to_diff_tuple()
    assert kind == "add_table" and list(table.c.keys()) == ["a"]
    kind, index = ops.CreateIndexOp("ix", "t", ["a"]).to_diff_tuple()
    assert kind == "add_index" and index.name == "ix"
    kind, fk = ops.CreateForeignKeyOp("fk", "a", "b", ["x"], ["id"]).to_diff_tuple()
    assert kind == "add_fk" and isinstance(fk, sa.ForeignKeyConstraint) and fk.name == "fk"
    kind, uq = ops.CreateUniqueConstraintOp("uq", "t", ["a"]).reverse().to_diff_tuple()
    assert kind == "remove_constraint" and isinstance(uq, sa.UniqueConstraint)
    diffs = ops.AlterColumnOp(
        "t", "c", existing_type=sa.Integer(), modify_nullable=False, existing_nullable=True,
        modify_name="d",
    ).to_diff_tuple()
    assert [d[0] for d in diffs] == ["modify_nullable", "modify_name"]
    assert diffs[0][1:4] == (None, "t", "c") and diffs[0][5:] == (True, False)


def test_containers_reverse_and_flatten() -> None:
    create = ops.CreateTableOp("t", [sa.Column("a", sa.Integer)])
    modify = ops.ModifyTableOps(
        "u",
        [ops.AddColumnOp("u", sa.Column("b", sa.Integer)),
         ops.CreateIndexOp("ix_b", "u", ["b"])],
    )
    upgrade = ops.UpgradeOps([create, modify], upgrade_token="engine1_upgrades")
    downgrade = upgrade.reverse()
    assert isinstance(downgrade, ops.DowngradeOps)
    assert downgrade.downgrade_token == "engine1_downgrades"
    first, second = downgrade.ops
    assert isinstance(first, ops.ModifyTableOps) and first.table_name == "u"
    assert [type(o).__name__ for o in first.ops] == ["DropIndexOp", "DropColumnOp"]
    assert isinstance(second, ops.DropTableOp)
    assert [d[0] for d in upgrade.as_diffs()] == ["add_table", "add_column", "add_index"]
    assert not upgrade.is_empty() and ops.UpgradeOps().is_empty()
    target = ops.DowngradeOps()
    assert upgrade.reverse_into(target) is target and len(target.ops) == 2

    script = ops.MigrationScript("abc", upgrade, downgrade, message="m", head="head")
    assert script.upgrade_ops_list == [upgrade] and script.downgrade_ops_list == [downgrade]
    assert script.imports == set()


def test_drop_constraint_rejects_unknown_type() -> None:
    with pytest.raises(ops.OperationArgumentError, match=r"type_ must be one of 'foreignkey'"):
        ops.DropConstraintOp("n", "t", type_="fk")


def test_info_dict_is_per_object() -> None:
    a, b = ops.ExecuteSQLOp("x"), ops.ExecuteSQLOp("y")
    a.info["k"] = 1
    assert b.info == {} and a.info == {"k": 1}


def test_create_table_op_from_a_model_table_keeps_its_primary_key_autoincrement():
    """Invoking CreateTableOp.from_table(t) must not rebuild t (SAWarning, SERIAL lost)."""
    import io
    import warnings

    import sqlalchemy as sa

    from mig_core.operations import Operations
    from mig_core.operations.ops import CreateTableOp
    from mig_core.runtime.migration import MigrationContext

    metadata = sa.MetaData(naming_convention={"pk": "pk_%(table_name)s"})
    table = sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True))
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name="postgresql",
        opts={"as_sql": True, "output_buffer": buf, "target_metadata": metadata},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Operations(ctx).invoke(CreateTableOp.from_table(table))
    assert "id SERIAL NOT NULL" in buf.getvalue()
    assert "CONSTRAINT pk_t PRIMARY KEY (id)" in buf.getvalue()
