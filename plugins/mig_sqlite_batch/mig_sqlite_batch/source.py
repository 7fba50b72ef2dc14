"""The existing table a recreate starts from: reflected from the database, or ``copy_from``.

On SQLite the reflection is completed from what SQLite itself stores: CHECK constraints
(named and unnamed, table- and column-level) read from the table's SQL, foreign key actions
from ``PRAGMA foreign_key_list``, ``AUTOINCREMENT``, and the indexes as their own
``CREATE INDEX`` statements (expression, partial and collated indexes included).
"""

from __future__ import annotations

import copy
import re
import warnings
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mig_core.ddl.statements import text_escaped, verbatim_text
from mig_core.errors import CommandError, MigWarning
from mig_core.operations.schemaobj import SchemaObjects, fk_target
from mig_sqlite_batch import sqlite_schema, sqltext
from mig_sqlite_batch.model import ConstraintState, IndexState, TableModel


@dataclass
class Source:
    """The existing table and what the recreate needs to know about it."""

    table: sa.Table
    model: TableModel
    #: SQLite: the table is a rowid table (not WITHOUT ROWID)
    with_rowid: bool = True
    #: SQLite: declared AUTOINCREMENT (its sqlite_sequence row must carry over)
    autoincrement: bool = False


def schema_objects_factory(impl: Any, batch: Any) -> Any:
    """Schema objects for operations' constraints and indexes: the run's naming convention,
    the batch's for the kinds the run's does not name (a plain ``MetaData()`` names only
    indexes, so its ``fk`` / ``uq`` ... come from the batch)."""
    run_objects = SchemaObjects.for_options(getattr(impl, "context_opts", None))
    if not batch.naming_convention:
        return lambda: run_objects
    merged = {**batch.naming_convention, **(run_objects.naming_convention or {})}
    return lambda: SchemaObjects(merged)


def load(impl: Any, batch: Any) -> Source:
    """The table as it is now, and the model the batch's operations will change."""
    dialect = impl.dialect
    is_sqlite = dialect.name == "sqlite"
    make_objects = schema_objects_factory(impl, batch)
    where = f"batch_alter_table({batch.table_name!r})"
    if batch.copy_from is not None:
        table = batch.copy_from
        model = TableModel.from_table(
            table, dialect, make_schema_objects=make_objects,
            naming_convention=batch.naming_convention, case_sensitive=not is_sqlite,
        )
        options = table.dialect_options["sqlite"] if is_sqlite else {}
        if is_sqlite and not impl.as_sql and impl.connection is not None:
            _warn_copy_from_omits(impl.connection, batch, model, options)
        return Source(
            table, model,
            with_rowid=bool(options.get("with_rowid", True)) if is_sqlite else True,
            autoincrement=bool(options.get("autoincrement", False)) if is_sqlite else False,
        )
    if impl.as_sql:
        raise CommandError(
            f"{where}: this batch recreates the table, which in offline (--sql) mode needs "
            f"copy_from=Table(...) describing it (there is no database to reflect it from on "
            f"dialect {dialect.name!r})"
        )
    conn = impl.connection
    create_sql = None
    #: columns whose type the batch gives (reflect_args, its own column_reflect listeners)
    given = {c.name.lower() for c in batch.reflect_args if isinstance(c, sa.Column)}
    reflect_kwargs = dict(batch.reflect_kwargs)
    # the referred tables are not needed (foreign keys are copied by name, their targets
    # stubbed): reflecting each of them took most of a recreate's reflection time
    reflect_kwargs.setdefault("resolve_fks", False)
    if reflect_kwargs.get("listeners"):
        reflect_kwargs["listeners"] = [
            (event, _watch_types(fn, given) if event == "column_reflect" else fn)
            for event, fn in reflect_kwargs["listeners"]
        ]
    if is_sqlite:
        create_sql = sqlite_schema.table_sql(conn, batch.schema, batch.table_name)
        if create_sql is None:
            raise CommandError(f"{where}: no table {batch.table_name!r} in the database")
    elif not sa.inspect(conn).has_table(batch.table_name, schema=batch.schema):
        raise CommandError(f"{where}: no table {batch.table_name!r} in the database")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection")
        # SQLAlchemy's own reflection of a NOT VALID CHECK (see states._dialect_kw)
        warnings.filterwarnings("ignore", "Can't validate argument 'dialect_options'")
        if dialect.name in ("mysql", "mariadb"):
            from mig_sqlite_batch.mysql_schema import UNREAD_KEY_WARNING

            warnings.filterwarnings("ignore", UNREAD_KEY_WARNING, sa.exc.SAWarning)
        table = sa.Table(
            batch.table_name,
            sa.MetaData(),
            *batch.reflect_args,
            schema=batch.schema,
            autoload_with=conn,
            **reflect_kwargs,
        )
    _keep_reflected_text(table, batch.reflect_args)
    if not is_sqlite:
        if dialect.name in ("mysql", "mariadb"):
            from mig_sqlite_batch import mysql_schema

            mysql_schema.replace_unread_keys(impl, conn, batch.schema, table)
        model = TableModel.from_table(
            table, dialect, make_schema_objects=make_objects,
            naming_convention=batch.naming_convention,
        )
        if dialect.name in ("mysql", "mariadb"):
            mysql_schema.complete(conn, batch.schema, table.name, model, where)
        return Source(table, model)
    assert create_sql is not None
    return _sqlite_source(conn, batch, table, create_sql, make_objects, given)


