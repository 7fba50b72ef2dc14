"""Column level: added and removed columns, and type / nullability / default / comment /
computed / identity changes of the columns both sides have.

Type comparison compiles both types for the run's dialect (cached by the type's cache key, as
a model repeats the same few types many times), splits the text into a name and arguments, maps
names through synonym groups, and compares arguments only when both sides have them.
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

from mig_core.errors import MigWarning
from mig_core.operations.ops import AddColumnOp, AlterColumnOp, DropColumnOp

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.autogenerate.context import CompareContext
    from mig_core.autogenerate.snapshot import ReflectedColumn, ReflectedTable
    from mig_core.operations.ops import MigrateOperation

#: type names that mean the same thing on every dialect
COMMON_TYPE_SYNONYMS: tuple[frozenset[str], ...] = (
    frozenset({"DECIMAL", "NUMERIC"}),
    frozenset({"BOOL", "BOOLEAN"}),
    frozenset({"INT", "INTEGER", "INT4"}),
    frozenset({"CHARACTER VARYING", "VARCHAR"}),
)
# dialect-specific synonyms belong to the dialect plugins, as ``impl.type_synonyms``


def compare_columns(
    ctx: CompareContext,
    schema: str | None,
    conn_table: ReflectedTable,
    meta_table: sa.Table,
) -> tuple[list[MigrateOperation], list[MigrateOperation], list[MigrateOperation]]:
    """(added columns, altered columns, removed columns) of one table."""
    if conn_table.settled is not None:  # found unchanged from the raw catalog rows (settle.py)
        if ctx._name_filters or ctx.has_object_filters:
            _filter_settled(ctx, schema, conn_table, meta_table)
        return [], [], []
    hook = ctx.hook("mig_compare_column")
    quick = ctx.cache.get("quick_column_check", False)
    if quick is False:
        quick = ctx.cache["quick_column_check"] = _quick_check(ctx, hook)
    filtered = ctx.has_object_filters
    name_filters = bool(ctx._name_filters)
    if quick is not None and not filtered and not name_filters:
        # the usual case: the same columns in the same order on both sides, settled from the
        # reflection dicts (no ReflectedColumn is made for an unchanged column)
        raws = conn_table.raw_columns
        meta_columns = list(meta_table.columns)
        if len(raws) == len(meta_columns):
            differing = []
            for raw, col in zip(raws, meta_columns):
                if raw["name"] != col.name:
                    break
                if not quick(raw, col, conn_table):
                    differing.append(col)
            else:
                alters: list[MigrateOperation] = []
                for col in differing:
                    alter = _altered(ctx, hook, schema, meta_table, conn_table.columns[col.name],
                                     col)
                    if alter is not None:
                        alters.append(alter)
                return [], alters, []
    parents = ctx.table_parent_names(meta_table.name, schema)
    conn_cols = conn_table.columns
    adds: list[MigrateOperation] = []
    alters = []
    drops: list[MigrateOperation] = []
    meta_names: set[str] = set()
    for col in meta_table.columns:
        name = col.name
        meta_names.add(name)
        if name_filters and not ctx.run_table_name_filters(name, "column", parents):
            continue
        conn_col = conn_cols.get(name)
        if filtered and not ctx.run_object_filters(col, name, "column", False, conn_col):
            continue
        if conn_col is None:
            adds.append(AddColumnOp(meta_table.name, col, schema=schema))
            continue
        if quick is not None and quick(conn_col.raw, col, conn_table):
            continue  # only the core compares columns, and it would find nothing
        alter = _altered(ctx, hook, schema, meta_table, conn_col, col)
        if alter is not None:
            alters.append(alter)
    dropped: list[sa.Column[Any]] = []
    for name, conn_col in conn_cols.items():
        if name in meta_names:
            continue
        if name_filters and not ctx.run_table_name_filters(name, "column", parents):
            continue
        dropped.append(conn_col.to_column())
    if dropped:
        # bound to a table, as Alembic's reflected columns are: ``diff[3].table.name`` works
        # (and include_object sees them so)
        import sqlalchemy

        sqlalchemy.Table(meta_table.name, sqlalchemy.MetaData(), *dropped, schema=schema)
    for column in dropped:
        if filtered and not ctx.run_object_filters(column, column.name, "column", True, None):
            continue
        drops.append(DropColumnOp.from_column_and_tablename(schema, meta_table.name, column))
    return adds, alters, drops


def _filter_settled(
    ctx: CompareContext, schema: str | None, conn_table: ReflectedTable, meta_table: sa.Table
) -> None:
    """Call the filters on a settled table's columns as the full comparison would (the
    same names on both sides: no added or removed column); what they answer changes nothing,
    as no column of the table differs."""
    parents = ctx.table_parent_names(meta_table.name, schema)
    # the callables called here directly, as CompareContext.run_*_filters would: a wrapper's
    # call per column was most of what this cost beyond the filters themselves
    name_filters = ctx._name_filters
    object_filters = ctx._object_filters
    conn_columns = conn_table.columns if object_filters else {}
    for col in meta_table.columns:
        name = col.name
        if name_filters:
            names = dict(parents)  # each call its own dict, as in Alembic
            kept = True
            for fn in name_filters:
                if not fn(name, "column", names):
                    kept = False
                    break
            if not kept:
                continue
        for fn in object_filters:  # what they answer changes nothing here
            if not fn(col, name, "column", False, conn_columns[name]):
                break


def _altered(ctx: CompareContext, hook: Any, schema: str | None, meta_table: sa.Table,
             conn_col: ReflectedColumn, col: Any) -> AlterColumnOp | None:
    """The column hooks' AlterColumnOp for one column pair, None when nothing changed."""
    alter = AlterColumnOp(
        meta_table.name,
        col.name,
        schema=schema,
        existing_type=conn_col.type,
        existing_nullable=conn_col.nullable,
        # False, as in Alembic, when the column has no default: "unknown / not touched"
        existing_server_default=(
            False if conn_col.server_default is None
            else _text_or_none(conn_col.server_default)
        ),
        existing_comment=conn_col.comment,
    )
    hook(ctx=ctx, alter_op=alter, schema=schema, table_name=meta_table.name,
         conn_col=conn_col, meta_col=col)
    if alter.modify_server_default is not False and alter.existing_server_default is False:
        alter.existing_server_default = None  # the old value is known now: no default
    return alter if alter.has_changes() else None


