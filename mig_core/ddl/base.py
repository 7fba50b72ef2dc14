"""ALTER constructs as SQLAlchemy DDL elements, with a default (standard SQL) compilation.

Any SQLAlchemy application can use them on their own::

    conn.execute(ColumnType("account", "name", String(200)))

Dialect plugins change a construct's SQL for their dialect with SQLAlchemy's compiler extension,
in their own package::

    @compiles(AddColumn, "mssql")
    def _mssql_add_column(element, compiler, **kw): ...

The ``format_*`` helpers below quote names and render types and defaults the way the default
compilations do, so dialect compilations stay short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.ddl import ExecutableDDLElement
from sqlalchemy.sql.elements import BindParameter, ClauseElement, TextClause

if TYPE_CHECKING:
    from sqlalchemy.sql.compiler import DDLCompiler
    from sqlalchemy.types import TypeEngine


# --- constructs ------------------------------------------------------------------------------


class AlterTable(ExecutableDDLElement):
    """Base of every ``ALTER TABLE <table> ...`` construct."""

    inherit_cache = False

    def __init__(self, table_name: str, schema: str | None = None) -> None:
        self.table_name = table_name
        self.schema = schema


class RenameTable(AlterTable):
    """``ALTER TABLE old RENAME TO new``."""

    def __init__(self, old_table_name: str, new_table_name: str, schema: str | None = None):
        super().__init__(old_table_name, schema=schema)
        self.new_table_name = new_table_name


class AddColumn(AlterTable):
    """``ALTER TABLE t ADD COLUMN <spec>``; the column should be attached to a Table."""

    def __init__(
        self,
        table_name: str,
        column: sa.Column[Any],
        schema: str | None = None,
        *,
        if_not_exists: bool | None = None,
        inline_references: bool | None = None,
        inline_primary_key: bool | None = None,
    ) -> None:
        super().__init__(table_name, schema=schema)
        self.column = column
        self.if_not_exists = if_not_exists
        self.inline_references = inline_references
        self.inline_primary_key = inline_primary_key


class DropColumn(AlterTable):
    """``ALTER TABLE t DROP COLUMN c``."""

    def __init__(
        self,
        table_name: str,
        column: sa.Column[Any] | str,
        schema: str | None = None,
        *,
        if_exists: bool | None = None,
    ) -> None:
        super().__init__(table_name, schema=schema)
        self.column = column
        self.column_name = column if isinstance(column, str) else column.name
        self.if_exists = if_exists


class AlterColumn(AlterTable):
    """Base of the one-aspect column changes; carries what is known of the existing column.

    Dialects whose ALTER restates the whole column (MySQL ``MODIFY``, SQL Server
    ``ALTER COLUMN``) read ``existing_type`` / ``existing_nullable`` / ``existing_server_default``.
    """

    def __init__(
        self,
        table_name: str,
        column_name: str,
        schema: str | None = None,
        *,
        existing_type: TypeEngine[Any] | None = None,
        existing_nullable: bool | None = None,
        existing_server_default: Any = None,
        existing_comment: str | None = None,
    ) -> None:
        super().__init__(table_name, schema=schema)
        self.column_name = column_name
        self.existing_type = _to_type(existing_type)
        self.existing_nullable = existing_nullable
        self.existing_server_default = existing_server_default
        self.existing_comment = existing_comment


class ColumnNullable(AlterColumn):
    """``ALTER TABLE t ALTER COLUMN c SET NOT NULL`` / ``DROP NOT NULL``."""

    def __init__(self, table_name: str, column_name: str, nullable: bool, **kw: Any) -> None:
        super().__init__(table_name, column_name, **kw)
        self.nullable = nullable


class ColumnType(AlterColumn):
    """``ALTER TABLE t ALTER COLUMN c TYPE <type> [USING <expr>]``."""

    def __init__(
        self,
        table_name: str,
        column_name: str,
        type_: Any,
        *,
        using: Any = None,
        **kw: Any,
    ) -> None:
        super().__init__(table_name, column_name, **kw)
        self.type_ = _to_type(type_)
        self.using = using


class ColumnDefault(AlterColumn):
    """``ALTER TABLE t ALTER COLUMN c SET DEFAULT <x>`` / ``DROP DEFAULT`` (``default=None``)."""

    def __init__(self, table_name: str, column_name: str, default: Any, **kw: Any) -> None:
        super().__init__(table_name, column_name, **kw)
        self.default = default


class IdentityColumnDefault(AlterColumn):
    """Add, change or drop a column's ``GENERATED ... AS IDENTITY``.

    ``default`` is the new :class:`sqlalchemy.Identity` (None drops it); ``existing`` the old
    one (None when the column has no identity yet).
    """

    def __init__(
        self,
        table_name: str,
        column_name: str,
        default: sa.Identity | None,
        existing: sa.Identity | None,
        **kw: Any,
    ) -> None:
        super().__init__(table_name, column_name, **kw)
        self.default = default
        self.existing = existing


class ColumnName(AlterColumn):
    """``ALTER TABLE t RENAME COLUMN c TO d``."""

    def __init__(self, table_name: str, column_name: str, newname: str, **kw: Any) -> None:
        super().__init__(table_name, column_name, **kw)
        self.newname = newname


class ColumnComment(AlterColumn):
    """``COMMENT ON COLUMN t.c IS '...'`` (``comment=None`` removes it)."""

    def __init__(
        self, table_name: str, column_name: str, comment: str | None, **kw: Any
    ) -> None:
        super().__init__(table_name, column_name, **kw)
        self.comment = comment


def _to_type(type_: Any) -> Any:
    """A type instance from a type class or instance (None stays None)."""
    if type_ is None:
        return None
    return sa.types.to_instance(type_)


# --- SQL expressions ---------------------------------------------------------------------------


class InlineLiteral(BindParameter[Any]):
    """A value always written into the SQL text as a literal (``op.inline_literal``).

    Offline scripts cannot carry bound parameters, so values in ``op.execute(table.update()...)``
    must be literals; the type's literal processor escapes quotes (and backslashes where the
    dialect needs it).
    """

    inherit_cache = False  # the value is part of the SQL text: never reuse a cached string

    def __init__(self, value: Any, type_: Any = None) -> None:
        super().__init__(None, value, type_=_to_type(type_), unique=True)


@compiles(InlineLiteral)
def _inline_literal(element: InlineLiteral, compiler: Any, **kw: Any) -> str:
    if element.value is None:
        return "NULL"
    return compiler.render_literal_bindparam(element, **kw)  # type: ignore[no-any-return]


# --- formatting helpers (for dialect compilations too) --------------------------------------


class _NamedTable:
    """A table known only by name and schema, as the identifier preparer formats it."""

    _use_schema_map = True  # a connection's schema_translate_map applies, as to sa.Table

    def __init__(self, name: str, schema: str | None) -> None:
        self.name = name
        self.schema = schema


def format_table_name(compiler: DDLCompiler, name: str, schema: str | None) -> str:
    """The quoted, schema-qualified table name; a connection's ``schema_translate_map``
    applies to it as to SQLAlchemy's own DDL (``{None: "tenant1"}`` names tenant1's table)."""
    return compiler.preparer.format_table(_NamedTable(name, schema))  # type: ignore[arg-type]


def format_column_name(compiler: DDLCompiler, name: str) -> str:
    """The quoted column name."""
    return compiler.preparer.quote(name)


def format_type(compiler: DDLCompiler, type_: TypeEngine[Any]) -> str:
    """The type as the dialect writes it in DDL."""
    return compiler.dialect.type_compiler_instance.process(type_)


def format_literal(compiler: DDLCompiler, value: str) -> str:
    """A string literal, quoted and escaped for the dialect."""
    return compiler.sql_compiler.render_literal_value(value, sa.String())


def format_server_default(compiler: DDLCompiler, default: Any) -> str:
    """A server default as SQL: strings become quoted literals, SQL expressions stay SQL."""
    if isinstance(default, sa.DefaultClause):
        default = default.arg
    if isinstance(default, str):
        return format_literal(compiler, default)
    if isinstance(default, TextClause):
        return compiler.sql_compiler.process(default, literal_binds=True)
    if isinstance(default, ClauseElement):
        return compiler.sql_compiler.process(default, literal_binds=True, include_table=False)
    return format_literal(compiler, str(default))


_PLAIN_QUOTING: dict[type, bool] = {}


def _warm_quote_cache(preparer: Any, name: Any) -> None:
    """Quote ``name`` as a plain ``str`` first, so the dialect's quoting cache answers for it.

    A Column's name is a ``quoted_name``; quoting one the first time costs several times what
    quoting the same text as a ``str`` does (its memoized ``lower()``), and ``add_column``
    writes a new name every time. With ``quote`` unset, both give the same text; preparers
    that change how quoting is decided are left alone.
    """
    cache = getattr(preparer, "_strings", None)
    if cache is None or name in cache or getattr(name, "quote", None) is not None:
        return
    plain = _PLAIN_QUOTING.get(type(preparer))
    if plain is None:
        from sqlalchemy.sql.compiler import IdentifierPreparer

        cls = type(preparer)
        plain = _PLAIN_QUOTING[cls] = (
            cls.quote is IdentifierPreparer.quote
            and cls._requires_quotes is IdentifierPreparer._requires_quotes
        )
    if plain:
        preparer.quote(str(name))


def alter_table(compiler: DDLCompiler, name: str, schema: str | None) -> str:
    return f"ALTER TABLE {format_table_name(compiler, name, schema)}"


def alter_column(compiler: DDLCompiler, name: str) -> str:
    return f"ALTER COLUMN {format_column_name(compiler, name)}"


def column_specification(
    compiler: DDLCompiler,
    column: sa.Column[Any],
    *,
    inline_references: bool | None = None,
    inline_primary_key: bool | None = None,
) -> str:
    """The column's DDL spec, optionally with ``PRIMARY KEY`` and ``REFERENCES`` inline."""
    _warm_quote_cache(compiler.preparer, column.name)
    text: str = compiler.get_column_specification(column)
    if inline_primary_key and column.primary_key:
        text += " PRIMARY KEY"
    if inline_references:
        for fk in column.foreign_keys:
            constraint = fk.constraint
            assert constraint is not None
            remote = compiler.define_constraint_remote_table(
                constraint, fk.column.table, compiler.preparer
            )
            text += f" REFERENCES {remote} ({compiler.preparer.quote(fk.column.name)})"
            text += compiler.define_constraint_match(constraint)
            text += compiler.define_constraint_cascades(constraint)
            text += compiler.define_constraint_deferrability(constraint)
    return text


