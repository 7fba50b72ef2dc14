"""Autogenerate on MySQL / MariaDB: how the server reports what the model declares.

Before the core compares a table, its reflection records are settled (no query, except one
bulk read of column collations per schema when the model names a charset or collation, and
one of MariaDB's JSON columns when the model lacks a LONGTEXT column):

* Indexes MySQL created by itself for a foreign key (named after the constraint or its first
  column, on exactly the constrained columns) are marked ``duplicates_constraint``, so they are
  neither reported as removed nor re-created by the downgrade of a dropped table; an index the
  model declares under that name is still compared.
* MySQL has no unique constraint apart from a unique index, and reflects each one twice (an
  index, and a unique constraint with ``duplicates_index``). The constraint copy is dropped; the
  core matches a model ``UniqueConstraint``, ``unique=True`` column or ``Index(unique=True)``
  against the unique index (a removed one is dropped with ``drop_index``, as Alembic does).
* ENUM / SET values with backslashes are unescaped (reflection leaves ``\\\\`` doubled).
* On MariaDB, a dropped table's or column's JSON column (LONGTEXT to reflection) is ``sa.JSON``
  again, so the downgrade re-creates its ``json_valid`` CHECK (one query, when there is one).
* A dropped table gets the column-level CHECKs of MariaDB, its DESC index columns (with a
  prefix length: ``name(10) DESC``) and the explicit ``USING`` of an index or of the primary
  key, which reflection does not report, so its downgrade re-creates them (one query each per
  schema; SHOW CREATE TABLE of a dropped table with indexes or a primary key); an index or
  primary key COMMENT, which neither ``create_index`` nor SQLAlchemy's MySQL dialect can
  write, is a note. A primary key with prefix lengths or DESC columns is added by
  ``ALTER TABLE ... ADD PRIMARY KEY`` right after ``create_table`` (see :mod:`mig_mysql.dropped`).
* ``mysql_length`` is reflected per column (``{"name": 10}``); when the model gives one number
  for every column of the index, the reflected lengths are written in that form.
* A column whose model type names a charset or collation gets the reflected one even where
  ``SHOW CREATE TABLE`` left it out (it does when it is the table's default).

A MariaDB column reflected with no default while the model has one gets its default from
information_schema (see :func:`catalog_defaults`). Type and server-default comparison live in :mod:`mig_mysql.typecompare` and
:mod:`mig_mysql.defaults`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from mig_mysql.defaults import server_defaults_differ as _defaults_differ
from mig_mysql.typecompare import types_differ as _types_differ

#: ctx.cache key: ids of the reflected tables already settled
_SETTLED = "mysql_settled_tables"


def before_schema_compare(ctx: Any, schemas: Any) -> None:
    """Settle every reflected table of ``schemas`` (dropped tables too: their re-creation in
    the downgrade must not repeat the implicit or duplicated indexes)."""
    meta_tables = ctx.meta_tables()
    for schema in schemas:
        for name, conn_table in ctx.snapshot(schema).tables.items():
            meta_table = meta_tables.get((ctx.normalize_schema(schema), name))
            settle_table(ctx, schema, conn_table, meta_table)


def before_table_compare(ctx: Any, schema: str | None, conn_table: Any, meta_table: Any) -> None:
    """Settle what MySQL reflects differently from the model before the core compares."""
    if conn_table is not None:
        settle_table(ctx, schema, conn_table, meta_table)


def settle_table(ctx: Any, schema: str | None, conn_table: Any, meta_table: Any) -> None:
    """Adjust one reflected table's records (once per comparison; see the module docstring)."""
    settled: set[int] = ctx.cache.setdefault(_SETTLED, set())
    if id(conn_table) in settled:
        return
    settled.add(id(conn_table))
    _unescape_backtick_names(conn_table)
    _add_unread_foreign_keys(ctx, schema, conn_table)
    declared = _declared_index_names(meta_table)
    _mark_implicit_fk_indexes(conn_table, declared)
    _drop_unique_twins(conn_table)
    _unescape_enum_values(conn_table)
    if ctx.dialect.is_mariadb:
        _mariadb_json_as_json(ctx, schema, conn_table, meta_table)
    if meta_table is not None:
        _index_lengths_as_model(conn_table, meta_table)
        _fill_collations(ctx, schema, conn_table, meta_table)
    else:
        _complete_dropped_table(ctx, schema, conn_table)


