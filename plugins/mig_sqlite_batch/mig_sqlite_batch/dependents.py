"""The views and triggers that use a table SQLite recreates: refused before the recreate when
they use what the batch drops, and re-checked by SQLite after it.

SQLite keeps views and triggers as SQL text. Its own schema check (which every ``ALTER TABLE
... RENAME`` runs) misses a trigger that *writes* a dropped column (``SET col =``,
``INSERT INTO t (col)``, ``UPDATE OF col``), so those are read from the SQL first; everything
else is left to that check, run once the new table is in place.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from mig_core.ddl.statements import CompiledSQL
from mig_core.errors import CommandError, MigWarning
from mig_sqlite_batch import sqlite_schema, sqltext

if TYPE_CHECKING:
    from mig_sqlite_batch.recreate import _Recreate

    _Base = _Recreate
else:
    _Base = object


class SQLiteDependents(_Base):
    """Mixin for :class:`~mig_sqlite_batch.recreate.SQLiteRecreate`."""

    def gone_for_good(self) -> list[str]:
        """The dropped columns whose name no column of the new table has (a column dropped
        and added again under its name keeps what uses that name working)."""
        final = {c.name.lower() for c in self.model.columns}
        return [d for d in self.model.dropped if d.lower() not in final]

    def check_triggers(self, triggers: list[tuple[str, str]]) -> None:
        """Refuse when a trigger on the table uses a column the batch drops (SQLite's own
        schema check misses ``SET col =``, ``INSERT INTO t (col)`` and ``UPDATE OF col``)."""
        gone = self.gone_for_good()
        if not gone:
            return
        for name, sql in triggers:
            used = sqltext.mentioned(sqltext.trigger_body(sql), gone)
            if used:
                raise CommandError(
                    f"{self.where}: trigger {name!r} uses column(s) {', '.join(sorted(used))}, "
                    "which the batch drops; drop the trigger before the batch (and recreate "
                    "it after) or keep the column"
                )

    def check_writers(self, triggers: list[tuple[str, str]]) -> None:
        """Refuse when a trigger on another table writes a column the batch drops
        (``UPDATE t SET col =``, ``INSERT INTO t (col)``), or inserts into the table without a
        column list while the batch changes its number of columns: SQLite's schema check
        passes such a trigger, which would then fail whenever it fires."""
        before = [c for c in self.source.table.columns if c.computed is None]
        after = [c for c in self.model.columns if c.computed is None]
        gone = self.gone_for_good()
        for name, sql in triggers:
            writes = sqltext.written_columns(sqltext.trigger_body(sql), self.name)
            written = {w.lower() for w in writes.columns}
            used = {c for c in gone if c.lower() in written}
            if used:
                raise CommandError(
                    f"{self.where}: trigger {name!r} writes column(s) "
                    f"{', '.join(sorted(used))} of {self.name!r}, which the batch drops; drop "
                    "the trigger before the batch (and recreate it after) or keep the column"
                )
            if writes.positional and len(before) != len(after):
                raise CommandError(
                    f"{self.where}: trigger {name!r} inserts into {self.name!r} without a "
                    f"column list, and the batch changes its number of columns ({len(before)} "
                    f"to {len(after)}); name the columns in the trigger's INSERT, or drop the "
                    "trigger before the batch and recreate it after"
                )

    def validate_dependents(self, conn: Any, dependents: list[str]) -> None:
        """Let SQLite re-check every view and trigger (a round-trip rename does that) and name
        the first one of ``dependents`` (those using the table) the batch broke.

        SQLite checks the whole schema: when what it rejects is an object that does not use
        the table (a view left over from a table dropped earlier), that object says nothing
        about this batch; the views using the table are then checked one by one instead."""
        from mig_sqlite_batch.recreate import temp_name

        check = temp_name(f"check_{self.name}", self.impl)
        previous = sqlite_schema.pragma_value(conn, "legacy_alter_table")
        if previous:
            self.impl.execute(CompiledSQL("PRAGMA legacy_alter_table = OFF"))
        try:
            for old, new in ((self.name, check), (check, self.name)):
                try:
                    self.impl.execute(CompiledSQL(
                        f"ALTER TABLE {self.qualified(old)} RENAME TO {self.preparer.quote(new)}"
                    ))
                except sa.exc.DBAPIError as exc:
                    message = str(exc.orig).splitlines()[0]
                    culprit = _object_in(message)
                    if culprit is not None and culprit.lower() not in {
                        d.lower() for d in dependents
                    }:
                        self._check_views_alone(conn, message)
                        return
                    raise CommandError(
                        f"{self.where}: {message} — it uses what the batch dropped "
                        f"({', '.join(self.gone_for_good() or self.model.dropped)}); drop or "
                        "change it in the same migration"
                    ) from exc
        finally:
            if previous:
                self.impl.execute(CompiledSQL("PRAGMA legacy_alter_table = ON"))

    def _check_views_alone(self, conn: Any, message: str) -> None:
        """Prepare each view that uses the table (a broken one fails to); warn that the
        triggers could not be re-checked because of ``message`` about another object."""
        for kind, name in sqlite_schema.mentioning(conn, self.schema, self.name):
            if kind != "view":
                continue
            try:
                self.impl.execute(CompiledSQL(f"SELECT * FROM {self.qualified(name)} LIMIT 0"))
            except sa.exc.DBAPIError as exc:
                raise CommandError(
                    f"{self.where}: error in view {name}: {str(exc.orig).splitlines()[0]} — "
                    f"it uses what the batch dropped ({', '.join(self.gone_for_good())}); drop "
                    "or change it in the same migration"
                ) from exc
        warnings.warn(
            f"{self.where}: SQLite could not re-check the triggers that use {self.name!r}: "
            f"{message}, an object that does not use {self.name!r} and was broken before the "
            "batch (drop or fix it); the views that use the table were checked one by one",
            MigWarning,
            stacklevel=2,
        )


def _object_in(message: str) -> str | None:
    """The view or trigger SQLite names in ``error in view v: ...`` (None if it names none)."""
    for kind in ("view", "trigger"):
        head = f"error in {kind} "
        if message.startswith(head) and ":" in message:
            return message[len(head):].split(":", 1)[0]
    return None
