"""Alembic's ``alembic.util.exc`` path."""

from __future__ import annotations

from mig_core.errors import CommandError

__all__ = ["CommandError"]
