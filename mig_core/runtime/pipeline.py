"""Send a run's DDL to the server several statements per round trip.

Inside a transaction mig controls, on a backend whose DDL is transactional and whose driver
takes several statements in one ``execute()`` (PostgreSQL with psycopg2 or psycopg 3), the DDL
that operations produce is compiled as usual and queued; the queue goes to the server as one
multi-statement string when it is full, before the commit, and before anything else runs on the
connection (any ``execute()``, including reflection and the SQLAlchemy calls of a data
migration, and ``op.get_bind()``). The order of statements never changes. What it saves is a
round trip per statement: the client's Python work and the server's work no longer take turns.

Failures keep their exact place: each queued statement remembers the revision and the line of
its revision file that produced it. A batch runs under a savepoint; when it fails, the savepoint
is rolled back and the batch is run again one statement at a time, so the error raised is the
failing statement's own, attributed to its revision and line. The run's transaction then rolls
back as it would have without batching.

A revision whose code reaches for the driver's own connection (``.connection``,
``.driver_connection``, ``.cursor`` ...) would bypass SQLAlchemy and so the queue: such a revision
runs with nothing queued (the queue is sent before it starts). Code elsewhere (a helper module)
cannot be seen: it should call ``op.get_bind()`` again, which sends the queue.

``configure(statements_per_round_trip=1)`` turns it off (each statement alone).
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mig_core.runtime.migration import MigrationContext

#: statements sent in one round trip unless ``statements_per_round_trip`` says otherwise
DEFAULT_STATEMENTS_PER_ROUND_TRIP = 250
#: a batch is also sent once its text reaches this many characters
MAX_BATCH_CHARS = 1 << 20
#: how far up the stack the revision file's line is looked for
_MAX_FRAMES = 40
#: attribute names through which code reaches the driver's connection, bypassing SQLAlchemy
DRIVER_ACCESS_NAMES = frozenset(
    {"connection", "driver_connection", "dbapi_connection", "raw_connection", "cursor"}
)


def reaches_for_driver(function: Any) -> bool:
    """Whether ``function`` (or a function or class defined in it) names a driver-access
    attribute; local variables do not count, attribute and global names do."""
    code = getattr(function, "__code__", None)
    stack = [code] if code is not None else []
    while stack:
        code = stack.pop()
        if DRIVER_ACCESS_NAMES.intersection(code.co_names):
            return True
        stack.extend(c for c in code.co_consts if hasattr(c, "co_names"))
    return False


class StepOrigin:
    """The step whose ``upgrade()``/``downgrade()`` is queueing statements, for failures."""

    __slots__ = ("step", "before", "started", "filename")

    def __init__(
        self, step: Any, before: tuple[str, ...], started: Any, filename: str | None
    ) -> None:
        self.step = step
        self.before = before
        self.started = started
        #: the file name the revision's code objects carry (its frames show it)
        self.filename = filename

    def line_of_caller(self) -> int | None:
        """The line of the revision file the current call comes from (innermost frame)."""
        filename = self.filename
        if filename is None:
            return None
        frame: FrameType | None = sys._getframe(2)
        for _ in range(_MAX_FRAMES):
            if frame is None:
                return None
            if frame.f_code.co_filename == filename:
                return frame.f_lineno
            frame = frame.f_back
        return None


class PipelinedStatementFailed(Exception):
    """A queued statement failed when its batch was sent; carries where it came from."""

    def __init__(self, origin: StepOrigin | None, line: int | None, error: BaseException):
        super().__init__(str(error))
        self.origin = origin
        self.line = line
        self.error = error


Entry = tuple[str, "StepOrigin | None", "int | None"]


class StatementPipeline:
    """The queue of one run's DDL statements on one connection (see the module docstring).

    A full queue is sent by a short-lived background thread while the run goes on preparing the
    next statements (the driver releases the GIL while the server works); at most one batch is
    in flight, and every other use of the connection waits for it first (:meth:`flush`).
    """

    def __init__(self, ctx: MigrationContext, per_round_trip: int) -> None:
        self.ctx = ctx
        self.connection: Any = ctx.live_connection
        self.per_round_trip = per_round_trip
        self.pending: list[Entry] = []
        self.pending_chars = 0
        self.origin: StepOrigin | None = None
        self._paused = False  # the running step reaches for the driver: nothing is queued
        self._executing_in: int | None = None  # the thread running a batch's statements now
        self._in_flight: threading.Thread | None = None
        self._in_flight_failure: BaseException | None = None
        self._listening = False
        #: when the last batch holding each step's statements had run (its history row's
        #: finished_at: the step's Python may end long before its DDL does)
        self.step_done: dict[Any, dt.datetime] = {}

    @classmethod
    def for_run(cls, ctx: MigrationContext) -> StatementPipeline | None:
        """A pipeline for this run, or None where statements must go one at a time."""
        value = ctx.opts.get("statements_per_round_trip", DEFAULT_STATEMENTS_PER_ROUND_TRIP)
        try:
            per_round_trip = int(value)
        except (TypeError, ValueError):
            from mig_core.errors import ConfigError

            raise ConfigError(
                f"statements_per_round_trip must be a whole number, got {value!r}"
            ) from None
        conn = ctx.live_connection
        if (
            per_round_trip <= 1
            or ctx.as_sql
            or conn is None
            or ctx._in_external_transaction
            or not ctx.impl.transactional_ddl
            or not ctx.impl.sends_statements_together()
            or conn.get_execution_options().get("schema_translate_map")
        ):
            return None
        return cls(ctx, per_round_trip)

    # --- life cycle -------------------------------------------------------------------------
    def attach(self) -> None:
        """Start queueing: the impl routes DDL here; other executions send the queue first."""
        from sqlalchemy import event

        event.listen(self.connection, "before_execute", self._before_execute)
        self._listening = True
        self.ctx.impl.pipeline = self
        self.ctx._pipeline = self
        self.ctx._before_commit.insert(0, self.flush)

    def detach(self) -> None:
        """Stop queueing; anything still queued is dropped (its transaction is rolling back)."""
        from sqlalchemy import event

        self.settle()
        if self._listening:
            self._listening = False
            try:
                event.remove(self.connection, "before_execute", self._before_execute)
            except Exception:  # an invalidated connection: nothing left to listen to
                pass
        self.ctx.impl.pipeline = None
        self.ctx._pipeline = None
        if self.flush in self.ctx._before_commit:
            self.ctx._before_commit.remove(self.flush)

    def starting(self, step: Any, before: tuple[str, ...], started: Any) -> None:
        """The step whose statements are queued from now on (none, if it uses the driver)."""
        function = None if step.is_stamp else step.function()
        code = getattr(function, "__code__", None)
        self.origin = StepOrigin(step, before, started, code.co_filename if code else None)
        self._paused = function is not None and reaches_for_driver(function)
        if self._paused:
            self.flush()

    # --- queueing -------------------------------------------------------------------------
    def takes(self, construct: Any) -> bool:
        """Whether ``construct`` can wait in the queue: plain DDL inside mig's transaction."""
        if self._paused or self._executing_in == threading.get_ident():
            return False
        txn = self.ctx._transaction
        if txn is None or not txn.is_active:
            return False  # autocommit_block(), or between per-step transactions
        from sqlalchemy.sql.ddl import ExecutableDDLElement

        return (
            isinstance(construct, ExecutableDDLElement)
            and construct._ddl_if is None
            and not construct._execution_options
        )

    def add(self, construct: Any) -> None:
        """Compile ``construct`` as executing it would and queue the text."""
        sql = str(construct.compile(dialect=self.connection.dialect)).strip()
        while sql.endswith(";"):
            sql = sql[:-1].rstrip()
        if not sql:
            return
        origin = self.origin
        line = origin.line_of_caller() if origin is not None else None
        self.pending.append((sql, origin, line))
        self.pending_chars += len(sql)
        if len(self.pending) >= self.per_round_trip or self.pending_chars >= MAX_BATCH_CHARS:
            self._send_in_background()

    def _before_execute(self, conn: Any, *args: Any, **kw: Any) -> None:
        if self._executing_in != threading.get_ident():
            self.flush()  # anything else run on the connection comes after the queue

    # --- sending ----------------------------------------------------------------------------
    def flush(self) -> None:
        """Return when everything queued has run; a failure raises
        :class:`PipelinedStatementFailed`."""
        self._wait()
        if self.pending:
            self._run_batch(self._take())

    def settle(self) -> None:
        """The transaction is rolling back: wait for a batch in flight and drop its outcome
        and the queue (nothing of either may reach the connection afterwards)."""
        thread = self._in_flight
        if thread is not None:
            thread.join()
            self._in_flight = None
            self._in_flight_failure = None
        self._take()

    def _take(self) -> list[Entry]:
        batch, self.pending = self.pending, []
        self.pending_chars = 0
        return batch

    def _wait(self) -> None:
        thread = self._in_flight
        if thread is None:
            return
        thread.join()
        self._in_flight = None
        failure, self._in_flight_failure = self._in_flight_failure, None
        if failure is not None:
            self._take()  # queued after the failed statement: rolled back with it, never sent
            raise failure

    def _send_in_background(self) -> None:
        self._wait()  # one batch in flight at most, and its failure stops the run here
        batch = self._take()

        def run() -> None:
            try:
                self._run_batch(batch)
            except BaseException as exc:  # handed to the run's thread by _wait()
                self._in_flight_failure = exc

        thread = threading.Thread(target=run, name="mig-ddl-sender", daemon=True)
        self._in_flight = thread
        thread.start()

    def _run_batch(self, batch: list[Entry]) -> None:
        from sqlalchemy.exc import DBAPIError

        conn = self.connection
        self._executing_in = threading.get_ident()
        try:
            if len(batch) == 1:
                self._run_one(batch[0])
            else:
                savepoint = conn.begin_nested()
                try:
                    conn.exec_driver_sql("\n;\n".join(entry[0] for entry in batch))
                except DBAPIError as exc:
                    try:
                        savepoint.rollback()
                    except Exception:  # the connection itself failed: name the batch's start
                        raise PipelinedStatementFailed(batch[0][1], batch[0][2], exc) from exc
                    for entry in batch:  # one by one: the failing statement raises its error
                        self._run_one(entry)
                    # (or each statement passed: all applied, in order)
                else:
                    savepoint.commit()
            self._note_done(batch)
        finally:
            self._executing_in = None

    def _note_done(self, batch: list[Entry]) -> None:
        """Each of the batch's steps had run its statements by now (the batch's end: the
        server's time per statement of one round trip is not known)."""
        done = dt.datetime.now(dt.timezone.utc)
        for _, origin, _ in batch:
            if origin is not None:
                self.step_done[origin.step] = done

    def _run_one(self, entry: Entry) -> None:
        sql, origin, line = entry
        try:
            self.connection.exec_driver_sql(sql)
        except Exception as exc:
            raise PipelinedStatementFailed(origin, line, exc) from exc
