"""Rendering for autogenerate: PostgreSQL types as ``postgresql.X(...)`` and this plugin's
operations as ``op.<name>(...)`` lines.

Native enums render as ``postgresql.ENUM(..., create_type=False)``: the revision creates and
drops the type itself (``op.create_enum`` / ``op.drop_enum``), so a table must not. A table
with exclusion constraints renders as the core's ``op.create_table(...)`` followed by one
``op.create_exclude_constraint(...)`` per constraint.
"""

from __future__ import annotations

import textwrap
from typing import Any

from mig_postgres.ops import (
    AddEnumValueOp,
    AlterEnumOp,
    CreateEnumOp,
    CreateExcludeConstraintOp,
    CreateSequenceOp,
    DropEnumOp,
    DropEnumValueOp,
    DropSequenceOp,
    RenameEnumValueOp,
)

PG_IMPORT = "from sqlalchemy.dialects import postgresql"


# --- types -----------------------------------------------------------------------------------


def render_type(ctx: Any, type_: Any) -> str | None:
    """``postgresql.ENUM`` / ``ARRAY`` / ``DOMAIN`` source; None for the core's generic form."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.types import TypeDecorator

    if isinstance(type_, TypeDecorator) or getattr(type_, "_variant_mapping", None):
        return None
    if isinstance(type_, postgresql.DOMAIN):
        return _render_domain(ctx, type_)
    if isinstance(type_, sa.Enum) and type_.native_enum and type_.name:
        ctx.imports.add(PG_IMPORT)
        args = [repr(v) for v in type_.enums]
        args.append(f"name={str(type_.name)!r}")
        if type_.schema:
            args.append(f"schema={type_.schema!r}")
        args.append("create_type=False")
        return f"postgresql.ENUM({', '.join(args)})"
    if isinstance(type_, sa.ARRAY):
        if isinstance(type_, postgresql.ARRAY):
            ctx.imports.add(PG_IMPORT)
            head = "postgresql.ARRAY"
        else:
            head = ctx.sa("ARRAY")
        args = [ctx.render_type(type_.item_type)]
        if type_.dimensions is not None:
            args.append(f"dimensions={type_.dimensions!r}")
        if type_.as_tuple:
            args.append("as_tuple=True")
        if type_.zero_indexes:
            args.append("zero_indexes=True")
        return f"{head}({', '.join(args)})"
    return None


def _render_domain(ctx: Any, domain: Any) -> str:
    from mig_core.autogenerate.render import render_sql_text

    ctx.imports.add(PG_IMPORT)
    args = [repr(str(domain.name)), ctx.render_type(domain.data_type)]
    for attr in ("collation", "constraint_name", "schema"):
        value = getattr(domain, attr, None)
        if value is not None:
            args.append(f"{attr}={str(value)!r}")
    if domain.default is not None:
        args.append(f"default={render_sql_text(ctx, domain.default)!r}")
    if domain.not_null:
        args.append("not_null=True")
    if domain.check is not None:
        args.append(f"check={render_sql_text(ctx, domain.check)!r}")
    if not domain.create_type:
        args.append("create_type=False")
    return f"postgresql.DOMAIN({', '.join(args)})"


# --- operations ------------------------------------------------------------------------------


def _schema(ctx: Any, schema: str | None) -> list[str]:
    return [] if schema is None or ctx.in_batch else [f"schema={schema!r}"]


def _call(ctx: Any, name: str, args: list[str]) -> str:
    return f"{ctx.op(name)}({', '.join(args)})"


def _comment(text: str) -> list[str]:
    return ["# " + line for line in textwrap.wrap(text, width=92)]


def render_exclude(ctx: Any, op: CreateExcludeConstraintOp) -> str:
    from mig_core.autogenerate.render import render_name, render_sql_text

    args = [render_name(ctx, op.constraint_name)]
    if not ctx.in_batch:
        args.append(repr(op.table_name))
    for element, operator in op.elements:
        if isinstance(element, str):
            args.append(f"({element!r}, {operator!r})")
        elif getattr(element, "name", None) and getattr(element, "table", None) is not None:
            args.append(f"({str(element.name)!r}, {operator!r})")
        else:
            text = render_sql_text(ctx, element)
            args.append(f"({ctx.sa('text')}({text!r}), {operator!r})")
    if op.where is not None:
        args.append(f"where={ctx.sa('text')}({render_sql_text(ctx, op.where)!r})")
    for key in ("using", "deferrable", "initially", "ops"):
        value = op.kw.get(key)
        if value is not None:
            args.append(f"{key}={value!r}")
    args += _schema(ctx, op.schema)
    return _call(ctx, "create_exclude_constraint", args)


def render_create_table(ctx: Any, op: Any) -> list[str] | None:
    """The core's create_table plus one create_exclude_constraint per exclusion constraint."""
    from sqlalchemy.dialects.postgresql import ExcludeConstraint

    from mig_core.autogenerate.render import render_create_table as core_create_table

    table = op.to_table()
    exclusions = [c for c in table.constraints if isinstance(c, ExcludeConstraint)]
    if not exclusions:
        return None
    lines = [core_create_table(ctx, op)]
    for constraint in sorted(exclusions, key=lambda c: str(c.name)):
        lines.append(render_exclude(ctx, CreateExcludeConstraintOp.from_constraint(constraint)))
    return lines