def _quick_check(ctx: CompareContext, hook: Any) -> Any:
    """A test of "nothing differs" for a column pair, when only the core compares columns.

    It answers what the core's ``mig_compare_column`` would, from the column's reflection dict
    and without building an AlterColumnOp for each of the (usually thousands of) unchanged
    columns; columns it is not sure about (computed, identity, server defaults compared, a
    changed attribute) go the full way through the hooks. Types are judged by
    ``mig_compare_type`` (plugins included, cached per pair of types). None when a plugin
    compares columns or a user callable takes part.
    """
    from mig_core.builtin import compare as builtin

    if hook is not builtin.mig_compare_column or callable(ctx.compare_type_option):
        return None
    if ctx.compare_server_default_option:
        return None
    compare_types = bool(ctx.compare_type_option)
    families = ctx.families
    comments = bool(ctx.dialect.supports_comments) and families.comments
    nullability = families.constraints
    defaults = families.defaults
    type_hook = ctx.hook("mig_compare_type")
    verdicts = _type_verdicts(ctx)
    key_of = _type_key

    def unchanged(raw: dict[str, Any], meta_col: Any, conn_table: ReflectedTable) -> bool:
        # what ReflectedColumn makes of the dict, compared as compare_column does
        if nullability:
            nullable = raw.get("nullable", True)
            if nullable is not meta_col.nullable and bool(nullable) != meta_col.nullable:
                return False
        if comments and (raw.get("comment") or None) != (meta_col.comment or None):
            return False
        if defaults and (
            meta_col.computed is not None or meta_col.identity is not None
            or raw.get("computed") is not None or raw.get("identity") is not None
        ):
            return False
        if not compare_types:
            return True
        # hooked_types_differ, inlined: this runs for every column of every table
        pair = (key_of(raw["type"]), key_of(meta_col.type))
        try:
            verdict = verdicts.get(pair)
        except TypeError:  # an unhashable type attribute: not cached
            conn_col = conn_table.columns[raw["name"]]
            return not type_hook(ctx=ctx, conn_col=conn_col, meta_col=meta_col)
        if verdict is None:
            conn_col = conn_table.columns[raw["name"]]
            verdict = verdicts[pair] = bool(
                type_hook(ctx=ctx, conn_col=conn_col, meta_col=meta_col)
            )
        return not verdict

    return unchanged