def _keep_reflected_text(table: sa.Table, given: Any) -> None:
    """The SQL text reflection hands over as ``text()`` (server defaults, CHECK conditions,
    generated expressions, index expressions and partial-index conditions) as the database
    holds it: a ``:now`` in it is text, not a bind
    parameter the new table's DDL would write as NULL (the batch's own ``reflect_args``
    columns are the user's, and keep ``text()``'s reading)."""
    from sqlalchemy.sql.elements import TextClause

    own = {c.name for c in given if isinstance(c, sa.Column)}
    for col in table.columns:
        if col.name in own:
            continue
        default = col.server_default
        if isinstance(default, sa.DefaultClause) and isinstance(default.arg, TextClause):
            default.arg = verbatim_text(default.arg.text)
        computed = col.computed
        if computed is not None and isinstance(computed.sqltext, TextClause):
            computed.sqltext = verbatim_text(computed.sqltext.text)
    users = {id(item) for item in given}
    users.update(id(c) for col in given if isinstance(col, sa.Column) for c in col.constraints)
    for const in table.constraints:
        if (
            isinstance(const, sa.CheckConstraint)
            and isinstance(const.sqltext, TextClause)
            and id(const) not in users
        ):
            const.sqltext = verbatim_text(const.sqltext.text)
    for index in table.indexes:  # reflected expressions and partial-index conditions
        if id(index) in users:
            continue
        index.expressions = [
            verbatim_text(e.text) if isinstance(e, TextClause) else e for e in index.expressions
        ]
        for key, value in list(index.dialect_kwargs.items()):
            if key.endswith("_where") and isinstance(value, (str, TextClause)):
                sql = value.text if isinstance(value, TextClause) else value
                index.dialect_kwargs[key] = verbatim_text(sql)


def _watch_types(listener: Any, given: set[str]) -> Any:
    """A batch's own ``column_reflect`` listener, noting each column whose type it replaces."""

    def watched(inspector: Any, table: Any, info: dict[str, Any]) -> None:
        before = info.get("type")
        listener(inspector, table, info)
        if info.get("type") is not before:
            given.add(str(info["name"]).lower())

    return watched


def _warn_copy_from_omits(conn: Any, batch: Any, model: TableModel, options: Any) -> None:
    """Online, ``copy_from`` replaces what the database says about the table: name what the
    live table has that ``copy_from`` leaves out (columns, with their values, too), as the
    recreate drops it."""
    create_sql = sqlite_schema.table_sql(conn, batch.schema, batch.table_name)
    if create_sql is None:
        return
    described = {str(c.name).lower() for c in batch.copy_from.columns}
    omitted = [
        f"column {name} (its values are not copied)"
        for name in sqlite_schema.column_names(conn, batch.schema, batch.table_name)
        if name.lower() not in described
    ]
    omitted += [
        f"index {name}" for name in sqlite_schema.index_sql(conn, batch.schema, batch.table_name)
        if model.find_index(name) is None
        and not any(str(getattr(ix, "name", "")).lower() == name for ix in batch.table_args)
    ]
    if (
        sqltext.has_autoincrement(create_sql)
        and not options.get("autoincrement")
        and not batch.table_kwargs.get("sqlite_autoincrement")
    ):
        omitted.append("AUTOINCREMENT (its sqlite_sequence position)")
    omitted += _omitted_constraints(conn, batch, model, create_sql)
    if omitted:
        warnings.warn(
            f"batch_alter_table({batch.table_name!r}, copy_from=...): the table in the database "
            f"has {', '.join(omitted)}, which copy_from does not describe; the recreated table "
            "will not have them (add them to copy_from, or to table_args / table_kwargs)",
            MigWarning,
            stacklevel=5,
        )


