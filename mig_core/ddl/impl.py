"""DefaultImpl: executes DDL on a connection, or writes it as SQL text (offline ``--sql``).

Dialect plugins subclass it and override only what differs. Operations reach it through the
``mig_ddl_execute`` hook, so a plugin can take any operation over on its dialect.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Dialect


class DefaultImpl:
    """Generic implementation; subclasses set the class attributes for their dialect."""

    #: SQLAlchemy dialect name this implementation serves
    dialect_name: ClassVar[str] = "default"
    #: whether DDL runs inside transactions (offline: whether BEGIN/COMMIT frame the script)
    transactional_ddl: ClassVar[bool] = False
    #: appended to every statement in offline SQL
    command_terminator: ClassVar[str] = ";"
    #: a line written after every statement in offline SQL (MSSQL ``GO``, Oracle ``/``), or None
    batch_separator: ClassVar[str | None] = None
    #: offline statement opening a transaction
    begin_statement: ClassVar[str] = "BEGIN"
    commit_statement: ClassVar[str] = "COMMIT"

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

    # --- output ----------------------------------------------------------------------------
    def static_output(self, text: str) -> None:
        """Write ``text`` and a newline to the offline SQL output."""
        assert self.output_buffer is not None, "static_output needs an output buffer"
        self.output_buffer.write(text + "\n\n")
        flush = getattr(self.output_buffer, "flush", None)
        if flush is not None:
            flush()

    def emit_statement_text(self, sql: str) -> None:
        """Write one statement offline: terminator, then the batch separator line if any."""
        text = sql.strip()
        if self.command_terminator and not text.endswith(self.command_terminator):
            text += self.command_terminator
        if self.batch_separator:
            text += "\n" + self.batch_separator
        self.static_output(text)

    def compile(self, construct: Any) -> str:
        """Compile a SQLAlchemy construct for this dialect (literal values offline)."""
        kw: dict[str, Any] = {}
        from sqlalchemy.sql.ddl import ExecutableDDLElement

        if self.literal_binds and not isinstance(construct, ExecutableDDLElement):
            kw["compile_kwargs"] = {"literal_binds": True}
        return str(construct.compile(dialect=self.dialect, **kw)).replace("\t", "    ").strip()

    # --- execution ---------------------------------------------------------------------------
    def execute(self, sql: Any, execution_options: dict[str, Any] | None = None) -> None:
        """Run a string or SQLAlchemy construct online, or write it offline."""
        if self.as_sql:
            text = sql if isinstance(sql, str) else self.compile(sql)
            self.emit_statement_text(text)
            return
        from sqlalchemy import text as sql_text

        assert self.connection is not None
        conn = self.connection
        if execution_options:
            conn = conn.execution_options(**execution_options)
        conn.execute(sql_text(sql) if isinstance(sql, str) else sql)

    def emit_begin(self) -> None:
        """Offline: open the script's transaction (only on transactional backends)."""
        self.emit_statement_text(self.begin_statement)

    def emit_commit(self) -> None:
        """Offline: close the script's transaction."""
        self.emit_statement_text(self.commit_statement)

    def invoke(self, op: Any) -> None:
        """Carry out an operation object through the ``mig_ddl_execute`` hook."""
        handled = self.hooks.mig_ddl_execute(impl=self, op=op) if self.hooks else None
        if not handled:
            from mig_core.errors import PluginError

            raise PluginError(
                f"no plugin can execute {type(op).__name__} on dialect {self.dialect.name!r}"
            )
