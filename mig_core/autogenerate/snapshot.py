"""One bulk reflection of a schema, kept as plain records until a comparator needs objects.

Reflection uses SQLAlchemy's ``Inspector.get_multi_*`` methods: a handful of queries per schema
however many tables it holds, never per-table calls. Building ``sqlalchemy.Table`` objects from
the results costs several times the reflection itself, so the snapshot keeps SQLAlchemy's
reflection dictionaries and wraps them in light :class:`ReflectedTable` / :class:`ReflectedColumn`
records; :meth:`ReflectedTable.to_table` and :meth:`ReflectedColumn.to_column` build real schema
objects only where an operation needs one (a dropped table, column, index or constraint).
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.autogenerate.context import CompareContext
    from mig_core.autogenerate.translate import SchemaTranslation

_SERIAL_DEFAULT = re.compile(r"^nextval\('(?:[\w\"]+\.)?\"?(\w+)\"?'(?:::regclass)?\)$")


class ReflectedColumn:
    """A reflected column: SQLAlchemy's reflection dict with attribute access.

    ``server_default`` is the default's SQL text (None when there is none; PostgreSQL SERIAL
    ``nextval(...)`` defaults are dropped), ``computed`` / ``identity`` are the reflected dicts
    or None, ``raw`` is the whole reflection dict, ``table`` the :class:`ReflectedTable`.
    """

    __slots__ = (
        "name", "type", "nullable", "server_default", "comment", "autoincrement", "computed",
        "identity", "raw", "table",
    )

    def __init__(self, raw: dict[str, Any], table: ReflectedTable) -> None:
        self.raw = raw
        self.table = table
        self.name: str = raw["name"]
        self.type = raw["type"]
        self.nullable: bool = bool(raw.get("nullable", True))
        self.comment: str | None = raw.get("comment") or None
        self.autoincrement = raw.get("autoincrement", "auto")
        self.computed: dict[str, Any] | None = raw.get("computed")
        self.identity: dict[str, Any] | None = raw.get("identity")
        default = raw.get("default")
        if default is not None and self.autoincrement is True:
            match = _SERIAL_DEFAULT.match(default)
            if match and match.group(1) == f"{table.name}_{self.name}_seq":
                default = None
        self.server_default: str | None = default

    @property
    def key(self) -> str:
        return self.name

    def to_column(self, checks: tuple[str, ...] | list[str] = ()) -> sa.Column[Any]:
        """A new ``sqlalchemy.Column`` equal to what was reflected (not attached to a table),
        with ``checks`` as its own (column-level, unnamed) CHECK constraints."""
        import sqlalchemy as sa

        args: list[Any] = [sa.CheckConstraint(sa.text(check)) for check in checks]
        kw: dict[str, Any] = {"nullable": self.nullable}
        if self.computed is not None:
            args.append(
                sa.Computed(self.computed["sqltext"], persisted=self.computed.get("persisted"))
            )
        elif self.identity is not None:
            args.append(sa.Identity(**_identity_kwargs(self.identity)))
        elif self.server_default is not None:
            kw["server_default"] = sa.text(self.server_default)
        if self.comment is not None:
            kw["comment"] = self.comment
        if isinstance(self.autoincrement, bool):
            kw["autoincrement"] = self.autoincrement
        return sa.Column(self.name, self.type, *args, **kw)

    def __repr__(self) -> str:
        return f"ReflectedColumn({self.table.name}.{self.name} {self.type!r})"


def _identity_kwargs(identity: dict[str, Any]) -> dict[str, Any]:
    allowed = ("always", "on_null", "start", "increment", "minvalue", "maxvalue", "nominvalue",
               "nomaxvalue", "cycle", "cache", "order")
    return {k: identity[k] for k in allowed if identity.get(k) is not None}


def is_empty_option(value: Any) -> bool:
    """None, False or an empty string / collection (never asks a SQL clause for its truth)."""
    if value is None or value is False:
        return True
    if isinstance(value, (str, list, tuple, dict, set)):
        return len(value) == 0
    return False


def table_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """Reflected table options as ``Table`` keywords (``mysql_default charset`` ->
    ``mysql_default_charset``), without the comment, which ``comment=`` carries."""
    return {
        key.replace(" ", "_"): value for key, value in options.items()
        if not key.endswith("_comment")
    }


def clean_dialect_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """Dialect options without the empty values reflection reports for every object."""
    if not options:
        return {}
    return {k: v for k, v in options.items() if not is_empty_option(v)}


class ReflectedTable:
    """A reflected table: columns, primary key, foreign keys, indexes, uniques, checks, comment.

    Each part is SQLAlchemy's reflection record (``foreign_keys`` are the dicts of
    ``get_multi_foreign_keys``, and so on); ``raw_columns`` are the column dicts in table order
    and ``columns`` maps names to :class:`ReflectedColumn` records made from them on first use
    (the core settles unchanged columns from the dicts alone). ``primary_key`` and
    ``check_constraints``, which the comparison of a kept table does not use, are reflected
    on first use, in bulk for the snapshot's tables (see :meth:`SchemaSnapshot.load_deferred`).
    ``settled`` (column name -> type text) marks a table whose columns were found unchanged
    from the dialect plugin's raw rows (mig_core.autogenerate.settle): its ``raw_columns``
    are built from those rows while ``include_object`` is configured, else reflected only if
    something asks for them (``columns_read`` is false until then).
    """

    __slots__ = (
        "name", "schema", "_raw_columns", "settled", "_columns", "_primary_key", "foreign_keys", "indexes",
        "unique_constraints", "_check_constraints", "comment", "options", "_table", "_objects",
        "_snapshot", "column_checks", "notes",
    )

    def __init__(self, name: str, schema: str | None) -> None:
        self.name = name
        self.schema = schema
        self._raw_columns: list[dict[str, Any]] | None = []
        self.settled: dict[str, str] | None = None
        self._columns: dict[str, ReflectedColumn] | None = None
        self._primary_key: dict[str, Any] | None = None
        self.foreign_keys: list[dict[str, Any]] = []
        self.indexes: list[dict[str, Any]] = []
        self.unique_constraints: list[dict[str, Any]] = []
        self._check_constraints: list[dict[str, Any]] | None = None
        self.comment: str | None = None
        #: table options as ``Table`` keywords, reflected with the primary key (dropped tables)
        self.options: dict[str, Any] = {}
        #: unnamed column-level CHECKs by column, which a dialect plugin read where reflection
        #: misses them (MariaDB); a dropped table's re-creation writes them in their column
        self.column_checks: dict[str, list[str]] = {}
        #: what a dropped table's re-creation cannot restore, said in a comment above it in the
        #: downgrade (and warned about); dialect plugins add to it
        self.notes: list[str] = []
        self._table: Any = None
        self._objects: dict[int, Any] = {}
        self._snapshot: SchemaSnapshot | None = None

    @property
    def raw_columns(self) -> list[dict[str, Any]]:
        """``get_multi_columns``'s dicts in table order (reflected on first use for a settled
        table)."""
        raws = self._raw_columns
        if raws is None:
            raws = self._raw_columns = (
                self._snapshot.reflect_columns(self.name) if self._snapshot is not None else []
            )
        return raws

    @raw_columns.setter
    def raw_columns(self, value: list[dict[str, Any]]) -> None:
        self._raw_columns = value

    @property
    def columns_read(self) -> bool:
        """Whether ``raw_columns`` are at hand (false for a settled table until asked for)."""
        return self._raw_columns is not None

    def column_type(self, name: str) -> Any:
        """The reflected type of column ``name`` (NullType if there is none), without
        reflecting a settled table's columns."""
        import sqlalchemy as sa

        settled = self.settled
        if settled is not None and self._raw_columns is None and self._snapshot is not None:
            text = settled.get(name)
            if text is None:
                return sa.types.NULLTYPE
            found = self._snapshot.settled_type(self, name, text)
            if found is not None:
                return found
        column = self.columns.get(name)
        return sa.types.NULLTYPE if column is None else column.type

    @property
    def primary_key(self) -> dict[str, Any]:
        """``get_multi_pk_constraint``'s record (reflected on first use)."""
        if self._primary_key is None:
            self._load_deferred()
        return self._primary_key or {}

    @primary_key.setter
    def primary_key(self, value: dict[str, Any]) -> None:
        self._primary_key = value

    @property
    def check_constraints(self) -> list[dict[str, Any]]:
        """``get_multi_check_constraints``'s records (reflected on first use)."""
        if self._check_constraints is None:
            self._load_deferred()
        return self._check_constraints or []

    @check_constraints.setter
    def check_constraints(self, value: list[dict[str, Any]]) -> None:
        self._check_constraints = value

    def _load_deferred(self) -> None:
        if self._snapshot is not None:
            self._snapshot.load_deferred()
        if self._primary_key is None:
            self._primary_key = {}
        if self._check_constraints is None:
            self._check_constraints = []

    @property
    def fullname(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    @property
    def columns(self) -> dict[str, ReflectedColumn]:
        """Column records by name (made from ``raw_columns`` on first use)."""
        columns = self._columns
        if columns is None:
            columns = self._columns = {
                raw["name"]: ReflectedColumn(raw, self) for raw in self.raw_columns
            }
        return columns

    @columns.setter
    def columns(self, columns: dict[str, ReflectedColumn]) -> None:
        self._columns = columns
        self.raw_columns = [column.raw for column in columns.values()]

    def set_column_type(self, raw: dict[str, Any], type_: Any) -> None:
        """Replace the reflected type of the column whose reflection dict is ``raw``."""
        raw["type"] = type_
        if self._columns is not None and raw["name"] in self._columns:
            self._columns[raw["name"]].type = type_

    def set_column_nullable(self, raw: dict[str, Any], nullable: bool) -> None:
        """Replace the reflected nullability of the column whose reflection dict is ``raw``
        (a dialect that knows better than its reflection, e.g. SQLite's rowid alias)."""
        raw["nullable"] = nullable
        if self._columns is not None and raw["name"] in self._columns:
            self._columns[raw["name"]].nullable = nullable

    def release(self) -> None:
        """Forget the columns, built objects and snapshot (they refer back to this table)."""
        self._columns = None
        self._raw_columns = []
        self._table = None
        self._objects = {}
        self._snapshot = None

    @property
    def c(self) -> dict[str, ReflectedColumn]:
        return self.columns

    def to_table(self, metadata: sa.MetaData | None = None) -> sa.Table:
        """A ``sqlalchemy.Table`` holding everything reflected (made once per snapshot).

        Tables its foreign keys refer to are added to the same MetaData as placeholders holding
        only the referred columns.
        """
        if self._table is not None and metadata is None:
            return self._table  # type: ignore[no-any-return]
        import sqlalchemy as sa

        md = metadata if metadata is not None else sa.MetaData()
        items: list[Any] = [
            col.to_column(self.column_checks.get(col.name, ())) for col in self.columns.values()
        ]
        pk_cols = self.primary_key.get("constrained_columns") or []
        if pk_cols:
            items.append(sa.PrimaryKeyConstraint(
                *pk_cols, name=final_name(self.primary_key.get("name")),
                **clean_dialect_options(self.primary_key.get("dialect_options")),
            ))
        objects: dict[int, Any] = {}
        for uq in self.unique_constraints:
            objects[id(uq)] = sa.UniqueConstraint(
                *uq["column_names"], name=final_name(uq.get("name")),
                **_deferrable(uq), **clean_dialect_options(uq.get("dialect_options")),
            )
        for ck in self.check_constraints:
            objects[id(ck)] = sa.CheckConstraint(
                sa.text(ck["sqltext"]), name=final_name(ck.get("name"))
            )
        items.extend(objects.values())
        kw: dict[str, Any] = {}
        if self.comment is not None:
            kw["comment"] = self.comment
        table = sa.Table(self.name, md, *items, schema=self.schema, **kw, **self.options)
        for fk in self.foreign_keys:  # after the table exists: it may refer to itself
            objects[id(fk)] = constraint = fk_constraint(fk, md, self.schema)
            table.append_constraint(constraint)
        for ix in self.indexes:
            if ix.get("duplicates_constraint"):
                continue
            objects[id(ix)] = index_from_record(ix, table)
        if metadata is None:
            self._table = table
            self._objects = objects
        return table

    def object_for(self, record: dict[str, Any]) -> Any:
        """The Index / Constraint for one reflection record (of an index, unique constraint or
        foreign key), on a stub table holding only the columns it needs; the full table is
        built only when :meth:`to_table` already was (a dropped table)."""
        if self._table is not None:
            return self._objects[id(record)]
        if id(record) in self._objects:
            return self._objects[id(record)]
        import sqlalchemy as sa

        names = [
            n for n in (record.get("constrained_columns") or record.get("column_names") or [])
            if n is not None
        ]
        md = sa.MetaData()
        columns = [sa.Column(n, self.column_type(n)) for n in dict.fromkeys(names)]
        table = sa.Table(self.name, md, *columns, schema=self.schema)
        obj: Any
        if "constrained_columns" in record:
            obj = fk_constraint(record, md, self.schema)
            table.append_constraint(obj)
        elif any(r is record for r in self.unique_constraints):
            obj = sa.UniqueConstraint(  # with its options: a downgrade re-creates it as it was
                *record["column_names"], name=final_name(record.get("name")),
                **_deferrable(record), **clean_dialect_options(record.get("dialect_options")),
            )
            table.append_constraint(obj)
        else:
            obj = index_from_record(record, table)
        self._objects[id(record)] = obj
        return obj

    def __repr__(self) -> str:
        return f"ReflectedTable({self.fullname!r}, {len(self.columns)} columns)"


def _deferrable(record: dict[str, Any]) -> dict[str, Any]:
    """``deferrable`` / ``initially`` of a constraint record, where a dialect plugin read them
    (SQLAlchemy's reflection of unique constraints has neither)."""
    return {k: record[k] for k in ("deferrable", "initially") if record.get(k) is not None}


def final_name(name: Any) -> Any:
    """A name read from the database, marked final (SQLAlchemy's ``conv``): the target
    MetaData's naming convention is never applied to it again, and autogenerate writes it as
    ``op.f('name')``, so the revision drops or re-creates exactly that name. None stays None."""
    if not isinstance(name, str):
        return name
    from sqlalchemy.sql.elements import conv

    return name if isinstance(name, conv) else conv(name)


def fk_constraint(fk: dict[str, Any], metadata: sa.MetaData, schema: str | None) -> Any:
    """A ForeignKeyConstraint from a reflection record (placeholder referred table if needed)."""
    import sqlalchemy as sa

    ref_schema = fk.get("referred_schema")
    ref_name = fk["referred_table"]
    key = f"{ref_schema}.{ref_name}" if ref_schema else ref_name
    referred = metadata.tables.get(key)
    if referred is None:
        referred = sa.Table(ref_name, metadata, schema=ref_schema)
    for col in fk["referred_columns"]:
        if col not in referred.c:
            referred.append_column(sa.Column(col, sa.types.NULLTYPE))
    options = {k: v for k, v in (fk.get("options") or {}).items() if v is not None}
    return sa.ForeignKeyConstraint(
        fk["constrained_columns"],
        [referred.c[col] for col in fk["referred_columns"]],
        name=final_name(fk.get("name")),
        **options,
    )


def index_from_record(ix: dict[str, Any], table: sa.Table) -> sa.Index:
    """A ``sqlalchemy.Index`` on ``table`` from a reflection record (expressions as text)."""
    import sqlalchemy as sa

    expressions = ix.get("expressions") or [None] * len(ix["column_names"])
    parts: list[Any] = []
    for col, expr in zip(ix["column_names"], expressions):
        if col is not None:
            parts.append(table.c[col])
        else:
            parts.append(sa.text(expr))
    options = clean_dialect_options(ix.get("dialect_options"))
    return sa.Index(
        final_name(ix["name"]), *parts, unique=bool(ix.get("unique")), _table=table, **options
    )


#: an expression that is only a (quoted) column name: Oracle reflects a DESC column so
BARE_NAME = re.compile(r'^\s*"?(\w+)"?\s*$')

_SORT_METHODS = {"desc": "desc", "asc": "asc", "nulls_first": "nulls_first",
                 "nulls_last": "nulls_last"}


def add_index_sorting(ctx: CompareContext, conn_table: ReflectedTable,
                      records: list[dict[str, Any]]) -> None:
    """Give ``records`` (indexes of ``conn_table``) the ``column_sorting`` the impl reads from
    the catalog where SQLAlchemy's reflection has none (SQLite); read once per schema."""
    if not records or not ctx.impl.index_sorting_reflected:
        return
    key = ("index_sorting", conn_table.schema)
    found = ctx.cache.get(key)
    if found is None:
        found = ctx.cache[key] = ctx.impl.index_sorting(ctx.database_schema(conn_table.schema))
    if not found:
        return
    for record in records:
        sorting = found.get((conn_table.name, str(record.get("name"))))
        if sorting and "column_sorting" not in record:
            record["column_sorting"] = sorting


def sorted_index(ctx: CompareContext, conn_table: ReflectedTable,
                 record: dict[str, Any]) -> sa.Index:
    """The reflected index as an ``Index`` whose columns and expressions keep their sort order,
    so a downgrade re-creates it as it was (a changed index, or a dropped table's).

    ``column_sorting`` is keyed by the column name or the expression text; Oracle reflects a
    DESC column as the expression ``'"A"'``, which becomes the column again.
    """
    index = conn_table.object_for(record)
    sorting = record.get("column_sorting")
    if not sorting:
        return index  # type: ignore[no-any-return]
    import sqlalchemy as sa

    table = index.table
    names = record["column_names"]
    exprs = record.get("expressions") or names
    parts: list[Any] = []
    for name, expr in zip(names, exprs):
        element: Any
        if name is not None:
            element = table.c[name]
            modifiers = sorting.get(expr, ()) or sorting.get(name, ())
        else:
            element = _bare_column(ctx, conn_table, table, expr)
            if element is None:
                element = sa.text(expr)
            modifiers = sorting.get(expr, ())
        for modifier in modifiers:
            method = _SORT_METHODS.get(modifier)
            if method is not None:
                element = getattr(sa, method)(element)
        parts.append(element)
    table.indexes.discard(index)
    return sa.Index(index.name, *parts, unique=index.unique, _table=table, **index.kwargs)


def _bare_column(ctx: CompareContext, conn_table: ReflectedTable, table: sa.Table,
                 expr: str) -> Any:
    """The table column an expression that is only a (quoted) column name stands for, or None."""
    bare = BARE_NAME.match(expr)
    if not bare:
        return None
    name = bare.group(1)
    if ctx.dialect.requires_name_normalize:
        name = ctx.dialect.normalize_name(name)
    if name in table.c:
        return table.c[name]
    if name not in conn_table.columns:
        return None
    import sqlalchemy as sa

    column = sa.Column(name, conn_table.columns[name].type)
    table.append_column(column)
    return column


class SchemaSnapshot:
    """The reflected tables of one schema (None: the default schema)."""

    def __init__(self, schema: str | None, tables: dict[str, ReflectedTable],
                 ctx: CompareContext | None = None) -> None:
        self.schema = schema
        self.tables = tables
        self._ctx = ctx
        self._column_loads = 0
        for table in tables.values():
            table._snapshot = self

    def load_deferred(self, names: list[str] | None = None) -> None:
        """Reflect the primary keys and CHECK constraints of ``names`` (default: every table
        still without them), in bulk; the comparison of kept tables needs neither, a dropped
        table's re-creation (the downgrade) needs both."""
        if self._ctx is None:
            return
        wanted = [
            name for name in (self.tables if names is None else names)
            if name in self.tables and self.tables[name]._primary_key is None
        ]
        if not wanted:
            return
        insp = self._ctx.inspector
        kw: dict[str, Any] = {
            "schema": self._ctx.database_schema(self.schema), "filter_names": wanted,
        }
        with _reflection_warnings(self._ctx):
            pks = {name: pk for (_, name), pk in insp.get_multi_pk_constraint(**kw).items()}
            checks = {
                name: records
                for (_, name), records in _optional(insp.get_multi_check_constraints, kw).items()
            }
            options = {
                name: records
                for (_, name), records in _optional(insp.get_multi_table_options, kw).items()
            }
        for name in wanted:
            table = self.tables[name]
            table._primary_key = pks.get(name) or {}
            # options a plugin set already (read where reflection has none) are kept
            table.options = {**table_kwargs(options.get(name) or {}), **table.options}
            if table._check_constraints is None:
                table._check_constraints = checks.get(name) or []

    def reflect_columns(self, name: str) -> list[dict[str, Any]]:
        """``get_multi_columns``'s dicts of settled table ``name``, when something asks for
        them: the first time of this one table, from the second on of every settled table
        not reflected yet, in one call (a plugin reading every table's columns)."""
        if self._ctx is None:
            return []
        self._column_loads += 1
        names = [name] if self._column_loads == 1 else [
            n for n, t in self.tables.items() if t.settled is not None and t._raw_columns is None
        ]
        kw = {"schema": self._ctx.database_schema(self.schema), "filter_names": names}
        with _reflection_warnings(self._ctx):
            found = self._ctx.inspector.get_multi_columns(**kw)
        mine: list[dict[str, Any]] = []
        for (_, table_name), cols in found.items():
            if table_name == name:
                mine = cols
            elif table_name in self.tables and self.tables[table_name]._raw_columns is None:
                self.tables[table_name]._raw_columns = cols
        return mine

    def settled_type(self, table: ReflectedTable, name: str, text: str) -> Any:
        """The type the comparison holds for column ``name`` of a settled table (type ``text``
        in the raw rows), as the impl builds it for the model column (None: unknown)."""
        ctx = self._ctx
        if ctx is None:
            return None
        meta_table = ctx.meta_tables().get((self.schema, table.name))
        meta_col = None if meta_table is None else next(
            (c for c in meta_table.columns if c.name == name), None
        )
        if meta_col is None:
            return None
        return ctx.impl.plain_reflected_type(ctx, text, meta_col.type)

    def release(self) -> None:
        """Forget the tables and the comparison (they refer back to this snapshot)."""
        for table in self.tables.values():
            table.release()
        self.tables = {}
        self._ctx = None

    def __repr__(self) -> str:
        return f"SchemaSnapshot({self.schema!r}, {len(self.tables)} tables)"


@contextlib.contextmanager
def _reflection_warnings(ctx: CompareContext) -> Iterator[None]:
    """Warnings reflection gives for what the comparison leaves out on purpose, or the
    dialect's plugin reports itself (``reflection_warnings_silenced`` of the impl), silenced."""
    import sqlalchemy as sa

    with warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; comparison skips them on purpose
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        warnings.filterwarnings("ignore", "Did not recognize type", sa.exc.SAWarning)
        for pattern in ctx.impl.reflection_warnings_silenced:
            warnings.filterwarnings("ignore", pattern, sa.exc.SAWarning)
        yield


def reflect_schema(ctx: CompareContext, schema: str | None) -> SchemaSnapshot:
    """Reflect every table of ``schema`` that ``include_name`` keeps, in bulk (primary keys
    and CHECK constraints when first asked for: see :meth:`SchemaSnapshot.load_deferred`)."""
    insp = ctx.inspector
    db_schema = ctx.database_schema(schema)
    names = [
        name
        for name in insp.get_table_names(schema=db_schema)
        if not ctx.is_version_table(ctx.normalize_schema(schema), name)
        and ctx.table_name_included(schema, name)
    ]
    tables = {name: ReflectedTable(name, schema) for name in names}
    if not tables:
        return SchemaSnapshot(schema, tables, ctx)
    from mig_core.autogenerate.settle import settled_tables

    settled = settled_tables(ctx, schema, db_schema, names)
    for name, found in settled.items():
        settled_table = tables[name]
        settled_table.settled = found.types
        # built from the rows for include_object, else reflected if something asks for them
        settled_table._raw_columns = found.records
    kw: dict[str, Any] = {"schema": db_schema, "filter_names": names}
    with _reflection_warnings(ctx):
        unsettled = [name for name in names if name not in settled] if settled else names
        columns = (
            insp.get_multi_columns(**{**kw, "filter_names": unsettled}) if unsettled else {}
        )
        fks = insp.get_multi_foreign_keys(**kw)
        indexes = insp.get_multi_indexes(**kw)
        uniques = _optional(insp.get_multi_unique_constraints, kw)
        comments = (
            _optional(insp.get_multi_table_comment, kw) if ctx.dialect.supports_comments else {}
        )
    for (_, name), cols in columns.items():
        table = tables.get(name)
        if table is not None:
            table.raw_columns = cols
    for attr, records in (
        ("foreign_keys", fks), ("indexes", indexes), ("unique_constraints", uniques),
    ):
        for (_, name), value in records.items():
            if name in tables:
                setattr(tables[name], attr, value)
    for (_, name), comment in comments.items():
        if name in tables:
            tables[name].comment = (comment or {}).get("text") or None
    if ctx.translation is not None and ctx.translation.active:
        _present_as_model(ctx.translation, tables.values())
    return SchemaSnapshot(schema, tables, ctx)


def _present_as_model(translation: SchemaTranslation, tables: Iterable[ReflectedTable]) -> None:
    """Name the schemas reflection reports (foreign keys' referred tables, enum types) as
    the model does, where the connection's ``schema_translate_map`` moved them."""
    from mig_core.autogenerate.translate import model_fk_record

    for table in tables:
        table.foreign_keys = [model_fk_record(fk, translation) for fk in table.foreign_keys]
        for raw in table.raw_columns:
            type_schema = getattr(raw["type"], "schema", None)
            if isinstance(type_schema, str):
                raw["type"].schema = translation.to_model(type_schema)


def _optional(method: Any, kw: dict[str, Any]) -> dict[Any, Any]:
    """A ``get_multi_*`` call a dialect may not implement (then: nothing reflected)."""
    try:
        return method(**kw)  # type: ignore[no-any-return]
    except NotImplementedError:
        return {}
