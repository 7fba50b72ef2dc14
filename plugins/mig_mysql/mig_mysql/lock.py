"""The run lock on MySQL / MariaDB."""

from __future__ import annotations

from typing import Any


def MySQLRunLock(impl: Any, timeout: float | None, transaction_scoped: bool) -> Any:  # noqa: N802
    """None: no lock yet (the core's default)."""
    return None
