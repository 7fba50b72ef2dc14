"""The PostgreSQL DDL implementation: transactional DDL, enum types, sequences, named types.

Named types (ENUM, DOMAIN) follow one rule: a table never drops them, and a type is created at
most once per run. ``create_table`` creates a named type its columns use through SQLAlchemy's
table events (as Alembic does), unless this run already created it (``op.create_enum`` or an
earlier table); ``drop_table`` leaves types alone, ``op.drop_enum`` drops them. Autogenerate
therefore emits ``create_enum`` / ``drop_enum`` itself and renders columns with
``create_type=False``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from mig_core.ddl.impl import DefaultImpl
from mig_core.ddl.session import session_part, statement_text
from mig_core.errors import CommandError
from mig_postgres import names, statement_cache, target
from mig_postgres.session import only_sets_session, sets_session_state, statements

if TYPE_CHECKING:
    import sqlalchemy as sa


def named_types_of(type_: Any, dialect: Any) -> Iterator[Any]:
    """The PostgreSQL named types (ENUM, DOMAIN) a column type uses, as the dialect sees them.

    Looks through ``TypeDecorator``, ``with_variant`` and ``ARRAY`` item types.
    """
    from sqlalchemy.dialects.postgresql.named_types import NamedType
    from sqlalchemy.types import ARRAY, Boolean, SchemaType, TypeDecorator

    if (
        not isinstance(type_, (SchemaType, TypeDecorator, ARRAY)) or isinstance(type_, Boolean)
    ) and not getattr(type_, "_variant_mapping", None):
        return  # the common case: a plain type uses no named type
    seen = 0
    while True:
        seen += 1
        if seen > 20:  # a pathological decorator chain
            return
        variants = getattr(type_, "_variant_mapping", None) or {}
        if dialect.name in variants:
            type_ = variants[dialect.name]
            continue
        if isinstance(type_, TypeDecorator):
            type_ = type_.load_dialect_impl(dialect)
            continue
        if isinstance(type_, ARRAY):
            type_ = type_.item_type
            continue
        break
    if isinstance(type_, NamedType):
        yield type_
        return
    try:
        impl = type_.dialect_impl(dialect)
    except Exception:  # a type the dialect cannot adapt: it uses no named type
        return
    if isinstance(impl, NamedType) and impl is not type_:
        yield impl


def _memo_key(type_: Any) -> tuple[str, tuple[str | None, str]]:
    return f"pg_{type_.__visit_name__}", (type_.schema, type_.name)


class PostgresqlImpl(DefaultImpl):
    """PostgreSQL: transactional DDL, ``TYPE ... USING``, enum and sequence operations."""

    dialect_name = "postgresql"
    transactional_ddl = True
    binary_literal = "'\\x{hex}'::bytea"
    #: reflection reports each index column's sort order (``column_sorting``)
    index_sorting_reflected = True
    #: type names PostgreSQL reflects differently from how the model writes them (autogenerate)
    type_synonyms = (
        frozenset({"FLOAT", "DOUBLE PRECISION", "FLOAT(53)"}),
        frozenset({"TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE"}),
        frozenset({"TIME", "TIME WITHOUT TIME ZONE"}),
    )

    #: drivers that run several ``;``-separated statements in one ``execute()`` (their
    #: synchronous forms: a batch may be sent from a background thread)
    multi_statement_drivers = frozenset({"psycopg2", "psycopg2cffi", "psycopg"})

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if self.as_sql and self.connection is None:
            target.configure_offline(self.dialect, self.context_opts)
        elif not self.as_sql:
            self.text_statement_ran = statement_cache.schema_change_listener(self.dialect)
            statement_cache.watch_psycopg_connection(self.connection)
        #: named types created during this run: SQLAlchemy's "memo" of its table events
        self._type_memo: dict[str, set[tuple[str | None, str]]] = {}

    def raw_column_rows(
        self, ctx: Any, schema: str | None, names: list[str]
    ) -> dict[str, list[tuple[str, str, bool, str | None, bool, str | None]]] | None:
        """Columns as catalog rows, for autogenerate's settling (columns.py)."""
        from mig_postgres.columns import column_rows

        return column_rows(ctx, schema, names)

    def plain_column_record(
        self, ctx: Any, schema: str | None, row: tuple[Any, ...]
    ) -> dict[str, Any] | None:
        """SQLAlchemy's reflection dict of a plain column's row (columns.py)."""
        from mig_postgres.columns import column_record

        return column_record(schema, row)  # type: ignore[arg-type]

    def plain_reflected_type(self, ctx: Any, type_text: str, meta_type: Any) -> Any:
        """SQLAlchemy's reflected type for a built-in ``format_type`` text (columns.py),
        aligned with ``meta_type`` as compare.align_reflected_types would."""
        from mig_postgres.compare import settled_type

        return settled_type(ctx, type_text, meta_type)

    def identifier_rule(self) -> Any:
        """Names over 63 bytes, which PostgreSQL shortens, are warned about (names.py)."""
        return names.RULE

    def session_statement(self, sql: Any) -> bool:
        """``SET`` for the session (``search_path``, ``ROLE``, ``lock_timeout`` ...; not ``SET
        LOCAL`` / ``TRANSACTION`` / ``CONSTRAINTS``, which end with their transaction),
        ``RESET``, and ``SELECT set_config(name, value, false)`` (session.py); a text of several
        statements when each one is such."""
        text = statement_text(sql)
        return text is not None and only_sets_session(text)

    def session_part(self, sql: Any) -> Any | None:
        """Of a text of several statements, the ones that only set the session's state."""
        return session_part(sql, statements, sets_session_state)

    # --- server facts ------------------------------------------------------------------------
    def session_schema(self) -> str | None:
        """``current_schema()``: ``SET search_path`` changes it after SQLAlchemy read it."""
        from sqlalchemy import text

        assert self.connection is not None
        return self.connection.execute(text("SELECT current_schema()")).scalar()  # type: ignore[no-any-return]

    @property
    def server_version(self) -> tuple[int, ...] | None:
        """The server's version online (None offline)."""
        if self.as_sql or self.connection is None:
            return None
        return getattr(self.connection.dialect, "server_version_info", None)

    def sends_statements_together(self) -> bool:
        """psycopg2 sends ``;``-separated statements as one simple query; so does psycopg 3
        for a statement without parameters (it uses the extended protocol, one statement per
        query, only for one with parameters). Not their async forms: a full batch is sent from
        a background thread. From PostgreSQL 13 ``statement_timeout`` applies to each statement
        of such a query, not to all of it. psycopg 3 set to prepare every statement on its
        first run (``prepare_threshold=0``) would prepare the batch, which PostgreSQL refuses
        (a prepared statement holds one command)."""
        if self.as_sql or self.connection is None or self.dialect.is_async:
            return False
        version = self.server_version or (0,)
        if self.dialect.driver not in self.multi_statement_drivers or version < (13,):
            return False
        driver_connection = self.connection.connection.driver_connection
        return getattr(driver_connection, "prepare_threshold", None) != 0

    def failed_statement_note(self, error: Any) -> str | None:
        """A failed ``CREATE INDEX CONCURRENTLY`` leaves its index behind, INVALID: the
        ``DROP INDEX CONCURRENTLY`` to run before the revision runs again (invalid_index.py)."""
        from mig_postgres.invalid_index import invalid_index_note

        return invalid_index_note(self.connection, getattr(error, "statement", None))

    # --- tables and the named types they use --------------------------------------------------
    def _ddl_runner(self) -> tuple[Any, Any]:
        bind, runner = super()._ddl_runner()
        runner.memo = self._type_memo
        return bind, runner

    def drop_table(self, table: sa.Table, *, if_exists: bool | None = None) -> None:
        """DROP TABLE; the named types its columns use stay (``op.drop_enum`` drops them)."""
        from sqlalchemy.schema import DropTable

        bind, runner = super()._ddl_runner()
        for column in table.columns:
            for named in named_types_of(column.type, self.dialect):
                kind, key = _memo_key(named)
                runner.memo.setdefault(kind, set()).add(key)
        table.dispatch.before_drop(table, bind, checkfirst=False, _ddl_runner=runner)
        self.execute(DropTable(table, if_exists=bool(if_exists)))
        table.dispatch.after_drop(table, bind, checkfirst=False, _ddl_runner=runner)

    # --- columns -------------------------------------------------------------------------------
    def alter_column(
        self,
        table_name: str,
        column_name: str,
        *,
        server_default: Any = False,
        type_: Any = None,
        comment: Any = False,
        name: str | None = None,
        existing_type: Any = None,
        existing_server_default: Any = None,
        **kw: Any,
    ) -> None:
        """With a type change: what the type change needs first, the rest after it.

        PostgreSQL checks a default against the column's type when it is set, and casts the
        current default when the type changes; ``USING`` may turn NULLs into values or values
        into NULLs. So: ``DROP NOT NULL``, the old default dropped (it may not cast to the new
        type; dropping a missing default is a no-op), the type, then ``SET NOT NULL``, the new
        default, the comment and the rename. An identity (``sa.Identity``) is added or changed
        after the type change, dropped before. Without a type change, the core's order.
        """
        import sqlalchemy as sa

        nullable = kw.pop("nullable", None)
        if type_ is None or (server_default is False and nullable is not False):
            super().alter_column(
                table_name, column_name, nullable=nullable, server_default=server_default,
                type_=type_, comment=comment, name=name, existing_type=existing_type,
                existing_server_default=existing_server_default, **kw,
            )
            return
        if existing_server_default is False:
            existing_server_default = None
        drops_default = server_default is not False and not isinstance(server_default, sa.Identity)
        # DROP NOT NULL, the drop of the old default (or identity), the type
        super().alter_column(
            table_name, column_name, nullable=True if nullable else None,
            server_default=None if drops_default else False,
            type_=type_, existing_type=existing_type,
            existing_server_default=existing_server_default, **kw,
        )
        # SET NOT NULL, the new default, comment, rename: on the column as it now is
        rest = {k: v for k, v in kw.items() if k in ("schema", "existing_nullable")}
        if nullable is not None:
            rest["existing_nullable"] = nullable
        super().alter_column(
            table_name, column_name, nullable=False if nullable is False else None,
            server_default=False if server_default is None else server_default,
            comment=comment, name=name, existing_type=type_,
            existing_server_default=None if drops_default else existing_server_default,
            existing_comment=kw.get("existing_comment"), **rest,
        )

    # --- enum types ----------------------------------------------------------------------------
    def create_enum(
        self,
        name: str,
        values: Sequence[str],
        schema: str | None = None,
        *,
        if_not_exists: bool = False,
    ) -> None:
        from mig_postgres.ddl import CreateEnum

        self.execute(CreateEnum(name, values, schema, if_not_exists=if_not_exists))
        self._type_memo.setdefault("pg_enum", set()).add((schema, name))

    def drop_enum(
        self, name: str, schema: str | None = None, *, if_exists: bool = False,
        cascade: bool = False,
    ) -> None:
        from mig_postgres.ddl import DropEnum

        self.execute(DropEnum(name, schema, if_exists=if_exists, cascade=cascade))
        self._type_memo.get("pg_enum", set()).discard((schema, name))

    def add_enum_value(
        self,
        name: str,
        value: str,
        schema: str | None = None,
        *,
        before: str | None = None,
        after: str | None = None,
        if_not_exists: bool = False,
    ) -> None:
        from mig_postgres.ddl import AddEnumValue

        self.execute(
            AddEnumValue(name, value, schema, before=before, after=after,
                         if_not_exists=if_not_exists)
        )

    def rename_enum_value(
        self, name: str, old_value: str, new_value: str, schema: str | None = None
    ) -> None:
        from mig_postgres.ddl import RenameEnumValue

        self.execute(RenameEnumValue(name, old_value, new_value, schema))

    def drop_enum_value(self, name: str, value: str, schema: str | None = None) -> None:
        """Remove one value (the type is recreated; rows holding it make this fail)."""
        from mig_postgres.ddl import RecreateEnum

        self.execute(RecreateEnum(name, schema, drop_value=value))

    def enum_values(self, name: str, schema: str | None = None) -> list[str] | None:
        """The type's values read from the server (None offline or when it does not exist)."""
        if self.as_sql or self.connection is None:
            return None
        from sqlalchemy import text

        from mig_postgres.ddl import type_name

        compiler = self.dialect.ddl_compiler(self.dialect, None)  # type: ignore[arg-type]
        row = self.connection.execute(
            text(
                "SELECT array(SELECT enumlabel FROM pg_enum WHERE enumtypid = t "
                "ORDER BY enumsortorder) FROM to_regtype(:name) AS t WHERE t IS NOT NULL"
            ),
            {"name": type_name(compiler, name, schema)},
        ).first()
        return list(row[0]) if row is not None else None

    def alter_enum(
        self,
        name: str,
        values: Sequence[str],
        schema: str | None = None,
        *,
        existing_values: Sequence[str] | None = None,
    ) -> None:
        """Make the type hold exactly ``values`` in this order.

        Only additions that keep the existing order: ``ADD VALUE`` statements. Anything else
        (removed or reordered values): the type is recreated (see :class:`RecreateEnum`).
        Online the values are read from the server (so a rerun after a failure finds what an
        earlier, committed ``ADD VALUE`` did); offline ``existing_values`` is trusted, and
        without it the type is recreated.
        """
        from mig_postgres.ddl import RecreateEnum

        values = list(values)
        if len(set(values)) != len(values):
            raise CommandError(f"alter_enum({name!r}): values contain duplicates: {values!r}")
        existing = self.enum_values(name, schema)
        if existing is None and existing_values is not None:
            existing = list(existing_values)
        if existing == values:
            return
        plan = addition_plan(existing, values) if existing is not None else None
        if plan is None:
            self.execute(RecreateEnum(name, schema, values=values))
            return
        for value, before, after in plan:
            self.add_enum_value(name, value, schema, before=before, after=after)

    # --- sequences -----------------------------------------------------------------------------
    def create_sequence(self, sequence: sa.Sequence, *, if_not_exists: bool = False) -> None:
        from sqlalchemy.schema import CreateSequence

        self.execute(CreateSequence(sequence, if_not_exists=if_not_exists))

    def drop_sequence(self, sequence: sa.Sequence, *, if_exists: bool = False) -> None:
        from sqlalchemy.schema import DropSequence

        self.execute(DropSequence(sequence, if_exists=if_exists))


def addition_plan(
    existing: Sequence[str], values: Sequence[str]
) -> list[tuple[str, str | None, str | None]] | None:
    """``(value, before, after)`` for each ``ADD VALUE`` turning ``existing`` into ``values``.

    None when that cannot be done by additions alone (a value is removed or the order of the
    existing values changes). A value appended at the end gets neither ``before`` nor ``after``.
    """
    kept = [v for v in values if v in existing]
    if kept != list(existing):
        return None
    plan: list[tuple[str, str | None, str | None]] = []
    first_kept = next((i for i, v in enumerate(values) if v in existing), None)
    if first_kept is None:  # an empty type: append everything in order
        return [(v, None, None) for v in values]
    current = list(existing)
    for position in range(first_kept - 1, -1, -1):  # values before the first kept one
        plan.append((values[position], values[position + 1], None))
        current.insert(0, values[position])
    for position in range(first_kept + 1, len(values)):
        value = values[position]
        if value in existing:
            continue
        predecessor = values[position - 1]
        index = current.index(predecessor)
        at_end = index == len(current) - 1
        plan.append((value, None, None if at_end else predecessor))
        current.insert(index + 1, value)
    return plan
