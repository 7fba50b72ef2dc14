"""What an ``autocommit_block()`` commits of a revision where DDL is transactional (PostgreSQL,
SQLite): the block's commit makes every statement the revision sent before it take effect, and
each statement in the block takes effect as it returns. The runner keeps each revision's
statements in a :class:`~mig_core.runtime.progress.StatementLog` (in memory only: a run that
never enters a block sends nothing more); at each block's start :func:`autocommit_begins` writes
the count into the revision's started history row, in the commit that makes it true, and from
then on the log updates it after each statement of the block, as on MySQL. A failure's message
then names what took effect (``took_effect.blocks_committed``), and ``--resume`` skips it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mig_core.runtime.progress import commits_each_statement

if TYPE_CHECKING:
    from mig_core.runtime.history import HistoryWriter
    from mig_core.runtime.migration import MigrationContext
    from mig_core.runtime.progress import StatementLog


def counts_autocommit_blocks(ctx: MigrationContext) -> bool:
    """Whether this run follows what its revisions' autocommit blocks commit: online, on a
    backend whose DDL is transactional, in transactions mig controls (a caller's transaction
    refuses autocommit_block(); a connection in AUTOCOMMIT commits every statement anyway,
    except on SQLite, whose run lock opens transactions on it all the same)."""
    return bool(
        type(ctx.impl).transactional_ddl
        and not ctx.as_sql
        and not ctx._in_external_transaction
        and not commits_each_statement(ctx)
    )


def autocommit_begins(
    history: HistoryWriter,
    step: Any,
    heads: tuple[str, ...],
    started: Any,
    statement_log: StatementLog | None,
) -> None:
    """An autocommit_block() of ``step`` is about to commit: the statements it sent so far take
    effect, and the started row saying so (inserted the first time, updated after) goes into the
    same commit. ``statement_log`` is None where statements are not followed (a backend whose
    DDL commits by itself, run with ``transactional_ddl=True``): the row is written alone."""
    if statement_log is None:
        if history.enabled:
            history.record_started(step, heads, started, None)
        return
    statement_log.autocommit_begins(history if history.enabled else None)
    if history.enabled:
        with statement_log.mig_writes():
            history.record_started(step, heads, started, statement_log)
    statement_log.recorded_now()
