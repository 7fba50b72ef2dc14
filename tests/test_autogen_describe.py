"""The lines and JSON records ``mig check`` prints for each kind of difference."""

from __future__ import annotations

import json

import sqlalchemy as sa

from mig_core.autogenerate.describe import describe_diff, diff_record
from mig_core.operations import ops


def objects():
    md = sa.MetaData()
    parent = sa.Table("parent", md, sa.Column("id", sa.Integer, primary_key=True), schema="s")
    child = sa.Table(
        "child", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer),
        sa.ForeignKeyConstraint(["parent_id"], [parent.c.id], name="fk_parent"),
        sa.UniqueConstraint("parent_id", name="uq_parent"),
        comment="kids",
    )
    index = sa.Index("ix_child_parent", child.c.parent_id)
    return child, index


def test_every_kind_has_a_readable_line_and_a_json_record():
    child, index = objects()
    fk = next(iter(child.foreign_key_constraints))
    uq = next(c for c in child.constraints if isinstance(c, sa.UniqueConstraint))
    alter = ops.AlterColumnOp(
        "child", "parent_id", existing_type=sa.INTEGER(), modify_type=sa.BigInteger(),
        existing_nullable=True, modify_nullable=False,
        existing_server_default=None, modify_server_default=sa.DefaultClause(sa.text("0")),
    )
    cases = [
        (("add_table", child), "add_table child"),
        (("remove_table", child), "remove_table child"),
        (("add_column", None, "child", child.c.parent_id), "add_column child.parent_id INTEGER"),
        (("add_index", index), "add_index ix_child_parent on child (parent_id)"),
        (("remove_constraint", uq), "remove_constraint uq_parent on child (parent_id)"),
        (("add_fk", fk), "add_fk fk_parent on child (parent_id) -> s.parent"),
        (("add_table_comment", child, None), "add_table_comment child: 'kids'"),
    ]
    for diff, line in cases:
        assert describe_diff(diff) == line
        json.dumps(diff_record(diff))  # every record is JSON-ready
    lines = [describe_diff(d) for d in alter.to_diff_tuple()]
    assert lines == [
        "modify_type child.parent_id: INTEGER -> BIGINT",
        "modify_nullable child.parent_id: True -> False",
        "modify_default child.parent_id: None -> 0",
    ]
    assert diff_record(alter.to_diff_tuple()[0]) == {
        "kind": "modify_type", "schema": None, "table": "child", "name": "parent_id",
        "old": "INTEGER", "new": "BIGINT",
    }
