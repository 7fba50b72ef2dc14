"""Deferred constraint checks a migration queued before a recreate (PostgreSQL).

PostgreSQL refuses ``DROP TABLE`` and ``ALTER TABLE`` on a table with pending trigger events,
and a ``DEFERRABLE`` constraint in DEFERRED mode leaves one per changed row until the commit.
So a migration that changed rows of the recreated table, or of a table referencing it, could
not recreate it later in the same transaction. Before the recreate alters anything,
``SET CONSTRAINTS <names> IMMEDIATE`` runs the pending checks of the deferrable constraints with
triggers on those tables (PostgreSQL checks outstanding changes at that statement, and refuses
it when one is violated); afterwards the INITIALLY DEFERRED ones that still exist are put back
to DEFERRED, so the rest of the migration behaves as before. Constraints the recreate drops and
re-creates are new objects, which start in their declared mode (or the mode
``SET CONSTRAINTS ALL`` chose).

``SET CONSTRAINTS`` takes names, not objects: a name affects every deferrable constraint of
that name in its schema, so those are fired and restored with the rest.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mig_core.ddl.statements import server_form
from mig_core.errors import CommandError, MigWarning

Execute = Callable[[str, str], None]


class DeferredConstraintViolated(CommandError):
    """A deferred constraint whose pending checks (from the migration's own earlier
    statements) fail when a recreate has to run them before it alters the table."""


class PendingTriggerEvents(CommandError):
    """PostgreSQL refused a recreate's DDL because of deferred checks still pending."""


@dataclass(frozen=True)
class Deferrable:
    """A deferrable constraint a recreate fires before it alters anything."""

    oid: int
    schema: str
    name: str
    table: str  # regclass text: schema-qualified when not on the search path
    initially_deferred: bool


def involved(conn: Any, qualified_table: str) -> list[Deferrable]:
    """The deferrable constraints with a trigger on the table or on a table whose foreign key
    references it (the tables the recreate drops or alters), and every other deferrable
    constraint of the same name in the same schema (``SET CONSTRAINTS`` affects them too)."""
    rows = conn.execute(
        sa.text(
            "WITH rel AS (SELECT CAST(:t AS regclass)::oid AS oid UNION "
            "  SELECT conrelid FROM pg_constraint WHERE contype = 'f' "
            "  AND confrelid = CAST(:t AS regclass)), "
            "named AS (SELECT DISTINCT con.connamespace, con.conname FROM pg_trigger tg "
            "  JOIN pg_constraint con ON con.oid = tg.tgconstraint "
            "  WHERE tg.tgrelid IN (SELECT oid FROM rel) AND con.condeferrable) "
            "SELECT con.oid, n.nspname, con.conname, con.conrelid::regclass::text, "
            "con.condeferred FROM pg_constraint con "
            "JOIN named USING (connamespace, conname) "
            "JOIN pg_namespace n ON n.oid = con.connamespace "
            "WHERE con.condeferrable ORDER BY 2, 3, 4"
        ),
        {"t": server_form(conn.dialect, qualified_table)},
    ).all()
    return [Deferrable(int(r[0]), r[1], r[2], r[3], bool(r[4])) for r in rows]


def _names(constraints: list[Deferrable], preparer: Any) -> str:
    """``"schema".name, ...``: each distinct name once, schema-qualified."""
    seen = dict.fromkeys((c.schema, c.name) for c in constraints)
    return ", ".join(f"{preparer.quote_schema(s)}.{preparer.quote(n)}" for s, n in seen)


def label(constraints: list[Deferrable]) -> str:
    """``name (on table), ...`` for messages."""
    return ", ".join(f"{c.name} (on {c.table})" for c in constraints)


def fire(execute: Execute, where: str, constraints: list[Deferrable], preparer: Any) -> None:
    """``SET CONSTRAINTS ... IMMEDIATE``: run their pending checks now; a violation becomes
    :class:`DeferredConstraintViolated`."""
    try:
        execute(
            f"SET CONSTRAINTS {_names(constraints, preparer)} IMMEDIATE",
            "checking the deferred constraints of the migration's earlier changes",
        )
    except CommandError as exc:
        cause = exc.__cause__
        if not isinstance(cause, sa.exc.IntegrityError):
            raise
        raise DeferredConstraintViolated(_violation(where, cause)) from exc


