"""What of a failed revision took effect, as a failure's message says it: the statements that
ran and those that took effect where DDL commits by itself (MySQL/MariaDB, Oracle), what an
``autocommit_block()`` committed where DDL is transactional (PostgreSQL, SQLite), why nothing
rolled them back, and how to go on (``--resume``, ``mig stamp``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mig_core.runtime.progress import connection_autocommits, resume_command

if TYPE_CHECKING:
    from mig_core.runtime.migration import MigrationContext
    from mig_core.runtime.progress import StatementLog


def heads_text(heads: Sequence[str]) -> str:
    """The revisions the version table names, for a message: ``a1, b2``, or ``base``."""
    return ", ".join(heads) if heads else "base"


def what_ran(impl: Any, shown: int = 3) -> str:
    """``"before the failing statement it ran 2 statements: A; B; "`` from the statements the
    failed revision executed (empty when none ran or none were kept)."""
    done = impl.statement_log.ran() if impl.statement_log is not None else []
    if not done:
        return ""
    texts = [impl.statement_summary(sql) for sql in done[-shown:]]
    more = "...; " if len(done) > shown else ""
    noun = "statement" if len(done) == 1 else "statements"
    return f"before the failing statement it ran {len(done)} {noun}: {more}{'; '.join(texts)}; "


def statements(count: int) -> str:
    """``1 statement``, ``2 statements``."""
    return f"{count} statement{'' if count == 1 else 's'}"


def interrupted_hint(
    ctx: MigrationContext, statement_log: StatementLog, step: Any, lost: bool
) -> str:
    """``--skip-interrupted``'s hint at a failure's end: the connection was lost (``lost``)
    while a statement ran, or a ``--resume`` sent again the statement that was running when
    the run it resumes stopped (killed, or its connection lost) and the server refused it."""
    sql = statement_log.in_flight
    if sql is None:
        return ""
    number = len(statement_log.statements) + 1
    text = ctx.impl.statement_summary(sql)
    command = resume_command(ctx, step.revision, step.direction, skip_interrupted=True)
    if lost:
        return (f". The connection was lost while its statement {number} ({text}) ran, so "
                f"the server may have completed it: if it did, `{command}` skips it")
    if (statement_log.fate_unknown and statement_log.skip == statement_log.resumed_count
            and number == statement_log.skip + 1):
        return (f". If its statement {number} ({text}) took effect in the run of history row "
                f"{statement_log.resumed_from}, which stopped while it ran, `{command}` skips "
                "it")
    return ""


def what_took_effect(
    ctx: MigrationContext, statement_log: StatementLog, step: Any, before: tuple[str, ...],
    hint: str = "",
) -> str:
    """The end of a failure's message where mig recorded which statements took effect;
    ``hint``: :func:`interrupted_hint`'s."""
    done = statement_log.committed
    skipped = statement_log.skip
    ran = what_ran(ctx.impl)
    if skipped:
        ran = f"resumed without its first {statements(skipped)}, {ran}"
    heads = heads_text(before)
    carried = statement_log.carried
    if not done and carried is not None:
        done = carried["statements"]
        ran = (f"none of its statements took effect in this run, {statements(done)} of it in "
               f"the run of history row {carried['id']} ")
    elif not done:
        return (f"; {ran}none of its statements took effect ({why_not_transactional(ctx)}); "
                f"the version table still names {heads}{hint}")
    else:
        ran += f"{statements(done)} of it took effect "
    return (
        f"; {ran}({why_not_transactional(ctx)}) and the "
        f"version table still names {heads}. Once the cause is fixed, "
        f"`{resume_command(ctx, step.revision, step.direction)}` runs the rest of it (or "
        f"repair the schema by hand and record where it is with `mig stamp`){hint}"
    )


def why_not_transactional(ctx: MigrationContext) -> str:
    """Why a failed step's DDL was not rolled back: the backend, or this run's configuration."""
    if type(ctx.impl).transactional_ddl and connection_autocommits(ctx.live_connection):
        if ctx.opts.get("transactional_ddl") is not False:
            return ("the connection's isolation level is AUTOCOMMIT, so each statement commits "
                    "as it runs")
        return (
            "the connection's isolation level is AUTOCOMMIT, so each statement commits as it "
            f"runs, and "
            f"transactional DDL on {ctx.dialect.name} was turned off for this run "
            "(transactional_ddl=False)"
        )
    if type(ctx.impl).transactional_ddl:
        return (
            f"transactional DDL on {ctx.dialect.name} was turned off for this run "
            "(transactional_ddl=False)"
        )
    return f"no transactional DDL on {ctx.dialect.name}"


def blocks_committed(
    ctx: MigrationContext, statement_log: StatementLog, step: Any, heads: str,
    note: str | None, hint: str = "",
) -> str:
    """The end of a failure's message when the failed revision's autocommit_block() committed
    part of it, or an earlier run's did (``carried``): what took effect, what was rolled back,
    how to go on; ``note``: what the failed statement left behind (the impl's
    ``failed_statement_note``)."""
    done = statement_log.committed
    carried = statement_log.carried
    after = f". {note}" if note else ""
    if not done and carried is None:
        return (f"; none of its statements took effect (its autocommit_block() committed none "
                f"of them); rolled back, the version table still names {heads}{after}")
    if not done:
        assert carried is not None
        took = (f"none of its statements took effect in this run, "
                f"{statements(carried['statements'])} of it in the run of history row "
                f"{carried['id']}")
    else:
        took = (f"{statements(done)} of it took effect, committed by its autocommit_block(): "
                f"{_listed(ctx, statement_log.taken_effect())}")
        if statement_log.skip:
            took = f"resumed without its first {statements(statement_log.skip)}, {took}"
    message = (f"; {took}; the rest of it is rolled back and the version table still names "
               f"{heads}{after}.")
    if statement_log.history is None and carried is None:
        return (f"{message} Nothing was recorded to resume it (the history table is turned "
                "off): repair the schema by hand and record where it is with `mig stamp`")
    return (f"{message} Once the cause is fixed, "
            f"`{resume_command(ctx, step.revision, step.direction)}` runs the rest of it (or "
            f"repair the schema by hand and record where it is with `mig stamp`){hint}")


def _listed(ctx: MigrationContext, done: list[Any], shown: int = 3) -> str:
    """The last ``shown`` statements of ``done``, each cut to 60 characters, after ``...;``
    when there are more."""
    texts = [ctx.impl.statement_summary(sql) for sql in done[-shown:]]
    more = "...; " if len(done) > shown else ""
    return more + "; ".join(texts)
