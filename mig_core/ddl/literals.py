"""Literal values of offline scripts, where SQLAlchemy's own rendering is wrong for a dialect.

Offline (``--sql``) every value is written into the script as SQL text. SQLAlchemy writes a
``bytes`` value as its bytes decoded into a quoted string (a NUL or a byte that is not UTF-8
breaks the script or the value), cannot write a JSON value at all (and writes a JSON column's
None as SQL NULL where online it is JSON ``null``), and some dialects write other
values in a form their server refuses. The run's impl decides (:meth:`mig_core.ddl.impl.DefaultImpl.offline_literal`); this
module puts it in front of the offline dialect's compiler.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from mig_core.errors import CommandError

#: ``offline_literal(value, type_)``: the SQL text of a value, or None for SQLAlchemy's
LiteralRenderer = Callable[[Any, Any], "str | None"]


class OfflineLiterals:
    """Compiler mixin: the impl's literal first, else SQLAlchemy's. A JSON value (which
    SQLAlchemy cannot render) is written as the string of its JSON text, as it is sent online,
    with SQLAlchemy's online meaning of None (:func:`json_document`)."""

    mig_literal: LiteralRenderer
    dialect: Any

    def render_literal_bindparam(self, bindparam: Any, **kw: Any) -> str:
        # SQLAlchemy writes NULL for a parameter whose value is None before asking its type;
        # online a JSON type's bind processor turns that None into JSON null
        if (
            "render_literal_value" not in kw
            and bindparam.value is None
            and bindparam.callable is None
            and bindparam.key not in (getattr(self, "_collected_params", None) or {})
            and json_type(bindparam.type, self.dialect) is not None
        ):
            return self.render_literal_value(None, bindparam.type)
        return super().render_literal_bindparam(bindparam, **kw)  # type: ignore[misc, no-any-return]

    def render_literal_value(self, value: Any, type_: Any) -> str:
        found = json_type(type_, self.dialect)
        if found is not None:
            decorator, json_impl = found
            if decorator is not None:  # online its bind processing comes first
                value = decorator.process_bind_param(value, self.dialect)
            document = json_document(value, json_impl)
            if document is SQL_NULL:
                return "NULL"
            serializer = getattr(self.dialect, "_json_serializer", None) or json.dumps
            from sqlalchemy import String

            return self.render_literal_value(serializer(document), String())
        if isinstance(value, datetime.timedelta):
            emulated = interval_type(type_, self.dialect)
            if emulated is not None:  # a DATETIME holding epoch + value, as sent online
                return self.render_literal_value(emulated.epoch + value, emulated.impl_instance)
        text = self.mig_literal(value, type_)
        if text is not None:
            return text
        return super().render_literal_value(value, type_)  # type: ignore[misc, no-any-return]


#: :func:`json_document`'s answer for a value stored as SQL NULL
SQL_NULL = object()


def json_type(type_: Any, dialect: Any) -> tuple[Any, Any] | None:
    """``(decorator, json)`` when values of ``type_`` go to ``dialect`` as JSON, else None.

    ``json`` is the JSON type used there (``sa.JSON``, a dialect's JSON / JSONB, the
    dialect's variant of a ``with_variant()`` type); ``decorator`` the TypeDecorator whose
    ``process_bind_param`` runs first, or None.
    """
    from sqlalchemy import JSON
    from sqlalchemy.types import TypeDecorator

    if type_ is None:
        return None
    try:
        impl = type_.dialect_impl(dialect)
    except Exception:  # noqa: BLE001 - a type that cannot adapt is no JSON type
        return None
    decorator = None
    if isinstance(impl, TypeDecorator):
        if type(impl).process_bind_param is not TypeDecorator.process_bind_param:
            decorator = impl
        impl = impl.impl_instance
    return (decorator, impl) if isinstance(impl, JSON) else None


def interval_type(type_: Any, dialect: Any) -> Any:
    """``sa.Interval`` as ``dialect`` emulates it (no native INTERVAL: SQL Server, MySQL,
    SQLite), or None."""
    from sqlalchemy import Interval

    try:
        impl = type_.dialect_impl(dialect)
    except Exception:  # noqa: BLE001 - a type that cannot adapt is no Interval
        return None
    return impl if isinstance(impl, Interval) else None


def json_document(value: Any, type_: Any) -> Any:
    """What a JSON column stores for ``value`` online: the document, or :data:`SQL_NULL`.

    As SQLAlchemy's bind processor decides: ``sa.JSON.NULL`` is JSON ``null``; ``sa.null()``
    is SQL NULL; ``None`` is JSON ``null`` unless the type says ``none_as_null=True``.
    """
    from sqlalchemy import JSON
    from sqlalchemy.sql.elements import Null

    if value is JSON.NULL:
        return None
    if isinstance(value, Null) or (value is None and type_.none_as_null):
        return SQL_NULL
    return value


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