def _omitted_constraints(
    conn: Any, batch: Any, model: TableModel, create_sql: str
) -> list[str]:
    """The CHECK, UNIQUE and FOREIGN KEY constraints of the live table that neither
    ``copy_from`` (its columns' types included) nor ``table_args`` has."""

    def cols(names: Any) -> tuple[str, ...]:
        return tuple(str(n).lower() for n in names)

    given = list(batch.copy_from.constraints) + [
        c for col in batch.copy_from.columns for c in col.constraints
    ] + [c for c in batch.table_args if isinstance(c, sa.Constraint)]
    check_names = {str(c.name).lower() for c in given
                   if isinstance(c, sa.CheckConstraint) and isinstance(c.name, str)}
    check_texts = {sqltext.normalized(model._sql_of(c.sqltext)) for c in given
                   if isinstance(c, sa.CheckConstraint) and not isinstance(c.name, str)}
    unique = {cols(s.columns) for s in model.constraints if s.kind in ("unique", "primary")}
    unique |= {cols(ix.expressions) for ix in model.indexes
               if ix.unique and all(isinstance(e, str) for e in ix.expressions)}
    unique |= {cols(c.columns.keys()) for c in given
               if isinstance(c, (sa.UniqueConstraint, sa.PrimaryKeyConstraint))}
    foreign = {(cols(s.columns), str(s.referred_table).lower())
               for s in model.constraints if s.kind == "foreignkey"}
    for c in given:
        if isinstance(c, sa.ForeignKeyConstraint) and c.elements:
            first = c.elements[0]
            target = fk_target(first)[1]
            foreign.add((cols(c.column_keys), str(target).lower()))
    named = sqltext.named_constraints(create_sql)
    out = []
    try:
        live_checks = sqltext.check_clauses(create_sql)
    except (ValueError, StopIteration):
        live_checks = []
    for check in live_checks:
        if check.name is not None:
            if check.name.lower() not in check_names:
                out.append(f"CHECK constraint {check.name}")
        elif sqltext.normalized(check.sqltext) not in check_texts:
            out.append(f"CHECK ({check.sqltext})")
    for columns in sqlite_schema.unique_constraints(conn, batch.schema, batch.table_name):
        if cols(columns) in unique:
            continue
        name = next((n.name for n in named if n.kind == "unique" and cols(n.columns)
                     == cols(columns)), None)
        out.append(f"UNIQUE constraint {name}" if name else f"UNIQUE ({', '.join(columns)})")
    for fk in sqlite_schema.foreign_keys(conn, batch.schema, batch.table_name):
        if (cols(fk.columns), fk.referred_table.lower()) in foreign:
            continue
        name = next((n.name for n in named if n.kind == "foreignkey" and cols(n.columns)
                     == cols(fk.columns)), None)
        out.append(
            f"{'foreign key ' + name + ' ' if name else ''}FOREIGN KEY ({', '.join(fk.columns)}) "
            f"REFERENCES {fk.referred_table}"
        )
    return out