def _text_or_none(text: str | None) -> Any:
    """A reflected default as SQLAlchemy holds one (``DefaultClause(text(...))``), or None."""
    if text is None:
        return None
    import sqlalchemy as sa

    return sa.DefaultClause(sa.text(text))


# --- one column ------------------------------------------------------------------------------


def compare_column(
    ctx: CompareContext, alter_op: AlterColumnOp, conn_col: ReflectedColumn, meta_col: sa.Column[Any]
) -> None:
    """Fill ``alter_op`` with what differs between a reflected and a model column."""
    option = ctx.compare_type_option  # False when the types plugin is excluded
    if option:
        if types_differ(ctx, conn_col, meta_col):
            alter_op.modify_type = meta_col.type
    families = ctx.families
    if families.constraints and conn_col.nullable != bool(meta_col.nullable):
        alter_op.modify_nullable = bool(meta_col.nullable)
    if (families.comments and ctx.dialect.supports_comments
            and conn_col.comment != (meta_col.comment or None)):
        alter_op.modify_comment = meta_col.comment or None
    if not families.defaults:
        return
    if meta_col.computed is not None or conn_col.computed is not None:
        _compare_computed(ctx, conn_col, meta_col)
    elif meta_col.identity is not None or conn_col.identity is not None:
        _compare_identity(ctx, alter_op, conn_col, meta_col)
    elif ctx.compare_server_default_option:
        if server_defaults_differ(ctx, conn_col, meta_col):
            alter_op.modify_server_default = meta_col.server_default


def types_differ(ctx: CompareContext, conn_col: ReflectedColumn, meta_col: sa.Column[Any]) -> bool:
    """The user's ``compare_type`` callable, then the ``mig_compare_type`` hook."""
    option = ctx.compare_type_option
    if callable(option):
        verdict = option(ctx.migration_context, conn_col, meta_col, conn_col.type, meta_col.type)
        if verdict is not None:
            return bool(verdict)
    return hooked_types_differ(ctx, conn_col, meta_col)


def hooked_types_differ(ctx: CompareContext, conn_col: Any, meta_col: Any) -> bool:
    """The ``mig_compare_type`` verdict, asked once per pair of types in a comparison.

    The hook decides from the two types (its contract), so columns whose reflected and model
    types have the same keys share one answer; thousands of INTEGER / VARCHAR columns cost
    one hook call each pair of distinct types.
    """
    hook = ctx.hook("mig_compare_type")
    pair = (_type_key(conn_col.type), _type_key(meta_col.type))
    verdicts = _type_verdicts(ctx)
    try:
        verdict = verdicts.get(pair)
    except TypeError:  # an unhashable type attribute: not cached
        return bool(hook(ctx=ctx, conn_col=conn_col, meta_col=meta_col))
    if verdict is None:
        verdict = verdicts[pair] = bool(hook(ctx=ctx, conn_col=conn_col, meta_col=meta_col))
    return verdict


def _type_verdicts(ctx: CompareContext) -> dict[Any, bool]:
    """The comparison's ``mig_compare_type`` verdicts by pair of type keys."""
    verdicts: dict[Any, bool] | None = ctx.cache.get("type_verdicts")
    if verdicts is None:
        verdicts = ctx.cache["type_verdicts"] = {}
    return verdicts


