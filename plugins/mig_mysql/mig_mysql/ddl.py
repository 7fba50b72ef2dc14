"""MySQL / MariaDB SQL for mig's ALTER constructs.

MySQL changes a column with ``MODIFY c <full spec>`` / ``CHANGE c d <full spec>``: every
attribute not restated is lost. :class:`ColumnSpec` holds the whole definition (from the caller,
or read from the catalog by the impl) and :class:`ModifyColumn` writes it. The core's one-aspect
constructs compile to the same statements from their ``existing_*`` values, for code that
executes them directly. Rules are registered for both SQLAlchemy names, ``mysql`` and
``mariadb``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.ddl import ExecutableDDLElement
from sqlalchemy.sql.elements import ClauseElement, TextClause

from mig_core.autogenerate.compare_columns import unwrap_parentheses
from mig_core.ddl import base
from mig_core.errors import CommandError

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.sql.compiler import DDLCompiler

DIALECTS = ("mysql", "mariadb")

_TIMESTAMP_NAME = r"(?:current_timestamp|now|localtimestamp|localtime)"
_TIMESTAMP = rf"{_TIMESTAMP_NAME}(?:\s*\(\s*\d*\s*\))?"
#: a whole default MySQL takes without parentheses: a literal, NULL / TRUE / FALSE, or a
#: timestamp function (with its ON UPDATE); any other expression needs ``(...)`` on both
#: MySQL and MariaDB (``DEFAULT now() + interval 1 day`` is a syntax error)
_BARE_DEFAULT = re.compile(
    r"""\s*(?:"""
    r"(?:_\w+\s*)?'(?:[^'\\]|\\.|'')*'"
    r'|"(?:[^"\\]|\\.|"")*"'
    r"""|[bx]'[0-9a-f]*'|0x[0-9a-f]+|0b[01]+"""
    r"""|[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?"""
    r"""|null|true|false"""
    rf"""|{_TIMESTAMP}(?:\s+on\s+update\s+{_TIMESTAMP})?"""
    r""")\s*""",
    re.I,
)
#: text starting with a timestamp function (``now()``, ``CURRENT_TIMESTAMP(6) ON UPDATE ...``)
TIMESTAMP_FUNCTION = re.compile(rf"\s*{_TIMESTAMP_NAME}\b", re.I)


def is_mariadb(dialect: Dialect) -> bool:
    return bool(getattr(dialect, "is_mariadb", False))


def server_version(dialect: Dialect, context_opts: dict[str, Any] | None = None) -> tuple[int, ...]:
    """The server version: the connected server's, else ``mysql_server_version`` from the
    context options, else a current release (offline scripts assume MySQL 8.0 / MariaDB 10.11)."""
    info = getattr(dialect, "server_version_info", None)
    if info:
        return tuple(int(part) for part in info if isinstance(part, int))
    given = (context_opts or {}).get("mysql_server_version")
    if given:
        if isinstance(given, str):
            return tuple(int(part) for part in re.findall(r"\d+", given)[:3])
        return tuple(int(part) for part in given)
    return (10, 11) if is_mariadb(dialect) else (8, 0, 36)


def supports_rename_column(dialect: Dialect, context_opts: dict[str, Any] | None = None) -> bool:
    """``RENAME COLUMN a TO b``: MySQL 8.0 and MariaDB 10.5.2 onwards."""
    version = server_version(dialect, context_opts)
    return version >= ((10, 5, 2) if is_mariadb(dialect) else (8, 0))


def _expression_defaults(dialect: Dialect) -> bool:
    """Whether the server takes ``DEFAULT (expr)`` (MySQL 8.0.13+, MariaDB 10.2+)."""
    return bool(getattr(dialect, "_support_default_function", True))


@dataclass
class ColumnSpec:
    """Everything ``MODIFY`` / ``CHANGE`` restates about a column.

    ``type`` is a SQLAlchemy type, or the server's own text (``int(10) unsigned``) when read from
    the catalog. ``default``: None for no default; a ``str`` is a literal value; ``text()`` or
    another SQL expression is written as SQL. ``computed`` makes it a generated column (a
    :class:`sqlalchemy.Computed` or the catalog's ``GENERATED ALWAYS AS (...) ...`` text).
    """

    type: Any
    nullable: bool = True
    default: Any = None
    autoincrement: bool = False
    comment: str | None = None
    computed: Any = None
    on_update: str | None = None
    invisible: bool = False
    charset: str | None = None
    collation: str | None = None
    check: str | None = None


def raw_sql(compiler: DDLCompiler, text: str) -> str:
    """SQL text written into a statement as it is (the catalog's column type, default,
    generation expression and CHECK, a ``text()`` default): with ``%`` doubled where the
    driver's paramstyle reads it (pymysql, mysqlclient), as SQLAlchemy does for the text it
    compiles, else a default like ``'5%'`` fails in the driver."""
    return text.replace("%", "%%") if compiler.preparer._double_percents else text


def render_default(compiler: DDLCompiler, default: Any) -> str:
    """A server default as MySQL writes it: strings quoted, expressions in parentheses where the
    server needs them (timestamp functions and literals stay bare)."""
    if isinstance(default, sa.DefaultClause):
        default = default.arg
    if isinstance(default, str):
        return base.format_literal(compiler, default)
    if isinstance(default, TextClause):
        text = raw_sql(compiler, default.text)
    elif isinstance(default, ClauseElement):
        text = compiler.sql_compiler.process(default, literal_binds=True, include_table=False)
    else:
        return base.format_literal(compiler, str(default))
    if (
        _expression_defaults(compiler.dialect)
        and not _BARE_DEFAULT.fullmatch(text)
        and not _wrapped(text)
        and not re.fullmatch(r"\s*\w+\s*", text)
    ):
        return f"({text})"
    return text


def _wrapped(text: str) -> bool:
    """``(...)`` around the whole text (quoted parentheses aside)."""
    return unwrap_parentheses(text) != text.strip()


def render_spec(compiler: DDLCompiler, spec: ColumnSpec) -> str:
    """The column definition after the name, in the order MySQL's grammar takes."""
    parts = [raw_sql(compiler, spec.type) if isinstance(spec.type, str)
             else base.format_type(compiler, spec.type)]
    if spec.charset:
        parts.append(f"CHARACTER SET {spec.charset}")
    if spec.collation:
        parts.append(f"COLLATE {spec.collation}")
    if spec.computed is not None:
        computed = spec.computed
        parts.append(raw_sql(compiler, computed) if isinstance(computed, str)
                     else compiler.process(computed))
        if not spec.nullable:
            parts.append("NOT NULL")
    else:
        parts.append("NULL" if spec.nullable else "NOT NULL")
        if spec.default is not None:
            parts.append("DEFAULT " + render_default(compiler, spec.default))
        if spec.on_update:
            parts.append(f"ON UPDATE {raw_sql(compiler, spec.on_update)}")
    if spec.invisible:
        parts.append("INVISIBLE")
    if spec.autoincrement:
        parts.append("AUTO_INCREMENT")
    if spec.comment:
        parts.append("COMMENT " + base.format_literal(compiler, spec.comment))
    if spec.check:
        parts.append(f"CHECK ({raw_sql(compiler, spec.check)})")
    return " ".join(parts)


# --- constructs --------------------------------------------------------------------------------


class ModifyColumn(base.AlterTable):
    """``ALTER TABLE t MODIFY c <spec>``, or ``CHANGE c d <spec>`` with ``newname``."""

    def __init__(
        self,
        table_name: str,
        column_name: str,
        spec: ColumnSpec,
        schema: str | None = None,
        newname: str | None = None,
    ) -> None:
        super().__init__(table_name, schema=schema)
        self.column_name = column_name
        self.spec = spec
        self.newname = newname


class DropConstraint(base.AlterTable):
    """``ALTER TABLE t DROP FOREIGN KEY | PRIMARY KEY | INDEX | CHECK | CONSTRAINT ...``.

    ``kind`` is one of ``foreignkey``, ``primary``, ``unique``, ``check``, or ``any``:
    ``DROP CONSTRAINT`` (MariaDB's, for every kind but the primary key).
    """

    def __init__(
        self, table_name: str, name: str, kind: str, schema: str | None = None,
        if_exists: bool = False,
    ) -> None:
        super().__init__(table_name, schema=schema)
        self.name = name
        self.kind = kind
        self.if_exists = if_exists


def _register(construct: type[ExecutableDDLElement]) -> Any:
    """``@compiles(construct, "mysql", "mariadb")``."""
    return compiles(construct, *DIALECTS)


@_register(ModifyColumn)
def _modify_column(element: ModifyColumn, compiler: DDLCompiler, **kw: Any) -> str:
    head = base.alter_table(compiler, element.table_name, element.schema)
    name = base.format_column_name(compiler, element.column_name)
    spec = render_spec(compiler, element.spec)
    if element.newname is not None and element.newname != element.column_name:
        return f"{head} CHANGE {name} {base.format_column_name(compiler, element.newname)} {spec}"
    return f"{head} MODIFY {name} {spec}"


@_register(DropConstraint)
def _drop_constraint(element: DropConstraint, compiler: DDLCompiler, **kw: Any) -> str:
    head = f"{base.alter_table(compiler, element.table_name, element.schema)} DROP "
    exists = "IF EXISTS " if element.if_exists else ""
    name = compiler.preparer.quote(element.name)
    if element.kind == "primary":
        return head + "PRIMARY KEY"
    if element.kind == "foreignkey":
        return f"{head}FOREIGN KEY {exists}{name}"
    if element.kind == "unique":
        return f"{head}INDEX {exists}{name}"
    if element.kind == "check" and not is_mariadb(compiler.dialect):
        return f"{head}CHECK {name}"
    return f"{head}CONSTRAINT {exists}{name}"


# --- the core's constructs on MySQL ----------------------------------------------------------


def spec_from_existing(element: base.AlterColumn, **changes: Any) -> ColumnSpec:
    """The spec restated from a core construct's ``existing_*`` values plus ``changes``."""
    type_ = changes.pop("type", None) or element.existing_type
    if type_ is None:
        raise CommandError(
            f"{type(element).__name__} on {element.table_name}.{element.column_name}: MySQL "
            "restates the whole column (MODIFY / CHANGE); pass existing_type="
        )
    default = element.existing_server_default
    computed = default if isinstance(default, sa.Computed) else None
    spec = ColumnSpec(
        type=type_,
        nullable=element.existing_nullable is not False,
        default=None if computed is not None or default is False else default,
        comment=element.existing_comment or None,
        computed=computed,
    )
    for key, value in changes.items():
        setattr(spec, key, value)
    return spec


def _modify_from(element: base.AlterColumn, compiler: DDLCompiler, **changes: Any) -> str:
    return _modify_column(
        ModifyColumn(
            element.table_name, element.column_name, spec_from_existing(element, **changes),
            schema=element.schema,
        ),
        compiler,
    )


@_register(base.ColumnNullable)
def _column_nullable(element: base.ColumnNullable, compiler: DDLCompiler, **kw: Any) -> str:
    return _modify_from(element, compiler, nullable=element.nullable)


@_register(base.ColumnType)
def _column_type(element: base.ColumnType, compiler: DDLCompiler, **kw: Any) -> str:
    return _modify_from(element, compiler, type=element.type_)


@_register(base.ColumnComment)
def _column_comment(element: base.ColumnComment, compiler: DDLCompiler, **kw: Any) -> str:
    return _modify_from(element, compiler, comment=element.comment or None)


@_register(base.ColumnDefault)
def _column_default(element: base.ColumnDefault, compiler: DDLCompiler, **kw: Any) -> str:
    head = (
        f"{base.alter_table(compiler, element.table_name, element.schema)} "
        f"{base.alter_column(compiler, element.column_name)}"
    )
    if element.default is None:
        return f"{head} DROP DEFAULT"
    return f"{head} SET DEFAULT {render_default(compiler, element.default)}"


@_register(base.ColumnName)
def _column_name(element: base.ColumnName, compiler: DDLCompiler, **kw: Any) -> str:
    if supports_rename_column(compiler.dialect):
        return base._column_name(element, compiler)  # RENAME COLUMN: no spec needed
    return _modify_column(
        ModifyColumn(
            element.table_name, element.column_name, spec_from_existing(element),
            schema=element.schema, newname=element.newname,
        ),
        compiler,
    )


@_register(base.IdentityColumnDefault)
def _identity(element: base.IdentityColumnDefault, compiler: DDLCompiler, **kw: Any) -> str:
    raise CommandError(
        f"{element.table_name}.{element.column_name}: MySQL has no identity columns; use "
        "alter_column(..., autoincrement=True) for AUTO_INCREMENT"
    )


@_register(base.RenameTable)
def _rename_table(element: base.RenameTable, compiler: DDLCompiler, **kw: Any) -> str:
    """The new name keeps the schema: unqualified, MySQL would move the table into the
    connection's current database."""
    return (
        f"{base.alter_table(compiler, element.table_name, element.schema)} RENAME TO "
        f"{base.format_table_name(compiler, element.new_table_name, element.schema)}"
    )
