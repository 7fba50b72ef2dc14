"""The MySQL / MariaDB DDL implementation (no transactional DDL).

The SQL text lives in :mod:`mig_mysql.ddl`; this class decides the statements: one ``MODIFY``
/ ``CHANGE`` per ``alter_column`` with the whole column restated (online, what the caller did
not say is read from the catalog, see :mod:`mig_mysql.catalog`), ``RENAME COLUMN`` and
``ALTER COLUMN ... SET DEFAULT`` where no restatement is needed, ``DROP FOREIGN KEY`` /
``PRIMARY KEY`` / ``INDEX`` / ``CHECK`` by constraint kind, and the ``IF [NOT] EXISTS``
forms only MariaDB has.
"""

from __future__ import annotations

import datetime
import itertools
import warnings
from collections.abc import Iterator, Set
from typing import TYPE_CHECKING, Any, ClassVar

from mig_core.ddl.impl import DefaultImpl
from mig_core.ddl.session import (
    NOT_SESSION_SETS,
    lexer,
    session_part,
    sets_session,
    split_outside,
    statement_text,
)
from mig_core.ddl.statements import first_words
from mig_core.errors import CommandError, MigWarning
from mig_core.runtime.progress import DDL_WORDS
from mig_mysql import commits, ddl, names
from mig_mysql.foreign_keys import UNREAD_KEY_WARNING

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_mysql.catalog import CatalogColumn

#: the table name the core gives ``drop_index(name)`` called without one
_UNKNOWN_TABLE = "_mig_unknown_table"


#: SQLAlchemy's warning for a line of SHOW CREATE TABLE holding MariaDB's IGNORED index
#: (which its parser cannot read): the line is quoted as Python's repr() writes it
IGNORED_INDEX_WARNING = (
    r"""Unknown schema content: (['"])\s*(?:(?:UNIQUE|FULLTEXT|SPATIAL|VECTOR) )?KEY .*"""
    r" IGNORED,?\1\Z"
)

#: MySQL's error for DROP INDEX of the index a foreign key needs
_ER_DROP_INDEX_FK = 1553


