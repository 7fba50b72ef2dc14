"""The core ``op.*`` directives: each builds an operation object and invokes it.

They are registered through ``mig_register_operations`` (``mig_core.builtin.operations``) like
any plugin's, and called as ``target(operations, *args, **kw)``. Names and parameters are
Alembic's; optional parameters are keyword-only (except ``drop_index(table_name)`` and
``drop_constraint(type_)``). A :class:`Directive` may carry a ``batch_form`` used for
``batch_op.<name>``, where the table comes from the batch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mig_core.operations import ops
from mig_core.operations.opbase import OperationArgumentError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.operations.base import BatchOperations, Operations


class Directive:
    """An ``op.<name>`` target, with an optional ``batch_op.<name>`` form."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.batch_form: Callable[..., Any] | None = None
        functools.update_wrapper(self, fn)

    def __call__(self, operations: Any, *args: Any, **kw: Any) -> Any:
        return self.fn(operations, *args, **kw)

    def batch(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: ``fn(batch_operations, ...)`` is the ``batch_op.<name>`` form."""
        self.batch_form = fn
        return fn


def directive(fn: Callable[..., Any]) -> Directive:
    """Decorator making ``fn(operations, ...)`` an operation target (see :class:`Directive`)."""
    return Directive(fn)


# --- argument checks ---------------------------------------------------------------------------

_KNOWN_DIALECTS = frozenset({"postgresql", "sqlite", "mssql", "oracle", "mysql", "mariadb"})


@functools.lru_cache(maxsize=64)
def _is_dialect_name(prefix: str) -> bool:
    if prefix in _KNOWN_DIALECTS:
        return True
    from sqlalchemy.dialects import registry

    try:
        registry.load(prefix)
    except Exception:
        return False
    return True


def check_dialect_kw(what: str, kw: Mapping[str, Any], allowed: Sequence[str] = ()) -> None:
    """Reject keyword arguments that are neither in ``allowed`` nor ``<dialect>_<name>``."""
    for key in kw:
        if key in allowed:
            continue
        prefix, sep, _ = key.partition("_")
        if not sep or not _is_dialect_name(prefix):
            raise OperationArgumentError(
                f"{what}: unexpected keyword argument {key!r} (dialect options are named "
                "<dialect>_<option>, such as postgresql_using)"
            )


def _require_name(what: str, argument: str, value: Any) -> None:
    if not isinstance(value, str):
        raise OperationArgumentError(
            f"{what}: {argument} must be a string, got {type(value).__name__} {value!r}"
        )


def _require_list(what: str, argument: str, value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise OperationArgumentError(
            f"{what}: {argument} must be a list of column names, got "
            f"{type(value).__name__} {value!r}"
        )
    return list(value)


def _require_column(what: str, column: Any) -> None:
    import sqlalchemy as sa

    if not isinstance(column, sa.Column):
        raise OperationArgumentError(
            f"{what}: column must be a sqlalchemy Column, got {type(column).__name__} {column!r}"
        )


def _check_position(what: str, batch: BatchOperations, kw: Mapping[str, Any]) -> None:
    """``recreate="never"`` cannot place a column; under ``"auto"`` the batch decides when it
    ends (see :meth:`~mig_core.operations.batch.TableBatch.apply`)."""
    if (kw.get("insert_before") or kw.get("insert_after")) and batch.batch.recreate == "never":
        raise OperationArgumentError(
            f"{what}: insert_before / insert_after need the table recreated, and this batch "
            "has recreate='never'"
        )


# --- tables --------------------------------------------------------------------------------


@directive
def create_table(
    operations: Operations,
    table_name: str,
    *columns: Any,
    if_not_exists: bool | None = None,
    schema: str | None = None,
    comment: str | None = None,
    info: dict[Any, Any] | None = None,
    prefixes: Sequence[str] | None = None,
    **kw: Any,
) -> sa.Table:
    """CREATE TABLE; returns the Table (usable with ``bulk_insert``)."""
    _require_name("create_table", "table_name", table_name)
    op = ops.CreateTableOp(
        table_name, columns, schema=schema, if_not_exists=if_not_exists, comment=comment,
        info=info, prefixes=prefixes, **kw,
    )
    result = operations.invoke(op)
    import sqlalchemy as sa

    return result if isinstance(result, sa.Table) else op.to_table(operations.schema_obj)


@directive
def drop_table(
    operations: Operations,
    table_name: str,
    *,
    schema: str | None = None,
    if_exists: bool | None = None,
    **kw: Any,
) -> None:
    """DROP TABLE (``kw``: table options such as dialect keywords)."""
    _require_name("drop_table", "table_name", table_name)
    operations.invoke(ops.DropTableOp(table_name, schema=schema, if_exists=if_exists, table_kw=kw))


@directive
def rename_table(
    operations: Operations, old_table_name: str, new_table_name: str, *, schema: str | None = None
) -> None:
    """ALTER TABLE ... RENAME TO ..."""
    _require_name("rename_table", "old_table_name", old_table_name)
    _require_name("rename_table", "new_table_name", new_table_name)
    operations.invoke(ops.RenameTableOp(old_table_name, new_table_name, schema=schema))


@directive
def create_table_comment(
    operations: Operations,
    table_name: str,
    comment: str | None,
    *,
    existing_comment: str | None = None,
    schema: str | None = None,
) -> None:
    """Set a table's comment."""
    _require_name("create_table_comment", "table_name", table_name)
    operations.invoke(
        ops.CreateTableCommentOp(
            table_name, comment, schema=schema, existing_comment=existing_comment
        )
    )


@create_table_comment.batch
def _batch_create_table_comment(
    operations: BatchOperations, comment: str | None, *, existing_comment: str | None = None
) -> None:
    create_table_comment(
        operations, operations.table_name, comment, existing_comment=existing_comment,
        schema=operations.schema,
    )


@directive
def drop_table_comment(
    operations: Operations,
    table_name: str,
    *,
    existing_comment: str | None = None,
    schema: str | None = None,
) -> None:
    """Remove a table's comment."""
    _require_name("drop_table_comment", "table_name", table_name)
    operations.invoke(
        ops.DropTableCommentOp(table_name, schema=schema, existing_comment=existing_comment)
    )


@drop_table_comment.batch
def _batch_drop_table_comment(
    operations: BatchOperations, *, existing_comment: str | None = None
) -> None:
    drop_table_comment(
        operations, operations.table_name, existing_comment=existing_comment,
        schema=operations.schema,
    )


# --- columns -------------------------------------------------------------------------------


@directive
def add_column(
    operations: Operations,
    table_name: str,
    column: sa.Column[Any],
    *,
    schema: str | None = None,
    if_not_exists: bool | None = None,
    inline_references: bool | None = None,
    inline_primary_key: bool | None = None,
) -> None:
    """ALTER TABLE ... ADD COLUMN, then the column's constraints, indexes and comment."""
    _require_name("add_column", "table_name", table_name)
    _require_column(f"add_column({table_name!r})", column)
    operations.invoke(
        ops.AddColumnOp(
            table_name, column, schema=schema, if_not_exists=if_not_exists,
            inline_references=inline_references, inline_primary_key=inline_primary_key,
        )
    )


@add_column.batch
def _batch_add_column(
    operations: BatchOperations,
    column: sa.Column[Any],
    *,
    insert_before: str | None = None,
    insert_after: str | None = None,
    if_not_exists: bool | None = None,
    inline_references: bool | None = None,
    inline_primary_key: bool | None = None,
) -> None:
    _require_column(f"batch_op.add_column({operations.table_name!r})", column)
    kw = {k: v for k, v in (("insert_before", insert_before), ("insert_after", insert_after))
          if v is not None}
    _check_position(f"batch_op.add_column({column.name!r})", operations, kw)
    operations.invoke(
        ops.AddColumnOp(
            operations.table_name, column, schema=operations.schema,
            if_not_exists=if_not_exists, inline_references=inline_references,
            inline_primary_key=inline_primary_key, **kw,
        )
    )


@directive
def drop_column(
    operations: Operations,
    table_name: str,
    column_name: str,
    *,
    schema: str | None = None,
    if_exists: bool | None = None,
    **kw: Any,
) -> None:
    """ALTER TABLE ... DROP COLUMN (``kw``: dialect options such as ``mssql_drop_default``)."""
    _require_name("drop_column", "table_name", table_name)
    _require_name(f"drop_column({table_name!r})", "column_name", column_name)
    check_dialect_kw(f"drop_column({table_name!r}, {column_name!r})", kw, ("existing_type",))
    operations.invoke(
        ops.DropColumnOp(table_name, column_name, schema=schema, if_exists=if_exists, **kw)
    )


@drop_column.batch
def _batch_drop_column(operations: BatchOperations, column_name: str, **kw: Any) -> None:
    drop_column(operations, operations.table_name, column_name, schema=operations.schema, **kw)


#: Column() arguments that live only in Python (SQLAlchemy fills them in at INSERT / UPDATE):
#: nothing in the database to alter
_CLIENT_SIDE_DEFAULTS = ("default", "onupdate")


def _drop_client_side_defaults(what: str, kw: dict[str, Any]) -> None:
    """Remove ``default`` / ``onupdate`` from ``kw`` with a warning: Alembic accepts and ignores
    them (Airflow passes ``default="asset"`` beside ``nullable=False``), so a history written
    for it must not fail here; ``server_default`` is what changes the column."""
    for key in _CLIENT_SIDE_DEFAULTS:
        if key in kw:
            value = kw.pop(key)
            import warnings

            from mig_core.errors import MigWarning

            warnings.warn(
                f"{what}: {key}={value!r} is a Python-side default and changes nothing in the "
                "database; ignored (use server_default= for the column's DEFAULT)",
                MigWarning,
                stacklevel=4,
            )


@directive
def alter_column(
    operations: Operations,
    table_name: str,
    column_name: str,
    *,
    nullable: bool | None = None,
    comment: str | bool | None = False,
    server_default: Any = False,
    new_column_name: str | None = None,
    type_: Any = None,
    existing_type: Any = None,
    existing_server_default: Any = False,
    existing_nullable: bool | None = None,
    existing_comment: str | None = None,
    schema: str | None = None,
    **kw: Any,
) -> None:
    """Change a column: nullability, default, type, comment, name.

    ``server_default=False`` and ``comment=False`` mean unchanged; None drops the default /
    comment. ``kw``: ``autoincrement``, ``existing_autoincrement`` and dialect options such as
    ``postgresql_using`` (which needs ``type_``).
    """
    what = f"alter_column({table_name!r}, {column_name!r})"
    _require_name("alter_column", "table_name", table_name)
    _require_name(f"alter_column({table_name!r})", "column_name", column_name)
    allowed = ("autoincrement", "existing_autoincrement", "insert_before", "insert_after")
    _drop_client_side_defaults(what, kw)
    check_dialect_kw(what, kw, allowed)
    if kw.get("postgresql_using") is not None and type_ is None:
        raise OperationArgumentError(
            f"{what}: postgresql_using must be used with the type_ parameter"
        )
    operations.invoke(
        ops.AlterColumnOp(
            table_name,
            column_name,
            schema=schema,
            existing_type=existing_type,
            existing_server_default=existing_server_default,
            existing_nullable=existing_nullable,
            existing_comment=existing_comment,
            modify_nullable=nullable,
            modify_comment=comment,
            modify_server_default=server_default,
            modify_name=new_column_name,
            modify_type=type_,
            **kw,
        )
    )


@alter_column.batch
def _batch_alter_column(
    operations: BatchOperations,
    column_name: str,
    *,
    nullable: bool | None = None,
    comment: str | bool | None = False,
    server_default: Any = False,
    new_column_name: str | None = None,
    type_: Any = None,
    existing_type: Any = None,
    existing_server_default: Any = False,
    existing_nullable: bool | None = None,
    existing_comment: str | None = None,
    insert_before: str | None = None,
    insert_after: str | None = None,
    **kw: Any,
) -> None:
    position = {k: v for k, v in (("insert_before", insert_before), ("insert_after", insert_after))
                if v is not None}
    _check_position(f"batch_op.alter_column({column_name!r})", operations, position)
    alter_column(
        operations,
        operations.table_name,
        column_name,
        nullable=nullable,
        comment=comment,
        server_default=server_default,
        new_column_name=new_column_name,
        type_=type_,
        existing_type=existing_type,
        existing_server_default=existing_server_default,
        existing_nullable=existing_nullable,
        existing_comment=existing_comment,
        schema=operations.schema,
        **position,
        **kw,
    )


# --- indexes -------------------------------------------------------------------------------


@directive
def create_index(
    operations: Operations,
    index_name: str | None,
    table_name: str,
    columns: Sequence[Any],
    *,
    schema: str | None = None,
    unique: bool = False,
    if_not_exists: bool | None = None,
    **kw: Any,
) -> None:
    """CREATE [UNIQUE] INDEX over column names and/or expressions (``text()``, functions)."""
    _require_name(f"create_index({index_name!r})", "table_name", table_name)
    if isinstance(columns, (str, bytes)) or not isinstance(columns, Sequence):
        raise OperationArgumentError(
            f"create_index({index_name!r}): columns must be a list of column names or SQL "
            f"expressions, got {type(columns).__name__} {columns!r}"
        )
    operations.invoke(
        ops.CreateIndexOp(
            index_name, table_name, columns, schema=schema, unique=unique,
            if_not_exists=if_not_exists, **kw,
        )
    )


@create_index.batch
def _batch_create_index(
    operations: BatchOperations, index_name: str | None, columns: Sequence[Any], **kw: Any
) -> None:
    create_index(operations, index_name, operations.table_name, columns,
                 schema=operations.schema, **kw)


@directive
def drop_index(
    operations: Operations,
    index_name: str,
    table_name: str | None = None,
    *,
    schema: str | None = None,
    if_exists: bool | None = None,
    **kw: Any,
) -> None:
    """DROP INDEX (the table name is needed on dialects such as MySQL and SQL Server)."""
    if index_name is None:
        raise OperationArgumentError("drop_index: index_name is required")
    operations.invoke(
        ops.DropIndexOp(index_name, table_name, schema=schema, if_exists=if_exists, **kw)
    )


@drop_index.batch
def _batch_drop_index(operations: BatchOperations, index_name: str, **kw: Any) -> None:
    drop_index(operations, index_name, operations.table_name, schema=operations.schema, **kw)


# --- constraints -------------------------------------------------------------------------------


@directive
def create_unique_constraint(
    operations: Operations,
    constraint_name: str | None,
    table_name: str,
    columns: Sequence[str],
    *,
    schema: str | None = None,
    **kw: Any,
) -> None:
    """ALTER TABLE ... ADD CONSTRAINT ... UNIQUE (``kw``: deferrable, initially, dialect opts)."""
    what = f"create_unique_constraint({constraint_name!r})"
    _require_name(what, "table_name", table_name)
    cols = _require_list(what, "columns", columns)
    operations.invoke(
        ops.CreateUniqueConstraintOp(constraint_name, table_name, cols, schema=schema, **kw)
    )


@create_unique_constraint.batch
def _batch_create_unique_constraint(
    operations: BatchOperations, constraint_name: str | None, columns: Sequence[str], **kw: Any
) -> None:
    create_unique_constraint(
        operations, constraint_name, operations.table_name, columns, schema=operations.schema,
        **kw,
    )


@directive
def create_primary_key(
    operations: Operations,
    constraint_name: str | None,
    table_name: str,
    columns: Sequence[str],
    *,
    schema: str | None = None,
) -> None:
    """ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY."""
    what = f"create_primary_key({constraint_name!r})"
    _require_name(what, "table_name", table_name)
    cols = _require_list(what, "columns", columns)
    operations.invoke(ops.CreatePrimaryKeyOp(constraint_name, table_name, cols, schema=schema))


@create_primary_key.batch
def _batch_create_primary_key(
    operations: BatchOperations, constraint_name: str | None, columns: Sequence[str]
) -> None:
    create_primary_key(
        operations, constraint_name, operations.table_name, columns, schema=operations.schema
    )


@directive
def create_foreign_key(
    operations: Operations,
    constraint_name: str | None,
    source_table: str,
    referent_table: str,
    local_cols: Sequence[str],
    remote_cols: Sequence[str],
    *,
    onupdate: str | None = None,
    ondelete: str | None = None,
    deferrable: bool | None = None,
    initially: str | None = None,
    match: str | None = None,
    source_schema: str | None = None,
    referent_schema: str | None = None,
    **dialect_kw: Any,
) -> None:
    """ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ... REFERENCES ..."""
    what = f"create_foreign_key({constraint_name!r})"
    _require_name(what, "source_table", source_table)
    _require_name(what, "referent_table", referent_table)
    local = _require_list(what, "local_cols", local_cols)
    remote = _require_list(what, "remote_cols", remote_cols)
    if len(local) != len(remote):
        raise OperationArgumentError(
            f"{what}: local_cols and remote_cols must have the same length "
            f"({len(local)} vs {len(remote)})"
        )
    operations.invoke(
        ops.CreateForeignKeyOp(
            constraint_name, source_table, referent_table, local, remote,
            onupdate=onupdate, ondelete=ondelete, deferrable=deferrable, initially=initially,
            match=match, source_schema=source_schema, referent_schema=referent_schema,
            **dialect_kw,
        )
    )


@create_foreign_key.batch
def _batch_create_foreign_key(
    operations: BatchOperations,
    constraint_name: str | None,
    referent_table: str,
    local_cols: Sequence[str],
    remote_cols: Sequence[str],
    *,
    referent_schema: str | None = None,
    onupdate: str | None = None,
    ondelete: str | None = None,
    deferrable: bool | None = None,
    initially: str | None = None,
    match: str | None = None,
    **dialect_kw: Any,
) -> None:
    create_foreign_key(
        operations, constraint_name, operations.table_name, referent_table, local_cols,
        remote_cols, onupdate=onupdate, ondelete=ondelete, deferrable=deferrable,
        initially=initially, match=match, source_schema=operations.schema,
        referent_schema=referent_schema, **dialect_kw,
    )


@directive
def create_check_constraint(
    operations: Operations,
    constraint_name: str | None,
    table_name: str,
    condition: Any,
    *,
    schema: str | None = None,
    **kw: Any,
) -> None:
    """ALTER TABLE ... ADD CONSTRAINT ... CHECK (condition: a SQL string or expression)."""
    _require_name(f"create_check_constraint({constraint_name!r})", "table_name", table_name)
    operations.invoke(
        ops.CreateCheckConstraintOp(constraint_name, table_name, condition, schema=schema, **kw)
    )


@create_check_constraint.batch
def _batch_create_check_constraint(
    operations: BatchOperations, constraint_name: str | None, condition: Any, **kw: Any
) -> None:
    create_check_constraint(
        operations, constraint_name, operations.table_name, condition,
        schema=operations.schema, **kw,
    )


@directive
def drop_constraint(
    operations: Operations,
    constraint_name: str,
    table_name: str,
    type_: str | None = None,
    *,
    schema: str | None = None,
    if_exists: bool | None = None,
) -> None:
    """ALTER TABLE ... DROP CONSTRAINT (``type_``: foreignkey, primary, unique, check or None)."""
    _require_name(f"drop_constraint({constraint_name!r})", "table_name", table_name)
    operations.invoke(
        ops.DropConstraintOp(
            constraint_name, table_name, type_=type_, schema=schema, if_exists=if_exists
        )
    )


@drop_constraint.batch
def _batch_drop_constraint(
    operations: BatchOperations, constraint_name: str, type_: str | None = None
) -> None:
    drop_constraint(
        operations, constraint_name, operations.table_name, type_=type_, schema=operations.schema
    )


# --- data ----------------------------------------------------------------------------------


@directive
def bulk_insert(
    operations: Operations, table: Any, rows: list[dict[str, Any]], *, multiinsert: bool = True
) -> None:
    """INSERT rows (a list of dicts) into ``table`` (a Table or ``sa.table()``)."""
    name = getattr(table, "name", None)
    if name is None or not hasattr(table, "insert"):
        raise OperationArgumentError(
            f"bulk_insert: table must be a Table or sqlalchemy.table(), got "
            f"{type(table).__name__} {table!r}"
        )
    if not isinstance(rows, list):
        raise OperationArgumentError(
            f"bulk_insert({name!r}): rows must be a list of dictionaries, got "
            f"{type(rows).__name__}"
        )
    for position, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise OperationArgumentError(
                f"bulk_insert({name!r}): rows must be a list of dictionaries; row {position} is "
                f"{type(row).__name__} {row!r}"
            )
    operations.invoke(ops.BulkInsertOp(table, rows, multiinsert=multiinsert))


@directive
def execute(
    operations: Operations, sqltext: Any, *, execution_options: dict[str, Any] | None = None
) -> None:
    """Run SQL: a string (emitted verbatim offline), ``text()`` or any executable construct."""
    from sqlalchemy.sql.base import Executable

    if not isinstance(sqltext, (str, Executable)):
        raise OperationArgumentError(
            f"execute: sqltext must be a SQL string, text() or an executable construct, got "
            f"{type(sqltext).__name__}"
        )
    operations.invoke(ops.ExecuteSQLOp(sqltext, execution_options=execution_options))

