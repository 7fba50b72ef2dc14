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


def _has_quote(conn_table: Any) -> bool:
    """Whether a name of the table, its columns, constraints or referred tables holds a
    double quote: only then does SQLAlchemy misread constraint names from the table's SQL."""
    names = [conn_table.name, *(raw["name"] for raw in conn_table.raw_columns)]
    for fk in conn_table.foreign_keys:
        names += [fk.get("name"), fk.get("referred_table"), *fk.get("referred_columns", ())]
    names += [uq.get("name") for uq in conn_table.unique_constraints]
    return any(isinstance(n, str) and '"' in n for n in names)


def correct_constraint_names(ctx: Any, schemas: Any) -> None:
    """Foreign key and UNIQUE names as the tables' SQL writes them. SQLAlchemy's SQLite
    reflection keeps the doubled quotes of a quoted name (the name ``fk "x"`` reads as
    ``fk ""x""``), runs a name on into the next constraints when an earlier name holds a
    quote, and loses the name of a foreign key to a table whose name holds one; each then read
    as a renamed constraint. Only tables with a double quote in a name are read again. (The
    primary key's and CHECKs' names matter only to a dropped table's re-creation:
    ``_complete_table``.)"""
    from mig_sqlite_batch.sqlite_schema import table_sql
    from mig_sqlite_batch.sqltext import named_constraints

    for schema in schemas:
        for conn_table in ctx.snapshot(schema).tables.values():
            if not _has_quote(conn_table):
                continue
            sql = table_sql(ctx.connection, conn_table.schema, conn_table.name)
            if not sql:
                continue
            named = named_constraints(sql)

            def written(kind: str, columns: Any, named: Any = named) -> str | None:
                cols = [str(c).lower() for c in columns]
                return next((n.name for n in named if n.kind == kind
                             and [c.lower() for c in n.columns] == cols), None)

            for fk in conn_table.foreign_keys:
                fk["name"] = written("foreignkey", fk["constrained_columns"])
            for uq in conn_table.unique_constraints:
                uq["name"] = written("unique", uq["column_names"])


def _correct_key_and_check_names(conn_table: Any, sql: str) -> None:
    """The primary key's and CHECKs' names as the table's SQL writes them (see
    ``correct_constraint_names``)."""
    from mig_sqlite_batch.sqltext import check_clauses, named_constraints, normalized

    pk = conn_table.primary_key
    if '"' in str(pk.get("name") or "") or (_has_quote(conn_table) and pk.get("name")):
        cols = [str(c).lower() for c in pk.get("constrained_columns", ())]
        pk["name"] = next((n.name for n in named_constraints(sql) if n.kind == "primary"
                           and [c.lower() for c in n.columns] == cols), None)
    if not any('"' in str(ck.get("name") or "") for ck in conn_table.check_constraints):
        return
    try:
        checks = check_clauses(sql)
    except (ValueError, StopIteration):
        return
    for ck in conn_table.check_constraints:
        text = normalized(str(ck.get("sqltext", "")))
        ck["name"] = next((c.name for c in checks if c.name is not None
                           and normalized(c.sqltext) == text), ck.get("name"))


def fill_generated_expressions(ctx: Any, schemas: Any) -> None:
    """Give reflected generated columns the expression the table's SQL has: SQLAlchemy's
    regex misreads it (``x NUMERIC(12, 4) GENERATED ALWAYS AS (a * 2)`` reads as ``''``, and
    a table written on one line gives the expression the rest of the line), so comparison
    and a dropped table's re-creation in the downgrade see the right one. Only tables with a
    generated column are read again."""
    from mig_sqlite_batch.sqlite_schema import table_sql
    from mig_sqlite_batch.sqltext import column_definitions

    for schema in schemas:
        for conn_table in ctx.snapshot(schema).tables.values():
            generated = [
                raw for raw in conn_table.raw_columns if raw.get("computed") is not None
            ]
            sql = table_sql(ctx.connection, conn_table.schema, conn_table.name) if generated else None
            if not sql:
                continue
            definitions = column_definitions(sql)
            for raw in generated:
                found = definitions.get(raw["name"].lower())
                if found is not None and found.generated is not None:
                    raw["computed"] = {"sqltext": found.generated, "persisted": found.stored}