def render_op(ctx: Any, op: Any) -> str | list[str] | None:
    """Source for this plugin's operations; None for any other."""
    from mig_core.operations.ops import CreateTableOp
    from mig_postgres.serial import SerialIdentityOp
    from mig_postgres.serial import render as render_serial

    if isinstance(op, CreateTableOp):
        return render_create_table(ctx, op)
    if isinstance(op, SerialIdentityOp):
        return render_serial(ctx, op)
    if isinstance(op, CreateExcludeConstraintOp):
        return render_exclude(ctx, op)
    if isinstance(op, CreateEnumOp):
        return _call(ctx, "create_enum", [repr(op.enum_name), repr(op.values),
                                          *_schema(ctx, op.schema)])
    if isinstance(op, DropEnumOp):
        args = [repr(op.enum_name), *_schema(ctx, op.schema)]
        if op.existing_values is not None:
            args.append(f"existing_values={op.existing_values!r}")
        return _call(ctx, "drop_enum", args)
    if isinstance(op, (AddEnumValueOp, DropEnumValueOp)):
        name = "add_enum_value" if isinstance(op, AddEnumValueOp) else "drop_enum_value"
        args = [repr(op.enum_name), repr(op.value), *_schema(ctx, op.schema)]
        if op.before is not None:
            args.append(f"before={op.before!r}")
        if op.after is not None:
            args.append(f"after={op.after!r}")
        if isinstance(op, DropEnumValueOp):
            note = (f"rows holding {op.value!r} make this fail: update them to another value "
                    "first.")
            return [*_comment(note), _call(ctx, name, args)]
        if isinstance(op, AddEnumValueOp):
            if op.if_not_exists:
                args.append("if_not_exists=True")
            if op.autocommit is not None:
                args.append(f"autocommit={op.autocommit!r}")
        return _call(ctx, name, args)
    if isinstance(op, RenameEnumValueOp):
        return _call(ctx, "rename_enum_value", [repr(op.enum_name), repr(op.old_value),
                                                repr(op.new_value), *_schema(ctx, op.schema)])
    if isinstance(op, AlterEnumOp):
        args = [repr(op.enum_name), repr(op.values), *_schema(ctx, op.schema)]
        if op.existing_values is not None:
            args.append(f"existing_values={op.existing_values!r}")
        if op.autocommit is not None:
            args.append(f"autocommit={op.autocommit!r}")
        return [*_comment(op.comment or ""), _call(ctx, "alter_enum", args)]
    if isinstance(op, CreateSequenceOp):
        args = [repr(op.sequence_name), *_schema(ctx, op.schema)]
        for key, value in op.kw.items():
            if value is None:  # not given: the server's default (data_type None is bigint)
                continue
            if key == "data_type":
                from sqlalchemy.types import to_instance

                args.append(f"data_type={ctx.render_type(to_instance(value))}")
            else:
                args.append(f"{key}={value!r}")
        return _call(ctx, "create_sequence", args)
    if isinstance(op, DropSequenceOp):
        return _call(ctx, "drop_sequence", [repr(op.sequence_name), *_schema(ctx, op.schema)])
    return None
