"""Operation objects: every ``op.*`` call builds one, and autogenerate builds trees of them.

This module re-exports them all (they live in ``opbase``, ``table_ops``, ``constraint_ops`` and
``containers``); import them from here.

Each operation keeps its constructor arguments as plain attributes (renderers read them), can be
executed (``Operations.invoke(op)``), reversed (:meth:`MigrateOperation.reverse`; irreversible
ones raise :class:`IrreversibleOperationError`), and turned into a diff entry
(:meth:`MigrateOperation.to_diff_tuple`). The containers :class:`MigrationScript`,
:class:`UpgradeOps`, :class:`DowngradeOps` and :class:`ModifyTableOps` hold them.

Attribute names follow Alembic's operation objects (``modify_type``, ``existing_nullable`` ...)
so code written against those reads the same data.
"""

from __future__ import annotations

from mig_core.operations.constraint_ops import (
    AddConstraintOp,
    CreateCheckConstraintOp,
    CreateForeignKeyOp,
    CreateIndexOp,
    CreatePrimaryKeyOp,
    CreateUniqueConstraintOp,
    DropConstraintOp,
    DropIndexOp,
)
from mig_core.operations.containers import (
    DowngradeOps,
    MigrationScript,
    ModifyTableOps,
    OpContainer,
    UpgradeOps,
)
from mig_core.operations.opbase import (
    IrreversibleOperationError,
    MigrateOperation,
    OperationArgumentError,
)
from mig_core.operations.table_ops import (
    AddColumnOp,
    AlterColumnOp,
    BulkInsertOp,
    CreateTableCommentOp,
    CreateTableOp,
    DropColumnOp,
    DropTableCommentOp,
    DropTableOp,
    ExecuteSQLOp,
    PairedSQLOp,
    RenameTableOp,
)

__all__ = [
    "AddColumnOp",
    "AddConstraintOp",
    "AlterColumnOp",
    "BulkInsertOp",
    "CreateCheckConstraintOp",
    "CreateForeignKeyOp",
    "CreateIndexOp",
    "CreatePrimaryKeyOp",
    "CreateTableCommentOp",
    "CreateTableOp",
    "CreateUniqueConstraintOp",
    "DowngradeOps",
    "DropColumnOp",
    "DropConstraintOp",
    "DropIndexOp",
    "DropTableCommentOp",
    "DropTableOp",
    "ExecuteSQLOp",
    "IrreversibleOperationError",
    "MigrateOperation",
    "MigrationScript",
    "ModifyTableOps",
    "PairedSQLOp",
    "OpContainer",
    "OperationArgumentError",
    "RenameTableOp",
    "UpgradeOps",
]
