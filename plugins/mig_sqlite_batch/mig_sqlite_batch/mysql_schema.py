"""What SQLAlchemy's MySQL / MariaDB reflection leaves out of a table, read from
``information_schema`` for a recreate: MariaDB's column-level CHECK constraints (the
``json_valid`` CHECK of a ``JSON`` column among them) and descending index columns; an index it
cannot read at all (MariaDB's ``IGNORED``) stops the batch rather than being dropped."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mig_core.ddl.statements import server_form, verbatim_text
from mig_core.errors import CommandError
from mig_sqlite_batch.model import TableModel
from mig_sqlite_batch.states import ConstraintState


def complete(conn: Any, schema: str | None, table: str, model: TableModel, where: str) -> None:
    """Add to ``model`` what reflection did not report."""
    database = schema or str(conn.execute(sa.text("SELECT DATABASE()")).scalar())
    params = {"db": database, "t": table}
    _refuse_backtick_names(conn, params, model, where)
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


def _refuse_backtick_names(conn: Any, params: dict[str, str], model: TableModel,
                           where: str) -> None:
    """SQLAlchemy's MySQL reflection keeps the doubled backticks of ``SHOW CREATE TABLE`` in
    names (column ``a`b`` reads as ``a``b``) and skips a foreign key whose referred table or
    columns hold one: the recreate would rename those columns and drop that key."""
    names = [c.name for c in model.columns]
    names += [str(i.name) for i in model.indexes]
    names += [str(c.name) for c in model.constraints if c.name is not None]
    misread = [n for n in names if "``" in n]
    reflected = sum(1 for c in model.constraints if c.kind == "foreignkey")
    keys = conn.execute(sa.text(
        "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = :db AND TABLE_NAME = :t"
    ), params).scalar()
    if not misread and keys == reflected:
        return
    what = [f"name(s) {', '.join(repr(n.replace('``', '`')) for n in misread)}"] if misread \
        else []
    if keys != reflected:
        what.append(f"{keys - reflected} foreign key(s) it could not read")
    raise CommandError(
        f"{where}: SQLAlchemy's MySQL reflection misreads names holding a backtick "
        f"({'; '.join(what)}), so the recreate would rename or drop them; rename them before "
        "the batch, or describe the table with copy_from=Table(...)"
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
