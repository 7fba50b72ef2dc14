"""Operation objects for tables, columns and data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mig_core.operations.opbase import (
    IrreversibleOperationError,
    MigrateOperation,
    _qualified,
    _schema_obj,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.operations.schemaobj import SchemaObjects


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
        #: constraints of the table that autogenerate writes as separate operations instead
        #: (a foreign key to a table created later: see mig_core.autogenerate.fk_cycles)
        self.deferred_constraints: list[Any] = []
        #: what this op cannot restore of a table autogenerate saw dropped (its downgrade),
        #: written as comments above it
        self.notes: list[str] = []

    def to_table(self, schema_obj: SchemaObjects | None = None) -> sa.Table:
        """The Table; built once per naming convention, so ``create_table`` returns that one.

        An op made from a model table (``from_table``) always uses that table: its columns belong
        to it, and rebuilding would lose its primary key's autoincrement and identity.
        """
        if self._orig_table is not None:
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
        """Alembic's ``(kind, schema, table, column, existing_kw, old, new)`` tuples.

        Each ``existing_kw`` leaves out the key its tuple modifies, so
        ``AlterColumnOp(t, c, modify_type=new, existing_type=old, **existing_kw)`` works.
        """
        existing = {
            "existing_type": self.existing_type,
            "existing_nullable": self.existing_nullable,
            "existing_server_default": self.existing_server_default,
            "existing_comment": self.existing_comment,
        }

        def without(key: str) -> dict[str, Any]:
            return {k: v for k, v in existing.items() if k != key}

        out: list[tuple[Any, ...]] = []
        where = (self.schema, self.table_name, self.column_name)
        if self.modify_type is not None:
            out.append(("modify_type", *where, without("existing_type"), self.existing_type,
                        self.modify_type))
        if self.modify_nullable is not None:
            out.append(("modify_nullable", *where, without("existing_nullable"),
                        self.existing_nullable, self.modify_nullable))
        if self.modify_server_default is not False:
            out.append(("modify_default", *where, without("existing_server_default"),
                        self.existing_server_default or None, self.modify_server_default))
        if self.modify_comment is not False:
            out.append(("modify_comment", *where, without("existing_comment"),
                        self.existing_comment, self.modify_comment))
        if self.modify_name is not None:
            out.append(("modify_name", *where, dict(existing), self.column_name,
                        self.modify_name))
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


class PairedSQLOp(ExecuteSQLOp):
    """``op.execute(sql)`` whose reverse is another known statement: what autogenerate writes
    for a change no operation expresses (a dropped table's server-only details, re-made by the
    downgrade). Rendered as ``op.execute``."""

    def __init__(self, sqltext: str, reverse_sql: str) -> None:
        super().__init__(sqltext)
        self.reverse_sql = reverse_sql

    def reverse(self) -> PairedSQLOp:
        return PairedSQLOp(self.reverse_sql, str(self.sqltext))

    def describe(self) -> str:
        return f"execute({self.sqltext!r})"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("execute", self.sqltext)
