"""Move and copy: recreate a table with a batch's changes, in the migration's transaction.

1. Take the table as it is (reflected, or ``copy_from``) and apply the queued operations to
   a model of it (:mod:`mig_sqlite_batch.model`).
2. ``CREATE TABLE _mig_tmp_<name>`` with the new definition.
3. ``INSERT INTO _mig_tmp_<name> (...) SELECT ... FROM <name>``: one statement, no row
   through Python; a CAST where a type change needs one.
4. ``DROP TABLE <name>``, ``ALTER TABLE _mig_tmp_<name> RENAME TO <name>``.
5. Recreate indexes (and, on SQLite, triggers); check what depends on the table.

SQLite also renames columns in place first (``RENAME COLUMN`` rewrites indexes, triggers,
views and other tables' foreign keys), turns foreign key enforcement off around the work
(:mod:`mig_sqlite_batch.fkeys`) and reports progress of long copies. Other backends
(``recreate="always"``) drop and re-add the foreign keys of tables that reference this one,
and on PostgreSQL keep owned sequences, identity positions and triggers, add deferrable and
NOT VALID foreign keys after the copy, keep DEFERRABLE primary keys / unique constraints and
run deferred checks still pending from the migration's earlier statements first; those
PostgreSQL-only steps live in :mod:`mig_sqlite_batch.recreate_postgres` and
:mod:`mig_sqlite_batch.deferred`. MySQL / MariaDB, whose DDL cannot roll back, have their own
order (copy verified first, an atomic RENAME swap, undo on failure):
:mod:`mig_sqlite_batch.recreate_mysql`.
"""

from __future__ import annotations

import logging
import re
import warnings
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable

from mig_core.ddl.base import RenameTable
from mig_core.ddl.statements import CompiledSQL, SQLText, VerbatimSQL
from mig_core.errors import CommandError, MigWarning
from mig_core.operations.schemaobj import fk_target, fk_target_column
from mig_sqlite_batch import deferred, fkeys, sqlite_schema, sqltext
from mig_sqlite_batch.dependents import SQLiteDependents
from mig_sqlite_batch.model import ColumnState, TableModel
from mig_sqlite_batch.recreate_postgres import PostgresRecreate, literal
from mig_sqlite_batch.source import Source, declared_text, load

log = logging.getLogger("mig.batch")

TEMP_PREFIX = "_mig_tmp_"


def recreate_table(impl: Any, batch: Any) -> bool:
    """Apply ``batch`` to its table by moving and copying it (the mig_batch_recreate hook)."""
    if impl.dialect.name == "sqlite":
        if not impl.as_sql and impl.connection is not None:
            # SQLite matches table names case-insensitively: work on the name as stored
            stored = sqlite_schema.stored_name(impl.connection, batch.schema, batch.table_name)
            batch.table_name = stored or batch.table_name
        SQLiteRecreate(impl, batch).run()
    elif impl.dialect.name in ("mysql", "mariadb"):
        from mig_sqlite_batch.recreate_mysql import MySQLRecreate

        MySQLRecreate(impl, batch).run()
    else:
        GenericRecreate(impl, batch).run()
    return True


def temp_name(name: str, impl: Any, prefix: str = TEMP_PREFIX) -> str:
    """``_mig_tmp_<name>`` (or another prefix), shortened with a hash to fit the server's
    identifier length: the impl's :meth:`identifier_rule` where it has one (MySQL's dialect
    says 255, its server takes 64), else the dialect's ``max_identifier_length``."""
    rule = getattr(impl, "identifier_rule", lambda: None)()
    if rule is not None:
        limit, size = rule.limit, rule.size
    else:
        limit, size = int(getattr(impl.dialect, "max_identifier_length", 0) or 63), len
    full = prefix + name
    if size(full) <= limit:
        return full
    import zlib  # (hashlib would load OpenSSL: a long import for eight characters)

    suffix = f"_{zlib.crc32(name.encode()):08x}"
    keep = full[: limit - len(suffix)]
    while size(keep + suffix) > limit:  # a byte limit and non-ASCII characters
        keep = keep[:-1]
    return keep + suffix


# --- affinity and casts ----------------------------------------------------------------------


def sqlite_affinity(declared: str) -> str:
    """SQLite's type affinity of a declared column type (its rules, in order)."""
    upper = declared.upper()
    if "INT" in upper:
        return "INTEGER"
    if "CHAR" in upper or "CLOB" in upper or "TEXT" in upper:
        return "TEXT"
    if "BLOB" in upper or not upper.strip():
        return "BLOB"
    if "REAL" in upper or "FLOA" in upper or "DOUB" in upper:
        return "REAL"
    return "NUMERIC"


