"""T-SQL for the core ALTER constructs, and the SQL Server-only constructs mig needs.

SQL Server differs from the standard forms the core compiles by default:

* ``ALTER TABLE t ADD c ...`` (no ``COLUMN`` keyword); no ``IF NOT EXISTS`` on it, so a guarded
  add becomes ``IF COL_LENGTH(...) IS NULL BEGIN ... END``;
* ``ALTER COLUMN`` restates the type (and nullability) of the column;
* defaults are named constraints: ``ADD DEFAULT x FOR c``, and dropping one means finding its
  name in the catalog first (:class:`DropColumnConstraints`);
* renames go through ``sp_rename``; comments are ``MS_Description`` extended properties;
* a column's ``IDENTITY`` cannot be added, changed or dropped with ``ALTER``.

Importing this module registers the compilations (``@compiles(..., "mssql")``); the impl imports
it, so they are in place whenever an SQL Server run needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.ddl import ExecutableDDLElement

from mig_core.ddl.base import (
    AddColumn,
    AlterTable,
    ColumnComment,
    ColumnDefault,
    ColumnName,
    ColumnNullable,
    ColumnType,
    IdentityColumnDefault,
    RenameTable,
    alter_table,
    column_specification,
    format_column_name,
    format_server_default,
    format_table_name,
    format_type,
)

if TYPE_CHECKING:
    from sqlalchemy.sql.compiler import DDLCompiler

#: the catalog views behind ``drop_column(mssql_drop_<kind>=True)``, in the order they are dropped
CONSTRAINT_KINDS = ("default", "check", "foreign_key")

#: the variable the constraint-dropping batches build their dynamic SQL in
DEFAULT_VARIABLE = "@mig_sql"


# --- literals and names ------------------------------------------------------------------------


def nstring(value: str) -> str:
    """A Unicode string literal: ``N'...'`` with single quotes doubled."""
    return "N'" + value.replace("'", "''") + "'"


def object_name(compiler: DDLCompiler, table_name: str, schema: str | None) -> str:
    """``N'schema.table'`` as ``OBJECT_ID`` / ``sp_rename`` parse it (quoted where needed)."""
    return nstring(format_table_name(compiler, table_name, schema))


def comment_schema(compiler: DDLCompiler, schema: str | None) -> str:
    """The schema an extended property is attached to.

    The given one; else the connection's default schema (known online); else ``dbo``, so an
    offline script never fails for want of a schema.
    """
    return str(schema or compiler.dialect.default_schema_name or "dbo")


# --- constructs only SQL Server has --------------------------------------------------------------


class DropColumnConstraints(AlterTable):
    """Find the DEFAULT, CHECK and/or FOREIGN KEY constraints on one column and drop them.

    Their names are system-generated unless the schema named them, so a T-SQL batch reads them
    from the catalog and drops every match (none is fine): what ``drop_column`` needs before
    ``DROP COLUMN``, and ``alter_column`` before it changes a default or a type.
    ``kinds`` holds names from :data:`CONSTRAINT_KINDS`; ``variable`` names the batch's
    ``nvarchar(max)`` variable (unique per batch when several share one).
    """

    def __init__(
        self,
        table_name: str,
        column_name: str,
        kinds: Sequence[str],
        schema: str | None = None,
        *,
        variable: str = DEFAULT_VARIABLE,
    ) -> None:
        super().__init__(table_name, schema=schema)
        unknown = [kind for kind in kinds if kind not in CONSTRAINT_KINDS]
        if unknown or not kinds:
            raise ValueError(f"kinds must be some of {CONSTRAINT_KINDS}, got {list(kinds)!r}")
        self.column_name = column_name
        self.kinds = [kind for kind in CONSTRAINT_KINDS if kind in kinds]
        self.variable = variable


class TableComment(AlterTable):
    """Set (add or update) or drop a table's ``MS_Description`` extended property.

    ``comment=None`` drops it; ``existing_comment`` not None means one is there to update.
    """

    def __init__(
        self,
        table_name: str,
        comment: str | None,
        schema: str | None = None,
        *,
        existing_comment: str | None = None,
    ) -> None:
        super().__init__(table_name, schema=schema)
        self.comment = comment
        self.existing_comment = existing_comment


# --- compilation helpers -----------------------------------------------------------------------


def _column_id(table_object: str, column_name: str) -> str:
    return f"COLUMNPROPERTY({table_object}, {nstring(column_name)}, 'ColumnId')"


def _constraint_queries(compiler: DDLCompiler, element: DropColumnConstraints) -> list[str]:
    """One ``SELECT @v = @v + 'ALTER TABLE ... DROP CONSTRAINT [name]; '`` per kind."""
    table = format_table_name(compiler, element.table_name, element.schema)
    object_id = f"OBJECT_ID({object_name(compiler, element.table_name, element.schema)})"
    drop_prefix = nstring(f"ALTER TABLE {table} DROP CONSTRAINT ")
    var = element.variable
    queries = []
    for kind in element.kinds:
        if kind == "default":
            alias, view = "d", "sys.default_constraints"
            match = f"d.parent_column_id = {_column_id('d.parent_object_id', element.column_name)}"
        elif kind == "check":
            alias, view = "k", "sys.check_constraints"
            column_id = _column_id("k.parent_object_id", element.column_name)
            # column-level checks carry the column; table-level ones only a dependency on it
            match = (
                f"(k.parent_column_id = {column_id} OR EXISTS (SELECT 1 FROM "
                "sys.sql_expression_dependencies AS dep WHERE dep.referencing_id = k.object_id "
                f"AND dep.referenced_id = k.parent_object_id AND dep.referenced_minor_id = "
                f"{column_id}))"
            )
        else:
            alias, view = "f", "sys.foreign_keys"
            column_id = _column_id("f.parent_object_id", element.column_name)
            match = (
                "EXISTS (SELECT 1 FROM sys.foreign_key_columns AS fc WHERE "
                f"fc.constraint_object_id = f.object_id AND fc.parent_column_id = {column_id})"
            )
        queries.append(
            f"SELECT {var} = {var} + {drop_prefix} + QUOTENAME({alias}.name) + N'; '\n"
            f"FROM {view} AS {alias}\n"
            f"WHERE {alias}.parent_object_id = {object_id} AND {match};"
        )
    return queries


def _require_type(element: Any, type_: Any, what: str) -> Any:
    if type_ is None:
        raise CompileError(
            f"SQL Server's ALTER COLUMN restates the column type: {what} of "
            f"{element.table_name}.{element.column_name} needs existing_type (or type_)"
        )
    return type_


def _nullability(nullable: bool | None) -> str:
    if nullable is None:
        return ""
    return " NULL" if nullable else " NOT NULL"


def extended_property(
    procedure: str,
    schema: str,
    table_name: str,
    column_name: str | None = None,
    value: str | None = None,
) -> str:
    """``EXEC sp_<add|update|drop>extendedproperty`` for ``MS_Description`` on a table/column."""
    args = [f"@name = {nstring('MS_Description')}"]
    if value is not None:
        args.append(f"@value = {nstring(value)}")
    args += [
        f"@level0type = {nstring('SCHEMA')}",
        f"@level0name = {nstring(schema)}",
        f"@level1type = {nstring('TABLE')}",
        f"@level1name = {nstring(table_name)}",
    ]
    if column_name is not None:
        args += [f"@level2type = {nstring('COLUMN')}", f"@level2name = {nstring(column_name)}"]
    return f"EXEC {procedure} " + ", ".join(args)


def _comment_statement(
    compiler: DDLCompiler,
    table_name: str,
    schema: str | None,
    column_name: str | None,
    comment: str | None,
    existing_comment: str | None,
) -> str:
    target_schema = comment_schema(compiler, schema)
    if comment is None:
        return extended_property("sp_dropextendedproperty", target_schema, table_name, column_name)
    procedure = (
        "sp_updateextendedproperty" if existing_comment is not None else "sp_addextendedproperty"
    )
    return extended_property(procedure, target_schema, table_name, column_name, comment)


# --- compilations --------------------------------------------------------------------------------


@compiles(DropColumnConstraints, "mssql")
def _drop_column_constraints(
    element: DropColumnConstraints, compiler: DDLCompiler, **kw: Any
) -> str:
    var = element.variable
    lines = [f"DECLARE {var} nvarchar(max) = N'';"]
    lines += _constraint_queries(compiler, element)
    lines.append(f"EXEC sp_executesql {var}")
    return "\n".join(lines)


@compiles(DropColumnConstraints)
def _drop_column_constraints_elsewhere(
    element: DropColumnConstraints, compiler: DDLCompiler, **kw: Any
) -> str:
    raise CompileError("DropColumnConstraints is SQL Server T-SQL (dialect 'mssql' only)")


@compiles(TableComment, "mssql")
def _table_comment(element: TableComment, compiler: DDLCompiler, **kw: Any) -> str:
    return _comment_statement(
        compiler, element.table_name, element.schema, None, element.comment,
        element.existing_comment,
    )


@compiles(TableComment)
def _table_comment_elsewhere(element: TableComment, compiler: DDLCompiler, **kw: Any) -> str:
    raise CompileError("TableComment is SQL Server T-SQL (dialect 'mssql' only)")


@compiles(ColumnComment, "mssql")
def _column_comment(element: ColumnComment, compiler: DDLCompiler, **kw: Any) -> str:
    return _comment_statement(
        compiler, element.table_name, element.schema, element.column_name, element.comment,
        element.existing_comment,
    )


@compiles(AddColumn, "mssql")
def _add_column(element: AddColumn, compiler: DDLCompiler, **kw: Any) -> str:
    spec = column_specification(
        compiler,
        element.column,
        inline_references=element.inline_references,
        inline_primary_key=element.inline_primary_key,
    )
    statement = f"{alter_table(compiler, element.table_name, element.schema)} ADD {spec}"
    if not element.if_not_exists:
        return statement
    table = object_name(compiler, element.table_name, element.schema)
    return guarded(
        f"COL_LENGTH({table}, {nstring(element.column.name)}) IS NULL", statement
    )


@compiles(ColumnNullable, "mssql")
def _column_nullable(element: ColumnNullable, compiler: DDLCompiler, **kw: Any) -> str:
    type_ = _require_type(element, element.existing_type, "a NULL / NOT NULL change")
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} ALTER COLUMN "
        f"{format_column_name(compiler, element.column_name)} {format_type(compiler, type_)}"
        f"{_nullability(element.nullable)}"
    )


@compiles(ColumnType, "mssql")
def _column_type(element: ColumnType, compiler: DDLCompiler, **kw: Any) -> str:
    """``ALTER COLUMN c <type>`` keeping the nullability given as ``existing_nullable``."""
    if element.using is not None:
        raise CompileError("SQL Server's ALTER COLUMN has no USING clause")
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} ALTER COLUMN "
        f"{format_column_name(compiler, element.column_name)} "
        f"{format_type(compiler, element.type_)}{_nullability(element.existing_nullable)}"
    )


@compiles(ColumnDefault, "mssql")
def _column_default(element: ColumnDefault, compiler: DDLCompiler, **kw: Any) -> str:
    """``ADD DEFAULT x FOR c``; ``default=None`` drops the column's default constraint."""
    if element.default is None:
        drop = DropColumnConstraints(
            element.table_name, element.column_name, ["default"], schema=element.schema
        )
        return _drop_column_constraints(drop, compiler)
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} ADD DEFAULT "
        f"{format_server_default(compiler, element.default)} FOR "
        f"{format_column_name(compiler, element.column_name)}"
    )