def default_types_differ(ctx: CompareContext, conn_type: Any, meta_type: Any) -> bool:
    """The core's type comparison (see the module docstring)."""
    from sqlalchemy.types import NullType

    if isinstance(meta_type, NullType) or isinstance(conn_type, NullType):
        return False
    conn_key, meta_key = _hashable_type_key(conn_type), _hashable_type_key(meta_type)
    if conn_key is not None and meta_key is not None:
        pair = ("type_pair", conn_key, meta_key)
        verdict = ctx.cache.get(pair)
        if verdict is None:
            verdict = ctx.cache[pair] = _types_differ(ctx, conn_type, meta_type)
        return verdict  # type: ignore[no-any-return]
    return _types_differ(ctx, conn_type, meta_type)


def _types_differ(ctx: CompareContext, conn_type: Any, meta_type: Any) -> bool:
    conn_sig = type_signature(ctx, conn_type)
    meta_sig = type_signature(ctx, meta_type)
    if conn_sig is None or meta_sig is None:
        return not conn_type._compare_type_affinity(meta_type)
    if conn_sig == meta_sig:
        return False
    conn_name, conn_args = conn_sig
    meta_name, meta_args = meta_sig
    if conn_name != meta_name:
        canonical = _synonyms(ctx)
        if canonical.get(conn_name, conn_name) != canonical.get(meta_name, meta_name):
            return True
    return bool(conn_args and meta_args and conn_args != meta_args)


_TYPE_TEXT = re.compile(r"^([^(]*?)\s*(?:\((.*)\))?\s*([^()]*)$", re.S)


def _key_attributes() -> dict[type, tuple[str, ...]]:
    """For SQLAlchemy's plain types: the attributes their DDL depends on."""
    import sqlalchemy as sa

    by_family: list[tuple[type, tuple[str, ...]]] = [
        (sa.String, ("length", "collation")),
        (sa.Numeric, ("precision", "scale")),
        (sa.DateTime, ("timezone",)),
        (sa.Time, ("timezone",)),
        (sa.LargeBinary, ("length",)),
        (sa.Uuid, ("as_uuid", "native_uuid")),
        (sa.Integer, ()),
        (sa.Boolean, ()),
        (sa.Date, ()),
    ]
    out: dict[type, tuple[str, ...]] = {}
    for cls in vars(sa.types).values():
        if not (isinstance(cls, type) and issubclass(cls, sa.types.TypeEngine)):
            continue
        if cls.__module__ != "sqlalchemy.sql.sqltypes":
            continue
        for family, attrs in by_family:
            if issubclass(cls, family):
                out[cls] = attrs
                break
    return out


#: type class -> the attributes its key reads (filled on first use, see :func:`_attrs_of`)
_KEY_ATTRS: dict[type, tuple[str, ...]] = {}


def _type_key(type_: Any) -> Any:
    """A key equal for types that compile the same (None: do not cache).

    Plain SQLAlchemy types use the attributes their DDL depends on; any other type class its
    constructor's keyword names (read once per class), as SQLAlchemy's own type cache key does.
    The key may hold an unhashable value (a list of enum values): callers that use it as a
    dict key treat the TypeError as "do not cache".
    """
    cls = type_.__class__
    attrs = _KEY_ATTRS.get(cls)
    if attrs is None:
        attrs = _attrs_of(cls)
    state = type_.__dict__
    key: Any
    if not attrs:
        key = cls
    elif len(attrs) == 1:
        key = (cls, state.get(attrs[0]))
    elif len(attrs) == 2:
        key = (cls, state.get(attrs[0]), state.get(attrs[1]))
    else:
        key = (cls, *[state.get(a) for a in attrs])
    if "impl" in state or "_variant_mapping" in state:  # both are set per instance
        impl, variants = state.get("impl"), state.get("_variant_mapping")
        if impl is not None or variants:
            # a TypeDecorator compiles as its impl (Encrypted(100) / Encrypted(200)), a
            # with_variant() type as the run's variant: neither is in the constructor's keywords
            key = (key, None if impl is None else _type_key(impl),
                   tuple((name, _type_key(v)) for name, v in (variants or {}).items()))
    return key


