"""Carry an operation object out on a DDL implementation: op object -> schema objects -> impl.

This is what the core's ``mig_ddl_execute`` hook (``mig_core.builtin.ddl``) does for the built-in
operations. Schema objects are built with the run's naming convention (``target_metadata``).
A plugin replaces one operation on its dialect by returning True from its own
``mig_ddl_execute``, or adds a handler here with :func:`register_impl` for a new op class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.base import SchemaEventTarget

from mig_core.ddl import base as ddl_base
from mig_core.errors import CommandError
from mig_core.operations import ops
from mig_core.operations.schemaobj import SchemaObjects

Handler = Callable[[Any, Any, SchemaObjects], Any]

_HANDLERS: dict[type, Handler] = {}


def register_impl(op_class: type) -> Callable[[Handler], Handler]:
    """Decorator: ``fn(impl, op, schema_obj)`` carries out ``op_class`` objects."""

    def decorate(fn: Handler) -> Handler:
        _HANDLERS[op_class] = fn
        return fn

    return decorate


def handler_for(op: Any) -> Handler | None:
    """The handler for ``op``'s class or its nearest registered base class."""
    for cls in type(op).__mro__:
        handler = _HANDLERS.get(cls)
        if handler is not None:
            return handler
    return None


def run(impl: Any, op: Any) -> Any:
    """Carry ``op`` out on ``impl``; returns the handler's result (None when not handled).

    SQLAlchemy argument errors raised while building or compiling the schema objects (a
    naming convention needing a name, a bad dialect keyword) become a one-line
    :class:`~mig_core.errors.CommandError` naming the operation.
    """
    handler = _HANDLERS.get(type(op)) or handler_for(op)
    if handler is None:
        return None
    schema_obj = SchemaObjects.for_options(getattr(impl, "context_opts", None))
    try:
        result = handler(impl, op, schema_obj)
    except (sa.exc.ArgumentError, sa.exc.InvalidRequestError, sa.exc.CompileError) as exc:
        describe = op.describe() if hasattr(op, "describe") else type(op).__name__
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CommandError(f"{describe}: {message}") from exc
    return True if result is None else result


def _check_table(impl: Any, op: Any) -> Any:
    """The impl's name check for ``op`` (None: its dialect has none), the table's name (which
    exists already) checked; the handlers check the names the operation adds."""
    check = impl.identifier_check(op)
    table_name = getattr(op, "table_name", None)
    if check is not None and isinstance(table_name, str):
        check.table(table_name, getattr(op, "schema", None))
    return check


@register_impl(ops.CreateTableOp)
def _create_table(impl: Any, op: ops.CreateTableOp, so: SchemaObjects) -> Any:
    table = op.to_table(so)
    check = impl.identifier_check(op)
    if check is not None:
        check.whole_table(table)
    impl.create_table(table, if_not_exists=op.if_not_exists)
    return table


@register_impl(ops.DropTableOp)
def _drop_table(impl: Any, op: ops.DropTableOp, so: SchemaObjects) -> None:
    _check_table(impl, op)
    impl.drop_table(op.to_table(so), if_exists=op.if_exists)


@register_impl(ops.RenameTableOp)
def _rename_table(impl: Any, op: ops.RenameTableOp, so: SchemaObjects) -> None:
    check = _check_table(impl, op)
    if check is not None:
        check.name("table", op.new_table_name)
    impl.rename_table(op.table_name, op.new_table_name, schema=op.schema)


@register_impl(ops.CreateTableCommentOp)
def _create_table_comment(impl: Any, op: ops.CreateTableCommentOp, so: SchemaObjects) -> None:
    _check_table(impl, op)
    impl.create_table_comment(op.to_table(so))


@register_impl(ops.DropTableCommentOp)
def _drop_table_comment(impl: Any, op: ops.DropTableCommentOp, so: SchemaObjects) -> None:
    _check_table(impl, op)
    impl.drop_table_comment(op.to_table(so))


#: DDL compilers whose ``get_column_specification`` reads ``column.table`` only for primary key
#: columns (or checks it for None): a plain column compiles the same attached or not
_TABLE_FREE_COLUMN_SPECS = frozenset({
    ("sqlalchemy.sql.compiler", "DDLCompiler.get_column_specification"),
    ("sqlalchemy.dialects.postgresql.base", "PGDDLCompiler.get_column_specification"),
    ("sqlalchemy.dialects.sqlite.base", "SQLiteDDLCompiler.get_column_specification"),
    ("sqlalchemy.dialects.mysql.base", "MySQLDDLCompiler.get_column_specification"),
    ("sqlalchemy.dialects.oracle.base", "OracleDDLCompiler.get_column_specification"),
})


