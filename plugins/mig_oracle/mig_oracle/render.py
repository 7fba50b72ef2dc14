"""Autogenerate rendering of Oracle types as ``oracle.X(...)`` source.

The core already writes any ``sqlalchemy.dialects.oracle`` type as ``oracle.X(<arguments that
differ from the defaults>)`` and adds ``from sqlalchemy.dialects import oracle``. Two types need
more: ``NUMBER``, whose ``asdecimal`` is derived from its scale (written only when it is not
the derived value), and ``VECTOR``, whose enum arguments must be written as
``oracle.VectorStorageFormat.FLOAT32`` rather than their repr.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

IMPORT = "from sqlalchemy.dialects import oracle"


def render_type(ctx: Any, type_: Any) -> str | None:
    """``oracle.NUMBER(...)`` / ``oracle.VECTOR(...)`` source; None for every other type."""
    from sqlalchemy.dialects import oracle

    if type(type_) is oracle.NUMBER:
        args = []
        if type_.precision is not None:
            args.append(f"precision={type_.precision!r}")
        if type_.scale is not None:
            args.append(f"scale={type_.scale!r}")
        derived = bool(type_.scale and type_.scale > 0)
        if type_.asdecimal is not None and bool(type_.asdecimal) != derived:
            args.append(f"asdecimal={type_.asdecimal!r}")
        ctx.imports.add(IMPORT)
        return f"oracle.NUMBER({', '.join(args)})"
    vector = getattr(oracle, "VECTOR", None)
    if vector is not None and type(type_) is vector:
        args = []
        for name in ("dim", "storage_format", "storage_type"):
            value = getattr(type_, name, None)
            if value is None:
                continue
            if isinstance(value, Enum):
                args.append(f"{name}=oracle.{type(value).__name__}.{value.name}")
            else:
                args.append(f"{name}={value!r}")
        ctx.imports.add(IMPORT)
        return f"oracle.VECTOR({', '.join(args)})"
    return None
