"""Rewriter details Alembic projects rely on: chaining a plain process_revision_directives
function, rewriting to a tuple or to None, and ops nested in ModifyTableOps."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mig_core.autogenerate.rewriter import Rewriter
from mig_core.operations import ops


def _script() -> ops.MigrationScript:
    add = ops.AddColumnOp("t", sa.Column("x", sa.Integer, nullable=False))
    drop = ops.DropColumnOp("t", "old")
    return ops.MigrationScript(
        "r1", ops.UpgradeOps([ops.ModifyTableOps("t", [add, drop])]),
        ops.DowngradeOps([]),
    )


def _leaves(script: ops.MigrationScript) -> list[str]:
    return [type(op).__name__ for group in script.upgrade_ops.ops for op in group.ops]


def test_chaining_a_plain_function_and_tuple_or_none_results() -> None:
    writer = Rewriter()

    @writer.rewrites(ops.AddColumnOp)
    def add_then_alter(context: Any, revision: Any, op: Any) -> Any:
        op.column.nullable = True
        return (op, ops.AlterColumnOp(op.table_name, op.column.name, modify_nullable=False))

    @writer.rewrites(ops.DropColumnOp)
    def keep_columns(context: Any, revision: Any, op: Any) -> Any:
        return None

    seen: list[list[str]] = []

    def after(context: Any, revision: Any, directives: list[Any]) -> None:
        seen.append(_leaves(directives[0]))
        directives[0].message = "checked"

    directives = [_script()]
    writer.chain(after)(None, ("base",), directives)
    assert seen == [["AddColumnOp", "AlterColumnOp"]]
    assert directives[0].message == "checked"
    # chained twice: every step runs, in order
    again = [_script()]
    writer.chain(after).chain(lambda c, r, d: seen.append(["last"]))(None, (), again)
    assert seen[1:] == [["AddColumnOp", "AlterColumnOp"], ["last"]]