def _sqlite_source(
    conn: Any, batch: Any, table: sa.Table, create_sql: str, make_objects: Any,
    given: set[str],
) -> Source:
    checks: list[tuple[str | None, str]] | None
    try:
        checks = [(c.name, text_escaped(c.sqltext)) for c in sqltext.check_clauses(create_sql)]
    except (ValueError, StopIteration):  # SQL this reader cannot follow: keep SQLAlchemy's
        checks = None
        reflected = [
            f"{'CONSTRAINT ' + str(c.name) + ' ' if isinstance(c.name, str) else ''}"
            f"CHECK ({c.sqltext})"
            for c in sorted(table.constraints, key=lambda c: str(c.name or ""))
            if isinstance(c, sa.CheckConstraint)
        ]
        warnings.warn(
            f"batch_alter_table({batch.table_name!r}): could not read the CHECK constraints "
            f"from the SQL of table {table.name!r} (columns: "
            f"{', '.join(c.name for c in table.columns)}); the new table keeps only those "
            f"SQLAlchemy reflected: {'; '.join(reflected) if reflected else 'none'}. Column-level "
            "CHECKs SQLAlchemy does not reflect are lost: compare with the table's SQL and add "
            "them with batch_op.create_check_constraint()",
            MigWarning,
            stacklevel=4,
        )
    model = TableModel.from_table(
        table, conn.dialect, make_schema_objects=make_objects, checks=checks,
        case_sensitive=False,
    )
    _fill_foreign_key_actions(model, sqlite_schema.foreign_keys(conn, batch.schema, table.name))
    model.constraints = [c for c in model.constraints if c.kind != "unique"] + [
        ConstraintState("unique", None, cols)
        for cols in _unique_constraints(conn, batch.schema, table.name, create_sql)
    ]
    kinds = ("primary", "unique", "foreignkey", "check")
    model.constraints.sort(key=lambda c: kinds.index(c.kind) if c.kind in kinds else len(kinds))
    _fill_names(model, sqltext.named_constraints(create_sql))
    if batch.naming_convention:
        model.apply_naming_convention(batch.naming_convention)
    names = [c.name for c in model.columns]
    model.indexes = [
        IndexState(ix.name, list(ix.columns), ix.unique, sql=ix.sql)
        for ix in sqlite_schema.indexes(conn, batch.schema, table.name, names)
    ]
    definitions = sqltext.column_definitions(create_sql)
    _fill_declared_types(model, definitions, given)
    _fill_generated(model, definitions)
    _fill_collations(model, sqltext.column_collations(create_sql))
    autoincrement = sqltext.has_autoincrement(create_sql)
    if autoincrement:
        model.table_kwargs["sqlite_autoincrement"] = True
    _fill_clause_options(model, sqltext.clause_options(create_sql), autoincrement)
    with_rowid = table.dialect_options["sqlite"].get("with_rowid", True) is not False
    return Source(table, model, with_rowid=with_rowid, autoincrement=autoincrement)


class DeclaredType(sa.types.UserDefinedType[Any]):
    """A column type written exactly as the old table declared it (SQLite keeps any text,
    or none, as a column's type). ``reflected`` is SQLAlchemy's reading of it, whose type
    affinity the DDL compiler asks for (``INTEGER PRIMARY KEY AUTOINCREMENT``)."""

    cache_ok = True

    def __init__(
        self, declared: str, collation: str | None = None, reflected: Any = None
    ) -> None:
        self.declared = declared
        self.collation = collation
        self.reflected = reflected

    @property
    def _type_affinity(self) -> Any:  # type: ignore[override]
        if self.reflected is None:
            return type(self)
        return self.reflected._type_affinity

    def get_col_spec(self, **kw: Any) -> str:
        if self.collation is None:
            return self.declared
        return f"{self.declared} COLLATE {_collation_sql(self.collation)}".strip()

    def __repr__(self) -> str:
        return f"DeclaredType({self.declared!r})"


def _collation_sql(name: str) -> str:
    """A collation name as SQL: bare when it can be (``NOCASE``), else quoted."""
    from sqlalchemy.dialects.sqlite.base import SQLiteIdentifierPreparer

    reserved = SQLiteIdentifierPreparer.reserved_words
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name.lower() not in reserved:
        return name
    return '"' + name.replace('"', '""') + '"'


def declared_text(type_: Any, dialect: Any) -> str:
    """A column type's declared text, without COLLATE (what SQLite's affinity and
    rowid-alias rules read)."""
    if isinstance(type_, DeclaredType):
        return type_.declared
    return str(dialect.type_compiler_instance.process(type_))


def _fill_declared_types(
    model: TableModel, definitions: dict[str, sqltext.ColumnDefinition], given: set[str]
) -> None:
    """Every column keeps its type as the old table declared it (``INT PRIMARY KEY`` is not
    the rowid, ``INTEGER PRIMARY KEY`` is; SQLAlchemy would re-render ``INT`` as
    ``INTEGER``, an unknown type as its affinity, no type not at all). A type the batch gives
    (``reflect_args``, its own ``column_reflect`` listener) is kept."""
    for col in model.columns:
        found = definitions.get(col.name.lower())
        if found is None or col.name.lower() in given:
            continue
        reflected = None if isinstance(col.type, sa.types.NullType) else col.type
        col.type = DeclaredType(found.declared_type, reflected=reflected)


def _fill_generated(
    model: TableModel, definitions: dict[str, sqltext.ColumnDefinition]
) -> None:
    """Generated columns' expressions and VIRTUAL / STORED as written (SQLAlchemy's reading
    runs across a one-line definition into the next column's)."""
    for col in model.columns:
        found = definitions.get(col.name.lower())
        if found is None or found.generated is None:
            continue
        col.computed = sa.Computed(verbatim_text(found.generated), persisted=found.stored)
        col.server_default = None


