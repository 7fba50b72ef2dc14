"""Oracle SQL for mig's ALTER constructs (``@compiles(..., "oracle")``), and guarded statements.

Oracle changes a column with ``ALTER TABLE t MODIFY c <what>`` (type, ``NULL`` / ``NOT NULL``,
``DEFAULT x`` / ``DEFAULT NULL``, identity), adds one with ``ADD`` (no ``COLUMN`` keyword) and
has no ``USING`` clause. It has no ``IF [NOT] EXISTS`` for columns or constraints at all, and
for tables, indexes and sequences only from 23ai on, so every ``if_exists`` / ``if_not_exists``
is written as a PL/SQL block that runs the statement and ignores exactly the error meaning
"already there" / "not there" (:func:`guarded`) — it works on every Oracle version.

Importing this module registers the compilations; :mod:`mig_oracle.impl` imports it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.ddl import ExecutableDDLElement

from mig_core.ddl import base

if TYPE_CHECKING:
    from sqlalchemy.sql.compiler import DDLCompiler

DIALECT = "oracle"

#: Oracle error codes (SQLCODE) an ``if_exists`` / ``if_not_exists`` statement ignores
ORA_NAME_IN_USE = -955  # ORA-00955: name is already used by an existing object
ORA_TABLE_MISSING = -942  # ORA-00942: table or view does not exist
ORA_INDEX_MISSING = -1418  # ORA-01418: specified index does not exist
ORA_COLUMN_EXISTS = -1430  # ORA-01430: column being added already exists in table
ORA_INVALID_IDENTIFIER = -904  # ORA-00904: invalid identifier (no such column)
ORA_CONSTRAINT_MISSING = -2443  # ORA-02443: cannot drop constraint - nonexistent constraint
ORA_SEQUENCE_MISSING = -2289  # ORA-02289: sequence does not exist


def plsql_literal(text: str) -> str:
    """``text`` as a PL/SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


#: the start of a PL/SQL unit, which ends with ``END;`` and runs at the ``/`` line after it
_PLSQL = re.compile(
    r"\s*(<<|(BEGIN|DECLARE)\b|CREATE\s+(OR\s+REPLACE\s+)?((NON)?EDITIONABLE\s+)?"
    r"(PROCEDURE|FUNCTION|PACKAGE|TRIGGER|TYPE|LIBRARY|JAVA)\b)",
    re.IGNORECASE,
)


def script_statement(text: str) -> str:
    """``text`` as an offline script writes it before the ``/`` line: a SQL statement without
    a trailing ``;``, since SQL*Plus / SQLcl run a statement at its ``;`` and then again at
    the ``/``; a PL/SQL unit unchanged (its ``END;`` is part of it)."""
    text = text.strip()
    if text.endswith(";") and not _PLSQL.match(text):
        text = re.sub(r"[;\s]+$", "", text)
    return text


def guarded(statement: str, ignore: Sequence[int]) -> str:
    """A PL/SQL block running ``statement`` that ignores the errors whose SQLCODE is in ``ignore``.

    Any other error is raised again. The block ends with ``END;`` (PL/SQL needs it); offline,
    the ``/`` line after it makes SQL*Plus / SQLcl run it.
    """
    codes = ", ".join(str(code) for code in ignore)
    statement = statement.strip()
    return (
        "BEGIN\n"
        f"    EXECUTE IMMEDIATE {plsql_literal(statement)};\n"
        "EXCEPTION\n"
        "    WHEN OTHERS THEN\n"
        f"        IF SQLCODE NOT IN ({codes}) THEN\n"
        "            RAISE;\n"
        "        END IF;\n"
        "END;"
    )


class GuardedStatement(ExecutableDDLElement):
    """A DDL construct run through :func:`guarded`: the impl's form of ``IF [NOT] EXISTS``."""

    inherit_cache = False

    def __init__(self, element: Any, ignore: Sequence[int]) -> None:
        self.element = element
        self.ignore = tuple(ignore)


@compiles(GuardedStatement)
def _guarded_statement(element: GuardedStatement, compiler: DDLCompiler, **kw: Any) -> str:
    return guarded(compiler.process(element.element, **kw), element.ignore)


# --- ALTER constructs --------------------------------------------------------------------------


class ModifyColumn(base.AlterColumn):
    """``ALTER TABLE t MODIFY c [<type>] [DEFAULT x | DEFAULT NULL] [NULL | NOT NULL]``.

    The Oracle impl changes a column's type, default and nullability in this ONE statement, so
    an ``alter_column`` touching several of them is all-or-nothing even though Oracle DDL is
    not transactional. ``default=False`` leaves the default alone; ``nullable=None`` the
    nullability.
    """

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        type_: Any = None,
        default: Any = False,
        nullable: bool | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(table_name, column_name, **kw)
        self.type_ = base._to_type(type_)
        self.default = default
        self.nullable = nullable


