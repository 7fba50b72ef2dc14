"""Table level: indexes, unique constraints, foreign keys and the table comment.

Indexes are matched by name. Unique constraints are matched by name when they have one, else by
their columns; a unique constraint on one side may match a unique index of the same name on the
other (backends differ in which one they report). Foreign keys are matched by what they link
(columns, referred schema, table and columns) and then compared on their options, so a changed
``ondelete`` is a drop and a create. Primary keys are not compared, nor CHECK constraints unless
``alembic.ext.checkconstraint_byname`` is enabled (see mig_core.ext.checkconstraint_byname).
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

from mig_core.autogenerate.compare_columns import compare_columns
from mig_core.autogenerate.snapshot import (
    BARE_NAME,
    add_index_sorting,
    is_empty_option,
    sorted_index,
)
from mig_core.errors import MigWarning
from mig_core.operations.ops import (
    AddConstraintOp,
    CreateIndexOp,
    CreateTableCommentOp,
    DropConstraintOp,
    DropIndexOp,
    DropTableCommentOp,
)
from mig_core.operations.schemaobj import fk_target

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.autogenerate.context import CompareContext
    from mig_core.autogenerate.snapshot import ReflectedTable
    from mig_core.operations.ops import MigrateOperation

#: dialects whose reflection leaves expression indexes out (they are then not compared)
NO_EXPRESSION_INDEX_REFLECTION = frozenset({"sqlite"})


def _norm_name(name: Any) -> str | None:
    if name is None or name.__class__ is str:
        return name  # type: ignore[no-any-return]
    return str.__str__(name) if isinstance(name, str) else str(name)


_EXPR_NOISE = re.compile(r"::[a-z_][\w ]*?(?=[),]|$)|[\s()\"'`]", re.I)


def normalize_expression(text: str) -> str:
    """Index expression text without casts, quotes, parentheses, spaces or case."""
    return _EXPR_NOISE.sub("", text).lower()


_SORT_MODIFIERS = {"desc_op": "desc", "asc_op": "asc", "nulls_first_op": "nulls_first",
                   "nullsfirst_op": "nulls_first", "nulls_last_op": "nulls_last",
                   "nullslast_op": "nulls_last"}


def _unwrap_sorting(expr: Any) -> tuple[Any, tuple[str, ...]]:
    """(the sorted element, its modifiers) of ``col.desc().nulls_last()`` and the like."""
    modifiers: list[str] = []
    while expr.__class__.__name__ == "UnaryExpression":
        modifier = getattr(getattr(expr, "modifier", None), "__name__", None)
        if modifier not in _SORT_MODIFIERS:
            break
        modifiers.append(_SORT_MODIFIERS[modifier])
        expr = expr.element
    return expr, tuple(modifiers)


def _sort_suffix(modifiers: Any) -> str:
    """The sort order as ``""`` (ASC, the default), ``" desc"``, ``" desc nulls last"`` ...:
    NULLS FIRST is DESC's default and NULLS LAST ASC's (PostgreSQL's rule; SQLite cannot
    create an index with NULLS), so ``desc nulls first`` and ``desc`` are the same."""
    desc = "desc" in modifiers
    nulls = ""
    if "nulls_first" in modifiers and not desc:
        nulls = " nulls first"
    elif "nulls_last" in modifiers and desc:
        nulls = " nulls last"
    return (" desc" if desc else "") + nulls


def _index_column(index: sa.Index, expr: Any) -> tuple[Any, str]:
    """(the table column an index element is, or None; its sort suffix)."""
    inner, modifiers = _unwrap_sorting(expr)
    if getattr(inner, "table", None) is index.table and getattr(inner, "name", None) is not None:
        return inner, _sort_suffix(modifiers)
    return None, _sort_suffix(modifiers)


def _meta_index_signature(ctx: CompareContext, index: sa.Index) -> tuple[str, ...]:
    out = []
    sorting = ctx.impl.index_sorting_reflected
    table = index.table
    for expr in index.expressions:
        if expr.__class__.__name__ != "UnaryExpression" and getattr(expr, "table", None) is table:
            name = getattr(expr, "name", None)
            if name is not None:  # a plain column of the table (the usual case), unsorted:
                # what _element_signature gives it, sooner (_lower, inlined)
                out.append(str.lower(name) if isinstance(name, str) else str(name).lower())
                continue
        out.append(_element_signature(ctx, index, expr, sorting))
    return tuple(out)


def _lower(name: Any) -> str:
    # str.lower: a plain lower-cased str, also of a quoted_name (whose own lower() keeps a
    # quoted name as it is)
    return str.lower(name) if isinstance(name, str) else str(name).lower()


def _element_signature(ctx: CompareContext, index: sa.Index, expr: Any, sorting: bool) -> str:
    """One element of a model index as the reflected side spells it: a column's lower-cased
    name or an expression's normalized text, with its sort order when the dialect reflects it."""
    column, suffix = _index_column(index, expr)
    if not sorting:
        suffix = ""
    if column is not None:
        return _lower(column.name) + suffix
    inner, modifiers = _unwrap_sorting(expr)
    if not sorting:  # sort order not reflected: compared without it, as a column is
        suffix = ""
    elif not modifiers:
        inner, suffix = expr, ""
    compiled = inner.compile(
        dialect=ctx.dialect, compile_kwargs={"literal_binds": True, "include_table": False}
    )
    return normalize_expression(str(compiled)) + suffix.replace(" ", "")


