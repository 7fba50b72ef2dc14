"""PostgreSQL-only DDL constructs: enum types (create, drop, add / rename / remove values).

Each construct is a SQLAlchemy DDL element compiled for ``postgresql`` only; other dialects get a
one-line :class:`sqlalchemy.exc.CompileError`. They can be executed on their own::

    conn.execute(AddEnumValue("mood", "angry", after="sad"))

PostgreSQL cannot drop or reorder enum values. :class:`RecreateEnum` does it the only way the
server allows, in one ``DO`` block (so online runs and offline scripts run the same SQL): it
renames the type, creates it again with the new values, converts every column using it (arrays
too, defaults kept) through ``text``, and drops the old type. Indexes with a predicate or
expressions and CHECK / FOREIGN KEY / EXCLUDE constraints that involve the type's columns or
values would be parsed again against the renamed type, so they are dropped first and created
again from their catalog definitions at the end. A row, default, index or constraint holding a
value that no longer exists, or any other object using the type (view, function, policy,
trigger, generated column, another type ...), stops the block with an error naming it, and
nothing is changed.
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
    """The temporary name of an enum type being replaced, within the identifier limit, which
    PostgreSQL counts in bytes (a longer name would be cut back to the type's own name)."""
    keep = name[: MAX_IDENTIFIER - len(OLD_TYPE_SUFFIX)]
    while len(keep.encode("utf-8")) + len(OLD_TYPE_SUFFIX) > MAX_IDENTIFIER:
        keep = keep[:-1]
    return keep + OLD_TYPE_SUFFIX


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
    # what the type's users depend on (the type, its array type, their table columns); each
    # such dependency is handled below (columns, defaults, indexes, constraints) or stops the
    # block before anything is changed
    used = "SELECT * FROM unnest(used_classes, used_objects, used_subids)"
    depends = f"(d.refclassid, d.refobjid, d.refobjsubid) IN ({used})"
    body = f"""DECLARE
    old_type oid := {qualified_text}::regtype;
    old_array oid := (SELECT typarray FROM pg_type WHERE oid = old_type);
    rels regclass[];
    cols name[];
    arrays boolean[];
    defaults text[];
    suffix text;
    used_classes oid[];
    used_objects oid[];
    used_subids integer[];
    blockers text;
    index_defs text[];
    index_names text[];
    index_tables text[];
    index_spaces text[];
    index_comments text[];
    index_clustered boolean[];
    con_tables text[];
    con_names name[];
    con_defs text[];
    con_comments text[];
    old_space text := current_setting('default_tablespace');
BEGIN
    -- the type, its array type, and every table column of either (inherited ones too: the
    -- conversion recurses to them)
    SELECT array_agg(u.cls), array_agg(u.obj), array_agg(u.sub)
      INTO used_classes, used_objects, used_subids
      FROM (SELECT 'pg_type'::regclass::oid, t, 0 FROM unnest(ARRAY[old_type, old_array]) AS t
            UNION ALL
            SELECT 'pg_class'::regclass::oid, a.attrelid, a.attnum::integer
              FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid AND r.relkind IN ('r', 'p')
             WHERE a.atttypid IN (old_type, old_array) AND a.attnum > 0 AND NOT a.attisdropped)
           AS u(cls, obj, sub);
    -- attgenerated (PostgreSQL 12+) is read through to_jsonb so that older servers run this
    SELECT string_agg(DISTINCT CASE
               WHEN d.classid = 'pg_rewrite'::regclass THEN (
                   SELECT CASE WHEN w.rulename = '_RETURN' THEN ''
                          ELSE 'rule ' || quote_ident(w.rulename) || ' on ' END
                          || pg_describe_object('pg_class'::regclass, w.ev_class, 0)
                   FROM pg_rewrite w WHERE w.oid = d.objid)
               WHEN d.classid = 'pg_class'::regclass AND d.objsubid > 0 AND EXISTS (
                   SELECT 1 FROM pg_class WHERE oid = d.objid AND relkind IN ('v', 'm')) THEN
                   pg_describe_object(d.classid, d.objid, 0)
               WHEN d.classid = 'pg_attrdef'::regclass THEN (
                   SELECT CASE WHEN coalesce(to_jsonb(a) ->> 'attgenerated', '') <> ''
                          THEN 'generated column ' ELSE 'default of column ' END
                          || quote_ident(a.attname) || ' of '
                          || pg_describe_object('pg_class'::regclass, a.attrelid, 0)
                   FROM pg_attrdef ad JOIN pg_attribute a
                        ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
                   WHERE ad.oid = d.objid)
               ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END, ', ')
      INTO blockers
      FROM pg_depend d
     WHERE d.deptype IN ('n', 'a') AND {depends}
       AND NOT (
           d.classid = 'pg_class'::regclass AND d.objsubid > 0
               AND d.refclassid = 'pg_type'::regclass
               AND (d.classid, d.objid, d.objsubid) IN ({used})
           OR d.classid = 'pg_class'::regclass AND d.objsubid = 0
               AND EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = d.objid)
           OR d.classid = 'pg_constraint'::regclass
               AND EXISTS (SELECT 1 FROM pg_constraint
                            WHERE oid = d.objid AND conrelid <> 0
                              AND contype IN ('p', 'u', 'c', 'f', 'x'))
           OR d.classid = 'pg_attrdef'::regclass
               AND EXISTS (SELECT 1 FROM pg_attrdef ad
                             JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
                            WHERE ad.oid = d.objid
                              AND coalesce(to_jsonb(a) ->> 'attgenerated', '') = ''
                              AND ('pg_class'::regclass::oid, a.attrelid, a.attnum::integer)
                                  IN ({used}))
           OR d.classid = 'pg_statistic_ext'::regclass AND d.refclassid = 'pg_class'::regclass);
    IF blockers IS NOT NULL THEN
        RAISE EXCEPTION 'cannot change enum type {p}: used by {p}', {qualified_text}, blockers
            USING HINT = 'drop those before this operation and create them again after it';
    END IF;
    SELECT array_agg(a.attrelid::regclass ORDER BY a.attrelid, a.attnum),
           array_agg(a.attname ORDER BY a.attrelid, a.attnum),
           array_agg(a.atttypid <> old_type ORDER BY a.attrelid, a.attnum),
           array_agg(pg_get_expr(d.adbin, d.adrelid) ORDER BY a.attrelid, a.attnum)
      INTO rels, cols, arrays, defaults
      FROM pg_attribute a
      JOIN pg_class r ON r.oid = a.attrelid AND r.relkind IN ('r', 'p')
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.atttypid IN (old_type, old_array)
       AND a.attnum > 0 AND NOT a.attisdropped AND a.attinhcount = 0;
    -- CHECK, FOREIGN KEY and EXCLUDE constraints and indexes with a predicate or expressions
    -- would be parsed again against the renamed type: dropped now, created again at the end
    SELECT array_agg(c.conrelid::regclass::text ORDER BY c.oid),
           array_agg(c.conname ORDER BY c.oid),
           array_agg(pg_get_constraintdef(c.oid) ORDER BY c.oid),
           array_agg(obj_description(c.oid, 'pg_constraint') ORDER BY c.oid)
      INTO con_tables, con_names, con_defs, con_comments
      FROM pg_constraint c
     WHERE c.contype IN ('c', 'f', 'x') AND c.conrelid <> 0 AND c.coninhcount = 0
       AND EXISTS (SELECT 1 FROM pg_depend d
                    WHERE (d.classid = 'pg_constraint'::regclass AND d.objid = c.oid
                           OR c.contype = 'x' AND d.classid = 'pg_class'::regclass
                              AND d.objid = c.conindid)
                      AND {depends});
    SELECT array_agg(CASE x.relkind WHEN 'I' THEN  -- ON ONLY would leave out the partitions
               overlay(pg_get_indexdef(i.indexrelid)
                       PLACING 'INDEX ' || quote_ident(x.relname) || ' ON '
                       FROM position('INDEX ' || quote_ident(x.relname) || ' ON ONLY '
                                     IN pg_get_indexdef(i.indexrelid))
                       FOR length('INDEX ' || quote_ident(x.relname) || ' ON ONLY '))
               ELSE pg_get_indexdef(i.indexrelid) END ORDER BY i.indexrelid),
           array_agg(i.indexrelid::regclass::text ORDER BY i.indexrelid),
           array_agg(i.indrelid::regclass::text ORDER BY i.indexrelid),
           array_agg(coalesce(s.spcname, '') ORDER BY i.indexrelid),
           array_agg(obj_description(i.indexrelid, 'pg_class') ORDER BY i.indexrelid),
           array_agg(i.indisclustered ORDER BY i.indexrelid)
      INTO index_defs, index_names, index_tables, index_spaces, index_comments, index_clustered
      FROM pg_index i
      JOIN pg_class x ON x.oid = i.indexrelid
      LEFT JOIN pg_tablespace s ON s.oid = x.reltablespace
     WHERE (i.indpred IS NOT NULL OR i.indexprs IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = i.indexrelid)
       AND NOT EXISTS (SELECT 1 FROM pg_depend WHERE classid = 'pg_class'::regclass
                          AND objid = i.indexrelid AND refclassid = 'pg_constraint'::regclass
                          AND deptype = 'i')
       AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                      AND d.objid = i.indexrelid AND {depends});
    FOR i IN 1 .. coalesce(array_length(con_names, 1), 0) LOOP
        EXECUTE format('ALTER TABLE {p}s DROP CONSTRAINT {p}I', con_tables[i], con_names[i]);
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(index_names, 1), 0) LOOP
        EXECUTE format('DROP INDEX {p}s', index_names[i]);
    END LOOP;
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
            BEGIN
                EXECUTE format('ALTER TABLE {p}s ALTER COLUMN {p}I SET DEFAULT {p}s', rels[i],
                               cols[i], defaults[i]);
            EXCEPTION WHEN invalid_text_representation THEN
                RAISE EXCEPTION 'cannot change enum type {p}: the default of column {p}.{p} is a '
                                'value the new type lacks ({p})', {qualified_text}, rels[i],
                                cols[i], SQLERRM
                    USING HINT = 'change the default first';
            END;
        END IF;
    END LOOP;
    DROP TYPE {old_qualified};
    FOR i IN 1 .. coalesce(array_length(index_names, 1), 0) LOOP
        PERFORM set_config('default_tablespace', index_spaces[i], true);
        BEGIN
            EXECUTE index_defs[i];
        EXCEPTION WHEN invalid_text_representation THEN
            RAISE EXCEPTION 'cannot change enum type {p}: index {p} uses a value the new type '
                            'lacks ({p})', {qualified_text}, index_names[i], SQLERRM
                USING HINT = 'drop or change the index first';
        END;
        IF index_comments[i] IS NOT NULL THEN
            EXECUTE format('COMMENT ON INDEX {p}s IS {p}L', index_names[i], index_comments[i]);
        END IF;
        IF index_clustered[i] THEN
            EXECUTE format('ALTER TABLE {p}s CLUSTER ON {p}I', index_tables[i],
                           (SELECT relname FROM pg_class WHERE oid = index_names[i]::regclass));
        END IF;
    END LOOP;
    PERFORM set_config('default_tablespace', old_space, true);
    FOR i IN 1 .. coalesce(array_length(con_names, 1), 0) LOOP
        BEGIN
            EXECUTE format('ALTER TABLE {p}s ADD CONSTRAINT {p}I {p}s', con_tables[i], con_names[i],
                           con_defs[i]);
        EXCEPTION WHEN invalid_text_representation THEN
            RAISE EXCEPTION 'cannot change enum type {p}: constraint {p} on {p} uses a value the new '
                            'type lacks ({p})', {qualified_text}, con_names[i], con_tables[i], SQLERRM
                USING HINT = 'drop or change the constraint first';
        END;
        IF con_comments[i] IS NOT NULL THEN
            EXECUTE format('COMMENT ON CONSTRAINT {p}I ON {p}s IS {p}L', con_names[i], con_tables[i],
                           con_comments[i]);
        END IF;
    END LOOP;
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
