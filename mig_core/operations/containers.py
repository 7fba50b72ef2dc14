"""Containers of operation objects: a revision's upgrade/downgrade bodies, per-table groups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from mig_core.operations.opbase import MigrateOperation

# --- containers ------------------------------------------------------------------------------


class OpContainer(MigrateOperation):
    """An ordered list of operations."""

    op_name = "ops"

    def __init__(self, ops: Sequence[MigrateOperation] = ()) -> None:
        self.ops: list[MigrateOperation] = list(ops)

    def is_empty(self) -> bool:
        return not self.ops

    def as_diffs(self) -> list[Any]:
        """Every leaf operation's diff entry, in order, as ``compare_metadata`` gives them.

        Containers are flattened; the changes of one column stay together in one list.
        """
        return list(self._flatten(self))

    @classmethod
    def _flatten(cls, container: OpContainer) -> Iterator[Any]:
        for op in container.ops:
            if isinstance(op, OpContainer):
                yield from cls._flatten(op)
            else:
                yield op.to_diff_tuple()

    def reversed_ops(self) -> list[MigrateOperation]:
        """The reverse of each operation, last first."""
        return [op.reverse() for op in reversed(self.ops)]

    def reverse_into(self, other: OpContainer) -> OpContainer:
        """Fill ``other`` with this container's reversed operations and return it."""
        other.ops[:] = self.reversed_ops()
        return other


class ModifyTableOps(OpContainer):
    """The operations on one table (autogenerate groups per table)."""

    op_name = "modify_table"

    def __init__(
        self, table_name: str, ops: Sequence[MigrateOperation], *, schema: str | None = None
    ) -> None:
        super().__init__(ops)
        self.table_name = table_name
        self.schema = schema

    def reverse(self) -> ModifyTableOps:
        return ModifyTableOps(self.table_name, self.reversed_ops(), schema=self.schema)


class UpgradeOps(OpContainer):
    """The body of ``upgrade()`` (one per environment token)."""

    op_name = "upgrade_ops"

    def __init__(
        self, ops: Sequence[MigrateOperation] = (), upgrade_token: str = "upgrades"
    ) -> None:
        super().__init__(ops)
        self.upgrade_token = upgrade_token

    def reverse(self) -> DowngradeOps:
        return DowngradeOps(self.reversed_ops(), downgrade_token=_paired_token(self.upgrade_token))


class DowngradeOps(OpContainer):
    """The body of ``downgrade()``."""

    op_name = "downgrade_ops"

    def __init__(
        self, ops: Sequence[MigrateOperation] = (), downgrade_token: str = "downgrades"
    ) -> None:
        super().__init__(ops)
        self.downgrade_token = downgrade_token

    def reverse(self) -> UpgradeOps:
        return UpgradeOps(self.reversed_ops(), upgrade_token=_paired_token(self.downgrade_token))


def _paired_token(token: str) -> str:
    """``upgrades`` <-> ``downgrades``, ``engine1_upgrades`` <-> ``engine1_downgrades``."""
    if "downgrade" in token:
        head, _, tail = token.rpartition("downgrade")
        return f"{head}upgrade{tail}"
    if "upgrade" in token:
        head, _, tail = token.rpartition("upgrade")
        return f"{head}downgrade{tail}"
    return token


class MigrationScript(MigrateOperation):
    """A whole revision file to be written: its identity and its upgrade/downgrade ops.

    ``upgrade_ops`` / ``downgrade_ops`` are single containers, or lists of them for
    multi-environment templates (``upgrade_ops_list`` / ``downgrade_ops_list`` always give lists).
    """

    op_name = "migration_script"

    def __init__(
        self,
        rev_id: str | None,
        upgrade_ops: UpgradeOps | list[UpgradeOps],
        downgrade_ops: DowngradeOps | list[DowngradeOps],
        *,
        message: str | None = None,
        imports: set[str] | None = None,
        head: str | None = None,
        splice: bool | None = None,
        branch_label: str | Sequence[str] | None = None,
        version_path: str | None = None,
        depends_on: str | Sequence[str] | None = None,
    ) -> None:
        self.rev_id = rev_id
        self.message = message
        self.imports = imports if imports is not None else set()
        self.head = head
        self.splice = splice
        self.branch_label = branch_label
        self.version_path = version_path
        self.depends_on = depends_on
        self._upgrade_ops: list[UpgradeOps] = _as_list(upgrade_ops)
        self._downgrade_ops: list[DowngradeOps] = _as_list(downgrade_ops)

    @property
    def upgrade_ops(self) -> UpgradeOps:
        """The UpgradeOps, as in Alembic: a list of one is its item; several (multidb) raise
        ValueError, read ``upgrade_ops_list`` then."""
        return _single(self._upgrade_ops, "UpgradeOps", "upgrade_ops_list")  # type: ignore[no-any-return]

    @upgrade_ops.setter
    def upgrade_ops(self, value: UpgradeOps | Sequence[UpgradeOps]) -> None:
        self._upgrade_ops = _as_list(value)

    @property
    def downgrade_ops(self) -> DowngradeOps:
        """The DowngradeOps (see :attr:`upgrade_ops`)."""
        return _single(  # type: ignore[no-any-return]
            self._downgrade_ops, "DowngradeOps", "downgrade_ops_list"
        )

    @downgrade_ops.setter
    def downgrade_ops(self, value: DowngradeOps | Sequence[DowngradeOps]) -> None:
        self._downgrade_ops = _as_list(value)

    @property
    def upgrade_ops_list(self) -> list[UpgradeOps]:
        """Every UpgradeOps (one per ``upgrade_token``: several with the multidb template)."""
        return list(self._upgrade_ops)

    @property
    def downgrade_ops_list(self) -> list[DowngradeOps]:
        return list(self._downgrade_ops)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _single(items: list[Any], kind: str, attribute: str) -> Any:
    if len(items) > 1:
        raise ValueError(
            f"This MigrationScript instance has a multiple-entry list for {kind}; "
            f"please use the {attribute} attribute."
        )
    return items[0] if items else None
