"""Move and copy on MySQL / MariaDB (``recreate="always"``), where every DDL statement commits
by itself: nothing rolls back, so the steps are ordered for the least risk and each step that
changes something knows how to undo itself.

1. Before the first statement: the foreign keys of other tables (in any database) that point
   at the table are read from ``information_schema``; one to a column the batch drops, or to
   columns that stop being unique, is refused by name, as are triggers on the table (``DROP
   TABLE`` would take them), system-versioned tables (their history) and ``_mig_tmp_`` /
   ``_mig_old_`` tables left over.
2. ``CREATE TABLE _mig_tmp_t`` without foreign keys (InnoDB checks them row by row, so a
   self-reference to a later row would stop the copy, and their names, unique per database,
   are still held by ``t``), ``INSERT ... SELECT``, the indexes, the ``AUTO_INCREMENT``
   counter; then the row counts of both tables are compared.
3. ``ALTER TABLE c DROP FOREIGN KEY ...`` for each referencing table ``c`` (InnoDB moves a
   child's key along with a renamed parent), then for ``t``'s own keys (frees their names).
4. ``RENAME TABLE t TO _mig_old_t, _mig_tmp_t TO t``: one atomic statement; the name ``t``
   never disappears.
5. ``ALTER TABLE t ADD CONSTRAINT ...``: the new table's foreign keys (its self-reference
   too), then each referencing table's keys again, following renamed columns.
6. ``DROP TABLE _mig_old_t``.

A failure in 2-5 undoes the steps done, newest first (the original is renamed back, the keys
re-added) and the error says so; when an undo fails as well, it lists what is left undone.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mig_core.ddl.statements import CompiledSQL
from mig_core.errors import CommandError, MigWarning
from mig_sqlite_batch import sqltext
from mig_sqlite_batch.recreate import _Recreate, temp_name
from mig_sqlite_batch.states import stub_fk_targets

OLD_PREFIX = "_mig_old_"


@dataclass(frozen=True)
class ChildKey:
    """A foreign key of another table pointing at the recreated one."""

    schema: str  # the referencing table's database
    table: str
    name: str
    columns: tuple[str, ...]
    referred: tuple[str, ...]
    on_delete: str
    on_update: str

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.table}.{self.name}"


@dataclass(frozen=True)
class Undo:
    """One statement undoing (part of) a step, and what is left while it has not run."""

    sql: str
    what: str
    left: str


def read_children(conn: Any, database: str, table: str) -> list[ChildKey]:
    """Foreign keys of other tables (any database) referencing ``database.table``; the
    table's own (self-referencing) keys are not children."""
    found = conn.execute(
        sa.text(
            "SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, "
            "k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE "
            "FROM information_schema.KEY_COLUMN_USAGE k "
            "JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
            "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME "
            "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
            "WHERE k.REFERENCED_TABLE_SCHEMA = :db AND k.REFERENCED_TABLE_NAME = :t "
            "AND NOT (k.TABLE_SCHEMA = :db AND k.TABLE_NAME = :t) "
            "ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
        ),
        {"db": database, "t": table},
    ).all()
    keys: dict[tuple[str, str, str], dict[str, Any]] = {}
    for schema, child, name, column, referred, on_delete, on_update in found:
        entry = keys.setdefault((schema, child, name), {
            "columns": [], "referred": [], "on_delete": on_delete, "on_update": on_update,
        })
        entry["columns"].append(column)
        entry["referred"].append(referred)
    out: list[ChildKey] = []
    for (schema, child, name), e in keys.items():
        if len(name) >= 64:  # information_schema cuts names to 64: read the child's own
            out.extend(_long_named_children(conn, database, table, schema, child, name))
            continue
        out.append(ChildKey(schema, child, name, tuple(e["columns"]), tuple(e["referred"]),
                            e["on_delete"], e["on_update"]))
    return out


