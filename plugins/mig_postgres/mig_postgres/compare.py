"""PostgreSQL comparison for autogenerate: types, server defaults, foreign-key schemas, type
changes that need ``USING``, sequences; indexes and exclusion constraints through
:mod:`mig_postgres.constraints`, enum types through :mod:`mig_postgres.enums`.

The hooks in plugin.py call these functions; each takes the core's
:class:`~mig_core.autogenerate.context.CompareContext`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mig_core.autogenerate.compare_columns import _hashable_type_key
from mig_core.operations.ops import AlterColumnOp, ModifyTableOps
from mig_postgres.catalog import PgCatalog, catalog
from mig_postgres.constraints import compare_exclusions, drop_same_index_pairs
from mig_postgres.ops import CreateSequenceOp, DropSequenceOp
from mig_postgres.serial import settle_serial_columns

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.autogenerate.context import CompareContext
    from mig_core.autogenerate.snapshot import ReflectedColumn, ReflectedTable
    from mig_core.operations.opbase import MigrateOperation


def _unwrap(type_: Any, dialect: Any) -> Any:
    """The type the dialect really uses: through ``with_variant`` and ``TypeDecorator``."""
    from sqlalchemy.types import TypeDecorator

    for _ in range(20):
        variants = getattr(type_, "_variant_mapping", None) or {}
        if dialect.name in variants:
            type_ = variants[dialect.name]
        elif isinstance(type_, TypeDecorator):
            type_ = type_.load_dialect_impl(dialect)
        else:
            break
    return type_


# --- types -----------------------------------------------------------------------------------


_SPECIAL_REFLECTED: tuple[type, ...] | None = None
#: type class -> "array", "enum", "other" (a reflected class among the special ones) or None
_TYPE_KINDS: dict[type, str | None] = {}


def _special_reflected() -> tuple[type, ...]:
    """Reflected type classes whose comparison needs PostgreSQL's knowledge."""
    global _SPECIAL_REFLECTED
    if _SPECIAL_REFLECTED is None:
        import sqlalchemy as sa
        from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION, ENUM, REAL

        _SPECIAL_REFLECTED = (sa.ARRAY, ENUM, REAL, DOUBLE_PRECISION)
    return _SPECIAL_REFLECTED


def _type_kind(cls: type) -> str | None:
    """What :func:`align_reflected_types` and :func:`_type_identity` need to know of a type
    class, decided once per class: "array", "enum", "special" (another reflected class
    PostgreSQL compares its own way) or None."""
    try:
        return _TYPE_KINDS[cls]
    except KeyError:
        pass
    import sqlalchemy as sa

    kind: str | None = None
    if issubclass(cls, sa.ARRAY):
        kind = "array"
    elif issubclass(cls, sa.Enum):
        kind = "enum"
    elif issubclass(cls, _special_reflected()):
        kind = "special"
    _TYPE_KINDS[cls] = kind
    return kind


def align_reflected_types(ctx: CompareContext, conn_table: ReflectedTable,
                          meta_table: sa.Table) -> None:
    """Write a reflected column's type the model's way where PostgreSQL says both are the same
    type but their SQL text differs (ARRAY dimensions, an enum's schema, REAL for Float(24)).

    The core then compares them equal through its own (fast) path; a plugin-wide
    ``mig_compare_type`` would send every column of every table through the hooks instead.
    What was reflected is kept otherwise (an enum keeps the database's values). A table the
    core settled from raw rows holds only plain built-in types: its columns are aligned only
    when at hand (built from the rows for ``include_object``, which sees them aligned).
    """
    if conn_table.settled is not None and not conn_table.columns_read:
        return
    enum_class = _special_reflected()[1]  # PostgreSQL's ENUM
    kinds = _TYPE_KINDS
    cache = ctx.cache
    by_key = meta_table.c
    meta_columns = None
    for raw in conn_table.raw_columns:
        conn_type = raw["type"]
        cls = conn_type.__class__
        kind = kinds[cls] if cls in kinds else _type_kind(cls)
        if kind is None or kind == "enum" and not isinstance(conn_type, enum_class):
            continue  # only PostgreSQL's own ENUM is reflected; a plain type needs nothing
        name = raw["name"]
        meta_col = by_key.get(name)  # by name: a model column's key may differ from it
        if meta_col is None or meta_col.name != name:
            if meta_columns is None:
                meta_columns = {c.name: c for c in meta_table.columns}
            meta_col = meta_columns.get(name)
            if meta_col is None:
                continue
        # one decision per distinct pair of types: a model repeats the same few
        key = ("mig_postgres.aligned", _type_identity(conn_type), _type_identity(meta_col.type))
        aligned = cache.get(key)
        if aligned is None:
            same = _type_verdict(ctx, conn_type, meta_col.type) is False
            aligned = cache[key] = (
                _aligned(conn_type, _unwrap(meta_col.type, ctx.dialect)) if same else False
            )
        if aligned is not False:
            conn_table.set_column_type(raw, aligned)


