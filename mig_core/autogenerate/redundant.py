"""Operations a generated revision file leaves out because a later one makes them redundant.

A table's ``drop_table`` drops its indexes with it, so the ``drop_index`` calls that would
precede it (the downgrade of a new table, the upgrade of a removed one) are not written. They
cost a statement each everywhere, and on MySQL / MariaDB they fail when a foreign key of the
table needs the index (error 1553), which Alembic's generated downgrades run into.
``compare_metadata`` still reports every removed index; only the written file is shorter.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from mig_core.operations.containers import OpContainer
    from mig_core.operations.opbase import MigrateOperation

C = TypeVar("C", bound="OpContainer")


def without_index_drops_before_table_drops(container: C) -> C:
    """A copy of ``container`` without the ``drop_index`` operations (top-level or in a table's
    group) whose table is dropped later in the same container; ``container`` is unchanged."""
    from mig_core.operations.constraint_ops import DropIndexOp
    from mig_core.operations.containers import ModifyTableOps
    from mig_core.operations.table_ops import DropTableOp

    ops = container.ops
    last_drop: dict[tuple[str | None, str | None], int] = {}  # (schema, table): its last drop_table
    for position, op in enumerate(ops):
        if isinstance(op, DropTableOp):
            last_drop[(op.schema, op.table_name)] = position
    if not last_drop:
        return container

    def redundant(op: MigrateOperation, position: int) -> bool:
        return isinstance(op, DropIndexOp) and last_drop.get(
            (op.schema, op.table_name), -1) > position

    kept: list[MigrateOperation] = []
    for position, op in enumerate(ops):
        if redundant(op, position):
            continue
        if isinstance(op, ModifyTableOps):
            inner = [o for o in op.ops if not redundant(o, position)]
            if not inner:
                continue
            if len(inner) != len(op.ops):
                op = copy.copy(op)
                op.ops = inner
        kept.append(op)
    pruned = copy.copy(container)
    pruned.ops = kept
    return pruned
