"""The Oracle DDL implementation: only what differs from :class:`DefaultImpl`.

- Offline scripts: no ``BEGIN`` / ``COMMIT`` (Oracle DDL commits by itself), no ``;`` after a
  statement, a ``/`` line after each one (``oracle_batch_separator`` changes or removes it).
- Columns: ``ADD c ...``; type, default and nullability changed in one ``MODIFY`` statement;
  identities changed with ``MODIFY c GENERATED ...`` / ``DROP IDENTITY``; comments with
  ``COMMENT ON`` (SQL in :mod:`mig_oracle.ddl`).
- ``if_exists`` / ``if_not_exists`` become PL/SQL blocks ignoring one error code
  (:func:`mig_oracle.ddl.guarded`), which every Oracle version runs.
- Sequences that columns use (``sa.Column("id", sa.Integer, sa.Sequence("s"))``) are created
  with their table or column and dropped with their table.
- Every name an operation writes is checked against the identifier length limit before its
  first statement (:mod:`mig_oracle.names`), and so are foreign-key options Oracle lacks: a
  non-transactional database must not be left with half an operation applied.
"""

from __future__ import annotations

import copy
import datetime
from typing import TYPE_CHECKING, Any

from mig_core.ddl.impl import DefaultImpl
from mig_core.ddl.session import sets_session, statement_text
from mig_core.ddl.statements import first_words
from mig_core.errors import CommandError
from mig_oracle import compare, ddl, names, offline, target

if TYPE_CHECKING:
    import sqlalchemy as sa

#: the only ON DELETE actions Oracle has ("no action" is its behaviour without the clause)
ON_DELETE_ACTIONS = ("CASCADE", "SET NULL")


def _guards() -> list[tuple[type, str, list[int]]]:
    """SQLAlchemy DDL constructs whose IF [NOT] EXISTS flag becomes a guarded statement."""
    from sqlalchemy import schema

    return [
        (schema.CreateTable, "if_not_exists", [ddl.ORA_NAME_IN_USE]),
        (schema.DropTable, "if_exists", [ddl.ORA_TABLE_MISSING]),
        (schema.CreateIndex, "if_not_exists", [ddl.ORA_NAME_IN_USE]),
        (schema.DropIndex, "if_exists", [ddl.ORA_INDEX_MISSING]),
        (schema.CreateSequence, "if_not_exists", [ddl.ORA_NAME_IN_USE]),
        (schema.DropSequence, "if_exists", [ddl.ORA_SEQUENCE_MISSING]),
        (schema.DropConstraint, "if_exists", [ddl.ORA_CONSTRAINT_MISSING]),
    ]


#: SQL*Plus / SQLcl settings a script with ``/`` lines starts with: no ``&`` substitution (a
#: value ``'R&D'`` or a URL's ``?a=1&b=2`` would prompt for a variable, or take its value), and
#: blank lines kept inside a statement (by default a blank line ends a SQL command)
SCRIPT_SETTINGS = ("SET DEFINE OFF", "SET SQLBLANKLINES ON")