def _conn_index_signature(record: dict[str, Any]) -> tuple[str, ...]:
    sorting = record.get("column_sorting") or {}
    exprs = record.get("expressions")
    if exprs:
        out = []
        for e in exprs:
            suffix = _sort_suffix(sorting.get(e, ()))
            bare = BARE_NAME.match(e)
            if bare:  # Oracle reflects a DESC column as the expression '"A"'
                out.append(bare.group(1).lower() + suffix)
            else:
                out.append(normalize_expression(e) + suffix.replace(" ", ""))
        return tuple(out)
    if not sorting:  # no column is sorted (the usual case): the names alone
        return tuple([c.lower() if c.__class__ is str else str(c).lower()
                      for c in record["column_names"]])
    return tuple([
        (c.lower() if c.__class__ is str else str(c).lower()) + _sort_suffix(sorting.get(c, ()))
        for c in record["column_names"]
    ])


def _has_expressions(index: sa.Index) -> bool:
    """Whether an index has an element other than a (possibly sorted) column of its table."""
    return any(_index_column(index, e)[0] is None for e in index.expressions)


def _warn_uncompared_expression_indexes(
    ctx: CompareContext, schema: str | None, meta_table: sa.Table
) -> None:
    """Warn about the model's expression indexes the database lacks: the dialect cannot
    reflect them, so autogenerate writes nothing for them (Alembic warns too)."""
    parents = ctx.table_parent_names(meta_table.name, schema)
    wanted = [
        ix for ix in _index_order(meta_table.indexes)
        if ix.name and _has_expressions(ix) and _included(ctx, ix, ix.name, "index", False, parents)
    ]
    if not wanted or ctx.connection is None:
        return
    catalog = f"{ctx.dialect.identifier_preparer.quote_schema(schema)}." if schema else ""
    have = {
        row[0] for row in ctx.connection.exec_driver_sql(
            f"SELECT name FROM {catalog}sqlite_master WHERE type = 'index' AND tbl_name = ?",
            (meta_table.name,),
        )
    }
    for ix in wanted:
        if ix.name not in have:
            warnings.warn(
                f"autogenerate skipped expression index {ix.name} of {meta_table.name}: "
                f"{ctx.dialect_name} cannot reflect expression indexes, so they are not "
                "compared; add it to the revision by hand (op.create_index)",
                MigWarning,
                stacklevel=2,
            )


#: options that are how an index is built, or that reflection never reports: not compared
_UNCOMPARED_OPTIONS = frozenset({"concurrently", "tablespace", "online"})