@compiles(ModifyColumn)
def _modify_column(element: ModifyColumn, compiler: DDLCompiler, **kw: Any) -> str:
    parts = []
    if element.type_ is not None:
        parts.append(base.format_type(compiler, element.type_))
    if element.default is not False:
        parts.append(
            "DEFAULT NULL" if element.default is None
            else f"DEFAULT {base.format_server_default(compiler, element.default)}"
        )
    if element.nullable is not None:
        parts.append("NULL" if element.nullable else "NOT NULL")
    if not parts:
        raise CompileError("ModifyColumn needs a type, a default or a nullability")
    return _modify(compiler, element, " ".join(parts))


def _modify(compiler: DDLCompiler, element: base.AlterColumn, what: str) -> str:
    return (
        f"{base.alter_table(compiler, element.table_name, element.schema)} MODIFY "
        f"{base.format_column_name(compiler, element.column_name)} {what}"
    )


@compiles(base.AddColumn, DIALECT)
def _add_column(element: base.AddColumn, compiler: DDLCompiler, **kw: Any) -> str:
    spec = base.column_specification(
        compiler,
        element.column,
        inline_references=element.inline_references,
        inline_primary_key=element.inline_primary_key,
    )
    text = f"{base.alter_table(compiler, element.table_name, element.schema)} ADD {spec}"
    return guarded(text, [ORA_COLUMN_EXISTS]) if element.if_not_exists else text


@compiles(base.DropColumn, DIALECT)
def _drop_column(element: base.DropColumn, compiler: DDLCompiler, **kw: Any) -> str:
    text = (
        f"{base.alter_table(compiler, element.table_name, element.schema)} DROP COLUMN "
        f"{base.format_column_name(compiler, element.column_name)}"
    )
    return guarded(text, [ORA_INVALID_IDENTIFIER]) if element.if_exists else text


@compiles(base.ColumnNullable, DIALECT)
def _column_nullable(element: base.ColumnNullable, compiler: DDLCompiler, **kw: Any) -> str:
    return _modify(compiler, element, "NULL" if element.nullable else "NOT NULL")


@compiles(base.ColumnType, DIALECT)
def _column_type(element: base.ColumnType, compiler: DDLCompiler, **kw: Any) -> str:
    if element.using is not None:
        raise CompileError(
            "Oracle's MODIFY has no USING clause; convert the data with op.execute() around "
            "the type change"
        )
    return _modify(compiler, element, base.format_type(compiler, element.type_))


@compiles(base.ColumnDefault, DIALECT)
def _column_default(element: base.ColumnDefault, compiler: DDLCompiler, **kw: Any) -> str:
    if element.default is None:
        return _modify(compiler, element, "DEFAULT NULL")
    return _modify(
        compiler, element, f"DEFAULT {base.format_server_default(compiler, element.default)}"
    )


@compiles(base.IdentityColumnDefault, DIALECT)
def _identity_default(
    element: base.IdentityColumnDefault, compiler: DDLCompiler, **kw: Any
) -> str:
    if element.default is None:
        return _modify(compiler, element, "DROP IDENTITY")
    if element.existing is None:
        raise CompileError(
            f"Oracle cannot make the existing column {element.column_name!r} an identity column "
            "(ORA-30673); add a new column with "
            "sa.Identity() instead (pass existing_server_default=sa.Identity(...) to change "
            "a column that already is one)"
        )
    # Oracle restates the whole identity clause to change any of its attributes
    return _modify(compiler, element, compiler.visit_identity_column(element.default))


@compiles(base.ColumnComment, DIALECT)
def _column_comment(element: base.ColumnComment, compiler: DDLCompiler, **kw: Any) -> str:
    # Oracle has no NULL comment: the empty string removes it
    comment = base.format_literal(compiler, element.comment or "")
    return (
        f"COMMENT ON COLUMN {base.format_table_name(compiler, element.table_name, element.schema)}"
        f".{base.format_column_name(compiler, element.column_name)} IS {comment}"
    )


# ColumnName (RENAME COLUMN a TO b) and RenameTable (RENAME TO u, the new name unqualified)
# are Oracle SQL in their default compilation already.

__all__ = [
    "GuardedStatement",
    "ORA_COLUMN_EXISTS",
    "ORA_CONSTRAINT_MISSING",
    "ORA_INDEX_MISSING",
    "ORA_INVALID_IDENTIFIER",
    "ORA_NAME_IN_USE",
    "ORA_SEQUENCE_MISSING",
    "ORA_TABLE_MISSING",
    "ModifyColumn",
    "guarded",
    "plsql_literal",
    "script_statement",
]