#: a copied NULL refused by a NOT NULL column: PostgreSQL's message, MySQL / MariaDB's
_NOT_NULL = re.compile(r'null value in column "([^"]+)"|Column \'([^\']+)\' cannot be null')


def null_advice(table: str, column: str, added: bool = False) -> str:
    """What to do when rows hold NULL in a column the batch makes NOT NULL; a column the
    batch adds has no value to fill before it, so the advice differs."""
    if added:
        return (
            f" ({column} is added NOT NULL to {table}, which has rows, with no value for them: "
            f"give the column a server_default, or add it nullable, fill it with "
            f"op.execute(\"UPDATE {table} SET {column} = ...\") and then make it NOT NULL)"
        )
    return (
        f" (rows of {table} hold NULL in {column}; give them a value first, e.g. "
        f"op.execute(\"UPDATE {table} SET {column} = ... WHERE {column} IS NULL\"), "
        "in the same migration)"
    )


def with_detail(exc: CommandError) -> CommandError:
    """``exc`` with the database's detail added: PostgreSQL's "cannot drop table t because
    other objects depend on it" names those objects only there (a function taking the table's
    row type, a column of that type)."""
    orig = getattr(exc.__cause__, "orig", None)
    detail = getattr(getattr(orig, "diag", None), "message_detail", None)
    if not detail:
        return exc
    return CommandError(
        f"{exc} ({'; '.join(str(detail).splitlines())}); drop or change them before the batch "
        "and recreate them after it"
    )