def _unescape_backtick_names(conn_table: Any) -> None:
    """Names as the server holds them: SQLAlchemy's reflection keeps the doubled backticks of
    ``SHOW CREATE TABLE`` (column ``a`b`` reads as ``a``b``), so such a column read as
    removed and added again. (A foreign key whose referred table holds a backtick is not
    reflected at all: see :func:`_add_unread_foreign_keys`.)"""
    columns = [raw["name"] for raw in conn_table.raw_columns]
    records = [*conn_table.indexes, *conn_table.unique_constraints, *conn_table.foreign_keys]
    names = [*columns, *(r.get("name") for r in records)]
    names += [c for r in records for key in ("column_names", "constrained_columns",
                                               "referred_columns") for c in r.get(key) or ()]
    if not any(isinstance(n, str) and "``" in n for n in names):
        return
    from mig_core.autogenerate.snapshot import ReflectedColumn

    def plain(name: Any) -> Any:
        return name.replace("``", "`") if isinstance(name, str) else name

    for raw in conn_table.raw_columns:
        raw["name"] = plain(raw["name"])
    conn_table.columns = {raw["name"]: ReflectedColumn(raw, conn_table)
                          for raw in conn_table.raw_columns}
    for record in records:
        for key in ("name", "duplicates_index", "duplicates_constraint", "referred_table"):
            if key in record:
                record[key] = plain(record[key])
        for key in ("column_names", "constrained_columns", "referred_columns"):
            if record.get(key):
                record[key] = [plain(c) for c in record[key]]


def _add_unread_foreign_keys(ctx: Any, schema: str | None, conn_table: Any) -> None:
    """The keys reflection skipped (see :mod:`mig_mysql.foreign_keys`), read from
    information_schema: one query of a schema's key names per comparison, one per table
    missing any."""
    from mig_mysql import foreign_keys

    names = ctx.cache.get(("mysql_key_names", schema))
    if names is None:
        names = ctx.cache[("mysql_key_names", schema)] = foreign_keys.key_names(
            ctx.connection, schema)
    missed = foreign_keys.missed(names.get(conn_table.name, set()), conn_table.foreign_keys)
    if missed:
        conn_table.foreign_keys = [*conn_table.foreign_keys, *foreign_keys.read_keys(
            ctx.connection, schema, conn_table.name, missed.__contains__)]


def _declared_index_names(meta_table: Any) -> set[str]:
    if meta_table is None:
        return set()
    names = {str(ix.name) for ix in meta_table.indexes if ix.name is not None}
    names.update(
        str(c.name) for c in meta_table.constraints
        if isinstance(c.name, str) and type(c).__name__ == "UniqueConstraint"
    )
    return names


def _implicit_name(name: str, fk: dict[str, Any]) -> bool:
    """Whether ``name`` is one MySQL gives the index it adds for ``fk`` (the constraint's
    name, or the first column's, with ``_2``, ``_3`` ... when taken)."""
    candidates = {str(fk.get("name") or ""), str(fk["constrained_columns"][0])}
    if name in candidates:
        return True
    base, _, number = name.rpartition("_")
    return number.isdigit() and base in candidates


def _mark_implicit_fk_indexes(conn_table: Any, declared: set[str]) -> None:
    for record in conn_table.indexes:
        name = record.get("name")
        if not name or record.get("unique") or record.get("duplicates_constraint"):
            continue
        if name in declared or record.get("expressions") or record.get("dialect_options"):
            continue
        columns = list(record["column_names"])
        for fk in conn_table.foreign_keys:
            if list(fk["constrained_columns"]) == columns and _implicit_name(name, fk):
                record["duplicates_constraint"] = fk.get("name") or name
                break


def _drop_unique_twins(conn_table: Any) -> None:
    if not conn_table.unique_constraints:
        return
    index_names = {r.get("name") for r in conn_table.indexes if r.get("unique")}
    conn_table.unique_constraints = [
        uq for uq in conn_table.unique_constraints
        if not (uq.get("duplicates_index") and uq["duplicates_index"] in index_names)
    ]