#: ``SET LOCAL`` / ``@@local.`` is the session's on MySQL / MariaDB
_NOT_SESSION_SETS = NOT_SESSION_SETS - {"local"}
#: the first word of an assignment in a SET list that outlives the connection (``GLOBAL``,
#: ``@@global.``, ``PERSIST``, ``PERSIST_ONLY``)
_LASTING = frozenset({"global", "persist"})
#: comments (``-- `` needs a blank after it) and quoted text: strings (with backslash escapes),
#: `names`, and executable comments (``/*!40101 ... */``, MariaDB's ``/*M!100100 ... */``)
_TOKENS = lexer(r"--(?=\s|\Z)[^\n]*|\#[^\n]*|/\*(?!M?!).*?\*/",
                r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|/\*M?!.*?\*/")


def only_sets_session(text: str) -> bool:
    """Whether each statement of ``text`` sets the session's state: ``USE db``, or a ``SET``
    none of whose assignments is global or persisted, maybe in an executable comment."""
    pieces = _statements(text)
    return bool(pieces) and all(_sets_session(piece) for piece in pieces)


def _statements(text: str) -> list[str]:
    return split_outside(text, _TOKENS, ";")


def holds_semicolons(text: str) -> bool:
    """Whether ``text`` has a ``;`` before its end outside strings and comments (a trigger's
    or a procedure's body): the ``mysql`` client would end the statement there."""
    semicolon = False
    for match in _TOKENS.finditer(text):
        char = match.group("char")
        if match.group("comment") is not None or (char is not None and char.isspace()):
            continue
        if semicolon:
            return True
        semicolon = char == ";"
    return False


def delimited(text: str) -> str:
    """``text`` between ``DELIMITER`` lines, so the ``mysql`` client sends it whole: the
    delimiter is the first of ``//``, ``$$``, ``//1`` ... that ``text`` does not contain, and a
    last ``;`` of ``text`` is left out (the delimiter ends the statement)."""
    delimiter = next(d for d in _delimiters() if d not in text)
    body = text.rstrip()
    body = body[:-1].rstrip() if body.endswith(";") else body
    return f"DELIMITER {delimiter}\n{body}\n{delimiter}\nDELIMITER ;"


def _delimiters() -> Iterator[str]:
    yield from ("//", "$$")
    yield from (f"//{n}" for n in itertools.count(1))


def _sets_session(sql: str) -> bool:
    executable = commits.EXECUTABLE_COMMENT.match(sql)
    if executable:
        return only_sets_session(executable.group("body"))
    if first_words(sql)[:1] == ["use"]:
        return True
    assignments = split_outside(sql, _TOKENS, ",")[1:]  # the first one: sets_session's
    return sets_session(sql, _NOT_SESSION_SETS) and not any(
        (first_words(item) or [""])[0] in _LASTING for item in assignments)


class MySQLImpl(DefaultImpl):
    """MySQL and MariaDB: DDL commits at once, so each revision's version row follows its DDL."""

    dialect_name: ClassVar[str] = "mysql"
    transactional_ddl: ClassVar[bool] = False
    drop_constraint_requires_type: ClassVar[bool] = True
    #: Alembic's MySQL leaves the CHECKs of a schema ``existing_type`` on a type change (where
    #: the type was a native ENUM there is none to drop): mig does the same
    drops_type_checks_on_type_change: ClassVar[bool] = False
    #: a plain column's add_column builds no Table (see ``add_column``)
    add_column_takes_plain_columns: ClassVar[bool] = True
    #: RESTRICT is MySQL's default action: SHOW CREATE TABLE leaves it out
    implicit_fk_actions: ClassVar[frozenset[str]] = frozenset({"RESTRICT"})
    on_update_in_default: ClassVar[bool] = True
    #: SQLAlchemy cannot parse MariaDB's IGNORED index; autogenerate notes it itself (a
    #: dropped table's downgrade says it is not re-created), so its warning is one too many
    #: besides DDL, MySQL / MariaDB commit the transaction before (and after) these: account
    #: statements, transaction control, administrative table statements, FLUSH, RESET,
    #: replication control ("Statements That Cause an Implicit Commit"); table locking and
    #: the statements these words cannot tell are read by mig_mysql.commits (commit_kind)
    implicit_commit_words: ClassVar[frozenset[str]] = DDL_WORDS | {
        "install", "uninstall", "set password", "begin", "start transaction", "commit",
        "analyze table",
        "check table", "optimize table", "repair table", "cache index", "load index", "flush",
        "reset", "change master", "change replication", "start slave", "start replica",
        "stop slave", "stop replica",
    }
    #: (an unread foreign key is read from information_schema: see mig_mysql.foreign_keys)
    reflection_warnings_silenced: ClassVar[tuple[str, ...]] = (
        IGNORED_INDEX_WARNING, UNREAD_KEY_WARNING,
    )

    unlock_tables_statement: ClassVar[str | None] = "UNLOCK TABLES"

    def commit_kind(self, sql: Any) -> str | None:
        return commits.commit_kind(sql, self.implicit_commit_words)

    def session_statement(self, sql: Any) -> bool:
        """``SET`` for the session (``SET LOCAL`` is ``SET SESSION`` here, ``SET
        TRANSACTION`` is for the next transaction only; not when one of its assignments is
        ``GLOBAL`` or ``PERSIST``) and ``USE db``, also in an executable comment (``/*!40101
        SET NAMES utf8mb4 */``); a text of several statements when each one is such."""
        text = statement_text(sql)
        return text is not None and only_sets_session(text)

    def session_part(self, sql: Any) -> Any | None:
        """Of a text of several statements, the ones that only set the session's state."""
        return session_part(sql, _statements, _sets_session)

    @property
    def is_mariadb(self) -> bool:
        return ddl.is_mariadb(self.dialect)

    @property
    def server(self) -> str:
        return "MariaDB" if self.is_mariadb else "MySQL"

    def history_timestamp_type(self) -> Any:
        """``DATETIME(6)``: a plain DATETIME keeps whole seconds, too coarse for a history."""
        from sqlalchemy.dialects import mysql

        return mysql.DATETIME(timezone=True, fsp=6)

    def offline_literal(self, value: Any, type_: Any) -> str | None:
        """A datetime with a time zone as its wall time, as the MySQL drivers send it online:
        SQLAlchemy writes its ``+00:00`` offset, which MariaDB refuses (1292) and MySQL 8
        converts to the session's time zone."""
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            return f"'{value.replace(tzinfo=None).isoformat(sep=' ')}'"
        return super().offline_literal(value, type_)

    def emit_statement_text(self, sql: str) -> None:
        """A statement with ``;`` inside (a trigger's, procedure's or event's body, a ``BEGIN
        NOT ATOMIC`` block) is written between ``DELIMITER`` lines, which the ``mysql`` client
        needs to send it whole; any other as everywhere."""
        text = self.statement_text(sql)
        if holds_semicolons(text):
            self.static_output(delimited(text))
        else:
            super().emit_statement_text(sql)

    def identifier_rule(self) -> Any:
        """Names longer than 64 characters are refused before an operation runs (names.py)."""
        return names.rule_for(self.server)

    def _require_mariadb(self, what: str, clause: str) -> None:
        """MySQL has ``IF [NOT] EXISTS`` for tables only; MariaDB for columns, indexes and
        constraints too."""
        if not self.is_mariadb:
            raise CommandError(
                f"{what}: MySQL has no {clause} (MariaDB has); drop the option or check first "
                "with op.get_bind() / inspect()"
            )

    def _mirror_options(self, obj: Any) -> None:
        """On SQLAlchemy's ``mariadb`` dialect (offline, ``mariadb://`` URLs) the ``mysql_*``
        options of a table or index are ignored unless also given as ``mariadb_*``: copy
        them, so ``mysql_engine`` / ``mysql_length`` / ``mysql_prefix`` mean the same on both."""
        if self.dialect.name != "mariadb":
            return
        kwargs = obj.dialect_kwargs
        for key, value in list(kwargs.items()):
            if key.startswith("mysql_") and kwargs.get("mariadb_" + key[6:]) is None:
                kwargs["mariadb_" + key[6:]] = value

    def create_table(self, table: sa.Table, *, if_not_exists: bool | None = None) -> None:
        self._mirror_options(table)
        for index in table.indexes:
            self._mirror_options(index)
        super().create_table(table, if_not_exists=if_not_exists)

    # --- reflection ------------------------------------------------------------------------
    def missed_foreign_keys(
        self, conn: Any, schema: str | None, table: str, reflected: Set[str]
    ) -> list[dict[str, Any]]:
        """The keys SQLAlchemy's reflection skips (to a table whose name holds a backtick),
        read from information_schema (:mod:`mig_mysql.foreign_keys`)."""
        from mig_mysql import foreign_keys

        known = {name[:foreign_keys.NAME_LIMIT] for name in reflected}
        return foreign_keys.read_keys(conn, schema, table, lambda name: name not in known)

    # --- columns ---------------------------------------------------------------------------
    def add_column(self, table_name: str, column: sa.Column[Any], schema: str | None = None,
                   *, if_not_exists: bool | None = None, **kw: Any) -> None:
        """``ADD COLUMN``; a column without a Table (``add_column_takes_plain_columns``: no
        constraint, index or comment of its own) is that one statement."""
        if if_not_exists:
            self._require_mariadb(f"add_column({table_name!r}, {column.name!r})",
                                  "ADD COLUMN IF NOT EXISTS")
        if column.table is None:
            from mig_core.ddl.base import AddColumn

            self.execute(AddColumn(table_name, column, schema=schema,
                                   if_not_exists=if_not_exists))
            return
        super().add_column(table_name, column, schema, if_not_exists=if_not_exists, **kw)

    def drop_column(self, table_name: str, column: sa.Column[Any] | str,
                    schema: str | None = None, *, if_exists: bool | None = None,
                    **kw: Any) -> None:
        if if_exists:
            name = column if isinstance(column, str) else column.name
            self._require_mariadb(f"drop_column({table_name!r}, {name!r})",
                                  "DROP COLUMN IF EXISTS")
        super().drop_column(table_name, column, schema, if_exists=if_exists, **kw)

    def alter_column(  # noqa: C901 - one decision table, read top to bottom
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
        existing_server_default: Any = False,
        existing_nullable: bool | None = None,
        existing_autoincrement: bool | None = None,
        **kw: Any,
    ) -> None:
        """One statement: ``MODIFY`` / ``CHANGE`` with the full column spec, or — when nothing
        else changes — ``RENAME COLUMN a TO b`` or ``ALTER COLUMN c SET / DROP DEFAULT``.

        ``existing_server_default=False`` means unknown (None: the column has no default);
        ``existing_comment=""`` says the column has no comment.
        """
        import sqlalchemy as sa

        where = f"alter_column({self._qualified(table_name, schema)!r}, {column_name!r})"
        for key in kw:
            # another database's option (postgresql_using: Airflow passes it to every
            # dialect) means nothing here, as in Alembic; an unknown MySQL one is a mistake
            if key.partition("_")[0] in ("mysql", "mariadb"):
                raise CommandError(f"{where}: unknown option {key!r}")
        for default in (server_default, existing_server_default):
            if isinstance(default, sa.Identity):
                raise CommandError(
                    f"{where}: MySQL has no identity columns; use autoincrement=True"
                )
        if isinstance(server_default, sa.Computed):
            raise CommandError(
                f"{where}: changing a generated column's expression is not supported; drop "
                "and re-add the column"
            )
        if type_ is not None:
            type_ = sa.types.to_instance(type_)
        if existing_type is not None:
            existing_type = sa.types.to_instance(existing_type)
        renames = name is not None and name != column_name
        changes_default = server_default is not False
        functional = changes_default and self._functional_default(server_default)
        needs_spec = (
            type_ is not None or nullable is not None or comment is not False
            or autoincrement is not None or functional
            or (renames and (changes_default or not ddl.supports_rename_column(
                self.dialect, self.context_opts)))
        )
        log = self.statement_log
        if log is not None:  # online: the statement restates what information_schema reads
            from mig_core.runtime.progress import operation_key

            key = operation_key(
                self.dialect, "alter_column", table_name, column_name, schema=schema,
                nullable=nullable, server_default=server_default, name=name, type_=type_,
                autoincrement=autoincrement, comment=comment, existing_comment=existing_comment,
                existing_type=existing_type, existing_server_default=existing_server_default,
                existing_nullable=existing_nullable,
                existing_autoincrement=existing_autoincrement,
            )
            if log.skipping_next():  # resumed: it took effect, and the catalog has moved on
                log.skip_as(key)
                return
            log.digest_as(key)
        catalog = None
        if not self.as_sql and (needs_spec or changes_default or renames):
            catalog = self._catalog_column(table_name, column_name, schema, where)
            if changes_default and not needs_spec and catalog.spec.on_update:
                needs_spec = True  # SET DEFAULT would drop the column's ON UPDATE
            if needs_spec or renames:
                self._warn_alembic_resets(
                    where, catalog,
                    nullable is None and existing_nullable is None,
                    not changes_default and existing_server_default is False,
                    comment is False and existing_comment is None,
                    autoincrement is None and existing_autoincrement is None,
                    self._keeps_collation(type_ if type_ is not None else existing_type),
                )
        kept_on_update = None
        if (self.as_sql and changes_default and not self._has_on_update(server_default)
                and self._has_on_update(existing_server_default)):
            # offline, existing_server_default is all mig knows of the column's ON UPDATE
            kept_on_update = self._on_update_of(existing_server_default)
            if type_ is None and existing_type is None:
                warnings.warn(
                    f"{where}: ALTER COLUMN ... SET DEFAULT may drop the column's ON UPDATE "
                    f"{kept_on_update} (MariaDB does); pass existing_type= so that the column "
                    "is restated with it",
                    MigWarning,
                    stacklevel=3,
                )
                kept_on_update = None
            else:
                needs_spec = True
        if not needs_spec:
            if renames:
                assert name is not None
                from mig_core.ddl.base import ColumnName

                self.execute(ColumnName(table_name, column_name, name, schema=schema))
            elif changes_default:
                from mig_core.ddl.base import ColumnDefault

                self.execute(ColumnDefault(table_name, column_name, server_default,
                                           schema=schema))
            return
        spec = self._spec(
            where, catalog,
            type_=type_, existing_type=existing_type,
            nullable=nullable, existing_nullable=existing_nullable,
            server_default=server_default, existing_server_default=existing_server_default,
            autoincrement=autoincrement, existing_autoincrement=existing_autoincrement,
            comment=comment, existing_comment=existing_comment,
        )
        if kept_on_update is not None:
            spec.on_update = kept_on_update
        if renames and spec.check and catalog is not None:  # the catalog's, in old names
            assert name is not None
            spec.check = self._check_renamed(spec.check, column_name, name)
        self.execute(ddl.ModifyColumn(table_name, column_name, spec, schema=schema,
                                      newname=name if renames else None))

    @staticmethod
    def _warn_alembic_resets(where: str, catalog: CatalogColumn, nullable_unsaid: bool,
                             default_unsaid: bool, comment_unsaid: bool,
                             auto_unsaid: bool, collation_unsaid: bool) -> None:
        """Online, what the call leaves unsaid is kept from the catalog; Alembic's ``CHANGE`` /
        ``MODIFY`` is built from the ``existing_*`` arguments alone and resets it. Say what
        differs, so that a project moving from Alembic knows its older databases lost it."""
        spec = catalog.spec
        lost = [
            (what, arg)
            for unsaid, has, what, arg in (
                (nullable_unsaid, not spec.nullable, "NOT NULL", "existing_nullable=False"),
                (default_unsaid, spec.default is not None, "its DEFAULT",
                 "existing_server_default="),
                (comment_unsaid, bool(spec.comment), "its COMMENT", "existing_comment="),
                (auto_unsaid, spec.autoincrement, "AUTO_INCREMENT",
                 "existing_autoincrement=True"),
                (collation_unsaid, bool(spec.collation),
                 f"CHARACTER SET {spec.charset} COLLATE {spec.collation}",
                 f"a type_ / existing_type stating collation={spec.collation!r}"),
            )
            if unsaid and has
        ]
        if not lost:
            return
        warnings.warn(
            f"{where}: the column keeps {', '.join(what for what, _ in lost)}, read from the "
            "database; Alembic restates the column from the existing_* arguments only and "
            "would have dropped that, so a database Alembic migrated differs here; pass "
            f"{', '.join(arg for _, arg in lost)} to say so (docs/dialects.md, MySQL)",
            MigWarning,
            stacklevel=4,
        )

    def _functional_default(self, default: Any) -> bool:
        """A timestamp-function default that MySQL accepts only in a column definition
        (MariaDB also takes it in ``SET DEFAULT``; ``ON UPDATE`` needs the definition on both)."""
        import sqlalchemy as sa
        from sqlalchemy.sql.elements import ClauseElement

        if isinstance(default, sa.DefaultClause):
            default = default.arg
        if isinstance(default, str) or not isinstance(default, ClauseElement):
            return False
        text = default.text if isinstance(default, sa.TextClause) else self.compile(default)
        if "on update" in text.lower():
            return True
        return not self.is_mariadb and bool(ddl.TIMESTAMP_FUNCTION.match(text))

    def _catalog_column(self, table: str, column: str, schema: str | None,
                        where: str) -> CatalogColumn:
        from mig_mysql.catalog import read_column

        assert self.connection is not None
        found = read_column(
            self.connection, schema, table, column, self.is_mariadb,
            ddl.server_version(self.dialect),
        )
        if found is None:
            raise CommandError(f"{where}: no such column in the database")
        return found

    def _spec(self, where: str, catalog: CatalogColumn | None, **given: Any) -> ddl.ColumnSpec:
        """The new column spec: the caller's new values, else the caller's ``existing_*``, else
        the catalog's (online). Offline, unknown attributes are written as MySQL's defaults
        (NULL, no default, no comment) with a :class:`MigWarning` saying what is reset."""
        import sqlalchemy as sa

        type_ = given["type_"] if given["type_"] is not None else given["existing_type"]
        if type_ is None and catalog is None:
            raise CommandError(
                f"{where}: MySQL restates the whole column (MODIFY / CHANGE); offline the "
                "existing type is unknown: pass existing_type="
            )
        spec = ddl.ColumnSpec(type=type_) if catalog is None else catalog.spec
        if type_ is not None:
            if catalog is not None and not self._keeps_collation(type_):
                spec.charset = spec.collation = None
            if given["type_"] is not None:
                spec.check = None if catalog is None else self._kept_check(catalog, type_)
            spec.type = type_
        reset: list[tuple[str, str]] = []  # (what the statement loses, the argument to pass)

        def pick(new: Any, existing: Any, unset: Any, attr: str, what: str) -> Any:
            for value in (new, existing):
                if value is not unset:
                    return value
            if catalog is not None:
                return getattr(spec, attr)
            reset.append((what, f"existing_{'server_default' if attr == 'default' else attr}="))
            return None

        nullable = pick(given["nullable"], given["existing_nullable"], None, "nullable",
                        "NOT NULL (it is written NULL)")
        spec.nullable = nullable is not False
        default = pick(given["server_default"], given["existing_server_default"], False,
                       "default", "its DEFAULT")
        if isinstance(default, sa.Computed):
            spec.computed, spec.default = default, None
        else:
            spec.default = default
            if given["server_default"] is not False and self._has_on_update(default):
                spec.on_update = None  # the new default text says ON UPDATE itself
        existing_comment = given["existing_comment"]
        comment = pick(given["comment"], False if existing_comment is None else existing_comment,
                       False, "comment", "its COMMENT")
        spec.comment = comment or None
        auto = given["autoincrement"]
        if auto is None:
            auto = given["existing_autoincrement"]
        if auto is None:
            auto = spec.autoincrement if catalog is not None else False
            if catalog is None and isinstance(type_, sa.Integer) and spec.computed is None:
                reset.append(("AUTO_INCREMENT", "existing_autoincrement="))
        spec.autoincrement = bool(auto)
        if reset:
            lost = ", ".join(what for what, _ in reset)
            hints = ", ".join(arg + (' ("" for none)' if arg == "existing_comment=" else "")
                              for _, arg in reset)
            warnings.warn(
                f"{where}: MODIFY / CHANGE restates the whole column and offline mig cannot "
                f"read it, so it is written without {lost}; pass {hints} to keep what the "
                "column has",
                MigWarning,
                stacklevel=4,
            )
        return spec

    def _keeps_collation(self, type_: Any) -> bool:
        """A new string type without its own charset / collation keeps the column's. The type
        is looked at as this dialect sees it: ``String(n).with_variant(String(n,
        collation=...), "mysql")`` (Airflow) states a collation, and restating the catalog's
        after it wrote ``COLLATE x CHARACTER SET y COLLATE x``, which MySQL rejects."""
        import sqlalchemy as sa

        if type_ is None:
            return False
        type_ = sa.types.to_instance(type_).dialect_impl(self.dialect)
        if isinstance(type_, sa.TypeDecorator):
            type_ = type_.impl_instance
        return (
            isinstance(type_, (sa.String, sa.Enum))
            and not getattr(type_, "collation", None)
            and not getattr(type_, "charset", None)
        )

    @staticmethod
    def _kept_check(catalog: CatalogColumn, type_: Any) -> str | None:
        """MariaDB's column-level CHECK survives a type change, except JSON's own
        ``json_valid`` when the new type is no longer JSON."""
        import sqlalchemy as sa

        check = catalog.spec.check
        if check and check.lower().startswith("json_valid") and not isinstance(type_, sa.JSON):
            return None
        return check

    @staticmethod
    def _check_renamed(check: str, old: str, new: str) -> str:
        """A column CHECK read from the catalog (MariaDB writes its columns `quoted`), with the
        renamed column's new name: a ``CHANGE old new`` restating ``CHECK (json_valid(`old`))``
        fails with "Unknown column 'old' in 'CHECK'" (Airflow renames JSON columns)."""
        import re

        quoted = "`" + new.replace("`", "``") + "`"
        return re.sub(
            "`" + re.escape(old.replace("`", "``")) + "`", lambda _: quoted, check,
            flags=re.IGNORECASE,
        )

    @staticmethod
    def _has_on_update(default: Any) -> bool:
        text = getattr(getattr(default, "arg", default), "text", default)
        return isinstance(text, str) and "on update" in text.lower()

    @staticmethod
    def _on_update_of(default: Any) -> str | None:
        """The ``ON UPDATE`` expression of a default's text (``CURRENT_TIMESTAMP ON UPDATE
        CURRENT_TIMESTAMP`` -> ``CURRENT_TIMESTAMP``)."""
        from mig_mysql.defaults import split_on_update

        text = getattr(getattr(default, "arg", default), "text", default)
        return split_on_update(text)[1] if isinstance(text, str) else None

    @staticmethod
    def _qualified(table: str, schema: str | None) -> str:
        return f"{schema}.{table}" if schema else table

    # --- indexes and constraints -------------------------------------------------------------
    def create_index(self, index: sa.Index, *, if_not_exists: bool | None = None, **kw: Any):
        if if_not_exists:
            self._require_mariadb(f"create_index({index.name!r})", "CREATE INDEX IF NOT EXISTS")
        self._mirror_options(index)
        super().create_index(index, if_not_exists=if_not_exists, **kw)

    def drop_index(self, index: sa.Index, *, if_exists: bool | None = None, **kw: Any) -> None:
        """``DROP INDEX ix ON t``: MySQL needs the table."""
        if index.table is None or index.table.name == _UNKNOWN_TABLE:
            raise CommandError(
                f"drop_index({str(index.name)!r}): MySQL's DROP INDEX names the table; pass "
                "drop_index(index_name, table_name)"
            )
        if if_exists and not self.is_mariadb:
            # MySQL has no DROP INDEX IF EXISTS: online, look first (Airflow drops an index
            # that only some of its databases have this way); offline, write what Alembic
            # writes, which MariaDB runs and MySQL rejects, and say so
            if not self.as_sql:
                from mig_mysql.catalog import has_index

                assert self.connection is not None
                table = index.table
                if not has_index(self.connection, table.schema, table.name, str(index.name)):
                    return
                if_exists = False
            else:
                warnings.warn(
                    f"drop_index({str(index.name)!r}): MySQL has no DROP INDEX IF EXISTS "
                    "(MariaDB has): the script writes it, and MySQL will reject that "
                    "statement; online, mig looks the index up first",
                    MigWarning,
                    stacklevel=4,
                )
        import sqlalchemy as sa

        try:
            super().drop_index(index, if_exists=if_exists, **kw)
        except sa.exc.DBAPIError as error:
            code = error.orig.args[0] if error.orig is not None and error.orig.args else None
            if code != _ER_DROP_INDEX_FK:
                raise
            raise CommandError(
                f"drop_index({str(index.name)!r}) on {index.table.name!r}: MySQL keeps an index "
                "for every foreign key, and a foreign key of the table needs this one. Drop the "
                "foreign key first (op.drop_constraint(name, table, type_='foreignkey')); when "
                "the table itself is dropped next, as in an autogenerated downgrade, leave out "
                "this drop_index: op.drop_table drops the table's indexes with it"
            ) from error

    def drop_constraint(self, const: sa.Constraint, *, if_exists: bool | None = None) -> None:
        """``DROP FOREIGN KEY`` / ``PRIMARY KEY`` / ``INDEX`` (unique) / ``CHECK`` (MariaDB:
        ``CONSTRAINT``). Without ``type_``, online the kind is read from the catalog."""
        import sqlalchemy as sa

        table = const.table
        where = f"drop_constraint({str(const.name)!r}) on {table.name!r}"
        if const.name is None:
            raise CommandError(f"{where}: the constraint needs a name")
        kinds = (
            (sa.ForeignKeyConstraint, "foreignkey"),
            (sa.PrimaryKeyConstraint, "primary"),
            (sa.UniqueConstraint, "unique"),
            (sa.CheckConstraint, "check"),
        )
        kind = next((k for cls, k in kinds if isinstance(const, cls)), None)
        if kind is None:
            if self.as_sql:
                raise CommandError(
                    f"{where}: MySQL drops each kind of constraint differently and offline "
                    "the kind cannot be looked up; pass type_='foreignkey', 'primary', "
                    "'unique' or 'check'"
                )
            from mig_mysql.catalog import constraint_kind

            assert self.connection is not None
            log = self.statement_log
            # the statement depends on the catalog's kind: it counts by the operation (MySQL
            # refuses if_exists for a constraint that is there, and sends none otherwise)
            keyed = log is not None and (not if_exists or self.is_mariadb)
            if keyed:
                from mig_core.runtime.progress import operation_key

                assert log is not None
                key = operation_key(self.dialect, "drop_constraint", table.name,
                                    str(const.name), schema=table.schema,
                                    **({"if_exists": True} if if_exists else {}))
                if log.skipping_next():  # resumed: it was dropped, so its kind reads as none
                    log.skip_as(key)
                    return
                log.digest_as(key)
            kind = constraint_kind(self.connection, table.schema, table.name, str(const.name))
            if kind is None:
                if not if_exists:
                    raise CommandError(f"{where}: no such constraint in the database")
                if keyed:  # a statement all the same (it drops nothing), so that a resumed
                    # run, which cannot tell a dropped constraint from an absent one, counts
                    # this operation as the run it resumes did
                    self.execute(ddl.DropConstraint(table.name, str(const.name), "any",
                                                    schema=table.schema, if_exists=True))
                return
        if if_exists:
            self._require_mariadb(where, "DROP ... IF EXISTS for constraints")
            if kind == "primary":
                raise CommandError(f"{where}: MariaDB has no DROP PRIMARY KEY IF EXISTS")
        self.execute(ddl.DropConstraint(table.name, str(const.name), kind, schema=table.schema,
                                        if_exists=bool(if_exists)))
