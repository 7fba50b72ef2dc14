"""Literal values of offline scripts, where SQLAlchemy's own rendering is wrong for a dialect.

Offline (``--sql``) every value is written into the script as SQL text. SQLAlchemy writes a
``bytes`` value as its bytes decoded into a quoted string (a NUL or a byte that is not UTF-8
breaks the script or the value), cannot write a JSON value at all, and some dialects write other
values in a form their server refuses. The run's impl decides (:meth:`mig_core.ddl.impl.DefaultImpl.offline_literal`); this
module puts it in front of the offline dialect's compiler.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mig_core.errors import CommandError

#: ``offline_literal(value, type_)``: the SQL text of a value, or None for SQLAlchemy's
LiteralRenderer = Callable[[Any, Any], "str | None"]


class OfflineLiterals:
    """Compiler mixin: the impl's literal first, else SQLAlchemy's. A JSON value (which
    SQLAlchemy cannot render) is written as the string of its JSON text, as it is sent online."""

    mig_literal: LiteralRenderer
    dialect: Any

    def render_literal_value(self, value: Any, type_: Any) -> str:
        text = self.mig_literal(value, type_)
        if text is not None:
            return text
        from sqlalchemy import JSON, String

        if isinstance(type_, JSON) and value is not None:
            serializer = getattr(self.dialect, "_json_serializer", None) or json.dumps
            return self.render_literal_value(serializer(value), String())
        return super().render_literal_value(value, type_)  # type: ignore[misc, no-any-return]


def install(dialect: Any, renderer: LiteralRenderer) -> None:
    """Make ``dialect`` (an offline run's own instance) render literals through ``renderer``."""
    base = getattr(dialect.statement_compiler, "mig_base_compiler", dialect.statement_compiler)
    dialect.statement_compiler = type(
        f"Offline{base.__name__}",
        (OfflineLiterals, base),
        {"mig_literal": staticmethod(renderer), "mig_base_compiler": base},
    )


def hex_bytes(value: Any) -> str | None:
    """Upper-case hex digits of a ``bytes``-like value, or None for any other value."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex().upper()
    return None


def require_values(construct: Any) -> None:
    """Refuse a statement with a bound parameter that was never given a value.

    Online the driver refuses it ("A value is required for bind parameter"); offline SQLAlchemy
    would write NULL in its place, so ``sa.text("... 'at :noon'")`` (a colon SQLAlchemy reads
    as a parameter) would silently become ``'at NULL'`` in the script.
    """
    from sqlalchemy.sql import visitors
    from sqlalchemy.sql.elements import BindParameter

    missing = sorted({
        element.key for element in visitors.iterate(construct)
        if isinstance(element, BindParameter) and element.required
        and element.value is None and element.callable is None
    })
    if missing:
        names = ", ".join(f":{name}" for name in missing)
        raise CommandError(
            f"no value for {names} in {str(construct).strip()!r} (offline it would be written "
            f"as NULL): give it with .bindparams({missing[0]}=...), or write a colon that is "
            f"not a parameter as \\: in sa.text()"
        )
