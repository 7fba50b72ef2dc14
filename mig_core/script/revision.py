"""Alembic's ``alembic.script.revision`` names, for code that imports them from there."""

from __future__ import annotations

from mig_core.errors import MultipleHeads, ResolutionError
from mig_core.errors import RevisionArgumentError as RevisionError
from mig_core.script.paths import RangeNotAncestorError
from mig_core.script.revision_map import (
    CycleDetected,
    DependencyCycleDetected,
    DependencyLoopDetected,
    LoopDetected,
    Revision,
    RevisionMap,
)

__all__ = [
    "CycleDetected",
    "DependencyCycleDetected",
    "DependencyLoopDetected",
    "LoopDetected",
    "MultipleHeads",
    "RangeNotAncestorError",
    "ResolutionError",
    "Revision",
    "RevisionError",
    "RevisionMap",
]