def _table_free_add_column(impl: Any) -> bool:
    """Whether ``impl`` writes ``add_column`` of a plain column without needing its Table.

    True when the impl keeps :meth:`DefaultImpl.add_column` or says its own takes such a
    column (``add_column_takes_plain_columns``; another plugin's ``add_column`` may read
    ``column.table``), no ``@compiles(AddColumn, <dialect>)`` replaces the core's
    compilation, and the dialect's column specification does not read the table for a
    non-primary-key column. Decided once per impl.
    """
    verdict = impl.__dict__.get("_mig_table_free_add_column")
    if verdict is None:
        from mig_core.ddl.impl import DefaultImpl

        spec_fn = impl.dialect.ddl_compiler.get_column_specification
        dispatcher = getattr(ddl_base.AddColumn, "_compiler_dispatcher", None)
        specs = getattr(dispatcher, "specs", {})
        verdict = (
            (
                getattr(type(impl), "add_column", None) is DefaultImpl.add_column
                or getattr(impl, "add_column_takes_plain_columns", False)
            )
            and impl.dialect.name not in specs
            and specs.get("default") is ddl_base._add_column
            and (spec_fn.__module__, spec_fn.__qualname__) in _TABLE_FREE_COLUMN_SPECS
        )
        impl.__dict__["_mig_table_free_add_column"] = verdict
    return bool(verdict)


def _writes_add_column_directly(impl: Any) -> bool:
    """Whether a table-free ``AddColumn`` can be written through
    :meth:`~mig_core.ddl.impl.DefaultImpl.compile_ddl_with` (the core's compile function
    called directly): offline, on an impl that keeps :class:`DefaultImpl`'s ``execute`` and
    ``compile``, so the text and where it goes are what ``impl.execute(AddColumn(...))``
    makes of it. Decided once per impl."""
    verdict = impl.__dict__.get("_mig_writes_add_column_directly")
    if verdict is None:
        from mig_core.ddl.impl import DefaultImpl

        cls = type(impl)
        verdict = bool(
            impl.as_sql
            and getattr(cls, "execute", None) is DefaultImpl.execute
            and getattr(cls, "compile", None) is DefaultImpl.compile
        )
        impl.__dict__["_mig_writes_add_column_directly"] = verdict
    return bool(verdict)


def _is_plain_column(column: Any) -> bool:
    """A column that brings no constraint, index, comment or schema event along with it.

    Such a column's ``ADD COLUMN`` is the whole operation, so no Table has to be built for
    it (building one is most of an ``add_column``'s cost).
    """
    return (
        column.table is None
        and not column.primary_key
        and not column.foreign_keys
        and not column.constraints
        and not column.index
        and not column.unique
        and column.comment is None
        and not isinstance(column.type, SchemaEventTarget)  # Enum, Boolean, ARRAY, decorators
    )


@register_impl(ops.AddColumnOp)
def _add_column(impl: Any, op: ops.AddColumnOp, so: SchemaObjects) -> None:
    check = _check_table(impl, op)
    if check is not None:
        check.column(op.column)
    if not op.kw and _is_plain_column(op.column) and _table_free_add_column(impl):
        if getattr(impl, "add_column_takes_plain_columns", False):
            impl.add_column(
                op.table_name, op.column, schema=op.schema, if_not_exists=op.if_not_exists,
                inline_references=op.inline_references,
                inline_primary_key=op.inline_primary_key,
            )
            return
        element = ddl_base.AddColumn(
            op.table_name, op.column, schema=op.schema, if_not_exists=op.if_not_exists,
            inline_references=op.inline_references,
            inline_primary_key=op.inline_primary_key,
        )
        if _writes_add_column_directly(impl):
            text = impl.compile_ddl_with(ddl_base._add_column, element)
            if text:
                impl.emit_statement_text(text)
            return
        impl.execute(element)
        return
    table = op.to_table(so)
    column = table.c[op.column.key]
    if check is not None:
        for const in table.constraints:
            if not isinstance(const, sa.PrimaryKeyConstraint):
                check.constraint(const)
        for index in table.indexes:
            check.constraint(index)
    impl.add_column(
        op.table_name,
        column,
        schema=op.schema,
        if_not_exists=op.if_not_exists,
        inline_references=op.inline_references,
        inline_primary_key=op.inline_primary_key,
        **op.kw,
    )


@register_impl(ops.DropColumnOp)
def _drop_column(impl: Any, op: ops.DropColumnOp, so: SchemaObjects) -> None:
    check = _check_table(impl, op)
    if check is not None:
        check.name("column", op.column_name, new=False)
    impl.drop_column(
        op.table_name, op.column_name, schema=op.schema, if_exists=op.if_exists, **op.kw
    )