def _attrs_of(cls: type) -> tuple[str, ...]:
    if not _KEY_ATTRS:
        _KEY_ATTRS.update(_key_attributes())
    attrs = _KEY_ATTRS.get(cls)
    if attrs is None:
        from sqlalchemy.util import get_cls_kwargs

        attrs = _KEY_ATTRS[cls] = tuple(
            sorted(k for k in get_cls_kwargs(cls) if not k.startswith("_"))
        )
    return attrs


def _hashable_type_key(type_: Any) -> Any:
    """:func:`_type_key`, or None when it cannot be hashed."""
    key = _type_key(type_)
    try:
        hash(key)
    except TypeError:  # a list of enum values and the like: not cached
        return None
    return key


def type_signature(ctx: CompareContext, type_: Any) -> tuple[str, tuple[str, ...]] | None:
    """``(NAME, (args...))`` of a type compiled for the run's dialect; None if it cannot compile."""
    cache = ctx.cache
    key = _hashable_type_key(type_)
    if key is not None:
        key = ("type", key)
        if key in cache:
            return cache[key]  # type: ignore[no-any-return]
    try:
        text = type_.compile(dialect=ctx.dialect)
    except Exception:
        result = None
    else:
        result = parse_type_text(text)
    if key is not None:
        cache[key] = result
    return result


def parse_type_text(text: str) -> tuple[str, tuple[str, ...]]:
    """``"NUMERIC(10, 2)"`` -> ``("NUMERIC", ("10", "2"))``; names upper-cased, spaces folded."""
    text = " ".join(text.split())
    match = _TYPE_TEXT.match(text)
    if match is None:  # nested parentheses we do not split; compare the whole text
        return text.upper(), ()
    head, args, tail = match.groups()
    name = " ".join(p for p in (head.strip(), tail.strip()) if p).upper()
    arg_list = tuple(a.strip().strip("'\"").lower() for a in args.split(",")) if args else ()
    return name, arg_list


def _synonyms(ctx: CompareContext) -> dict[str, str]:
    """Type name -> canonical name for the run's dialect (cached per run)."""
    cached = ctx.cache.get("type_synonyms")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    groups = list(COMMON_TYPE_SYNONYMS)
    groups.extend(frozenset(g) for g in getattr(ctx.impl, "type_synonyms", ()) or ())
    canonical: dict[str, str] = {}
    for group in groups:
        names = {n.upper() for n in group}
        target = min(canonical.get(n, n) for n in names)
        for n in names:
            canonical[n] = target
    ctx.cache["type_synonyms"] = canonical
    return canonical


# --- server defaults -------------------------------------------------------------------------


def server_defaults_differ(
    ctx: CompareContext, conn_col: ReflectedColumn, meta_col: sa.Column[Any]
) -> bool:
    """The user's ``compare_server_default`` callable, then the ``mig_compare_server_default``
    hook (dialect plugins may evaluate both on the server), then the core's text comparison."""
    meta_default = meta_col.server_default
    rendered = render_default_sql(ctx, meta_default)
    conn_default = conn_col.server_default
    option = ctx.compare_server_default_option
    if callable(option) and (conn_default is not None or meta_default is not None):
        # as Alembic calls it: only when a side has a default, a string default unquoted
        arg = getattr(meta_default, "arg", None)
        verdict = option(
            ctx.migration_context, conn_col, meta_col, conn_default, meta_default,
            arg if isinstance(arg, str) else rendered,
        )
        if verdict is not None:
            return bool(verdict)
    verdict = ctx.hook("mig_compare_server_default")(
        ctx=ctx, conn_col=conn_col, meta_col=meta_col, conn_default=conn_default,
        meta_default=rendered,
    )
    return bool(verdict)