def _violation(where: str, error: sa.exc.IntegrityError) -> str:
    """The message for a deferred constraint found violated before a recreate."""
    orig = error.orig
    diag = getattr(orig, "diag", None)  # psycopg; other drivers: read the message
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    name = getattr(diag, "constraint_name", None) or _quoted_after("constraint", lines)
    table = getattr(diag, "table_name", None) or _quoted_after("table", lines)
    return (
        f"{where}: deferred constraint {name!r} (on table {table!r}) is violated by rows this "
        f"migration changed before the batch: {' '.join(lines)}. A recreate on PostgreSQL "
        "must run the pending deferred checks of the table, and of tables referencing it, "
        "before it drops the table (PostgreSQL refuses DDL on a table with pending checks); "
        "make those rows valid before the batch, or run the batch before the changes"
    )


def _quoted_after(word: str, lines: list[str]) -> str:
    """The first ``word "name"`` of PostgreSQL's message (``?`` when there is none)."""
    found = re.search(rf'{word} "([^"]+)"', lines[0] if lines else "")
    return found.group(1) if found else "?"


def restore(conn: Any, execute: Execute, where: str, fired: list[Deferrable],
            preparer: Any) -> None:
    """Put the fired INITIALLY DEFERRED constraints that still exist back to DEFERRED; a
    name now shared with a constraint that is not INITIALLY DEFERRED stays IMMEDIATE
    (``SET CONSTRAINTS`` would change that one too), with a warning."""
    oids = [c.oid for c in fired if c.initially_deferred]
    if not oids:
        return
    alive = {r[0] for r in conn.execute(
        sa.text("SELECT oid::bigint FROM pg_constraint WHERE oid = ANY(CAST(:o AS oid[]))"),
        {"o": oids},
    )}
    back = [c for c in fired if c.oid in alive]
    if not back:
        return
    mixed = _mixed_names(conn, back)
    clean = [c for c in back if (c.schema, c.name) not in mixed]
    if clean:
        execute(
            f"SET CONSTRAINTS {_names(clean, preparer)} DEFERRED",
            "deferring the deferred constraints again",
        )
    left = [c for c in back if (c.schema, c.name) in mixed]
    if left:
        warnings.warn(
            f"{where}: the deferred constraint(s) {label(left)} stay IMMEDIATE for the rest "
            "of the transaction: their name is shared with a constraint that is not "
            "INITIALLY DEFERRED in the same schema, which SET CONSTRAINTS would change too",
            MigWarning,
            stacklevel=4,
        )


def _mixed_names(conn: Any, constraints: list[Deferrable]) -> set[tuple[str, str]]:
    """(schema, name) of those whose name also belongs to a constraint that is not
    DEFERRABLE INITIALLY DEFERRED."""
    pairs = sorted({(c.schema, c.name) for c in constraints})
    rows = conn.execute(
        sa.text(
            "SELECT w.s, w.n FROM unnest(CAST(:s AS text[]), CAST(:n AS text[])) AS w(s, n) "
            "JOIN pg_namespace ns ON ns.nspname = w.s "
            "JOIN pg_constraint con ON con.connamespace = ns.oid AND con.conname = w.n "
            "GROUP BY w.s, w.n HAVING NOT bool_and(con.condeferrable AND con.condeferred)"
        ),
        {"s": [p[0] for p in pairs], "n": [p[1] for p in pairs]},
    ).all()
    return {(r[0], r[1]) for r in rows}


@contextmanager
def explained(where: str, table: str, fired: list[Deferrable]) -> Iterator[None]:
    """Turn PostgreSQL's "cannot ... because it has pending trigger events" into
    :class:`PendingTriggerEvents`, saying what to do."""
    try:
        yield
    except CommandError as exc:
        if isinstance(exc, PendingTriggerEvents) or "pending trigger events" not in str(exc):
            raise
        involved_text = f" (deferrable constraints involved: {label(fired)})" if fired else ""
        step = str(exc).removeprefix(f"{where}: ")
        raise PendingTriggerEvents(
            f"{where}: PostgreSQL cannot recreate {table!r} while deferred checks this "
            f"migration queued earlier in the transaction are pending{involved_text}: {step}. "
            "Run SET CONSTRAINTS <those constraints> IMMEDIATE before the batch, or commit "
            "the earlier changes first (a migration of their own, with "
            "transaction_per_migration)"
        ) from exc