class _Recreate:
    """What both flows share: the model, names, the copy statement, error context."""

    references_by_name = False

    def __init__(self, impl: Any, batch: Any) -> None:
        self.impl = impl
        self.batch = batch
        self.dialect = impl.dialect
        self.preparer = self.dialect.identifier_preparer
        self.name = batch.table_name
        self.schema = batch.schema
        self.where = f"batch_alter_table({self.name!r})"
        self.online = not impl.as_sql and impl.connection is not None
        self.tmp = temp_name(self.name, impl)
        self.source: Source
        self.model: TableModel

    # --- planning --------------------------------------------------------------------------
    def plan(self) -> None:
        self.source = load(self.impl, self.batch)
        self.model = self.source.model
        for op in self.batch.ops:
            self.model.apply(op)
        self.model.reorder(self.batch.partial_reordering)
        self.model.settle_drops()
        self.model.check_generated()
        self.model.check_index_columns()
        if not self.model.columns:
            raise CommandError(f"{self.where}: the batch leaves the table without columns")

    def tmp_table(self) -> sa.Table:
        return self.model.build_table(
            self.tmp,
            self_target=self.name if self.references_by_name else None,
            table_args=self.batch.table_args,
            table_kwargs=self.batch.table_kwargs,
        )

    def final_indexes(self) -> list[Any]:
        final = self.model.build_table(
            self.name, self_target=self.name, table_args=self.batch.table_args,
            table_kwargs=self.batch.table_kwargs,
        )
        return self.model.build_indexes(final, extra=self.batch.table_args)

    def qualified(self, name: str) -> str:
        quoted = self.preparer.quote(name)
        return f"{self.preparer.quote_schema(self.schema)}.{quoted}" if self.schema else quoted

    def check_children(
        self, children: list[tuple[str, str, list[str | None]]], defer_unique: bool = False
    ) -> list[tuple[str, str, list[str]]]:
        """Refuse when the batch breaks a foreign key of another table: the referenced
        column is dropped, or is no longer a primary key or unique. With ``defer_unique``
        the latter is returned instead ((child, label, referred columns)), for the caller to
        check at the end of the transaction: a later batch of the same migration may move
        the child's foreign key to the new key."""
        model = self.model
        loose: list[tuple[str, str, list[str]]] = []
        for child, label, referred in children:
            if any(c is None for c in referred):
                pk = model.primary_key()
                targets = list(pk.columns) if pk is not None else []
                if not targets:
                    raise CommandError(
                        f"{self.where}: table {child!r} has a foreign key ({label}) to the "
                        f"primary key of {self.name!r}, which the batch removes"
                    )
            else:
                targets = []
                for col in referred:
                    assert col is not None
                    found = model.by_source(col)
                    if found is None:
                        raise CommandError(
                            f"{self.where}: table {child!r} has a foreign key ({label}) to "
                            f"{self.name}.{col}, which the batch drops; drop or change that "
                            "foreign key first"
                        )
                    targets.append(found.name)
            if not self._is_unique(targets):
                if defer_unique:
                    loose.append((child, label, targets))
                    continue
                raise CommandError(
                    f"{self.where}: table {child!r} has a foreign key ({label}) to "
                    f"{self.name}({', '.join(targets)}), which after the batch is neither the "
                    "primary key nor unique"
                )
        return loose

    def _is_unique(self, columns: list[str]) -> bool:
        wanted = {c.lower() for c in columns}
        for state in self.model.constraints:
            if state.kind in ("primary", "unique") and {c.lower() for c in state.columns} == wanted:
                return True
        for index in self.model.indexes:
            if index.unique and index.sql is None and all(
                isinstance(e, str) for e in index.expressions
            ) and {e.lower() for e in index.expressions} == wanted:
                return True
            if index.unique and index.sql is not None and {
                e.lower() for e in index.expressions
            } == wanted:
                return True
        return False

    # --- the copy ----------------------------------------------------------------------------
    def copied_columns(self) -> list[ColumnState]:
        return [c for c in self.model.columns if c.source is not None and c.computed is None]

    def is_added(self, column: str) -> bool:
        """Whether ``column`` of the new table is one the batch adds (no old values)."""
        return any(c.name == column and c.source is None for c in self.model.columns)

    def needs_cast(self, col: ColumnState) -> bool:
        if not col.type_changed or col.old_type is None:
            return False
        old, new = declared_text(col.old_type, self.dialect), declared_text(col.type, self.dialect)
        if self.dialect.name == "sqlite":
            before, after = sqlite_affinity(old), sqlite_affinity(new)
            # NUMERIC affinity already converts well-formed numbers and keeps other values
            # (ISO dates...) as they are; CAST AS NUMERIC would turn '2024-01-02' into 2024
            return before != after and after != "NUMERIC"
        return bool(old != new)

    def copy_sql(self, physical: dict[str, str], extra: tuple[str, str] | None = None) -> str:
        """``INSERT INTO tmp (cols) SELECT ... FROM table``."""
        return self.copy_statement(physical, extra)[0]

    def copy_statement(
        self, physical: dict[str, str], extra: tuple[str, str] | None = None
    ) -> tuple[str, str]:
        """The copy's ``INSERT ... SELECT`` and its ``SELECT`` alone."""
        quote = self.preparer.quote
        targets, values = [], []
        if extra is not None:
            targets.append(extra[0])
            values.append(extra[1])
        for col in self.copied_columns():
            assert col.source is not None
            src = quote(physical.get(col.source, col.source))
            if col.using is not None:
                expr = f"{col.using} AS {quote(col.name)}"
            elif self.needs_cast(col):
                type_sql = self.dialect.type_compiler_instance.process(col.type)
                expr = f"CAST({src} AS {type_sql}) AS {quote(col.name)}"
            else:
                expr = src
            targets.append(quote(col.name))
            values.append(expr)
        overriding = ""
        if self.dialect.name == "postgresql" and any(
            c.identity is not None and c.identity.always for c in self.copied_columns()
        ):
            overriding = " OVERRIDING SYSTEM VALUE"
        select = f"SELECT {', '.join(values)} FROM {self.qualified(self.name)}"
        return f"INSERT INTO {self.qualified(self.tmp)} ({', '.join(targets)}){overriding} {select}", select

    def execute(self, sql: Any, step: str) -> None:
        """Run one statement; a database error names the step it broke.

        A plain string here is text this flow built from quoted names and compiled pieces
        (:class:`~mig_core.ddl.statements.CompiledSQL`), never a user's statement: text read
        from the server is passed as ``VerbatimSQL`` or through ``impl.compiled_form()``."""
        if isinstance(sql, str) and not isinstance(sql, SQLText):
            sql = CompiledSQL(sql)
        self.impl.execute_step(sql, f"{self.where}: {step}")

    def copy_rows(self, sql: str) -> None:
        """Run the copy; a NULL refused by a NOT NULL column is reported in the table's own
        name (not the temporary one's), saying what to do."""
        try:
            self.execute(sql, "copying the rows")
        except CommandError as exc:
            found = _NOT_NULL.search(str(exc))
            if found is None:
                raise
            text = str(exc).replace(f'"{self.tmp}"', f'"{self.name}"')
            column = found.group(1) or found.group(2)
            raise CommandError(text + null_advice(self.name, column, self.is_added(column))) from exc

    def in_schema(self, create_sql: str) -> CompiledSQL:
        """Stored SQL of an index or trigger, created in the table's schema."""
        return CompiledSQL(sqltext.qualify_created_name(
            self.impl.compiled_form(create_sql), self.schema, self.preparer.quote_schema
        ))

    def create_tmp_table(self, table: sa.Table, late: list[Any] | None = None) -> None:
        """CREATE TABLE; when ``late`` (constraints to add after the copy) is not empty,
        the table's foreign keys marked ``_mig_late`` are left out (late CHECKs are already
        off the table)."""
        if late:
            inline = [fk for fk in table.foreign_key_constraints
                      if not getattr(fk, "_mig_late", False)]
            create = CreateTable(table, include_foreign_key_constraints=inline)
        else:
            create = CreateTable(table)
        self.execute(create, f"creating {self.tmp}")
        if self.dialect.supports_comments and not self.dialect.inline_comments:
            if table.comment is not None:
                self.impl.create_table_comment(table)
            for column in table.columns:
                if column.comment is not None:
                    self.impl.create_column_comment(column)

    def create_indexes(self, indexes: list[Any]) -> None:
        for index in indexes:
            if isinstance(index, str):
                self.execute(self.in_schema(index), "recreating an index")
            else:
                self.execute(CreateIndex(index), f"creating index {index.name}")