def settled_type(ctx: CompareContext, type_text: str, meta_type: Any) -> Any:
    """The type a column of ``format_type`` text ``type_text`` holds in the comparison with
    model type ``meta_type``: SQLAlchemy's reflection of it (columns.plain_type), aligned as
    :func:`align_reflected_types` would; None for a type not settled from raw rows."""
    from mig_postgres.columns import plain_type

    conn_type = plain_type(type_text)
    if conn_type is None:
        return None
    cls = conn_type.__class__
    kind = _TYPE_KINDS[cls] if cls in _TYPE_KINDS else _type_kind(cls)
    if kind is None:
        return conn_type
    if kind != "special":  # arrays and enums are never plain
        return None
    if _type_verdict(ctx, conn_type, meta_type) is False:
        return _aligned(conn_type, _unwrap(meta_type, ctx.dialect))
    return conn_type


def _type_identity(type_: Any) -> Any:
    """A hashable description of a reflected or model type (equal for equal types)."""
    cls = type_.__class__
    kind = _TYPE_KINDS[cls] if cls in _TYPE_KINDS else _type_kind(cls)
    if kind == "array":
        return ("array", cls, _type_identity(type_.item_type), type_.dimensions)
    if kind == "enum":
        return ("enum", cls, type_.name, type_.schema, tuple(type_.enums), type_.native_enum)
    return _hashable_type_key(type_) or ("id", id(type_))


def _aligned(conn_type: Any, meta_type: Any) -> Any:
    """The reflected type, written like the (equal) model type."""
    import sqlalchemy as sa
    from sqlalchemy.dialects.postgresql import ENUM

    if isinstance(conn_type, sa.ARRAY) and isinstance(meta_type, sa.ARRAY):
        return type(conn_type)(
            _aligned(conn_type.item_type, meta_type.item_type), as_tuple=conn_type.as_tuple,
            dimensions=meta_type.dimensions, zero_indexes=conn_type.zero_indexes,
        )
    if isinstance(conn_type, ENUM) and isinstance(meta_type, sa.Enum):
        return ENUM(*conn_type.enums, name=conn_type.name, schema=meta_type.schema,
                    create_type=False)
    if isinstance(meta_type, sa.Float):
        return meta_type
    return conn_type


def _type_verdict(ctx: CompareContext, conn_type: Any, meta_type: Any) -> bool | None:
    import sqlalchemy as sa
    from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION, ENUM, REAL

    meta = _unwrap(meta_type, ctx.dialect)
    if isinstance(conn_type, sa.ARRAY) and isinstance(meta, sa.ARRAY):
        verdict = _type_verdict(ctx, conn_type.item_type, meta.item_type)
        if verdict is None:
            from mig_core.autogenerate.compare_columns import default_types_differ

            verdict = default_types_differ(ctx, conn_type.item_type, meta.item_type)
        return verdict
    if isinstance(conn_type, ENUM) and isinstance(meta, sa.Enum) and meta.native_enum:
        if not meta.name:
            return None
        cat = catalog(ctx)
        conn_key = (cat.enum_schema(str(conn_type.name), conn_type.schema), conn_type.name)
        meta_key = (meta.schema or cat.default_schema, meta.name)
        return conn_key != meta_key
    if (
        type(meta) in (sa.Float, sa.FLOAT) and getattr(meta, "precision", None) is not None
        and isinstance(conn_type, (REAL, DOUBLE_PRECISION))
    ):
        wants_real = meta.precision <= 24
        return wants_real != isinstance(conn_type, REAL)
    return None


