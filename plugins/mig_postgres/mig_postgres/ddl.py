"""PostgreSQL-only DDL constructs: enum types (create, drop, add / rename / remove values).

Each construct is a SQLAlchemy DDL element compiled for ``postgresql`` only; other dialects get a
one-line :class:`sqlalchemy.exc.CompileError`. They can be executed on their own::

    conn.execute(AddEnumValue("mood", "angry", after="sad"))

PostgreSQL cannot drop or reorder enum values. :class:`RecreateEnum` does it the only way the
server allows, in one ``DO`` block (so online runs and offline scripts run the same SQL): it
renames the type, creates it again with the new values, converts every column using it (arrays
too, defaults kept) through ``text``, and drops the old type. A row holding a value that no
longer exists stops the block with an error naming the column, and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.ddl import ExecutableDDLElement

from mig_core.ddl.base import format_literal, format_table_name

if TYPE_CHECKING:
    from sqlalchemy.sql.compiler import DDLCompiler

#: suffix given to an enum type while :class:`RecreateEnum` replaces it
OLD_TYPE_SUFFIX = "_mig_old"
#: PostgreSQL's identifier length limit (NAMEDATALEN - 1)
MAX_IDENTIFIER = 63


class EnumDDL(ExecutableDDLElement):
    """Base of the enum constructs: the type's name and schema."""

    inherit_cache = False

    def __init__(self, name: str, schema: str | None = None) -> None:
        self.name = name
        self.schema = schema


class CreateEnum(EnumDDL):
    """``CREATE TYPE name AS ENUM (...)``; ``if_not_exists`` ignores an existing type."""

    def __init__(
        self,
        name: str,
        values: Sequence[str],
        schema: str | None = None,
        *,
        if_not_exists: bool = False,
    ) -> None:
        super().__init__(name, schema)
        self.values = list(values)
        self.if_not_exists = if_not_exists


class DropEnum(EnumDDL):
    """``DROP TYPE [IF EXISTS] name [CASCADE]``."""

    def __init__(
        self, name: str, schema: str | None = None, *, if_exists: bool = False,
        cascade: bool = False,
    ) -> None:
        super().__init__(name, schema)
        self.if_exists = if_exists
        self.cascade = cascade


class AddEnumValue(EnumDDL):
    """``ALTER TYPE name ADD VALUE [IF NOT EXISTS] 'v' [BEFORE 'x' | AFTER 'y']``."""

    def __init__(
        self,
        name: str,
        value: str,
        schema: str | None = None,
        *,
        before: str | None = None,
        after: str | None = None,
        if_not_exists: bool = False,
    ) -> None:
        super().__init__(name, schema)
        if before is not None and after is not None:
            raise ValueError("give before or after, not both")
        self.value = value
        self.before = before
        self.after = after
        self.if_not_exists = if_not_exists


class RenameEnumValue(EnumDDL):
    """``ALTER TYPE name RENAME VALUE 'old' TO 'new'`` (rows keep their value: it is renamed)."""

    def __init__(self, name: str, old_value: str, new_value: str, schema: str | None = None):
        super().__init__(name, schema)
        self.old_value = old_value
        self.new_value = new_value


class RecreateEnum(EnumDDL):
    """Give an enum type exactly ``values`` (in order), or remove ``drop_value`` from it.

    Exactly one of ``values`` (the full new list) and ``drop_value`` (one value to remove; the
    rest is read from the server when the block runs) is given.
    """

    def __init__(
        self,
        name: str,
        schema: str | None = None,
        *,
        values: Sequence[str] | None = None,
        drop_value: str | None = None,
    ) -> None:
        super().__init__(name, schema)
        if (values is None) == (drop_value is None):
            raise ValueError("give values or drop_value")
        self.values = list(values) if values is not None else None
        self.drop_value = drop_value


# --- compilation -------------------------------------------------------------------------------


@compiles(EnumDDL)
def _postgresql_only(element: EnumDDL, compiler: Any, **kw: Any) -> str:
    raise CompileError(
        f"{type(element).__name__} ({element.name!r}) is PostgreSQL-only; the run's dialect is "
        f"{compiler.dialect.name!r}"
    )


def type_name(compiler: DDLCompiler, name: str, schema: str | None) -> str:
    """The quoted, schema-qualified type name."""
    return format_table_name(compiler, name, schema)


def _values_list(compiler: DDLCompiler, values: Sequence[str]) -> str:
    return ", ".join(format_literal(compiler, v) for v in values)


@compiles(CreateEnum, "postgresql")
def _create_enum(element: CreateEnum, compiler: DDLCompiler, **kw: Any) -> str:
    create = (
        f"CREATE TYPE {type_name(compiler, element.name, element.schema)} AS ENUM "
        f"({_values_list(compiler, element.values)})"
    )
    if not element.if_not_exists:
        return create
    # PostgreSQL has no CREATE TYPE IF NOT EXISTS
    return do_block(
        f"BEGIN\n    {create};\nEXCEPTION WHEN duplicate_object THEN NULL;\nEND"
    )


@compiles(DropEnum, "postgresql")
def _drop_enum(element: DropEnum, compiler: DDLCompiler, **kw: Any) -> str:
    exists = "IF EXISTS " if element.if_exists else ""
    cascade = " CASCADE" if element.cascade else ""
    return f"DROP TYPE {exists}{type_name(compiler, element.name, element.schema)}{cascade}"