def _construct_defaults(ctx: CompareContext, obj: Any) -> dict[str, Any]:
    """{option: default} the dialect declares for ``obj``'s class (``construct_arguments``),
    without the options that are not compared (the reflected-only ones among them)."""
    import sqlalchemy as sa

    cache = _CONSTRUCT_DEFAULTS.get(ctx.dialect_name)
    if cache is None:
        cache = _CONSTRUCT_DEFAULTS[ctx.dialect_name] = {}
    found = cache.get(obj.__class__)
    if found is None:
        found = {}
        unreflected = ctx.impl.unreflected_options  # never read back: always "absent"
        for cls, args in getattr(ctx.dialect, "construct_arguments", None) or ():
            if isinstance(obj, cls) and args:
                for key, default in args.items():
                    if key in _UNCOMPARED_OPTIONS or key in unreflected or key.startswith("_") or isinstance(
                        default, sa.sql.base.DialectKWArgConst  # type: ignore[attr-defined]
                    ):
                        continue
                    found.setdefault(key, default)
        cache[obj.__class__] = found
    return found


_CONSTRUCT_DEFAULTS: dict[str, dict[type, dict[str, Any]]] = {}

#: an index method the database uses when none is named, so naming it changes nothing
_DEFAULT_INDEX_METHODS = frozenset({"btree"})


def clause_text(dialect: Any, value: Any) -> str:
    """An option's SQL (a ``where`` clause: a string, ``text()`` or an expression) as text,
    compiled for ``dialect`` with literal values and without table names."""
    text = value if isinstance(value, str) else getattr(value, "text", None)
    if not isinstance(text, str):
        text = str(value.compile(
            dialect=dialect, compile_kwargs={"literal_binds": True, "include_table": False},
        ))
    return text


def _normal_option(ctx: CompareContext, key: str, value: Any, default: Any, obj: Any) -> Any:
    """One side's option comparable to the other's: None when it is the dialect's default
    (or empty: reflection reports ``[]``, ``{}``, ``False`` for options nobody set). The impl's
    :meth:`~mig_core.ddl.impl.DefaultImpl.normalize_index_option` decides first."""
    if is_empty_option(value):
        return None
    found = ctx.impl.normalize_index_option(key, value, obj)
    if found is not NotImplemented:
        return found
    if key == "where":
        return normalize_expression(clause_text(ctx.dialect, value)) or None
    if isinstance(value, dict):
        return tuple(sorted(
            (str(getattr(k, "name", k)).lower(), str(v).lower()) for k, v in value.items()
        )) or None
    if isinstance(value, (list, tuple)):
        return tuple([str(getattr(v, "name", v)) for v in value]) or None
    if isinstance(value, bool):
        return None if value is default else value
    text = str(value).lower()
    if key == "using" and text in _DEFAULT_INDEX_METHODS:
        return None
    if isinstance(default, (str, int)) and not isinstance(default, bool) and (
        text == str(default).lower()
    ):
        return None
    return text


def _dialect_options_differ(ctx: CompareContext, obj: Any, record: dict[str, Any]) -> bool:
    """Whether the model's options for this dialect differ from the reflected ones, in either
    direction: an option set on one side only counts when it is not the dialect's default."""
    conn_options = record.get("dialect_options") or {}
    prefix = ctx.dialect_name + "_"
    model_options = {
        k[len(prefix):]: v for k, v in obj.dialect_kwargs.items()
        if k.startswith(prefix) and not is_empty_option(v)
    } if ctx.dialect_name in obj.dialect_options else {}
    if not model_options:
        for k, v in conn_options.items():
            if v is None or v is False or v.__class__ is list and not v:
                continue  # what reflection reports for an option nobody set: empty
            if k.startswith(prefix) and not is_empty_option(v):
                break
        else:
            return False  # neither side has an option (the usual case)
    for key, default in _construct_defaults(ctx, obj).items():
        mine = _normal_option(ctx, key, model_options.get(key), default, obj)
        theirs = _normal_option(ctx, key, conn_options.get(prefix + key), default, obj)
        if mine != theirs:
            return True
    return False