# --- server defaults -------------------------------------------------------------------------

_NEXTVAL = re.compile(r"^\s*nextval\(\s*'((?:[^']|'')+)'\s*(?:::\s*regclass)?\s*\)\s*$", re.I)
#: a cast to a schema-qualified (or quoted) type, which the core's normalization keeps
_QUALIFIED_CAST = re.compile(r'::(?:"[^"]+"|[a-z_][\w$]*)(?:\.(?:"[^"]+"|[a-z_][\w$]*))+'
                             r'(?:\[\])*', re.I)
_FUNCTION = re.compile(r"(?<![\w.:$])([a-z_][a-z0-9_$]*)\s*\(", re.I)


def _sequence_of(default: str | None) -> str | None:
    """The sequence name inside ``nextval('...')``, or None."""
    if default is None:
        return None
    match = _NEXTVAL.match(default)
    return match.group(1).replace("''", "'") if match else None


def _split_name(text: str) -> tuple[str | None, str]:
    """``schema.name`` as PostgreSQL reads it (unquoted parts fold to lower case)."""
    parts = re.findall(r'"((?:[^"]|"")*)"|([^."]+)', text)
    names = [q.replace('""', '"') if q else u.lower() for q, u in parts]
    if len(names) >= 2:
        return names[-2], names[-1]
    return None, names[-1] if names else text


def _same_sequence(cat: PgCatalog, left: str, right: str) -> bool:
    ls, ln = _split_name(left)
    rs, rn = _split_name(right)
    return (ls or cat.default_schema, ln) == (rs or cat.default_schema, rn)


def _serial_like(meta_col: Any) -> bool:
    """A model column PostgreSQL makes SERIAL (or that takes its value from a sequence)."""
    import sqlalchemy as sa

    if meta_col.default is not None and isinstance(meta_col.default, sa.Sequence):
        return True
    if not isinstance(meta_col.type, sa.Integer):
        return False
    if meta_col.autoincrement is True:
        return True
    table = getattr(meta_col, "table", None)
    return bool(
        meta_col.autoincrement == "auto" and table is not None
        and table._autoincrement_column is meta_col
    )


def server_defaults_differ(
    ctx: CompareContext,
    conn_col: ReflectedColumn,
    meta_col: Any,
    conn_default: str | None,
    meta_default: str | None,
) -> bool:
    """Whether two defaults differ, the server deciding when their texts alone cannot.

    ``nextval(...)`` defaults are compared by sequence (a model SERIAL column equals a
    reflected ``nextval`` default); defaults that differ as text are evaluated by the server
    (cast to the column's type), unless a volatile function is involved.
    """
    if conn_default == meta_default:
        return False
    if (conn_default is not None and meta_default is not None
            and "nextval" not in conn_default and "nextval" not in meta_default):
        key = ("mig_postgres.default_text", conn_default, meta_default,
               _hashable_type_key(meta_col.type) or id(meta_col.type))
        verdict = ctx.cache.get(key)
        if verdict is None:
            verdict = ctx.cache[key] = _texts_differ(ctx, conn_default, meta_default, meta_col)
        return verdict  # type: ignore[no-any-return]
    cat = catalog(ctx)
    conn_sequence = _sequence_of(conn_default)
    meta_sequence = _sequence_of(meta_default)
    if conn_sequence is not None:
        if meta_sequence is not None:
            if _same_sequence(cat, conn_sequence, meta_sequence):
                return False
            table = conn_col.table
            true_default = cat.nextval_default(
                table.schema or cat.default_schema, table.name, conn_col.name
            )
            return not cat.same_relation(
                _sequence_of(true_default) or conn_sequence, meta_sequence
            )
        return meta_default is not None or not _serial_like(meta_col)
    if meta_sequence is not None:
        return True
    if conn_default is None or meta_default is None:
        return (conn_default is None) != (meta_default is None)
    return _texts_differ(ctx, conn_default, meta_default, meta_col)


