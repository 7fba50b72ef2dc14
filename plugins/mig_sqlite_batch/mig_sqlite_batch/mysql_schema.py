"""What SQLAlchemy's MySQL / MariaDB reflection leaves out of a table, read from
``information_schema`` for a recreate: foreign keys it skips or misreads (to a table, or a
column, whose name holds a backtick), MariaDB's column-level CHECK constraints (the
``json_valid`` CHECK of a ``JSON`` column among them) and descending index columns; an index it
cannot read at all (MariaDB's ``IGNORED``) stops the batch rather than being dropped."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mig_core.ddl.statements import server_form, verbatim_text
from mig_core.errors import CommandError
from mig_sqlite_batch.model import TableModel
from mig_sqlite_batch.states import ConstraintState

#: SQLAlchemy's warning for a foreign key line of SHOW CREATE TABLE it cannot parse (one to a
#: table whose name holds a backtick): :func:`replace_unread_keys` reads the key instead
UNREAD_KEY_WARNING = r"""Unknown schema content: (['"])\s*CONSTRAINT .* FOREIGN KEY """


def replace_unread_keys(impl: Any, conn: Any, schema: str | None, table: sa.Table) -> None:
    """Give the reflected ``table`` the foreign keys reflection skipped, and those it misread
    (a doubled backtick in the name or a referred column: ``q``r`` for ``q`r``), as the
    dialect's plugin reads them (``impl.missed_foreign_keys``: information_schema); without
    them the recreate would drop those keys, or re-add them to columns that do not exist."""
    misread = [fk for fk in table.foreign_key_constraints if _misread(fk)]
    for fk in misread:
        _remove_key(table, fk)
    reflected = {str(fk.name) for fk in table.foreign_key_constraints}
    for key in impl.missed_foreign_keys(conn, schema, table.name, reflected):
        targets = [_target(key["referred_schema"], key["referred_table"], column)
                   for column in key["referred_columns"]]
        table.append_constraint(sa.ForeignKeyConstraint(
            key["constrained_columns"], targets, name=key["name"], link_to_name=True,
            **key["options"]))


def _misread(fk: sa.ForeignKeyConstraint) -> bool:
    from mig_sqlite_batch.states import target_parts

    names = [str(fk.name or ""), *(str(part or "") for e in fk.elements
                                   for part in target_parts(e))]
    return any("``" in name for name in names)


def _remove_key(table: sa.Table, fk: sa.ForeignKeyConstraint) -> None:
    """Take a reflected foreign key off ``table`` (SQLAlchemy has no call for it)."""
    table.constraints.discard(fk)
    for element in fk.elements:
        element.parent.foreign_keys.discard(element)
        table.foreign_keys.discard(element)


def _target(schema: str | None, table: str, column: str) -> Any:
    """A foreign key target kept as three names (SQLAlchemy 2.1), or as the dotted string
    reflection itself writes before it."""
    target = getattr(sa.sql.schema, "ForeignKeyTarget", None)
    if target is not None:
        return target(schema, table, column)
    return ".".join(p for p in (schema, table, column) if p)


def complete(conn: Any, schema: str | None, table: str, model: TableModel, where: str) -> None:
    """Add to ``model`` what reflection did not report."""
    database = schema or str(conn.execute(sa.text("SELECT DATABASE()")).scalar())
    params = {"db": database, "t": table}
    _refuse_backtick_names(model, where)
    _refuse_unread_indexes(conn, params, model, where)
    if getattr(conn.dialect, "is_mariadb", False) and (
        conn.dialect.server_version_info or (0,)
    ) >= (10, 5, 10):  # (the LEVEL column)
        for (clause,) in conn.execute(sa.text(
            "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = :db AND TABLE_NAME = :t AND LEVEL = 'Column' "
            "ORDER BY CONSTRAINT_NAME"
        ), params):
            # kept as an unnamed table CHECK: the same rule, dropped with its column
            model.constraints.append(ConstraintState("check", None, sqltext=str(clause)))
    descending: dict[str, set[str]] = {}
    for index_name, column in conn.execute(sa.text(
        "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = :db AND TABLE_NAME = :t AND COLLATION = 'D'"
    ), params):
        descending.setdefault(index_name, set()).add(column)
    for index_name, columns in descending.items():
        index = model.find_index(index_name)
        if index is not None:
            # always quoted: `note`(10) is a column with a prefix, note(10) a function call
            _write_out(index, columns, model.dialect)


def _write_out(index: Any, descending: set[str], dialect: Any) -> None:
    """The index's columns as SQL text, ``DESC`` and prefix lengths included (SQLAlchemy
    writes a length only for a column element, and cannot mix them with text): ``text()``
    whose compiled form is exactly the quoted names (a ``:d`` or ``%`` in a name is no
    parameter; ``text()`` doubles ``%`` itself where the driver reads it)."""
    def quote(name: str) -> str:
        return server_form(dialect, str(dialect.identifier_preparer.quote_identifier(name)))

    lengths: dict[str, int] = {}
    for key in [k for k in index.kw if k.endswith("_length")]:
        value = index.kw.pop(key)
        if isinstance(value, dict):
            lengths.update(value)
    out: list[Any] = []
    for expr in index.expressions:
        if isinstance(expr, str):
            prefix = f"({int(lengths[expr])})" if lengths.get(expr) else ""
            order = " DESC" if expr in descending else ""
            expr = verbatim_text(f"{quote(expr)}{prefix}{order}")
        out.append(expr)
    index.expressions = out


def _refuse_backtick_names(model: TableModel, where: str) -> None:
    """SQLAlchemy's MySQL reflection keeps the doubled backticks of ``SHOW CREATE TABLE`` in
    column and index names (column ``a`b`` reads as ``a``b``): the recreate would rename
    them. (Foreign keys it skips or misreads are read again: :func:`replace_unread_keys`.)"""
    names = [c.name for c in model.columns]
    names += [str(i.name) for i in model.indexes]
    names += [str(c.name) for c in model.constraints if c.name is not None]
    misread = [n for n in names if "``" in n]
    if not misread:
        return
    raise CommandError(
        f"{where}: SQLAlchemy's MySQL reflection misreads names holding a backtick "
        f"(name(s) {', '.join(repr(n.replace('``', '`')) for n in misread)}), so the recreate "
        "would rename them; rename them before the batch, or describe the table with "
        "copy_from=Table(...)"
    )


def _refuse_unread_indexes(conn: Any, params: dict[str, str], model: TableModel,
                           where: str) -> None:
    """An index reflection skipped (it warns "Unknown schema content") would be dropped."""
    known = {str(i.name) for i in model.indexes} | {
        str(c.name) for c in model.constraints if c.name is not None
    }
    missing = [name for (name,) in conn.execute(sa.text(
        "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = :db "
        "AND TABLE_NAME = :t AND INDEX_NAME <> 'PRIMARY' ORDER BY 1"
    ), params) if name not in known]
    if missing:
        raise CommandError(
            f"{where}: SQLAlchemy's reflection cannot read index(es) {', '.join(missing)} "
            f"of {params['t']} (MariaDB's IGNORED indexes are such), so the recreate would drop "
            "them; make them plain indexes before the batch and change them back after it "
            f"(op.execute(\"ALTER TABLE {params['t']} ALTER INDEX {missing[0]} NOT IGNORED\"))"
        )