def compare_indexes_and_uniques(
    ctx: CompareContext, schema: str | None, conn_table: ReflectedTable, meta_table: sa.Table
) -> tuple[list[MigrateOperation], list[MigrateOperation]]:
    """(drops, adds) for the indexes and unique constraints of one table."""
    import sqlalchemy as sa

    skip_expressions = ctx.dialect_name in NO_EXPRESSION_INDEX_REFLECTION
    if skip_expressions and ctx.dialect_name == "sqlite":
        _warn_uncompared_expression_indexes(ctx, schema, meta_table)
    unique_class = sa.UniqueConstraint
    # sets: sorted before anything is offered to the filters, so that include_name and
    # include_object see them in one order in every process (and operations come out so)
    meta_indexes = _index_order(meta_table.indexes)
    meta_uniques = _unique_order([c for c in meta_table.constraints
                                  if isinstance(c, unique_class)])
    # include_name here, on names; include_object below, on each add, drop or change only
    if ctx._name_filters:
        meta_indexes, meta_uniques, conn_indexes, conn_uniques = _named_kept(
            ctx, schema, meta_table, conn_table, meta_indexes, meta_uniques, skip_expressions
        )
    else:  # the same lists, without a filter call per object
        if skip_expressions:
            meta_indexes = [ix for ix in meta_indexes if not _has_expressions(ix)]
        conn_indexes = [r for r in conn_table.indexes if not r.get("duplicates_constraint")]
        conn_uniques = conn_table.unique_constraints
    if not (meta_indexes or meta_uniques or conn_indexes or conn_uniques):
        return [], []
    add_index_sorting(ctx, conn_table, conn_indexes)
    conn_index_by_name = {str(r["name"]): r for r in conn_indexes if r.get("name")}
    conn_unique_by_name = {str(r["name"]): r for r in conn_uniques if r.get("name")}
    matched: set[int] = set()
    drops: list[MigrateOperation] = []
    adds: list[MigrateOperation] = []
    wanted = _ObjectFilter(ctx, conn_table) if ctx._object_filters else _KEEP_ALL

    for index in meta_indexes:
        name = _norm_name(index.name)
        record = conn_index_by_name.get(name) if name else None
        signature = _meta_index_signature(ctx, index)
        if record is None and name and index.unique and name in conn_unique_by_name:
            uq = conn_unique_by_name[name]
            matched.add(id(uq))
            if (tuple(c.lower() for c in uq["column_names"]) != signature
                    or _dialect_options_differ(ctx, index, uq)) and wanted(
                        index, name, "index", uq):
                drops.append(DropConstraintOp.from_constraint(conn_table.object_for(uq)))
                adds.append(CreateIndexOp.from_index(index))
            continue
        if record is None:
            if wanted(index, name, "index"):
                adds.append(CreateIndexOp.from_index(index))
            continue
        matched.add(id(record))
        if (
            _conn_index_signature(record) != signature
            or bool(record.get("unique")) != bool(index.unique)
            or _dialect_options_differ(ctx, index, record)
        ) and wanted(index, name, "index", record):
            drops.append(DropIndexOp.from_index(sorted_index(ctx, conn_table, record)))
            adds.append(CreateIndexOp.from_index(index))

    for uc in meta_uniques:
        name = _norm_name(uc.name) if not _is_unnamed(uc.name) else None
        columns = tuple([str.lower(c.name) for c in uc.columns])
        record = conn_unique_by_name.get(name) if name else None
        if record is None and name and name in conn_index_by_name:
            ix = conn_index_by_name[name]
            if ix.get("unique") and id(ix) not in matched:
                record = ix
        if record is None and name is None:
            record = next(
                (
                    r for r in [*conn_uniques, *(i for i in conn_indexes if i.get("unique"))]
                    if id(r) not in matched and tuple(c.lower() for c in r["column_names"]
                                                      if c) == columns
                ),
                None,
            )
        if record is None:
            if wanted(uc, name, "unique_constraint"):
                adds.append(AddConstraintOp.from_constraint(uc))
            continue
        matched.add(id(record))
        if (tuple([str(c).lower() for c in record["column_names"]]) != columns
                or _dialect_options_differ(ctx, uc, record)) and wanted(
                    uc, name, "unique_constraint", record):
            drops.append(_drop_for_record(ctx, conn_table, record))
            adds.append(AddConstraintOp.from_constraint(uc))

    for record in conn_indexes:
        if id(record) not in matched:
            if record.get("unique") and any(
                id(u) in matched for u in conn_uniques if u.get("name") == record.get("name")
            ):
                continue
            if wanted.reflected(record, "index"):
                drops.append(DropIndexOp.from_index(sorted_index(ctx, conn_table, record)))
    for record in conn_uniques:
        if id(record) not in matched and wanted.reflected(record, "unique_constraint"):
            drops.append(DropConstraintOp.from_constraint(conn_table.object_for(record)))
    return drops, adds


