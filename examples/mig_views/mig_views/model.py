"""Declaring views in the model, so autogenerate can compare them with the database.

::

    from mig_views.model import View

    View("active_users", metadata, "SELECT id, name FROM users WHERE active")

A view is registered in ``metadata.info["views"]`` (keyed by ``schema.name``); nothing else of
SQLAlchemy changes, and ``metadata.create_all()`` ignores it as before.
"""

from __future__ import annotations

from typing import Any

INFO_KEY = "views"


class View:
    """A view the model declares: name, definition (SQL text or ``select()``), schema."""

    def __init__(self, name: str, metadata: Any, definition: Any, *, schema: str | None = None):
        self.name = name
        self.definition = definition
        self.schema = schema
        metadata.info.setdefault(INFO_KEY, {})[self.key] = self

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def __repr__(self) -> str:
        return f"View({self.key!r})"


def views_of(metadatas: Any) -> list[View]:
    """Every View declared on the given MetaData objects."""
    out: list[View] = []
    for md in metadatas:
        out.extend(md.info.get(INFO_KEY, {}).values())
    return out