def _type_constraints(
    impl: Any, so: SchemaObjects, table_name: str, column_name: str, type_: Any,
    schema: str | None,
) -> list[sa.Constraint]:
    """The CHECK constraints a schema type (``Enum(native_enum=False)``,
    ``Boolean(create_constraint=True)``) makes on ``impl``'s dialect, named by the run's naming
    convention; none where the type is native there."""
    from types import SimpleNamespace

    type_ = sa.types.to_instance(type_)
    if not isinstance(type_, sa.types.SchemaType):
        return []
    table = so.table(table_name, sa.Column(column_name, type_), schema=schema)
    compiler = SimpleNamespace(dialect=impl.dialect)  # what the types' create rules read
    out = []
    for const in table.constraints:
        if isinstance(const, sa.PrimaryKeyConstraint):
            continue
        rule = getattr(const, "_create_rule", None)
        if rule is not None and not rule(compiler):
            continue
        out.append(const)
    return out


@register_impl(ops.AlterColumnOp)
def _alter_column(impl: Any, op: ops.AlterColumnOp, so: SchemaObjects) -> None:
    """As Alembic: a type change drops the CHECK constraints of ``existing_type`` first
    (when it is a schema type and they have a name; not on MySQL, whose Alembic leaves them)
    and adds those of the new type after, where the impl can ALTER constraints
    (``type_change_alters_checks``; SQLite cannot: a batch recreate does)."""
    check = _check_table(impl, op)
    if check is not None:
        check.name("column", op.column_name, new=False)
        check.name("column", op.modify_name)
        if op.modify_type is not None and impl.type_change_alters_checks:
            column = op.modify_name if op.modify_name is not None else op.column_name
            for const in _type_constraints(
                impl, so, op.table_name, column, op.modify_type, op.schema
            ):
                check.constraint(const)
    if op.modify_type is not None and not impl.type_change_alters_checks:
        return _alter_column_plain(impl, op)
    if op.modify_type is not None and op.existing_type is not None and (
        impl.drops_type_checks_on_type_change
    ):
        for const in _type_constraints(
            impl, so, op.table_name, op.column_name, op.existing_type, op.schema
        ):
            if not isinstance(const.name, str):
                import warnings

                from mig_core.errors import MigWarning

                warnings.warn(
                    f"alter_column({op.table_name!r}, {op.column_name!r}): the CHECK constraint "
                    f"of existing_type {op.existing_type!r} has no name, so it is not dropped "
                    "(Alembic fails here); name it in existing_type (Enum(..., name=...)) or "
                    "with a naming convention to have it dropped",
                    MigWarning,
                    stacklevel=5,
                )
                continue
            impl.drop_constraint(const)
    _alter_column_plain(impl, op)
    if op.modify_type is not None:
        column = op.modify_name if op.modify_name is not None else op.column_name
        for const in _type_constraints(
            impl, so, op.table_name, column, op.modify_type, op.schema
        ):
            impl.add_constraint(const)


def _alter_column_plain(impl: Any, op: ops.AlterColumnOp) -> None:
    impl.alter_column(
        op.table_name,
        op.column_name,
        nullable=op.modify_nullable,
        server_default=op.modify_server_default,
        name=op.modify_name,
        type_=op.modify_type,
        schema=op.schema,
        comment=op.modify_comment,
        existing_comment=op.existing_comment,
        existing_type=op.existing_type,
        existing_server_default=op.existing_server_default,
        existing_nullable=op.existing_nullable,
        **op.kw,
    )


@register_impl(ops.CreateIndexOp)
def _create_index(impl: Any, op: ops.CreateIndexOp, so: SchemaObjects) -> None:
    index = op.to_index(so)
    check = _check_table(impl, op)
    if check is not None:
        check.constraint(index)
    impl.create_index(index, if_not_exists=op.if_not_exists)


@register_impl(ops.DropIndexOp)
def _drop_index(impl: Any, op: ops.DropIndexOp, so: SchemaObjects) -> None:
    index = op.to_index(so)
    check = impl.identifier_check(op)
    if check is not None:
        check.constraint(index, new=False)
    impl.drop_index(index, if_exists=op.if_exists)


@register_impl(ops.AddConstraintOp)
def _add_constraint(impl: Any, op: ops.AddConstraintOp, so: SchemaObjects) -> None:
    const = op.to_constraint(so)
    check = impl.identifier_check(op)
    if check is not None:
        check.constraint(const)
        table = getattr(const, "table", None)
        if table is not None:
            check.table(table.name, table.schema)
    impl.add_constraint(const)


@register_impl(ops.DropConstraintOp)
def _drop_constraint(impl: Any, op: ops.DropConstraintOp, so: SchemaObjects) -> None:
    const = op.to_constraint(so)
    check = impl.identifier_check(op)
    if check is not None:
        check.constraint(const, new=False)
    impl.drop_constraint(const, if_exists=op.if_exists)


@register_impl(ops.BulkInsertOp)
def _bulk_insert(impl: Any, op: ops.BulkInsertOp, so: SchemaObjects) -> None:
    impl.bulk_insert(op.table, op.rows, multiinsert=op.multiinsert)


@register_impl(ops.ExecuteSQLOp)
def _execute(impl: Any, op: ops.ExecuteSQLOp, so: SchemaObjects) -> None:
    impl.execute(op.sqltext, execution_options=op.execution_options)