def _index_order(indexes: Any) -> list[sa.Index]:
    """A table's indexes (a set) by name: one order in every process."""
    if len(indexes) < 2:
        return list(indexes)
    return sorted(indexes, key=lambda i: str(i.name))


def _unique_order(uniques: list[sa.UniqueConstraint]) -> list[sa.UniqueConstraint]:
    """A table's unique constraints (from a set) by name, unnamed ones by their columns: one
    order in every process."""
    if len(uniques) < 2:
        return uniques
    return sorted(uniques, key=lambda c: (str(c.name), tuple(str(col.name) for col in c.columns)))


def _drop_for_record(ctx: CompareContext, conn_table: ReflectedTable,
                     record: dict[str, Any]) -> MigrateOperation:
    obj = (
        sorted_index(ctx, conn_table, record) if any(r is record for r in conn_table.indexes)
        else conn_table.object_for(record)
    )
    import sqlalchemy as sa

    if isinstance(obj, sa.Index):
        return DropIndexOp.from_index(obj)
    return DropConstraintOp.from_constraint(obj)


def _is_unnamed(name: Any) -> bool:
    return name is None or type(name).__name__ == "_NoneName"


def _included(
    ctx: CompareContext, obj: Any, name: Any, type_: str, reflected: bool,
    parents: dict[str, Any],
) -> bool:
    if not _name_included(ctx, name, type_, parents):
        return False
    return not ctx.has_object_filters or ctx.run_object_filters(obj, name, type_, reflected, None)


def _named_kept(
    ctx: CompareContext, schema: str | None, meta_table: sa.Table, conn_table: ReflectedTable,
    meta_indexes: list[sa.Index], meta_uniques: list[sa.UniqueConstraint],
    skip_expressions: bool,
) -> tuple[list[sa.Index], list[sa.UniqueConstraint], list[dict[str, Any]],
           list[dict[str, Any]]]:
    """The indexes and unique constraints of both sides ``include_name`` keeps.

    The model's named ones first; then the database's, as Alembic offers them: an unnamed one
    (SQLite) as None, the index PostgreSQL makes for a unique constraint as an index too. A
    name both sides have is one object, asked about once; the model's unnamed ones not at all.
    """
    parents = ctx.table_parent_names(meta_table.name, schema)
    asked_ix: dict[Any, bool] = {}
    asked_uq: dict[Any, bool] = {}
    indexes = [ix for ix in meta_indexes if not (skip_expressions and _has_expressions(ix))]
    kept_ix = _model_kept(ctx, indexes, "index", parents, asked_ix)
    kept_uq = _model_kept(ctx, meta_uniques, "unique_constraint", parents, asked_uq)
    conn_ix = [r for r in _conn_kept(ctx, conn_table.indexes, "index", parents, asked_ix)
               if not r.get("duplicates_constraint")]
    conn_uq = _conn_kept(ctx, conn_table.unique_constraints, "unique_constraint", parents,
                         asked_uq)
    return kept_ix, kept_uq, conn_ix, conn_uq


def _model_kept(ctx: CompareContext, objects: list[Any], type_: str, parents: dict[str, Any],
                asked: dict[Any, bool]) -> list[Any]:
    """The model's indexes or constraints ``include_name`` keeps: each named one asked about
    (names are unique in a table), its answer kept in ``asked``; unnamed ones kept unasked."""
    run = ctx.run_table_name_filters
    kept = []
    for obj in objects:
        name = obj.name
        if _is_unnamed(name):
            kept.append(obj)
            continue
        verdict = asked[name] = run(name, type_, parents)
        if verdict:
            kept.append(obj)
    return kept


def _conn_kept(ctx: CompareContext, records: list[dict[str, Any]], type_: str,
               parents: dict[str, Any], asked: dict[Any, bool]) -> list[dict[str, Any]]:
    """The database's indexes or constraints ``include_name`` keeps: a name the model's side
    was asked about takes that answer, any other (an unnamed one as None) is asked."""
    run = ctx.run_table_name_filters
    kept = []
    for record in records:
        name = record.get("name")
        verdict = asked.get(name)
        if verdict is None:
            verdict = run(name, type_, parents)
        if verdict:
            kept.append(record)
    return kept