class OracleImpl(DefaultImpl):
    """Oracle: non-transactional DDL, ``/``-separated scripts, ``MODIFY`` for columns."""

    dialect_name = "oracle"
    transactional_ddl = False
    binary_literal = "HEXTORAW('{hex}')"
    #: reflection reports each index column's sort order (``column_sorting``)
    index_sorting_reflected = True
    command_terminator = ""
    batch_separator = "/"
    #: only written when a run forces ``transactional_ddl=True``
    begin_statement = "SET TRANSACTION READ WRITE"
    #: for the core's type comparison (the plugin's ``mig_compare_type`` normally decides first)
    type_synonyms = compare.TYPE_SYNONYMS + (compare.EXACT_NUMBERS,)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        target.configure_target(self.dialect, self.context_opts, offline=self.connection is None)
        names.configure_limit(self.dialect, self.context_opts)
        self._guard_table: list[tuple[type, str, list[int]]] | None = None
        self._settings_pending = False

    def offline_literal(self, value: Any, type_: Any) -> str | None:
        """A datetime with a time zone as ``TO_TIMESTAMP_TZ(...)``: SQLAlchemy writes it as
        ``TO_DATE('... +00:00', 'YYYY-MM-DD HH24:MI:SS')``, which Oracle refuses (ORA-01830).
        A long string in pieces (:func:`mig_oracle.offline.literal`)."""
        pieces = offline.literal(value)
        if pieces is not None:
            return pieces
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            offset = value.strftime("%z")
            text = f"{value:%Y-%m-%d %H:%M:%S.%f} {offset[:3]}:{offset[3:5]}"
            return f"TO_TIMESTAMP_TZ('{text}', 'YYYY-MM-DD HH24:MI:SS.FF TZH:TZM')"
        return super().offline_literal(value, type_)

    def normalize_index_option(self, key: str, value: Any, obj: Any) -> Any:
        """``oracle_compress`` compared as the prefix length Oracle reflects (``True`` is its
        default length for the index), see :func:`mig_oracle.compare.index_option`."""
        return compare.index_option(key, value, obj)

    # --- statements ------------------------------------------------------------------------
    def commit_kind(self, sql: Any) -> str | None:
        """As DDL, but ``ALTER SESSION`` and ``ALTER SYSTEM`` commit nothing (Oracle's "Types
        of SQL Statements": they are session and system control statements, not DDL)."""
        text = statement_text(sql)
        if text is not None and first_words(text, 2) in (["alter", "session"],
                                                         ["alter", "system"]):
            return None
        return super().commit_kind(sql)

    def session_statement(self, sql: Any) -> bool:
        """``ALTER SESSION ...`` and ``SET ROLE`` (not ``SET TRANSACTION`` / ``CONSTRAINTS``)."""
        text = statement_text(sql)
        return text is not None and (sets_session(text)
                                     or first_words(text, 2) == ["alter", "session"])

    def execute(self, sql: Any, execution_options: dict[str, Any] | None = None) -> None:
        """Run or write ``sql``; SQLAlchemy's IF [NOT] EXISTS forms become guarded blocks."""
        super().execute(self._guarded(sql), execution_options)

    def compile(self, construct: Any) -> str:
        """Compile for Oracle; a CREATE TABLE from outside the operations (the version table)
        has its names checked too."""
        from sqlalchemy.schema import CreateTable

        if isinstance(construct, CreateTable):
            table = construct.element
            self._check(f"create table {table.name!r}").whole_table(table)
        return super().compile(construct)

    def emit_script_start(self) -> None:
        """A run's script for SQL*Plus / SQLcl (a ``/`` separator) starts with
        :data:`SCRIPT_SETTINGS`, written with its first output."""
        if self.batch_separator == "/":
            self._settings_pending = True

    def static_output(self, text: str) -> None:
        if self._settings_pending:
            self._settings_pending = False
            super().static_output("\n".join(SCRIPT_SETTINGS))
        super().static_output(text)

    def statement_text(self, sql: str) -> str:
        """A SQL statement's own trailing ``;`` is left out where a ``/`` line follows, or
        SQL*Plus would run it twice (:func:`mig_oracle.ddl.script_statement`); lines too long
        for SQL*Plus are broken (:func:`mig_oracle.offline.wrap_long_lines`)."""
        text = offline.wrap_long_lines(super().statement_text(sql))
        return ddl.script_statement(text) if self.batch_separator else text

    def _guarded(self, sql: Any) -> Any:
        if isinstance(sql, str):
            return sql
        if self._guard_table is None:
            self._guard_table = _guards()
        for cls, flag, codes in self._guard_table:
            if isinstance(sql, cls) and getattr(sql, flag, False):
                plain = copy.copy(sql)
                setattr(plain, flag, False)
                return ddl.GuardedStatement(plain, codes)
        return sql

    def name_fits(self, name: str) -> bool:
        """Within the identifier limit in force (bytes): this impl checks names itself."""
        return names.rule_for(self.dialect).fits(name)

    def _check(self, where: str) -> names.IdentifierCheck:
        return names.IdentifierCheck(self.dialect, where)

    def _check_identity(self, columns: Any, where: str) -> None:
        """Identity columns need Oracle 12c (SQLAlchemy would silently leave them out)."""
        if getattr(self.dialect, "supports_identity_columns", True):
            return
        for column in columns:
            if getattr(column, "identity", None) is not None:
                raise CommandError(
                    f"{where}: Oracle before 12c has no identity columns ({column.name!r}); "
                    "use sa.Sequence(...) for it instead"
                )

    # --- sequences used by columns ---------------------------------------------------------------
    def _sequences(self, columns: Any) -> list[sa.Sequence]:
        """The Sequence defaults of ``columns`` that Oracle needs created (as create_all does)."""
        out = []
        optional_ok = getattr(self.dialect, "sequences_optional", False)
        for column in columns:
            default = getattr(column, "default", None)
            if default is None or not getattr(default, "is_sequence", False):
                continue
            if default.optional and optional_ok:
                continue
            out.append(default)
        return out

    def _create_sequences(self, columns: Any, if_not_exists: bool | None) -> None:
        from sqlalchemy.schema import CreateSequence

        for sequence in self._sequences(columns):
            self.execute(CreateSequence(sequence, if_not_exists=bool(if_not_exists)))

    # --- tables ----------------------------------------------------------------------------------
    def create_table(self, table: sa.Table, *, if_not_exists: bool | None = None) -> None:
        check = self._check(f"create_table({table.name!r})")
        check.whole_table(table)
        self._check_identity(table.columns, check.where)
        for constraint in table.constraints:
            self._check_foreign_key(constraint, check.where)
        self._create_sequences(table.columns, if_not_exists)
        super().create_table(table, if_not_exists=if_not_exists)

    def drop_table(self, table: sa.Table, *, if_exists: bool | None = None) -> None:
        from sqlalchemy.schema import DropSequence

        self._check(f"drop_table({table.name!r})").table(table.name, table.schema)
        super().drop_table(table, if_exists=if_exists)
        for sequence in self._sequences(table.columns):
            self.execute(DropSequence(sequence, if_exists=bool(if_exists)))

    def rename_table(
        self, old_table_name: str, new_table_name: str, schema: str | None = None
    ) -> None:
        check = self._check(f"rename_table({old_table_name!r})")
        check.table(old_table_name, schema)
        check.name("table", new_table_name)
        super().rename_table(old_table_name, new_table_name, schema=schema)

    def create_table_comment(self, table: sa.Table) -> None:
        self._check(f"create_table_comment({table.name!r})").table(table.name, table.schema)
        super().create_table_comment(table)

    def drop_table_comment(self, table: sa.Table) -> None:
        self._check(f"drop_table_comment({table.name!r})").table(table.name, table.schema)
        super().drop_table_comment(table)

    # --- columns ---------------------------------------------------------------------------------
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
        check = self._check(f"add_column({table_name!r}, {column.name!r})")
        check.table(table_name, schema)
        check.column(column)
        self._check_identity([column], check.where)
        table = column.table
        for constraint in table.constraints:
            if not isinstance(constraint, _primary_key_class()):
                check.constraint(constraint)
                self._check_foreign_key(constraint, check.where)
        for index in table.indexes:
            check.constraint(index)
        self._create_sequences([column], if_not_exists)
        super().add_column(
            table_name, column, schema, if_not_exists=if_not_exists,
            inline_references=inline_references, inline_primary_key=inline_primary_key, **kw,
        )

    def drop_column(
        self,
        table_name: str,
        column: sa.Column[Any] | str,
        schema: str | None = None,
        *,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        column_name = column if isinstance(column, str) else column.name
        check = self._check(f"drop_column({table_name!r}, {column_name!r})")
        check.table(table_name, schema)
        check.name("column", column_name)
        super().drop_column(table_name, column, schema, if_exists=if_exists, **kw)

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
        existing_type: Any = None,
        existing_server_default: Any = None,
        existing_nullable: bool | None = None,
        existing_comment: str | None = None,
        **kw: Any,
    ) -> None:
        """Type, default and nullability in one ``MODIFY``; then identity, comment, rename.

        Everything Oracle cannot do is refused before the first statement.
        """
        import sqlalchemy as sa

        where = f"alter_column({table_name!r}, {column_name!r})"
        check = self._check(where)
        check.table(table_name, schema)
        check.name("column", column_name)
        check.name("column", name)
        if existing_server_default is False:
            existing_server_default = None
        if kw.get("oracle_using") is not None:
            raise CommandError(
                f"{where}: Oracle's MODIFY has no USING clause; convert the data with "
                "op.execute() around the type change"
            )
        if server_default is not False and (
            isinstance(server_default, sa.Computed)
            or isinstance(existing_server_default, sa.Computed)
        ):
            raise CommandError(
                f"{where}: adding, changing or removing a computed column default is not "
                "supported on 'oracle'; drop and re-add the column"
            )
        identity = isinstance(server_default, sa.Identity) or (
            server_default is None and isinstance(existing_server_default, sa.Identity)
        )
        if identity and not getattr(self.dialect, "supports_identity_columns", True):
            raise CommandError(f"{where}: Oracle before 12c has no identity columns")
        if isinstance(server_default, sa.Identity) and not isinstance(
            existing_server_default, sa.Identity
        ):
            raise CommandError(
                f"{where}: Oracle cannot make an existing column an identity column "
                "(ORA-30673); add a new column with sa.Identity() instead (pass "
                "existing_server_default=sa.Identity(...) to change a column that is one)"
            )
        plain_default = server_default if not identity else False
        if type_ is not None or plain_default is not False or nullable is not None:
            self.execute(
                ddl.ModifyColumn(
                    table_name, column_name, type_=type_, default=plain_default,
                    nullable=nullable, schema=schema, existing_type=existing_type,
                    existing_nullable=existing_nullable,
                    existing_server_default=existing_server_default,
                    existing_comment=existing_comment,
                )
            )
        kw.pop("oracle_using", None)
        super().alter_column(
            table_name, column_name, server_default=server_default if identity else False,
            name=name, schema=schema, existing_type=existing_type,
            existing_server_default=existing_server_default,
            existing_nullable=existing_nullable, existing_comment=existing_comment, **kw,
        )

    def create_column_comment(self, column: sa.Column[Any]) -> None:
        table = column.table
        check = self._check(f"comment on {table.name}.{column.name}")
        check.table(table.name, table.schema)
        check.name("column", column.name)
        super().create_column_comment(column)

    # --- indexes and constraints -----------------------------------------------------------------
    def create_index(self, index: sa.Index, *, if_not_exists: bool | None = None, **kw: Any):
        check = self._check(f"create_index({str(index.name)!r})")
        check.constraint(index)
        if index.table is not None:
            check.table(index.table.name, index.table.schema)
        super().create_index(index, if_not_exists=if_not_exists, **kw)

    def drop_index(self, index: sa.Index, *, if_exists: bool | None = None, **kw: Any) -> None:
        self._check(f"drop_index({str(index.name)!r})").constraint(index)
        super().drop_index(index, if_exists=if_exists, **kw)

    def add_constraint(self, const: sa.Constraint) -> None:
        table = getattr(const, "table", None)
        where = f"add constraint {str(const.name or '(unnamed)')!r}"
        check = self._check(where)
        check.constraint(const)
        if table is not None:
            check.table(table.name, table.schema)
        self._check_foreign_key(const, where)
        super().add_constraint(const)

    def drop_constraint(self, const: sa.Constraint, *, if_exists: bool | None = None) -> None:
        self._check(f"drop_constraint({str(const.name)!r})").constraint(const)
        super().drop_constraint(const, if_exists=if_exists)

    @staticmethod
    def _check_foreign_key(const: Any, where: str) -> None:
        """Refuse foreign-key options Oracle has no SQL for (SQLAlchemy would write them)."""
        import sqlalchemy as sa

        if not isinstance(const, sa.ForeignKeyConstraint):
            return
        if const.match:
            raise CommandError(
                f"{where}: Oracle foreign keys have no MATCH clause (match={const.match!r})"
            )
        if const.ondelete and const.ondelete.upper() not in ON_DELETE_ACTIONS:
            raise CommandError(
                f"{where}: Oracle foreign keys support ON DELETE CASCADE or SET NULL only, "
                f"not {const.ondelete!r}"
            )
        # ON UPDATE: SQLAlchemy's Oracle compiler warns and leaves it out


def _primary_key_class() -> type:
    import sqlalchemy as sa

    return sa.PrimaryKeyConstraint