def _texts_differ(ctx: CompareContext, conn_default: str, meta_default: str,
                  meta_col: Any) -> bool:
    """Two non-sequence defaults: equal as normalized text, else as the server sees them."""
    from mig_core.autogenerate.compare_columns import default_server_defaults_differ

    if not default_server_defaults_differ(_QUALIFIED_CAST.sub("", conn_default),
                                          _QUALIFIED_CAST.sub("", meta_default)):
        return False
    return _differ_on_server(ctx, catalog(ctx), conn_default, meta_default, meta_col)


def _cast_target(ctx: CompareContext, meta_col: Any) -> str | None:
    """The SQL type both defaults are cast to before the server compares them."""
    from sqlalchemy.types import NullType

    type_ = _unwrap(meta_col.type, ctx.dialect)
    if isinstance(type_, NullType):
        return None
    try:
        text = str(type_.compile(dialect=ctx.dialect))
    except Exception:
        return None
    upper = text.upper()
    if upper == "JSON":
        return "JSONB"  # json has no equality operator
    if upper.startswith("JSON") and upper != "JSONB":
        return None
    return text


def _differ_on_server(
    ctx: CompareContext, cat: PgCatalog, conn_default: str, meta_default: str, meta_col: Any
) -> bool:
    names = {m.group(1).lower() for m in _FUNCTION.finditer(conn_default + " " + meta_default)}
    if names and cat.volatile_functions(names):
        return True  # evaluating them would give a new value (or advance a sequence)
    target = _cast_target(ctx, meta_col)
    key = ("mig_postgres.default", conn_default, meta_default, target)
    cached = ctx.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if target is not None:
        sql = (f"SELECT CAST(({conn_default}) AS {target}) IS NOT DISTINCT FROM "
               f"CAST(({meta_default}) AS {target})")
    else:
        sql = f"SELECT ({conn_default}) IS NOT DISTINCT FROM ({meta_default})"
    conn: Any = ctx.connection
    verdict = True
    try:
        with conn.begin_nested():
            verdict = not bool(conn.exec_driver_sql(sql).scalar())
    except Exception:  # not comparable on the server (type mismatch, syntax): they differ
        verdict = True
    ctx.cache[key] = verdict
    return verdict


# --- tables ------------------------------------------------------------------------------------


def fix_foreign_key_schemas(ctx: CompareContext, schema: str | None,
                            conn_table: ReflectedTable) -> None:
    """Give each reflected foreign key the real schema of its target table.

    PostgreSQL writes a referred table without its schema when that schema is on
    ``search_path``; SQLAlchemy then reports no schema (or the wrong one), and the model's
    ``ForeignKey("other.t.id")`` would look different. None stands for the default schema.
    With only the default schema on ``search_path`` what SQLAlchemy reports is right.
    """
    if not conn_table.foreign_keys:
        return
    cat = catalog(ctx)
    if cat.search_path_is_default:
        return
    table_schema = schema or cat.default_schema
    for record in conn_table.foreign_keys:
        name = record.get("name")
        if not name:
            continue
        actual = cat.foreign_key_target_schema(table_schema, conn_table.name, name)
        if actual is not None:
            record["referred_schema"] = None if actual == cat.default_schema else actual


def after_table_compare(
    ctx: CompareContext,
    modify_ops: ModifyTableOps,
    schema: str | None,
    conn_table: ReflectedTable,
    meta_table: sa.Table,
) -> None:
    """Exclusion constraints of a kept table, ``USING`` for type changes that need it, and
    SERIAL / identity changes PostgreSQL can run (see serial.py)."""
    if modify_ops.ops:
        drop_same_index_pairs(ctx, modify_ops, schema, conn_table.name)
        settle_serial_columns(ctx, modify_ops, conn_table, meta_table)
    drops, adds = compare_exclusions(ctx, schema, conn_table, meta_table)
    if drops:
        modify_ops.ops[:0] = drops
    if adds:
        modify_ops.ops.extend(adds)
    for position, op in enumerate(modify_ops.ops):
        if isinstance(op, AlterColumnOp) and op.modify_type is not None:
            modify_ops.ops[position] = with_cast(ctx, op)


