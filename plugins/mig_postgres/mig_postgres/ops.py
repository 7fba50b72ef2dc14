"""PostgreSQL operations: exclusion constraints, enum types and their values, sequences.

Each is an operation object (reversible where the definition is known, with a diff form for
``compare_metadata``) plus the ``op.<name>`` directive that builds and invokes it. The
directives are registered through ``mig_register_operations`` (see plugin.py)::

    op.create_exclude_constraint("no_overlap", "booking", ("room", "="), ("during", "&&"),
                                 using="gist", where="NOT cancelled")
    op.create_enum("mood", ["sad", "ok", "happy"], schema="app")
    op.add_enum_value("mood", "angry", after="sad", schema="app")
    op.alter_enum("mood", ["sad", "happy"], existing_values=["sad", "ok", "happy"])
    op.create_sequence("invoice_no", start=1000)

Enum and exclusion-constraint operations run only on PostgreSQL; elsewhere they stop with a
one-line error naming the operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, ClassVar

from mig_core.errors import CommandError
from mig_core.operations.constraint_ops import AddConstraintOp, DropConstraintOp
from mig_core.operations.directives import directive
from mig_core.operations.opbase import (
    IrreversibleOperationError,
    MigrateOperation,
    OperationArgumentError,
    _qualified,
    _schema_obj,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.operations.base import BatchOperations, Operations
    from mig_core.operations.schemaobj import SchemaObjects

#: ``create_exclude_constraint`` keywords besides the elements
EXCLUDE_OPTIONS = ("where", "using", "deferrable", "initially", "ops")


def require_postgresql(impl: Any, op: MigrateOperation) -> Any:
    """The impl when it is PostgreSQL's; else a one-line error naming the operation."""
    if getattr(impl, "dialect_name", None) != "postgresql" or not hasattr(impl, "create_enum"):
        raise CommandError(
            f"{op.describe()} is a PostgreSQL operation (mig-postgres); this run's dialect is "
            f"{impl.dialect.name!r}"
        )
    return impl


def _check_values(what: str, values: Any) -> list[str]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise OperationArgumentError(
            f"{what}: values must be a list of strings, got {type(values).__name__} {values!r}"
        )
    out = list(values)
    for value in out:
        if not isinstance(value, str):
            raise OperationArgumentError(
                f"{what}: enum values must be strings, got {type(value).__name__} {value!r}"
            )
    if len(set(out)) != len(out):
        raise OperationArgumentError(f"{what}: values contain duplicates: {out!r}")
    return out


def _require_name(what: str, argument: str, value: Any) -> None:
    if not isinstance(value, str):
        raise OperationArgumentError(
            f"{what}: {argument} must be a string, got {type(value).__name__} {value!r}"
        )


# --- exclusion constraints ---------------------------------------------------------------------


