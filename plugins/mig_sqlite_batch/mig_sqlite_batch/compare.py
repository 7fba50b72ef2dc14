"""Autogenerate on SQLite: what the reflection of a primary key gets wrong.

``PRAGMA table_info`` reports a primary key column as nullable unless ``NOT NULL`` is written,
but SQLite never stores NULL in a column that aliases the rowid (``id INTEGER PRIMARY KEY``),
nor in any key column of a ``WITHOUT ROWID`` table. A model's primary key (always NOT NULL)
then read as a nullability change on tables created by hand or by other tools, and the
``alter_column`` written for it needs a batch to run. Only tables with a key column reported
nullable are looked at (one read of their SQL); those mig or SQLAlchemy created say NOT NULL.
"""

from __future__ import annotations

from typing import Any


def correct_key_nullability(ctx: Any, conn_table: Any) -> None:
    """Mark the key columns SQLite keeps from NULL as NOT NULL in ``conn_table``."""
    keys = [raw for raw in conn_table.raw_columns if raw.get("primary_key")]
    if not any(raw.get("nullable", True) for raw in keys):
        return
    from mig_sqlite_batch.sqlite_schema import table_sql
    from mig_sqlite_batch.sqltext import key_facts

    sql = table_sql(ctx.connection, conn_table.schema, conn_table.name)
    if not sql:
        return
    facts = key_facts(sql)
    for raw in keys:
        if facts.without_rowid or (
            facts.rowid_alias is not None and raw["name"].lower() == facts.rowid_alias.lower()
        ):
            conn_table.set_column_nullable(raw, False)


def fill_generated_expressions(ctx: Any, schemas: Any) -> None:
    """Give reflected generated columns the expression SQLAlchemy could not read from the
    table's SQL (it stops at a comma: ``x NUMERIC(12, 4) GENERATED ALWAYS AS (a * 2)`` reads
    as ``''``), so comparison and a dropped table's re-creation in the downgrade see it.
    Only tables with such a column are read again."""
    from mig_sqlite_batch.sqlite_schema import table_sql
    from mig_sqlite_batch.sqltext import column_definitions

    for schema in schemas:
        for conn_table in ctx.snapshot(schema).tables.values():
            missing = [
                raw for raw in conn_table.raw_columns
                if raw.get("computed") is not None and not raw["computed"].get("sqltext")
            ]
            sql = table_sql(ctx.connection, conn_table.schema, conn_table.name) if missing else None
            if not sql:
                continue
            definitions = column_definitions(sql)
            for raw in missing:
                found = definitions.get(raw["name"].lower())
                if found is not None and found.generated is not None:
                    raw["computed"] = {"sqltext": found.generated, "persisted": found.stored}
