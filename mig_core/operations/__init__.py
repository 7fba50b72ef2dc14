"""Operations: ``Operations`` (``op``), ``BatchOperations`` (``batch_op``), operation objects.

The names Alembic's ``alembic.operations`` exports that mig has are here too
(``MigrateOperation``, ``MigrationScript``, the ``ops`` / ``base`` / ``batch`` / ``schemaobj`` /
``toimpl`` modules), so ``from mig_core.operations import Operations, MigrateOperation`` works as
in Alembic's cookbook. Names are resolved lazily so importing this package does not import
SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mig_core.operations import base, batch, ops, schemaobj, toimpl
    from mig_core.operations.base import BatchOperations, Operations
    from mig_core.operations.containers import MigrationScript
    from mig_core.operations.directives import Directive, directive
    from mig_core.operations.opbase import MigrateOperation

__all__ = [
    "BatchOperations",
    "Directive",
    "MigrateOperation",
    "MigrationScript",
    "Operations",
    "base",
    "batch",
    "directive",
    "ops",
    "schemaobj",
    "toimpl",
]


_LAZY = {
    "Operations": "mig_core.operations.base",
    "BatchOperations": "mig_core.operations.base",
    "Directive": "mig_core.operations.directives",
    "directive": "mig_core.operations.directives",
    "MigrateOperation": "mig_core.operations.opbase",
    "MigrationScript": "mig_core.operations.containers",
}
_SUBMODULES = frozenset({"ops", "base", "batch", "schemaobj", "toimpl"})


def __getattr__(name: str) -> Any:
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f"mig_core.operations.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mig_core.operations' has no attribute {name!r}")
