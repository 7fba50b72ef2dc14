"""Autogenerate: compare a model with a database, produce and render migration operations.

Public API (Alembic's names): :func:`compare_metadata`, :func:`produce_migrations`,
:func:`render_python_code`, :class:`Rewriter` for ``process_revision_directives``, and the
``comparators`` / ``renderers`` modules whose ``dispatch_for`` decorators extend autogenerate.
"""

from __future__ import annotations

from mig_core.autogenerate import comparators, renderers
from mig_core.autogenerate.api import compare_metadata, produce_migrations, render_python_code
from mig_core.autogenerate.rewriter import Rewriter

__all__ = [
    "Rewriter", "comparators", "compare_metadata", "produce_migrations", "render_python_code",
    "renderers",
]