# --- type changes that need USING --------------------------------------------------------------


class PgAlterColumnOp(AlterColumnOp):
    """An ``alter_column`` whose type change needs ``postgresql_using`` (in both directions)."""

    reverse_using: str | None = None

    def reverse(self) -> AlterColumnOp:
        reverse = super().reverse()
        reverse.kw.pop("postgresql_using", None)
        if self.reverse_using is not None:
            reverse.kw["postgresql_using"] = self.reverse_using
        return reverse


def _type_sql(ctx: CompareContext, type_: Any) -> str | None:
    try:
        return str(_unwrap(type_, ctx.dialect).compile(dialect=ctx.dialect))
    except Exception:
        return None


def _is_enum(ctx: CompareContext, type_: Any) -> bool:
    import sqlalchemy as sa

    type_ = _unwrap(type_, ctx.dialect)
    if isinstance(type_, sa.ARRAY):
        return _is_enum(ctx, type_.item_type)
    return isinstance(type_, sa.Enum) and bool(type_.native_enum)


#: targets every type converts to in ALTER COLUMN TYPE (PostgreSQL's I/O conversion)
_STRING_TARGETS = frozenset({"TEXT", "VARCHAR", "CHARACTER VARYING", "CHAR", "CHARACTER",
                             "BPCHAR", "NAME"})
_TYPMOD = re.compile(r"\([^()]*\)")


def _assignable_by_name(source: str, target: str) -> bool | None:
    """The server's verdict where the type names alone settle it (None: ask the server): a
    string target, or the same type with other modifiers (``VARCHAR(40)`` -> ``VARCHAR(20)``,
    ``NUMERIC(10, 2)[]`` -> ``NUMERIC(12, 2)[]``)."""
    if '"' in source or '"' in target:
        return None  # a quoted name may hold anything
    bare_source = " ".join(_TYPMOD.sub("", source).upper().split())
    bare_target = " ".join(_TYPMOD.sub("", target).upper().split())
    if bare_target in _STRING_TARGETS or bare_source == bare_target:
        return True
    return None


def _assignable(ctx: CompareContext, source: str, target: str) -> bool:
    """Whether PostgreSQL converts ``source`` to ``target`` in ALTER COLUMN TYPE by itself."""
    by_name = _assignable_by_name(source, target)
    if by_name is not None:
        return by_name
    key = ("mig_postgres.assignable", source, target)
    cached = ctx.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from sqlalchemy import text

    sql = (
        "SELECT t IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'name'::regtype) "
        "OR s IS NOT NULL AND t IS NOT NULL AND (s = t "
        "OR EXISTS (SELECT 1 FROM pg_cast WHERE castsource = s AND casttarget = t "
        "AND castcontext IN ('a', 'i')) "
        "OR EXISTS (SELECT 1 FROM pg_type ts JOIN pg_type tt ON tt.oid = t WHERE ts.oid = s "
        "AND ts.typelem <> 0 AND tt.typelem <> 0 AND ts.typcategory = 'A' "
        "AND tt.typcategory = 'A' AND (ts.typelem = tt.typelem OR EXISTS (SELECT 1 FROM pg_cast "
        "WHERE castsource = ts.typelem AND casttarget = tt.typelem "
        "AND castcontext IN ('a', 'i')))))"
        " FROM to_regtype(:s) AS s, to_regtype(:t) AS t"
    )
    conn: Any = ctx.connection
    try:
        with conn.begin_nested():
            verdict = bool(conn.execute(text(sql), {"s": source, "t": target}).scalar())
    except Exception:
        verdict = False
    ctx.cache[key] = verdict
    return verdict


