"""Hook implementations of mig-views (only hookimpls: importing this must stay cheap).

The targets are ``"module:attribute"`` strings, so ``mig plugins`` lists the operations without
importing SQLAlchemy; mig imports :mod:`mig_views.ops` the first time a migration uses one.
"""

from __future__ import annotations

from typing import Any

from mig_core import hookimpl


@hookimpl
def mig_register_operations(registry: Any) -> None:
    registry.add("create_view", "mig_views.ops:create_view")
    registry.add("drop_view", "mig_views.ops:drop_view")