@compiles(IdentityColumnDefault, "mssql")
def _identity_default(element: IdentityColumnDefault, compiler: DDLCompiler, **kw: Any) -> str:
    raise CompileError(
        f"SQL Server cannot add, change or drop the IDENTITY of "
        f"{element.table_name}.{element.column_name} with ALTER COLUMN; add a new column "
        "(or recreate the table) and copy the data"
    )


@compiles(ColumnName, "mssql")
def _column_name(element: ColumnName, compiler: DDLCompiler, **kw: Any) -> str:
    """``EXEC sp_rename N'table.column', N'new', N'COLUMN'`` (the new name is taken literally)."""
    old = (
        f"{format_table_name(compiler, element.table_name, element.schema)}."
        f"{format_column_name(compiler, element.column_name)}"
    )
    return f"EXEC sp_rename {nstring(old)}, {nstring(element.newname)}, {nstring('COLUMN')}"


@compiles(RenameTable, "mssql")
def _rename_table(element: RenameTable, compiler: DDLCompiler, **kw: Any) -> str:
    """``EXEC sp_rename N'schema.old', N'new'``: the table stays in its schema."""
    old = object_name(compiler, element.table_name, element.schema)
    return f"EXEC sp_rename {old}, {nstring(element.new_table_name)}"