def identity_changes(new: sa.Identity, old: sa.Identity) -> list[str]:
    """The ``SET ...`` clauses turning identity ``old`` into ``new`` (standard SQL / PostgreSQL)."""
    out = []
    if bool(new.always) != bool(old.always):
        out.append("SET GENERATED " + ("ALWAYS" if new.always else "BY DEFAULT"))
    for attr, words in (
        ("start", "START WITH"),
        ("increment", "INCREMENT BY"),
        ("minvalue", "MINVALUE"),
        ("maxvalue", "MAXVALUE"),
        ("cache", "CACHE"),
    ):
        value, before = getattr(new, attr, None), getattr(old, attr, None)
        if value != before:
            if value is None:
                if attr in ("minvalue", "maxvalue"):
                    out.append(f"SET NO {words}")
                continue
            out.append(f"SET {words} {value}")
    if bool(new.cycle) != bool(old.cycle):
        out.append("SET CYCLE" if new.cycle else "SET NO CYCLE")
    return out


# --- default compilation ---------------------------------------------------------------------


@compiles(RenameTable)
def _rename_table(element: RenameTable, compiler: DDLCompiler, **kw: Any) -> str:
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} "
        f"RENAME TO {compiler.preparer.quote(element.new_table_name)}"
    )


#: Alembic's name for the RenameTable compiler, which dialect extensions fall back to after
#: overriding it with ``@compiles(RenameTable, "sqlite")`` (GeoAlchemy2's alembic_helpers)
visit_rename_table = _rename_table


