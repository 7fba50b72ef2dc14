"""DefaultImpl: executes DDL on a connection, or writes it as SQL text (offline ``--sql``).

Dialect plugins subclass it and override only what differs. Operations reach it through the
``mig_ddl_execute`` hook, so a plugin can take any operation over on its dialect.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping, Sequence, Set
from typing import IO, TYPE_CHECKING, Any, ClassVar

from mig_core.ddl import literals
from mig_core.ddl.session import sets_session
from mig_core.ddl.statements import CompiledSQL, SQLText, VerbatimSQL, unescape_colons
from mig_core.errors import CommandError, MigError
from mig_core.runtime.progress import COMMITS, DDL_WORDS, commits_by_itself

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection, Dialect


_SQL_CLASSES: tuple[Any, Any] | None = None


def _sql_classes() -> tuple[Any, Any]:
    """(ExecutableDDLElement, SQLAlchemyError), imported on first use: importing this module
    stays free of SQLAlchemy, and the per-statement path does no import statement."""
    global _SQL_CLASSES
    if _SQL_CLASSES is None:
        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.sql.ddl import ExecutableDDLElement

        _SQL_CLASSES = (ExecutableDDLElement, SQLAlchemyError)
    return _SQL_CLASSES


def _direct_ddl_execute(hooks: Any) -> Any:
    """The core's ``mig_ddl_execute`` itself when it is the only implementation of the hook
    for this run and no hook tracing is on, else None (call through pluggy).

    Every operation goes through this hook; calling the one implementation directly skips
    pluggy's per-call argument checks and result loop. Decided once per impl: the plugins of
    a run are fixed when its MigrationContext is made.
    """
    from mig_core.builtin.ddl import mig_ddl_execute

    try:
        caller = hooks.mig_ddl_execute
        impls = caller.get_hookimpls()
        runner = getattr(caller._hookexec, "__self__", None)
        inner = getattr(runner, "_inner_hookexec", None)
    except Exception:  # another pluggy layout: keep the hook call
        return None
    if (
        len(impls) == 1
        and impls[0].function is mig_ddl_execute
        and not impls[0].hookwrapper
        and not getattr(impls[0], "wrapper", False)
        and getattr(inner, "__name__", None) == "_multicall"
        and getattr(inner, "__module__", "").startswith("pluggy.")
    ):
        return mig_ddl_execute
    return None


def listens_to_statements(conn: Any) -> bool:
    """Whether ``before_execute`` / ``after_execute`` listeners are on ``conn`` or its engine
    (``exec_driver_sql()`` would bypass them)."""
    try:
        if not (conn._has_events or conn.engine._has_events):
            return False
        dispatch = conn.dispatch
        return bool(dispatch.before_execute or dispatch.after_execute)
    except AttributeError:  # not SQLAlchemy's Connection: assume someone listens
        return True


class _DDLRunner:
    """What SQLAlchemy's schema-type events expect as ``_ddl_runner``: a per-run memo."""

    def __init__(self) -> None:
        self.memo: dict[Any, Any] = {}


#: Alembic's recipe for a dialect it does not know, written in env.py or a library:
#: ``class DuckDBImpl(DefaultImpl): __dialect__ = "duckdb"``. Each such subclass is kept here
#: by dialect name (the last one wins, as in Alembic) and serves that dialect when no plugin
#: provides it (:meth:`mig_core.plugins.MigPluginManager.dialect_entry`).
ALEMBIC_STYLE_IMPLS: dict[str, type[DefaultImpl]] = {}