def _using(ctx: CompareContext, column: str, source_type: Any, target_type: Any) -> str | None:
    source = _type_sql(ctx, source_type)
    target = _type_sql(ctx, target_type)
    if source is None or target is None or _assignable(ctx, source, target):
        return None
    name = ctx.dialect.identifier_preparer.quote(column)
    if _is_enum(ctx, source_type):
        via = "text[]" if source.endswith("[]") else "text"
        return f"{name}::{via}::{target}"
    return f"{name}::{target}"


def with_cast(ctx: CompareContext, op: AlterColumnOp) -> AlterColumnOp:
    """``op`` with ``postgresql_using`` when its type change (or its reverse) needs one."""
    if op.kw.get("postgresql_using") is not None or op.existing_type is None:
        return op
    forward = _using(ctx, op.column_name, op.existing_type, op.modify_type)
    backward = _using(ctx, op.column_name, op.modify_type, op.existing_type)
    if forward is None and backward is None:
        return op
    new = PgAlterColumnOp.__new__(PgAlterColumnOp)
    new.__dict__.update(op.__dict__)
    new.kw = dict(op.kw)
    if forward is not None:
        new.kw["postgresql_using"] = forward
    new.reverse_using = backward
    return new


# --- schema-level objects ------------------------------------------------------------------


def only_default_schema_tables(ctx: CompareContext) -> None:
    """Keep in the default schema's snapshot only the tables that live there.

    SQLAlchemy reflects ``schema=None`` as "everything visible on search_path"; with other
    schemas on it their tables would otherwise be compared twice (and reported as dropped).
    """
    cat = catalog(ctx)
    if cat.search_path_is_default:
        return  # nothing else is visible
    snapshot = ctx.snapshot(None)
    own = cat.default_schema_relations()
    for name in [n for n in snapshot.tables if n not in own]:
        del snapshot.tables[name]


def compare_sequences(
    ctx: CompareContext, schemas: list[str | None]
) -> tuple[list[MigrateOperation], list[MigrateOperation]]:
    """(create_sequence ops for the start, drop_sequence ops for the end)."""


    cat = catalog(ctx)
    compared = [s or cat.default_schema for s in schemas]
    model: dict[tuple[str, str], sa.Sequence] = {}
    for md in ctx.metadatas:
        for sequence in getattr(md, "_sequences", {}).values():
            key = (sequence.schema or cat.default_schema, sequence.name)
            if key[0] in compared:
                model.setdefault(key, sequence)
    database = cat.sequences(compared)
    tables = {(s or cat.default_schema, n): t for (s, n), t in ctx.model_tables(schemas).items()}
    start: list[MigrateOperation] = []
    end: list[MigrateOperation] = []

    def keep(name: str, schema: str) -> bool:
        op_schema = None if schema == cat.default_schema else schema
        return ctx.run_name_filters(name, "sequence", {"schema_name": op_schema})

    for key in sorted(set(model) - set(database)):
        if keep(key[1], key[0]):
            start.append(CreateSequenceOp.from_sequence(model[key]))
    for key in sorted(set(database) - set(model)):
        info = database[key]
        if not keep(info.name, info.schema):
            continue
        if _sequence_still_used(ctx, cat, key, compared, tables):
            continue
        schema = None if info.schema == cat.default_schema else info.schema
        create = CreateSequenceOp(
            info.name, schema=schema, start=info.start, increment=info.increment,
            minvalue=info.minvalue, maxvalue=info.maxvalue, cache=info.cache,
            cycle=info.cycle or None, data_type=_sequence_type(info.data_type),
        )
        end.append(DropSequenceOp(info.name, schema=schema, _reverse=create))
    return start, end


