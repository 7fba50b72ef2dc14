"""Alembic's ``alembic.util`` path, for the names projects import from it (``CommandError``)."""

from __future__ import annotations

from mig_core.errors import CommandError

__all__ = ["CommandError"]