def _index_lengths_as_model(conn_table: Any, meta_table: Any) -> None:
    """A reflected ``{column: n}`` prefix-length map as the model's single ``n``."""
    lengths = {
        str(ix.name): ix.dialect_kwargs.get("mysql_length")
        for ix in meta_table.indexes if ix.name is not None
    }
    if not any(isinstance(v, int) for v in lengths.values()):
        return
    for record in conn_table.indexes:
        wanted = lengths.get(str(record.get("name")))
        options = record.get("dialect_options") or {}
        found = options.get("mysql_length")
        if not isinstance(wanted, int) or not isinstance(found, dict):
            continue
        columns = [c for c in record["column_names"] if c is not None]
        if set(found) == set(columns) and set(found.values()) == {wanted}:
            record["dialect_options"] = {**options, "mysql_length": wanted}


def _unescape_enum_values(conn_table: Any) -> None:
    """ENUM / SET values as the server holds them: SQLAlchemy's reflection undoes only the
    doubled quotes of ``SHOW CREATE TABLE``, so ``enum('a\\\\b')`` came back as ``a\\\\b``
    (then compared as changed on every run, and re-created with two backslashes)."""
    from sqlalchemy.dialects import mysql

    from mig_mysql.defaults import literal_value

    for raw in conn_table.raw_columns:
        type_ = raw["type"]
        if type(type_) not in (mysql.ENUM, mysql.SET):
            continue
        is_set = isinstance(type_, mysql.SET)
        values = list(type_.values if is_set else type_.enums)
        if not any("\\" in v for v in values):
            continue
        plain = [literal_value("'" + v.replace("'", "''") + "'") or v for v in values]
        kw = {k: getattr(type_, k) for k in
              ("charset", "collation", "ascii", "unicode", "binary", "national")}
        if is_set:
            kw["retrieve_as_bitwise"] = type_.retrieve_as_bitwise
        conn_table.set_column_type(raw, type(type_)(*plain, **kw))


# --- MariaDB's JSON ----------------------------------------------------------------------------


def _mariadb_json_as_json(ctx: Any, schema: str | None, conn_table: Any, meta_table: Any) -> None:
    """A column the model lacks that MariaDB keeps as JSON (LONGTEXT with a column CHECK
    ``json_valid``) is reflected as ``sa.JSON``: the downgrade re-creating it makes JSON again
    (reflection says LONGTEXT, and the column-level CHECK is not reflected)."""
    gone = [raw for raw in conn_table.raw_columns if type(raw["type"]).__name__ == "LONGTEXT"]
    if gone and meta_table is not None:
        kept = {col.name for col in meta_table.columns}
        gone = [raw for raw in gone if raw["name"] not in kept]
    if not gone:
        return
    import sqlalchemy as sa

    found = _per_schema(
        ctx, ("mariadb_json_columns", schema), schema, "CONSTRAINT_SCHEMA",
        "SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.CHECK_CONSTRAINTS "
        "WHERE {where} AND CHECK_CLAUSE = CONCAT('json_valid(`', CONSTRAINT_NAME, '`)')",
        lambda rows: {(r[0], r[1]) for r in rows},
    )
    for raw in gone:
        if (conn_table.name, raw["name"]) in found:
            conn_table.set_column_type(raw, sa.JSON())


# --- a dropped table's re-creation --------------------------------------------------------------