@compiles(AddEnumValue, "postgresql")
def _add_enum_value(element: AddEnumValue, compiler: DDLCompiler, **kw: Any) -> str:
    text = f"ALTER TYPE {type_name(compiler, element.name, element.schema)} ADD VALUE "
    if element.if_not_exists:
        text += "IF NOT EXISTS "
    text += format_literal(compiler, element.value)
    if element.before is not None:
        text += f" BEFORE {format_literal(compiler, element.before)}"
    elif element.after is not None:
        text += f" AFTER {format_literal(compiler, element.after)}"
    return text


@compiles(RenameEnumValue, "postgresql")
def _rename_enum_value(element: RenameEnumValue, compiler: DDLCompiler, **kw: Any) -> str:
    return (
        f"ALTER TYPE {type_name(compiler, element.name, element.schema)} RENAME VALUE "
        f"{format_literal(compiler, element.old_value)} TO "
        f"{format_literal(compiler, element.new_value)}"
    )


def do_block(body: str) -> str:
    """``DO $tag$ <body> $tag$`` with a dollar-quote tag that does not occur in ``body``."""
    tag = "mig"
    n = 0
    while f"${tag}$" in body:
        n += 1
        tag = f"mig{n}"
    return f"DO ${tag}$\n{body}\n${tag}$"


def old_type_name(name: str) -> str:
    """The temporary name of an enum type being replaced (within the identifier limit)."""
    return name[: MAX_IDENTIFIER - len(OLD_TYPE_SUFFIX)] + OLD_TYPE_SUFFIX


@compiles(RecreateEnum, "postgresql")
def _recreate_enum(element: RecreateEnum, compiler: DDLCompiler, **kw: Any) -> str:
    qualified = type_name(compiler, element.name, element.schema)
    old_name = compiler.preparer.quote(old_type_name(element.name))
    old_qualified = type_name(compiler, old_type_name(element.name), element.schema)
    qualified_text = format_literal(compiler, qualified)
    p = "%%" if compiler.preparer._double_percents else "%"  # as SQLAlchemy escapes % online
    if element.values is not None:
        create = f"CREATE TYPE {qualified} AS ENUM ({_values_list(compiler, element.values)});"
    else:
        assert element.drop_value is not None
        create = (
            f"EXECUTE format('CREATE TYPE {p}s AS ENUM ({p}s)', {qualified_text}, (\n"
            "        SELECT string_agg(quote_literal(enumlabel), ', ' ORDER BY enumsortorder)\n"
            "        FROM pg_enum WHERE enumtypid = old_type AND enumlabel <> "
            f"{format_literal(compiler, element.drop_value)}));"
        )
    body = f"""DECLARE
    old_type oid := {qualified_text}::regtype;
    rels regclass[];
    cols name[];
    arrays boolean[];
    defaults text[];
    suffix text;
BEGIN
    SELECT array_agg(a.attrelid::regclass ORDER BY a.attrelid, a.attnum),
           array_agg(a.attname ORDER BY a.attrelid, a.attnum),
           array_agg(a.atttypid <> old_type ORDER BY a.attrelid, a.attnum),
           array_agg(pg_get_expr(d.adbin, d.adrelid) ORDER BY a.attrelid, a.attnum)
      INTO rels, cols, arrays, defaults
      FROM pg_attribute a
      JOIN pg_class r ON r.oid = a.attrelid AND r.relkind IN ('r', 'p')
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.atttypid IN (old_type, (SELECT typarray FROM pg_type WHERE oid = old_type))
       AND a.attnum > 0 AND NOT a.attisdropped AND a.attinhcount = 0;
    ALTER TYPE {qualified} RENAME TO {old_name};
    {create}
    FOR i IN 1 .. coalesce(array_length(rels, 1), 0) LOOP
        suffix := CASE WHEN arrays[i] THEN '[]' ELSE '' END;
        IF defaults[i] IS NOT NULL THEN
            EXECUTE format('ALTER TABLE {p}s ALTER COLUMN {p}I DROP DEFAULT', rels[i], cols[i]);
        END IF;
        BEGIN
            EXECUTE format('ALTER TABLE {p}s ALTER COLUMN {p}I TYPE {p}s{p}s USING {p}I::text{p}s::{p}s{p}s',
                           rels[i], cols[i], {qualified_text}, suffix, cols[i], suffix,
                           {qualified_text}, suffix);
        EXCEPTION WHEN invalid_text_representation THEN
            RAISE EXCEPTION 'cannot change enum type {p}: column {p}.{p} holds a value the new type '
                            'lacks ({p})', {qualified_text}, rels[i], cols[i], SQLERRM
                USING HINT = 'update or delete those rows first, or rename the value instead';
        END;
        IF defaults[i] IS NOT NULL THEN
            EXECUTE format('ALTER TABLE {p}s ALTER COLUMN {p}I SET DEFAULT {p}s', rels[i], cols[i],
                           defaults[i]);
        END IF;
    END LOOP;
    DROP TYPE {old_qualified};
END"""
    return do_block(body)


__all__ = [
    "AddEnumValue",
    "CreateEnum",
    "DropEnum",
    "EnumDDL",
    "RecreateEnum",
    "RenameEnumValue",
    "do_block",
    "old_type_name",
    "type_name",
]