class SQLiteRecreate(SQLiteDependents, _Recreate):
    """The SQLite flow: native column renames, foreign keys off, progress, triggers."""

    references_by_name = True

    def run(self) -> None:
        self.plan()
        self.warn_lost_rowid_alias()
        conn = self.impl.connection if self.online else None
        children: list[sqlite_schema.ForeignKeyRow] = []
        if conn is not None:
            children = sqlite_schema.children(conn, self.schema, self.name)
            loose = self.check_children([
                (fk.table, f"{fk.table}({', '.join(fk.columns)})", fk.referred_columns)
                for fk in children
            ], defer_unique=True)
            for child, label, targets in loose:
                fkeys.check_key_at_commit(
                    conn, self.schema, child,
                    f"{self.where}: table {child!r} has a foreign key ({label}) to "
                    f"{self.name}({', '.join(targets)}), which after the batch is neither the "
                    "primary key nor unique, and no later step of the transaction moved it",
                )
            referenced = bool(children) or self._self_referenced_before()
            self.check_triggers(sqlite_schema.triggers(conn, self.schema, self.name))
            self.check_writers(sqlite_schema.triggers_elsewhere(conn, self.schema, self.name))
            self._check_leftover(conn)
            self.prepare_transaction(conn, referenced)
        physical = self.rename_in_place()
        table = self.tmp_table()
        indexes = self.final_indexes()
        stored_triggers: list[tuple[str, str]] = []
        mentioning: list[tuple[str, str]] = []
        if conn is not None:
            fresh = sqlite_schema.index_sql(conn, self.schema, self.name)
            indexes = [self._fresh_index(ix, fresh) for ix in indexes]
            stored_triggers = sqlite_schema.triggers(conn, self.schema, self.name)
            mentioning = sqlite_schema.mentioning(conn, self.schema, self.name)
        with self.tuned(conn):
            try:
                self.create_tmp_table(table)
            except CommandError as exc:
                raise self.explained(exc) from exc
            self.copy(conn, physical, table)
            if self.source.autoincrement and self.model.table_kwargs.get("sqlite_autoincrement"):
                self.carry_sequence()
            self.execute(f"DROP TABLE {self.qualified(self.name)}", f"dropping {self.name}")
            self.rename_tmp(conn)
            self.create_indexes(indexes)
        for name, sql in stored_triggers:
            self.execute(self.in_schema(sql), f"recreating trigger {name}")
        if conn is not None and self.model.dropped and (mentioning or stored_triggers):
            self.validate_dependents(
                conn, [name for _kind, name in mentioning] + [n for n, _ in stored_triggers]
            )

    def warn_lost_rowid_alias(self) -> None:
        """Only a column declared exactly ``INTEGER`` as the sole primary key of a rowid table
        is the rowid: a retype of it to ``BIGINT`` & co. keeps the values but makes it an
        ordinary column (an insert without it stores NULL, not a new id)."""
        if not self.source.with_rowid:
            return
        old_key = [c.name.lower() for c in self.source.table.primary_key.columns]
        new_key = self.model.primary_key()
        for col in self.model.columns:
            if not col.type_changed or col.old_type is None or col.source is None:
                continue
            if old_key != [col.source.lower()]:
                continue
            if new_key is None or [c.lower() for c in new_key.columns] != [col.name.lower()]:
                continue
            before = declared_text(col.old_type, self.dialect).strip().upper()
            after = declared_text(col.type, self.dialect).strip()
            if before == "INTEGER" and after.upper() != "INTEGER":
                warnings.warn(
                    f"{self.where}: alter_column({col.name!r}, type_=...) declares the "
                    f"INTEGER PRIMARY KEY column {col.name!r} as {after}: it is no longer the "
                    "table's rowid (only a column declared exactly INTEGER is), so a row "
                    f"inserted without {col.name} stores NULL instead of a new id; use "
                    "sa.Integer (or sa.BigInteger().with_variant(sa.Integer, 'sqlite')) to "
                    "keep the rowid",
                    MigWarning,
                    stacklevel=2,
                )

    def tuned(self, conn: Any) -> Any:
        """A larger page cache (and sorter) for the copy and the index builds, restored after
        (:mod:`mig_sqlite_batch.tuning`); nothing offline or on a driver mig cannot reach."""
        from contextlib import nullcontext

        from mig_sqlite_batch.tuning import larger_cache

        dbapi = fkeys.dbapi_of(conn) if conn is not None else None
        if dbapi is None or not hasattr(dbapi, "cursor"):
            return nullcontext()
        return larger_cache(self.impl, dbapi, self.schema)

    def _self_referenced_before(self) -> bool:
        table = self.source.table
        return any(
            fk.column.table is table if fk_target_column(fk) is not None
            else fk_target(fk)[1] == table.name
            for fk in table.foreign_keys
        )

    def _fresh_index(self, index: Any, fresh: dict[str, str]) -> Any:
        """The stored CREATE INDEX as it reads now (after the in-place renames)."""
        if not isinstance(index, str):
            return index
        for state in self.model.indexes:
            if state.sql == index and state.name is not None:
                return fresh.get(str(state.name).lower(), index)
        return index

    def _check_leftover(self, conn: Any) -> None:
        if sqlite_schema.table_sql(conn, self.schema, self.tmp) is not None:
            raise CommandError(
                f"{self.where}: a table named {self.tmp!r} already exists (left over from an "
                "interrupted batch outside a transaction?); check it and drop it, then re-run"
            )

    # --- transaction and foreign keys -----------------------------------------------------
    def prepare_transaction(self, conn: Any, referenced: bool) -> None:
        """Make sure one SQLite transaction holds the whole recreate, with foreign key
        enforcement off when the table is referenced."""
        dbapi = fkeys.dbapi_of(conn)
        if not fkeys.manageable(dbapi):
            if referenced and hasattr(dbapi, "cursor") and fkeys.enforced(dbapi):
                raise CommandError(
                    f"{self.where}: foreign keys point at {self.name!r} and PRAGMA "
                    "foreign_keys is ON on a driver connection that does not tell whether a "
                    "transaction is open, so mig cannot switch it off; dropping the old table "
                    "would fire their ON DELETE actions. Run PRAGMA foreign_keys=OFF before "
                    "the migration's transaction begins"
                )
            return
        if conn.info.get(fkeys.GUARD_KEY) is not None:
            if not fkeys.in_transaction(dbapi):
                cursor = dbapi.cursor()
                cursor.execute("BEGIN")
                cursor.close()
            return
        enforced = fkeys.enforced(dbapi)
        if not fkeys.in_transaction(dbapi):
            if enforced:
                fkeys.ForeignKeysOffForTransaction(conn).start()
            cursor = dbapi.cursor()
            cursor.execute("BEGIN")
            cursor.close()
            return
        if enforced and referenced and self.impl.context_opts.get("sqlite_keep_foreign_keys"):
            raise CommandError(
                f"{self.where}: foreign keys point at {self.name!r} and the run keeps PRAGMA "
                "foreign_keys ON (context.configure(sqlite_keep_foreign_keys=True)), so dropping "
                "the old table would fire their ON DELETE actions; leave "
                "sqlite_keep_foreign_keys out and mig turns enforcement off for the run "
                "(checking foreign keys before each commit)"
            )
        if enforced and referenced:
            raise CommandError(
                f"{self.where}: foreign keys point at {self.name!r} and PRAGMA foreign_keys is "
                "ON inside an already open transaction, where SQLite cannot switch it off; "
                "dropping the old table would fire their ON DELETE actions. Let mig begin "
                "the transaction, or run PRAGMA foreign_keys=OFF before beginning it"
            )

    # --- renames in place ---------------------------------------------------------------------
    def rename_in_place(self) -> dict[str, str]:
        """``ALTER TABLE ... RENAME COLUMN`` for the batch's renames, so SQLite rewrites the
        indexes, triggers, views and other tables' foreign keys that use them. Returns the
        name each copied column has in the old table afterwards."""
        renames = [(c.source, c.name) for c in self.model.columns
                   if c.source is not None and c.source != c.name]
        physical = {c.source: c.source for c in self.model.columns if c.source is not None}
        if not renames:
            return physical
        present = {c.lower() for c in physical} | {d.lower() for d in self.model.dropped}
        quote = self.preparer.quote
        table = self.qualified(self.name)
        steps: list[tuple[str, str]] = []
        if any(new.lower() in present for _, new in renames):
            # through temporary names, so no step meets a name still in use
            staged = []
            for i, (old, new) in enumerate(renames):
                temp = f"_mig_rename_{i}"
                steps.append((old, temp))
                staged.append((temp, new))
            targets = {new.lower() for _, new in renames}
            for i, dropped in enumerate(self.model.dropped):
                if dropped.lower() in targets:
                    steps.append((dropped, f"_mig_dropped_{i}"))
            steps.extend(staged)
        else:
            steps = [(old, new) for old, new in renames]  # type: ignore[misc]
        for old, new in steps:
            self.execute(
                f"ALTER TABLE {table} RENAME COLUMN {quote(old)} TO {quote(new)}",
                f"renaming column {old} to {new}",
            )
        for old, new in renames:
            assert old is not None
            physical[old] = new
        return physical

    # --- copy -------------------------------------------------------------------------------------
    def rowid_column(self, table: sa.Table) -> str | None:
        """``rowid`` when the copy must carry rowids over: both tables are rowid tables and
        the new one has no INTEGER PRIMARY KEY (whose values are the rowids anyway)."""
        if not self.source.with_rowid:
            return None
        if table.dialect_options["sqlite"].get("with_rowid", True) is False:
            return None
        pk = list(table.primary_key.columns)
        if len(pk) == 1:
            if declared_text(pk[0].type, self.dialect).upper() == "INTEGER":
                return None
        used = {c.lower() for c in table.columns.keys()} | {
            c.name.lower() for c in self.source.table.columns
        }
        return next((n for n in ("rowid", "_rowid_", "oid") if n not in used), None)

    def copy(self, conn: Any, physical: dict[str, str], table: sa.Table) -> None:
        try:
            self._copy(conn, physical, table)
        except CommandError as exc:
            raise self.explained(exc) from exc

    def explained(self, exc: CommandError) -> CommandError:
        """A copy refused by a constraint, or a type a STRICT table refuses, in the table's own
        name (SQLite names the temporary one: ``NOT NULL constraint failed: _mig_tmp_t.c``),
        saying what to do."""
        text = str(exc)
        prefix = f"{self.tmp}."
        if f"unknown datatype for {prefix}" in text:  # a STRICT table
            return CommandError(
                text.replace(prefix, f"{self.name}.") + f" ({self.name} is a STRICT table, "
                "whose columns can only be INT, INTEGER, REAL, TEXT, BLOB or ANY: give the "
                "column such a type, e.g. sa.Text() for sa.String(n), or pass "
                "table_kwargs={'sqlite_strict': False} to drop STRICT)"
            )
        if f"constraint failed: {prefix}" not in text:
            return exc
        text = text.replace(prefix, f"{self.name}.")
        head = text.split(" constraint failed: ", 1)
        if head[0].endswith("NOT NULL"):
            column = head[1].split(f"{self.name}.", 1)[-1].split()[0]
            text += null_advice(self.name, column, self.is_added(column))
        return CommandError(text)

    def _copy(self, conn: Any, physical: dict[str, str], table: sa.Table) -> None:
        rowid = self.rowid_column(table)
        sql, select = self.copy_statement(physical, (rowid, rowid) if rowid else None)
        if conn is None:
            self.execute(sql, "copying the rows")
            return
        from mig_sqlite_batch.progress import CopyProgress

        dbapi = fkeys.dbapi_of(conn)
        opts = self.impl.context_opts
        if not CopyProgress.supported(dbapi):
            self.execute(sql, "copying the rows")
            return
        estimate = (
            sqlite_schema.rowid_range(conn, self.schema, self.name)
            if self.source.with_rowid else None
        )
        progress = CopyProgress(
            dbapi, self.name, select, estimate,
            callback=opts.get("batch_progress"),
            interval=float(opts.get("batch_progress_interval", 2.0)),
        )
        log.info("copying %s into %s", self.name, self.tmp)
        try:
            with progress:
                self.execute(sql, "copying the rows")
        except CommandError as exc:
            if progress.error is not None:
                raise progress.error from exc
            if progress.signalled(exc):
                raise KeyboardInterrupt from exc  # Ctrl-C, which sqlite3 swallowed
            raise

    def carry_sequence(self) -> None:
        """Keep AUTOINCREMENT's high-water mark (sqlite_sequence follows the rename)."""
        master = (
            f"{self.preparer.quote_schema(self.schema)}.sqlite_sequence"
            if self.schema else "sqlite_sequence"
        )
        old, tmp = literal(self.name), literal(self.tmp)
        self.execute(
            f"INSERT INTO {master} (name, seq) SELECT {tmp}, 0 WHERE NOT EXISTS "
            f"(SELECT 1 FROM {master} WHERE name = {tmp})",
            "keeping the AUTOINCREMENT sequence",
        )
        self.execute(
            f"UPDATE {master} SET seq = max(seq, coalesce((SELECT seq FROM {master} "
            f"WHERE name = {old}), 0)) WHERE name = {tmp}",
            "keeping the AUTOINCREMENT sequence",
        )

    def rename_tmp(self, conn: Any) -> None:
        """Rename the new table into place, with ``legacy_alter_table`` on: nothing names the
        temporary table, so there is nothing to rewrite, and without it SQLite re-checks every
        view and trigger of the database — failing on views that name the table while it is
        briefly missing (they are checked afterwards), and on any view left broken by an
        earlier migration, even one that has nothing to do with this table."""
        previous = sqlite_schema.pragma_value(conn, "legacy_alter_table") if conn else 0
        if not previous:
            self.execute("PRAGMA legacy_alter_table = ON", "renaming")
        self.execute(
            f"ALTER TABLE {self.qualified(self.tmp)} RENAME TO {self.preparer.quote(self.name)}",
            f"renaming {self.tmp} to {self.name}",
        )
        if not previous:
            self.execute("PRAGMA legacy_alter_table = OFF", "renaming")

