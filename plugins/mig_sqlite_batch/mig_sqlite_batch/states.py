"""Plain state of a table being rebuilt (columns, constraints, indexes), and how it is read
from, and named by, SQLAlchemy schema objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from mig_core.operations.schemaobj import fk_target as target_parts
from mig_core.operations.schemaobj import fk_target_column


@dataclass
class ColumnState:
    """One column of the new table and where its values come from."""

    name: str
    type: Any
    nullable: bool = True
    server_default: Any = None  # a string, text() or SQL expression; None: no default
    computed: Any = None  # sa.Computed
    identity: Any = None  # sa.Identity
    comment: str | None = None
    autoincrement: Any = "auto"
    dialect_kwargs: dict[str, Any] = field(default_factory=dict)
    info: dict[Any, Any] = field(default_factory=dict)
    #: the column's name in the existing table (None: added by the batch)
    source: str | None = None
    #: the type was changed by the batch (the copy may need a CAST)
    type_changed: bool = False
    old_type: Any = None
    #: a SQL expression producing the value from the old row (``postgresql_using``)
    using: str | None = None

    def to_column(self) -> sa.Column[Any]:
        args: list[Any] = []
        server_default = self.server_default
        if self.computed is not None:
            args.append(_copy_default(self.computed))
            server_default = None
        if self.identity is not None:
            args.append(_copy_default(self.identity))
            server_default = None
        if server_default is not None and not isinstance(server_default, sa.DefaultClause):
            server_default = sa.DefaultClause(server_default)
        autoincrement = self.autoincrement
        if self.identity is None and (server_default is not None or self.computed is not None):
            # the default gives the values (nextval(...), identity): never a second SERIAL
            autoincrement = False
        return sa.Column(
            self.name,
            self.type,
            *args,
            nullable=self.nullable,
            server_default=server_default,
            comment=self.comment,
            autoincrement=autoincrement,
            info=dict(self.info),
            **self.dialect_kwargs,
        )


def _copy_default(obj: Any) -> Any:
    copy = getattr(obj, "_copy", None)
    return copy() if copy is not None else obj


@dataclass
class ConstraintState:
    """A PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY constraint of the new table."""

    kind: str  # primary, unique, check, foreignkey, other
    name: Any
    columns: list[str] = field(default_factory=list)
    sqltext: Any = None  # check: a SQL string or expression
    referred_schema: str | None = None
    referred_table: str | None = None
    referred_columns: list[str] = field(default_factory=list)
    self_referencing: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # deferrable, ondelete, dialect kw...
    obj: Any = None  # kind "other": the SQLAlchemy constraint itself

    def describe(self) -> str:
        if self.name is not None:
            return f"{self.kind} constraint {str(self.name)!r}"
        if self.kind == "check":
            return f"unnamed CHECK ({self.sqltext})"
        return f"unnamed {self.kind} constraint on ({', '.join(self.columns)})"


@dataclass
class IndexState:
    """An index to create on the new table after the rename."""

    name: Any
    expressions: list[Any]  # column names, or SQL expressions
    unique: bool = False
    kw: dict[str, Any] = field(default_factory=dict)
    #: SQLite: the index's CREATE INDEX statement as stored (emitted as it is)
    sql: str | None = None

    def column_names(self) -> list[str]:
        return [e for e in self.expressions if isinstance(e, str)]


def default_arg(col: sa.Column[Any]) -> Any:
    default = col.server_default
    if default is None or col.computed is not None or col.identity is not None:
        return None
    if isinstance(default, sa.DefaultClause):
        return default.arg
    return None


def constraint_order(const: sa.Constraint) -> tuple[int, str]:
    kinds = (sa.PrimaryKeyConstraint, sa.UniqueConstraint, sa.ForeignKeyConstraint,
             sa.CheckConstraint)
    rank = next((i for i, k in enumerate(kinds) if isinstance(const, k)), len(kinds))
    return rank, str(const.name or "")


def _dialect_kw(const: Any) -> dict[str, Any]:
    """A constraint's dialect options; SQLAlchemy's reflection of a PostgreSQL NOT VALID
    CHECK hands its ``dialect_options`` dict over as a keyword (no dialect is named
    "dialect"): left out, the recreate reads NOT VALID from the catalog itself."""
    return {k: v for k, v in const.dialect_kwargs.items()
            if v is not None and k != "dialect_options"}


def state_of(const: sa.Constraint, table: sa.Table) -> ConstraintState | None:
    name = None if const.name is None or not isinstance(const.name, str) else const.name
    if isinstance(const, sa.PrimaryKeyConstraint):
        return ConstraintState(
            "primary", name, [c.name for c in const.columns], options=_dialect_kw(const)
        )
    if isinstance(const, sa.UniqueConstraint):
        opts = _dialect_kw(const)
        for attr in ("deferrable", "initially"):
            if getattr(const, attr) is not None:
                opts[attr] = getattr(const, attr)
        return ConstraintState("unique", name, [c.name for c in const.columns], options=opts)
    if isinstance(const, sa.CheckConstraint):
        return ConstraintState("check", name, sqltext=const.sqltext, options=_dialect_kw(const))
    if isinstance(const, sa.ForeignKeyConstraint):
        opts = _dialect_kw(const)
        for attr in ("ondelete", "onupdate", "deferrable", "initially", "match"):
            if getattr(const, attr) is not None:
                opts[attr] = getattr(const, attr)
        first = const.elements[0]
        schema, ref_table, _ = fk_target(first, table)
        self_ref = ref_table == table.name and (schema or None) == (table.schema or None)
        return ConstraintState(
            "foreignkey",
            name,
            [e.parent.name for e in const.elements],
            referred_schema=schema,
            referred_table=ref_table,
            referred_columns=[str(fk_target(e, table)[2]) for e in const.elements],
            self_referencing=self_ref,
            options=opts,
        )
    return ConstraintState("other", name, [c.name for c in getattr(const, "columns", [])],
                           obj=const)


def fk_target(fk: sa.ForeignKey, table: sa.Table) -> tuple[str | None, str, str | None]:
    """(schema, table, column) a ForeignKey points at, without resolving it."""
    schema, tname, colname = target_parts(fk)
    if fk_target_column(fk) is None and schema is None and tname == table.name:
        schema = table.schema
    return schema, str(tname), colname


def index_state(index: sa.Index, table: sa.Table) -> IndexState:
    expressions: list[Any] = []
    for expr in index.expressions:
        if isinstance(expr, sa.Column) and expr.table is table:
            expressions.append(expr.name)
        else:
            expressions.append(expr)
    kw = {k: v for k, v in index.dialect_kwargs.items() if v is not None}
    return IndexState(index.name, expressions, bool(index.unique), kw)


def stub_fk_targets(table: sa.Table) -> None:
    """Create the tables string foreign keys point at, so the DDL compiles."""
    metadata = table.metadata
    for fk in table.foreign_keys:
        if fk_target_column(fk) is not None:
            continue
        schema, tname, colname = target_parts(fk)
        if tname is None:
            continue
        if schema is None and tname == table.name:
            schema = table.schema
        key = f"{schema}.{tname}" if schema else tname
        target = metadata.tables.get(key)
        if target is None:
            target = sa.Table(tname, metadata, schema=schema)
        if colname and colname not in target.c:
            target.append_column(sa.Column(colname, sa.types.NULLTYPE))


def conventional_name(
    state: ConstraintState, table_name: str, schema: str | None, convention: Mapping[Any, str]
) -> Any:
    """The name ``convention`` gives ``state`` on ``table_name`` (None when it gives none)."""
    metadata = sa.MetaData(naming_convention=dict(convention))
    cols = list(state.columns)
    table = sa.Table(table_name, metadata, *[sa.Column(c, sa.types.NULLTYPE) for c in cols],
                     schema=schema)
    try:
        if state.kind == "primary":
            const: sa.Constraint = sa.PrimaryKeyConstraint(*cols)
        elif state.kind == "unique":
            const = sa.UniqueConstraint(*cols)
        elif state.kind == "check":
            const = sa.CheckConstraint(
                sa.text(state.sqltext) if isinstance(state.sqltext, str) else state.sqltext
            )
        else:
            ref_schema = state.referred_schema
            ref_name = state.referred_table or table_name
            if state.self_referencing:
                ref = table
                for c in state.referred_columns:
                    if c not in ref.c:
                        ref.append_column(sa.Column(c, sa.types.NULLTYPE))
            else:
                ref = sa.Table(ref_name, metadata, *[sa.Column(c, sa.types.NULLTYPE)
                                                     for c in state.referred_columns],
                               schema=ref_schema)
            const = sa.ForeignKeyConstraint(cols, [ref.c[c] for c in state.referred_columns])
        table.append_constraint(const)
        name = const.name
    except (sa.exc.InvalidRequestError, IndexError, KeyError):
        return None
    return name if isinstance(name, str) else None


def stub_column(
    metadata: sa.MetaData, schema: str | None, name: str, column: str
) -> sa.Column[Any]:
    """Column ``column`` of a placeholder table in ``metadata`` (reused if there): a foreign
    key's target given as a Column, not as a dotted string a dot in a name would split."""
    key = f"{schema}.{name}" if schema else name
    target = metadata.tables.get(key)
    if target is None:
        target = sa.Table(name, metadata, schema=schema)
    if column not in target.c:
        target.append_column(sa.Column(column, sa.types.NULLTYPE))
    return target.c[column]
