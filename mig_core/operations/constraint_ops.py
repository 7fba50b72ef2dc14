"""Operation objects for constraints and indexes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from mig_core.errors import CommandError
from mig_core.operations.opbase import (
    IrreversibleOperationError,
    MigrateOperation,
    OperationArgumentError,
    _schema_obj,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.operations.schemaobj import SchemaObjects


# --- constraints -------------------------------------------------------------------------------


class AddConstraintOp(MigrateOperation):
    """Base of the ``create_*_constraint`` / ``create_primary_key`` / ``create_foreign_key`` ops."""

    constraint_type: ClassVar[str]
    constraint_name: Any
    table_name: str
    schema: str | None
    _orig_constraint: Any

    def to_constraint(self, schema_obj: SchemaObjects | None = None) -> sa.Constraint:
        raise NotImplementedError

    def reverse(self) -> DropConstraintOp:
        return DropConstraintOp(
            self.constraint_name,
            self.table_name,
            type_=self.constraint_type,
            schema=self.schema,
            _reverse=self,
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        kind = "add_fk" if self.constraint_type == "foreignkey" else "add_constraint"
        return (kind, self.to_constraint())

    @classmethod
    def from_constraint(cls, constraint: sa.Constraint) -> AddConstraintOp:
        """The op creating ``constraint`` (a constraint attached to a Table)."""
        import sqlalchemy as sa

        table = constraint.table  # type: ignore[attr-defined]
        name = constraint.name
        if isinstance(constraint, sa.PrimaryKeyConstraint):
            op: AddConstraintOp = CreatePrimaryKeyOp(
                name, table.name, [c.name for c in constraint.columns], schema=table.schema
            )
        elif isinstance(constraint, sa.UniqueConstraint):
            extra = {k: v for k, v in (("deferrable", constraint.deferrable),
                                       ("initially", constraint.initially)) if v is not None}
            op = CreateUniqueConstraintOp(
                name, table.name, [c.name for c in constraint.columns], schema=table.schema,
                **extra, **dict(constraint.dialect_kwargs),
            )
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            referred = constraint.elements[0].column.table
            op = CreateForeignKeyOp(
                name,
                table.name,
                referred.name,
                [e.parent.name for e in constraint.elements],
                [e.column.name for e in constraint.elements],
                onupdate=constraint.onupdate,
                ondelete=constraint.ondelete,
                deferrable=constraint.deferrable,
                initially=constraint.initially,
                match=constraint.match,
                source_schema=table.schema,
                referent_schema=referred.schema,
                **dict(constraint.dialect_kwargs),
            )
        elif isinstance(constraint, sa.CheckConstraint):
            op = CreateCheckConstraintOp(
                name, table.name, constraint.sqltext, schema=table.schema,
                **dict(constraint.dialect_kwargs),
            )
        else:
            raise CommandError(f"no create operation for constraint type {type(constraint).__name__}")
        op._orig_constraint = constraint
        return op


class _ColumnsConstraintOp(AddConstraintOp):
    """A constraint over a list of the table's columns (primary key, unique)."""

    #: the SchemaObjects method that builds the constraint
    builder: ClassVar[str]

    def __init__(
        self,
        constraint_name: Any,
        table_name: str,
        columns: Sequence[str],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        self.constraint_name = constraint_name
        self.table_name = table_name
        self.columns = list(columns)
        self.schema = schema
        self.kw = kw
        self._orig_constraint: Any = None

    def to_constraint(self, schema_obj: SchemaObjects | None = None) -> sa.Constraint:
        if self._orig_constraint is not None and schema_obj is None:
            return self._orig_constraint  # type: ignore[no-any-return]
        build = getattr(_schema_obj(schema_obj), self.builder)
        return build(  # type: ignore[no-any-return]
            self.constraint_name, self.table_name, self.columns, schema=self.schema, **self.kw
        )


class CreatePrimaryKeyOp(_ColumnsConstraintOp):
    """``op.create_primary_key(name, table, columns)``."""

    op_name = "create_primary_key"
    constraint_type = "primary"
    builder = "primary_key_constraint"


class CreateUniqueConstraintOp(_ColumnsConstraintOp):
    """``op.create_unique_constraint(name, table, columns)``."""

    op_name = "create_unique_constraint"
    constraint_type = "unique"
    builder = "unique_constraint"


class CreateForeignKeyOp(AddConstraintOp):
    """``op.create_foreign_key(name, source, referent, local_cols, remote_cols)``."""

    op_name = "create_foreign_key"
    constraint_type = "foreignkey"

    def __init__(
        self,
        constraint_name: Any,
        source_table: str,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        **kw: Any,
    ) -> None:
        self.constraint_name = constraint_name
        self.source_table = source_table
        self.referent_table = referent_table
        self.local_cols = list(local_cols)
        self.remote_cols = list(remote_cols)
        self.kw = kw
        self._orig_constraint: Any = None

    @property
    def table_name(self) -> str:  # type: ignore[override]
        return self.source_table

    @property
    def schema(self) -> str | None:  # type: ignore[override]
        return self.kw.get("source_schema")  # type: ignore[no-any-return]

    def to_constraint(self, schema_obj: SchemaObjects | None = None) -> sa.Constraint:
        if self._orig_constraint is not None and schema_obj is None:
            return self._orig_constraint  # type: ignore[no-any-return]
        return _schema_obj(schema_obj).foreign_key_constraint(
            self.constraint_name,
            self.source_table,
            self.referent_table,
            self.local_cols,
            self.remote_cols,
            **self.kw,
        )


class CreateCheckConstraintOp(AddConstraintOp):
    """``op.create_check_constraint(name, table, condition)``."""

    op_name = "create_check_constraint"
    constraint_type = "check"

    def __init__(
        self,
        constraint_name: Any,
        table_name: str,
        condition: Any,
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        self.constraint_name = constraint_name
        self.table_name = table_name
        self.condition = condition
        self.schema = schema
        self.kw = kw
        self._orig_constraint: Any = None

    def to_constraint(self, schema_obj: SchemaObjects | None = None) -> sa.Constraint:
        if self._orig_constraint is not None and schema_obj is None:
            return self._orig_constraint  # type: ignore[no-any-return]
        return _schema_obj(schema_obj).check_constraint(
            self.constraint_name, self.table_name, self.condition, schema=self.schema, **self.kw
        )


class DropConstraintOp(MigrateOperation):
    """``op.drop_constraint(name, table, type_=None)``."""

    op_name = "drop_constraint"

    def __init__(
        self,
        constraint_name: Any,
        table_name: str,
        type_: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        _reverse: AddConstraintOp | None = None,
        **kw: Any,
    ) -> None:
        from mig_core.operations.schemaobj import CONSTRAINT_TYPES

        if type_ not in CONSTRAINT_TYPES:
            kinds = ", ".join(repr(k) for k in CONSTRAINT_TYPES if k)
            raise OperationArgumentError(
                f"drop_constraint({constraint_name!r}, {table_name!r}): type_ must be one of "
                f"{kinds} or None, got {type_!r}"
            )
        self.constraint_name = constraint_name
        self.table_name = table_name
        self.constraint_type = type_
        self.schema = schema
        self.if_exists = if_exists
        self.kw = kw
        self._reverse = _reverse

    def to_constraint(self, schema_obj: SchemaObjects | None = None) -> sa.Constraint:
        """The constraint to drop: the original one when known, else a named stub of its kind."""
        if self._reverse is not None:
            constraint = self._reverse.to_constraint(schema_obj)
            if self.constraint_name is not None and constraint.name is None:
                constraint.name = self.constraint_name
            return constraint
        return _schema_obj(schema_obj).generic_constraint(
            self.constraint_name, self.table_name, self.constraint_type, schema=self.schema,
            **self.kw,
        )

    def reverse(self) -> AddConstraintOp:
        if self._reverse is None:
            raise IrreversibleOperationError(
                f"drop_constraint({self.constraint_name!r}, {self.table_name!r}) is not "
                "reversible: the constraint's definition is unknown (build the op with "
                "DropConstraintOp.from_constraint())"
            )
        return self._reverse

    def to_diff_tuple(self) -> tuple[Any, ...]:
        kind = "remove_fk" if self.constraint_type == "foreignkey" else "remove_constraint"
        return (kind, self.to_constraint())

    @classmethod
    def from_constraint(cls, constraint: sa.Constraint) -> DropConstraintOp:
        """The op dropping ``constraint`` (reversible: it remembers the definition)."""
        create = AddConstraintOp.from_constraint(constraint)
        return cls(
            constraint.name,
            create.table_name,
            type_=create.constraint_type,
            schema=create.schema,
            _reverse=create,
        )


# --- indexes -------------------------------------------------------------------------------


#: the stand-in table of ``drop_index(name, schema=...)`` given no table name
UNKNOWN_TABLE = "_mig_unknown_table"


class CreateIndexOp(MigrateOperation):
    """``op.create_index(name, table, columns, unique=False)``."""

    op_name = "create_index"

    def __init__(
        self,
        index_name: Any,
        table_name: str,
        columns: Sequence[Any],
        *,
        schema: str | None = None,
        unique: bool = False,
        if_not_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        self.index_name = index_name
        self.table_name = table_name
        self.columns = list(columns)
        self.schema = schema
        self.unique = unique
        self.if_not_exists = if_not_exists
        self.kw = kw
        self._orig_index: Any = None

    def to_index(self, schema_obj: SchemaObjects | None = None) -> sa.Index:
        if self._orig_index is not None and schema_obj is None:
            return self._orig_index  # type: ignore[no-any-return]
        return _schema_obj(schema_obj).index(
            self.index_name, self.table_name, self.columns, schema=self.schema,
            unique=self.unique, **self.kw,
        )

    def reverse(self) -> DropIndexOp:
        return DropIndexOp(
            self.index_name, self.table_name, schema=self.schema, _reverse=self, **self.kw
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_index", self.to_index())

    @classmethod
    def from_index(cls, index: sa.Index) -> CreateIndexOp:
        table = index.table
        assert table is not None, "index must be attached to a table"
        columns: list[Any] = [
            expr.name if hasattr(expr, "name") and getattr(expr, "table", None) is table else expr
            for expr in index.expressions
        ]
        op = cls(
            index.name, table.name, columns, schema=table.schema, unique=bool(index.unique),
            **dict(index.kwargs),
        )
        op._orig_index = index
        return op


class DropIndexOp(MigrateOperation):
    """``op.drop_index(name, table_name=None)``."""

    op_name = "drop_index"

    def __init__(
        self,
        index_name: Any,
        table_name: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        _reverse: CreateIndexOp | None = None,
        **kw: Any,
    ) -> None:
        self.index_name = index_name
        self.table_name = table_name
        self.schema = schema
        self.if_exists = if_exists
        self.kw = kw
        self._reverse = _reverse

    def describe(self) -> str:
        return f"drop_index({self.index_name!r})"

    def to_index(self, schema_obj: SchemaObjects | None = None) -> sa.Index:
        if self._reverse is not None:
            index = self._reverse.to_index(schema_obj)
            if self.index_name is not None and index.name is None:
                index.name = self.index_name
            return index
        # only the name (and the table, on dialects that name it) matter to DROP INDEX
        if self.table_name is None and self.schema is None:
            import sqlalchemy as sa

            return sa.Index(self.index_name, **self.kw)
        return _schema_obj(schema_obj).index(
            self.index_name, self.table_name or UNKNOWN_TABLE, ["x"], schema=self.schema,
            **self.kw,
        )

    def reverse(self) -> CreateIndexOp:
        if self._reverse is None:
            raise IrreversibleOperationError(
                f"drop_index({self.index_name!r}) is not reversible: the index's columns are "
                "unknown (build the op with DropIndexOp.from_index())"
            )
        return self._reverse

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_index", self.to_index())

    @classmethod
    def from_index(cls, index: sa.Index) -> DropIndexOp:
        create = CreateIndexOp.from_index(index)
        return cls(
            index.name, create.table_name, schema=create.schema, _reverse=create, **create.kw
        )