def _sequence_still_used(
    ctx: CompareContext,
    cat: PgCatalog,
    key: tuple[str, str],
    compared: list[str],
    tables: dict[tuple[str, str], sa.Table],
) -> bool:
    """Whether a column default that outlives the upgrade still calls ``nextval`` on it."""
    for table_schema, table_name, column_name in cat.sequence_users.get(key, ()):
        if table_schema not in compared:
            return True
        table = tables.get((table_schema, table_name))
        if table is None:
            schema = None if table_schema == cat.default_schema else table_schema
            if (schema, table_name) not in ctx.dropped_tables:
                return True  # a table the filters hide or leave alone stays as it is
            continue  # the table is dropped
        # by name: a model column's key may differ from it
        column = next((c for c in table.c if c.name == column_name), None)
        if column is None:
            continue  # the column is dropped
        if not ctx.compare_server_default_option:
            return True  # its default is not compared, so it is not changed either
        default = getattr(column.server_default, "arg", None)
        text = default if isinstance(default, str) else str(getattr(default, "text", default))
        if key[1] in (text or ""):
            return True
    return False


def _sequence_type(name: str) -> Any:
    import sqlalchemy as sa

    return {"integer": sa.Integer, "smallint": sa.SmallInteger}.get(name)


def after_schema_compare(ctx: CompareContext, schemas: list[str | None], upgrade_ops: Any) -> None:
    """Enum types and sequences around the table operations; exclusions of dropped tables."""
    from mig_postgres.constraints import dropped_table_exclusions
    from mig_postgres.dropped import after_compare as dropped_tables_after
    from mig_postgres.enums import compare_enums

    dropped_table_exclusions(ctx, upgrade_ops)
    dropped_tables_after(ctx, upgrade_ops)
    cat = catalog(ctx)
    enum_start, enum_end = compare_enums(ctx, cat, list(schemas))
    seq_start, seq_end = compare_sequences(ctx, list(schemas))
    upgrade_ops.ops[:0] = [*seq_start, *enum_start]
    upgrade_ops.ops.extend([*enum_end, *seq_end])
    commit_values_used_as_defaults(upgrade_ops)


def _server_defaults(container: Any) -> list[Any]:
    """Every server default an upgrade sets (new tables, added and altered columns)."""
    from mig_core.operations.ops import AddColumnOp, CreateTableOp, OpContainer

    found: list[Any] = []
    for op in container.ops:
        if isinstance(op, OpContainer):
            found.extend(_server_defaults(op))
        elif isinstance(op, CreateTableOp):
            found.extend(getattr(c, "server_default", None) for c in op.columns)
        elif isinstance(op, AddColumnOp):
            found.append(op.column.server_default)
        elif isinstance(op, AlterColumnOp) and op.modify_server_default not in (False, None):
            found.append(op.modify_server_default)
    return [d for d in found if d is not None]


def commit_values_used_as_defaults(upgrade_ops: Any) -> None:
    """``autocommit=True`` on an added enum value that the same upgrade uses as a default.

    PostgreSQL refuses a new enum value before the transaction that added it commits.
    """
    from mig_core.autogenerate.compare_columns import normalize_default
    from mig_postgres.ops import AddEnumValueOp, AlterEnumOp

    adds = [op for op in upgrade_ops.ops if isinstance(op, AddEnumValueOp)]
    alters = [op for op in upgrade_ops.ops if isinstance(op, AlterEnumOp) and op.removed_values]

    def values_in(defaults: list[Any]) -> set[str]:
        used = set()
        for default in defaults:
            arg = getattr(default, "arg", default)
            text = arg if isinstance(arg, str) else getattr(arg, "text", None)
            if isinstance(text, str):
                used.add(text.lower() if isinstance(arg, str) else str(normalize_default(text)))
        return used

    if adds:
        used = values_in(_server_defaults(upgrade_ops))
        for op in adds:
            if op.value.lower() in used:
                # committed on its own, it outlives a failure later in the migration:
                # running the migration again must not trip over it
                op.autocommit = True
                op.if_not_exists = True
    if alters:
        # the downgrade adds the removed values back, then restores the defaults using them
        try:
            downgrade = upgrade_ops.reverse()
        except Exception:  # an irreversible operation: no downgrade to prepare
            return
        used = values_in(_server_defaults(downgrade))
        for alter in alters:
            if any(v.lower() in used for v in alter.removed_values):
                alter.reverse_autocommit = True
