"""Autogenerate on MySQL / MariaDB: how the server reports what the model declares."""

from __future__ import annotations

from typing import Any


def before_table_compare(ctx: Any, schema: str | None, conn_table: Any, meta_table: Any) -> None:
    """Settle what MySQL reflects differently from the model before the core compares."""


def types_differ(ctx: Any, conn_col: Any, meta_col: Any) -> bool | None:
    """MySQL's opinion on two column types; None leaves it to the core."""
    return None


def server_defaults_differ(ctx: Any, conn_col: Any, meta_col: Any, conn_default: str | None,
                           meta_default: str | None) -> bool | None:
    """MySQL's opinion on two server defaults; None leaves it to the core."""
    return None
