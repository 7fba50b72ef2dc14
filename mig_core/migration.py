"""Alembic's ``alembic.migration`` path (``from alembic import migration``): the
:class:`~mig_core.runtime.migration.MigrationContext`."""

from __future__ import annotations

from mig_core.runtime.migration import MigrationContext

__all__ = ["MigrationContext"]
