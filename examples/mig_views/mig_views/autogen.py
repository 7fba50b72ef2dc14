"""Autogenerate support: find declared views the database lacks, render the view operations.

Called from the plugin's hookimpls (:mod:`mig_views.plugin`); plain functions, testable alone.
"""

from __future__ import annotations

from typing import Any

from mig_views.model import views_of
from mig_views.ops import CreateViewOp, DropViewOp


def compare_views(ctx: Any, schemas: Any, upgrade_ops: Any) -> None:
    """Append ``create_view`` for every view the model declares that the database lacks.

    The user's ``include_name`` / ``include_object`` see each declared view of the compared
    schemas once, as type ``"view"`` (``compare_to`` None: only its absence is compared).
    """
    wanted = set(schemas)
    declared = [v for v in views_of(ctx.metadatas)
                if ctx.normalize_schema(v.schema) in wanted and _included(ctx, v)]
    existing: dict[Any, set[str]] = {}
    for view in sorted(declared, key=lambda v: v.key):
        schema = ctx.normalize_schema(view.schema)
        if schema not in existing:
            existing[schema] = set(ctx.inspector.get_view_names(schema=schema))
        if view.name not in existing[schema]:
            upgrade_ops.ops.append(CreateViewOp(view.name, view.definition, schema=view.schema))


def _included(ctx: Any, view: Any) -> bool:
    schema = ctx.normalize_schema(view.schema)
    return bool(ctx.run_name_filters(view.name, "view", {"schema_name": schema})
                and ctx.run_object_filters(view, view.name, "view", False, None))


def _definition_text(ctx: Any, definition: Any) -> str:
    if isinstance(definition, str):
        return definition.strip()
    kw: dict[str, Any] = {"compile_kwargs": {"literal_binds": True}}
    if ctx.dialect is not None:
        kw["dialect"] = ctx.dialect
    return str(definition.compile(**kw)).strip()


def render_view_op(ctx: Any, op: Any) -> str | None:
    """``op.create_view(...)`` / ``op.drop_view(...)``, or None for other operations."""
    schema = f", schema={op.schema!r}" if op.schema is not None else ""
    if isinstance(op, CreateViewOp):
        extra = ", or_replace=True" if op.or_replace else ""
        return (f"{ctx.base_op_prefix}create_view({op.view_name!r}, "
                f"{_definition_text(ctx, op.definition)!r}{schema}{extra})")
    if isinstance(op, DropViewOp):
        definition = (f", definition={_definition_text(ctx, op.definition)!r}"
                      if op.definition is not None else "")
        return f"{ctx.base_op_prefix}drop_view({op.view_name!r}{definition}{schema})"
    return None
