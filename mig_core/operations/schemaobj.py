"""Build SQLAlchemy Table / Column / Constraint / Index objects from the names an operation got.

Operations are given names (``op.create_unique_constraint("uq", "t", ["a"])``); the DDL
constructs need schema objects. :class:`SchemaObjects` makes them on a throw-away ``MetaData``
that carries the target metadata's naming convention, so SQLAlchemy gives conventional names to
constraints and indexes named ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ClauseElement, TextClause
from sqlalchemy.types import NULLTYPE
from sqlalchemy.util import set_creation_order

from mig_core.operations.naming import naming_convention_of

if TYPE_CHECKING:
    from sqlalchemy.types import TypeEngine

def fk_target_column(fk: sa.ForeignKey) -> sa.Column[Any] | None:
    """The Column a ForeignKey was given (not resolved from names), or None."""
    column = getattr(fk, "target_column", None)  # SQLAlchemy 2.1
    if column is not None or hasattr(fk, "target_tokens"):
        return column  # type: ignore[no-any-return]
    spec = fk._colspec
    return None if isinstance(spec, str) else spec


def fk_target(fk: sa.ForeignKey) -> tuple[str | None, str | None, str | None]:
    """(schema, table, column) a ForeignKey points at, without resolving it. SQLAlchemy 2.1
    keeps them apart (``target_tokens``); before it, a string target is split at its dots, so
    a dot inside a table's or column's name splits it wrongly (give such a target as a
    Column, or as separate names: ``op.create_foreign_key(..., referent_schema=...)``)."""
    column = fk_target_column(fk)
    if column is not None:
        table = column.table if isinstance(column.table, sa.Table) else None
        return (table.schema if table is not None else None,
                table.name if table is not None else None, column.name)
    tokens = getattr(fk, "target_tokens", None)
    if tokens is None:
        tokens = fk._column_tokens
    schema, name, col = tokens
    return schema, name, col


#: ``drop_constraint(type_=...)`` values and the constraint class each one means
CONSTRAINT_TYPES: dict[str | None, type[sa.Constraint]] = {
    "foreignkey": sa.ForeignKeyConstraint,
    "primary": sa.PrimaryKeyConstraint,
    "unique": sa.UniqueConstraint,
    "check": sa.CheckConstraint,
    None: sa.Constraint,
}


class SchemaObjects:
    """Makes schema objects for operations, applying a naming convention when one is given."""

    def __init__(self, naming_convention: Mapping[Any, str] | None = None) -> None:
        self.naming_convention = dict(naming_convention) if naming_convention else None

    @classmethod
    def for_options(cls, opts: Mapping[str, Any] | None) -> SchemaObjects:
        """Schema objects for a run whose options hold ``target_metadata``."""
        target = opts.get("target_metadata") if opts else None
        return cls(naming_convention_of(target))

    # --- tables and columns ------------------------------------------------------------------
    def metadata(self) -> sa.MetaData:
        """A fresh MetaData with the naming convention (SQLAlchemy's default otherwise)."""
        if self.naming_convention:
            return sa.MetaData(naming_convention=self.naming_convention)
        return sa.MetaData()

    def table(self, name: str, *items: Any, schema: str | None = None, **kw: Any) -> sa.Table:
        """A Table holding ``items`` (columns, constraints, indexes); attached items are copied."""
        metadata = kw.pop("metadata", None) or self.metadata()
        # a constraint on another table's columns (a model table's primary key, a copy of one)
        # is copied onto this table's columns of the same names once the table exists: a plain
        # copy would keep the other table's columns (SQLAlchemy warns of a primary key that
        # does not match the primary_key=True columns) and attach itself to that table too
        prepared: list[Any] = []
        rebound: list[tuple[Any, SimpleNamespace]] = []
        for item in items:
            if _on_other_columns(item):
                slot = SimpleNamespace()  # its place in the DDL, taken in the items' order
                set_creation_order(slot)
                rebound.append((item, slot))
            else:
                prepared.append(_detached(item))
        table = sa.Table(name, metadata, *prepared, schema=schema, **kw)
        for item, slot in rebound:
            if any(c.key not in table.c for c in item.columns):  # not all here: as given
                table.append_constraint(_detached(item))
                continue
            copy = item._copy(target_table=table)
            copy._creation_order = slot._creation_order
            if copy.parent is not table:
                table.append_constraint(copy)
        self._ensure_fk_targets(table)
        return table

    def _ensure_fk_targets(self, table: sa.Table) -> None:
        """Stub the tables that ``ForeignKey("other.id")`` strings point at, so they compile.
        An unqualified name is the default schema's table, as SQLAlchemy reads it, even from a
        table of that name in another schema (a self-reference there is ``"schema.t.id"``)."""
        for fk in table.foreign_keys:
            if fk_target_column(fk) is not None:
                continue  # already bound to a Column object
            ref_schema, ref_name, ref_col = fk_target(fk)
            if ref_name is None:
                continue
            self._stub_table(ref_name, [ref_col] if ref_col else [], ref_schema, table.metadata)

    def column(self, name: str, type_: TypeEngine[Any] | None = None, **kw: Any) -> sa.Column[Any]:
        """A Column (untyped by default: only its name matters for most ALTERs)."""
        return sa.Column(name, type_ if type_ is not None else NULLTYPE, **kw)

    def _stub_table(
        self, name: str, columns: Sequence[str], schema: str | None, metadata: sa.MetaData
    ) -> sa.Table:
        """A Table in ``metadata`` with untyped ``columns`` (reused if already there)."""
        key = f"{schema}.{name}" if schema else name
        table = metadata.tables.get(key)
        if table is None:
            table = sa.Table(name, metadata, schema=schema)
        for col in columns:
            if col not in table.c:
                table.append_column(sa.Column(col, NULLTYPE))
        return table

    # --- constraints ----------------------------------------------------------------------------
    def primary_key_constraint(
        self,
        name: Any,
        table_name: str,
        columns: Sequence[str],
        schema: str | None = None,
        **kw: Any,
    ) -> sa.PrimaryKeyConstraint:
        table = self._stub_table(table_name, columns, schema, self.metadata())
        constraint = sa.PrimaryKeyConstraint(*[table.c[c] for c in columns], name=name, **kw)
        table.append_constraint(constraint)
        return constraint

    def unique_constraint(
        self,
        name: Any,
        table_name: str,
        columns: Sequence[str],
        schema: str | None = None,
        **kw: Any,
    ) -> sa.UniqueConstraint:
        table = self._stub_table(table_name, columns, schema, self.metadata())
        constraint = sa.UniqueConstraint(*[table.c[c] for c in columns], name=name, **kw)
        table.append_constraint(constraint)
        return constraint

    def foreign_key_constraint(
        self,
        name: Any,
        source: str,
        referent: str,
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
        use_alter: bool = False,
        **dialect_kw: Any,
    ) -> sa.ForeignKeyConstraint:
        metadata = self.metadata()
        same_table = source == referent and source_schema == referent_schema
        source_table = self._stub_table(
            source,
            list(local_cols) + (list(remote_cols) if same_table else []),
            source_schema,
            metadata,
        )
        referent_table = (
            source_table
            if same_table
            else self._stub_table(referent, remote_cols, referent_schema, metadata)
        )
        targets = [referent_table.c[c] for c in remote_cols]
        constraint = sa.ForeignKeyConstraint(
            list(local_cols),
            targets,
            name=name,
            onupdate=onupdate,
            ondelete=ondelete,
            deferrable=deferrable,
            initially=initially,
            match=match,
            use_alter=use_alter,
            **dialect_kw,
        )
        source_table.append_constraint(constraint)
        return constraint

    def check_constraint(
        self,
        name: Any,
        table_name: str,
        condition: Any,
        schema: str | None = None,
        **kw: Any,
    ) -> sa.CheckConstraint:
        table = self._stub_table(table_name, [], schema, self.metadata())
        sqltext = sa.text(condition) if isinstance(condition, str) else condition
        constraint = sa.CheckConstraint(sqltext, name=name, **kw)
        table.append_constraint(constraint)
        return constraint

    def generic_constraint(
        self,
        name: Any,
        table_name: str,
        type_: str | None,
        schema: str | None = None,
        **kw: Any,
    ) -> sa.Constraint:
        """A constraint known only by name and kind, for ``drop_constraint``."""
        table = self._stub_table(table_name, [], schema, self.metadata())
        cls = CONSTRAINT_TYPES[type_]
        constraint: sa.Constraint
        if cls is sa.ForeignKeyConstraint:
            # a FK needs a column pair; the names of a stub pair never reach DROP CONSTRAINT
            ref = self._stub_table("_mig_ref", ["x"], None, table.metadata)
            table.append_column(sa.Column("_mig_x", NULLTYPE))
            constraint = sa.ForeignKeyConstraint(["_mig_x"], [ref.c.x], name=name, **kw)
        elif cls is sa.CheckConstraint:
            constraint = sa.CheckConstraint("true", name=name, **kw)
        else:
            constraint = cls(name=name, **kw)
        table.append_constraint(constraint)
        return constraint

    # --- indexes ---------------------------------------------------------------------------------
    def index(
        self,
        name: Any,
        table_name: str,
        columns: Sequence[Any],
        schema: str | None = None,
        **kw: Any,
    ) -> sa.Index:
        """An Index over column names and/or SQL expressions (``text()``, functions)."""
        table = self._stub_table(
            table_name, [c for c in columns if isinstance(c, str)], schema, self.metadata()
        )
        if kw.get("postgresql_include"):
            for extra in kw["postgresql_include"]:
                if isinstance(extra, str) and extra not in table.c:
                    table.append_column(sa.Column(extra, NULLTYPE))
        elements: list[Any] = []
        for col in columns:
            if isinstance(col, str):
                elements.append(table.c[col])
            elif isinstance(col, TextClause):
                elements.append(col)
            elif isinstance(col, ClauseElement):
                elements.append(col)
            else:
                raise TypeError(f"index column must be a name or a SQL expression, got {col!r}")
        index = sa.Index(name, *elements, _table=table, **kw)
        return index


def _on_other_columns(item: Any) -> bool:
    """Whether ``item`` is a constraint (not a foreign key: those name their columns) holding
    Column objects of a Table, which ``_copy(target_table=...)`` maps to another table's."""
    if not isinstance(item, sa.schema.ColumnCollectionConstraint) or isinstance(
        item, sa.ForeignKeyConstraint
    ):
        return False
    return isinstance(getattr(item, "parent", None), sa.Table)


def _detached(item: Any) -> Any:
    """A copy of a Column / Constraint already attached to another Table, else ``item`` itself."""
    if isinstance(item, sa.Column) and getattr(item, "table", None) is not None:
        return item._copy()
    if isinstance(item, sa.Constraint) and getattr(item, "parent", None) is not None:
        return item._copy()
    return item
