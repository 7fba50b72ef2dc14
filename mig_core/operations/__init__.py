"""Operations: ``Operations`` (``op``), ``BatchOperations`` (``batch_op``), operation objects.

Names are resolved lazily so importing this package does not import SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mig_core.operations.base import BatchOperations, Operations
    from mig_core.operations.directives import Directive, directive

__all__ = ["BatchOperations", "Directive", "Operations", "directive", "ops"]


_LAZY = {
    "Operations": "mig_core.operations.base",
    "BatchOperations": "mig_core.operations.base",
    "Directive": "mig_core.operations.directives",
    "directive": "mig_core.operations.directives",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "ops":
        return importlib.import_module("mig_core.operations.ops")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mig_core.operations' has no attribute {name!r}")