class CreateExcludeConstraintOp(AddConstraintOp):
    """``op.create_exclude_constraint(name, table, *elements, where=, using=, ...)``.

    ``elements`` are ``(column name or SQL expression, operator)`` pairs; reversed it is a
    ``drop_constraint(name, table)`` (no ``type_``, as PostgreSQL needs none).
    """

    op_name = "create_exclude_constraint"
    constraint_type: ClassVar[str] = None  # type: ignore[assignment]

    def __init__(
        self,
        constraint_name: Any,
        table_name: str,
        elements: Sequence[tuple[Any, str]],
        *,
        schema: str | None = None,
        where: Any = None,
        **kw: Any,
    ) -> None:
        self.constraint_name = constraint_name
        self.table_name = table_name
        self.elements = [tuple(e) for e in elements]
        self.schema = schema
        self.where = where
        self.kw = kw
        self._orig_constraint: Any = None

    def to_constraint(self, schema_obj: SchemaObjects | None = None) -> sa.Constraint:
        if self._orig_constraint is not None and schema_obj is None:
            return self._orig_constraint  # type: ignore[no-any-return]
        import sqlalchemy as sa
        from sqlalchemy.dialects.postgresql import ExcludeConstraint

        objects = _schema_obj(schema_obj)
        names = [e for e, _ in self.elements if isinstance(e, str)]
        table = objects._stub_table(self.table_name, names, self.schema, objects.metadata())
        exprs = [(table.c[e] if isinstance(e, str) else e, operator) for e, operator in
                 self.elements]
        where = sa.text(self.where) if isinstance(self.where, str) else self.where
        constraint = ExcludeConstraint(*exprs, name=self.constraint_name, where=where, **self.kw)
        table.append_constraint(constraint)
        return constraint

    @classmethod
    def from_constraint(cls, constraint: Any) -> CreateExcludeConstraintOp:
        """The op creating an ``ExcludeConstraint`` that is attached to a table."""
        table = constraint.table
        elements: list[tuple[Any, str]] = []
        for expr, _name, operator in constraint._render_exprs:
            if getattr(expr, "table", None) is table and getattr(expr, "name", None):
                elements.append((expr.name, operator))
            else:
                elements.append((expr, operator))
        kw: dict[str, Any] = {}
        if constraint.using:
            kw["using"] = constraint.using
        for key in ("deferrable", "initially"):
            if getattr(constraint, key, None) is not None:
                kw[key] = getattr(constraint, key)
        if getattr(constraint, "ops", None):
            kw["ops"] = dict(constraint.ops)
        op = cls(
            constraint.name, table.name, elements, schema=table.schema, where=constraint.where,
            **kw,
        )
        op._orig_constraint = constraint
        return op

    def run_on_impl(self, impl: Any) -> None:
        require_postgresql(impl, self)
        impl.add_constraint(self.to_constraint(_impl_schema_obj(impl)))


def _impl_schema_obj(impl: Any) -> SchemaObjects:
    from mig_core.operations.schemaobj import SchemaObjects

    return SchemaObjects.for_options(getattr(impl, "context_opts", None))


def drop_exclude_constraint_op(create: CreateExcludeConstraintOp) -> DropConstraintOp:
    """The reversible drop of the exclusion constraint ``create`` makes."""
    return DropConstraintOp(
        create.constraint_name, create.table_name, type_=None, schema=create.schema,
        _reverse=create,
    )


@directive
def create_exclude_constraint(
    operations: Operations,
    constraint_name: str | None,
    table_name: str,
    *elements: tuple[Any, str],
    schema: str | None = None,
    **kw: Any,
) -> None:
    """ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE USING <using> (<element> WITH <op>, ...).

    ``kw``: ``where`` (SQL string or expression), ``using`` (default ``gist``), ``deferrable``,
    ``initially``, ``ops`` (operator classes by column name).
    """
    what = f"create_exclude_constraint({constraint_name!r})"
    _require_name(what, "table_name", table_name)
    unknown = sorted(set(kw) - set(EXCLUDE_OPTIONS))
    if unknown:
        raise OperationArgumentError(
            f"{what}: unexpected keyword argument {unknown[0]!r} (allowed: "
            f"{', '.join(EXCLUDE_OPTIONS)}, schema)"
        )
    if not elements:
        raise OperationArgumentError(f"{what}: give at least one (column, operator) element")
    for element in elements:
        if not isinstance(element, (tuple, list)) or len(element) != 2:
            raise OperationArgumentError(
                f"{what}: each element must be a (column or expression, operator) pair, got "
                f"{element!r}"
            )
    where = kw.pop("where", None)
    op = CreateExcludeConstraintOp(
        constraint_name, table_name, list(elements), schema=schema, where=where, **kw
    )
    if operations.impl.dialect.name != "postgresql":
        require_postgresql(operations.impl, op)
    operations.invoke(op)


@create_exclude_constraint.batch
def _batch_create_exclude_constraint(
    operations: BatchOperations, constraint_name: str | None, *elements: tuple[Any, str],
    **kw: Any,
) -> None:
    create_exclude_constraint(
        operations, constraint_name, operations.table_name, *elements, schema=operations.schema,
        **kw,
    )


# --- enum types --------------------------------------------------------------------------------


class EnumOp(MigrateOperation):
    """Base of the enum operations: the type's name and schema."""

    enum_name: str
    schema: str | None

    def describe(self) -> str:
        return f"{self.op_name}({_qualified(self.enum_name, self.schema)!r})"