def _complete_dropped_table(ctx: Any, schema: str | None, conn_table: Any) -> None:
    """What SQLAlchemy's reflection leaves out of a table the downgrade re-creates: MariaDB's
    column-level CHECKs (but a JSON column's ``json_valid``, which the JSON type brings) and
    DESC index columns (one information_schema query each per schema); an index it cannot
    read at all, or an index COMMENT (which ``create_index`` cannot write), becomes a note."""
    descending = _per_schema(
        ctx, ("mysql_desc_columns", schema), schema, "TABLE_SCHEMA",
        "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
        "WHERE {where} AND COLLATION = 'D'",
        _grouped,
    )
    quote = ctx.dialect.identifier_preparer.quote
    for record in conn_table.indexes:
        found = descending.get((conn_table.name, record.get("name")))
        if found and "column_sorting" not in record:
            record["column_sorting"] = {column: ("desc",) for column in found}
            _prefix_in_sorted_columns(record, quote)
    _index_methods(ctx, schema, conn_table)
    known = {str(r.get("name")) for r in conn_table.indexes}
    known.update(str(r.get("name")) for r in conn_table.unique_constraints)
    known.update(str(r.get("name")) for r in conn_table.foreign_keys)
    all_indexes = _per_schema(
        ctx, ("mysql_index_names", schema), schema, "TABLE_SCHEMA",
        "SELECT DISTINCT TABLE_NAME, INDEX_NAME, INDEX_NAME FROM information_schema.STATISTICS "
        "WHERE {where} AND INDEX_NAME <> 'PRIMARY'",
        _grouped,
    )
    for (table_name, index_name) in sorted(all_indexes):
        if table_name == conn_table.name and index_name not in known:
            conn_table.notes.append(
                f"index {index_name} is not re-created: SQLAlchemy's reflection cannot read it "
                "(MariaDB's IGNORED indexes are such); add its op.create_index by hand"
            )
    commented = _per_schema(
        ctx, ("mysql_index_comments", schema), schema, "TABLE_SCHEMA",
        "SELECT DISTINCT TABLE_NAME, INDEX_NAME, INDEX_NAME FROM information_schema.STATISTICS "
        "WHERE {where} AND INDEX_COMMENT <> ''",
        _grouped,
    )
    for (table_name, index_name) in sorted(commented):
        if table_name == conn_table.name and index_name == "PRIMARY":
            conn_table.notes.append(
                "the COMMENT of the primary key is not re-created (SQLAlchemy cannot write "
                "one); add it by hand"
            )
        elif table_name == conn_table.name and index_name in known:
            conn_table.notes.append(
                f"the COMMENT of index {index_name} is not re-created (create_index cannot "
                "write one); re-create the index with its COMMENT by hand"
            )
    _primary_key_parts(ctx, schema, conn_table)
    if not ctx.dialect.is_mariadb or (ctx.dialect.server_version_info or (0,)) < (10, 5, 10):
        return  # MySQL has no column-level CHECKs; older MariaDB no LEVEL column
    checks = _per_schema(
        ctx, ("mariadb_column_checks", schema), schema, "CONSTRAINT_SCHEMA",
        "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM "
        "information_schema.CHECK_CONSTRAINTS WHERE {where} AND LEVEL = 'Column' "
        "ORDER BY CONSTRAINT_NAME",
        _grouped,
    )
    import sqlalchemy as sa

    types = {raw["name"]: raw["type"] for raw in conn_table.raw_columns}
    for column in types:
        for clause in checks.get((conn_table.name, column), ()):
            if isinstance(types[column], sa.JSON) and clause == f"json_valid(`{column}`)":
                continue
            conn_table.column_checks.setdefault(column, []).append(clause)


def _primary_key_parts(ctx: Any, schema: str | None, conn_table: Any) -> None:
    """A primary key with prefix lengths or DESC columns (``PrimaryKeyConstraint`` writes
    neither: the key would come back on whole, ascending columns, or fail on a TEXT one) leaves
    ``create_table`` for an ``ADD PRIMARY KEY`` from the server's parts right after it (see
    :mod:`mig_mysql.dropped`; one information_schema query per schema). With an
    AUTO_INCREMENT column in it, which MySQL wants in a key at CREATE TABLE, it is a note."""
    keyed = _per_schema(
        ctx, ("mysql_primary_key_parts", schema), schema, "TABLE_SCHEMA",
        "SELECT TABLE_NAME, COLUMN_NAME, SUB_PART, COLLATION = 'D' "
        "FROM information_schema.STATISTICS WHERE {where} AND INDEX_NAME = 'PRIMARY' "
        "AND TABLE_NAME IN (SELECT TABLE_NAME FROM information_schema.STATISTICS "
        "WHERE {where} AND INDEX_NAME = 'PRIMARY' AND (SUB_PART IS NOT NULL OR COLLATION = 'D')) "
        "ORDER BY TABLE_NAME, SEQ_IN_INDEX",
        lambda rows: _grouped((r[0], "PRIMARY", (r[1], r[2], bool(r[3]))) for r in rows),
    )
    parts = keyed.get((conn_table.name, "PRIMARY"))
    if not parts:
        return
    quote = ctx.dialect.identifier_preparer.quote
    columns = ", ".join(
        f"{quote(name)}{f'({length})' if length else ''}{' DESC' if desc else ''}"
        for name, length, desc in parts
    )
    automatic = {raw["name"] for raw in conn_table.raw_columns if raw.get("autoincrement") is True}
    if automatic & {name for name, _, _ in parts}:
        conn_table.notes.append(
            f"the primary key's prefix lengths and DESC order ({columns}) are not re-created "
            "(PrimaryKeyConstraint cannot write them, and its AUTO_INCREMENT column must be "
            "in a key at CREATE TABLE); re-create the key by hand"
        )
        return
    using = (conn_table.primary_key.get("dialect_options") or {}).get(
        f"{ctx.dialect.name}_using")
    from mig_mysql.dropped import KEYS

    ctx.cache.setdefault(KEYS, {})[(conn_table.schema, conn_table.name)] = (
        f"ADD PRIMARY KEY ({columns})" + (f" USING {using.upper()}" if using else ""))
    conn_table.primary_key = {"constrained_columns": [], "name": None}