def _fks_named_kept(
    ctx: CompareContext, parents: dict[str, Any], meta_fks: list[sa.ForeignKeyConstraint],
    conn_fks: list[dict[str, Any]],
) -> tuple[list[sa.ForeignKeyConstraint], list[dict[str, Any]]]:
    """The foreign keys of both sides ``include_name`` keeps: the model's named ones, then
    every one of the database's (an unnamed one as None); a name both sides have once."""
    asked: dict[Any, bool] = {}
    kept_meta = _model_kept(ctx, meta_fks, "foreign_key_constraint", parents, asked)
    return kept_meta, _conn_kept(ctx, conn_fks, "foreign_key_constraint", parents, asked)


class AskOnce:
    """``include_name`` for one table's indexes or constraints: a name both sides have is one
    object, asked about once (the model's answer is the database's); each unnamed one of the
    database is asked about, as None."""

    __slots__ = ("ctx", "verdicts")

    def __init__(self, ctx: CompareContext) -> None:
        self.ctx = ctx
        self.verdicts: dict[tuple[str, str], bool] = {}

    def __call__(self, name: Any, type_: str, parents: dict[str, Any]) -> bool:
        if name is None:
            return self.ctx.run_table_name_filters(name, type_, parents)
        key = (type_, str(name))
        verdict = self.verdicts.get(key)
        if verdict is None:
            verdict = self.verdicts[key] = self.ctx.run_table_name_filters(name, type_, parents)
        return verdict


def _name_included(ctx: CompareContext, name: Any, type_: str, parents: dict[str, Any]) -> bool:
    """``include_name`` for a named index or constraint of the model (an unnamed one, None or
    SQLAlchemy's placeholder, is never offered)."""
    return _is_unnamed(name) or not ctx._name_filters or ctx.run_table_name_filters(
        name, type_, parents
    )


class _ObjectFilter:
    """``include_object`` as Alembic calls it for indexes and constraints: only for what is
    added, dropped or changed (nothing for an unchanged object), a reflected one as the
    SQLAlchemy object the database's record makes, a change asked once with the model's
    object and the reflected one as ``compare_to``."""

    def __init__(self, ctx: CompareContext, conn_table: ReflectedTable) -> None:
        self.ctx = ctx
        self.conn_table = conn_table
        self.active = ctx.has_object_filters

    def __call__(self, obj: Any, name: Any, type_: str, record: Any = None) -> bool:
        """Whether the model's ``obj`` is added (``record``: the reflected one it changes)."""
        if not self.active:
            return True
        compare_to = self.conn_table.object_for(record) if record is not None else None
        return bool(self.ctx.run_object_filters(obj, name, type_, False, compare_to))

    def reflected(self, record: dict[str, Any], type_: str, compare_to: Any = None) -> bool:
        """Whether the database's object ``record`` is dropped."""
        if not self.active:
            return True
        obj = self.conn_table.object_for(record)
        return bool(self.ctx.run_object_filters(obj, record.get("name"), type_, True, compare_to))


class _KeepAll:
    """:class:`_ObjectFilter` when there is no ``include_object`` (the usual case): one object
    for every table of every comparison, instead of one made per table."""

    active = False

    def __call__(self, obj: Any, name: Any, type_: str, record: Any = None) -> bool:
        return True

    def reflected(self, record: dict[str, Any], type_: str, compare_to: Any = None) -> bool:
        return True


_KEEP_ALL = _KeepAll()


# --- foreign keys ----------------------------------------------------------------------------

_FK_DEFAULTS = {
    "ondelete": {"NO ACTION"},
    "onupdate": {"NO ACTION"},
    "initially": {"IMMEDIATE"},
    "match": {"SIMPLE", "NONE"},
}


def _fk_option(key: str, value: Any) -> Any:
    if key == "deferrable":
        return bool(value)
    if value is None:
        return None
    text = str(value).upper()
    return None if text in _FK_DEFAULTS.get(key, ()) else text