def _long_named_children(
    conn: Any, database: str, table: str, schema: str, child: str, cut: str
) -> list[ChildKey]:
    """The keys of ``child`` whose names ``information_schema`` cut to ``cut``: names the
    server made (``<child>_ibfk_<n>``, over 64 characters for a child named near the limit),
    as SHOW CREATE TABLE gives them whole (two such keys share one cut name there)."""
    out = []
    for fk in sa.inspect(conn).get_foreign_keys(child, schema=schema):
        name = str(fk.get("name") or "")
        if not name.startswith(cut) or fk["referred_table"] != table:
            continue
        if (fk.get("referred_schema") or schema) != database:
            continue
        options = fk.get("options") or {}
        out.append(ChildKey(
            schema, child, name, tuple(fk["constrained_columns"]), tuple(fk["referred_columns"]),
            str(options.get("ondelete") or "RESTRICT"), str(options.get("onupdate") or "RESTRICT"),
        ))
    return out


class MySQLRecreate(_Recreate):
    """The MySQL / MariaDB flow (see the module's docstring)."""

    def run(self) -> None:
        self.plan()
        conn = self.impl.connection if self.online else None
        self.old = temp_name(self.name, self.impl, OLD_PREFIX)
        self.database: str | None = self.schema  # the table's database (online: always)
        children: list[ChildKey] = []
        if conn is not None:
            self.database = self.schema or str(conn.execute(sa.text("SELECT DATABASE()")).scalar())
            children = read_children(conn, self.database, self.name)
            self.check_children([(c.table, c.label, list(c.referred)) for c in children])
            self.refuse_triggers(conn)
            self.refuse_versioned(conn)
            self.refuse_leftovers(conn)
        self.partitioning = self.take_partitioning(conn) if conn is not None else None
        table = self.tmp_table()
        new_keys = self.own_keys_later(table)
        old_keys = {  # compiled now: the undo needs them, and nothing has run yet
            fk.name: self.old_clause(fk) for fk in self.source.table.foreign_key_constraints
            if isinstance(fk.name, str)
        }
        indexes = self.model.build_indexes(table, extra=self.batch.table_args)
        done: list[list[Undo]] = []  # per step done, the statements undoing it
        try:
            self.make_copy(conn, table, indexes, done)
            self.drop_keys(children, old_keys, done)
            self.swap(done)
            self.add_keys(new_keys, children, done)
        except Exception as exc:  # whatever stopped it, undo what ran
            error = exc if isinstance(exc, CommandError) else CommandError(
                f"{self.where}: {type(exc).__name__}: {exc}")
            raise self.undone(error, done) from exc
        self.drop_old()

    # --- checks -------------------------------------------------------------------------------
    def refuse_triggers(self, conn: Any) -> None:
        """Triggers follow the old table through the rename and go with its ``DROP``."""
        names = conn.execute(
            sa.text("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE "
                    "EVENT_OBJECT_SCHEMA = :db AND EVENT_OBJECT_TABLE = :t ORDER BY 1"),
            {"db": self.database, "t": self.name},
        ).scalars().all()
        if names:
            raise CommandError(
                f"{self.where}: trigger(s) {', '.join(names)} on {self.name!r} would be dropped "
                "with the old table; drop them before the batch and create them after it"
            )

    def refuse_versioned(self, conn: Any) -> None:
        """A MariaDB system-versioned table would come back unversioned, its history gone."""
        kind = conn.execute(
            sa.text("SELECT TABLE_TYPE FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = :db AND TABLE_NAME = :t"),
            {"db": self.database, "t": self.name},
        ).scalar()
        if kind == "SYSTEM VERSIONED":
            raise CommandError(
                f"{self.where}: {self.name!r} is a system-versioned table; a recreate would "
                "drop its history and its versioning; change it with plain ALTERs instead "
                "(op.add_column, op.alter_column, ...)"
            )

    def take_partitioning(self, conn: Any) -> str | None:
        """The table's ``PARTITION BY ...`` clause as SHOW CREATE TABLE writes it, renamed
        columns followed, taken out of the new table's options (SQLAlchemy reads RANGE / LIST
        partitions back in a form CREATE TABLE refuses): it is applied with ALTER TABLE to the
        new, still empty table."""
        created = str(conn.exec_driver_sql(f"SHOW CREATE TABLE {self.qualified(self.name)}")
                      .one()[1])
        at = created.find("PARTITION BY")
        if at < 0:
            return None
        clause = created[at:].strip().removesuffix("*/").strip()  # (MySQL: /*!50100 ... */)
        gone = sqltext.mentioned(clause, list(self.model.dropped))
        if gone:
            raise CommandError(
                f"{self.where}: the table is partitioned by column(s) {', '.join(sorted(gone))}, "
                "which the batch drops; change the partitioning first (ALTER TABLE ... "
                "PARTITION BY ... / REMOVE PARTITIONING)"
            )
        renames = {c.source: c.name for c in self.model.columns
                   if c.source is not None and c.source != c.name}
        for key in [k for k in self.model.table_kwargs if "partition" in k]:
            del self.model.table_kwargs[key]
        # as SHOW CREATE TABLE wrote it, in the form it joins quoted names in
        return sqltext.rename_columns(self.impl.compiled_form(clause), renames,
                                      self.preparer.quote)

    def refuse_leftovers(self, conn: Any) -> None:
        inspector = sa.inspect(conn)
        for name in (self.tmp, self.old):
            if inspector.has_table(name, schema=self.schema):
                raise CommandError(
                    f"{self.where}: a table named {name!r} already exists (left over from an "
                    "interrupted batch?); check it and drop it, then re-run"
                )

    def own_keys_later(self, table: sa.Table) -> list[sa.ForeignKeyConstraint]:
        """Leave the table's foreign keys out of ``CREATE TABLE``; return them as they are
        added to the final table after the rename (a self-reference pointing at it)."""
        for fk in table.foreign_key_constraints:
            fk._mig_late = True  # type: ignore[attr-defined]
        final = self.model.build_table(
            self.name, self_target=self.name, table_args=self.batch.table_args,
            table_kwargs=self.batch.table_kwargs,
        )
        return sorted(final.foreign_key_constraints, key=lambda fk: str(fk.name or ""))

    # --- steps ----------------------------------------------------------------------------------
    def make_copy(self, conn: Any, table: sa.Table, indexes: list[Any],
                  done: list[list[Undo]]) -> None:
        """The new table, filled and indexed under its temporary name; counts compared."""
        self.create_tmp_table(table, late=list(table.foreign_key_constraints))
        done.append([Undo(f"DROP TABLE {self.qualified(self.tmp)}", f"dropping {self.tmp}",
                          f"the unfinished copy {self.tmp} exists (drop it)")])
        if self.partitioning:
            self.execute(f"ALTER TABLE {self.qualified(self.tmp)} {self.partitioning}",
                         f"partitioning {self.tmp}")
        self.copy_rows(self.copy_sql({}))
        if conn is not None:
            self.refuse_changed_values(conn)
        self.create_indexes(indexes)
        if conn is not None:
            self.carry_auto_increment(conn, table)
            self.verify_count(conn)

    def needs_cast(self, col: Any) -> bool:
        """Never: the INSERT converts each value to its new column's type (and, in strict
        mode, refuses one that does not fit); MySQL's CAST knows few type names."""
        return False

    def refuse_changed_values(self, conn: Any) -> None:
        """Outside strict mode the copy stores a value that does not fit, converted or cut,
        with a warning: stop then, before the original is touched."""
        found = [r for r in conn.execute(sa.text("SHOW WARNINGS")) if r[0] != "Note"]
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            raise CommandError(
                f"{self.where}: copying the rows changed values: {found[0][2]}{more}; the "
                "session's sql_mode is not strict, so the server converted them instead of "
                "refusing"
            )

    def carry_auto_increment(self, conn: Any, table: sa.Table) -> None:
        """Keep the AUTO_INCREMENT counter, so ids of deleted rows are not handed out again."""
        if table.autoincrement_column is None:
            return
        counter = conn.execute(
            sa.text("SELECT AUTO_INCREMENT FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = :db AND TABLE_NAME = :t"),
            {"db": self.database, "t": self.name},
        ).scalar()
        if counter:
            self.execute(f"ALTER TABLE {self.qualified(self.tmp)} AUTO_INCREMENT = {int(counter)}",
                         "keeping the AUTO_INCREMENT counter")

    def verify_count(self, conn: Any) -> None:
        old, new = conn.exec_driver_sql(
            f"SELECT (SELECT COUNT(*) FROM {self.qualified(self.name)}), "
            f"(SELECT COUNT(*) FROM {self.qualified(self.tmp)})"
        ).one()
        if old != new:
            raise CommandError(
                f"{self.where}: the copy {self.tmp} has {new} rows, {self.name} has {old} "
                "(was the table written to during the batch?)"
            )

    def drop_keys(self, children: list[ChildKey], old_keys: dict[str, str],
                  done: list[list[Undo]]) -> None:
        """Drop the children's keys (one statement per table), then the table's own."""
        for (schema, child), keys in _by_table(children).items():
            target = self.child_table(schema, child)
            names = ", ".join(k.label for k in keys)
            self.execute(self.drop_sql(target, [k.name for k in keys]),
                         f"dropping foreign key(s) {names}")
            readd = self.add_sql(target, [self.child_clause(k, renamed=False) for k in keys])
            done.append([Undo(readd, f"re-adding {names}",
                              f"foreign key(s) {names} are dropped (to re-add: {readd})")])
        if old_keys:
            names = ", ".join(old_keys)
            self.execute(self.drop_sql(self.qualified(self.name), list(old_keys)),
                         f"dropping {self.name}'s foreign key(s) {names}")
            readd = self.add_sql(self.qualified(self.name), list(old_keys.values()))
            done.append([Undo(readd, f"re-adding {names}",
                              f"{self.name}'s foreign key(s) {names} are dropped "
                              f"(to re-add: {readd})")])

    def swap(self, done: list[list[Undo]]) -> None:
        """One atomic RENAME: the original becomes ``_mig_old_``, the copy takes its name
        (and from then on is undone by renaming back and dropping it)."""
        table, tmp, old = (self.qualified(n) for n in (self.name, self.tmp, self.old))
        self.execute(f"RENAME TABLE {table} TO {old}, {tmp} TO {table}",
                     f"renaming {self.name} to {self.old} and {self.tmp} to {self.name}")
        back = f"RENAME TABLE {table} TO {tmp}, {old} TO {table}"
        done.pop(0)  # the copy is no longer under its temporary name: this step drops it
        done.append([
            Undo(back, f"renaming {self.name} back",
                 f"{self.name} is the new table and the original, with its rows, is "
                 f"{self.old} (to put it back: {back})"),
            Undo(f"DROP TABLE {tmp}", f"dropping the copy {self.tmp}",
                 f"the new table is left as {self.tmp} (drop it)"),
        ])

    def add_keys(self, new_keys: list[Any], children: list[ChildKey],
                 done: list[list[Undo]]) -> None:
        """The new table's foreign keys (one statement), then each child table's."""
        if new_keys:
            self.execute(self.add_sql(self.qualified(self.name),
                                      [self.clause(fk) for fk in new_keys]),
                         f"adding {self.name}'s foreign key(s) "
                         f"{', '.join(str(fk.name) for fk in new_keys)}")
        for (schema, child), keys in _by_table(children).items():
            target = self.child_table(schema, child)
            names = ", ".join(k.label for k in keys)
            self.execute(self.add_sql(target, [self.child_clause(k) for k in keys]),
                         f"re-adding foreign key(s) {names}")
            drop = self.drop_sql(target, [k.name for k in keys])
            done.append([Undo(drop, f"dropping {names} again",
                              f"foreign key(s) {names} point at the new {self.name}")])

    def drop_old(self) -> None:
        """The batch is done; a failure to drop the original only leaves it behind."""
        try:
            self.execute(f"DROP TABLE {self.qualified(self.old)}", f"dropping {self.old}")
        except CommandError as exc:
            warnings.warn(
                f"{exc}; the batch is applied, the original table is left as {self.old}: "
                "drop it by hand", MigWarning, stacklevel=2,
            )

    # --- failure --------------------------------------------------------------------------------
    def undone(self, error: CommandError, done: list[list[Undo]]) -> CommandError:
        """Undo the steps done, newest first; the error says what the database is now."""
        if not done:
            return CommandError(f"{error}; nothing was changed")
        while done:
            step = done[-1]
            while step:
                try:
                    self.run_undo(step[0].sql)
                except Exception as exc:  # the database's reason, then what is left
                    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
                    left = "; ".join(u.left for s in reversed(done) for u in s)
                    return CommandError(
                        f"{error}; undoing the batch failed too ({step[0].what}: {reason}). "
                        f"What is left, in the order to fix it: {left}. Nothing else was changed"
                    )
                step.pop(0)
            done.pop()
        return CommandError(
            f"{error}; undone: {self.name} is the original table with its rows and foreign "
            "keys, as before the batch"
        )

    def run_undo(self, sql: str) -> None:
        self.impl.execute(CompiledSQL(sql))

    # --- SQL ------------------------------------------------------------------------------------
    def child_table(self, schema: str, table: str) -> str:
        quote = self.preparer.quote
        return quote(table) if schema == self.database and not self.schema else (
            f"{self.preparer.quote_schema(schema)}.{quote(table)}"
        )

    def drop_sql(self, table: str, names: list[Any]) -> str:
        quote = self.preparer.quote
        return f"ALTER TABLE {table} " + ", ".join(f"DROP FOREIGN KEY {quote(n)}" for n in names)

    @staticmethod
    def add_sql(table: str, clauses: list[str]) -> str:
        return f"ALTER TABLE {table} " + ", ".join(f"ADD {c}" for c in clauses)

    def clause(self, fk: sa.ForeignKeyConstraint) -> str:
        """``CONSTRAINT name FOREIGN KEY (...) REFERENCES ...`` as SQLAlchemy compiles it."""
        text = str(self.dialect.ddl_compiler(self.dialect, None).process(fk))
        if isinstance(fk.name, str) and self.server_named(fk.name):
            text = text.removeprefix(f"CONSTRAINT {self.preparer.quote(fk.name)} ")
        return text

    def server_named(self, name: str) -> bool:
        """A foreign key name longer than the server accepts in ``ADD CONSTRAINT``: the
        server made it (``<table>_ibfk_<n>`` of a table with a name near the 64-character
        limit), so the key is added unnamed and the server names it again."""
        return len(name) > 64  # (the dialect's max_identifier_length, 255, is for aliases)

    def old_clause(self, fk: sa.ForeignKeyConstraint) -> str:
        """A foreign key of the table as it is, compiled on a scratch copy: reflection leaves
        the referred tables out (``resolve_fks=False``), so they are stubbed there."""
        scratch = sa.Table(self.name, sa.MetaData(), schema=self.schema)
        copy = fk._copy()
        for name in copy.column_keys:
            scratch.append_column(sa.Column(name, sa.types.NULLTYPE))
        scratch.append_constraint(copy)
        stub_fk_targets(scratch)
        return self.clause(copy)

    def child_clause(self, key: ChildKey, renamed: bool = True) -> str:
        """A child's key, referring to this table's columns by their new names (``renamed``)
        or their old ones; the parent is qualified when the child is in another database."""
        quote = self.preparer.quote
        referred = [self.model.by_source(c).name if renamed else c  # type: ignore[union-attr]
                    for c in key.referred]
        parent = self.qualified(self.name)
        if key.schema != self.database and not self.schema:
            parent = f"{self.preparer.quote_schema(self.database)}.{quote(self.name)}"
        named = "" if self.server_named(key.name) else f"CONSTRAINT {quote(key.name)} "
        return (
            f"{named}FOREIGN KEY ({', '.join(map(quote, key.columns))}) "
            f"REFERENCES {parent} ({', '.join(map(quote, referred))}) "
            f"ON DELETE {key.on_delete} ON UPDATE {key.on_update}"
        )


def _by_table(keys: list[ChildKey]) -> dict[tuple[str, str], list[ChildKey]]:
    grouped: dict[tuple[str, str], list[ChildKey]] = {}
    for key in keys:
        grouped.setdefault((key.schema, key.table), []).append(key)
    return grouped