def render_default_sql(ctx: CompareContext, default: Any) -> str | None:
    """The SQL text a model ``server_default`` puts in DDL, or None."""
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    if arg is None:
        return None
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    text = getattr(arg, "text", None)
    if isinstance(text, str):
        return text
    try:
        return str(arg.compile(dialect=ctx.dialect, compile_kwargs={"literal_binds": True}))
    except Exception:
        return str(arg)


_CAST = re.compile(r"::[a-z_][\w ]*(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?", re.I)


def normalize_default(text: str | None) -> str | None:
    """Default SQL without outer parentheses, ``::type`` casts, quotes or case differences."""
    if text is None:
        return None
    out = unwrap_parentheses(_CAST.sub("", text.strip()))
    if len(out) >= 2 and out[0] == out[-1] and out[0] in "'\"":
        out = out[1:-1]
    return out.lower()


def unwrap_parentheses(text: str) -> str:
    """``text`` trimmed and without the parentheses wrapping all of it, as often as they do
    (``((1))`` -> ``1``; ``(a) + (b)`` stays). Servers store defaults and expressions wrapped
    (SQL Server ``((0))``, MySQL 8 ``(rand())``) where models write them bare; parentheses
    inside ``'...'`` or ``"..."`` do not count."""
    out = text.strip()
    while len(out) >= 2 and out[0] == "(" and out[-1] == ")" and _balanced(out[1:-1]):
        out = out[1:-1].strip()
    return out


def _balanced(text: str) -> bool:
    """Every ``)`` closes an earlier ``(``, none is left open and no quote either (parentheses
    inside quotes do not count)."""
    depth, quote = 0, ""
    for ch in text:
        if quote:
            if ch == quote:  # a doubled quote closes and reopens: still inside
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not quote


def default_server_defaults_differ(conn_default: str | None, meta_default: str | None) -> bool:
    """The core's comparison of two default texts (normalised, see :func:`normalize_default`)."""
    return normalize_default(conn_default) != normalize_default(meta_default)


# --- computed and identity -------------------------------------------------------------------


def _compare_computed(
    ctx: CompareContext, conn_col: ReflectedColumn, meta_col: sa.Column[Any]
) -> None:
    meta = meta_col.computed
    conn = conn_col.computed
    if meta is not None and conn is not None:
        if not conn.get("sqltext"):
            # reflection could not read the expression (SQLAlchemy's SQLite regex stops at
            # the comma of NUMERIC(12, 4)): nothing to compare, so no warning
            return
        from mig_core.autogenerate.render import render_sql_text_for

        meta_text = render_sql_text_for(ctx.dialect, meta.sqltext)
        if _normalize_expr(meta_text) == _normalize_expr(conn.get("sqltext")):
            return
    if meta is None and conn is None:
        return
    warnings.warn(
        f"computed column {conn_col.table.fullname}.{conn_col.name}: the computed default "
        "differs from the model but cannot be modified by a migration; change it by hand",
        MigWarning,
        stacklevel=2,
    )


def _normalize_expr(text: str | None) -> str:
    return re.sub(r"[\s()\"'`]|::\w+", "", (text or "")).lower()


#: Identity options compared when the model sets them
_IDENTITY_ATTRS = ("start", "increment", "minvalue", "maxvalue", "cycle", "cache", "order")


def _compare_identity(
    ctx: CompareContext, alter_op: AlterColumnOp, conn_col: ReflectedColumn, meta_col: Any
) -> None:
    if not getattr(ctx.dialect, "supports_identity_columns", False):
        return
    meta = meta_col.identity
    conn = conn_col.identity
    if meta is not None and conn is not None:
        different = bool(meta.always) != bool(conn.get("always"))
        for attr in _IDENTITY_ATTRS:
            value = getattr(meta, attr, None)
            if value is not None and conn.get(attr) is not None and value != conn.get(attr):
                different = True
        if not different:
            return
    import sqlalchemy as sa

    from mig_core.autogenerate.snapshot import _identity_kwargs

    alter_op.existing_server_default = sa.Identity(**_identity_kwargs(conn)) if conn else None
    alter_op.modify_server_default = meta
