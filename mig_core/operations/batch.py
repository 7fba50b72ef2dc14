"""The batch queue behind ``op.batch_alter_table()``.

Operations on ``batch_op`` are queued in a :class:`TableBatch` and applied when the ``with``
block ends without an error: as plain ALTER statements in order, or, when the table must be
recreated (``recreate="always"``, or ``"auto"`` and the impl says so), through the
``mig_batch_recreate`` hook ("move and copy", implemented by mig-sqlite-batch).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mig_core.errors import CommandError
from mig_core.operations.opbase import MigrateOperation, OperationArgumentError

RECREATE_CHOICES = ("auto", "always", "never")


@dataclass
class TableBatch:
    """One ``batch_alter_table`` block: the table, its options and the queued operations.

    This is the ``batch`` a ``mig_batch_recreate`` implementation receives. ``ops`` are
    operation objects (:mod:`mig_core.operations.ops`) in call order; ``insert_before`` /
    ``insert_after`` of a column are in its op's ``kw``.
    """

    table_name: str
    schema: str | None
    migration_context: Any
    recreate: str = "auto"
    partial_reordering: Sequence[Sequence[str]] | None = None
    copy_from: Any = None
    table_args: Sequence[Any] = ()
    table_kwargs: Mapping[str, Any] = field(default_factory=dict)
    reflect_args: Sequence[Any] = ()
    reflect_kwargs: Mapping[str, Any] = field(default_factory=dict)
    naming_convention: Mapping[Any, str] | None = None
    ops: list[MigrateOperation] = field(default_factory=list)

    def __post_init__(self) -> None:
        where = f"batch_alter_table({self.table_name!r})"
        if self.recreate not in RECREATE_CHOICES:
            raise OperationArgumentError(
                f"{where}: recreate must be one of 'auto', 'always', 'never', got "
                f"{self.recreate!r}"
            )
        if self.partial_reordering and self.recreate != "always":
            raise OperationArgumentError(
                f"{where}: partial_reordering needs recreate='always'"
            )

    @property
    def impl(self) -> Any:
        return self.migration_context.impl

    def add(self, op: MigrateOperation) -> None:
        """Queue ``op``."""
        self.ops.append(op)

    def needs_recreate(self) -> bool:
        """Whether the table must be moved and copied instead of ALTERed."""
        if self.recreate == "always":
            return True
        if self.recreate == "never":
            return False
        return bool(self.impl.requires_recreate_in_batch(self))

    def _translated(self) -> TableBatch:
        """This batch with its schema as the connection's ``schema_translate_map`` makes it:
        the recreate reads the table from the catalog, which knows no such map."""
        from mig_core.runtime.versions import effective_schema

        conn = self.impl.connection
        schema = effective_schema(conn, self.schema) if conn is not None else self.schema
        return self if schema == self.schema else dataclasses.replace(self, schema=schema)

    def apply(self) -> None:
        """Carry out the queued operations (ALTERs in order, or one recreate)."""
        if not self.ops and self.recreate != "always":
            return
        if self.needs_recreate():
            hooks = self.migration_context.hooks
            handled = hooks.mig_batch_recreate(impl=self.impl, batch=self._translated())
            if not handled:
                raise CommandError(
                    f"batch_alter_table({self.table_name!r}) needs the table recreated (move "
                    f"and copy) on dialect {self.impl.dialect.name!r}, but no plugin implements "
                    "mig_batch_recreate; install it with: pip install mig-sqlite-batch"
                )
            return
        positioned = [op for op in self.ops if _position_of(op)]
        if positioned:
            raise OperationArgumentError(
                f"batch_alter_table({self.table_name!r}): insert_before / insert_after "
                f"({_describe(positioned[0])}) need the table recreated, and dialect "
                f"{self.impl.dialect.name!r} runs this batch as ALTER statements; pass "
                "recreate='always' to batch_alter_table"
            )
        renames: dict[str, str] = {}
        self.impl.alter_batch = self
        try:
            for op in self.ops:
                self.impl.invoke(_follow_renames(op, renames, self.table_name))
        finally:
            self.impl.alter_batch = None


def _position_of(op: MigrateOperation) -> Any:
    kw = getattr(op, "kw", None) or {}
    return kw.get("insert_before") or kw.get("insert_after")


def _describe(op: MigrateOperation) -> str:
    column = getattr(op, "column", None)
    name = getattr(column, "name", None) or getattr(op, "column_name", "?")
    return f"column {name!r}"


def _follow_renames(op: MigrateOperation, renames: dict[str, str], table: str) -> Any:
    """``op`` with the columns it names by an old name (renamed earlier in this batch) named
    by their current one, as a recreate would read them; ``renames`` (old -> current) is
    kept up to date with the batch's renames and added columns."""
    from mig_core.operations import ops

    def current(name: Any) -> Any:
        return renames.get(name, name) if isinstance(name, str) else name

    if isinstance(op, ops.AddColumnOp):
        renames.pop(op.column.name, None)  # the name now means the new column
        return op
    if not renames and not (isinstance(op, ops.AlterColumnOp) and op.modify_name):
        return op
    out = op
    if isinstance(op, (ops.AlterColumnOp, ops.DropColumnOp)) and op.column_name in renames:
        out = copy.copy(op)
        out.column_name = renames[op.column_name]  # type: ignore[attr-defined]
    elif isinstance(op, (ops.CreateIndexOp, ops.CreatePrimaryKeyOp,
                         ops.CreateUniqueConstraintOp)):
        if any(c in renames for c in op.columns if isinstance(c, str)):
            out = copy.copy(op)
            out.columns = [current(c) for c in op.columns]  # type: ignore[attr-defined]
    elif isinstance(op, ops.CreateForeignKeyOp):
        out = copy.copy(op)
        out.local_cols = [current(c) for c in op.local_cols]
        if op.referent_table == table:
            out.remote_cols = [current(c) for c in op.remote_cols]
    if isinstance(out, ops.AlterColumnOp) and out.modify_name and (
        out.modify_name != out.column_name
    ):
        old, new = out.column_name, out.modify_name
        for key, value in list(renames.items()):
            if value == old:
                renames[key] = new
        renames[old] = new
        renames.pop(new, None)
    return out