def _meta_fk_key(ctx: CompareContext, fk: sa.ForeignKeyConstraint) -> tuple[Any, ...]:
    elements = fk.elements
    try:  # the referred columns, when the model has their table (the usual case)
        referred = [e.column for e in elements]
    except Exception:
        referred = []
    if referred:
        table = referred[0].table
        ref_schema, ref_table = table.schema, table.name
        ref_cols = tuple([c.name for c in referred])
    else:
        target = elements[0].target_fullname.split(".")
        ref_schema = ".".join(target[:-2]) or None
        ref_table = target[-2]
        ref_cols = tuple([e.target_fullname.split(".")[-1] for e in elements])
    if ref_schema is not None and ref_schema == ctx.default_schema:
        ref_schema = None  # ctx.normalize_schema, inlined
    return (tuple([e.parent.name for e in elements]), ref_schema, ref_table, ref_cols)


def _conn_fk_key(ctx: CompareContext, record: dict[str, Any]) -> tuple[Any, ...]:
    ref_schema = record.get("referred_schema")
    if ref_schema is not None and ref_schema == ctx.default_schema:
        ref_schema = None  # ctx.normalize_schema, inlined
    return (
        tuple(record["constrained_columns"]),
        ref_schema,
        record["referred_table"],
        tuple(record["referred_columns"]),
    )


def _fk_options_differ(ctx: CompareContext, fk: sa.ForeignKeyConstraint,
                       record: dict[str, Any]) -> bool:
    options = record.get("options") or {}
    if not options and (
        fk.ondelete is None and fk.onupdate is None and fk.deferrable is None
        and fk.initially is None and fk.match is None
    ):
        return False  # neither side sets an option
    for key in ("ondelete", "onupdate", "deferrable", "initially", "match"):
        raw_meta, raw_conn = getattr(fk, key), options.get(key)
        if raw_meta is None and raw_conn is None:
            continue
        if raw_meta.__class__ is str and raw_meta == raw_conn:
            continue  # the same text both sides (ondelete="CASCADE"): the same option
        meta_value = _fk_option(key, raw_meta)
        conn_value = _fk_option(key, raw_conn)
        if key in ("ondelete", "onupdate") and ctx.impl.implicit_fk_actions:
            implicit = ctx.impl.implicit_fk_actions  # MySQL: RESTRICT
            meta_value = None if meta_value in implicit else meta_value
            conn_value = None if conn_value in implicit else conn_value
        if key in ("deferrable", "initially", "match") and key not in options and not (
            ctx.dialect_name == "postgresql"
        ):
            continue  # the backend does not report it
        if meta_value != conn_value:
            return True
    return False


def _fk_order(fks: list[sa.ForeignKeyConstraint]) -> list[sa.ForeignKeyConstraint]:
    """``fks`` sorted by (name, columns, targets), each part computed only when the parts
    before it leave a tie: the same order, without reading every key's targets (~1 us each)
    when names or columns already tell the keys apart (the usual case)."""
    keys: list[Any] = [str(c.name) for c in fks]
    if len(set(keys)) < len(keys):
        keys = [(name, tuple(c.column_keys)) for name, c in zip(keys, fks)]
        if len(set(keys)) < len(keys):
            keys = [(*key, tuple(repr(fk_target(e)) for e in c.elements))
                    for key, c in zip(keys, fks)]
    order = sorted(range(len(fks)), key=keys.__getitem__)
    return [fks[i] for i in order]