class DefaultImpl:
    """Generic implementation; subclasses set the class attributes for their dialect."""

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        name = cls.__dict__.get("__dialect__")
        if isinstance(name, str):
            ALEMBIC_STYLE_IMPLS[name] = cls
            if "dialect_name" not in cls.__dict__:
                cls.dialect_name = name

    #: SQLAlchemy dialect name this implementation serves
    dialect_name: ClassVar[str] = "default"
    #: whether DDL runs inside transactions (offline: whether BEGIN/COMMIT frame the script)
    transactional_ddl: ClassVar[bool] = False
    #: whether a run holding the run lock opens its transactions with its own statement
    #: (SQLite's ``BEGIN IMMEDIATE``), so a connection in AUTOCOMMIT still runs in them;
    #: otherwise such a connection commits each statement and the run goes revision by revision
    begins_own_transaction: ClassVar[bool] = False
    #: first words of the statements the database commits by itself, with what waits in the
    #: transaction, as it runs them (mig commits that first and counts them as taken effect;
    #: see mig_core.runtime.progress); where DDL is transactional they are not asked for
    implicit_commit_words: ClassVar[frozenset[str]] = DDL_WORDS
    #: the statement that releases the session's table locks (MySQL's ``UNLOCK TABLES``), sent
    #: before a failed revision's history row is written while its ``LOCK TABLES`` holds them
    #: (see :meth:`commit_kind`); None where the database has no such locks
    unlock_tables_statement: ClassVar[str | None] = None
    #: appended to every statement in offline SQL
    command_terminator: ClassVar[str] = ";"
    #: a line written after every statement in offline SQL (MSSQL ``GO``, Oracle ``/``), or None
    batch_separator: ClassVar[str | None] = None
    #: offline form of a ``bytes`` value, ``{hex}`` its hex digits (SQL's ``X'...'``)
    binary_literal: ClassVar[str] = "X'{hex}'"
    #: offline statement opening a transaction
    begin_statement: ClassVar[str] = "BEGIN"
    commit_statement: ClassVar[str] = "COMMIT"
    #: whether ``alter_column(type_=)`` drops and adds the CHECK constraints of schema types
    #: (``Enum(native_enum=False)``, ``Boolean(create_constraint=True)``) around the change,
    #: as Alembic does; False where constraints cannot be ALTERed (SQLite: a batch recreates)
    type_change_alters_checks: ClassVar[bool] = True
    #: whether that includes dropping the CHECKs of a schema ``existing_type`` first (Alembic
    #: does, except on MySQL)
    drops_type_checks_on_type_change: ClassVar[bool] = True
    #: whether ``drop_constraint`` needs to know the constraint's kind (MySQL: DROP FOREIGN KEY)
    drop_constraint_requires_type: ClassVar[bool] = False
    #: whether a plugin's own ``add_column`` accepts a plain column (no constraint, index,
    #: comment or schema type) that belongs to no Table; the core then skips building one
    add_column_takes_plain_columns: ClassVar[bool] = False
    #: whether reflection reports each index column's sort order (``column_sorting``, or
    #: :meth:`index_sorting`); when not, autogenerate leaves ASC / DESC / NULLS out
    index_sorting_reflected: ClassVar[bool] = False
    #: patterns (regular expressions, matched from the start) of SQLAlchemy's reflection
    #: warnings for what this dialect's plugin reports itself, silenced while autogenerate
    #: reflects, so the user reads one message
    reflection_warnings_silenced: ClassVar[tuple[str, ...]] = ()
    #: dialect options (without the dialect prefix) that reflection never reads back, which
    #: autogenerate therefore does not compare
    unreflected_options: ClassVar[frozenset[str]] = frozenset()
    #: foreign-key actions besides NO ACTION that mean "none given" (reflection leaves them
    #: out), so autogenerate takes an ``ondelete`` / ``onupdate`` of one of them as unset
    implicit_fk_actions: ClassVar[frozenset[str]] = frozenset()
    #: whether the database keeps a column's ``ON UPDATE`` in its default (MySQL): autogenerate
    #: then writes a model's ``server_onupdate=text(...)`` into the rendered ``server_default``
    on_update_in_default: ClassVar[bool] = False
    #: the batch whose operations run as ALTER statements right now (its ``recreate`` is not
    #: "always" and it needs no recreate), so an error can speak of it; None outside one
    alter_batch: Any = None

    def __init__(
        self,
        dialect: Dialect,
        connection: Connection | None,
        as_sql: bool,
        output_buffer: IO[str] | None,
        context_opts: dict[str, Any],
        transactional_ddl: bool | None = None,
        hooks: Any = None,
    ) -> None:
        self.dialect = dialect
        self.connection = connection
        self.as_sql = as_sql
        self.output_buffer = output_buffer
        self.context_opts = context_opts
        self.hooks = hooks
        if transactional_ddl is not None:
            self.transactional_ddl = transactional_ddl  # type: ignore[misc]
        separator_key = f"{self.dialect_name}_batch_separator"
        if separator_key in context_opts:
            self.batch_separator = context_opts[separator_key]  # type: ignore[misc]
        self.literal_binds = bool(context_opts.get("literal_binds", as_sql))
        if as_sql and connection is None:
            literals.install(dialect, self.offline_literal)
        #: the run's statement queue while a run sends DDL in batches (see runtime/pipeline.py)
        self.pipeline: Any = None
        #: the statements the running revision produced (a
        #: :class:`~mig_core.runtime.progress.StatementLog`), kept by the runner where DDL
        #: commits by itself: a failure's message lists what ran, the history records what took
        #: effect, ``--resume`` skips that; None elsewhere
        self.statement_log: Any = None
        #: whether an ``autocommit_block()`` runs now (MigrationContext sets it): its statements
        #: commit as they run, even where the run lock opens every other transaction itself
        self.in_autocommit_block = False
        #: called with each SQL text statement run online (``op.execute("...")``, ``text()``,
        #: mig's own text), whose DDL SQLAlchemy cannot tell from other statements: a dialect's
        #: impl sets it where the driver keeps what such DDL makes stale (asyncpg's prepared
        #: statements, see mig-postgres); None elsewhere
        self.text_statement_ran: Callable[[Any], None] | None = None

    def offline_literal(self, value: Any, type_: Any) -> str | None:
        """The SQL text of a value in an offline script, or None to let SQLAlchemy write it.

        Here: ``bytes`` in :attr:`binary_literal` form. A dialect's impl extends it for values
        SQLAlchemy writes in a form its server refuses or reads differently.
        """
        digits = literals.hex_bytes(value)
        return None if digits is None else self.binary_literal.format(hex=digits)

    def history_timestamp_type(self) -> Any:
        """The type of the history table's ``started_at`` / ``finished_at`` when mig creates
        the table; a dialect whose plain DATETIME drops the fraction of a second overrides it
        (an existing table is left as it is)."""
        import sqlalchemy as sa

        return sa.DateTime(timezone=True)

    def current_schema(self) -> str | None:
        """The schema an unqualified table is created in on this connection (online): the
        connection's ``schema_translate_map`` for it, else the dialect's default schema."""
        from mig_core.runtime.versions import effective_schema

        if self.connection is None:
            return None
        translated = effective_schema(self.connection, None)
        return translated or self.session_schema()

    def session_schema(self) -> str | None:
        """The connection's default schema; a dialect whose session can change it asks."""
        return self.dialect.default_schema_name  # type: ignore[no-any-return]

    def identifier_rule(self) -> Any:
        """This server's limit on the length of names (an
        :class:`~mig_core.ddl.identifiers.IdentifierRule`), which every operation's names are
        checked against before its first statement; None (the default): no check."""
        return None

    def name_fits(self, name: str) -> bool:
        """Whether the server takes ``name`` whole (within :meth:`identifier_rule`'s limit);
        True where there is no rule. For names mig makes itself (the version table's key)."""
        settings = self._cached_identifier_settings()
        return not settings or bool(settings[0].fits(name))

    def identifier_check(self, operation: Any) -> Any:
        """An :class:`~mig_core.ddl.identifiers.IdentifierCheck` for ``operation`` (an op
        object, named by its ``describe()``, or the text naming it), or None when this dialect
        has no :meth:`identifier_rule`.

        The rule and the dialect's lengths are read once per impl (they do not change during
        a run); the operation's ``describe()`` only when a message needs it.
        """
        settings = self._cached_identifier_settings()
        if not settings:
            return None
        from mig_core.ddl.identifiers import IdentifierCheck

        rule, truncate_at, index_truncate_at, constraint_truncate_at = settings
        return IdentifierCheck(
            rule, operation, truncate_at, index_truncate_at, constraint_truncate_at
        )

    def _cached_identifier_settings(self) -> tuple[Any, ...]:
        settings = self.__dict__.get("_mig_identifier_settings")
        if settings is None:
            settings = self.__dict__["_mig_identifier_settings"] = self._identifier_settings()
        return settings  # type: ignore[no-any-return]

    def _identifier_settings(self) -> tuple[Any, ...]:
        """(rule, max_identifier_length, max_index_name_length, max_constraint_name_length)
        for :meth:`identifier_check`; empty when this dialect has no rule."""
        rule = self.identifier_rule()
        if rule is None:
            return ()
        dialect = self.dialect
        return (
            rule,
            getattr(dialect, "max_identifier_length", None),
            getattr(dialect, "max_index_name_length", None),
            getattr(dialect, "max_constraint_name_length", None),
        )

    # --- output ----------------------------------------------------------------------------
    def static_output(self, text: str) -> None:
        """Write ``text`` and a blank line to the offline SQL output; online (as Alembic) to
        the configured ``output_buffer``, else standard output."""
        buffer = self.output_buffer
        if buffer is None:
            buffer = self.context_opts.get("output_buffer") or sys.stdout
        buffer.write(text + "\n\n")
        flush = getattr(buffer, "flush", None)
        if flush is not None:
            flush()

    def emit_statement_text(self, sql: str) -> None:
        """Write one statement offline: terminator, then the batch separator line if any."""
        text = self.statement_text(sql)
        if not text:
            return
        if self.command_terminator and not text.endswith(self.command_terminator):
            text += self.command_terminator
        if self.batch_separator:
            text += "\n" + self.batch_separator
        self.static_output(text)

    def statement_text(self, sql: str) -> str:
        """A statement's text as the script holds it, before terminator and separator.

        A separator line already ending ``sql`` (``op.execute("... END;\\n/")``) is left out:
        written twice it makes an empty batch (``GO``), or runs the statement again (``/``).
        """
        text = sql.strip()
        separator = (self.batch_separator or "").lower()
        if separator:
            head, _, last = text.rpartition("\n")
            while last.strip().lower() == separator:
                text = head.rstrip()
                head, _, last = text.rpartition("\n")
        return text

    def compile(self, construct: Any) -> str:
        """Compile a SQLAlchemy construct for this dialect (literal values offline)."""
        kw: dict[str, Any] = {}
        ddl_element, sqlalchemy_error = _sql_classes()
        if self.literal_binds and not isinstance(construct, ddl_element):
            kw["compile_kwargs"] = {"literal_binds": True}
            literals.require_values(construct)
        try:
            compiled = construct.compile(dialect=self.dialect, **kw)
        except (MigError, sqlalchemy_error):
            raise
        except Exception as exc:  # a dialect compiler that cannot render this construct
            raise self._cannot_write(construct, exc) from exc
        return str(compiled).replace("\t", "    ").strip()

    def compile_ddl_with(self, compile_fn: Any, element: Any) -> str:
        """:meth:`compile` of a DDL ``element`` whose compilation for this dialect is
        ``compile_fn(element, ddl_compiler)`` (its ``@compiles`` function): the same text and
        errors, without SQLAlchemy's ``compile()`` and ``@compiles`` dispatch around it."""
        dialect = self.dialect
        try:
            # a compiler with no statement of its own: compile_fn writes the element with it
            compiler = dialect.ddl_compiler(dialect, None)  # type: ignore[arg-type]
            text = compile_fn(element, compiler)
        except (MigError, _sql_classes()[1]):
            raise
        except Exception as exc:
            raise self._cannot_write(element, exc) from exc
        return str(text).replace("\t", "    ").strip()

    def _cannot_write(self, construct: Any, exc: Exception) -> CommandError:
        """The error for a dialect compiler that cannot render ``construct``."""
        return CommandError(
            f"cannot write {type(construct).__name__} as SQL for dialect "
            f"{self.dialect.name!r}: {type(exc).__name__}: {exc}"
        )

    # --- execution ---------------------------------------------------------------------------
    def commit_kind(self, sql: Any) -> str | None:
        """How the server commits around ``sql`` where DDL is not transactional (see
        :mod:`mig_core.runtime.progress`): ``COMMITS`` (DDL, or text starting with
        :attr:`implicit_commit_words`), ``LOCKS`` / ``UNLOCKS`` (table locks, MySQL's), or None:
        it waits in the transaction."""
        return COMMITS if commits_by_itself(sql, self.implicit_commit_words) else None

    def session_statement(self, sql: Any) -> bool:
        """Whether ``sql`` only changes the session's state (``SET search_path ...``, ``SET
        foreign_key_checks = 0``), which a new connection lacks: ``--resume`` sends such a
        statement again even among the ones it skips (see :mod:`mig_core.runtime.progress`).
        Here ``SET ...`` but not ``SET TRANSACTION`` / ``LOCAL`` / ``CONSTRAINTS`` (they end
        with their transaction), ``GLOBAL`` / ``PERSIST`` / ``PASSWORD`` / ``DEFAULT ROLE``
        (they outlive the connection), nor MariaDB's ``SET STATEMENT ... FOR``."""
        return sets_session(sql)

    def session_part(self, sql: Any) -> Any | None:
        """What of ``sql`` ``--resume`` sends again when it skips ``sql``: ``sql`` itself when
        :meth:`session_statement`, else None. A dialect that can cut a text of several
        statements returns the ones among them that only set the session's state (see
        :func:`mig_core.ddl.session.session_part`)."""
        return sql if self.session_statement(sql) else None

    def execute(self, sql: Any, execution_options: dict[str, Any] | None = None) -> None:
        """Run a string or SQLAlchemy construct online, or write it offline.

        A plain ``str`` is a user's statement (``op.execute("...")``) and runs as
        ``sqlalchemy.text()``: ``:name`` is a bind parameter, ``\\:`` a colon. SQL text an
        implementation built or read itself is passed as a
        :class:`~mig_core.ddl.statements.CompiledSQL` or
        :class:`~mig_core.ddl.statements.VerbatimSQL` (see :meth:`execute_sql_text`).
        """
        if self.as_sql:
            if isinstance(sql, SQLText):
                text = str(sql)
            elif isinstance(sql, str):  # a user's: ``\\:`` is a colon, as text() writes it
                text = unescape_colons(sql)
            else:
                text = self.compile(sql)
            if text.strip():
                self.emit_statement_text(text)
            return
        log = self.statement_log
        if log is not None and log.skips(sql):  # a resumed revision's statement that ran before
            part = log.take_session_part()
            if part is not None:  # what of it set the session's state, which the new
                assert self.connection is not None  # connection lacks
                from sqlalchemy import text as sql_text

                self.connection.execute(sql_text(part) if isinstance(part, str) else part)
            return
        if isinstance(sql, SQLText):
            self._run_sql_text(sql, execution_options)
            return
        pipeline = self.pipeline
        if pipeline is not None and not execution_options and pipeline.takes(sql):
            pipeline.add(sql)
            if log is not None:  # it runs before the next commit, or the step fails
                log.append(sql)
            return
        from sqlalchemy import text as sql_text

        assert self.connection is not None
        conn = self.connection
        if execution_options:
            conn = conn.execution_options(**execution_options)
        conn.execute(sql_text(sql) if isinstance(sql, str) else sql)
        if self.text_statement_ran is not None:
            self.text_statement_ran(sql)
        if log is not None:
            log.append(sql)

    def execute_sql_text(
        self, sql: str, *, compiled: bool, execution_options: dict[str, Any] | None = None
    ) -> None:
        """Run (or write offline) SQL text this implementation built or read itself, never
        parsed for bind parameters: ``compiled=True`` for text SQLAlchemy's compiler or
        identifier preparer wrote for this dialect (``%`` doubled where the driver reads it),
        ``compiled=False`` for text that must reach the server byte for byte (read from the
        server). Same as ``execute(CompiledSQL(sql))`` / ``execute(VerbatimSQL(sql))``."""
        self.execute(CompiledSQL(sql) if compiled else VerbatimSQL(sql), execution_options)

    def compiled_form(self, text: str) -> str:
        """Verbatim SQL ``text`` in the form this dialect's compiler writes, to join it with
        compiled pieces (quoted names) in one :class:`CompiledSQL`: ``%`` doubled where the
        driver's paramstyle reads it (psycopg2, pymysql). Offline it is left as it is. The
        inverse: :func:`~mig_core.ddl.statements.server_form`."""
        if self.as_sql or not self.dialect.identifier_preparer._double_percents:
            return text
        return text.replace("%", "%%")

    def _run_sql_text(self, sql: SQLText, execution_options: dict[str, Any] | None) -> None:
        """Run mig's own SQL text online as SQLAlchemy runs a DDL element: no bind
        parameters, ``%`` as the driver expects it after SQLAlchemy's compiler.

        ``exec_driver_sql()`` when nothing listens to ``before_execute`` / ``after_execute``
        on the connection or its engine; else (a user's listener, the DDL pipeline's) a
        :class:`sqlalchemy.schema.DDL` element holding the same text, so listeners see the
        statement and the driver gets the same bytes."""
        conn = self.connection
        assert conn is not None
        text = str(sql) if sql.compiled else self.compiled_form(str(sql))
        if listens_to_statements(conn):
            from sqlalchemy.schema import DDL

            # DDL applies ``statement % {}`` and then doubles % where the driver reads it
            if not self.dialect.identifier_preparer._double_percents:
                text = text.replace("%", "%%")
            conn.execute(DDL(text), execution_options=execution_options)
        else:
            conn.exec_driver_sql(text, execution_options=execution_options)
        if self.text_statement_ran is not None:
            self.text_statement_ran(sql)
        if self.statement_log is not None:
            self.statement_log.append(sql)

    def statement_summary(self, sql: Any, width: int = 60) -> str:
        """A statement's first words, for a message (its SQL as this dialect writes it)."""
        try:
            text = sql if isinstance(sql, str) else self.compile(sql)
        except Exception:  # noqa: BLE001 - a message must not fail over a summary
            return type(sql).__name__
        text = " ".join(str(text).split())
        return text if len(text) <= width else text[: width - 3].rstrip() + "..."

    def index_sorting(self, schema: str | None) -> dict[tuple[str, str], dict[str, tuple[str, ...]]]:
        """``{(table, index): {column: ("desc", ...)}}`` for a dialect whose reflection gives no
        ``column_sorting`` but whose catalog has it (autogenerate asks once per schema)."""
        return {}

    def normalize_index_option(self, key: str, value: Any, obj: Any) -> Any:
        """A dialect option of an index or unique constraint (``key`` without the dialect
        prefix; ``value`` the model's or the reflected one, never empty) in the form
        autogenerate compares, for an option the server reports in its own spelling;
        ``obj`` is the model's Index / UniqueConstraint. ``NotImplemented`` (the default)
        leaves it to the core (a ``where`` clause as normalized text, defaults as absent)."""
        return NotImplemented

    def execute_step(self, sql: Any, what: str) -> None:
        """Run one statement of a change made of several; a database error becomes a
        :class:`CommandError` ``"<what> failed: <first line of the database's message>"``."""
        import sqlalchemy as sa

        try:
            self.execute(sql)
        except MigError:
            raise
        except sa.exc.DBAPIError as exc:
            message = str(exc.orig if exc.orig is not None else exc)
            first = (message.splitlines() or [type(exc.orig or exc).__name__])[0]
            raise CommandError(f"{what} failed: {first}") from exc

    def sends_statements_together(self) -> bool:
        """Whether the driver runs several ``;``-separated statements in one ``execute()``.

        When True (and DDL is transactional), runs queue their DDL and send it several
        statements per round trip (:mod:`mig_core.runtime.pipeline`).
        """
        return False

    def emit_script_start(self) -> None:
        """Offline: a run's script begins (called once per run, before its first output).
        Nothing here; mig-oracle starts its scripts with SQL*Plus settings."""

    def emit_begin(self) -> None:
        """Offline: open the script's transaction (only on transactional backends)."""
        self.emit_statement_text(self.begin_statement)

    def emit_commit(self) -> None:
        """Offline: close the script's transaction."""
        self.emit_statement_text(self.commit_statement)

    def invoke(self, op: Any) -> Any:
        """Carry out an operation object through the ``mig_ddl_execute`` hook.

        Returns what the handling hook returned (``create_table``: the Table; else True).
        """
        execute: Any = self.__dict__.get("_mig_ddl_execute")
        if execute is None:
            if self.hooks is None:  # an impl made outside a MigrationContext: the core's own
                from mig_core.builtin.ddl import mig_ddl_execute as execute
            else:
                execute = _direct_ddl_execute(self.hooks) or self.hooks.mig_ddl_execute
            self.__dict__["_mig_ddl_execute"] = execute
        handled = execute(impl=self, op=op)
        if handled is None or handled is False:
            from mig_core.errors import PluginError

            raise PluginError(
                f"no plugin can execute {type(op).__name__} on dialect {self.dialect.name!r}"
            )
        return handled

    # --- quoting helpers -------------------------------------------------------------------------
    def quote_identifier(self, name: str) -> str:
        """``name`` quoted for this dialect when it needs quoting."""
        return self.dialect.identifier_preparer.quote(name)  # type: ignore[no-any-return]

    def format_table_name(self, name: str, schema: str | None = None) -> str:
        """The quoted, schema-qualified table name."""
        preparer = self.dialect.identifier_preparer
        quoted = preparer.quote(name)
        return f"{preparer.quote_schema(schema)}.{quoted}" if schema else quoted

    def render_server_default(self, default: Any) -> str:
        """A server default (string, ``text()``, expression, DefaultClause) as SQL text."""
        from mig_core.ddl.base import format_server_default

        compiler = self.dialect.ddl_compiler(self.dialect, None)  # type: ignore[arg-type]
        return format_server_default(compiler, default)

    def failed_statement_note(self, error: Any) -> str | None:
        """What a statement that failed inside an ``autocommit_block()`` left behind for the
        user to clean up before the revision runs again, as a sentence for the failure's
        message, or None (the default). ``error`` is SQLAlchemy's ``DBAPIError`` (its
        ``statement`` is the failed SQL); the connection still commits each statement, so the
        impl may read the catalog on it (see mig-postgres: a failed ``CREATE INDEX
        CONCURRENTLY`` leaves an INVALID index)."""
        return None

    # --- reflection ----------------------------------------------------------------------------
    def raw_column_rows(
        self, ctx: Any, schema: str | None, names: list[str]
    ) -> dict[str, list[tuple[str, str, bool, str | None, bool, str | None]]] | None:
        """``{table: [(column, type text, nullable, comment, plain, default), ...]}`` (columns
        in table order) for tables ``names`` of ``schema`` as reflection names it, read without
        building types, so autogenerate can settle unchanged tables before reflecting their
        columns (mig_core.autogenerate.settle); ``plain`` is false for a column the core must
        reflect (identity, computed, its own collation ...), ``default`` is the default's text
        as reflection reads it. None (the default): not supported."""
        return None

    def plain_column_record(
        self, ctx: Any, schema: str | None, row: tuple[Any, ...]
    ) -> dict[str, Any] | None:
        """The dict SQLAlchemy's ``get_multi_columns`` would give for the column of ``row`` (one
        of :meth:`raw_column_rows`' rows for ``schema``), every key and value the same and the
        type a new one equal to the reflected type; None where the plugin cannot be sure. Lets
        autogenerate settle tables when ``include_object`` is configured (it is shown these
        columns). None (the default): not supported."""
        return None

    def plain_reflected_type(self, ctx: Any, type_text: str, meta_type: Any) -> Any:
        """The type autogenerate's comparison holds for a reflected column of ``type_text``
        (a type text of :meth:`raw_column_rows`) whose model type is ``meta_type``: a new type
        equal to SQLAlchemy's reflection of it, changed as the plugin's ``mig_compare_table``
        changes reflected types; None where a column of it is never settled."""
        return None

    def missed_foreign_keys(
        self, conn: Any, schema: str | None, table: str, reflected: Set[str]
    ) -> list[dict[str, Any]]:
        """Foreign keys of ``table`` that SQLAlchemy's reflection of this dialect did not
        return (names not in ``reflected``), read by the plugin another way, as reflection's
        ``get_foreign_keys`` records; none by default (see mig-mysql)."""
        return []

    # --- batch ---------------------------------------------------------------------------------
    def requires_recreate_in_batch(self, batch: Any) -> bool:
        """Whether ``batch_alter_table(recreate="auto")`` must move-and-copy the table."""
        return False

    # --- tables --------------------------------------------------------------------------------
    def _ddl_runner(self) -> tuple[Any, Any]:
        """The connection and runner SQLAlchemy's table events get (schema types: PG ENUM).

        Offline, a mock connection routes the events' DDL into the SQL script.
        """
        if self.as_sql or self.connection is None:
            from sqlalchemy.engine.mock import MockConnection

            bind: Any = MockConnection(self.dialect, lambda sql, *a, **k: self.execute(sql))
        else:
            bind = self.connection

        return bind, _DDLRunner()

    def create_table(self, table: sa.Table, *, if_not_exists: bool | None = None) -> None:
        """CREATE TABLE, its schema types (events), indexes, and comments not written inline."""
        from sqlalchemy.schema import CreateIndex, CreateTable

        events = table.dispatch
        if not (events.before_create or events.after_create):  # no schema type, no listener
            self.execute(CreateTable(table, if_not_exists=bool(if_not_exists)))
        else:
            bind, runner = self._ddl_runner()
            events.before_create(table, bind, checkfirst=False, _ddl_runner=runner)
            self.execute(CreateTable(table, if_not_exists=bool(if_not_exists)))
            events.after_create(table, bind, checkfirst=False, _ddl_runner=runner)
        for index in sorted(table.indexes, key=lambda ix: str(ix.name or "")):
            self.execute(CreateIndex(index, if_not_exists=bool(if_not_exists)))
        if self.dialect.supports_comments and not self.dialect.inline_comments:
            if table.comment is not None:
                self.create_table_comment(table)
            for column in table.columns:
                if column.comment is not None:
                    self.create_column_comment(column)

    def drop_table(self, table: sa.Table, *, if_exists: bool | None = None) -> None:
        """DROP TABLE, with the table's before/after drop events."""
        from sqlalchemy.schema import DropTable

        bind, runner = self._ddl_runner()
        table.dispatch.before_drop(table, bind, checkfirst=False, _ddl_runner=runner)
        self.execute(DropTable(table, if_exists=bool(if_exists)))
        table.dispatch.after_drop(table, bind, checkfirst=False, _ddl_runner=runner)

    def rename_table(self, old_table_name: str, new_table_name: str, schema: str | None = None):
        from mig_core.ddl.base import RenameTable

        self.execute(RenameTable(old_table_name, new_table_name, schema=schema))

    def create_table_comment(self, table: sa.Table) -> None:
        from sqlalchemy.schema import SetTableComment

        self._require_comments("create_table_comment", table.name)
        self.execute(SetTableComment(table))

    def drop_table_comment(self, table: sa.Table) -> None:
        from sqlalchemy.schema import DropTableComment

        self._require_comments("drop_table_comment", table.name)
        self.execute(DropTableComment(table))

    def create_column_comment(self, column: sa.Column[Any]) -> None:
        """Set a column's comment (``column.comment``; None removes it)."""
        from mig_core.ddl.base import ColumnComment

        table = column.table
        self._require_comments("comment", f"{table.name}.{column.name}")
        self.execute(
            ColumnComment(
                table.name, column.name, column.comment, schema=table.schema,
                existing_type=column.type, existing_nullable=column.nullable,
            )
        )

    def _require_comments(self, what: str, target: str) -> None:
        if not self.dialect.supports_comments:
            raise CommandError(
                f"{what} on {target!r}: dialect {self.dialect.name!r} does not support comments"
            )

    # --- columns -------------------------------------------------------------------------------
    def add_column(
        self,
        table_name: str,
        column: sa.Column[Any],
        schema: str | None = None,
        *,
        if_not_exists: bool | None = None,
        inline_references: bool | None = None,
        inline_primary_key: bool | None = None,
        **kw: Any,
    ) -> None:
        """ADD COLUMN, then the column's constraints, indexes and comment.

        The constraints, indexes and comment come from the column's Table (``op.add_column``
        attaches it to one). A column attached to none (a library calling the implementation
        directly, as GeoAlchemy2 does) gets the ADD COLUMN alone, as Alembic's gives it.
        Foreign keys are added with ALTER ... ADD CONSTRAINT unless ``inline_references``;
        a primary key only with ``inline_primary_key``.
        """
        import sqlalchemy as sa

        from mig_core.ddl.base import AddColumn

        self.execute(
            AddColumn(
                table_name, column, schema=schema, if_not_exists=if_not_exists,
                inline_references=inline_references, inline_primary_key=inline_primary_key,
            )
        )
        table = getattr(column, "table", None)
        if table is None:
            return
        for constraint in list(table.constraints):
            if isinstance(constraint, sa.PrimaryKeyConstraint):
                continue
            if inline_references and isinstance(constraint, sa.ForeignKeyConstraint):
                continue
            self.add_constraint(constraint)
        for index in sorted(table.indexes, key=lambda ix: str(ix.name or "")):
            self.create_index(index)
        if (
            column.comment is not None
            and self.dialect.supports_comments
            and not self.dialect.inline_comments
        ):
            self.create_column_comment(column)

    def drop_column(
        self,
        table_name: str,
        column: sa.Column[Any] | str,
        schema: str | None = None,
        *,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        from mig_core.ddl.base import DropColumn

        self.execute(DropColumn(table_name, column, schema=schema, if_exists=if_exists))

    def alter_column(
        self,
        table_name: str,
        column_name: str,
        *,
        nullable: bool | None = None,
        server_default: Any = False,
        name: str | None = None,
        type_: Any = None,
        schema: str | None = None,
        autoincrement: bool | None = None,
        comment: Any = False,
        existing_comment: str | None = None,
        existing_type: Any = None,
        existing_server_default: Any = None,
        existing_nullable: bool | None = None,
        existing_autoincrement: bool | None = None,
        **kw: Any,
    ) -> None:
        """One statement per changed aspect: nullability, default, type, comment, then rename.

        ``server_default=False`` leaves the default alone, None drops it; an
        :class:`sqlalchemy.Identity` adds, changes or drops the identity. Dialect keywords come
        as ``<dialect>_<name>`` (``postgresql_using`` becomes ``TYPE ... USING``).
        """
        import sqlalchemy as sa

        from mig_core.ddl import base

        if autoincrement is not None or existing_autoincrement is not None:
            from mig_core.errors import MigWarning

            warnings.warn(
                f"alter_column({table_name!r}, {column_name!r}): autoincrement and "
                f"existing_autoincrement have no effect on dialect {self.dialect.name!r}",
                MigWarning,
                stacklevel=2,
            )
        if existing_server_default is False:
            existing_server_default = None
        existing = {
            "schema": schema,
            "existing_type": existing_type,
            "existing_nullable": existing_nullable,
            "existing_server_default": existing_server_default,
            "existing_comment": existing_comment,
        }
        # refuse before writing anything: on a non-transactional backend a half-applied
        # alter_column would stay half applied
        if server_default is not False and (
            isinstance(server_default, sa.Computed)
            or isinstance(existing_server_default, sa.Computed)
        ):
            raise CommandError(
                f"alter_column({table_name!r}, {column_name!r}): adding, changing or "
                f"removing a computed column default is not supported on "
                f"{self.dialect.name!r}; drop and re-add the column"
            )
        if nullable is not None:
            self.execute(base.ColumnNullable(table_name, column_name, nullable, **existing))
        if server_default is not False:
            old_identity = (
                existing_server_default
                if isinstance(existing_server_default, sa.Identity) else None
            )
            if isinstance(server_default, sa.Identity) or (
                server_default is None and old_identity is not None
            ):
                self.execute(
                    base.IdentityColumnDefault(
                        table_name, column_name, server_default, old_identity, **existing
                    )
                )
            else:
                self.execute(base.ColumnDefault(table_name, column_name, server_default,
                                                **existing))
        if type_ is not None:
            using = kw.get(f"{self.dialect.name}_using")
            self.execute(base.ColumnType(table_name, column_name, type_, using=using, **existing))
        if comment is not False:
            self._require_comments("comment", f"{table_name}.{column_name}")
            self.execute(base.ColumnComment(table_name, column_name, comment, **existing))
        if name is not None:
            self.execute(base.ColumnName(table_name, column_name, name, **existing))

    # --- indexes and constraints -----------------------------------------------------------------
    def create_index(self, index: sa.Index, *, if_not_exists: bool | None = None, **kw: Any):
        from sqlalchemy.schema import CreateIndex

        if index.name is None:
            raise CommandError(
                f"create_index on {index.table.name if index.table is not None else '?'!r}: "
                "the index needs a name (or a naming convention with an 'ix' entry)"
            )
        self.execute(CreateIndex(index, if_not_exists=bool(if_not_exists)))

    def drop_index(self, index: sa.Index, *, if_exists: bool | None = None, **kw: Any) -> None:
        """DROP INDEX; dialects that name the table in it need ``drop_index(name, table_name)``."""
        from sqlalchemy.schema import DropIndex

        from mig_core.operations.constraint_ops import UNKNOWN_TABLE

        statement = DropIndex(index, if_exists=bool(if_exists))
        if index.table is None or index.table.name == UNKNOWN_TABLE:
            try:
                text: str | None = self.compile(statement)
            except Exception:
                text = None
            if text is None or UNKNOWN_TABLE in text:
                raise CommandError(
                    f"drop_index({str(index.name)!r}): dialect {self.dialect.name!r} needs the "
                    "table name: drop_index(index_name, table_name)"
                )
        self.execute(statement)

    def add_constraint(self, const: sa.Constraint) -> None:
        """ALTER TABLE ... ADD CONSTRAINT (unnamed constraints are added unnamed)."""
        from sqlalchemy.schema import AddConstraint

        with warnings.catch_warnings():  # the real compile below warns, once
            warnings.simplefilter("ignore")
            probe = self.dialect.ddl_compiler(self.dialect, None).process(const)  # type: ignore[arg-type]
        if probe is None:  # the dialect has no ALTER form for it (SQLite foreign keys)
            table = getattr(const, "table", None)
            raise CommandError(
                f"add constraint {str(const.name or '(unnamed)')!r} on "
                f"{table.name if table is not None else '?'!r}: dialect {self.dialect.name!r} "
                f"cannot add this {type(const).__name__} with ALTER TABLE"
            )
        self.execute(AddConstraint(const))

    def drop_constraint(self, const: sa.Constraint, *, if_exists: bool | None = None) -> None:
        import sqlalchemy as sa
        from sqlalchemy.schema import DropConstraint

        table = getattr(const, "table", None)
        where = f"on {table.name!r}" if table is not None else ""
        if const.name is None:
            raise CommandError(
                f"drop_constraint {where}: the constraint needs a name (or a naming "
                "convention that gives it one)"
            )
        if self.drop_constraint_requires_type and type(const) is sa.Constraint:
            raise CommandError(
                f"drop_constraint({str(const.name)!r}) {where}: dialect {self.dialect.name!r} "
                "needs type_ ('foreignkey', 'primary', 'unique' or 'check')"
            )
        self.execute(DropConstraint(const, if_exists=bool(if_exists)))

    # --- data ----------------------------------------------------------------------------------
    def bulk_insert(
        self, table: Any, rows: Sequence[Mapping[str, Any]], multiinsert: bool = True
    ) -> None:
        """INSERT ``rows``: online one executemany (per row with SQL-expression values or
        ``multiinsert=False``); offline one INSERT with literal values per row."""
        if not rows:
            return
        if self.as_sql:
            for row in rows:
                self.execute(table.insert().inline().values(self._literal_row(table, row)))
            return
        from sqlalchemy.sql.elements import ClauseElement

        assert self.connection is not None
        table = self._translated_table(table)
        has_sql = any(isinstance(v, ClauseElement) for row in rows for v in row.values())
        log = self.statement_log  # counted as execute() counts its statements
        if multiinsert and not has_sql:
            insert = table.insert()
            if log is None or not log.skips(insert):
                self.connection.execute(insert, [dict(r) for r in rows])
                if log is not None:
                    log.append(insert)
        else:
            for row in rows:
                insert = table.insert().values(dict(row))
                if log is None or not log.skips(insert):
                    self.connection.execute(insert)
                    if log is not None:
                        log.append(insert)

    def _translated_table(self, table: Any) -> Any:
        """``table`` as the connection's ``schema_translate_map`` places it: SQLAlchemy applies
        the map to a ``Table``, not to the ``sa.table()`` a migration usually passes, which
        would then reach the default schema's table of that name."""
        from mig_core.runtime.versions import effective_schema

        if getattr(table, "_use_schema_map", True) or self.connection is None:
            return table
        schema = effective_schema(self.connection, table.schema)
        if schema == table.schema:
            return table
        import sqlalchemy as sa

        columns = [sa.column(c.name, c.type) for c in table.c]
        return sa.table(table.name, *columns, schema=schema)

    @staticmethod
    def _literal_row(table: Any, row: Mapping[str, Any]) -> dict[str, Any]:
        """Row values as literals typed by the table's columns (Python type when untyped).

        None is SQL NULL, except in a JSON column, where it is what the column's type makes
        of it online (JSON ``null`` unless ``none_as_null=True``): see :mod:`.literals`.
        """
        import sqlalchemy as sa
        from sqlalchemy.sql.elements import ClauseElement
        from sqlalchemy.types import NullType

        out: dict[str, Any] = {}
        for key, value in row.items():
            column = table.c.get(key) if hasattr(table.c, "get") else None
            type_ = column.type if column is not None else None
            if isinstance(value, ClauseElement):
                out[key] = value
            elif type_ is None or isinstance(type_, NullType):
                out[key] = sa.null() if value is None else sa.literal(value)
            else:  # None too: the offline compiler asks its type (literals.OfflineLiterals)
                out[key] = sa.literal(value, type_)
        return out