def complete_dropped_tables(ctx: Any, schemas: Any) -> None:
    """Give each table the model lacks (the downgrade re-creates it) what SQLAlchemy's
    reflection leaves out, read from the SQL SQLite keeps: expression indexes and index
    elements with COLLATE, ``AUTOINCREMENT``, column ``COLLATE`` and column-level UNIQUE.
    ``ON CONFLICT`` clauses are said in a note (the re-creation leaves them out)."""
    meta_tables = ctx.meta_tables()
    for schema in schemas:
        for name, conn_table in ctx.snapshot(schema).tables.items():
            if (ctx.normalize_schema(schema), name) not in meta_tables:
                _complete_table(ctx, conn_table, ctx.snapshot(schema))


def _complete_table(ctx: Any, conn_table: Any, snapshot: Any) -> None:
    import copy

    from mig_sqlite_batch.sqlite_schema import table_sql, unique_constraints
    from mig_sqlite_batch.sqltext import clause_options, column_collations, has_autoincrement

    conn = ctx.connection
    sql = table_sql(conn, conn_table.schema, conn_table.name)
    if not sql:
        return
    if '""' in sql:  # a name holding a double quote: the key's and CHECKs' names, read now
        snapshot.load_deferred([conn_table.name])  # (for this table alone)
        _correct_key_and_check_names(conn_table, sql)
    if has_autoincrement(sql):
        conn_table.options["sqlite_autoincrement"] = True
    collations = column_collations(sql)
    for raw in conn_table.raw_columns:
        collation = collations.get(raw["name"].lower())
        type_ = raw["type"]
        if collation and hasattr(type_, "collation") and not type_.collation:
            type_ = copy.copy(type_)
            type_.collation = collation
            conn_table.set_column_type(raw, type_)
    reflected = {tuple(uq["column_names"]) for uq in conn_table.unique_constraints}
    for columns in unique_constraints(conn, conn_table.schema, conn_table.name):
        if tuple(columns) not in reflected:
            conn_table.unique_constraints.append({"name": None, "column_names": columns})
            reflected.add(tuple(columns))
    _complete_indexes(ctx, conn_table)
    conflicts = sorted({c.kind for c in clause_options(sql) if c.on_conflict})
    if conflicts:
        conn_table.notes.append(
            f"the ON CONFLICT clause(s) of its {', '.join(conflicts)} constraint(s) are not "
            "re-created (SQLAlchemy does not reflect them); add sqlite_on_conflict=... by hand"
        )


def _complete_indexes(ctx: Any, conn_table: Any) -> None:
    """Indexes reflection skipped (expressions) or read without their COLLATE, from their SQL."""
    import sqlalchemy as sa

    from mig_sqlite_batch.sqlite_schema import index_sql
    from mig_sqlite_batch.sqltext import index_parts

    by_name = {str(r.get("name")).lower(): r for r in conn_table.indexes}
    listed = {
        row[1]: bool(row[2]) for row in ctx.connection.exec_driver_sql(
            f"PRAGMA {_prefix(ctx, conn_table.schema)}index_list("
            f"{ctx.dialect.identifier_preparer.quote(conn_table.name)})"
        )
    }
    for lowered, sql in index_sql(ctx.connection, conn_table.schema, conn_table.name).items():
        parts = index_parts(sql)
        record = by_name.get(lowered)
        # columns alone (with ASC / DESC) are read whole by reflection and the core's sorting
        plain = all(column is not None for column in parts.columns)
        if (record is not None and plain) or not parts.elements:
            continue
        name = next((n for n in listed if n.lower() == lowered), lowered)
        built: dict[str, Any] = {
            "name": name,
            "column_names": [
                column if column is not None and column == element.strip('"`[]') else None
                for column, element in zip(parts.columns, parts.elements)
            ],
            "expressions": parts.elements,
            "unique": listed.get(name, False),
            "dialect_options": {"sqlite_where": sa.text(parts.where)} if parts.where else {},
            "column_sorting": {},  # written in the elements already
        }
        if record is None:
            conn_table.indexes.append(built)
        else:
            record.clear()
            record.update(built)


def _prefix(ctx: Any, schema: str | None) -> str:
    return f"{ctx.dialect.identifier_preparer.quote_schema(schema)}." if schema else ""