@compiles(AddColumn)
def _add_column(element: AddColumn, compiler: DDLCompiler, **kw: Any) -> str:
    spec = column_specification(
        compiler,
        element.column,
        inline_references=element.inline_references,
        inline_primary_key=element.inline_primary_key,
    )
    exists = "IF NOT EXISTS " if element.if_not_exists else ""
    return f"{alter_table(compiler, element.table_name, element.schema)} ADD COLUMN {exists}{spec}"


@compiles(DropColumn)
def _drop_column(element: DropColumn, compiler: DDLCompiler, **kw: Any) -> str:
    exists = "IF EXISTS " if element.if_exists else ""
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} DROP COLUMN "
        f"{exists}{format_column_name(compiler, element.column_name)}"
    )


@compiles(ColumnNullable)
def _column_nullable(element: ColumnNullable, compiler: DDLCompiler, **kw: Any) -> str:
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} "
        f"{alter_column(compiler, element.column_name)} "
        f"{'DROP NOT NULL' if element.nullable else 'SET NOT NULL'}"
    )


@compiles(ColumnType)
def _column_type(element: ColumnType, compiler: DDLCompiler, **kw: Any) -> str:
    text = (
        f"{alter_table(compiler, element.table_name, element.schema)} "
        f"{alter_column(compiler, element.column_name)} TYPE {format_type(compiler, element.type_)}"
    )
    if element.using is not None:
        using = element.using
        text += " USING " + (
            using if isinstance(using, str)
            else compiler.sql_compiler.process(using, literal_binds=True)
        )
    return text


