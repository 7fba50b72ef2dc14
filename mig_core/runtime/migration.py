"""MigrationContext: one database (or one SQL script), its DDL implementation, version table,
transactions and the loop that runs migration steps.

Usable without env.py: ``MigrationContext.configure(connection=conn)`` gives
``get_current_heads()``, ``stamp()``, ``execute()``, ``autocommit_block()`` and friends.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import IO, TYPE_CHECKING, Any

from mig_core.errors import CommandError, ConfigError, UsageError
from mig_core.runtime.steps import MigrationInfo
from mig_core.runtime.versions import VersionStore

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Dialect

    from mig_core.plugins import MigPluginManager
    from mig_core.runtime.environment import EnvironmentContext

__all__ = ["MigrationContext", "MigrationInfo"]


def _dialect_from(url: Any, dialect_name: str | None, dialect_opts: dict[str, Any] | None) -> Any:
    """A SQLAlchemy dialect instance for offline use, from a URL or a dialect name.

    Its paramstyle is ``named`` unless ``dialect_opts`` says otherwise: a script is never sent
    to a driver, and the ``format`` / ``pyformat`` of psycopg2 and PyMySQL would double every
    ``%`` of its literals (``'100%%'``) in an env.py without Alembic's ``dialect_opts``.
    """
    from sqlalchemy.engine import make_url

    if url is None and not dialect_name:
        raise ConfigError(
            "MigrationContext.configure needs connection, url or dialect_name (the config's "
            "sqlalchemy.url is the url the env.py templates pass)"
        )
    try:
        parsed = make_url(url if url is not None else f"{dialect_name}://")
    except Exception as exc:  # ArgumentError: not a URL
        raise ConfigError(f"url {url!r} is not a SQLAlchemy URL (sqlalchemy.url?): {exc}") from exc
    try:
        dialect_cls = parsed.get_dialect()
    except Exception as exc:  # NoSuchModuleError and friends
        raise ConfigError(
            f"unknown SQLAlchemy dialect {parsed.drivername!r}: {type(exc).__name__}: {exc}"
        ) from exc
    return dialect_cls(**{"paramstyle": "named", **(dialect_opts or {})})


def _output_buffer(opts: dict[str, Any]) -> IO[str]:
    """The offline SQL sink: ``output_buffer`` (stdout by default), re-encoded if asked."""
    buffer = opts.get("output_buffer") or sys.stdout
    encoding = opts.get("output_encoding")
    if encoding and hasattr(buffer, "buffer"):
        if (getattr(buffer, "encoding", None) or "").lower() != encoding.lower():
            buffer.flush()  # what was written to the text stream before goes first
            buffer = _Reencoding(buffer.buffer, encoding)
    elif encoding and not hasattr(buffer, "encoding"):  # a binary stream
        buffer = _Reencoding(buffer, encoding)
    return buffer  # type: ignore[no-any-return]


class _Reencoding(io.TextIOWrapper):
    """Text written in another encoding onto a binary stream mig does not own: closing (or
    collecting) it only flushes, so the stream (``sys.stdout.buffer``, a caller's file) stays
    open for whatever the process writes next."""

    def __init__(self, stream: Any, encoding: str) -> None:
        super().__init__(stream, encoding=encoding, line_buffering=True)

    def close(self) -> None:
        try:
            if not self.buffer.closed:
                self.flush()
        except (OSError, ValueError):  # the owner closed it, or the reader left
            pass


class DeferredFlushOutput:
    """The offline SQL sink with flushes held back until the end of the run.

    Writes go straight to the stream, in order with anything else written to it; only the
    per-statement ``flush()`` is skipped (a system call per statement made ``--sql`` several
    times slower on a pipe). :meth:`flush_now` flushes for real.
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(text)

    def flush(self) -> None:
        """Deferred: see :meth:`flush_now`."""

    def flush_now(self) -> None:
        flush = getattr(self.stream, "flush", None)
        if flush is not None:
            flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class MigrationContext:
    """The state of one run against one database: impl, version table, transactions."""

    def __init__(
        self,
        dialect: Dialect,
        connection: Connection | None,
        opts: dict[str, Any],
        environment_context: EnvironmentContext | None = None,
        plugin_manager: MigPluginManager | None = None,
    ) -> None:
        from mig_core.plugins import build_plugin_manager

        self.opts = opts
        self.dialect = dialect
        #: the connection to the database, None offline; mig's own code reads this one, never
        #: :attr:`connection`, which offline is the stand-in that writes into the script
        self.live_connection: Connection | None = connection
        self._offline_bind: Any = None  # connection / bind offline, made on first use
        self.environment_context = environment_context
        #: the keyword arguments of the current ``run_migrations()`` call
        self.run_arguments: dict[str, Any] = {}
        self.as_sql = bool(opts.get("as_sql", False))
        self.script = opts.get("script") or (
            environment_context.script if environment_context is not None else None
        )
        if connection is None and not self.as_sql:
            raise CommandError(
                "MigrationContext.configure() without a connection writes SQL only: "
                "opts={'as_sql': False} needs connection=..."
            )
        self.output_buffer: Any = None
        if self.as_sql:
            self.output_buffer = DeferredFlushOutput(_output_buffer(opts))
            opts.setdefault("literal_binds", True)
        self.plugin_manager = plugin_manager or build_plugin_manager(None)
        dialect_key = self._dialect_key(dialect)
        self.hooks = self.plugin_manager.hooks_for(dialect_key)
        impl_cls = self.plugin_manager.dialect_entry(dialect_key).load()
        transactional_ddl = opts.get("transactional_ddl")
        if (connection is not None and not self.as_sql
                and getattr(impl_cls, "transactional_ddl", False)
                and not getattr(impl_cls, "begins_own_transaction", False)):
            from mig_core.runtime.progress import connection_autocommits

            # a connection that commits each statement (AUTOCOMMIT): no transaction can hold
            # the run, so it runs as without transactional DDL
            if connection_autocommits(connection):
                transactional_ddl = False
        self.impl = impl_cls(
            dialect,
            connection,
            self.as_sql,
            self.output_buffer,
            opts,
            transactional_ddl=transactional_ddl,
            hooks=self.hooks,
        )
        self._transaction_per_migration = bool(opts.get("transaction_per_migration", False))
        self._in_external_transaction = bool(connection is not None and connection.in_transaction())
        self._transaction: Any = None  # the SQLAlchemy transaction mig opened and controls
        self._offline_transaction_open = False
        self._after_transaction: list[Callable[[bool], None]] = []
        self._before_commit: list[Callable[[], None]] = []
        self._run_heads: tuple[str, ...] = ()  # heads before the step running now
        self._committed_heads: tuple[str, ...] = ()  # heads as of the last commit
        #: the step running now committed part of itself in an autocommit_block()
        self._step_autocommitted = False
        #: called as each autocommit_block() of the running step begins, before its commit:
        #: writes (or updates) the step's started history row with the statements the commit
        #: makes take effect, so a run killed after it leaves the step marked interrupted and
        #: resumable (see ``runtime.autocommit``)
        self._autocommit_begins: Callable[[], None] | None = None
        #: a database error raised inside an autocommit_block() of the running step, with what
        #: the impl says its failed statement left behind (``failed_statement_note``)
        self._block_failure: tuple[BaseException, str | None] | None = None
        self._pipeline: Any = None  # the run's DDL queue, when statements go in batches
        self.version_store = VersionStore(self)
        self.on_version_apply_callbacks: list[Callable[..., Any]] = _as_list(
            opts.get("on_version_apply")
        )

    def _dialect_key(self, dialect: Dialect) -> str:
        """The registry name for ``dialect`` (``mariadb`` falls back to ``mysql``)."""
        name = str(dialect.name)
        if name == "mariadb" and name not in self.plugin_manager.dialects.entries:
            return "mysql"
        return name

    # --- construction ---------------------------------------------------------------------
    @classmethod
    def configure(
        cls,
        connection: Connection | None = None,
        url: Any = None,
        dialect_name: str | None = None,
        dialect: Dialect | None = None,
        environment_context: EnvironmentContext | None = None,
        dialect_opts: dict[str, Any] | None = None,
        opts: dict[str, Any] | None = None,
        plugin_manager: MigPluginManager | None = None,
    ) -> MigrationContext:
        """Make a context for a connection (online), or for a URL / dialect name (offline SQL).

        ``opts`` holds the ``configure()`` options (``as_sql``, ``output_buffer``,
        ``transactional_ddl``, ``version_table`` ...); unknown keys reach the DDL implementation.
        """
        opts = dict(opts or {})
        if connection is not None:
            from sqlalchemy.engine import Connection as SAConnection

            if not isinstance(connection, SAConnection):
                raise CommandError(
                    f"MigrationContext.configure(connection=...) needs a SQLAlchemy Connection, "
                    f"got {type(connection).__name__} (use engine.connect())"
                )
            if url is not None or dialect_name is not None:
                raise CommandError("give connection, or url / dialect_name, not both")
            if opts.get("starting_rev") and not opts.get("as_sql"):
                # online the start is what the version table holds; ignoring the option
                # silently would run from somewhere the caller did not mean (Alembic refuses)
                raise UsageError(
                    f"configure(starting_rev={opts['starting_rev']!r}) is for offline (--sql) "
                    "scripts only: online, migrations start from the revisions in the version "
                    "table; remove starting_rev, or run with --sql"
                )
            dialect = connection.dialect
        elif dialect is None:
            dialect = _dialect_from(url, dialect_name, dialect_opts)
            opts.setdefault("as_sql", True)
        if plugin_manager is None and environment_context is not None:
            plugin_manager = environment_context.plugin_manager
        return cls(dialect, connection, opts, environment_context, plugin_manager)

    # --- properties -------------------------------------------------------------------------
    @property
    def connection(self) -> Connection:
        """The connection given to ``configure()``.

        Offline (``as_sql``): the same
        :class:`~mig_core.runtime.offline_bind.OfflineConnection` as :attr:`bind`, a mock
        connection whose executions are written into the script (reading raises
        :class:`~mig_core.runtime.offline_bind.OfflineReadError`), as with Alembic.
        """
        if self.as_sql:
            return self._offline_connection()
        return self.live_connection  # type: ignore[return-value]  # never None online

    @connection.setter
    def connection(self, value: Connection | None) -> None:
        """Replace the live connection (offline, :attr:`connection` stays the stand-in)."""
        self.live_connection = value

    @property
    def bind(self) -> Connection | None:
        """The connection; DDL still queued is sent first.

        Offline (``as_sql``): the same stand-in as :attr:`connection`, whose executions are
        written into the script.
        """
        if self.as_sql:
            return self._offline_connection()
        pipeline = self._pipeline
        if pipeline is not None:
            pipeline.flush()
        return self.live_connection

    def _offline_connection(self) -> Connection:
        """The offline stand-in connection, made on first use (a run that never asks for it
        does not pay for it)."""
        offline = self._offline_bind
        if offline is None:
            from mig_core.runtime.offline_bind import OfflineConnection

            offline = self._offline_bind = OfflineConnection(self)
        return offline  # type: ignore[no-any-return]

    @property
    def config(self) -> Any:
        """The run's :class:`~mig_core.config.Config` when run from env.py, else None."""
        env = self.environment_context
        return env.config if env is not None else None

    @property
    def in_transaction(self) -> bool:
        """Whether mig (or the caller) has a transaction open on the connection."""
        return self._transaction is not None or self._in_external_transaction

    # --- SQL ----------------------------------------------------------------------------------
    def execute(self, sql: Any, execution_options: dict[str, Any] | None = None) -> None:
        """Run a SQL string or construct (offline: write it to the script)."""
        self.impl.execute(sql, execution_options)

    # --- transactions -----------------------------------------------------------------------
    def begin_transaction(self, _per_migration: bool = False) -> AbstractContextManager[Any]:
        """The transaction for a run (or, with ``_per_migration``, for one step).

        On transactional backends one of the two is real depending on
        ``transaction_per_migration``; on non-transactional ones each step gets its own
        transaction so the version row moves right after the step's DDL. A connection already
        in a transaction when configured belongs to the caller: nothing is begun here then.
        """
        if self._in_external_transaction:
            return nullcontext()
        transactional = bool(self.impl.transactional_ddl)
        if transactional:
            now = _per_migration == self._transaction_per_migration
        else:
            now = _per_migration
        if not now:
            return nullcontext()
        if self.as_sql:
            return self._offline_transaction() if transactional else nullcontext()
        if self._transaction is not None and self._transaction.is_active:
            return nullcontext()  # already inside one of ours
        return _RunTransaction(self)

    @contextmanager
    def _offline_transaction(self) -> Iterator[None]:
        self.impl.emit_begin()
        self._offline_transaction_open = True
        try:
            yield
        finally:
            self._offline_transaction_open = False
        self.impl.emit_commit()
        self.output_buffer.flush_now()

    def _begin_own(self) -> Any:
        """Begin (or adopt an auto-begun) transaction on the connection; it is then ours."""
        conn = self.live_connection
        assert conn is not None
        self._transaction = conn.get_transaction() if conn.in_transaction() else conn.begin()
        return self._transaction

    def _transaction_ended(self, committed: bool) -> None:
        """Run the callbacks waiting for the end of mig's transaction (lock release, history)."""
        callbacks, self._after_transaction = self._after_transaction, []
        for callback in reversed(callbacks):  # history rows first, the lock release last
            callback(committed)

    def _flush_before_commit(self) -> None:
        for callback in list(self._before_commit):
            callback()

    @contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """Run the block outside any transaction (``CREATE INDEX CONCURRENTLY``, ``VACUUM``).

        Commits what the run has done so far, switches the connection to AUTOCOMMIT, then
        restores the isolation level and begins a new transaction for the rest of the run.
        Offline it writes ``COMMIT`` ... ``BEGIN`` around the block.
        """
        if self.as_sql:
            was_open = self._offline_transaction_open
            if was_open:
                self.impl.emit_commit()
            try:
                yield
            finally:
                if was_open:
                    self.impl.emit_begin()
            return
        if self._in_external_transaction:
            raise CommandError(
                "autocommit_block() cannot commit a transaction the caller began; "
                "pass a connection that is not in a transaction"
            )
        conn = self.live_connection
        assert conn is not None
        had_own = self._transaction is not None and self._transaction.is_active
        self._flush_before_commit()
        begins = self._autocommit_begins
        if begins is not None:
            begins()
        if had_own:
            self._transaction.commit()
        elif conn.in_transaction():
            conn.commit()
        self._committed_heads = self._run_heads
        self._step_autocommitted = True
        previous = self._isolation_level(conn)
        conn.execution_options(isolation_level="AUTOCOMMIT")
        self.impl.in_autocommit_block = True
        try:
            yield
        except Exception as exc:
            self._note_block_failure(exc)
            raise
        finally:
            self.impl.in_autocommit_block = False
            if conn.in_transaction():
                conn.commit()
            conn.execution_options(isolation_level=previous)
            if had_own:
                self._transaction = conn.begin()

    @staticmethod
    def _isolation_level(conn: Any) -> str:
        """The isolation level an autocommit_block() puts back: the connection's own, also
        AUTOCOMMIT set on the engine (which is not among its execution options)."""
        from mig_core.runtime.progress import connection_autocommits

        level = conn.get_execution_options().get("isolation_level")
        if level is not None:
            return str(level)
        return "AUTOCOMMIT" if connection_autocommits(conn) else conn.default_isolation_level

    def _note_block_failure(self, exc: Exception) -> None:
        """A database error inside an autocommit_block(): ask the impl, while the connection
        still commits each statement, what its failed statement left behind (PostgreSQL: the
        INVALID index of a failed ``CREATE INDEX CONCURRENTLY``)."""
        from sqlalchemy.exc import DBAPIError

        if not isinstance(exc, DBAPIError):
            return
        try:
            note = self.impl.failed_statement_note(exc)
        except Exception:  # noqa: BLE001 - the revision's own error is the one to report
            note = None
        self._block_failure = (exc, note)

    def block_failure_note(self, exc: BaseException) -> str | None:
        """What the failed statement of an autocommit_block() left behind, when ``exc`` (or
        the error it was raised from) is that statement's error."""
        failure = self._block_failure
        seen: set[int] = set()
        while failure is not None and exc is not None and id(exc) not in seen:
            if exc is failure[0]:
                return failure[1]
            seen.add(id(exc))
            exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        return None

    # --- version table --------------------------------------------------------------------
    @property
    def version_table(self) -> str:
        """The version table's name (``mig_version`` unless configured)."""
        return self.version_store.name

    @property
    def version_table_schema(self) -> str | None:
        return self.version_store.schema

    @property
    def _version(self) -> Any:
        """The version table as a SQLAlchemy ``Table`` (Alembic's attribute)."""
        return self.version_store.table

    def _ensure_version_table(self, purge: bool = False) -> None:
        """Create the version table if it is missing (``purge``: also delete its rows)."""
        self.version_store.ensure()
        if purge:
            self.version_store.clear()

    def _has_version_table(self) -> bool:
        return self.version_store.exists(refresh=True)

    def get_current_heads(self) -> tuple[str, ...]:
        """The revisions in the version table (offline: the starting revision(s), if any)."""
        if self.as_sql:
            return self._starting_heads()
        return self.version_store.read_heads()

    def _starting_heads(self) -> tuple[str, ...]:
        """Offline: ``starting_rev`` as heads (``base`` is none; with a script directory,
        partial ids and symbols are resolved to full ids, as Alembic does)."""
        start = self.opts.get("starting_rev")
        if not start:
            return ()
        names = start.replace(",", " ").split() if isinstance(start, str) else list(start)
        names = [name for name in names if name and name != "base"]
        script = self.script
        if script is None:
            return tuple(names)
        heads: list[str] = []
        for name in names:
            found = script.as_revision_number(name)
            heads.extend([found] if isinstance(found, str) else (found or ()))
        return tuple(dict.fromkeys(heads))

    def get_current_revision(self) -> str | None:
        """The single current revision, or None at base; several heads is an error."""
        heads = self.get_current_heads()
        if len(heads) > 1:
            raise CommandError(
                f"the version table holds several heads ({', '.join(heads)}); "
                "use get_current_heads()"
            )
        return heads[0] if heads else None

    def stamp(self, script_directory: Any, revision: str | Sequence[str]) -> None:
        """Set the version table to ``revision`` without running any migration."""
        from mig_core.runtime.steps import plan_stamp

        revisions = [revision] if isinstance(revision, str) else list(revision)

        def plan(heads: tuple[str, ...], ctx: MigrationContext) -> list[Any]:
            return plan_stamp(script_directory, revisions, heads)

        previous_script, previous_plan = self.script, self.opts.get("fn")
        self.script = script_directory
        self.opts["fn"] = plan
        try:
            with self.begin_transaction():
                self.run_migrations()
        finally:
            self.opts["fn"] = previous_plan
            self.script = previous_script

    # --- naming the database ----------------------------------------------------------------
    def database_name(self) -> str:
        """The database's URL (password hidden), and the version table's schema when one is
        set (an env.py migrating one schema per tenant visits the same URL once per schema);
        offline, the dialect's name."""
        bind = self.live_connection
        if self.as_sql or bind is None:
            return str(self.dialect.name)
        name = str(bind.engine.url.render_as_string(hide_password=True))
        schema = self.version_store.schema
        return f"{name} (schema {schema})" if schema else name

    def several_databases_label(self) -> str | None:
        """How a message names this database when the run visits several: ``engine2
        (mysql+pymysql://...)`` when env.py passes ``engine_name=`` to ``run_migrations()`` (the
        multidb template does), the URL from env.py's second ``run_migrations()`` call on;
        None for the first (or only) database of an env.py that passes no engine name."""
        engine = self.run_arguments.get("engine_name")
        env = self.environment_context
        if engine is None and (env is None or env.runs < 2):
            return None
        name = self.database_name()
        return f"{engine} ({name})" if engine is not None else name

    # --- running ------------------------------------------------------------------------------
    def run_migrations(self, **kw: Any) -> None:
        """Run the steps planned for the current heads (``kw`` goes to upgrade()/downgrade())."""
        from mig_core.runtime.runner import StepRunner

        if self.opts.get("fn") is None and self.environment_context is None:
            raise CommandError(
                "MigrationContext.run_migrations() has no migrations to run: a context made "
                "by MigrationContext.configure() runs a command's steps only (opts={'fn': ...}); "
                "use mig_core.command.upgrade(config, 'head') or ctx.stamp(script, revision)"
            )
        self.run_arguments = kw
        try:
            StepRunner(self, kw).run()
        finally:
            if self.output_buffer is not None:
                self.output_buffer.flush_now()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if callable(value):
        return [value]
    return list(value)


class _RunTransaction:
    """A transaction mig controls; it survives ``autocommit_block`` swapping the real one.

    ``with context.begin_transaction() as transaction:`` gives it to env.py, which may end it
    early with :meth:`commit` or :meth:`rollback` as with Alembic's (the dry-run recipe:
    ``transaction.rollback()`` after ``run_migrations()``); the ``with`` block's end then does
    nothing more.
    """

    def __init__(self, ctx: MigrationContext) -> None:
        self.ctx = ctx
        self._ended = False

    def __enter__(self) -> _RunTransaction:
        self.ctx._begin_own()
        return self

    def commit(self) -> None:
        """Commit the run's transaction now (the version rows still pending go in first)."""
        self._end(commit=True)

    def rollback(self) -> None:
        """Roll the run's transaction back now: nothing it ran stays, nor its version rows."""
        self._end(commit=False)

    def _end(self, commit: bool) -> None:
        if self._ended:
            raise CommandError(
                "the transaction of context.begin_transaction() has already ended"
            )
        ctx = self.ctx
        committed = False
        try:
            if commit:
                txn = ctx._transaction
                if txn is not None and txn.is_active:
                    ctx._flush_before_commit()
                txn = ctx._transaction
                if txn is not None and txn.is_active:
                    try:
                        txn.commit()
                    except Exception as exc:
                        raise _commit_failed(ctx, exc) from exc
                committed = True
            else:
                _settle_pipeline(ctx)
                _rollback_quietly(ctx._transaction)
        except BaseException:
            _settle_pipeline(ctx)
            _rollback_quietly(ctx._transaction)
            raise
        finally:
            self._ended = True
            ctx._transaction = None
            ctx._transaction_ended(committed)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not self._ended:
            self._end(commit=exc_type is None)


def _commit_failed(ctx: MigrationContext, exc: Exception) -> CommandError:
    """The error for a COMMIT the database refused (SQLite: a reader kept the write lock from
    being upgraded past ``--lock-timeout``): it is not env.py's fault, and nothing was kept."""
    from mig_core.errors import MigrationFailed
    from mig_core.runtime.runner import describe_error

    heads = " ".join(ctx._committed_heads) or "base"
    return MigrationFailed(
        f"the database refused to commit the migrations: {describe_error(exc)}; rolled back, "
        f"the database is still at {heads}"
    )


def _settle_pipeline(ctx: MigrationContext) -> None:
    """Let a DDL batch still being sent finish before the connection is rolled back."""
    if ctx._pipeline is not None:
        ctx._pipeline.settle()


def _rollback_quietly(txn: Any) -> None:
    """Roll back; on a dead connection the server has already done it."""
    if txn is None or not txn.is_active:
        return
    try:
        txn.rollback()
    except Exception:
        pass
