"""Alembic's ``alembic.autogenerate.compare`` path: its ``comparators`` is the registry of
``dispatch_for`` comparators, :mod:`mig_core.autogenerate.comparators` here
(sqlalchemy-declarative-extensions imports it from this path)."""

from __future__ import annotations

from mig_core.autogenerate import comparators

__all__ = ["comparators"]
