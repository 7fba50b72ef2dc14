"""Operation objects: every ``op.*`` call builds one, and autogenerate builds trees of them.

Each operation keeps its constructor arguments as plain attributes (renderers read them), can be
executed (``Operations.invoke(op)``), reversed (:meth:`MigrateOperation.reverse`; irreversible
ones raise :class:`IrreversibleOperationError`), and turned into a diff entry
(:meth:`MigrateOperation.to_diff_tuple`). The containers :class:`MigrationScript`,
:class:`UpgradeOps`, :class:`DowngradeOps` and :class:`ModifyTableOps` hold them.

Attribute names follow Alembic's operation objects (``modify_type``, ``existing_nullable`` ...)
so code written against those reads the same data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from mig_core.errors import CommandError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.operations.schemaobj import SchemaObjects


class IrreversibleOperationError(CommandError):
    """An operation was asked for its reverse but does not carry what the reverse needs."""


def _schema_obj(schema_obj: SchemaObjects | None) -> SchemaObjects:
    from mig_core.operations.schemaobj import SchemaObjects

    return schema_obj if schema_obj is not None else SchemaObjects()


def _qualified(table_name: str, schema: str | None) -> str:
    return f"{schema}.{table_name}" if schema else table_name


class MigrateOperation:
    """Base of every operation object and container."""

    #: the ``op.<name>`` this object stands for (used in messages)
    op_name: ClassVar[str] = "operation"

    @property
    def info(self) -> dict[Any, Any]:
        """Free-form dictionary for user code and plugins (not rendered, not compared)."""
        info = self.__dict__.get("_info")
        if info is None:
            info = self.__dict__["_info"] = {}
        return info  # type: ignore[no-any-return]

    def describe(self) -> str:
        """A short human label such as ``add_column('account.email')``, for error messages."""
        target = getattr(self, "table_name", None)
        schema = getattr(self, "schema", None)
        return f"{self.op_name}({_qualified(target, schema)!r})" if target else self.op_name

    def reverse(self) -> MigrateOperation:
        """The operation undoing this one; irreversible operations raise."""
        raise IrreversibleOperationError(f"{self.describe()} is not reversible")

    def to_diff_tuple(self) -> Any:
        """The diff entry autogenerate's ``compare_metadata`` reports for this operation."""
        raise NotImplementedError(f"{type(self).__name__} has no diff form")

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{k}={v!r}" for k, v in self.__dict__.items() if not k.startswith("_") and v is not None
        )
        return f"{type(self).__name__}({fields})"


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


class CreatePrimaryKeyOp(AddConstraintOp):
    """``op.create_primary_key(name, table, columns)``."""

    op_name = "create_primary_key"
    constraint_type = "primary"

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
        return _schema_obj(schema_obj).primary_key_constraint(
            self.constraint_name, self.table_name, self.columns, schema=self.schema, **self.kw
        )