@compiles(ColumnDefault)
def _column_default(element: ColumnDefault, compiler: DDLCompiler, **kw: Any) -> str:
    head = (
        f"{alter_table(compiler, element.table_name, element.schema)} "
        f"{alter_column(compiler, element.column_name)}"
    )
    if element.default is None:
        return f"{head} DROP DEFAULT"
    return f"{head} SET DEFAULT {format_server_default(compiler, element.default)}"


@compiles(IdentityColumnDefault)
def _identity_default(element: IdentityColumnDefault, compiler: DDLCompiler, **kw: Any) -> str:
    head = (
        f"{alter_table(compiler, element.table_name, element.schema)} "
        f"{alter_column(compiler, element.column_name)}"
    )
    if element.default is None:
        return f"{head} DROP IDENTITY"
    if element.existing is None:
        kind = "ALWAYS" if element.default.always else "BY DEFAULT"
        options = compiler.get_identity_options(element.default)
        return f"{head} ADD GENERATED {kind} AS IDENTITY" + (f" ({options})" if options else "")
    changes = identity_changes(element.default, element.existing)
    return f"{head} {' '.join(changes)}" if changes else ""


@compiles(ColumnName)
def _column_name(element: ColumnName, compiler: DDLCompiler, **kw: Any) -> str:
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} RENAME COLUMN "
        f"{format_column_name(compiler, element.column_name)} TO "
        f"{format_column_name(compiler, element.newname)}"
    )


@compiles(ColumnComment)
def _column_comment(element: ColumnComment, compiler: DDLCompiler, **kw: Any) -> str:
    comment = "NULL" if element.comment is None else format_literal(compiler, element.comment)
    return (
        f"COMMENT ON COLUMN {format_table_name(compiler, element.table_name, element.schema)}."
        f"{format_column_name(compiler, element.column_name)} IS {comment}"
    )


__all__ = [
    "AddColumn",
    "AlterColumn",
    "AlterTable",
    "ColumnComment",
    "ColumnDefault",
    "ColumnName",
    "ColumnNullable",
    "ColumnType",
    "DropColumn",
    "IdentityColumnDefault",
    "InlineLiteral",
    "RenameTable",
    "alter_column",
    "alter_table",
    "column_specification",
    "format_column_name",
    "format_literal",
    "format_server_default",
    "format_table_name",
    "format_type",
    "identity_changes",
]