def _fill_collations(model: TableModel, collations: dict[str, str]) -> None:
    """Put each column's COLLATE back on its type (string types carry it)."""
    for col in model.columns:
        collation = collations.get(col.name.lower())
        if collation is None:
            continue
        if hasattr(col.type, "collation"):
            col.type = copy.copy(col.type)
            col.type.collation = collation
        else:
            warnings.warn(
                f"batch_alter_table({model.name!r}): column {col.name!r} has COLLATE "
                f"{collation} on a type that cannot carry it ({col.type!r}); the collation is "
                "not kept",
                MigWarning,
                stacklevel=4,
            )


def _unique_constraints(
    conn: Any, schema: str | None, table: str, create_sql: str
) -> list[list[str]]:
    """The table's UNIQUE constraints: those SQLite made an index for, then those its SQL
    declares that repeat the primary key or another UNIQUE (SQLite makes no index for them,
    yet they are part of the table: SQLAlchemy reflects them and a batch may drop them)."""
    found = sqlite_schema.unique_constraints(conn, schema, table)
    try:
        declared = sqltext.unique_clauses(create_sql)
    except (ValueError, StopIteration):
        return found
    indexed = [tuple(c.lower() for c in cols) for cols in found]
    for cols in declared:
        key = tuple(c.lower() for c in cols)
        if key in indexed:
            indexed.remove(key)
        else:
            found.append(list(cols))
    return found


def _fill_names(model: TableModel, named: list[sqltext.NamedConstraint]) -> None:
    """Key names as the table's SQL writes them: those SQLAlchemy did not reflect
    (column-level ``CONSTRAINT name ...``) and those it misread (a name holding a double
    quote keeps its doubled quotes, runs on into the next constraints, or is lost on a foreign
    key to a table whose name holds one); a recreate would rename them."""
    unused = list(named)
    for state in model.constraints:
        cols = [c.lower() for c in state.columns]
        for found in unused:
            if found.kind == state.kind and [c.lower() for c in found.columns] == cols:
                state.name = found.name
                unused.remove(found)
                break
        else:
            if state.kind in ("primary", "foreignkey") and '"' in str(state.name or ""):
                state.name = None  # the SQL names none: SQLAlchemy's reading ran on


def _fill_foreign_key_actions(model: TableModel, rows: list[Any]) -> None:
    """ON DELETE / ON UPDATE / MATCH from SQLite itself, by matching local columns."""
    for state in model.constraints:
        if state.kind != "foreignkey":
            continue
        for row in rows:
            if [c.lower() for c in row.columns] != [c.lower() for c in state.columns]:
                continue
            if row.referred_table.lower() != (state.referred_table or "").lower():
                continue
            if row.on_delete and row.on_delete.upper() != "NO ACTION":
                state.options["ondelete"] = row.on_delete
            if row.on_update and row.on_update.upper() != "NO ACTION":
                state.options["onupdate"] = row.on_update
            if row.match and row.match.upper() != "NONE":
                state.options["match"] = row.match
            break


def _fill_clause_options(
    model: TableModel, found: list[sqltext.ClauseOptions], autoincrement: bool
) -> None:
    """``ON CONFLICT`` of the primary key, UNIQUE constraints and NOT NULL columns, and
    ``[NOT] DEFERRABLE [INITIALLY ...]`` of foreign keys, read from the table's SQL
    (SQLAlchemy reflects DEFERRABLE of table-level foreign keys only)."""

    def same(a: Any, b: Any) -> bool:
        return [c.lower() for c in a] == [c.lower() for c in b]

    for option in found:
        if option.kind == "notnull":
            col = model.find_column(option.columns[0])
            if col is not None:
                col.dialect_kwargs["sqlite_on_conflict_not_null"] = option.on_conflict
            continue
        for state in model.constraints:
            if state.kind != option.kind or not same(state.columns, option.columns):
                continue
            if option.kind == "foreignkey":
                if (state.referred_table or "").lower() != (option.referred_table or "").lower():
                    continue
                state.options["deferrable"] = option.deferrable
                if option.initially is not None:
                    state.options["initially"] = option.initially
            else:
                state.options["sqlite_on_conflict"] = option.on_conflict
                if option.kind == "primary" and autoincrement and len(option.columns) == 1:
                    col = model.find_column(option.columns[0])
                    if col is not None:  # AUTOINCREMENT puts the key on the column
                        col.dialect_kwargs["sqlite_on_conflict_primary_key"] = option.on_conflict
            break
