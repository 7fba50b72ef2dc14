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


def _multidb_script() -> ops.MigrationScript:
    script = ops.MigrationScript("r1", ops.UpgradeOps([]), ops.DowngradeOps([]))
    script.upgrade_ops = [
        ops.UpgradeOps([ops.DropColumnOp("t", "a")], upgrade_token="engine1_upgrades"),
        ops.UpgradeOps([ops.DropColumnOp("t", "b")], upgrade_token="engine2_upgrades"),
    ]
    script.downgrade_ops = [
        ops.DowngradeOps([], downgrade_token="engine1_downgrades"),
        ops.DowngradeOps([], downgrade_token="engine2_downgrades"),
    ]
    return script


def forgets_to_return(context: Any, revision: Any, op: Any) -> Any:
    op.ops[:] = [o for o in op.ops if o.column_name != "b"]


def test_a_whole_upgrade_ops_rewritten_to_nothing_is_an_error_naming_the_function() -> None:
    """Not a fresh container with the default token: the multidb file would lose the
    database's ``engine2_upgrades`` slot (Alembic raises a bare ValueError there)."""
    import pytest

    from mig_core.errors import CommandError

    writer = Rewriter()
    writer.rewrites(ops.UpgradeOps)(forgets_to_return)
    with pytest.raises(CommandError) as err:
        writer(None, (), [_multidb_script()])
    assert str(err.value) == (
        "rewrite function test_autogen_rewriter.forgets_to_return returned nothing for the "
        "UpgradeOps of token 'engine1_upgrades'; it must return one UpgradeOps (return op, or "
        "ops.UpgradeOps([], upgrade_token=op.upgrade_token) to empty it)"
    )
    assert err.value.exit_code == 1

    writer = Rewriter()

    @writer.rewrites(ops.DowngradeOps)
    def split(context: Any, revision: Any, op: Any) -> Any:
        return [op, ops.DowngradeOps([])]

    with pytest.raises(CommandError, match=r"^rewrite function test_autogen_rewriter\."
                       r"test_a_whole_upgrade_ops_rewritten_to_nothing_is_an_error_naming_the_"
                       r"function\.<locals>\.split returned 2 objects for the DowngradeOps of "
                       r"token 'engine1_downgrades'; it must return one DowngradeOps \(return "
                       r"op, or ops\.DowngradeOps\(\[\], downgrade_token=op\.downgrade_token\) "
                       r"to empty it\)$"):
        writer(None, (), [_multidb_script()])


def test_a_whole_upgrade_ops_returned_or_emptied_keeps_each_token() -> None:
    writer = Rewriter()

    @writer.rewrites(ops.UpgradeOps)
    def keep_a(context: Any, revision: Any, op: Any) -> Any:
        forgets_to_return(context, revision, op)
        return op

    @writer.rewrites(ops.DowngradeOps)
    def empty(context: Any, revision: Any, op: Any) -> Any:
        return ops.DowngradeOps([], downgrade_token=op.downgrade_token)

    directives = [_multidb_script()]
    writer(None, (), directives)
    ups = directives[0].upgrade_ops_list
    assert [(u.upgrade_token, [o.column_name for o in u.ops]) for u in ups] == [
        ("engine1_upgrades", ["a"]), ("engine2_upgrades", [])]
    downs = directives[0].downgrade_ops_list
    assert [(d.downgrade_token, d.ops) for d in downs] == [
        ("engine1_downgrades", []), ("engine2_downgrades", [])]