# --- guards (SQL Server has no CREATE ... IF NOT EXISTS) ------------------------------------------


class IfMissing(ExecutableDDLElement):
    """``CREATE TABLE`` / ``CREATE INDEX`` of ``element`` run only when it does not exist yet.

    What ``if_not_exists=True`` means on SQL Server, which has no ``CREATE ... IF NOT EXISTS``.
    """

    inherit_cache = False

    def __init__(self, element: sa.Table | sa.Index) -> None:
        self.element = element


@compiles(IfMissing, "mssql")
def _if_missing(element: IfMissing, compiler: DDLCompiler, **kw: Any) -> str:
    from sqlalchemy.schema import CreateIndex, CreateTable

    target = element.element
    if isinstance(target, sa.Table):
        statement = compiler.process(CreateTable(target)).strip()
        return guarded(table_missing(compiler, target), statement)
    statement = compiler.process(CreateIndex(target)).strip()
    return guarded(index_missing(compiler, target), statement)


def guarded(condition: str, statement: str) -> str:
    """``IF <condition> BEGIN <statement> END``, the statement indented inside the block."""
    body = "\n".join("    " + line if line else line for line in statement.splitlines())
    return f"IF {condition}\nBEGIN\n{body}\nEND"


def table_missing(compiler: DDLCompiler, table: sa.Table) -> str:
    """The condition under which ``CREATE TABLE`` must run."""
    return f"OBJECT_ID({object_name(compiler, table.name, table.schema)}, N'U') IS NULL"


def index_missing(compiler: DDLCompiler, index: sa.Index) -> str:
    """The condition under which ``CREATE INDEX`` must run."""
    table = index.table
    assert table is not None
    return (
        "NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = "
        f"OBJECT_ID({object_name(compiler, table.name, table.schema)}) AND name = "
        f"{nstring(str(index.name))})"
    )


__all__ = [
    "CONSTRAINT_KINDS",
    "DEFAULT_VARIABLE",
    "DropColumnConstraints",
    "IfMissing",
    "TableComment",
    "comment_schema",
    "extended_property",
    "guarded",
    "index_missing",
    "nstring",
    "object_name",
    "table_missing",
]
