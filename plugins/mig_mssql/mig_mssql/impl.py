"""The SQL Server DDL implementation: what differs from DefaultImpl on ``mssql``.

The T-SQL text of the ALTER constructs lives in :mod:`mig_mssql.ddl`; this class decides which
statements an operation needs (the default-constraint dance, restating types, IDENTITY_INSERT
around offline inserts, guards where SQL Server has no ``IF NOT EXISTS``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mig_core.ddl.impl import DefaultImpl
from mig_core.ddl.session import lexer, session_part, split_outside, statement_text
from mig_core.errors import CommandError, MigWarning
from mig_mssql import compare, ddl, names, offline
from mig_mssql.compare import TYPE_SYNONYMS

if TYPE_CHECKING:
    import sqlalchemy as sa

#: the ``mssql_*`` keywords ``drop_column`` understands, each naming a constraint kind
DROP_COLUMN_OPTIONS = {f"mssql_drop_{kind}": kind for kind in ddl.CONSTRAINT_KINDS}
#: the table name the core gives ``drop_index`` when it was called without one
UNKNOWN_TABLE = "_mig_unknown"
#: what ``drop_column`` drops when not told: the default constraint, which would block it
DROP_COLUMN_DEFAULTS = {"mssql_drop_default": True}

#: T-SQL comments and quoted text: strings (``N'...'`` too), ``[names]`` and ``"names"``
_TOKENS = lexer(r"--[^\n]*|/\*.*?\*/",
                r"N?'(?:[^']|'')*'|\[(?:[^\]]|\]\])*\]|\"(?:[^\"]|\"\")*\"")
_WORD = re.compile(r"[A-Za-z_@#][\w@#$]*")
#: words that begin a T-SQL statement: T-SQL needs no ``;`` between statements, so a SET
#: followed by one of them in the same text (``SET IDENTITY_INSERT t ON INSERT ...``) is more
#: than a session setting
_STATEMENT_WORDS = frozenset({
    "select", "insert", "update", "delete", "merge", "create", "alter", "drop", "truncate",
    "exec", "execute", "declare", "begin", "end", "commit", "rollback", "save", "if", "else",
    "while", "break", "continue", "print", "grant", "revoke", "deny", "with", "waitfor",
    "raiserror", "throw", "return", "goto", "bulk", "dbcc", "backup", "restore", "kill", "open",
    "fetch", "close", "deallocate", "checkpoint", "reconfigure", "shutdown", "use", "set",
    "revert", "enable", "disable", "receive", "send", "readtext", "writetext", "updatetext",
})


def only_sets_session(text: str) -> bool:
    """Whether each statement of ``text`` sets the session's state: a ``SET``, ``USE db``,
    ``EXEC sp_set_session_context ...``, ``EXECUTE AS ...`` or ``REVERT``, with no other
    statement after it."""
    pieces = _statements(text)
    return bool(pieces) and all(_sets_session(piece) for piece in pieces)


def _statements(text: str) -> list[str]:
    return split_outside(text, _TOKENS, ";")


def _sets_session(sql: str) -> bool:
    words = [w.lower() for w in _WORD.findall(_TOKENS.sub(_blank_quoted, sql))]
    if words[:1] in (["set"], ["use"], ["revert"]):
        rest = words[1:]
    elif words[:2] in (["exec", "as"], ["execute", "as"]):
        rest = words[2:]
    elif words[:1] in (["exec"], ["execute"]):
        name_at = 2 if words[1:2] == ["sys"] else 1
        if words[name_at:name_at + 1] != ["sp_set_session_context"]:
            return False
        rest = words[name_at + 1:]
    else:
        return False
    return not _STATEMENT_WORDS.intersection(rest)


def _blank_quoted(match: re.Match[str]) -> str:
    """A string, quoted name or comment as a blank (its words are no statement's); any other
    character as it is."""
    return match.group() if match.group("char") is not None else " "


class MSSQLImpl(DefaultImpl):
    """SQL Server: transactional DDL, ``GO`` after every offline statement."""

    dialect_name = "mssql"
    transactional_ddl = True
    batch_separator = "GO"
    binary_literal = "0x{hex}"
    begin_statement = "BEGIN TRANSACTION"
    #: autogenerate: type names SQL Server reflects differently (see compare.py)
    type_synonyms = TYPE_SYNONYMS

    def session_statement(self, sql: Any) -> bool:
        """Every T-SQL ``SET`` (``SET XACT_ABORT ON``, ``SET IDENTITY_INSERT t ON``, even
        ``SET TRANSACTION ISOLATION LEVEL``: they last for the session), ``USE db``, ``EXEC
        sp_set_session_context``, ``EXECUTE AS`` and ``REVERT``; a text of several statements
        when each one is such (and nothing follows one without a ``;``)."""
        text = statement_text(sql)
        return text is not None and only_sets_session(text)

    def session_part(self, sql: Any) -> Any | None:
        """Of a text of several statements, the ones that only set the session's state."""
        return session_part(sql, _statements, _sets_session)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._variables = 0
        if self.as_sql and self.connection is None:
            # no server to ask: write for SQL Server 2012 and later, values as it reads them
            offline.configure_offline(self.dialect)

    def offline_literal(self, value: Any, type_: Any) -> str | None:
        """Datetimes, dates and non-ASCII text as SQL Server reads them (:mod:`.offline`)."""
        return offline.literal(value, type_) or super().offline_literal(value, type_)

    def identifier_rule(self) -> Any:
        """Names longer than 128 characters are refused before an operation runs (names.py)."""
        return names.RULE

    def normalize_index_option(self, key: str, value: Any, obj: Any) -> Any:
        """``mssql_where`` compared as SQL Server writes a filter (``([a]>(1))``), see
        :func:`mig_mssql.compare.normalize_filter`; other options as the core compares them."""
        return compare.index_option(self.dialect, key, value)

    # --- statements ------------------------------------------------------------------------
    def execute(self, sql: Any, execution_options: dict[str, Any] | None = None) -> None:
        """Run or write ``sql``; ``CREATE TABLE / INDEX ... IF NOT EXISTS`` become IF guards."""
        from sqlalchemy.schema import CreateIndex, CreateTable

        if isinstance(sql, (CreateTable, CreateIndex)) and sql.if_not_exists:
            sql = ddl.IfMissing(sql.element)
        super().execute(sql, execution_options)

    def statement_text(self, sql: str) -> str:
        """Without a batch separator (``mssql_batch_separator=None``) the script is one batch,
        where a procedure, view, trigger or function cannot be created: refused, naming it,
        instead of a script whose next statements would become its body."""
        text = super().statement_text(sql)
        if not self.batch_separator:
            opening = offline.needs_own_batch(text)
            if opening is not None:
                raise CommandError(
                    f"{opening} must start a batch of its own, and this SQL script has no "
                    f"batch separator (mssql_batch_separator=None): keep 'GO', or run "
                    f"{' '.join(text.split())[:60]!r} separately"
                )
        return text

    def _variable(self) -> str:
        """The dynamic-SQL variable for the next constraint-dropping batch.

        ``@mig_sql`` while every statement is its own batch; numbered when an offline script
        has no batch separator, so the DECLAREs of one batch cannot collide.
        """
        if not self.as_sql or self.batch_separator:
            return ddl.DEFAULT_VARIABLE
        self._variables += 1
        return f"{ddl.DEFAULT_VARIABLE}_{self._variables}"

    def _drop_constraints(
        self, table_name: str, column_name: str, kinds: Sequence[str], schema: str | None
    ) -> None:
        self.execute(
            ddl.DropColumnConstraints(
                table_name, column_name, kinds, schema=schema, variable=self._variable()
            )
        )

    # --- tables and comments -----------------------------------------------------------------
    def create_table_comment(self, table: sa.Table, existing_comment: str | None = None) -> None:
        """Add the table's ``MS_Description`` (update it when ``existing_comment`` is given)."""
        self._require_comments("create_table_comment", table.name)
        self.execute(
            ddl.TableComment(
                table.name, table.comment, table.schema, existing_comment=existing_comment
            )
        )

    def drop_table_comment(self, table: sa.Table) -> None:
        self._require_comments("drop_table_comment", table.name)
        self.execute(ddl.TableComment(table.name, None, table.schema))

    # --- columns -----------------------------------------------------------------------------
    def drop_column(
        self,
        table_name: str,
        column: sa.Column[Any] | str,
        schema: str | None = None,
        *,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        """DROP COLUMN, first dropping the column's constraints that would block it.

        Its default constraint always (SQL Server cannot drop a column that has one; pass
        ``mssql_drop_default=False`` to skip the lookup); its CHECK and FOREIGN KEY
        constraints with ``mssql_drop_check=True`` / ``mssql_drop_foreign_key=True``.
        """
        column_name = column if isinstance(column, str) else column.name
        for key in kw:
            if key.startswith("mssql_") and key not in DROP_COLUMN_OPTIONS:
                raise CommandError(
                    f"drop_column({table_name!r}, {column_name!r}): unknown SQL Server option "
                    f"{key!r} (known: {', '.join(DROP_COLUMN_OPTIONS)})"
                )
        wanted = {**DROP_COLUMN_DEFAULTS, **kw}
        kinds = [kind for key, kind in DROP_COLUMN_OPTIONS.items() if wanted.get(key)]
        if kinds:
            self._drop_constraints(table_name, column_name, kinds, schema)
        super().drop_column(table_name, column, schema, if_exists=if_exists)

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
        """SQL Server's ALTER COLUMN restates type and nullability in one statement.

        Order: drop the default constraint (a default change, or a type change the existing
        default would block), ``ALTER COLUMN <type> [NOT] NULL``, add the new (or restore the
        existing) default, the comment, and last the rename through ``sp_rename``.
        """
        import sqlalchemy as sa

        from mig_core.ddl import base

        where = f"alter_column({table_name!r}, {column_name!r})"
        if nullable is not None and type_ is None and existing_type is None:
            raise CommandError(
                f"{where}: SQL Server restates the column type to change NULL / NOT NULL; "
                "pass existing_type= (or type_=)"
            )
        if existing_server_default is False:
            existing_server_default = None
        generated = (sa.Identity, sa.Computed)
        if server_default is not False:
            for default in (server_default, existing_server_default):
                if isinstance(default, generated):
                    kind = "IDENTITY" if isinstance(default, sa.Identity) else "a computed column"
                    raise CommandError(
                        f"{where}: SQL Server cannot add, change or drop {kind} with ALTER "
                        "COLUMN; add a new column (or recreate the table) and copy the data"
                    )
        # an IDENTITY or computed column has no default constraint to drop and restore
        restorable = None if isinstance(existing_server_default, generated) else (
            existing_server_default
        )
        if autoincrement is not None or existing_autoincrement is not None:
            warnings.warn(
                f"{where}: autoincrement and existing_autoincrement have no effect on SQL "
                "Server (IDENTITY cannot be altered)",
                MigWarning,
                stacklevel=2,
            )
        for key in kw:
            if key.startswith("mssql_"):
                raise CommandError(f"{where}: unknown SQL Server option {key!r}")
        existing = {
            "schema": schema,
            "existing_type": existing_type,
            "existing_server_default": existing_server_default,
            "existing_comment": existing_comment,
        }
        changes_default = server_default is not False
        restores_default = type_ is not None and not changes_default and restorable is not None
        if changes_default or restores_default:
            self._drop_constraints(table_name, column_name, ["default"], schema)
        if type_ is not None:
            null = nullable if nullable is not None else existing_nullable
            if null is None:
                warnings.warn(
                    f"{where}: changing the type without nullable= or existing_nullable= lets "
                    "SQL Server decide NULL / NOT NULL (usually NULL)",
                    MigWarning,
                    stacklevel=2,
                )
            self.execute(
                base.ColumnType(
                    table_name, column_name, type_, **{**existing, "existing_nullable": null}
                )
            )
        elif nullable is not None:
            self.execute(
                base.ColumnNullable(
                    table_name, column_name, nullable, existing_nullable=existing_nullable,
                    **existing,
                )
            )
        new_default = server_default if changes_default else restorable
        if (changes_default or restores_default) and new_default is not None:
            self.execute(base.ColumnDefault(table_name, column_name, new_default, **existing))
        if comment is not False:
            self._require_comments("comment", f"{table_name}.{column_name}")
            self.execute(base.ColumnComment(table_name, column_name, comment, **existing))
        if name is not None:
            self.execute(base.ColumnName(table_name, column_name, name, **existing))

    # --- indexes -------------------------------------------------------------------------------
    def create_index(self, index: sa.Index, *, if_not_exists: bool | None = None, **kw: Any):
        """CREATE INDEX; ``mssql_include`` names are added to an operation's stub table."""
        import sqlalchemy as sa
        from sqlalchemy.types import NULLTYPE

        table = index.table
        if table is not None:
            for extra in index.dialect_options["mssql"]["include"] or ():
                if isinstance(extra, str) and extra not in table.c:
                    table.append_column(sa.Column(extra, NULLTYPE))
        super().create_index(index, if_not_exists=if_not_exists, **kw)

    def drop_index(self, index: sa.Index, *, if_exists: bool | None = None, **kw: Any) -> None:
        """``DROP INDEX ix ON t``: SQL Server needs the table."""
        table = index.table
        if table is None or table.name == UNKNOWN_TABLE:
            raise CommandError(
                f"drop_index({index.name!r}): SQL Server's DROP INDEX names the table; pass "
                "table_name"
            )
        super().drop_index(index, if_exists=if_exists, **kw)

    # --- data ----------------------------------------------------------------------------------
    def bulk_insert(
        self, table: Any, rows: Sequence[Mapping[str, Any]], multiinsert: bool = True
    ) -> None:
        """Offline, rows that give an IDENTITY column a value are wrapped in
        ``SET IDENTITY_INSERT ... ON`` / ``OFF`` (online, SQLAlchemy does that itself).

        Rows go in runs that need the same switch, so a row that leaves the IDENTITY column to
        the server is never inserted while IDENTITY_INSERT is on.
        """
        if not self.as_sql or not rows:
            super().bulk_insert(table, rows, multiinsert)
            return
        import sqlalchemy as sa

        identity: set[str] | None = None  # None: unknown until the script runs
        if isinstance(table, sa.Table):
            identity = {
                column.key
                for column in table.columns
                if column.identity is not None or column is table.autoincrement_column
            }

        def run_key(row: Mapping[str, Any]) -> Any:
            if identity is None:
                return tuple(sorted(str(key) for key in row))
            return bool(identity.intersection(row))

        run: list[Mapping[str, Any]] = []
        for row in rows:
            if run and run_key(row) != run_key(run[0]):
                self._insert_run(table, run, identity, multiinsert)
                run = []
            run.append(row)
        self._insert_run(table, run, identity, multiinsert)

    def _insert_run(
        self,
        table: Any,
        rows: Sequence[Mapping[str, Any]],
        identity: set[str] | None,
        multiinsert: bool,
    ) -> None:
        """INSERT ``rows``, switching IDENTITY_INSERT around them when they need it.

        ``identity`` names the table's IDENTITY column(s); None (``sa.table()``) makes the
        script ask ``sys.identity_columns`` when it runs.
        """
        from mig_core.ddl.base import format_table_name

        compiler = self.dialect.ddl_compiler(self.dialect, None)  # type: ignore[arg-type]
        schema = getattr(table, "schema", None)
        name = format_table_name(compiler, table.name, schema)
        columns = [str(key) for key in rows[0]]
        switches: list[str] = []
        if identity is None:
            condition = (
                "EXISTS (SELECT 1 FROM sys.identity_columns WHERE object_id = "
                f"OBJECT_ID({ddl.object_name(compiler, table.name, schema)}) AND name IN "
                f"({', '.join(ddl.nstring(column) for column in columns)}))"
            )
            switches = [
                ddl.guarded(condition, f"SET IDENTITY_INSERT {name} {state}")
                for state in ("ON", "OFF")
            ]
        elif identity.intersection(columns):
            switches = [f"SET IDENTITY_INSERT {name} {state}" for state in ("ON", "OFF")]
        if switches:
            self.execute(switches[0])
        super().bulk_insert(table, rows, multiinsert)
        if switches:
            self.execute(switches[1])


def execute_operation(impl: Any, op: Any) -> bool | None:
    """Operations the plugin carries out itself (the ``mig_ddl_execute`` hook's body).

    ``create_table_comment`` with ``existing_comment`` must update the extended property, which
    the core's dispatch does not pass on. Returns None for every other operation.
    """
    from mig_core.operations import ops
    from mig_core.operations.schemaobj import SchemaObjects

    if isinstance(op, ops.CreateTableCommentOp) and isinstance(impl, MSSQLImpl):
        table = op.to_table(SchemaObjects.for_options(impl.context_opts))
        impl.create_table_comment(table, existing_comment=op.existing_comment)
        return True
    return None
