"""The PostgreSQL side of a recreate (``recreate="always"``): what the generic move and
copy (:class:`mig_sqlite_batch.recreate.GenericRecreate`) does in addition on PostgreSQL.

Before the copy it refuses dependent views, exclusion constraints and triggers that use a
renamed or dropped column, reads owned sequences and identity positions, names unnamed keys as
PostgreSQL would on the final table, carries DEFERRABLE / NOT VALID modes, and lists the old
table's constraints whose names are schema-global (to drop first), and runs the pending checks
of deferrable constraints the migration's earlier statements queued (:mod:`.deferred`); after
it, it re-attaches sequences, positions identities and SERIAL columns past the copied values
and defers those constraints again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from mig_core.ddl.statements import server_form
from mig_core.errors import CommandError
from mig_core.operations import ops
from mig_core.operations.schemaobj import fk_target
from mig_sqlite_batch import deferred, sqltext

if TYPE_CHECKING:
    from mig_sqlite_batch.recreate import _Recreate

    _Base = _Recreate
else:
    _Base = object


class PostgresRecreate(_Base):
    """Mixin for :class:`~mig_sqlite_batch.recreate.GenericRecreate`: the steps it runs only
    on PostgreSQL (each uses the recreate's model, names and ``execute``)."""

    def _postgres_dependents(self, conn: Any) -> tuple[Any, Any, Any, Any]:
        from mig_sqlite_batch import catalog

        views = catalog.dependent_views(conn, self.schema, self.name)
        if views:
            raise CommandError(
                f"{self.where}: view(s) {', '.join(views)} depend on the table and would block "
                "DROP TABLE; drop them before the batch and recreate them after it"
            )
        excl = catalog.exclusion_constraints(conn, self.schema, self.name)
        if excl:
            raise CommandError(
                f"{self.where}: exclusion constraint(s) {', '.join(excl)} cannot be carried "
                "over by a recreate; drop them before the batch and recreate them after it"
            )
        children = catalog.children(conn, self.schema, self.name)
        self.check_children([
            (c.table, c.name, list(c.referred_columns)) for c in children
        ])
        changed = set(self.model.dropped) | {
            c.source for c in self.model.columns if c.source and c.source != c.name
        }
        triggers = catalog.triggers(conn, self.schema, self.name)
        for name, definition in triggers:
            used = sqltext.mentioned(definition, sorted(x for x in changed if x))
            if used:
                raise CommandError(
                    f"{self.where}: trigger {name!r} uses column(s) {', '.join(sorted(used))} "
                    "that the batch renames or drops; drop it before the batch and recreate "
                    "it after"
                )
        sequences = catalog.owned_sequences(conn, self.schema, self.name)
        identities = {}
        qualified = self.qualified(self.name)
        for col in self.copied_columns():
            if col.identity is not None and col.source is not None:
                state = catalog.identity_state(conn, qualified, col.source)
                if state is not None:
                    identities[col.name] = state
        return children, triggers, sequences, identities

    def _postgres_names(self, table: sa.Table) -> None:
        """Give an unnamed primary key / unique constraint the name PostgreSQL would give it
        on the final table, not on the temporary one."""
        for const in table.constraints:
            if const.name is not None and isinstance(const.name, str):
                continue
            cols = [c.name for c in getattr(const, "columns", [])]
            if isinstance(const, sa.PrimaryKeyConstraint) and cols:
                const.name = f"{self.name}_pkey"
            elif isinstance(const, sa.UniqueConstraint) and cols:
                const.name = f"{self.name}_{'_'.join(cols)}_key"

    def _postgres_constraint_modes(self, conn: Any, table: sa.Table) -> list[Any]:
        """Carry DEFERRABLE / INITIALLY DEFERRED of primary keys and unique constraints
        (reflection does not report them) and NOT VALID of foreign keys from the old table,
        and pick the foreign keys to add after the copy, as ``ALTER TABLE ... ADD CONSTRAINT``
        on the final table: the deferrable ones (each copied row would queue a check for the
        end of the transaction, and ``CREATE INDEX`` / ``ALTER TABLE`` refuse a table with
        queued checks; ``ADD CONSTRAINT`` checks all rows at once and queues nothing) and
        the NOT VALID ones (only ``ADD CONSTRAINT`` leaves rows unchecked)."""
        created = {  # a constraint the batch (re)creates gets only what the batch says
            op.constraint_name for op in self.batch.ops
            if isinstance(op, ops.AddConstraintOp)
            and isinstance(getattr(op, "constraint_name", None), str)
        }
        modes: dict[str, tuple[str, bool, bool, bool]] = {}
        if conn is not None:
            modes = {
                r[0]: (r[1], bool(r[2]), bool(r[3]), bool(r[4]))
                for r in conn.execute(
                    sa.text(
                        "SELECT conname, contype, condeferrable, condeferred, convalidated "
                        "FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
                        "AND contype IN ('p', 'u', 'f', 'c')"
                    ),
                    {"t": server_form(conn.dialect, self.qualified(self.name))},
                )
                if r[0] not in created
            }
        for const in table.constraints:
            if isinstance(const, (sa.PrimaryKeyConstraint, sa.UniqueConstraint)) and isinstance(
                const.name, str
            ):
                found = modes.get(const.name)
                if found is not None and found[0] in "pu" and found[1] and not const.deferrable:
                    const.deferrable = True
                    const.initially = "DEFERRED" if found[2] else None

        def not_valid(fk: Any) -> bool:
            found = modes.get(fk.name) if isinstance(fk.name, str) else None
            return found is not None and found[0] == "f" and not found[3]

        def late(fk: Any) -> bool:
            return bool(fk.deferrable) or not_valid(fk) or bool(
                fk.dialect_options["postgresql"]["not_valid"]
            )

        # the same constraints on a table named like the final one: a self-reference
        # points at the final name, which the new table has when they are added
        final = self.model.build_table(
            self.name, self_target=self.name, table_args=self.batch.table_args,
            table_kwargs=self.batch.table_kwargs,
        )
        tmp_keys = [fk for fk in _in_order(table) if late(fk)]
        final_keys = [fk for fk in _in_order(final) if late(fk)]
        if len(tmp_keys) != len(final_keys):  # (cannot happen: built from the same model)
            return []
        for tmp_fk, fk in zip(tmp_keys, final_keys, strict=True):
            if not_valid(fk):
                fk.dialect_kwargs["postgresql_not_valid"] = True
            tmp_fk._mig_late = True  # type: ignore[attr-defined]
        return final_keys + self._late_not_valid_checks(table, final, modes)

    @staticmethod
    def _late_not_valid_checks(table: sa.Table, final: sa.Table,
                               modes: dict[str, tuple[str, bool, bool, bool]]) -> list[Any]:
        """NOT VALID CHECK constraints of the old table: the rows they were never checked
        against would fail a CHECK in CREATE TABLE during the copy, so they are left out of it
        and added afterwards as ``ADD CONSTRAINT ... NOT VALID`` (the new table's ones)."""
        late: list[Any] = []
        finals = {c.name: c for c in final.constraints
                  if isinstance(c, sa.CheckConstraint) and isinstance(c.name, str)}
        for const in list(table.constraints):
            if not isinstance(const, sa.CheckConstraint) or not isinstance(const.name, str):
                continue
            found = modes.get(const.name)
            if found is None or found[0] != "c" or found[3] or const.name not in finals:
                continue
            table.constraints.discard(const)  # not in CREATE TABLE
            check = finals[const.name]
            check.dialect_kwargs["postgresql_not_valid"] = True
            late.append(check)
        return late

    def _old_global_names(self) -> list[str]:
        """Constraints of the old table to drop before the new one is created: PostgreSQL
        keeps primary key / unique names as index names, unique per schema, so they must go
        first; a self-referencing foreign key depends on the primary key, so it goes before."""
        out = []
        table = self.source.table
        for const in sorted(table.foreign_key_constraints, key=lambda c: str(c.name or "")):
            first = const.elements[0]
            target = fk_target(first)[1]
            if target != table.name:
                continue
            name = const.name if isinstance(const.name, str) else (
                f"{table.name}_{const.elements[0].parent.name}_fkey"
            )
            out.append(name)
        for key in sorted(table.constraints, key=lambda c: (
            not isinstance(c, sa.PrimaryKeyConstraint), str(c.name or "")
        )):
            if not isinstance(key, (sa.PrimaryKeyConstraint, sa.UniqueConstraint)):
                continue
            if not list(key.columns):
                continue
            key_name = key.name if isinstance(key.name, str) else None
            if key_name is None and isinstance(key, sa.PrimaryKeyConstraint):
                key_name = f"{self.name}_pkey"
            if key_name is not None:
                out.append(key_name)
        return out

    def _fire_deferred(self, conn: Any) -> list[deferred.Deferrable]:
        """Run now the pending checks of the deferrable constraints on this table and on the
        tables referencing it (PostgreSQL refuses to drop or alter a table with pending
        checks); returns them, for :meth:`_restore_deferred` (:mod:`.deferred`)."""
        fired = deferred.involved(conn, self.qualified(self.name))
        if fired:
            deferred.fire(self.execute, self.where, fired, self.preparer)
        return fired

    def _restore_deferred(self, conn: Any, fired: list[deferred.Deferrable]) -> None:
        """Put the fired INITIALLY DEFERRED constraints the recreate kept back to DEFERRED."""
        deferred.restore(conn, self.execute, self.where, fired, self.preparer)

    def _postgres_after(
        self, conn: Any, sequences: list[tuple[str, str]], identities: dict[str, Any]
    ) -> None:
        quote = self.preparer.quote
        qualified = self.qualified(self.name)
        renamed = {c.source: c.name for c in self.model.columns if c.source is not None}
        form = self.impl.compiled_form  # sequence names read from the server
        for seq, owner in sequences:
            if owner in renamed:
                self.execute(
                    f"ALTER SEQUENCE {form(seq)} OWNED BY {qualified}.{quote(renamed[owner])}",
                    f"re-attaching sequence {seq}",
                )
            else:
                self.execute(f"DROP SEQUENCE {form(seq)}", f"dropping sequence {seq}")
        for col in self.copied_columns():
            if col.identity is None:
                continue
            target = f"pg_get_serial_sequence({literal(qualified)}, {literal(col.name)})"
            state = identities.get(col.name)
            if state is not None:
                _seq, last, called = state
                self.execute(
                    f"SELECT setval({target}, {last}, {'true' if called else 'false'})",
                    f"keeping the identity position of {col.name}",
                )
                if conn is not None:
                    from mig_sqlite_batch import catalog

                    new_seq = catalog.serial_sequence(conn, qualified, col.name)
                    old_name = catalog.relation_name(_seq)
                    if new_seq and catalog.relation_name(new_seq) != old_name:
                        self.execute(
                            f"ALTER SEQUENCE {form(new_seq)} RENAME TO {form(quote(old_name))}",
                            f"renaming the identity sequence of {col.name}",
                        )
            else:
                self.execute(
                    f"SELECT setval({target}, COALESCE((SELECT max({quote(col.name)}) FROM "
                    f"{qualified}), 0) + 1, false)",
                    f"positioning the identity of {col.name}",
                )

    def _position_serial(
        self, conn: Any, table: sa.Table, sequences: list[tuple[str, str]]
    ) -> None:
        """A column the new table declares SERIAL (``copy_from`` with an integer primary key)
        got a fresh sequence. When the old column owned one, the column takes it back (with its
        position, so deleted ids are not handed out again) and the fresh one is dropped;
        otherwise the fresh one is moved past the copied values."""
        col = table.autoincrement_column
        if col is None or col.server_default is not None or col.identity is not None:
            return
        state = self.model.find_column(col.name)
        if state is None or state.source is None:
            return
        qualified = self.qualified(self.name)
        column = self.preparer.quote(col.name)
        old = next((seq for seq, owner in sequences if owner == state.source), None)
        if old is not None and conn is not None:
            from mig_sqlite_batch import catalog

            fresh = catalog.serial_sequence(conn, qualified, col.name)
            form = self.impl.compiled_form  # sequence names read from the server
            self.execute(
                f"ALTER TABLE {qualified} ALTER COLUMN {column} SET DEFAULT "
                f"nextval({form(literal(old))}::regclass)",
                f"keeping sequence {old} for {col.name}",
            )
            if fresh:
                self.execute(f"DROP SEQUENCE {form(fresh)}", f"dropping the new sequence {fresh}")
            return
        self.execute(
            f"SELECT setval(pg_get_serial_sequence({literal(qualified)}, "
            f"{literal(col.name)}), COALESCE((SELECT max({column}) "
            f"FROM {qualified}), 0) + 1, false)",
            f"positioning the sequence of {col.name}",
        )


def _in_order(table: sa.Table) -> list[Any]:
    """The table's foreign keys in the order they were added."""
    return [c for c in table._sorted_constraints if isinstance(c, sa.ForeignKeyConstraint)]


def literal(value: str) -> str:
    """``value`` as a SQL string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"
