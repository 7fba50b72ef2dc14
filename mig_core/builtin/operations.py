"""Built-in (essential): registers the core ``op.*`` directives."""

from __future__ import annotations

from typing import Any

from mig_core import hookimpl


@hookimpl
def mig_register_operations(registry: Any) -> None:
    """The core operations are filled in by mig_core.operations (issue 5)."""