def compare_foreign_keys(
    ctx: CompareContext, schema: str | None, conn_table: ReflectedTable, meta_table: sa.Table
) -> tuple[list[MigrateOperation], list[MigrateOperation]]:
    """(drops, adds) for the foreign keys of one table."""
    meta_fks = list(meta_table.foreign_key_constraints)
    conn_fks = conn_table.foreign_keys
    if not meta_fks and not conn_fks:
        return [], []
    if len(meta_fks) > 1:  # a set: unnamed ones by columns and target, one order every run
        meta_fks = _fk_order(meta_fks)
    if ctx._name_filters:
        parents = ctx.table_parent_names(meta_table.name, schema)
        meta_fks, conn_fks = _fks_named_kept(ctx, parents, meta_fks, conn_fks)
    by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for record in conn_fks:
        by_key.setdefault(_conn_fk_key(ctx, record), []).append(record)
    matched: set[int] = set()
    drops: list[MigrateOperation] = []
    adds: list[MigrateOperation] = []
    wanted = _ObjectFilter(ctx, conn_table) if ctx._object_filters else _KEEP_ALL
    fkc = "foreign_key_constraint"
    # as in Alembic, an added or dropped key's compare_to is the other side's key of its name
    # (looked up only for an added or dropped key, and only when include_object is asked)
    active = wanted.active

    def conn_named(name: Any) -> Any:
        if not active:
            return None
        return next((r for r in reversed(conn_fks) if r.get("name") and str(r["name"]) == name),
                    None)

    def meta_named(name: Any) -> Any:
        if not active:
            return None
        return next((fk for fk in reversed(meta_fks)
                     if not _is_unnamed(fk.name) and str(fk.name) == name), None)

    def fk_name(fk: Any) -> Any:
        return None if _is_unnamed(fk.name) else fk.name

    for fk in meta_fks:
        found = by_key.get(_meta_fk_key(ctx, fk))
        candidates = [r for r in found if id(r) not in matched] if found else None
        if not candidates:
            if wanted(fk, fk_name(fk), fkc, conn_named(str(fk.name))):
                adds.append(AddConstraintOp.from_constraint(fk))
            continue
        same = [r for r in candidates if not _fk_options_differ(ctx, fk, r)]
        if same:
            matched.add(id(same[0]))
            continue
        record = candidates[0]
        matched.add(id(record))
        if wanted.reflected(record, fkc, fk):
            drops.append(DropConstraintOp.from_constraint(conn_table.object_for(record)))
        if wanted(fk, fk_name(fk), fkc, record):
            adds.append(AddConstraintOp.from_constraint(fk))
    for record in conn_fks:
        if id(record) not in matched and wanted.reflected(
            record, fkc, meta_named(str(record.get("name")))
        ):
            drops.append(DropConstraintOp.from_constraint(conn_table.object_for(record)))
    return drops, adds


# --- table comment ---------------------------------------------------------------------------


def compare_table_comment(
    ctx: CompareContext, schema: str | None, conn_table: ReflectedTable, meta_table: sa.Table
) -> list[MigrateOperation]:
    if not ctx.dialect.supports_comments:
        return []
    meta_comment = meta_table.comment or None
    conn_comment = conn_table.comment
    if meta_comment == conn_comment:
        return []
    if meta_comment is None:
        return [DropTableCommentOp(meta_table.name, schema=schema, existing_comment=conn_comment)]
    return [
        CreateTableCommentOp(
            meta_table.name, meta_comment, schema=schema, existing_comment=conn_comment
        )
    ]


def compare_table(
    ctx: CompareContext, schema: str | None, conn_table: ReflectedTable, meta_table: sa.Table
) -> list[MigrateOperation]:
    """Every change to one table, ordered so that the upgrade and its reverse both run."""
    families = ctx.families
    fk_drops: list[MigrateOperation] = []
    fk_adds: list[MigrateOperation] = []
    ix_drops: list[MigrateOperation] = []
    ix_adds: list[MigrateOperation] = []
    if families.constraints:
        fk_drops, fk_adds = compare_foreign_keys(ctx, schema, conn_table, meta_table)
        ix_drops, ix_adds = compare_indexes_and_uniques(ctx, schema, conn_table, meta_table)
    ck_drops: list[MigrateOperation] = []
    ck_adds: list[MigrateOperation] = []
    if families.check_names:  # opt-in: alembic.ext.checkconstraint_byname
        from mig_core.ext.checkconstraint_byname import compare_check_constraints

        ck_drops, ck_adds = compare_check_constraints(ctx, schema, conn_table, meta_table)
    col_adds, col_alters, col_drops = compare_columns(ctx, schema, conn_table, meta_table)
    comment = (
        compare_table_comment(ctx, schema, conn_table, meta_table) if families.comments else []
    )
    return [*fk_drops, *ix_drops, *ck_drops, *col_adds, *col_alters, *col_drops, *ix_adds,
            *ck_adds, *fk_adds, *comment]
