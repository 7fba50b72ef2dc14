"""The table being rebuilt: the existing table with the batch's operations applied.

A :class:`TableModel` starts from the existing table (reflected, or ``copy_from``), takes the
batch's operation objects one by one (no SQL is written here), and finally builds the new
``Table`` and ``Index`` objects. Constraints and indexes refer to columns by their current
name, so a column renamed in the batch carries its constraints and indexes along, and an
operation may name a renamed column by its new or its old name.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import TextClause

from mig_core.ddl.statements import server_form, text_escaped
from mig_core.errors import CommandError, MigWarning, NoSuchObjectError
from mig_core.operations import ops
from mig_sqlite_batch import sqltext
from mig_sqlite_batch.states import (
    ColumnState,
    ConstraintState,
    IndexState,
    constraint_order,
    conventional_name,
    default_arg,
    index_state,
    state_of,
    stub_column,
    stub_fk_targets,
)

log = logging.getLogger("mig.batch")

#: index options keyed by column name (``mysql_length={"note": 10}``, ``postgresql_ops``)
COLUMN_KEYED_SUFFIXES = ("_length", "_ops")


class TableModel:
    """The new table: the existing one with the batch's operations applied."""

    def __init__(
        self,
        name: str,
        schema: str | None,
        dialect: Any,
        *,
        make_schema_objects: Callable[[], Any],
        case_sensitive: bool,
    ) -> None:
        self.name = name
        self.schema = schema
        self.dialect = dialect
        self.columns: list[ColumnState] = []
        self.constraints: list[ConstraintState] = []
        self.indexes: list[IndexState] = []
        #: names of the constraints and indexes that went with a dropped column: a later
        #: drop of one of them in the same batch has nothing left to do
        self._gone_with_columns: set[str] = set()
        #: index columns named before the batch added them: (column, operation)
        self._later_columns: list[tuple[str, str]] = []
        self.table_kwargs: dict[str, Any] = {}
        self.comment: str | None = None
        self.dropped: list[str] = []  # source names of dropped columns
        #: every name a column had during the batch -> its current name
        self.renames: dict[str, str] = {}
        self._schema_objects = make_schema_objects
        self._case_sensitive = case_sensitive
        self._dropping: tuple[str, ...] = ()
        self._dropped_names: list[str] = []  # names dropped columns had when dropped
        #: (the last column, the column added after it by position-less add_column calls)
        self._appended_after: list[tuple[ColumnState, str]] = []
        #: (earlier, later) of every insert_before / insert_after: orders partial_reordering
        #: must keep too (Alembic sorts them together)
        self._placed: list[tuple[ColumnState, ColumnState]] = []
        #: constraints and indexes that went with a dropped column, with its name: a column
        #: added again under that name in the same batch brings them back (as in Alembic)
        self._held: list[tuple[ConstraintState | IndexState, str]] = []

    # --- loading -------------------------------------------------------------------------
    @classmethod
    def from_table(
        cls,
        table: sa.Table,
        dialect: Any,
        *,
        make_schema_objects: Callable[[], Any],
        naming_convention: Mapping[Any, str] | None = None,
        checks: Sequence[tuple[str | None, str]] | None = None,
        case_sensitive: bool = True,
    ) -> TableModel:
        """The model of an existing table. ``checks`` replaces the table's CHECK constraints
        (SQLite: read from its SQL, unnamed ones included)."""
        model = cls(
            table.name, table.schema, dialect, make_schema_objects=make_schema_objects,
            case_sensitive=case_sensitive,
        )
        for col in table.columns:
            model.columns.append(
                ColumnState(
                    name=col.name,
                    type=col.type,
                    nullable=bool(col.nullable),
                    server_default=default_arg(col),
                    computed=col.computed,
                    identity=col.identity,
                    comment=col.comment,
                    autoincrement=col.autoincrement,
                    dialect_kwargs=dict(col.dialect_kwargs),
                    info=dict(col.info),
                    source=col.name,
                )
            )
        for const in sorted(table.constraints, key=constraint_order):
            if getattr(const, "_type_bound", False):
                continue  # comes back with the column's type
            if checks is not None and isinstance(const, sa.CheckConstraint):
                continue
            state = state_of(const, table)
            if state is None:
                continue
            if state.kind == "primary" and not state.columns:
                continue
            model.constraints.append(state)
        for name, sqltext_ in checks or ():
            model.constraints.append(ConstraintState("check", name, sqltext=sqltext_))
        for index in sorted(table.indexes, key=lambda ix: str(ix.name or "")):
            model.indexes.append(model._portable(index_state(index, table)))
        model.table_kwargs = {
            k: v for k, v in table.dialect_kwargs.items() if v is not None
        }
        model.comment = table.comment
        if naming_convention:
            model.apply_naming_convention(naming_convention)
        return model

    def apply_naming_convention(self, convention: Mapping[Any, str]) -> None:
        """Name the constraints that have no name, so the batch can drop them by name."""
        for state in self.constraints:
            if state.name is None and state.kind != "other":
                state.name = conventional_name(state, self.name, self.schema, convention)

    # --- names -----------------------------------------------------------------------------
    def _same(self, a: str, b: str) -> bool:
        return a == b if self._case_sensitive else a.lower() == b.lower()

    def _current(self, name: str) -> ColumnState | None:
        """The column named ``name`` now (renames not followed)."""
        for col in self.columns:
            if col.name == name:
                return col
        for col in self.columns:
            if self._same(col.name, name):
                return col
        return None

    def find_column(self, name: str) -> ColumnState | None:
        """The column named ``name`` now, or once during this batch (its old name)."""
        col = self._current(name)
        if col is not None:
            return col
        current = self.renames.get(name)
        if current is not None and current != name:
            return self.find_column(current)
        return None

    def by_source(self, source: str) -> ColumnState | None:
        """The column whose values come from the old table's column ``source``."""
        for col in self.columns:
            if col.source is not None and self._same(col.source, source):
                return col
        return None

    def column(self, name: str, what: str) -> ColumnState:
        col = self.find_column(name)
        if col is None:
            raise CommandError(
                f"{what}: table {self.name!r} has no column {name!r} "
                f"(columns: {', '.join(c.name for c in self.columns)})"
            )
        return col

    def _resolve(self, names: Iterable[str], what: str) -> list[str]:
        return [self.column(n, what).name for n in names]

    # --- operations --------------------------------------------------------------------------
    def apply(self, op: Any) -> None:
        """Apply one queued operation object."""
        handler = _HANDLERS.get(type(op))
        if handler is None:
            for cls_, fn in _HANDLERS.items():
                if isinstance(op, cls_):
                    handler = fn
                    break
        if handler is None:
            describe = op.describe() if hasattr(op, "describe") else type(op).__name__
            raise CommandError(
                f"batch_alter_table({self.name!r}): {describe} cannot be applied while the table "
                "is recreated; run it outside the batch"
            )
        handler(self, op)

    def add_column(self, op: ops.AddColumnOp) -> None:
        what = f"batch_op.add_column({op.column.name!r})"
        if self._current(op.column.name) is not None:
            if op.if_not_exists:
                return
            raise CommandError(f"{what}: table {self.name!r} already has a column {op.column.name!r}")
        state, constraints, indexes = self._absorb_column(op.column)
        if self.columns and not (op.kw.get("insert_before") or op.kw.get("insert_after")):
            self._appended_after.append((self.columns[-1], state.name))
        self._place(state, op.kw, what, new=True)
        for const in constraints:
            if const.kind == "primary":
                if self.primary_key() is not None:
                    raise CommandError(
                        f"{what}: table {self.name!r} already has a primary key; drop it with "
                        "batch_op.drop_constraint(name, type_='primary') first"
                    )
            self.constraints.append(const)
        self.indexes.extend(indexes)
        if any(self._same(n, state.name) for n in self._dropped_names):
            self._restore_held()

    def _restore_held(self) -> None:
        """Bring back what went with dropped columns whose names all exist again."""
        held, self._held = self._held, []
        self._dropping = tuple(self._dropped_names)
        try:
            for item, name in held:
                if isinstance(item, IndexState):
                    used = self._index_columns(item)
                else:
                    used = self._constraint_columns(item)
                if any(self._current(c) is None for c in used):
                    self._held.append((item, name))
                    continue
                log.info("batch %s: %s kept, column %s is added again", self.name,
                         item.describe() if isinstance(item, ConstraintState)
                         else f"index {item.name}", name)
                if isinstance(item, IndexState):
                    self.indexes.append(item)
                else:
                    self.constraints.append(item)
                if item.name is not None:
                    self._gone_with_columns.discard(str(item.name).lower())
        finally:
            self._dropping = ()

    def settle_drops(self) -> None:
        """Warn about the CHECK constraints that went with a dropped column for good."""
        for item, name in self._held:
            if isinstance(item, ConstraintState) and item.kind == "check":
                warnings.warn(
                    f"batch_alter_table({self.name!r}): {item.describe()} uses column "
                    f"{name!r}, which the batch drops; the constraint is dropped too",
                    MigWarning,
                    stacklevel=2,
                )

    def _absorb_column(
        self, column: sa.Column[Any]
    ) -> tuple[ColumnState, list[ConstraintState], list[IndexState]]:
        """The column's state plus the constraints and indexes it declares (FK, unique,
        index, CHECK), named by the run's naming convention for this table."""
        metadata = self._schema_objects().metadata()
        copy = column._copy()
        scratch = sa.Table(self.name, metadata, copy, schema=self.schema)
        stub_fk_targets(scratch)
        state = ColumnState(
            name=copy.name,
            type=copy.type,
            nullable=bool(copy.nullable),
            server_default=default_arg(copy),
            computed=copy.computed,
            identity=copy.identity,
            comment=copy.comment,
            autoincrement=copy.autoincrement,
            dialect_kwargs=dict(copy.dialect_kwargs),
            info=dict(copy.info),
        )
        constraints = []
        # column-level CHECKs stay in column.constraints (SQLAlchemy renders them inline)
        for const in [*scratch.constraints, *copy.constraints]:
            if getattr(const, "_type_bound", False):
                continue
            found = state_of(const, scratch)
            if found is not None and (found.kind != "primary" or found.columns):
                constraints.append(found)
        indexes = [index_state(ix, scratch) for ix in scratch.indexes]
        return state, constraints, indexes

    def _place(self, state: ColumnState, kw: Mapping[str, Any], what: str, new: bool) -> None:
        before, after = kw.get("insert_before"), kw.get("insert_after")
        if not new:
            self.columns.remove(state)
        if before is not None:
            anchor = self.column(before, what)
            self.columns.insert(self.columns.index(anchor), state)
            self._placed.append((state, anchor))
        elif after is not None:
            anchor = self.column(after, what)
            self.columns.insert(self.columns.index(anchor) + 1, state)
            self._placed.append((anchor, state))
        elif new:
            self.columns.append(state)
        else:
            raise AssertionError("a move needs insert_before or insert_after")

    def drop_column(self, op: ops.DropColumnOp) -> None:
        col = self.find_column(op.column_name)
        if col is None:
            if op.if_exists:
                return
            self.column(op.column_name, f"batch_op.drop_column({op.column_name!r})")
            return
        self.columns.remove(col)
        self._warn_moved_by_alembic(col)
        if col.source is not None:
            self.dropped.append(col.source)
        self._dropped_names.append(col.name)
        self._dropping = (col.name,)
        try:
            self._forget_column(col.name)
        finally:
            self._dropping = ()

    def _warn_moved_by_alembic(self, dropped: ColumnState) -> None:
        """A column added at the end and then the column it followed dropped, in one batch:
        mig keeps the added column at the end (where Alembic's documentation puts it), while
        Alembic's own recreate moves it forward, next to the table's first column. The schemas
        then differ in column order only; say so, since a project switching from Alembic
        would otherwise find it out by comparing databases."""
        added: list[str] = []
        for anchor, name in self._appended_after:  # in call order: a chain x, y, ... follows
            if anchor is dropped or anchor.name in added:
                added.append(name)
        if not added:
            return
        names = ", ".join(repr(name) for name in added)
        warnings.warn(
            f"batch_alter_table({self.name!r}): {names} added after {dropped.name!r}, which "
            f"the batch then drops: mig appends them at the end of the table; Alembic puts "
            "them next to the table's first column instead, so a database Alembic migrated has "
            "another column order (add_column(..., insert_after=...) states the position for "
            "both; docs/batch.md)",
            MigWarning,
            stacklevel=2,
        )

    def _forget_column(self, name: str) -> None:
        """Remove the constraints and indexes that use column ``name`` (it is dropped)."""
        kept = []
        for state in self.constraints:
            if name in self._constraint_columns(state):
                if state.kind != "check":
                    log.info("batch %s: %s dropped with column %s", self.name,
                             state.describe(), name)
                self._held.append((state, name))
                if state.name is not None:
                    self._gone_with_columns.add(str(state.name).lower())
                continue
            kept.append(state)
        self.constraints = kept
        remaining = []
        for index in self.indexes:
            if name in self._index_columns(index):
                log.info("batch %s: index %s dropped with column %s", self.name, index.name, name)
                self._held.append((index, name))
                if index.name is not None:
                    self._gone_with_columns.add(str(index.name).lower())
                continue
            remaining.append(index)
        self.indexes = remaining
        for old, current in list(self.renames.items()):
            if current == name:
                del self.renames[old]

    def _constraint_columns(self, state: ConstraintState) -> set[str]:
        cols = set(state.columns)
        if state.self_referencing:
            cols.update(state.referred_columns)
        if state.kind == "check":
            names = [c.name for c in self.columns] + list(self._dropping)
            cols.update(sqltext.mentioned(self._sql_of(state.sqltext), names))
        return cols

    def _index_columns(self, index: IndexState) -> set[str]:
        cols = set(index.column_names())
        names = [c.name for c in self.columns] + list(self._dropping)
        for expr in index.expressions:
            if not isinstance(expr, str):
                cols.update(sqltext.mentioned(self._sql_of(expr), names))
        for key in ("sqlite_where", "postgresql_where"):
            if index.kw.get(key) is not None:
                cols.update(sqltext.mentioned(self._sql_of(index.kw[key]), names))
        for key, value in index.kw.items():  # INCLUDE (...) columns, per-column options
            if isinstance(value, dict) and key.endswith(COLUMN_KEYED_SUFFIXES):
                cols.update(str(c) for c in value)
            elif key.endswith("_include") and isinstance(value, (list, tuple)):
                cols.update(str(c) for c in value)
        return cols

    def _sql_of(self, expr: Any) -> str:
        """An expression's SQL in ``sa.text()``'s source form, to be wrapped in ``sa.text()``
        again: a text clause's own text; a SQLAlchemy expression compiled with its values,
        ``%`` as the server reads it and each colon ``text()`` would take for a parameter
        escaped (a literal ``' :b'`` would otherwise be written as NULL)."""
        if isinstance(expr, str):
            return expr
        if isinstance(expr, TextClause):
            return expr.text
        sql = str(expr.compile(
            dialect=self.dialect, compile_kwargs={"literal_binds": True, "include_table": False}
        ))
        return text_escaped(server_form(self.dialect, sql))

    def alter_column(self, op: ops.AlterColumnOp) -> None:
        what = f"batch_op.alter_column({op.column_name!r})"
        col = self.column(op.column_name, what)
        if op.modify_type is not None:
            new_type = sa.types.to_instance(op.modify_type)
            if op.existing_type is not None:
                self._drop_type_checks(col.name, op.existing_type)
            if not col.type_changed:
                col.old_type = col.type
            col.type = self._keep_collation(col.type, new_type)
            col.type_changed = True
            using = op.kw.get(f"{self.dialect.name}_using")
            if using is not None:
                col.using = using if isinstance(using, str) else self._sql_of(using)
        if op.modify_nullable is not None:
            col.nullable = bool(op.modify_nullable)
        if op.modify_server_default is not False:
            value = op.modify_server_default
            col.computed = value if isinstance(value, sa.Computed) else None
            col.identity = value if isinstance(value, sa.Identity) else None
            col.server_default = (
                None if value is None or col.computed is not None or col.identity is not None
                else (value.arg if isinstance(value, sa.DefaultClause) else value)
            )
        if op.modify_comment is not False:
            col.comment = op.modify_comment
        if "autoincrement" in op.kw and op.kw["autoincrement"] is not None:
            col.autoincrement = op.kw["autoincrement"]
        if op.modify_name is not None and op.modify_name != col.name:
            self._rename(col, op.modify_name, what)
        if op.kw.get("insert_before") or op.kw.get("insert_after"):
            self._place(col, op.kw, what, new=False)

    def _keep_collation(self, old: Any, new: Any) -> Any:
        """SQLite: a column's COLLATE stays when its new type is a string type given without
        a collation of its own (``VARCHAR(10) COLLATE RTRIM`` -> ``String(40)`` keeps
        RTRIM); SQLite compares the column's values by it, which a length change is not meant
        to alter."""
        collation = getattr(old, "collation", None)
        if (
            self.dialect.name != "sqlite"
            or collation is None
            or not isinstance(new, sa.String)
            or isinstance(new, sa.types.SchemaType)
            or new.collation is not None
        ):
            return new
        kept = copy.copy(new)
        kept.collation = collation
        return kept

    def type_checks(self, column: str, type_: Any) -> list[tuple[str | None, str]]:
        """The CHECK constraints ``type_`` creates on ``column`` of this table (an Enum or
        Boolean with ``create_constraint=True`` where the dialect has no native type):
        (name, normalised SQL) pairs, the name as given and as the naming conventions of the
        run (or the batch) give it; None for an unnamed one."""
        type_ = sa.types.to_instance(type_)
        if not isinstance(type_, sa.types.SchemaType) or not getattr(
            type_, "create_constraint", False
        ):
            return []
        compiler = SimpleNamespace(dialect=self.dialect)
        out: list[tuple[str | None, str]] = []
        for metadata in (sa.MetaData(), self._schema_objects().metadata()):
            try:
                scratch = sa.Table(
                    self.name, metadata, sa.Column(column, copy.copy(type_)), schema=self.schema
                )
            except (sa.exc.InvalidRequestError, KeyError):  # a convention it cannot fill
                continue
            for const in scratch.constraints:
                if not isinstance(const, sa.CheckConstraint) or not getattr(
                    const, "_type_bound", False
                ):
                    continue
                rule = getattr(const, "_create_rule", None)
                if rule is not None and not rule(compiler):
                    continue
                name = str(const.name) if isinstance(const.name, str) else None
                found = (name, sqltext.normalized(self._sql_of(const.sqltext)))
                if found not in out:
                    out.append(found)
        return out

    def _drop_type_checks(self, column: str, existing_type: Any) -> None:
        """A column's type changes from ``existing_type``: drop the CHECK that type created
        (by its name; an unnamed one by its SQL), as the new type brings its own."""
        made = self.type_checks(column, existing_type)
        if not made:
            return
        names = {n.lower() for n, _ in made if n is not None}
        texts = {text for n, text in made if n is None}
        self.constraints = [
            state for state in self.constraints
            if state.kind != "check"
            or not (
                (state.name is not None and str(state.name).lower() in names)
                or (state.name is None
                    and sqltext.normalized(self._sql_of(state.sqltext)) in texts)
            )
        ]

    def _rename(self, col: ColumnState, new: str, what: str) -> None:
        clash = self.find_column(new)
        if clash is not None and clash is not col and clash.name == new:
            raise CommandError(f"{what}: table {self.name!r} already has a column {new!r}")
        old = col.name
        col.name = new
        for key, current in list(self.renames.items()):
            if current == old:
                self.renames[key] = new
        self.renames[old] = new
        self.renames.pop(new, None)
        renames = {old: new}
        quote = self.dialect.identifier_preparer.quote
        for state in self.constraints:
            state.columns = [new if c == old else c for c in state.columns]
            if state.self_referencing:
                state.referred_columns = [new if c == old else c for c in state.referred_columns]
            if state.kind == "check":
                state.sqltext = sqltext.rename_columns(self._sql_of(state.sqltext), renames, quote)
        for other in self.columns:
            computed = other.computed
            if computed is not None and isinstance(computed, sa.Computed):
                text = sqltext.rename_columns(self._sql_of(computed.sqltext), renames, quote)
                other.computed = sa.Computed(sa.text(text), persisted=computed.persisted)
        for index in self.indexes:
            index.expressions = [
                (new if e == old else e)
                if isinstance(e, str)
                else sa.text(sqltext.rename_columns(self._sql_of(e), renames, quote))
                for e in index.expressions
            ]
            for key in ("sqlite_where", "postgresql_where"):
                if index.kw.get(key) is not None:
                    index.kw[key] = sa.text(
                        sqltext.rename_columns(self._sql_of(index.kw[key]), renames, quote)
                    )
            for key, value in index.kw.items():  # mysql_length={"col": 10}, INCLUDE (col)
                if isinstance(value, dict) and key.endswith(COLUMN_KEYED_SUFFIXES):
                    index.kw[key] = {new if c == old else c: v for c, v in value.items()}
                elif key.endswith("_include") and isinstance(value, (list, tuple)):
                    index.kw[key] = [new if c == old else c for c in value]

    def create_index(self, op: ops.CreateIndexOp) -> None:
        index = op.to_index(self._schema_objects())
        if index.name is None:
            raise CommandError(
                f"batch_op.create_index(None, {list(op.columns)!r}): the index needs a name "
                "(or a naming convention with an 'ix' entry)"
            )
        if self.find_index(index.name) is not None:
            if op.if_not_exists:
                return
            raise CommandError(
                f"batch_op.create_index({str(index.name)!r}): table {self.name!r} already has "
                "an index of that name"
            )
        what = f"batch_op.create_index({str(index.name)!r})"
        expressions: list[Any] = []
        for expr in index.expressions:
            if not isinstance(expr, sa.Column):
                expressions.append(expr)
            elif self.find_column(expr.name) is not None:
                expressions.append(self.column(expr.name, what).name)
            else:  # added later in the batch, as Alembic allows: checked when the batch ends
                expressions.append(expr.name)
                self._later_columns.append((expr.name, what))
        kw = {k: v for k, v in index.dialect_kwargs.items() if v is not None}
        self.indexes.append(
            self._portable(IndexState(index.name, expressions, bool(index.unique), kw)))

    def _portable(self, index: IndexState) -> IndexState:
        """``index`` with its expressions (``x DESC``, ``lower(code)``) as SQL text: bound to
        the old table's columns they would not build on the new table."""
        index.expressions = [
            e if isinstance(e, (str, TextClause)) else sa.text(self._sql_of(e))
            for e in index.expressions
        ]
        return index

    def find_index(self, name: Any) -> IndexState | None:
        if name is None:
            return None
        for index in self.indexes:
            if index.name is not None and self._same(str(index.name), str(name)):
                return index
        return None

    def drop_index(self, op: ops.DropIndexOp) -> None:
        index = self.find_index(op.index_name)
        if index is None:
            if op.if_exists or self._went_with_a_column(op.index_name):
                return
            names = ", ".join(str(i.name) for i in self.indexes) or "none"
            raise NoSuchObjectError(
                f"batch_op.drop_index({str(op.index_name)!r}): table {self.name!r} has no index "
                f"of that name (indexes: {names})"
            )
        self.indexes.remove(index)

    def add_constraint(self, op: ops.AddConstraintOp) -> None:
        const = op.to_constraint(self._schema_objects())
        what = f"batch_op.{op.op_name}({str(const.name) if const.name is not None else None!r})"
        state = state_of(const, const.table)  # type: ignore[attr-defined]
        if state is None:
            raise CommandError(f"{what}: cannot recreate a {type(const).__name__}")
        if state.kind != "other":
            state.columns = self._resolve(state.columns, what)
        if state.kind == "foreignkey" and self._is_this_table(
            state.referred_table, state.referred_schema
        ):
            state.self_referencing = True
            state.referred_columns = self._resolve(state.referred_columns, what)
        existing = self.find_constraint(state.name) if state.name is not None else None
        if existing is not None:
            self._replace_named(existing, state, what)
        if state.kind == "primary":
            current = self.primary_key()
            if current is not None:
                self.constraints.remove(current)  # a batch may replace the primary key
        self.constraints.append(state)

    def _replace_named(self, existing: ConstraintState, new: ConstraintState, what: str) -> None:
        """A constraint added under a name the table has replaces that one, as in Alembic's
        batch mode (histories that create the same foreign key twice have run that way)."""
        self.constraints.remove(existing)
        if _definition(existing) == _definition(new):
            log.info("batch %s: %s added again; kept once", self.name, new.describe())
            return
        warnings.warn(
            f"{what}: table {self.name!r} already has a {existing.kind} constraint of that "
            f"name; the new one replaces it",
            MigWarning,
            stacklevel=4,
        )

    def _is_this_table(self, table: str | None, schema: str | None) -> bool:
        return table == self.name and (schema or None) == (self.schema or None)

    def primary_key(self) -> ConstraintState | None:
        return next((c for c in self.constraints if c.kind == "primary"), None)

    def find_constraint(self, name: Any, kind: str | None = None) -> ConstraintState | None:
        for state in self.constraints:
            if state.name is None or (kind is not None and state.kind != kind):
                continue
            if self._same(str(state.name), str(name)):
                return state
        return None

    def _converted_name(self, op: ops.DropConstraintOp) -> Any:
        """The name the target metadata's naming convention makes of the dropped one (what
        ``add_constraint`` stored under that name), as Alembic looks it up; None when the
        convention leaves it alone or cannot apply to a constraint known only by name."""
        if op.constraint_name is None or op.constraint_type not in ("check", "unique",
                                                                     "foreignkey"):
            return None
        try:
            name = op.to_constraint(self._schema_objects()).name
        except Exception:  # a convention token that needs columns
            return None
        return name if name is not None and str(name) != str(op.constraint_name) else None

    def _went_with_a_column(self, name: Any) -> bool:
        """Dropped with its column earlier in the batch (Alembic accepts the drop too)."""
        if name is None or str(name).lower() not in self._gone_with_columns:
            return False
        log.info("batch %s: %s already dropped with its column", self.name, name)
        return True

    def drop_constraint(self, op: ops.DropConstraintOp) -> None:
        state = None
        converted = self._converted_name(op)
        if converted is not None:
            state = self.find_constraint(converted, op.constraint_type)
        if state is None:
            state = self.find_constraint(op.constraint_name, op.constraint_type)
        if state is None and op.constraint_type == "primary" and op.constraint_name is None:
            state = self.primary_key()
        if state is None:
            if op.if_exists or self._went_with_a_column(op.constraint_name):
                return
            named = ", ".join(
                f"{c.name} ({c.kind})" for c in self.constraints if c.name is not None
            ) or "none"
            kind = f" of type {op.constraint_type!r}" if op.constraint_type else ""
            if op.constraint_name is None:  # autogenerate writes None for an unnamed one
                raise NoSuchObjectError(
                    f"batch_op.drop_constraint(None{kind and ', type_=' + repr(op.constraint_type)}"
                    f"): a constraint without a name cannot be found on table {self.name!r}; "
                    "give the batch a naming convention, batch_alter_table(..., "
                    "naming_convention={...}), and drop it by the name it makes (named "
                    f"constraints: {named})"
                )
            raise NoSuchObjectError(
                f"batch_op.drop_constraint({str(op.constraint_name)!r}): table {self.name!r} has "
                f"no constraint of that name{kind} (named constraints: {named}; unnamed ones "
                "can be named with batch_alter_table(naming_convention=...))"
            )
        self.constraints.remove(state)

    def set_comment(self, comment: str | None) -> None:
        self.comment = comment

    def check_index_columns(self) -> None:
        """The columns indexes named before the batch added them exist now."""
        for name, what in self._later_columns:
            if not any(name in index.column_names() for index in self.indexes):
                continue  # the index was dropped again
            self.column(name, what)

    def check_generated(self) -> None:
        """Refuse a generated column whose expression uses a column the batch dropped (the
        new table could not be created), naming both."""
        current = {c.name.lower() for c in self.columns}
        gone = [n for n in self._dropped_names if n.lower() not in current]
        if not gone:
            return
        for col in self.columns:
            if col.computed is None:
                continue
            used = sqltext.mentioned(self._sql_of(col.computed.sqltext), gone)
            if used:
                raise CommandError(
                    f"batch_alter_table({self.name!r}): generated column {col.name!r} is "
                    f"computed from {', '.join(sorted(used))}, which the batch drops; drop "
                    f"{col.name!r} too, or change its expression, in the same batch"
                )

    # --- column order ----------------------------------------------------------------------
    def reorder(self, partial_reordering: Sequence[Sequence[str]] | None) -> None:
        """Apply ``partial_reordering``: each tuple lists columns in the order they must keep,
        as do the columns placed with insert_before / insert_after and their anchors; every
        other column stays where it is as far as that allows."""
        if not partial_reordering:
            return
        what = "batch_alter_table(partial_reordering=...)"
        names = [c.name for c in self.columns]
        edges: dict[str, set[str]] = {n: set() for n in names}
        indegree = dict.fromkeys(names, 0)
        pairs = [
            (a, b) for group in partial_reordering
            for a, b in zip(self._resolve(group, what), self._resolve(group, what)[1:])
        ]
        pairs += [(a.name, b.name) for a, b in self._placed  # insert_before / insert_after
                  if a in self.columns and b in self.columns]
        for a, b in pairs:
            if b not in edges[a]:
                edges[a].add(b)
                indegree[b] += 1
        position = {n: i for i, n in enumerate(names)}
        order: list[str] = []
        ready = sorted((n for n in names if indegree[n] == 0), key=position.__getitem__)
        #: a column placed with insert_after goes right after its anchor when it can
        follows = {a.name: b.name for a, b in self._placed
                   if a in self.columns and b in self.columns and position[a.name] < position[b.name]}
        while ready:
            current = ready.pop(0)
            order.append(current)
            for nxt in edges[current]:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    ready.append(nxt)
            ready.sort(key=lambda n: (n != follows.get(current), position[n]))
        if len(order) != len(names):
            raise CommandError(f"{what}: the orderings contradict each other (a cycle)")
        by_name = {c.name: c for c in self.columns}
        self.columns = [by_name[n] for n in order]

    # --- building ------------------------------------------------------------------------------
    def build_table(
        self,
        name: str,
        *,
        self_target: str | None,
        table_args: Sequence[Any] = (),
        table_kwargs: Mapping[str, Any] | None = None,
    ) -> sa.Table:
        """The new table named ``name``. Self-referencing foreign keys point at
        ``self_target`` (SQLite: the final name, as its references are by name) or, when
        None, at the new table itself (backends that follow the rename)."""
        metadata = sa.MetaData()
        kwargs = dict(self.table_kwargs)
        kwargs.update(table_kwargs or {})
        if self.comment is not None:
            kwargs["comment"] = self.comment
        table = sa.Table(
            name, metadata, *[c.to_column() for c in self.columns], schema=self.schema, **kwargs
        )
        given = self._given_checks(table, table_args)
        for state in self.constraints:
            if state.kind == "check" and self._superseded(state, given):
                continue  # the column's type or table_args brings it again
            table.append_constraint(self._build_constraint(state, table, self_target))
        for extra in table_args:
            if isinstance(extra, sa.Constraint):
                table.append_constraint(self._table_arg_copy(extra, table))
            elif not isinstance(extra, sa.Index):  # indexes: build_indexes, after the rename
                raise CommandError(
                    f"batch_alter_table({self.name!r}, table_args=...): expected constraints and "
                    f"indexes, got {extra!r}"
                )
        stub_fk_targets(table)
        return table

    def _given_checks(
        self, table: sa.Table, table_args: Sequence[Any]
    ) -> tuple[set[str], set[str]]:
        """Names (lower-cased) and normalised SQL of the unnamed CHECKs that the new
        columns' types (Enum, Boolean) and ``table_args`` create."""
        names: set[str] = set()
        texts: set[str] = set()
        type_bound = [
            c for c in table.constraints
            if isinstance(c, sa.CheckConstraint) and getattr(c, "_type_bound", False)
        ]
        compiler = SimpleNamespace(dialect=self.dialect)
        for const in [*type_bound, *(a for a in table_args if isinstance(a, sa.CheckConstraint))]:
            rule = getattr(const, "_create_rule", None)
            if rule is not None and not rule(compiler):
                continue
            if isinstance(const.name, str):
                names.add(const.name.lower())
            else:
                texts.add(sqltext.normalized(self._sql_of(const.sqltext)))
        return names, texts

    def _superseded(self, state: ConstraintState, given: tuple[set[str], set[str]]) -> bool:
        """A CHECK of the model that a type or ``table_args`` CHECK of the same name (an
        unnamed one: of the same SQL) replaces: never two CHECKs of one name."""
        names, texts = given
        if state.name is not None:
            return str(state.name).lower() in names
        return sqltext.normalized(self._sql_of(state.sqltext)) in texts

    def _table_arg_copy(self, extra: sa.Constraint, table: sa.Table) -> sa.Constraint:
        """A copy of a ``table_args`` constraint for ``table``: the table is built more than
        once (temporary and final names), so the caller's object is never attached to it.
        A constraint on no table yet is first bound to a scratch copy of the new columns
        (SQLAlchemy copies only bound constraints)."""
        if not isinstance(getattr(extra, "parent", None), sa.Table):
            scratch = sa.Table(
                table.name, sa.MetaData(), *[c.to_column() for c in self.columns],
                schema=self.schema,
            )
            try:
                scratch.append_constraint(extra)
            except (KeyError, sa.exc.ArgumentError) as exc:
                raise CommandError(
                    f"batch_alter_table({self.name!r}, table_args=...): {extra!r} names a column "
                    f"the new table does not have ({exc}); columns: "
                    f"{', '.join(c.name for c in self.columns)}"
                ) from exc
        return extra._copy(target_table=table)

    def _build_constraint(
        self, state: ConstraintState, table: sa.Table, self_target: str | None
    ) -> sa.Constraint:
        opts = dict(state.options)
        if state.kind == "primary":
            return sa.PrimaryKeyConstraint(*state.columns, name=state.name, **opts)
        if state.kind == "unique":
            return sa.UniqueConstraint(*state.columns, name=state.name, **opts)
        if state.kind == "check":
            text = state.sqltext
            return sa.CheckConstraint(
                sa.text(text) if isinstance(text, str) else text, name=state.name, **opts
            )
        if state.kind == "foreignkey":
            if state.self_referencing and self_target is None:
                targets: list[Any] = [table.c[c] for c in state.referred_columns]
            else:
                ref_table = self_target if state.self_referencing else state.referred_table
                ref_schema = self.schema if state.self_referencing else state.referred_schema
                targets = [stub_column(table.metadata, ref_schema, str(ref_table), c)
                           for c in state.referred_columns]
            return sa.ForeignKeyConstraint(state.columns, targets, name=state.name, **opts)
        copy = state.obj._copy()
        return copy  # type: ignore[no-any-return]

    def build_indexes(self, table: sa.Table, extra: Sequence[Any] = ()) -> list[Any]:
        """The indexes to create on the final ``table``: ``sa.Index`` objects, or the CREATE
        INDEX text SQLite stored (strings)."""
        out: list[Any] = []
        for index in self.indexes:
            if index.sql is not None:
                out.append(index.sql)
                continue
            elements = [table.c[e] if isinstance(e, str) else e for e in index.expressions]
            out.append(sa.Index(index.name, *elements, unique=index.unique, _table=table,
                                **index.kw))
        for item in extra:
            if isinstance(item, sa.Index):
                what = f"batch_alter_table({self.name!r}, table_args=[Index({item.name!r})])"
                elements = [
                    table.c[self.column(e if isinstance(e, str) else e.name, what).name]
                    if isinstance(e, (str, sa.Column)) else e
                    for e in item.expressions
                ]
                kw = {k: v for k, v in item.dialect_kwargs.items() if v is not None}
                out.append(sa.Index(item.name, *elements, unique=bool(item.unique), _table=table,
                                    **kw))
        return out


_HANDLERS: dict[type, Callable[[TableModel, Any], None]] = {
    ops.AddColumnOp: TableModel.add_column,
    ops.DropColumnOp: TableModel.drop_column,
    ops.AlterColumnOp: TableModel.alter_column,
    ops.CreateIndexOp: TableModel.create_index,
    ops.DropIndexOp: TableModel.drop_index,
    ops.AddConstraintOp: TableModel.add_constraint,
    ops.DropConstraintOp: TableModel.drop_constraint,
    ops.CreateTableCommentOp: lambda model, op: model.set_comment(op.comment),
    ops.DropTableCommentOp: lambda model, op: model.set_comment(None),
}


def _definition(state: ConstraintState) -> tuple[Any, ...]:
    """What makes two constraints the same, their name aside."""
    return (
        state.kind, list(state.columns), str(state.sqltext) if state.sqltext is not None else None,
        state.referred_schema, state.referred_table, list(state.referred_columns),
        {k: v.upper() if isinstance(v, str) else v for k, v in state.options.items() if v is not None},
    )
