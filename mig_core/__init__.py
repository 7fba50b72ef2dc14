"""mig: database schema migrations for SQLAlchemy.

Public API: ``op`` and ``context`` (proxies used by revision scripts and env.py), ``hookimpl``
(the marker plugins use), the errors, ``__version__`` and ``ALEMBIC_API_VERSION``. Kept cheap to import.
"""

from __future__ import annotations

import pluggy

from mig_core.errors import (
    CommandError,
    ConfigError,
    MigError,
    PluginError,
    RevisionGraphError,
    UsageError,
)
from mig_core.proxies import context, op

__version__ = "0.1.0"

#: The Alembic release whose API mig follows (what ``alembic.__version__`` reports when the
#: mig-as-alembic distribution makes ``import alembic`` load mig).
ALEMBIC_API_VERSION = "1.20.1"

hookimpl = pluggy.HookimplMarker("mig")

__all__ = [
    "ALEMBIC_API_VERSION",
    "CommandError",
    "ConfigError",
    "MigError",
    "PluginError",
    "RevisionGraphError",
    "UsageError",
    "__version__",
    "context",
    "hookimpl",
    "op",
]