#: an index line of SHOW CREATE TABLE with an explicit USING: (its name, the method)
_KEY_USING = re.compile(
    r"^\s*(?:(?:UNIQUE|FULLTEXT|SPATIAL) )?KEY `((?:[^`]|``)+)` "
    r"\((?:`(?:[^`]|``)+`(?:\(\d+\))?(?: (?:ASC|DESC))?,?)+\) USING (\w+)",
    re.M,
)
#: the primary key line of SHOW CREATE TABLE with an explicit USING: the method
_PRIMARY_USING = re.compile(
    r"^\s*PRIMARY KEY \((?:`(?:[^`]|``)+`(?:\(\d+\))?(?: (?:ASC|DESC))?,?)+\) USING (\w+)",
    re.M,
)


def _index_methods(ctx: Any, schema: str | None, conn_table: Any) -> None:
    """An explicit ``USING BTREE`` / ``HASH`` of a dropped table's indexes and primary key,
    from SHOW CREATE TABLE (one per dropped table with either): SQLAlchemy's reflection leaves
    it out, and writes it again (``mysql_using`` of ``Index`` / ``PrimaryKeyConstraint``)."""
    if not conn_table.indexes and not conn_table.primary_key.get("constrained_columns"):
        return
    preparer = ctx.dialect.identifier_preparer
    target = preparer.quote_identifier(conn_table.name)
    if schema:
        target = f"{preparer.quote_identifier(schema)}.{target}"
    row = ctx.connection.exec_driver_sql(f"SHOW CREATE TABLE {target}".replace("%", "%%")).first()
    create = str(row[1]) if row is not None else ""
    methods = {
        match.group(1).replace("``", "`"): match.group(2).lower()
        for match in _KEY_USING.finditer(create)
    }
    primary = _PRIMARY_USING.search(create)
    if primary is not None:
        options = conn_table.primary_key.get("dialect_options") or {}
        conn_table.primary_key["dialect_options"] = {
            **options, f"{ctx.dialect.name}_using": primary.group(1).lower()}
    for record in conn_table.indexes:
        method = methods.get(str(record.get("name")))
        if method:
            options = record.get("dialect_options") or {}
            record["dialect_options"] = {**options, f"{ctx.dialect.name}_using": method}


def _prefix_in_sorted_columns(record: dict[str, Any], quote: Any) -> None:
    """A DESC column with a prefix length becomes the expression ``name(n)`` (sorted DESC):
    SQLAlchemy writes ``mysql_length`` only after a plain column, so ``name(10) DESC`` was
    re-created as ``name DESC``."""
    options = record.get("dialect_options") or {}
    lengths = options.get("mysql_length")
    sorting = record["column_sorting"]
    if not isinstance(lengths, dict) or not set(lengths) & set(sorting):
        return
    lengths = dict(lengths)
    names = list(record["column_names"])
    expressions = list(record.get("expressions") or names)
    for position, name in enumerate(names):
        if name in sorting and name in lengths:
            expression = f"{quote(name)}({lengths.pop(name)})"
            names[position], expressions[position] = None, expression
            sorting[expression] = sorting.pop(name)
    record["column_names"], record["expressions"] = names, expressions
    if lengths:
        record["dialect_options"] = {**options, "mysql_length": lengths}
    else:
        record["dialect_options"] = {k: v for k, v in options.items() if k != "mysql_length"}


def _grouped(rows: Any) -> dict[tuple[str, str], list[str]]:
    """``{(first, second): [third, ...]}`` of three-column rows."""
    out: dict[tuple[str, str], list[str]] = {}
    for first, second, third in rows:
        out.setdefault((first, second), []).append(third)
    return out