class GenericRecreate(PostgresRecreate, _Recreate):
    """Other backends (``recreate="always"``): tables follow renames by identity, so a
    self-referencing foreign key points at the new table; referencing foreign keys are
    dropped and re-added; PostgreSQL's sequences, identities and triggers are kept."""

    #: deferrable constraints whose pending checks ran before the recreate (PostgreSQL)
    _fired: tuple[deferred.Deferrable, ...] = ()

    def run(self) -> None:
        self.plan()
        postgres = self.dialect.name == "postgresql"
        conn = self.impl.connection if self.online else None
        children: list[Any] = []
        triggers: list[tuple[str, str]] = []
        sequences: list[tuple[str, str]] = []
        identities: dict[str, tuple[str, int, bool]] = {}
        if conn is not None and postgres:
            children, triggers, sequences, identities = self._postgres_dependents(conn)
        keepers = self.batch.migration_context.hooks.mig_batch_recreate_keep(  # refuse or read
            impl=self.impl, batch=self.batch,
            columns={c.source: c.name for c in self.model.columns if c.source is not None})
        table = self.tmp_table()
        late: list[Any] = []  # constraints added after the copy (PostgreSQL)
        if postgres:
            self._postgres_names(table)
            late = self._postgres_constraint_modes(conn, table)
        indexes = self.final_indexes()
        if conn is not None and postgres:
            self._fired = tuple(self._fire_deferred(conn))  # before anything is altered
        for child in children:
            self.execute(
                f"ALTER TABLE {self.impl.compiled_form(child.table)} DROP CONSTRAINT "
                f"{self.preparer.quote(child.name)}",
                f"dropping foreign key {child.name} of {child.table}",
            )
        for name in self._old_global_names() if postgres else self._old_named_constraints():
            self.execute(
                f"ALTER TABLE {self.qualified(self.name)} DROP CONSTRAINT "
                f"{self.preparer.quote(name)}",
                f"dropping constraint {name}",
            )
        for seq, _col in sequences:
            self.execute(f"ALTER SEQUENCE {self.impl.compiled_form(seq)} OWNED BY NONE",
                         f"detaching sequence {seq}")
        created = False
        try:
            restart = self._oracle_identities(table)
            self.create_tmp_table(table, late)
            created = True
            identity = self._identity_insert(table)
            if identity:
                self.execute(f"{identity} ON", "allowing the copy to write the identity column")
            self.copy_rows(self.copy_sql({}))
            if identity:
                self.execute(f"{identity} OFF", "allowing the copy to write the identity column")
            for name, sql in restart:
                self.execute(sql, f"restarting the identity of {name} past the copied values")
            try:
                self.execute(f"DROP TABLE {self.qualified(self.name)}", f"dropping {self.name}")
            except CommandError as exc:
                raise with_detail(exc) from exc
        except Exception:
            if created and not self.impl.transactional_ddl:
                self._drop_tmp_quietly()
            raise
        self.execute(RenameTable(self.tmp, self.name, schema=self.schema),  # MSSQL: sp_rename
                     f"renaming {self.tmp} to {self.name}")
        self.create_indexes(indexes)
        for const in late:
            what = "foreign key" if isinstance(const, sa.ForeignKeyConstraint) else "constraint"
            self.execute(AddConstraint(const), f"adding {what} {const.name or ''}".rstrip())
        if postgres:
            self._position_serial(conn, table, sequences)  # before the old ones re-attach
            self._postgres_after(conn, sequences, identities)
        for name, sql in triggers:  # pg_get_triggerdef(): as the server wrote it
            self.execute(VerbatimSQL(sql), f"recreating trigger {name}")
        form = self.impl.compiled_form  # names and definitions read from the server
        for child in children:
            definition = self._rereferenced(form(child.definition))
            self.execute(
                f"ALTER TABLE {form(child.table)} ADD CONSTRAINT "
                f"{self.preparer.quote(child.name)} {definition}",
                f"re-adding foreign key {child.name} of {child.table}",
            )
        for keeper in keepers:  # privileges, row-level security, ... (mig_batch_recreate_keep)
            keeper()
        if self._fired:
            self._restore_deferred(conn, list(self._fired))

    def execute(self, sql: Any, step: str) -> None:
        """Run one statement; PostgreSQL's refusal because of deferred checks still pending
        says what to do (:func:`mig_sqlite_batch.deferred.explained`)."""
        with deferred.explained(self.where, self.name, list(self._fired)):
            super().execute(sql, step)

    def _old_named_constraints(self) -> list[str]:
        """MSSQL and Oracle: the old table's named constraints, to drop before the new table
        takes their names (they are unique per schema there, not per table); foreign keys
        first, as a self-reference depends on the key it points at."""
        if self.dialect.name not in ("mssql", "oracle"):
            return []
        kinds = (sa.ForeignKeyConstraint, sa.CheckConstraint, sa.UniqueConstraint,
                 sa.PrimaryKeyConstraint)
        named = []
        for const in self.source.table.constraints:
            rank = next((i for i, k in enumerate(kinds) if isinstance(const, k)), None)
            if rank is None or not isinstance(const.name, str):
                continue
            if isinstance(const, sa.PrimaryKeyConstraint) and not list(const.columns):
                continue
            named.append((rank, const.name))
        return [name for _, name in sorted(named)]

    def _identity_insert(self, table: sa.Table) -> str | None:
        """MSSQL: ``SET IDENTITY_INSERT <tmp>`` when the copy writes an IDENTITY column."""
        if self.dialect.name != "mssql":
            return None
        copied = {c.name for c in self.copied_columns()}
        for col in table.columns:
            if col.name in copied and (
                col.identity is not None or col.autoincrement is True
                or col is table.autoincrement_column
            ):
                return f"SET IDENTITY_INSERT {self.qualified(self.tmp)}"
        return None

    def _oracle_identities(self, table: sa.Table) -> list[tuple[str, str]]:
        """Oracle: the copy cannot write a ``GENERATED ALWAYS`` identity, and the identity
        would start again at 1. The new table's copied identity columns are created ``BY
        DEFAULT``; returned are the ``ALTER``s giving each its own mode back, starting past the
        copied values (``START WITH LIMIT VALUE``)."""
        if self.dialect.name != "oracle":
            return []
        copied = {c.name for c in self.copied_columns()}
        out = []
        for col in table.columns:
            if col.identity is None or col.name not in copied:
                continue
            if col.identity.always:
                mode = "ALWAYS"
                col.identity.always = False  # (the table's own copy of the Identity)
            else:
                on_null = col.identity.dialect_options["oracle"].get("on_null")
                mode = "BY DEFAULT ON NULL" if on_null else "BY DEFAULT"
            out.append((col.name, f"ALTER TABLE {self.qualified(self.tmp)} MODIFY "
                        f"{self.preparer.quote(col.name)} GENERATED {mode} AS IDENTITY "
                        "(START WITH LIMIT VALUE)"))
        return out

    def _drop_tmp_quietly(self) -> None:
        try:
            self.impl.execute(CompiledSQL(f"DROP TABLE {self.qualified(self.tmp)}"))
        except Exception:  # the original error says more
            log.warning("could not drop %s after a failed batch", self.tmp)

    def _rereferenced(self, definition: str) -> str:
        """A child's foreign key definition with this table's renamed columns renamed."""
        renames = {c.source: c.name for c in self.model.columns
                   if c.source is not None and c.source != c.name}
        if not renames:
            return definition
        head, sep, tail = definition.partition(" REFERENCES ")
        paren = tail.find("(")
        close = tail.find(")", paren)
        inside = sqltext.rename_columns(tail[paren + 1:close], renames, self.preparer.quote)
        return head + sep + tail[: paren + 1] + inside + tail[close:]