class CreateUniqueConstraintOp(AddConstraintOp):
    """``op.create_unique_constraint(name, table, columns)``."""

    op_name = "create_unique_constraint"
    constraint_type = "unique"

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
        return _schema_obj(schema_obj).unique_constraint(
            self.constraint_name, self.table_name, self.columns, schema=self.schema, **self.kw
        )


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
            raise CommandError(
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
        # only the name (and table, for dialects that need it) matter to DROP INDEX
        return _schema_obj(schema_obj).index(
            self.index_name, self.table_name or "_mig_unknown", ["x"], schema=self.schema,
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


# --- tables --------------------------------------------------------------------------------


class CreateTableOp(MigrateOperation):
    """``op.create_table(name, *columns_and_constraints)``."""

    op_name = "create_table"

    def __init__(
        self,
        table_name: str,
        columns: Sequence[Any],
        *,
        schema: str | None = None,
        if_not_exists: bool | None = None,
        comment: str | None = None,
        info: dict[Any, Any] | None = None,
        prefixes: Sequence[str] | None = None,
        **kw: Any,
    ) -> None:
        self.table_name = table_name
        self.columns = list(columns)
        self.schema = schema
        self.if_not_exists = if_not_exists
        self.comment = comment
        self.table_info = info
        self.prefixes = list(prefixes) if prefixes else None
        self.kw = kw
        self._orig_table: Any = None
        self._built: tuple[Any, Any] | None = None

    def to_table(self, schema_obj: SchemaObjects | None = None) -> sa.Table:
        """The Table; built once per naming convention, so ``create_table`` returns that one."""
        if self._orig_table is not None and schema_obj is None:
            return self._orig_table  # type: ignore[no-any-return]
        obj = _schema_obj(schema_obj)
        key = tuple(sorted((str(k), v) for k, v in (obj.naming_convention or {}).items()))
        if self._built is not None and self._built[0] == key:
            return self._built[1]  # type: ignore[no-any-return]
        kw = dict(self.kw)
        if self.comment is not None:
            kw["comment"] = self.comment
        if self.table_info is not None:
            kw["info"] = dict(self.table_info)
        if self.prefixes:
            kw["prefixes"] = list(self.prefixes)
        table = obj.table(self.table_name, *self.columns, schema=self.schema, **kw)
        self._built = (key, table)
        return table

    def reverse(self) -> DropTableOp:
        return DropTableOp(self.table_name, schema=self.schema, _reverse=self)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_table", self.to_table())

    @classmethod
    def from_table(cls, table: sa.Table) -> CreateTableOp:
        """The op creating ``table`` (a Table from the model)."""
        op = cls(
            table.name,
            list(table.c) + list(table.constraints),
            schema=table.schema,
            comment=table.comment,
            info=dict(table.info) if table.info else None,
            prefixes=list(table._prefixes) if table._prefixes else None,
            **dict(table.kwargs),
        )
        op._orig_table = table
        return op


class DropTableOp(MigrateOperation):
    """``op.drop_table(name)``."""

    op_name = "drop_table"

    def __init__(
        self,
        table_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        table_kw: dict[str, Any] | None = None,
        _reverse: CreateTableOp | None = None,
    ) -> None:
        self.table_name = table_name
        self.schema = schema
        self.if_exists = if_exists
        self.table_kw = table_kw or {}
        self._reverse = _reverse

    def to_table(self, schema_obj: SchemaObjects | None = None) -> sa.Table:
        if self._reverse is not None:
            return self._reverse.to_table(schema_obj)
        return _schema_obj(schema_obj).table(self.table_name, schema=self.schema, **self.table_kw)

    def reverse(self) -> CreateTableOp:
        if self._reverse is None:
            raise IrreversibleOperationError(
                f"drop_table({_qualified(self.table_name, self.schema)!r}) is not reversible: "
                "the table's definition is unknown (build the op with DropTableOp.from_table())"
            )
        return self._reverse

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_table", self.to_table())

    @classmethod
    def from_table(cls, table: sa.Table) -> DropTableOp:
        return cls(table.name, schema=table.schema, _reverse=CreateTableOp.from_table(table))


class RenameTableOp(MigrateOperation):
    """``op.rename_table(old, new)``."""

    op_name = "rename_table"

    def __init__(self, old_table_name: str, new_table_name: str, *, schema: str | None = None):
        self.table_name = old_table_name
        self.new_table_name = new_table_name
        self.schema = schema

    @property
    def old_table_name(self) -> str:
        return self.table_name

    def reverse(self) -> RenameTableOp:
        return RenameTableOp(self.new_table_name, self.table_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_table", self.schema, self.table_name, self.new_table_name)


class CreateTableCommentOp(MigrateOperation):
    """``op.create_table_comment(table, comment, existing_comment=None)``."""

    op_name = "create_table_comment"

    def __init__(
        self,
        table_name: str,
        comment: str | None,
        *,
        schema: str | None = None,
        existing_comment: str | None = None,
    ) -> None:
        self.table_name = table_name
        self.comment = comment
        self.schema = schema
        self.existing_comment = existing_comment

    def to_table(self, schema_obj: SchemaObjects | None = None) -> sa.Table:
        return _schema_obj(schema_obj).table(
            self.table_name, schema=self.schema, comment=self.comment
        )

    def reverse(self) -> MigrateOperation:
        if self.existing_comment is None:
            return DropTableCommentOp(
                self.table_name, schema=self.schema, existing_comment=self.comment
            )
        return CreateTableCommentOp(
            self.table_name, self.existing_comment, schema=self.schema,
            existing_comment=self.comment,
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_table_comment", self.to_table(), self.existing_comment)


class DropTableCommentOp(MigrateOperation):
    """``op.drop_table_comment(table, existing_comment=None)``."""

    op_name = "drop_table_comment"

    def __init__(
        self, table_name: str, *, schema: str | None = None, existing_comment: str | None = None
    ) -> None:
        self.table_name = table_name
        self.schema = schema
        self.existing_comment = existing_comment

    def to_table(self, schema_obj: SchemaObjects | None = None) -> sa.Table:
        return _schema_obj(schema_obj).table(self.table_name, schema=self.schema)

    def reverse(self) -> CreateTableCommentOp:
        if self.existing_comment is None:
            raise IrreversibleOperationError(
                f"drop_table_comment({self.table_name!r}) is not reversible without "
                "existing_comment"
            )
        return CreateTableCommentOp(self.table_name, self.existing_comment, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_table_comment", self.to_table())


# --- columns -------------------------------------------------------------------------------


class AddColumnOp(MigrateOperation):
    """``op.add_column(table, column)``."""

    op_name = "add_column"

    def __init__(
        self,
        table_name: str,
        column: sa.Column[Any],
        *,
        schema: str | None = None,
        if_not_exists: bool | None = None,
        inline_references: bool | None = None,
        inline_primary_key: bool | None = None,
        **kw: Any,
    ) -> None:
        self.table_name = table_name
        self.column = column
        self.schema = schema
        self.if_not_exists = if_not_exists
        self.inline_references = inline_references
        self.inline_primary_key = inline_primary_key
        self.kw = kw

    def describe(self) -> str:
        return f"add_column({_qualified(self.table_name, self.schema)!r}, {self.column.name!r})"

    def to_column(self) -> sa.Column[Any]:
        return self.column

    def to_table(self, schema_obj: SchemaObjects | None = None) -> sa.Table:
        """A Table holding (a detached copy of) the column, so its constraints can be emitted."""
        return _schema_obj(schema_obj).table(self.table_name, self.column, schema=self.schema)

    def reverse(self) -> DropColumnOp:
        return DropColumnOp(
            self.table_name, self.column.name, schema=self.schema, _reverse=self
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_column", self.schema, self.table_name, self.column)

    @classmethod
    def from_column_and_tablename(
        cls, schema: str | None, table_name: str, column: sa.Column[Any]
    ) -> AddColumnOp:
        return cls(table_name, column, schema=schema)

    @classmethod
    def from_column(cls, column: sa.Column[Any]) -> AddColumnOp:
        table = column.table
        return cls(table.name, column, schema=table.schema)


class DropColumnOp(MigrateOperation):
    """``op.drop_column(table, column_name)``."""

    op_name = "drop_column"

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        _reverse: AddColumnOp | None = None,
        **kw: Any,
    ) -> None:
        self.table_name = table_name
        self.column_name = column_name
        self.schema = schema
        self.if_exists = if_exists
        self.kw = kw
        self._reverse = _reverse

    def describe(self) -> str:
        return f"drop_column({_qualified(self.table_name, self.schema)!r}, {self.column_name!r})"

    def to_column(self, schema_obj: SchemaObjects | None = None) -> sa.Column[Any]:
        if self._reverse is not None:
            return self._reverse.column
        return _schema_obj(schema_obj).column(self.column_name)

    def reverse(self) -> AddColumnOp:
        if self._reverse is None:
            raise IrreversibleOperationError(
                f"{self.describe()} is not reversible: the column's definition is unknown "
                "(build the op with DropColumnOp.from_column_and_tablename())"
            )
        return self._reverse

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_column", self.schema, self.table_name, self.to_column())

    @classmethod
    def from_column_and_tablename(
        cls, schema: str | None, table_name: str, column: sa.Column[Any]
    ) -> DropColumnOp:
        return cls(
            table_name,
            column.name,
            schema=schema,
            _reverse=AddColumnOp.from_column_and_tablename(schema, table_name, column),
        )


class AlterColumnOp(MigrateOperation):
    """``op.alter_column(table, column, ...)``.

    ``modify_server_default`` / ``modify_comment`` use False for "unchanged" (None means drop);
    ``modify_nullable`` / ``modify_type`` / ``modify_name`` use None for "unchanged".
    ``existing_server_default`` is False when unknown.
    """

    op_name = "alter_column"

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        existing_type: Any = None,
        existing_server_default: Any = False,
        existing_nullable: bool | None = None,
        existing_comment: str | None = None,
        modify_nullable: bool | None = None,
        modify_comment: Any = False,
        modify_server_default: Any = False,
        modify_name: str | None = None,
        modify_type: Any = None,
        **kw: Any,
    ) -> None:
        self.table_name = table_name
        self.column_name = column_name
        self.schema = schema
        self.existing_type = existing_type
        self.existing_server_default = existing_server_default
        self.existing_nullable = existing_nullable
        self.existing_comment = existing_comment
        self.modify_nullable = modify_nullable
        self.modify_comment = modify_comment
        self.modify_server_default = modify_server_default
        self.modify_name = modify_name
        self.modify_type = modify_type
        self.kw = kw

    def describe(self) -> str:
        return (
            f"alter_column({_qualified(self.table_name, self.schema)!r}, {self.column_name!r})"
        )

    def has_changes(self) -> bool:
        """Whether the op changes anything (autogenerate drops empty ones)."""
        return (
            self.modify_nullable is not None
            or self.modify_comment is not False
            or self.modify_server_default is not False
            or self.modify_name is not None
            or self.modify_type is not None
            or self.kw.get("autoincrement") is not None
        )

    def reverse(self) -> AlterColumnOp:
        missing = []
        if self.modify_type is not None and self.existing_type is None:
            missing.append("existing_type")
        if self.modify_nullable is not None and self.existing_nullable is None:
            missing.append("existing_nullable")
        if self.modify_server_default is not False and self.existing_server_default is False:
            missing.append("existing_server_default")
        if missing:
            raise IrreversibleOperationError(
                f"{self.describe()} is not reversible: pass {', '.join(missing)} so the "
                "old value is known"
            )
        kw = dict(self.kw)
        if "autoincrement" in kw or "existing_autoincrement" in kw:
            kw["autoincrement"], kw["existing_autoincrement"] = (
                kw.get("existing_autoincrement"), kw.get("autoincrement"),
            )
        return AlterColumnOp(
            self.table_name,
            self.modify_name if self.modify_name is not None else self.column_name,
            schema=self.schema,
            existing_type=self.modify_type if self.modify_type is not None else self.existing_type,
            existing_server_default=(
                self.modify_server_default
                if self.modify_server_default is not False
                else self.existing_server_default
            ),
            existing_nullable=(
                self.modify_nullable if self.modify_nullable is not None
                else self.existing_nullable
            ),
            existing_comment=(
                self.modify_comment if self.modify_comment is not False else self.existing_comment
            ),
            modify_nullable=self.existing_nullable if self.modify_nullable is not None else None,
            modify_comment=(
                self.existing_comment if self.modify_comment is not False else False
            ),
            modify_server_default=(
                self.existing_server_default if self.modify_server_default is not False
                else False
            ),
            modify_name=self.column_name if self.modify_name is not None else None,
            modify_type=self.existing_type if self.modify_type is not None else None,
            **kw,
        )

    def to_diff_tuple(self) -> list[tuple[Any, ...]]:
        existing = {
            "existing_nullable": self.existing_nullable,
            "existing_server_default": self.existing_server_default or None,
            "existing_comment": self.existing_comment,
            "existing_type": self.existing_type,
        }
        out: list[tuple[Any, ...]] = []
        where = (self.schema, self.table_name, self.column_name)
        if self.modify_type is not None:
            out.append(("modify_type", *where, existing, self.existing_type, self.modify_type))
        if self.modify_nullable is not None:
            out.append(
                ("modify_nullable", *where, existing, self.existing_nullable, self.modify_nullable)
            )
        if self.modify_server_default is not False:
            out.append(
                ("modify_default", *where, existing, self.existing_server_default or None,
                 self.modify_server_default)
            )
        if self.modify_comment is not False:
            out.append(
                ("modify_comment", *where, existing, self.existing_comment, self.modify_comment)
            )
        if self.modify_name is not None:
            out.append(("modify_name", *where, existing, self.column_name, self.modify_name))
        return out


# --- data ------------------------------------------------------------------------------------


class BulkInsertOp(MigrateOperation):
    """``op.bulk_insert(table, rows, multiinsert=True)``."""

    op_name = "bulk_insert"

    def __init__(self, table: Any, rows: list[dict[str, Any]], *, multiinsert: bool = True):
        self.table = table
        self.rows = rows
        self.multiinsert = multiinsert

    @property
    def table_name(self) -> str:
        return self.table.name  # type: ignore[no-any-return]

    @property
    def schema(self) -> str | None:
        return getattr(self.table, "schema", None)


class ExecuteSQLOp(MigrateOperation):
    """``op.execute(sql)``: a string, ``text()`` or any executable construct."""

    op_name = "execute"

    def __init__(self, sqltext: Any, *, execution_options: dict[str, Any] | None = None):
        self.sqltext = sqltext
        self.execution_options = execution_options


# --- containers ------------------------------------------------------------------------------


class OpContainer(MigrateOperation):
    """An ordered list of operations."""

    op_name = "ops"

    def __init__(self, ops: Sequence[MigrateOperation] = ()) -> None:
        self.ops: list[MigrateOperation] = list(ops)

    def is_empty(self) -> bool:
        return not self.ops

    def as_diffs(self) -> list[Any]:
        """Every leaf operation's diff entry, flattened, in order."""
        return list(self._flatten(self))

    @classmethod
    def _flatten(cls, container: OpContainer) -> Iterator[Any]:
        for op in container.ops:
            if isinstance(op, OpContainer):
                yield from cls._flatten(op)
            else:
                diff = op.to_diff_tuple()
                if isinstance(diff, list):
                    yield from diff
                else:
                    yield diff

    def reversed_ops(self) -> list[MigrateOperation]:
        """The reverse of each operation, last first."""
        return [op.reverse() for op in reversed(self.ops)]

    def reverse_into(self, other: OpContainer) -> OpContainer:
        """Fill ``other`` with this container's reversed operations and return it."""
        other.ops[:] = self.reversed_ops()
        return other


class ModifyTableOps(OpContainer):
    """The operations on one table (autogenerate groups per table)."""

    op_name = "modify_table"

    def __init__(
        self, table_name: str, ops: Sequence[MigrateOperation], *, schema: str | None = None
    ) -> None:
        super().__init__(ops)
        self.table_name = table_name
        self.schema = schema

    def reverse(self) -> ModifyTableOps:
        return ModifyTableOps(self.table_name, self.reversed_ops(), schema=self.schema)


class UpgradeOps(OpContainer):
    """The body of ``upgrade()`` (one per environment token)."""

    op_name = "upgrade_ops"

    def __init__(
        self, ops: Sequence[MigrateOperation] = (), upgrade_token: str = "upgrades"
    ) -> None:
        super().__init__(ops)
        self.upgrade_token = upgrade_token

    def reverse(self) -> DowngradeOps:
        return DowngradeOps(self.reversed_ops(), downgrade_token=_paired_token(self.upgrade_token))


class DowngradeOps(OpContainer):
    """The body of ``downgrade()``."""

    op_name = "downgrade_ops"

    def __init__(
        self, ops: Sequence[MigrateOperation] = (), downgrade_token: str = "downgrades"
    ) -> None:
        super().__init__(ops)
        self.downgrade_token = downgrade_token

    def reverse(self) -> UpgradeOps:
        return UpgradeOps(self.reversed_ops(), upgrade_token=_paired_token(self.downgrade_token))


def _paired_token(token: str) -> str:
    if token.startswith("upgrade"):
        return "downgrade" + token[len("upgrade"):]
    if token.startswith("downgrade"):
        return "upgrade" + token[len("downgrade"):]
    return token


class MigrationScript(MigrateOperation):
    """A whole revision file to be written: its identity and its upgrade/downgrade ops.

    ``upgrade_ops`` / ``downgrade_ops`` are single containers, or lists of them for
    multi-environment templates (``upgrade_ops_list`` / ``downgrade_ops_list`` always give lists).
    """

    op_name = "migration_script"

    def __init__(
        self,
        rev_id: str | None,
        upgrade_ops: UpgradeOps | list[UpgradeOps],
        downgrade_ops: DowngradeOps | list[DowngradeOps],
        *,
        message: str | None = None,
        imports: set[str] | None = None,
        head: str | None = None,
        splice: bool | None = None,
        branch_label: str | Sequence[str] | None = None,
        version_path: str | None = None,
        depends_on: str | Sequence[str] | None = None,
    ) -> None:
        self.rev_id = rev_id
        self.message = message
        self.imports = imports if imports is not None else set()
        self.head = head
        self.splice = splice
        self.branch_label = branch_label
        self.version_path = version_path
        self.depends_on = depends_on
        self.upgrade_ops = upgrade_ops
        self.downgrade_ops = downgrade_ops

    @property
    def upgrade_ops_list(self) -> list[UpgradeOps]:
        ops = self.upgrade_ops
        return list(ops) if isinstance(ops, list) else [ops]

    @property
    def downgrade_ops_list(self) -> list[DowngradeOps]:
        ops = self.downgrade_ops
        return list(ops) if isinstance(ops, list) else [ops]


__all__ = [
    "AddColumnOp",
    "AddConstraintOp",
    "AlterColumnOp",
    "BulkInsertOp",
    "CreateCheckConstraintOp",
    "CreateForeignKeyOp",
    "CreateIndexOp",
    "CreatePrimaryKeyOp",
    "CreateTableCommentOp",
    "CreateTableOp",
    "CreateUniqueConstraintOp",
    "DowngradeOps",
    "DropColumnOp",
    "DropConstraintOp",
    "DropIndexOp",
    "DropTableCommentOp",
    "DropTableOp",
    "ExecuteSQLOp",
    "IrreversibleOperationError",
    "MigrateOperation",
    "MigrationScript",
    "ModifyTableOps",
    "OpContainer",
    "RenameTableOp",
    "UpgradeOps",
]
