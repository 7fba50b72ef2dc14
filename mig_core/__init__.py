"""mig: database schema migrations for SQLAlchemy.

Public API: ``op`` and ``context`` (proxies used by revision scripts and env.py), ``hookimpl``
(the marker plugins use), the errors, and ``__version__``. Kept cheap to import.
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

hookimpl = pluggy.HookimplMarker("mig")

__all__ = [
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