class CreateEnumOp(EnumOp):
    """``op.create_enum(name, values)``: CREATE TYPE ... AS ENUM."""

    op_name = "create_enum"

    def __init__(
        self,
        enum_name: str,
        values: Sequence[str],
        *,
        schema: str | None = None,
        if_not_exists: bool = False,
    ) -> None:
        self.enum_name = enum_name
        self.values = list(values)
        self.schema = schema
        self.if_not_exists = if_not_exists

    def reverse(self) -> DropEnumOp:
        return DropEnumOp(self.enum_name, schema=self.schema, existing_values=self.values)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_enum", self.schema, self.enum_name, tuple(self.values))

    def run_on_impl(self, impl: Any) -> None:
        require_postgresql(impl, self).create_enum(
            self.enum_name, self.values, self.schema, if_not_exists=self.if_not_exists
        )


class DropEnumOp(EnumOp):
    """``op.drop_enum(name)``: DROP TYPE (reversible when ``existing_values`` is given)."""

    op_name = "drop_enum"

    def __init__(
        self,
        enum_name: str,
        *,
        schema: str | None = None,
        if_exists: bool = False,
        cascade: bool = False,
        existing_values: Sequence[str] | None = None,
    ) -> None:
        self.enum_name = enum_name
        self.schema = schema
        self.if_exists = if_exists
        self.cascade = cascade
        self.existing_values = list(existing_values) if existing_values is not None else None

    def reverse(self) -> CreateEnumOp:
        if self.existing_values is None:
            raise IrreversibleOperationError(
                f"{self.describe()} is not reversible: pass existing_values=[...] so the type "
                "can be created again"
            )
        return CreateEnumOp(self.enum_name, self.existing_values, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_enum", self.schema, self.enum_name, tuple(self.existing_values or ()))

    def run_on_impl(self, impl: Any) -> None:
        require_postgresql(impl, self).drop_enum(
            self.enum_name, self.schema, if_exists=self.if_exists, cascade=self.cascade
        )


class AddEnumValueOp(EnumOp):
    """``op.add_enum_value(name, value, before=|after=)``: ALTER TYPE ... ADD VALUE.

    ``autocommit``: True runs it in an autocommit block (needed when the same migration then
    uses the new value, or on servers before PostgreSQL 12 inside a transaction); None chooses
    (online on a server older than 12: autocommit, else inside the migration's transaction).
    """

    op_name = "add_enum_value"

    def __init__(
        self,
        enum_name: str,
        value: str,
        *,
        schema: str | None = None,
        before: str | None = None,
        after: str | None = None,
        if_not_exists: bool = False,
        autocommit: bool | None = None,
    ) -> None:
        self.enum_name = enum_name
        self.value = value
        self.schema = schema
        self.before = before
        self.after = after
        self.if_not_exists = if_not_exists
        self.autocommit = autocommit

    def reverse(self) -> DropEnumValueOp:
        return DropEnumValueOp(
            self.enum_name, self.value, schema=self.schema, before=self.before, after=self.after
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_enum_value", self.schema, self.enum_name, self.value)

    def run_on_impl(self, impl: Any) -> None:
        require_postgresql(impl, self).add_enum_value(
            self.enum_name, self.value, self.schema, before=self.before, after=self.after,
            if_not_exists=self.if_not_exists,
        )


class DropEnumValueOp(EnumOp):
    """``op.drop_enum_value(name, value)``: the type is recreated without the value.

    Rows holding the value make it fail (with the column named). ``before`` / ``after`` only
    record where the value was, for the reverse ``add_enum_value``.
    """

    op_name = "drop_enum_value"

    def __init__(
        self,
        enum_name: str,
        value: str,
        *,
        schema: str | None = None,
        before: str | None = None,
        after: str | None = None,
    ) -> None:
        self.enum_name = enum_name
        self.value = value
        self.schema = schema
        self.before = before
        self.after = after

    def reverse(self) -> AddEnumValueOp:
        return AddEnumValueOp(
            self.enum_name, self.value, schema=self.schema, before=self.before, after=self.after
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_enum_value", self.schema, self.enum_name, self.value)

    def run_on_impl(self, impl: Any) -> None:
        require_postgresql(impl, self).drop_enum_value(self.enum_name, self.value, self.schema)


class RenameEnumValueOp(EnumOp):
    """``op.rename_enum_value(name, old, new)``: rows holding ``old`` then hold ``new``."""

    op_name = "rename_enum_value"

    def __init__(
        self, enum_name: str, old_value: str, new_value: str, *, schema: str | None = None
    ) -> None:
        self.enum_name = enum_name
        self.old_value = old_value
        self.new_value = new_value
        self.schema = schema

    def reverse(self) -> RenameEnumValueOp:
        return RenameEnumValueOp(
            self.enum_name, self.new_value, self.old_value, schema=self.schema
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_enum_value", self.schema, self.enum_name, self.old_value, self.new_value)

    def run_on_impl(self, impl: Any) -> None:
        require_postgresql(impl, self).rename_enum_value(
            self.enum_name, self.old_value, self.new_value, self.schema
        )


class AlterEnumOp(EnumOp):
    """``op.alter_enum(name, values, existing_values=...)``: the type gets exactly ``values``.

    Additions that keep the order become ``ADD VALUE``; removals or a new order recreate the
    type (rows holding a removed value make it fail, naming the column). ``comment`` is a note
    for the rendered migration (what a human should check), never executed. ``autocommit``
    as for :class:`AddEnumValueOp` (it matters when values are added); ``reverse_autocommit``
    is the ``autocommit`` of the reverse operation.
    """

    op_name = "alter_enum"

    def __init__(
        self,
        enum_name: str,
        values: Sequence[str],
        *,
        schema: str | None = None,
        existing_values: Sequence[str] | None = None,
        comment: str | None = None,
        autocommit: bool | None = None,
        reverse_autocommit: bool | None = None,
    ) -> None:
        self.enum_name = enum_name
        self.values = list(values)
        self.schema = schema
        self.existing_values = list(existing_values) if existing_values is not None else None
        self.comment = comment
        self.autocommit = autocommit
        self.reverse_autocommit = reverse_autocommit

    @property
    def removed_values(self) -> list[str]:
        return [v for v in self.existing_values or () if v not in self.values]

    def reverse(self) -> AlterEnumOp:
        if self.existing_values is None:
            raise IrreversibleOperationError(
                f"{self.describe()} is not reversible: pass existing_values=[...]"
            )
        return AlterEnumOp(
            self.enum_name, self.existing_values, schema=self.schema, existing_values=self.values,
            autocommit=self.reverse_autocommit, reverse_autocommit=self.autocommit,
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return (
            "alter_enum", self.schema, self.enum_name, tuple(self.existing_values or ()),
            tuple(self.values),
        )

    def run_on_impl(self, impl: Any) -> None:
        require_postgresql(impl, self).alter_enum(
            self.enum_name, self.values, self.schema, existing_values=self.existing_values
        )


def _autocommit_block(operations: Operations, autocommit: bool | None) -> AbstractContextManager[Any]:
    """An autocommit block when asked, or when the server needs one for ``ADD VALUE``."""
    ctx = operations.migration_context
    if autocommit is None:
        impl = operations.impl
        version = getattr(impl, "server_version", None)
        autocommit = bool(
            version is not None and version < (12,) and ctx.in_transaction
            and not getattr(ctx, "_in_external_transaction", False)
        )
    if not autocommit:
        return nullcontext()
    if getattr(operations, "is_batch", False):
        raise CommandError("add_enum_value(autocommit=True) cannot run inside a batch")
    return ctx.autocommit_block()  # type: ignore[no-any-return]


@directive
def create_enum(
    operations: Operations,
    enum_name: str,
    values: Sequence[str],
    *,
    schema: str | None = None,
    if_not_exists: bool = False,
) -> None:
    """CREATE TYPE <name> AS ENUM (<values>)."""
    what = f"create_enum({enum_name!r})"
    _require_name("create_enum", "enum_name", enum_name)
    operations.invoke(
        CreateEnumOp(enum_name, _check_values(what, values), schema=schema,
                     if_not_exists=if_not_exists)
    )


@directive
def drop_enum(
    operations: Operations,
    enum_name: str,
    *,
    schema: str | None = None,
    if_exists: bool = False,
    cascade: bool = False,
    existing_values: Sequence[str] | None = None,
) -> None:
    """DROP TYPE <name> (``existing_values`` makes the operation reversible)."""
    what = f"drop_enum({enum_name!r})"
    _require_name("drop_enum", "enum_name", enum_name)
    values = _check_values(what, existing_values) if existing_values is not None else None
    operations.invoke(
        DropEnumOp(enum_name, schema=schema, if_exists=if_exists, cascade=cascade,
                   existing_values=values)
    )


@directive
def add_enum_value(
    operations: Operations,
    enum_name: str,
    value: str,
    *,
    schema: str | None = None,
    before: str | None = None,
    after: str | None = None,
    if_not_exists: bool = False,
    autocommit: bool | None = None,
) -> None:
    """ALTER TYPE <name> ADD VALUE <value> [BEFORE|AFTER <other>] (see AddEnumValueOp)."""
    what = f"add_enum_value({enum_name!r}, {value!r})"
    _require_name("add_enum_value", "enum_name", enum_name)
    _require_name(what, "value", value)
    if before is not None and after is not None:
        raise OperationArgumentError(f"{what}: give before or after, not both")
    op = AddEnumValueOp(
        enum_name, value, schema=schema, before=before, after=after,
        if_not_exists=if_not_exists, autocommit=autocommit,
    )
    with _autocommit_block(operations, autocommit):
        operations.invoke(op)


@directive
def drop_enum_value(
    operations: Operations,
    enum_name: str,
    value: str,
    *,
    schema: str | None = None,
    before: str | None = None,
    after: str | None = None,
) -> None:
    """Remove a value from an enum type (recreates the type; see DropEnumValueOp)."""
    what = f"drop_enum_value({enum_name!r}, {value!r})"
    _require_name("drop_enum_value", "enum_name", enum_name)
    _require_name(what, "value", value)
    operations.invoke(
        DropEnumValueOp(enum_name, value, schema=schema, before=before, after=after)
    )


@directive
def rename_enum_value(
    operations: Operations,
    enum_name: str,
    old_value: str,
    new_value: str,
    *,
    schema: str | None = None,
) -> None:
    """ALTER TYPE <name> RENAME VALUE <old> TO <new>."""
    what = f"rename_enum_value({enum_name!r})"
    _require_name("rename_enum_value", "enum_name", enum_name)
    _require_name(what, "old_value", old_value)
    _require_name(what, "new_value", new_value)
    operations.invoke(RenameEnumValueOp(enum_name, old_value, new_value, schema=schema))


@directive
def alter_enum(
    operations: Operations,
    enum_name: str,
    values: Sequence[str],
    *,
    schema: str | None = None,
    existing_values: Sequence[str] | None = None,
    autocommit: bool | None = None,
) -> None:
    """Give an enum type exactly ``values`` (see AlterEnumOp)."""
    what = f"alter_enum({enum_name!r})"
    _require_name("alter_enum", "enum_name", enum_name)
    new = _check_values(what, values)
    existing = _check_values(what, existing_values) if existing_values is not None else None
    op = AlterEnumOp(enum_name, new, schema=schema, existing_values=existing,
                     autocommit=autocommit)
    adding_only = existing is not None and [v for v in new if v in existing] == existing
    with _autocommit_block(operations, autocommit if adding_only or autocommit else False):
        operations.invoke(op)


# --- sequences ---------------------------------------------------------------------------------

#: ``sqlalchemy.Sequence`` options accepted by ``create_sequence``
SEQUENCE_OPTIONS = (
    "start", "increment", "minvalue", "maxvalue", "nominvalue", "nomaxvalue", "cycle", "cache",
    "order", "data_type",
)


class CreateSequenceOp(MigrateOperation):
    """``op.create_sequence(name, start=, increment=, ...)``: CREATE SEQUENCE."""

    op_name = "create_sequence"

    def __init__(
        self,
        sequence_name: str,
        *,
        schema: str | None = None,
        if_not_exists: bool = False,
        **kw: Any,
    ) -> None:
        self.sequence_name = sequence_name
        self.schema = schema
        self.if_not_exists = if_not_exists
        self.kw = kw

    def describe(self) -> str:
        return f"create_sequence({_qualified(self.sequence_name, self.schema)!r})"

    def to_sequence(self) -> sa.Sequence:
        import sqlalchemy as sa

        return sa.Sequence(self.sequence_name, schema=self.schema, **self.kw)

    def reverse(self) -> DropSequenceOp:
        return DropSequenceOp(self.sequence_name, schema=self.schema, _reverse=self)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_sequence", self.to_sequence())

    @classmethod
    def from_sequence(cls, sequence: sa.Sequence) -> CreateSequenceOp:
        kw = {k: getattr(sequence, k) for k in SEQUENCE_OPTIONS
              if getattr(sequence, k, None) is not None}
        return cls(sequence.name, schema=sequence.schema, **kw)

    def run_on_impl(self, impl: Any) -> None:
        creator = getattr(impl, "create_sequence", None)
        if creator is not None:
            creator(self.to_sequence(), if_not_exists=self.if_not_exists)
            return
        from sqlalchemy.schema import CreateSequence

        impl.execute(CreateSequence(self.to_sequence(), if_not_exists=self.if_not_exists))


class DropSequenceOp(MigrateOperation):
    """``op.drop_sequence(name)``: DROP SEQUENCE (reversible when built from a sequence)."""

    op_name = "drop_sequence"

    def __init__(
        self,
        sequence_name: str,
        *,
        schema: str | None = None,
        if_exists: bool = False,
        _reverse: CreateSequenceOp | None = None,
    ) -> None:
        self.sequence_name = sequence_name
        self.schema = schema
        self.if_exists = if_exists
        self._reverse = _reverse

    def describe(self) -> str:
        return f"drop_sequence({_qualified(self.sequence_name, self.schema)!r})"

    def to_sequence(self) -> sa.Sequence:
        if self._reverse is not None:
            return self._reverse.to_sequence()
        import sqlalchemy as sa

        return sa.Sequence(self.sequence_name, schema=self.schema)

    def reverse(self) -> CreateSequenceOp:
        if self._reverse is None:
            raise IrreversibleOperationError(
                f"{self.describe()} is not reversible: the sequence's definition is unknown "
                "(build the op with DropSequenceOp.from_sequence())"
            )
        return self._reverse

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_sequence", self.to_sequence())

    @classmethod
    def from_sequence(cls, sequence: sa.Sequence) -> DropSequenceOp:
        create = CreateSequenceOp.from_sequence(sequence)
        return cls(sequence.name, schema=sequence.schema, _reverse=create)

    def run_on_impl(self, impl: Any) -> None:
        dropper = getattr(impl, "drop_sequence", None)
        if dropper is not None:
            dropper(self.to_sequence(), if_exists=self.if_exists)
            return
        from sqlalchemy.schema import DropSequence

        impl.execute(DropSequence(self.to_sequence(), if_exists=self.if_exists))


@directive
def create_sequence(
    operations: Operations,
    sequence_name: str,
    *,
    schema: str | None = None,
    if_not_exists: bool = False,
    **kw: Any,
) -> None:
    """CREATE SEQUENCE (``kw``: start, increment, minvalue, maxvalue, cycle, cache, data_type...)."""
    what = f"create_sequence({sequence_name!r})"
    _require_name("create_sequence", "sequence_name", sequence_name)
    unknown = sorted(set(kw) - set(SEQUENCE_OPTIONS))
    if unknown:
        raise OperationArgumentError(
            f"{what}: unexpected keyword argument {unknown[0]!r} (allowed: "
            f"{', '.join(SEQUENCE_OPTIONS)})"
        )
    operations.invoke(
        CreateSequenceOp(sequence_name, schema=schema, if_not_exists=if_not_exists, **kw)
    )


@directive
def drop_sequence(
    operations: Operations,
    sequence_name: str,
    *,
    schema: str | None = None,
    if_exists: bool = False,
) -> None:
    """DROP SEQUENCE."""
    _require_name("drop_sequence", "sequence_name", sequence_name)
    operations.invoke(DropSequenceOp(sequence_name, schema=schema, if_exists=if_exists))

