"""Alembic's ``alembic.script.base`` module path: :class:`ScriptDirectory` and :class:`Script`
(pytest-alembic and other tools import them from there)."""

from __future__ import annotations

from mig_core.script.directory import Script, ScriptDirectory

__all__ = ["Script", "ScriptDirectory"]
