"""Naming conventions for operations: ``op.f()`` and the convention of the target metadata.

An operation given ``None`` as a constraint or index name gets the name the target metadata's
``naming_convention`` gives it (SQLAlchemy applies the convention when the object is attached to
a table of a MetaData carrying it). ``op.f("name")`` marks a name as final, so no convention
is applied to it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def f(name: str) -> Any:
    """Mark ``name`` as already converted: naming conventions leave it as it is."""
    from sqlalchemy.sql.elements import conv

    return conv(name)


def naming_convention_of(target_metadata: Any) -> Mapping[Any, str] | None:
    """The ``naming_convention`` of ``target_metadata`` (a MetaData, a sequence of them, or None).

    With several MetaData objects the first one that carries a convention wins, as in one
    environment they are expected to share it.
    """
    if target_metadata is None:
        return None
    candidates: Sequence[Any]
    if isinstance(target_metadata, Sequence):
        candidates = target_metadata
    else:
        candidates = [target_metadata]
    for metadata in candidates:
        convention = getattr(metadata, "naming_convention", None)
        if convention:
            return convention  # type: ignore[no-any-return]
    return None


def is_final_name(name: Any) -> bool:
    """True when ``name`` was marked with :func:`f` (or is otherwise a ``conv``)."""
    from sqlalchemy.sql.elements import conv

    return isinstance(name, conv)
