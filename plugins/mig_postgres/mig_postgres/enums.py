"""The enum lifecycle in autogenerate: CREATE TYPE before the first user, DROP TYPE after the last.

For each enum type the model uses (``sa.Enum(..., name=...)`` with a native enum, or
``postgresql.ENUM``, directly or as an ARRAY item) and each enum the database has in the
compared schemas:

* only in the model: ``op.create_enum`` at the start of the upgrade (before the tables);
* only in the database, and nothing left using it once the upgrade has run: ``op.drop_enum``
  at the end (after the tables and columns using it are gone); still used by something the
  comparison does not touch (a view, a function, a table outside the compared set): kept;
* values added, order of the existing ones kept: ``op.add_enum_value`` at the start;
* values removed or reordered: the additions at the start, then ``op.alter_enum`` at the end,
  with a comment saying which values go and that a renamed value is better written as
  ``op.rename_enum_value`` (autogenerate cannot tell a rename from a removal).

Every one of these reverses exactly, so the downgrade drops what the upgrade created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mig_core.errors import CommandError
from mig_core.operations.opbase import MigrateOperation
from mig_postgres.impl import addition_plan, named_types_of
from mig_postgres.ops import AddEnumValueOp, AlterEnumOp, CreateEnumOp, DropEnumOp

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.autogenerate.context import CompareContext
    from mig_postgres.catalog import PgCatalog


@dataclass
class ModelEnum:
    """An enum type as the model declares it, with the columns using it."""

    schema: str  # the real schema name
    name: str
    values: list[str]
    columns: set[tuple[str, str, str]] = field(default_factory=set)  # (schema, table, column)


def _may_name_types(cls: type) -> bool:
    """Whether instances of a column type class may use a named type (decided per class).

    Plain types (INTEGER, VARCHAR ...) are most of a model and never do; the others, and any
    type with a ``with_variant`` mapping, go through :func:`named_types_of`.
    """
    from sqlalchemy.types import ARRAY, Boolean, SchemaType, TypeDecorator

    return issubclass(cls, (SchemaType, TypeDecorator, ARRAY)) and not issubclass(cls, Boolean)


def model_enums(ctx: CompareContext, cat: PgCatalog,
                tables: dict[tuple[str | None, str], sa.Table]) -> dict[tuple[str, str], ModelEnum]:
    """Every native enum the model's tables use, by (real schema, name)."""
    from sqlalchemy.dialects.postgresql import ENUM

    found: dict[tuple[str, str], ModelEnum] = {}
    classes: dict[type, bool] = {}
    for (schema, table_name), table in tables.items():
        table_schema = schema or cat.default_schema
        for column in table.columns:
            type_ = column.type
            may = classes.get(type_.__class__)
            if may is None:
                may = classes[type_.__class__] = _may_name_types(type_.__class__)
            if not may and not type_._variant_mapping:
                continue
            for named in named_types_of(column.type, ctx.dialect):
                if not isinstance(named, ENUM) or not named.name:
                    continue
                enum_schema = named.schema or cat.default_schema
                key = (enum_schema, str(named.name))
                values = list(named.enums)
                entry = found.get(key)
                if entry is None:
                    entry = found[key] = ModelEnum(enum_schema, str(named.name), values)
                elif entry.values != values:
                    raise CommandError(
                        f"enum type {'.'.join(key)!r} is declared with different values: "
                        f"{entry.values!r} and {values!r} (column {table_name}.{column.name})"
                    )
                entry.columns.add((table_schema, table_name, column.name))
    return found


def _included(ctx: CompareContext, name: str, schema: str | None, obj: Any, reflected: bool,
              compare_to: Any) -> bool:
    if not ctx.run_name_filters(name, "enum", {"schema_name": schema}):
        return False
    return not ctx.has_object_filters or ctx.run_object_filters(
        obj, name, "enum", reflected, compare_to
    )


def enums_owned_elsewhere(ctx: CompareContext) -> bool:
    """Whether a library took ``op.add_enum_value`` over with Alembic's
    ``Operations.register_operation`` (alembic-postgresql-enum does): it then manages enum
    types itself, and this plugin's operations would reach its implementation."""
    from mig_core.operations import custom

    manager = getattr(ctx.migration_context, "plugin_manager", None)
    if manager is None:
        return False
    custom.install(manager)
    entry = manager.operations.entries.get("add_enum_value")
    return entry is not None and entry.alembic_style