# --- charsets and collations -------------------------------------------------------------------


def _states_collation(type_: Any) -> bool:
    for candidate in (type_, getattr(type_, "impl", None)):
        if candidate is not None and (
            getattr(candidate, "collation", None) or getattr(candidate, "charset", None)
        ):
            return True
    return False


def _fill_collations(ctx: Any, schema: str | None, conn_table: Any, meta_table: Any) -> None:
    """Give reflected string types the charset / collation the model compares them on."""
    wanted = [
        col.name for col in meta_table.columns
        if _states_collation(col.type)
    ]
    if not wanted:
        return
    by_name = {raw["name"]: raw for raw in conn_table.raw_columns}
    missing = [
        by_name[n] for n in wanted
        if n in by_name and not getattr(by_name[n]["type"], "collation", None)
        and hasattr(by_name[n]["type"], "collation")
    ]
    if not missing:
        return
    known = schema_collations(ctx, schema)
    for raw in missing:
        found = known.get((conn_table.name, raw["name"]))
        if found is None:
            continue
        type_ = copy.copy(raw["type"])
        charset, collation = found
        if hasattr(type_, "charset") and not type_.charset:
            type_.charset = charset
        type_.collation = collation
        conn_table.set_column_type(raw, type_)


def schema_collations(ctx: Any, schema: str | None) -> dict[tuple[str, str], tuple[str, str]]:
    """``{(table, column): (charset, collation)}`` of a schema's character columns, read once
    per comparison in one query."""
    return _per_schema(  # type: ignore[no-any-return]
        ctx, ("mysql_collations", schema), schema, "TABLE_SCHEMA",
        "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME, COLLATION_NAME "
        "FROM information_schema.COLUMNS WHERE {where} AND COLLATION_NAME IS NOT NULL",
        lambda rows: {(r[0], r[1]): (r[2], r[3]) for r in rows},
    )


def _per_schema(ctx: Any, key: tuple[str, str | None], schema: str | None, schema_column: str,
                sql: str, build: Any) -> Any:
    """``build(rows)`` of an information_schema query over one schema (``{where}`` in ``sql``
    names it; the connection's database when ``schema`` is None), run once per comparison."""
    found = ctx.cache.get(key)
    if found is None:
        import sqlalchemy as sa

        where = f"{schema_column} = " + (":schema" if schema else "DATABASE()")
        rows = ctx.connection.execute(sa.text(sql.format(where=where)),
                                      {"schema": schema} if schema else {})
        found = ctx.cache[key] = build(rows)
    return found


# --- hooks -------------------------------------------------------------------------------------


def types_differ(ctx: Any, conn_col: Any, meta_col: Any) -> bool | None:
    """MySQL's opinion on two column types; None leaves it to the core."""
    return _types_differ(ctx.dialect, conn_col.type, meta_col.type)


def server_defaults_differ(ctx: Any, conn_col: Any, meta_col: Any, conn_default: str | None,
                           meta_default: str | None) -> bool | None:
    """MySQL's opinion on two server defaults; None leaves it to the core."""
    if conn_default is None and meta_default is not None and ctx.dialect.is_mariadb:
        conn_default = catalog_defaults(ctx, conn_col.table.schema).get(
            (conn_col.table.name, conn_col.name))
    return _defaults_differ(ctx.dialect, conn_col, meta_col, conn_default, meta_default)


def catalog_defaults(ctx: Any, schema: str | None) -> dict[tuple[str, str], str]:
    """``{(table, column): default}`` of a MariaDB schema from information_schema (with its
    ``ON UPDATE``), read once per comparison: SQLAlchemy reflects None from SHOW CREATE TABLE
    for an expression default holding a string literal (``concat('a','b')``)."""
    return _per_schema(  # type: ignore[no-any-return]
        ctx, ("mysql_catalog_defaults", schema), schema, "TABLE_SCHEMA",
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS "
        "WHERE {where} AND COLUMN_DEFAULT IS NOT NULL AND COLUMN_DEFAULT <> 'NULL'",
        lambda rows: {
            (r[0], r[1]): r[2] + (f" {r[3]}" if r[3].lower().startswith("on update") else "")
            for r in rows
        },
    )

