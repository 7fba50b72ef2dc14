"""PostgreSQL catalog reads for a recreate (``recreate="always"``): what depends on the table
and would be lost or would block ``DROP TABLE`` — foreign keys of other tables, views,
triggers, sequences owned by its columns, exclusion constraints — and identity sequence state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mig_core.ddl.statements import server_form


@dataclass
class ChildKey:
    """A foreign key of another table pointing at the recreated one."""

    table: str  # schema-qualified when needed (regclass text)
    name: str
    definition: str  # pg_get_constraintdef: FOREIGN KEY (...) REFERENCES t(...) ...
    referred_columns: list[str]


def _oid(conn: Any, schema: str | None, table: str) -> int:
    preparer = conn.dialect.identifier_preparer
    name = f"{preparer.quote_schema(schema)}.{preparer.quote(table)}" if schema else preparer.quote(
        table
    )
    return int(conn.execute(
        sa.text("SELECT CAST(:n AS regclass)::oid"), {"n": server_form(conn.dialect, name)}
    ).scalar())


def children(conn: Any, schema: str | None, table: str) -> list[ChildKey]:
    oid = _oid(conn, schema, table)
    rows = conn.execute(
        sa.text(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), "
            "ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i) "
            "      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n "
            "      ORDER BY k.i) "
            "FROM pg_constraint c WHERE c.contype = 'f' AND c.confrelid = :oid "
            "AND c.conrelid <> c.confrelid ORDER BY 1, 2"
        ),
        {"oid": oid},
    ).all()
    return [ChildKey(r[0], r[1], r[2], list(r[3])) for r in rows]


def dependent_views(conn: Any, schema: str | None, table: str) -> list[str]:
    """The views (and materialized views) built on the table, named for messages
    (:func:`display_name`): those the search path finds first, then by schema."""
    oid = _oid(conn, schema, table)
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT CASE WHEN pg_table_is_visible(v.oid) THEN NULL ELSE n.nspname END, "
            "v.relname FROM pg_depend d "
            "JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class "
            "JOIN pg_namespace n ON n.oid = v.relnamespace "
            "WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = :oid AND v.oid <> :oid"
        ),
        {"oid": oid},
    ).all()
    return [display_name(*r) for r in sorted(rows, key=lambda r: (r[0] or "", r[1]))]


def display_name(schema: str | None, name: str) -> str:
    """An object's name as mig's messages write it: ``schema.name`` (the schema left out when
    the search path finds the object, as PostgreSQL's own messages do), each part as it is,
    in double quotes only when it holds a dot, a comma or a double quote or starts or ends
    with a space (where a list or ``schema.name`` would read wrongly)."""
    def part(text: str) -> str:
        if any(c in text for c in '.,"') or text != text.strip() or not text:
            return '"' + text.replace('"', '""') + '"'
        return text

    return f"{part(schema)}.{part(name)}" if schema else part(name)


def triggers(conn: Any, schema: str | None, table: str) -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER statement) of the table's own triggers."""
    oid = _oid(conn, schema, table)
    rows = conn.execute(
        sa.text(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = :oid AND NOT tgisinternal ORDER BY tgname"
        ),
        {"oid": oid},
    ).all()
    return [(r[0], r[1]) for r in rows]


def exclusion_constraints(conn: Any, schema: str | None, table: str) -> list[str]:
    oid = _oid(conn, schema, table)
    rows = conn.execute(
        sa.text("SELECT conname FROM pg_constraint WHERE conrelid = :oid AND contype = 'x'"),
        {"oid": oid},
    ).all()
    return [r[0] for r in rows]


def owned_sequences(conn: Any, schema: str | None, table: str) -> list[tuple[str, str]]:
    """(sequence, column) of the sequences owned by the table's columns (SERIAL), not
    identity sequences."""
    oid = _oid(conn, schema, table)
    rows = conn.execute(
        sa.text(
            "SELECT s.oid::regclass::text, a.attname FROM pg_depend d "
            "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
            "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
            "WHERE d.classid = 'pg_class'::regclass AND d.refobjid = :oid AND d.deptype = 'a' "
            "ORDER BY 2"
        ),
        {"oid": oid},
    ).all()
    return [(r[0], r[1]) for r in rows]


def identity_state(
    conn: Any, qualified_table: str, column: str
) -> tuple[str, int, bool] | None:
    """(sequence, last_value, is_called) of an identity column's sequence."""
    seq = serial_sequence(conn, qualified_table, column)
    if seq is None:
        return None
    row = conn.exec_driver_sql(  # the server's own text for the sequence: sent as it is
        f"SELECT last_value, is_called FROM {seq}", execution_options={"no_parameters": True}
    ).first()
    return seq, int(row[0]), bool(row[1])


def relation_name(qualified: str) -> str:
    """The last part of a relation's name as PostgreSQL writes it (``regclass`` text:
    ``"Ten""ant"."Order.T_id_seq"`` is ``Order.T_id_seq``; unquoted parts are lower case)."""
    import re

    parts = re.findall(r'"((?:[^"]|"")*)"|([^."]+)', qualified)
    if not parts:
        return qualified
    quoted, plain = parts[-1]
    return quoted.replace('""', '"') if quoted else plain


def serial_sequence(conn: Any, qualified_table: str, column: str) -> str | None:
    return conn.execute(  # type: ignore[no-any-return]
        sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
        {"t": server_form(conn.dialect, qualified_table), "c": column},
    ).scalar()
