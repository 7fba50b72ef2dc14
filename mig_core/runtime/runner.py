"""The loop of ``run_migrations()``: lock, read heads, plan, run each step, move the version rows.

Per-step work is kept small (the benchmark runs 5,000 revisions): each revision file is imported
once, the version-table statements are built once, heads are read once under the lock and then
tracked in memory, history rows are buffered and inserted per commit.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from mig_core.errors import MigrationFailed, MigWarning, RevisionGraphError
from mig_core.proxies import op as op_proxy
from mig_core.runtime.autocommit import autocommit_begins, counts_autocommit_blocks
from mig_core.runtime.current import running
from mig_core.runtime.history import INTERRUPTED, LOST_CONNECTION, HistoryWriter, now
from mig_core.runtime.lock import RunLock
from mig_core.runtime.logs import follow_alembic_logger
from mig_core.runtime.pipeline import PipelinedStatementFailed, StatementPipeline
from mig_core.runtime.progress import (
    Resume,
    ResumeRefused,
    StatementLog,
    commits_each_statement,
    connection_autocommits,
    find_resume,
    resume_command,
)
from mig_core.runtime.steps import make_parents_of
from mig_core.runtime.took_effect import (
    blocks_committed,
    heads_text,
    interrupted_hint,
    statements,
    what_ran,
    what_took_effect,
    why_not_transactional,
)
from mig_core.script import code_cache

if TYPE_CHECKING:
    from mig_core.runtime.migration import MigrationContext

log = logging.getLogger("mig.runtime")


def make_operations(ctx: MigrationContext) -> Any:
    """The ``op`` object revision scripts see for this context."""
    from mig_core.operations import Operations

    return Operations(ctx)


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0].strip() if lines else ""


def describe_error(exc: BaseException) -> str:
    """``ProgrammingError: relation "x" does not exist`` (the driver's first line)."""
    orig = getattr(exc, "orig", None)
    if orig is not None:
        return f"{type(exc).__name__}: {_first_line(str(orig))}"
    return f"{type(exc).__name__}: {_first_line(str(exc))}"


def _lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLAlchemy's report of a lost connection (a DBAPI disconnect), after
    which the server alone knows whether the statement that was running completed."""
    return bool(getattr(exc, "connection_invalidated", False))


def _is_database_error(exc: BaseException) -> bool:
    """Whether ``exc`` came from the database (SQLAlchemy wraps every driver error)."""
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, DBAPIError)


def failing_line(exc: BaseException, path: str | None) -> int | None:
    """The line of ``path`` the traceback was last at (the statement that failed)."""
    if not path:
        return None
    target = os.path.realpath(path)
    line = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == path or os.path.realpath(filename) == target:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is None and isinstance(exc, SyntaxError) and exc.filename:
        if os.path.realpath(exc.filename) == target:
            line = exc.lineno
    return line


def _display_path(ctx: MigrationContext, path: str | None) -> str:
    if not path:
        return "?"
    base = getattr(ctx.script, "dir", None)
    if base:
        rel = os.path.relpath(path, base)
        if not rel.startswith(".."):
            return rel
    return path


#: runs with fewer steps than this leave the garbage collector alone
_FREEZE_FROM_STEPS = 100


@contextmanager
def _older_objects_frozen(steps: int) -> Iterator[None]:
    """Keep the objects that exist before a long run out of the collector's full passes.

    The interpreter's objects when the steps start (SQLAlchemy, the dialect, the plugins, the
    graph) live through the run; a full collection would walk them all again each time the
    thousands of revision modules grow the heap. ``gc.freeze()`` sets them aside and
    ``gc.unfreeze()`` returns them afterwards, so nothing is kept longer than it would be.
    Left alone when the collector is off or someone else froze objects (their freeze is
    theirs to undo).
    """
    if steps < _FREEZE_FROM_STEPS or not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


#: the context a revision that resumes nothing runs in (see StatementLog.own_statements_watched)
_NOT_WATCHED = nullcontext()


class StepRunner:
    """Runs the steps the plan function returns for the current heads."""

    def __init__(self, ctx: MigrationContext, run_args: dict[str, Any]) -> None:
        self.ctx = ctx
        self.run_args = run_args
        self.parents_of = (
            make_parents_of(ctx.script) if ctx.script is not None else (lambda rev: ())
        )
        #: what the run's first step skips (``--resume``)
        self._resume: Resume | None = None
        #: this project's last history row, when the run read it (under the run lock)
        self._last_row: dict[str, Any] | None = None

    def run(self) -> None:
        plan = self.ctx.opts.get("fn")
        if plan is None:
            return
        follow_alembic_logger()
        try:
            self._run(plan)
        finally:
            code_cache.save_all()  # revisions first loaded by this run load faster next time

    def _run(self, plan: Any) -> None:
        ctx = self.ctx
        if ctx.as_sql:
            heads = ctx.get_current_heads()
            steps = list(plan(heads, ctx) or ())
            _refuse_ids_too_long(ctx, steps, creates=not heads)
            if steps:
                ctx.impl.emit_script_start()
            with _older_objects_frozen(len(steps)):
                # the CREATE TABLE goes into the first step's transaction (with
                # transaction_per_migration, after its BEGIN, as online)
                self._run_steps(steps, heads, creates_version_table=not heads)
            return
        lock = RunLock(ctx, ctx.opts.get("lock_timeout")) if ctx.opts.get("run_lock", True) else None
        conn = ctx.live_connection
        began_outside = conn is not None and conn.in_transaction()
        if lock is not None:
            lock.acquire()
        ok = False
        try:
            heads = ctx.version_store.read_heads(warn=False)  # again, now the lock is held
            steps = list(plan(heads, ctx) or ())
            history = HistoryWriter(ctx)
            if ctx.opts.get("resume"):
                self._resume = self._resume_point(heads, steps, history)
            if (lock is not None and lock.held and any(not s.is_stamp for s in steps)
                    and self._resume is None):
                self._refuse_after_interrupted_run(heads, history, steps)
            if steps:
                creates = not ctx.version_store.exists()
                _refuse_ids_too_long(ctx, steps, creates=creates)
                if creates:
                    ctx.version_store.refuse_alembic_table_left_behind()
                # the history table first: adding its version_table column to an old one is
                # DDL that commits by itself on MySQL/MariaDB, and may be refused; either
                # happens before the version table or any revision is touched
                history.ensure()
                if creates:
                    ctx.version_store.ensure()
                with _older_objects_frozen(len(steps)):
                    self._run_steps(steps, heads, history)
                if not began_outside:
                    self._warn_if_left_uncommitted()
            ok = True
        finally:
            if lock is not None and not lock.released_with_transaction:
                self._end_leftover_transaction(ok)
                lock.release()

    def _auto_begun_transaction(self) -> bool:
        """Whether the connection is in a transaction neither the caller nor
        ``context.begin_transaction()`` opened (the run's own statements auto-began it)."""
        ctx = self.ctx
        conn = ctx.live_connection
        return bool(
            conn is not None
            and not ctx._in_external_transaction
            and ctx._transaction is None
            and conn.in_transaction()
        )

    def _warn_if_left_uncommitted(self) -> None:
        """Say so when the run's work sits in a transaction nobody will commit: env.py called
        ``run_migrations()`` outside ``context.begin_transaction()`` on a backend whose DDL is
        transactional, so closing its connection rolls everything back after "Running upgrade"
        was logged (as with Alembic). Committing for env.py could undo a dry run that rolls
        back on purpose, so this only warns. Called only when the run itself auto-began that
        transaction (one open before, e.g. env.py's ``with connection.begin():``, is env.py's)."""
        if not self._auto_begun_transaction() or self._per_step_commits():
            return
        warnings.warn(
            "env.py ran the migrations outside context.begin_transaction(), so nothing is "
            "committed unless env.py commits the connection itself (closing it rolls the run "
            "back); wrap context.run_migrations() in 'with context.begin_transaction():'",
            MigWarning,
            stacklevel=2,
        )

    def _end_leftover_transaction(self, ok: bool) -> None:
        """Per-step runs: end the transaction the lock and heads read auto-began."""
        if not self._auto_begun_transaction() or not self._per_step_commits():
            return
        conn = self.ctx.live_connection
        assert conn is not None
        try:
            conn.commit() if ok else conn.rollback()
        except Exception:  # a dead connection; the error being raised says more
            if ok:
                raise

    def _marks_started(self) -> bool:
        """Whether each step first commits a started history row: on backends whose DDL
        commits by itself, or on a connection that commits each statement (a kill between the
        DDL and the version row leaves the schema ahead of the version table); elsewhere a dead
        run's transaction rolls its DDL back. Only when mig commits step by step: the row's
        commit between steps would otherwise commit the one transaction of the run
        (``transactional_ddl=True`` given for such a backend), and the version rows written
        after it were never committed."""
        ctx = self.ctx
        return (
            (not type(ctx.impl).transactional_ddl or commits_each_statement(ctx))
            and not ctx.as_sql
            and not ctx._in_external_transaction
            and self._per_step_commits()
        )

    def _refuse_after_interrupted_run(
        self, heads: tuple[str, ...], history: HistoryWriter, steps: Sequence[Any]
    ) -> None:
        """Stop before running revisions when the last run died inside one (its started row
        is the last history row: on backends without transactional DDL, or after the commit of
        an ``autocommit_block()``), or failed in one after some of its statements took effect
        and this run would not run that revision first (it would build on a half-applied one).
        Only under the run lock: otherwise that row may belong to a run still going. ``mig
        stamp`` (no revision runs) records where the database is and clears it."""
        if self.ctx._in_external_transaction:
            return
        row = self._last_row = history.last_row()
        if row is None or row["success"]:
            return
        if row["error"] == INTERRUPTED:
            raise interrupted_run_error(self.ctx, row, heads)
        first = next((s for s in steps if not s.is_stamp), None)
        if (row["statements"] and row["from_heads"] == " ".join(sorted(heads))
                and first is not None and (getattr(first, "revision", None), first.direction)
                != (row["revisions"], row["direction"])):
            raise half_applied_error(self.ctx, row, heads, first)

    def _per_step_commits(self) -> bool:
        ctx = self.ctx
        if ctx._in_external_transaction:
            return False
        return not ctx.impl.transactional_ddl or ctx._transaction_per_migration

    def _defer_version_writes(self, per_step: bool) -> bool:
        """Whether the version rows may be written once, just before mig's commit.

        Inside one transaction mig controls, the intermediate rows are never visible to anyone
        and are rolled back with the run on failure, so writing the final heads once saves a
        statement per revision. ``on_version_apply`` callbacks see the table after each step,
        so they turn this off; so do per-step commits, offline scripts and callers' transactions.
        """
        ctx = self.ctx
        return not (
            per_step
            or ctx.as_sql
            or ctx.on_version_apply_callbacks
            or ctx._in_external_transaction
            or ctx._transaction is None
        )

    def _run_steps(
        self,
        steps: Sequence[Any],
        heads: tuple[str, ...],
        history: HistoryWriter | None = None,
        *,
        creates_version_table: bool = False,
    ) -> None:
        """Run ``steps``; ``creates_version_table`` (offline, from base) writes the version
        table's CREATE TABLE at the start of the first step's transaction."""
        ctx = self.ctx
        if history is None:
            history = HistoryWriter(ctx)
        history.ensure()
        per_step = self._per_step_commits()
        mark_started = history.enabled and self._marks_started()
        versions = _VersionRows(ctx, heads, defer=self._defer_version_writes(per_step))
        ctx._before_commit.extend((versions.flush, history.flush))
        ctx._committed_heads = heads
        operations = make_operations(ctx) if any(not s.is_stamp for s in steps) else None
        callbacks = ctx.on_version_apply_callbacks
        revision_map = getattr(ctx.script, "revision_map", ctx.script)
        pipeline = StatementPipeline.for_run(ctx) if operations is not None else None
        if pipeline is not None:
            pipeline.attach()
        marked_next: Any = None  # the started time of a step whose row the last commit carried
        # where each DDL statement commits by itself, a failure lists what its revision ran;
        # where mig also commits each step, the history records what of it took effect; where
        # DDL is transactional, what an autocommit_block() commits of it (in memory until then)
        blocks_counted = counts_autocommit_blocks(ctx)
        keeps_statements = not ctx.as_sql and (not ctx.impl.transactional_ddl or blocks_counted)
        counts = mark_started or blocks_counted
        next_log: StatementLog | None = None
        try:
            for index, step in enumerate(steps):
                before = heads
                ctx._run_heads = before
                ctx._step_autocommitted = False
                if next_log is not None:
                    statement_log, next_log = next_log, None
                elif keeps_statements and not step.is_stamp:
                    resume = self._resume if index == 0 else None
                    # a resumed revision's rows keep what it resumes from (its count and
                    # digest, if it fails again before any of its statements take effect)
                    recorded = mark_started or (resume is not None and history.enabled)
                    statement_log = self._statement_log(
                        step, history if recorded else None, resume, counts=counts,
                    )
                else:
                    statement_log = None
                ctx.impl.statement_log = statement_log
                if marked_next is not None:
                    started, marked_next = marked_next, None
                else:
                    started = now() if history.enabled else None
                    if mark_started and not step.is_stamp:
                        history.mark_started(step, before, started, progress=statement_log)
                    elif not step.is_stamp and (history.enabled or statement_log is not None):
                        ctx._autocommit_begins = functools.partial(
                            autocommit_begins, history, step, before, started, statement_log
                        )
                with ctx.begin_transaction(_per_migration=True):
                    if creates_version_table and index == 0:
                        ctx.version_store.ensure()
                    if ctx.as_sql:
                        ctx.impl.static_output(f"-- {step.description()}")
                    elif log.isEnabledFor(logging.INFO):
                        log.info(step.log_line())
                    fn = None if step.is_stamp else self._load(
                        step, operations, history, before, started
                    )
                    if pipeline is not None:
                        pipeline.starting(step, before, started)
                    found = before  # what the table held (a purge empties it first)
                    if fn is not None:
                        self._run_revision(step, fn, operations, history, before, started)
                    elif step.purge:
                        versions.clear()
                        before = ()
                    after = step.heads_after(before, self.parents_of)
                    versions.moved_to(after)
                    heads = after
                    if callbacks:
                        if operations is None:
                            operations = make_operations(ctx)
                        self._call_back(
                            callbacks, step, revision_map, before, after, history, started,
                            operations,
                        )
                    if history.enabled:
                        row = history.row(step, found, after, started, progress=statement_log)
                        history.add(row, step)
                        if per_step:
                            history.flush()
                        following = steps[index + 1] if index + 1 < len(steps) else None
                        if mark_started and following is not None and not following.is_stamp:
                            # the next step's started row goes in with this step's commit:
                            # one durable commit per revision, not two
                            marked_next = now()
                            next_log = self._statement_log(following, history, None,
                                                           counts=True)
                            history.mark_started(following, after, marked_next, commit=False,
                                                 progress=next_log)
                ctx._autocommit_begins = None
                if per_step:
                    ctx._committed_heads = heads
            if pipeline is not None:
                pipeline.flush()
            versions.flush()
            history.flush()
        except PipelinedStatementFailed as failed:
            raise self._queued_failure(failed, history) from failed.error
        finally:
            ctx.impl.statement_log = None
            ctx._autocommit_begins = None
            ctx._block_failure = None
            if pipeline is not None:
                pipeline.detach()
            ctx._before_commit.remove(versions.flush)
            ctx._before_commit.remove(history.flush)

    def _statement_log(
        self, step: Any, history: HistoryWriter | None, resume: Resume | None, counts: bool
    ) -> StatementLog:
        """The statement log of ``step``: recording what took effect into its started row
        with ``history``, skipping what ``resume`` says took effect before; ``counts``: this
        run records what of a revision took effect (from the start, or from an
        ``autocommit_block()``)."""
        statement_log = StatementLog(self.ctx, history, resume,
                                     functools.partial(self._describe, step))
        row = self._last_row
        if (counts and resume is None and row is not None and not row["success"]
                and row["statements"] and row["statements_sha256"]
                and row["revisions"] == getattr(step, "revision", None)
                and row["direction"] == step.direction
                and row["from_heads"] == " ".join(sorted(self.ctx._run_heads))):
            # run again without --resume: until one of its statements takes effect, what the
            # failed run left is still what the database holds
            statement_log.carried = row
        self._last_row = None  # for the first step only
        return statement_log

    def _describe(self, step: Any) -> str:
        """``revision r2 (versions/r2.py) upgrade``, for a message about ``step``."""
        path = getattr(step.script, "path", None)
        return (f"revision {step.revision} ({_display_path(self.ctx, path)}) "
                f"{step.direction}{_in_database(self.ctx)}")

    def _records_progress(self) -> bool:
        """Whether this run records what of a failed revision took effect, so that
        ``--resume`` has something to go on: where each step commits a started row first, and
        where an autocommit_block() commits part of a revision."""
        return self._marks_started() or counts_autocommit_blocks(self.ctx)

    def _resume_point(
        self, heads: tuple[str, ...], steps: Sequence[Any], history: HistoryWriter
    ) -> Resume | None:
        """``--resume``: what the first step skips (see :func:`progress.find_resume`)."""
        resume, self._last_row = find_resume(
            self.ctx, self._records_progress(), heads, steps, history
        )
        return resume

    def _call_back(
        self,
        callbacks: Sequence[Any],
        step: Any,
        revision_map: Any,
        before: tuple[str, ...],
        after: tuple[str, ...],
        history: HistoryWriter,
        started: Any,
        operations: Any,
    ) -> None:
        """Call the ``on_version_apply`` callbacks, with ``op`` installed as Alembic has it for
        the whole run; one that raises fails the step as the revision itself would, naming the
        callback (it was reported as "env.py failed")."""
        for info, info_heads in step.infos(revision_map, before, after, self.parents_of):
            for callback in callbacks:
                try:
                    with op_proxy.installed(operations):
                        callback(
                            ctx=self.ctx, step=info, heads=set(info_heads),
                            run_args=self.run_args,
                        )
                except Exception as exc:
                    name = getattr(callback, "__qualname__", None) or repr(callback)
                    self._record_failure(step, exc, history, before, started)
                    raise MigrationFailed(
                        f"on_version_apply callback {name} failed after the {step.direction} "
                        f"of revision {step.revision}: {describe_error(exc)}"
                        + self._aftermath(before, ran=not step.is_stamp)
                    ) from exc

    def _load(
        self,
        step: Any,
        operations: Any,
        history: HistoryWriter,
        before: tuple[str, ...],
        started: Any,
    ) -> Any:
        """The step's upgrade()/downgrade(), importing its file (once) before anything runs.

        ``op`` is installed while the file is imported, as Alembic has it for the whole run:
        module-level code may ask ``op.get_context().dialect`` (ubersystem's revisions choose
        their SQL so, and fall back silently when ``op`` is missing)."""
        try:
            with op_proxy.installed(operations):
                return step.function()
        except RevisionGraphError as exc:  # the file cannot be imported: none of it ran
            if self.ctx._pipeline is not None:
                self.ctx._pipeline.flush()  # an earlier revision's queued statement failed first?
            raise self._load_failure(step, exc, history, before, started) from exc

    def _run_revision(
        self,
        step: Any,
        fn: Any,
        operations: Any,
        history: HistoryWriter,
        before: tuple[str, ...],
        started: Any,
    ) -> None:
        def where() -> str:
            return f"revision {step.revision} ({_display_path(self.ctx, step.script.path)})"

        statement_log = self.ctx.impl.statement_log
        watched = (statement_log.own_statements_watched()
                   if statement_log is not None and statement_log.resume is not None
                   else _NOT_WATCHED)
        try:
            with watched, op_proxy.installed(operations), running(where):
                fn(**self.run_args)
            if statement_log is not None:
                statement_log.finish()  # a resumed revision produced what it skipped?
        except PipelinedStatementFailed:
            raise  # a statement queued earlier, maybe by another revision: reported as its own
        except BrokenPipeError:
            raise  # `mig upgrade head --sql | head`: the reader left, the revision is fine
        except Exception as exc:
            pipeline = self.ctx._pipeline
            if pipeline is not None and not _is_database_error(exc):
                pipeline.flush()  # a statement queued before this error may have failed first
            raise self._failure(step, exc, history, before, started) from exc

    def _queued_failure(
        self, failed: PipelinedStatementFailed, history: HistoryWriter
    ) -> MigrationFailed:
        """The error for a statement that failed when its batch was sent."""
        origin = failed.origin
        if origin is None:  # queued outside any step's upgrade()/downgrade()
            return MigrationFailed(f"a queued DDL statement failed: {describe_error(failed.error)}")
        return self._failure(
            origin.step, failed.error, history, origin.before, origin.started, line=failed.line
        )

    def _failure(
        self,
        step: Any,
        exc: BaseException,
        history: HistoryWriter,
        before: tuple[str, ...],
        started: Any,
        line: int | None = None,
    ) -> MigrationFailed:
        """The one-line error for a failed revision; schedules its history row."""
        ctx = self.ctx
        path = getattr(step.script, "path", None)
        if line is None:
            line = failing_line(exc, path)
        if isinstance(exc, ResumeRefused):  # nothing was sent; the message says it all
            self._record_failure(step, exc, history, before, started)
            exc.revision = step.revision  # type: ignore[attr-defined]
            exc.path = path  # type: ignore[attr-defined]
            exc.line = line  # type: ignore[attr-defined]
            return exc
        from mig_core.plugin_faults import plugin_note

        where = _display_path(ctx, path) + (f" line {line}" if line else "")
        message = (f"revision {step.revision} ({where}) {step.direction}{_in_database(ctx)} "
                   f"failed: {describe_error(exc)}{plugin_note(exc, ctx)}")
        message += self._aftermath(before, ran=True, step=step,
                                   note=ctx.block_failure_note(exc), lost=_lost_connection(exc))
        self._record_failure(step, exc, history, before, started)
        error = MigrationFailed(message)
        error.revision = step.revision  # type: ignore[attr-defined]
        error.path = path  # type: ignore[attr-defined]
        error.line = line  # type: ignore[attr-defined]
        return error

    def _load_failure(
        self,
        step: Any,
        exc: RevisionGraphError,
        history: HistoryWriter,
        before: tuple[str, ...],
        started: Any,
    ) -> RevisionGraphError:
        """The error for a revision file that cannot be imported mid-run: the file's own error
        (exit code 4) plus where the database is, and its history row (which replaces a
        committed started row, so the next run is not refused as interrupted)."""
        self._record_failure(step, exc, history, before, started)
        return RevisionGraphError(f"{exc}{self._aftermath(before, ran=False)}")

    def _aftermath(
        self, before: tuple[str, ...], ran: bool, step: Any = None, note: str | None = None,
        lost: bool = False,
    ) -> str:
        """Where a failure leaves the database; ``ran``: some of the revision may have run;
        ``note``: what its failed statement left behind (see ``failed_statement_note``);
        ``lost``: the connection was lost while it ran."""
        ctx = self.ctx
        if ctx.as_sql:
            return " (while writing the SQL script)"
        if ctx._in_external_transaction:
            return "; the caller's transaction must be rolled back"
        statement_log = ctx.impl.statement_log
        hint = (interrupted_hint(ctx, statement_log, step, lost)
                if step is not None and statement_log is not None else "")
        if (ran and type(ctx.impl).transactional_ddl and step is not None
                and not commits_each_statement(ctx) and statement_log is not None and (
                    ctx._step_autocommitted and statement_log.counting
                    or statement_log.carried is not None)):
            # its autocommit_block() committed part of it, or that of the run that failed
            # before did (transactional_ddl=False on a server whose DDL is transactional ends
            # here too: the rest rolls back with its step)
            return blocks_committed(ctx, statement_log, step,
                                    heads_text(ctx._committed_heads), note, hint)
        if ctx.impl.transactional_ddl:
            return f"; rolled back, the database is still at {heads_text(ctx._committed_heads)}"
        if not ran:
            return f"; none of its DDL ran; the version table still names {heads_text(before)}"
        if type(ctx.impl).transactional_ddl and not connection_autocommits(ctx.live_connection):
            # transactional_ddl=False on a server whose DDL is transactional: mig commits
            # revision by revision, and the failed one's statements roll back with its
            # transaction
            return (
                f"; rolled back (transactional DDL on {ctx.dialect.name} was turned off for this "
                "run, so the revisions before it were committed one by one); the version table "
                f"still names {heads_text(before)}"
            )
        if step is not None and statement_log is not None and statement_log.history is not None:
            return what_took_effect(ctx, statement_log, step, before, hint)
        return (
            f"; {what_ran(ctx.impl)}its DDL may be partly applied "
            f"({why_not_transactional(ctx)}); the version table still names {heads_text(before)}"
        )

    def _record_failure(
        self,
        step: Any,
        exc: BaseException,
        history: HistoryWriter,
        before: tuple[str, ...],
        started: Any,
    ) -> None:
        """Schedule the failed step's history row (after the rollback, in its own transaction)."""
        ctx = self.ctx
        if history.enabled and not ctx._in_external_transaction:
            history._rows.clear()  # rolled back with the step(s)
            # the heads the database holds once this failure is over: on a transactional
            # backend the last commit's (the steps since then roll back with this one); on a
            # non-transactional one each earlier step committed its version row, so ``before``
            held = ctx._committed_heads if ctx.impl.transactional_ddl else before
            log = ctx.impl.statement_log
            error = describe_error(exc)
            if _lost_connection(exc):  # the statement running may have taken effect
                error = LOST_CONNECTION + error
            row = history.row(step, held, held, started, error=error, progress=log)
            unlock = ctx.impl.unlock_tables_statement if log is not None and log.locked else None
            if ctx._transaction is not None and ctx._transaction.is_active:
                ctx._after_transaction.append(
                    lambda committed: history.write_alone(row, unlock))
            else:
                history.write_alone(row, unlock)


def _row_revision(ctx: MigrationContext, row: dict[str, Any]) -> tuple[str | None, str]:
    """The path of a history row's revision (None: not found) and what ``mig stamp`` records
    when all of the row's step took effect (the revision, or a downgrade's parents)."""
    revision = row["revisions"]
    script = None
    if ctx.script is not None:
        try:
            script = ctx.script.get_revision(revision)
        except Exception:  # a revision file since removed: the id says enough
            script = None
    done = revision
    if row["direction"] == "downgrade":
        down = getattr(script, "down_revision", None) if script is not None else None
        parents = [down] if isinstance(down, str) else list(down or ())
        done = " ".join(parents) or "base"
    return getattr(script, "path", None), done


def half_applied_error(
    ctx: MigrationContext, row: dict[str, Any], heads: tuple[str, ...], step: Any
) -> MigrationFailed:
    """The error for a run that would start with ``step`` while the last run failed in another
    revision after some of its statements took effect."""
    revision = row["revisions"]
    path, done = _row_revision(ctx, row)
    where = f" ({_display_path(ctx, path)})" if path else ""
    at = " ".join(sorted(heads)) or "base"
    error = MigrationFailed(
        f"revision {revision}{where} {row['direction']} failed part-way in the run of history "
        f"row {row['id']}: {statements(row['statements'])} of it took effect and the version "
        f"table still names {heads_text(heads)}, so {step.direction} "
        f"{' '.join(step.revisions)} would run on a half-applied revision. Once the cause is "
        f"fixed, `{resume_command(ctx, revision, row['direction'])}` runs the rest of it; or "
        "check the schema against the revision, repair it if needed, then record where the "
        f"database is with `mig stamp {at}` (none of its DDL took effect) or `mig stamp {done}` "
        "(all of it did), and run the command again"
    )
    error.revision = revision  # type: ignore[attr-defined]
    error.path = path  # type: ignore[attr-defined]
    error.line = None  # type: ignore[attr-defined]
    return error


def interrupted_run_error(
    ctx: MigrationContext, row: dict[str, Any], heads: tuple[str, ...]
) -> MigrationFailed:
    """The error for a history row saying a revision started and never finished."""
    revision = row["revisions"]
    path, done = _row_revision(ctx, row)
    where = f" ({_display_path(ctx, path)})" if path else ""
    count = row.get("statements")
    if count is not None and (row.get("statements_sha256") or not count):
        resumable = (
            f"{statements(count)} of it took effect, as recorded after each one (the one "
            "running when it stopped may have too), and the version table still names "
            f"{heads_text(heads)}. Run `{resume_command(ctx, revision, row['direction'])}` "
            "to run the rest of it (with --skip-interrupted, if the one running when it "
            "stopped took effect, to skip that one too); or check the schema against the "
            "revision, repair it if "
            f"needed, then record where the database is with `mig stamp "
            f"{' '.join(heads) or 'base'}` (none of its DDL took effect) or `mig stamp {done}` "
            "(all of it did), and run the command again"
        )
    else:
        resumable = None
    why = why_not_transactional(ctx)
    if type(ctx.impl).transactional_ddl and ctx.impl.transactional_ddl:
        why = "it committed part of itself in an autocommit_block()"
    started = row["started_at"]
    when = started.strftime("%Y-%m-%d %H:%M:%S UTC") if hasattr(started, "strftime") else started
    by = "@".join(p for p in (row.get("username"), row.get("hostname")) if p)
    message = (
        f"revision {revision}{where} {row['direction']}{_in_database(ctx)} was interrupted: a "
        f"run started it at {when}{' by ' + by if by else ''} (history row {row['id']}) and never finished; "
    )
    if resumable is not None:
        message += f"{resumable}"
    else:
        message += (
            f"its DDL may be partly applied ({why}) and the version table "
            f"still names {heads_text(heads)}. Check the schema against the revision, repair "
            "it if needed, then record where the database is with "
            f"`mig stamp {' '.join(heads) or 'base'}` (none of its DDL took effect) or "
            f"`mig stamp {done}` (all of it did), and run the command again"
        )
    error = MigrationFailed(message)
    error.revision = revision  # type: ignore[attr-defined]
    error.path = path  # type: ignore[attr-defined]
    error.line = None  # type: ignore[attr-defined]
    return error


def _in_database(ctx: MigrationContext) -> str:
    """`` in engine2 (mysql+pymysql://...)`` when the run visits several databases (see
    :meth:`MigrationContext.several_databases_label`), else nothing."""
    label = ctx.several_databases_label()
    return f" in {label}" if label else ""


def _refuse_ids_too_long(ctx: MigrationContext, steps: Sequence[Any], creates: bool) -> None:
    """Check the ids the steps write into the version table against its column."""
    ids = [rev for step in steps for rev in step.revisions]
    ctx.version_store.refuse_ids_too_long(ids, creates)


class _VersionRows:
    """The version table as the run moves it: written per step, or once before the commit."""

    def __init__(self, ctx: MigrationContext, heads: tuple[str, ...], defer: bool) -> None:
        self.store = ctx.version_store
        self.written = heads  # what the table holds
        self.current = heads
        self.defer = defer

    def moved_to(self, heads: tuple[str, ...]) -> None:
        self.current = heads
        if not self.defer:
            self.flush()

    def flush(self) -> None:
        if self.current != self.written:
            self.store.write(self.written, self.current)
            self.written = self.current

    def clear(self) -> None:
        self.store.clear()
        self.written = self.current = ()
