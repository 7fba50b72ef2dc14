"""Which of a revision's statements took effect where each DDL statement commits by itself
(MySQL/MariaDB, Oracle) or where an ``autocommit_block()`` committed part of the revision
(PostgreSQL, SQLite), and ``--resume``: run a half-applied revision again without sending the
statements that took effect.

The runner gives each revision a :class:`StatementLog` as ``impl.statement_log``;
``DefaultImpl.execute`` (and ``bulk_insert``) ask :meth:`StatementLog.skips` before sending a
statement and call :meth:`StatementLog.append` once it ran. On the runs that commit a started
history row before each revision (``StepRunner._marks_started``) the log keeps the count of
statements known to have taken effect:

* a statement that commits by itself (DDL: a SQLAlchemy DDL construct, or text starting with
  CREATE / ALTER / DROP / RENAME / TRUNCATE / COMMENT / GRANT / REVOKE) has taken effect once it
  returned, with everything sent before it;
* any other statement (INSERT, UPDATE, a procedure call ...) waits in the step's transaction:
  it takes effect with the next DDL statement (which the server would commit anyway: mig commits
  just before sending that one, so the count stays exact when it fails) or the step's commit,
  and is rolled back with a failure;
* which statement is which the impl says (``DefaultImpl.commit_kind``); MySQL's ``LOCK TABLES``
  commits what waits but counts only with a later statement that took effect, and until
  ``UNLOCK TABLES`` the count is kept but not written (the lock covers only its tables).

After each statement that took effect the count and a digest of the statements' texts are
written into the revision's started row and committed (see ``HistoryWriter.record_progress``),
so a killed run leaves them behind; a failure's own row carries them too.

A connection in AUTOCOMMIT on a backend whose DDL is transactional (:func:`commits_each_statement`)
is followed as where DDL commits by itself: there every statement takes effect as it returns.

Where DDL is transactional the log only keeps the statements (nothing is sent for it) until the
revision enters an ``autocommit_block()`` (:meth:`StatementLog.autocommit_begins`): its commit
makes every statement sent so far take effect, and within the block each statement does as it
returns; after the block they wait in the new transaction until the next block.

Resuming, the first ``skip`` statements the revision produces are not sent: their digest is
compared with the recorded one before the first statement is sent (or when the revision ends
having produced exactly ``skip``); a difference stops the step with :class:`ResumeRefused`.
Among them, a statement that only sets the session's state (``SET search_path``, ``SET
foreign_key_checks = 0``: ``DefaultImpl.session_statement``) is sent all the same, where the
revision sends it: the resumed run's connection is a new one, without it. It stays one of the
``skip`` and of their digest, and is not counted again.

With ``--skip-interrupted`` (:attr:`Resume.skip_interrupted`) the statement after the recorded
ones, which was running when the run stopped (killed, or its connection lost: the server may
have completed it), is taken as done too: after the digest check of the recorded ones it is not
sent (a session statement is, as above), it joins the digest of what took effect, and the
step's rows name it (``skipped_statement``). Only a statement that commits by itself where it
runs can have taken effect so; for any other the resume is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from mig_core.ddl.statements import first_words
from mig_core.errors import CommandError, MigrationFailed, MigWarning

if TYPE_CHECKING:
    from mig_core.runtime.history import HistoryWriter
    from mig_core.runtime.migration import MigrationContext

log = logging.getLogger("mig.runtime")

#: the first word of a SQL text that commits by itself where DDL is not transactional (a
#: dialect's impl may name more: ``implicit_commit_words``)
DDL_WORDS = frozenset({"create", "alter", "drop", "rename", "truncate", "comment", "grant",
                       "revoke"})
#: :meth:`DefaultImpl.commit_kind <mig_core.ddl.impl.DefaultImpl.commit_kind>`'s answers: the
#: statement commits what waits in the transaction and takes effect itself (DDL)
COMMITS = "commits"
#: it commits what waits, then holds table locks under which no other table (the history
#: table) may be written, until a statement of kind UNLOCKS (MySQL's LOCK TABLES); it takes
#: no effect a resumed run may skip, so it counts only once a later statement took effect
LOCKS = "locks"
#: it releases those locks and, when the revision holds them, commits what waits
UNLOCKS = "unlocks"
#: the first word of a SQL text that changes nothing a rerun could repeat: reads, session
#: settings, transaction control
_READ_WORDS = frozenset({"select", "show", "describe", "desc", "explain", "with", "values",
                         "table", "help", "pragma", "set", "use", "begin", "start", "commit",
                         "rollback", "savepoint", "release"})


class ResumeRefused(MigrationFailed):
    """``--resume`` found statements other than the ones the failed run had applied."""


def statement_text(dialect: Any, sql: Any) -> str:
    """The SQL text of a statement for the digest: a string as given, a construct compiled
    for the dialect (bound values are not part of it)."""
    if isinstance(sql, str):
        return sql.strip()
    try:
        return str(sql.compile(dialect=dialect)).strip()
    except Exception:  # noqa: BLE001 - a construct only its own execution can write
        return type(sql).__name__


def operation_key(dialect: Any, operation: str, *args: Any, **kwargs: Any) -> str:
    """A statement's stand-in for the digest where its text depends on what the server holds
    (see :meth:`StatementLog.digest_as`): the operation and its arguments as the revision gave
    them, types and SQL expressions compiled for ``dialect``."""
    from sqlalchemy import DefaultClause
    from sqlalchemy.sql.elements import ClauseElement
    from sqlalchemy.types import TypeEngine

    def text(value: Any) -> str:
        if isinstance(value, DefaultClause):
            value = value.arg
        try:
            if isinstance(value, TypeEngine):
                return f"{type(value).__name__}({value.compile(dialect=dialect)})"
            if isinstance(value, ClauseElement):
                return str(value.compile(dialect=dialect))
        except Exception:  # noqa: BLE001 - a construct only its own execution can write
            pass
        return repr(value)

    words = [text(arg) for arg in args]
    words += [f"{name}={text(value)}" for name, value in sorted(kwargs.items())]
    return f"-- mig: {operation}({', '.join(words)})"


def writes(text: str) -> bool:
    """Whether the SQL text ``text`` may change something (it is not a read, a session
    setting or transaction control)."""
    return (first_words(text) or [""])[0] not in _READ_WORDS


def commits_by_itself(sql: Any, words: frozenset[str] = DDL_WORDS) -> bool:
    """Whether ``sql`` is DDL (or another statement whose first word, or first two words, are
    one of ``words``), which MySQL/MariaDB and Oracle commit (with what came before it) as they
    run it; ``CREATE`` / ``DROP TEMPORARY TABLE`` is not (MySQL keeps it in the transaction)."""
    if not isinstance(sql, str):
        from sqlalchemy.sql.ddl import ExecutableDDLElement
        from sqlalchemy.sql.elements import TextClause

        if isinstance(sql, TextClause):
            sql = sql.text
        else:
            return isinstance(sql, ExecutableDDLElement)
    found = first_words(sql, 2)
    if not found or found[0] not in words and " ".join(found[:2]) not in words:
        return False
    return not (found[0] in ("create", "drop") and found[1:2] == ["temporary"])


def connection_autocommits(conn: Any) -> bool:
    """Whether ``conn`` commits each statement as it runs: its isolation level is AUTOCOMMIT
    (as an execution option, or on the engine), as the driver reports where SQLAlchemy can ask
    it without a round trip."""
    if conn is None:
        return False
    level = conn.get_execution_options().get("isolation_level")
    if level is not None:
        return bool(level == "AUTOCOMMIT")
    try:
        return bool(conn.dialect.detect_autocommit_setting(conn.connection.dbapi_connection))
    except Exception:  # noqa: BLE001 - a driver SQLAlchemy cannot ask, or a dead connection
        return getattr(conn.dialect, "_on_connect_isolation_level", None) == "AUTOCOMMIT"


def commits_each_statement(ctx: Any) -> bool:
    """Whether this online run on a backend whose DDL is transactional has its connection in
    AUTOCOMMIT, so that no transaction holds it (the run goes revision by revision, as
    without transactional DDL) and each statement takes effect as it returns: then, as where
    DDL commits by itself, mig records what of each revision took effect. (SQLite's run lock
    opens its own transactions on such a connection, unless ``transactional_ddl=False``: there
    only an autocommit_block() commits part of a revision, as on any connection.)"""
    return bool(
        type(ctx.impl).transactional_ddl
        and not ctx.impl.transactional_ddl
        and not ctx.as_sql
        and connection_autocommits(ctx.live_connection)
    )


class Resume:
    """What a resumed revision skips: the recorded count and digest of the failed or
    interrupted run's row ``row_id``; ``fate_unknown``: that run stopped while the statement
    after those ran (killed, or its connection lost), so the server may have completed it;
    ``skip_interrupted``: take that it did (``--skip-interrupted``)."""

    def __init__(self, row_id: Any, statements: int, digest: str | None,
                 fate_unknown: bool = False, skip_interrupted: bool = False) -> None:
        self.row_id = row_id
        self.statements = statements
        self.digest = digest
        self.fate_unknown = fate_unknown
        self.skip_interrupted = skip_interrupted


def stopped_in_unknown_state(history: HistoryWriter, row: dict[str, Any]) -> bool:
    """Whether the run of ``row`` stopped while one of the revision's statements ran, whose
    fate the server alone knows: the row is interrupted (a killed run), or a failure on a lost
    connection, or the failure of a ``--resume`` of such a row that made nothing more of the
    revision take effect (its statement after the recorded ones still unknown from then)."""
    from mig_core.runtime.history import INTERRUPTED, LOST_CONNECTION

    for _ in range(100):  # a chain of resumes failing at the same statement
        error = str(row["error"] or "")
        if error == INTERRUPTED or error.startswith(LOST_CONNECTION):
            return True
        earlier = row.get("resumed_from")
        if row["success"] or earlier is None:
            return False
        prior = history.read_row(earlier)
        if prior is None or any(prior[key] != row[key] for key in (
                "revisions", "direction", "from_heads", "statements")):
            return False
        row = prior
    return False


def find_resume(
    ctx: MigrationContext,
    records: bool,
    heads: tuple[str, ...],
    steps: Sequence[Any],
    history: HistoryWriter,
) -> tuple[Resume | None, dict[str, Any] | None]:
    """``--resume``: what the first of ``steps`` skips, from this project's last history row
    (returned too) when it is the failed or interrupted row of that step's revision and
    direction, from ``heads``, with a statement count; ``records``: whether this run records
    counts (see ``StepRunner._records_progress``). Nothing to resume is a note (the command runs
    as without ``--resume``); an interrupted row that cannot be resumed is left to the
    interrupted-run check."""
    from mig_core.runtime.history import INTERRUPTED

    label = ctx.several_databases_label()
    resume = f"--resume in {label}" if label else "--resume"
    skip = bool(ctx.opts.get("skip_interrupted"))

    def note(why: str) -> None:
        also = " (--skip-interrupted has no statement to skip)" if skip else ""
        warnings.warn(f"{resume}: nothing to resume ({why}); the command runs as without "
                      f"--resume{also}", MigWarning, stacklevel=5)

    if not records:
        if type(ctx.impl).transactional_ddl and not commits_each_statement(ctx):
            note(f"{ctx.dialect.name} rolls a failed revision's DDL back with its "
                 "transaction, so none is ever half-applied")
        else:
            note("this run does not commit revision by revision")
        return None, None
    if not history.enabled:
        note("the history table is turned off, so nothing was recorded")
        return None, None
    row = history.last_row()
    if row is None or row["success"] or row["direction"] not in ("upgrade", "downgrade"):
        note("the last run did not stop inside a revision")
        return None, row
    interrupted = row["error"] == INTERRUPTED
    count = row["statements"]
    what = f"the {row['direction']} of revision {row['revisions']} (history row {row['id']})"
    if count is None or (count and not row["statements_sha256"]):
        if not interrupted and type(ctx.impl).transactional_ddl and not commits_each_statement(
                ctx):
            note(f"{what} failed and was rolled back whole: no autocommit_block() of it "
                 "committed any of its statements")
        elif not interrupted:
            note(f"{what} failed with no statement count recorded (an older mig, or a run "
                 "that does not record one)")
        return None, row
    unknown = interrupted or stopped_in_unknown_state(history, row)
    if skip and not unknown:
        raise CommandError(
            f"{resume} --skip-interrupted: {what} failed at a statement the server rejected "
            f"({row['error']}) after {_plural(int(count), 'statement')} of it took effect; "
            "--skip-interrupted only skips the statement a run was running when it was killed "
            "or lost its connection, which the server may have completed. Nothing was run; "
            f"once the cause is fixed, `{resume_command(ctx, row['revisions'], row['direction'])}`"
            " runs the rest of it"
        )
    if count == 0 and not (interrupted or skip):
        note(f"none of the statements of {what} took effect; it runs from its start")
        return None, row
    first = steps[0] if steps else None
    if (first is None or first.is_stamp or first.revision != row["revisions"]
            or first.direction != row["direction"]
            or " ".join(sorted(heads)) != row["from_heads"]):
        if interrupted:
            return None, row
        raise CommandError(
            f"{resume}: the last run stopped in {what} with {count} of its statements "
            "applied, and this command does not run that first; resume it with "
            f"`{resume_command(ctx, row['revisions'], row['direction'])}`"
        )
    log.info("resuming %s%s: its first %s took effect before and are not sent%s",
             what, f" in {label}" if label else "", _plural(int(count), "statement"),
             ", nor the one after them, running when that run stopped (--skip-interrupted)"
             if skip else "")
    return Resume(row["id"], int(count), row["statements_sha256"], unknown, skip), row


def resume_command(ctx: MigrationContext, revision: str, direction: str,
                   skip_interrupted: bool = False) -> str:
    """``mig upgrade <rev> --resume``, or the downgrade to the revision's parent (with
    ``--skip-interrupted``)."""
    skip = " --skip-interrupted" if skip_interrupted else ""
    if direction == "upgrade":
        return f"mig upgrade {revision} --resume{skip}"
    return f"mig downgrade {_parents_text(ctx, revision)} --resume{skip}"


def _parents_text(ctx: MigrationContext, revision: str) -> str:
    """Where the downgrade of ``revision`` leads: its parent, ``base``, or ``<rev>-1``."""
    script = None
    if ctx.script is not None:
        try:
            script = ctx.script.get_revision(revision)
        except Exception:  # a revision file since removed
            script = None
    down = getattr(script, "down_revision", None) if script is not None else None
    parents = [down] if isinstance(down, str) else list(down or ())
    if script is None or len(parents) > 1:
        return f"{revision}-1"
    return parents[0] if parents else "base"


class StatementLog:
    """The statements one revision produced (see the module's doc)."""

    def __init__(
        self,
        ctx: Any,
        history: HistoryWriter | None = None,
        resume: Resume | None = None,
        describe: str | Callable[[], str] = "",
    ) -> None:
        self.ctx = ctx
        self.dialect = ctx.dialect
        #: writes the count into the started row after each statement that took effect
        self.history = history
        self.resume = resume
        #: how many leading statements took effect in the run resumed from (as recorded)
        self.resumed_count = resume.statements if resume is not None else 0
        #: the statements not sent: those, and with --skip-interrupted the one after them
        self.skip = self.resumed_count + (1 if resume is not None and resume.skip_interrupted
                                          else 0)
        #: whether the run resumed from stopped while its statement after those ran
        self.fate_unknown = resume is not None and resume.fate_unknown
        #: the position (from 1) of the statement --skip-interrupted took as done, once passed
        self.skipped_statement: int | None = None
        #: the history row a resumed revision continues
        self.resumed_from = resume.row_id if resume is not None else None
        self._skipped_digest = resume.digest if resume is not None else None
        #: a statement that commits by itself where it runs, sent and not returned (a failure
        #: stopped at it: the server may have completed it when the connection was lost)
        self.in_flight: Any = None
        #: "revision r2 (versions/r2.py) upgrade", for a refusal's message (or what makes it)
        self._describe = describe
        #: the failed row of an earlier run of this step whose count still holds while this
        #: run has made none of its statements take effect (set by the runner)
        self.carried: dict[str, Any] | None = None
        #: every statement produced, skipped ones first
        self.statements: list[Any] = []
        #: how many leading statements have taken effect (the skipped ones had)
        self.committed = self.resumed_count
        self.recorded = self.resumed_count
        self._pending = False  # statements sent since the last that took effect
        self._sending_ddl = False
        #: the commit kind of the statement being sent (see DefaultImpl.commit_kind)
        self._kind: str | None = None
        #: the revision holds table locks (MySQL's LOCK TABLES): the history table cannot be
        #: written until they are released, nor the failure's row before the runner does so
        self.locked = False
        self._hasher: Any = None  # made on first use: most logs never need a digest
        self._hashed = 0
        #: the digest's stand-ins of statements built from what the server holds, by index
        self._keys: dict[int, str] = {}
        self._next_key: str | None = None
        #: what the revision's code sent itself (not through mig) before the resume point
        self._own: list[str] = []
        #: the skipped statements sent again since they only set the session's state
        self.replayed: list[Any] = []
        self._replaying = False
        self._session_part: Any = None
        self._refused = False
        #: mig writes the history (not the revision's code): see :meth:`mig_writes`
        self._mig_writing = False
        #: whether the server commits DDL by itself (MySQL/MariaDB, Oracle), or the connection
        #: each statement; where neither does, statements take effect only through an
        #: autocommit_block()
        self._ddl_commits = not type(ctx.impl).transactional_ddl or commits_each_statement(ctx)
        #: whether commit points are followed: from the start where DDL commits by itself and
        #: the history records it, else from the revision's first autocommit_block()
        self.counting = history is not None and self._ddl_commits

    @property
    def describe(self) -> str:
        """``revision r2 (versions/r2.py) upgrade``, made when a message first needs it."""
        if callable(self._describe):
            self._describe = self._describe()
        return self._describe

    # --- what ran ----------------------------------------------------------------------------
    def ran(self) -> list[Any]:
        """The statements this run sent (not the skipped ones)."""
        return self.statements[self.skip:]

    def __len__(self) -> int:
        return len(self.statements) - self.skip

    def digest(self, count: int | None = None) -> str:
        """sha256 of the first ``count`` (default: :attr:`committed`) statements' texts."""
        count = self.committed if count is None else count
        if count == self.resumed_count and self._skipped_digest is not None:
            return self._skipped_digest  # what took effect before (checked, or refused)
        if count < self._hashed:  # not reached by the runner; kept correct anyway
            hasher = hashlib.sha256()
            for index in range(count):
                self._feed(hasher, index)
            return hasher.hexdigest()
        if self._hasher is None:
            self._hasher = hashlib.sha256()
        for index in range(self._hashed, count):
            self._feed(self._hasher, index)
        self._hashed = count
        return self._hasher.hexdigest()

    def _digest_of_produced(self, count: int) -> str:
        hasher = hashlib.sha256()
        for index in range(count):
            self._feed(hasher, index)
        if count > self._hashed:  # go on from there
            self._hasher, self._hashed = hasher.copy(), count
        return hasher.hexdigest()

    def _feed(self, hasher: Any, index: int) -> None:
        text = self._keys.get(index)
        if text is None:
            text = statement_text(self.dialect, self.statements[index])
        hasher.update(text.encode("utf-8", "surrogatepass"))
        hasher.update(b"\0")

    # --- statements built from what the server holds -------------------------------------------
    def skipping_next(self) -> bool:
        """Whether the next statement is one this resumed run does not send. An operation that
        builds its statement from what the server holds now (MySQL's ``alter_column`` restating
        a column as information_schema has it) asks first: the skipped statements changed
        that, so it must not read it, and calls :meth:`skip_as` instead of building one."""
        return len(self.statements) < self.skip

    def skip_as(self, key: str) -> None:
        """Skip the next statement, whose digest is of ``key`` (see :meth:`digest_as`)."""
        index = len(self.statements)
        interrupted = index == self.resumed_count < self.skip
        if interrupted:
            self.check_resumed()  # such an operation's statement is DDL: it commits by itself
        self._keys[index] = key
        self.statements.append(key)
        if interrupted:
            self._passed_interrupted(key)

    def digest_as(self, key: str) -> None:
        """The next statement's text depends on what the server holds: the digest takes
        ``key`` (the operation as the revision asked for it, :func:`operation_key`) in its
        place, so that a resumed run, which cannot build that text again, compares the same."""
        self._next_key = key

    # --- the impl's calls --------------------------------------------------------------------
    def skips(self, sql: Any) -> bool:
        """Called before ``sql`` is sent: True when a resumed run must not send it."""
        index = len(self.statements)
        self._replaying = False  # (a replayed statement that failed and was caught)
        key, self._next_key = self._next_key, None
        if key is not None:
            self._keys[index] = key
        interrupted = index == self.resumed_count < self.skip
        if interrupted:  # --skip-interrupted: the statement running when the run stopped
            self.check_resumed()
        if index < self.skip:
            part = self.ctx.impl.session_part(sql)  # the new connection lacks what it set
            if part is sql:
                self.replayed.append(sql)
                self._replaying = True
                return False
            if interrupted:
                self._refuse_unless_committed(sql)
            self.statements.append(sql)
            if part is not None:  # a text of several statements, some only setting it
                self.replayed.append(part)
                self._session_part = part
            if interrupted:
                self._passed_interrupted(sql)
            return True
        if index == self.skip and self.resume is not None:
            self.check_resumed()
        self.in_flight = None
        if not self.counting:
            return False
        # in an autocommit_block() every statement commits as it runs
        if self._autocommits():
            self._kind = COMMITS
        elif self._ddl_commits:
            self._kind = self.ctx.impl.commit_kind(sql)
        else:  # transactional DDL: it waits in the transaction until the next block
            self._kind = None
        if self._kind == UNLOCKS and not self.locked:
            self._kind = None  # without locks to release it commits nothing
        self._sending_ddl = self._kind == COMMITS
        if self._sending_ddl:
            self.in_flight = sql
        commit = False
        if self._kind is not None and self._pending:
            # the server commits what waits in the transaction as it runs the DDL: commit it
            # first, so a failure of the DDL leaves an exact count
            self.committed = index
            self._pending = False
            commit = True
        if not self._pending and self.committed > self.recorded and not self.locked:
            self._record()
            commit = False
        if commit:
            self._commit()
        return False

    def take_session_part(self) -> Any | None:
        """After :meth:`skips` said True: the part of the skipped statement that only sets
        the session's state, which the impl sends in its place (None: nothing to send)."""
        part, self._session_part = self._session_part, None
        return part

    def append(self, sql: Any) -> None:
        """``sql`` ran."""
        self.statements.append(sql)
        self.in_flight = None
        if self._replaying:  # one of the skipped statements, which took effect before
            if len(self.statements) == self.skip > self.resumed_count:
                self._passed_interrupted(sql)
            self._replaying = False
            return
        if not self.counting:
            return
        if self._kind == LOCKS:
            self.locked = True
        elif self._kind is not None:  # COMMITS, or UNLOCKS of the revision's locks
            self.committed = len(self.statements)
            self._pending = False
            self.locked = self.locked and self._kind != UNLOCKS
            if not self.locked:
                self._record()
        else:
            self._pending = True

    def autocommit_begins(self, history: HistoryWriter | None) -> None:
        """An ``autocommit_block()`` is about to commit the transaction of a backend whose DDL
        is transactional: every statement the revision sent so far takes effect with that
        commit, and from now on each one sent in the block as it returns. ``history`` (None:
        turned off) receives the counts; the caller writes this one into the started row
        before the commit and then calls :meth:`recorded_now`."""
        self.history = history
        self.counting = True
        # a resumed run's block among the statements it skips: all of those took effect
        self.committed = max(self.committed, len(self.statements))
        self._pending = False

    def recorded_now(self) -> None:
        """The count of :attr:`committed` statements is in the started row."""
        self.recorded = self.committed

    def taken_effect(self) -> list[Any]:
        """The statements that took effect (skipped ones included)."""
        return self.statements[:self.committed]

    def finish(self) -> None:
        """The revision's code returned: a resumed one must have produced what it skips."""
        if self.resume is not None and len(self.statements) <= self.skip:
            self.check_resumed()
        if len(self.statements) < self.skip and not self._refused:
            self._refused = True  # produced what took effect and nothing after it
            raise ResumeRefused(
                f"{self.describe} cannot be resumed with --skip-interrupted: it has no "
                f"statement after the {_plural(self.resumed_count, 'statement')} the run of "
                f"history row {self.resumed_from} applied, so none to skip; nothing was sent"
                f"{self._sent_besides()}. Resume it without --skip-interrupted"
            )

    def _refuse_unless_committed(self, sql: Any) -> None:
        """--skip-interrupted: only a statement that commits by itself where it runs (DDL
        where DDL commits by itself, any statement in AUTOCOMMIT) can have taken effect while
        its run stopped; any other was rolled back with the run's transaction."""
        if self._autocommits() or (self._ddl_commits
                                   and self.ctx.impl.commit_kind(sql) == COMMITS):
            return
        self._refused = True
        text = _shorten(statement_text(self.dialect, sql))
        raise ResumeRefused(
            f"{self.describe} cannot be resumed with --skip-interrupted: its statement "
            f"{self.skip}, {text}, does not commit by itself there, so the run of history row "
            f"{self.resumed_from} could not have made it take effect (the server rolled it "
            f"back when that run stopped); nothing was sent{self._sent_besides()}. Resume it "
            "without --skip-interrupted"
        )

    def _passed_interrupted(self, sql: Any) -> None:
        """The statement running when the resumed run stopped is behind: it counts as taken
        effect (its text joins the digest), and the log names it."""
        self.committed = self.skip
        self.skipped_statement = self.skip
        label = self.ctx.several_databases_label()
        text = _shorten(self._keys.get(self.skip - 1) or statement_text(self.dialect, sql))
        how = ("sent again (it only sets the session's state)" if self._replaying
               else "not sent, taken as done")
        log.warning("--resume --skip-interrupted%s: %s: its statement %s, running when the run "
                    "of history row %s stopped, %s: %s", f" in {label}" if label else "",
                    self.describe, self.skip, self.resumed_from, how, text)

    # --- resuming ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def own_statements_watched(self) -> Iterator[None]:
        """While a resumed revision's code runs, note the writes it sends itself (through
        ``op.get_bind()``) until the resume point (mig itself sends none there), and say at the
        end that they ran again: only mig's statements are counted and skipped. A refusal
        (:meth:`check_resumed`) names them in its message instead."""
        conn = self.ctx.live_connection
        if self.resume is None or conn is None:
            yield
            return
        from sqlalchemy import event

        def sent(conn: Any, cursor: Any, statement: Any, *args: Any) -> None:
            if (self.resume is not None and not self._mig_writing and not self._replaying
                    and isinstance(statement, str) and writes(statement)):
                self._own.append(statement.strip())

        event.listen(conn, "before_cursor_execute", sent)
        try:
            yield
        finally:
            event.remove(conn, "before_cursor_execute", sent)
            if self._own and not self._refused:  # a refusal's message says it
                label = self.ctx.several_databases_label()
                again = "that one" if len(self._own) == 1 else "those"
                warnings.warn(
                    f"--resume{' in ' + label if label else ''}: {self.describe} sent "
                    f"{self._own_statements()}; --resume skips only the statements mig sends "
                    f"for it, so {again} ran again", MigWarning, stacklevel=3)

    @contextlib.contextmanager
    def mig_writes(self) -> Iterator[None]:
        """mig writes the started row while the revision's code runs (an
        ``autocommit_block()`` begins): not a statement of the revision's own."""
        self._mig_writing = True
        try:
            yield
        finally:
            self._mig_writing = False

    def _own_statements(self) -> str:
        """What the revision's code sent itself before the resume point: ``1 statement of its
        own (...): INSERT ...``."""
        shown = "; ".join(_shorten(text) for text in self._own[:3])
        more = f"; ... ({len(self._own) - 3} more)" if len(self._own) > 3 else ""
        return (f"{_plural(len(self._own), 'statement')} of its own (through op.get_bind(), "
                f"not op.*) before the point it resumed from: {shown}{more}")

    def check_resumed(self) -> None:
        """Compare the skipped statements with the recorded ones (once)."""
        resume, self.resume = self.resume, None
        if resume is None:
            return
        produced = len(self.statements)
        count = self.resumed_count
        if produced < count:
            why = (f"it now produces {produced} statement{'s' if produced != 1 else ''} in all, "
                   f"fewer than the {count} the run of history row {resume.row_id} applied")
        elif count and self._digest_of_produced(count) != resume.digest:
            why = (f"its first {count} statement{'s' if count != 1 else ''} differ from "
                   f"the ones the run of history row {resume.row_id} applied (the revision was "
                   "edited, or its code takes another path now)")
        else:
            self._say_replayed()
            return
        self._refused = True
        raise ResumeRefused(
            f"{self.describe} cannot be resumed: {why}; nothing was sent{self._sent_besides()}. "
            "Restore the revision as it ran and resume again, or repair the schema by hand and "
            "record where it is with `mig stamp`"
        )

    def _sent_besides(self) -> str:
        """What a refusal sent all the same: `` but 1 statement that only sets ...``."""
        sent = " by mig" if self._own else ""
        if self.replayed:
            sent += f" but {self._replayed_statements()}"
        if self._own:
            sent += f" (the revision's code sent {self._own_statements()})"
        return sent

    def _replayed_statements(self) -> str:
        """``1 statement that only sets the session's state: SET a = 0``."""
        shown = "; ".join(_shorten(statement_text(self.dialect, sql)) for sql in self.replayed)
        count = len(self.replayed)
        verb = "sets" if count == 1 else "set"
        return f"{_plural(count, 'statement')} that only {verb} the session's state: {shown}"

    def _say_replayed(self) -> None:
        """The resume point is reached: an info line names the skipped statements sent again."""
        if not self.replayed:
            return
        label = self.ctx.several_databases_label()
        log.info("--resume%s: %s sent again, of the %s it skipped, %s (the new "
                 "connection lacked %s)", f" in {label}" if label else "", self.describe,
                 _plural(self.skip, "statement"), self._replayed_statements(),
                 "it" if len(self.replayed) == 1 else "them")

    def _autocommits(self) -> bool:
        """Whether the statement being sent commits as it runs: in an autocommit_block(), or
        on a connection in AUTOCOMMIT, but not in the transactions SQLite's run lock opens on
        one (``begins_own_transaction``) while DDL is transactional."""
        impl = self.ctx.impl
        if impl.in_autocommit_block:
            return True
        if type(impl).begins_own_transaction and impl.transactional_ddl:
            return False
        return connection_autocommits(self.ctx.live_connection)

    # --- the started row -----------------------------------------------------------------------
    def _record(self) -> None:
        if self.history is not None:
            self.history.record_progress(self.committed, self.digest(), self.skipped_statement)
            if self._ddl_commits:  # in an autocommit_block() the UPDATE committed by itself
                self._commit()
        self.recorded = self.committed

    def _commit(self) -> None:
        """Commit on the driver's connection: what the server has not committed by itself yet
        (the started row's update, statements waiting before a DDL statement), leaving the
        step's SQLAlchemy transaction open as the server's implicit commits do."""
        conn = self.ctx.live_connection
        conn.connection.dbapi_connection.commit()


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _shorten(text: str, width: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."
