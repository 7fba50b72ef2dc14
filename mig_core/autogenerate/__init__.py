"""Autogenerate: compare a model with a database, produce and render migration operations.

Public API (Alembic's names): :func:`compare_metadata`, :func:`produce_migrations`,
:func:`render_python_code`, and :class:`Rewriter` for ``process_revision_directives``.
"""

from __future__ import annotations

from mig_core.autogenerate.api import compare_metadata, produce_migrations, render_python_code
from mig_core.autogenerate.rewriter import Rewriter

__all__ = ["Rewriter", "compare_metadata", "produce_migrations", "render_python_code"]
