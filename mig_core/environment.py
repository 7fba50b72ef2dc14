"""Alembic's ``alembic.environment`` path: the
:class:`~mig_core.runtime.environment.EnvironmentContext`."""

from __future__ import annotations

from mig_core.runtime.environment import EnvironmentContext

__all__ = ["EnvironmentContext"]