def compare_enums(
    ctx: CompareContext, cat: PgCatalog, schemas: list[str | None]
) -> tuple[list[MigrateOperation], list[MigrateOperation]]:
    """(operations for the start of the upgrade, operations for its end); none when another
    library manages enum types (:func:`enums_owned_elsewhere`)."""
    if enums_owned_elsewhere(ctx):
        return [], []
    tables = ctx.model_tables(schemas)
    model = model_enums(ctx, cat, tables)
    compared = {s or cat.default_schema for s in schemas}
    enum_schemas = compared | {schema for schema, _ in model}
    database = {key: enum for key, enum in cat.enums.items() if key[0] in enum_schemas}
    start: list[MigrateOperation] = []
    end: list[MigrateOperation] = []

    def op_schema(schema: str) -> str | None:
        return None if schema == cat.default_schema else schema

    for key in sorted(model):
        wanted = model[key]
        schema = op_schema(wanted.schema)
        existing = database.get(key)
        if not _included(ctx, wanted.name, schema, wanted, False, existing):
            continue
        if existing is None:
            start.append(CreateEnumOp(wanted.name, wanted.values, schema=schema))
            continue
        if existing.labels == wanted.values:
            continue
        start_ops, end_ops = _value_changes(wanted.name, schema, existing.labels, wanted.values)
        start.extend(start_ops)
        end.extend(end_ops)
    kept_tables = {(s or cat.default_schema, n): t for (s, n), t in tables.items()}
    for key in sorted(set(database) - set(model)):
        if key[0] not in compared:
            continue  # only the compared schemas lose types; a model enum's schema is read only
        enum = database[key]
        schema = op_schema(enum.schema)
        if not _included(ctx, enum.name, schema, enum, True, None):
            continue
        if _still_used(ctx, cat, key, compared, kept_tables):
            continue
        end.append(DropEnumOp(enum.name, schema=schema, existing_values=enum.labels))
    return start, end


def _value_changes(
    name: str, schema: str | None, existing: list[str], values: list[str]
) -> tuple[list[MigrateOperation], list[MigrateOperation]]:
    """ADD VALUE operations for the start; an alter_enum for the end when values go or move."""
    start: list[MigrateOperation] = []
    plan = addition_plan(existing, values)
    if plan is not None:
        for value, before, after in plan:
            start.append(AddEnumValueOp(name, value, schema=schema, before=before, after=after))
        return start, []
    # add the new values first (after their nearest kept predecessor), so new columns and
    # defaults can use them; the removals and the final order come at the end
    interim = list(existing)
    for position, value in enumerate(values):
        if value in interim:
            continue
        predecessor = next((v for v in reversed(values[:position]) if v in interim), None)
        if predecessor is None:
            before = interim[0] if interim else None
            start.append(AddEnumValueOp(name, value, schema=schema, before=before))
            interim.insert(0, value)
        else:
            at_end = interim[-1] == predecessor
            start.append(AddEnumValueOp(name, value, schema=schema,
                                        after=None if at_end else predecessor))
            interim.insert(interim.index(predecessor) + 1, value)
    removed = [v for v in existing if v not in values]
    comment = None
    if removed:
        added = [v for v in values if v not in existing]
        comment = (
            f"enum {name!r}: values {removed!r} are removed; rows holding them make this fail "
            "(update them first)."
        )
        if added:
            comment += (
                f" If a removed value was renamed to one of {added!r}, write "
                f"op.rename_enum_value({name!r}, <old>, <new>) instead of the add and this."
            )
    else:
        comment = f"enum {name!r}: the values are reordered, so the type is recreated."
    end: list[MigrateOperation] = [
        AlterEnumOp(name, values, schema=schema, existing_values=interim, comment=comment)
    ]
    return start, end


def _still_used(
    ctx: CompareContext,
    cat: PgCatalog,
    key: tuple[str, str],
    compared: set[str],
    kept_tables: dict[tuple[str, str], sa.Table],
) -> bool:
    """Whether something still uses a database enum the model no longer has after the upgrade."""
    if key in cat.enums_used_elsewhere:
        return True
    for user in cat.enum_users.get(key, ()):
        if user.relkind not in ("r", "p") or user.schema not in compared:
            return True  # a view, composite type, or a table this comparison does not manage
        table = kept_tables.get((user.schema, user.relation))
        if table is None:
            schema = None if user.schema == cat.default_schema else user.schema
            if (schema, user.relation) not in ctx.dropped_tables:
                return True  # a table the filters hide or leave alone: it stays as it is
            continue  # the table is dropped
        # by name: a model column's key may differ from it
        column = next((c for c in table.columns if c.name == user.column), None)
        if column is None:
            continue  # the column is dropped
        from sqlalchemy.dialects.postgresql import ENUM

        for named in named_types_of(column.type, ctx.dialect):
            if isinstance(named, ENUM) and (named.schema or cat.default_schema, named.name) == key:
                return True
    return False
