"""A dropped table's re-creation (the downgrade) on PostgreSQL: what reflection leaves out.

Before the core compares, each table the model lacks gets from the catalog (one query per
comparison): the ``nextval`` defaults and sequences its columns own when ``create_table``
would not make them again (a SERIAL that is not the key, a renamed sequence), DEFERRABLE of
its unique constraints, ``PARTITION BY`` of a partitioned table, UNLOGGED. What
``create_table`` / ``create_index`` cannot write (CHECK ... NO INHERIT or NOT VALID, an index
with a column COLLATE) is dropped by SQL before the ``drop_table`` and re-created by the
downgrade from the server's own definition (an index on the table's name as the rest of the
downgrade writes it, see :mod:`mig_postgres.indexdef`); comments on indexes and constraints
are set again last (a foreign key's once every table and foreign key exists). The owned sequences become ``OWNED BY NONE`` / ``drop_sequence`` around
the ``drop_table`` (their reverse re-creates and re-owns them). Before any dropped table's
operations come what links it to other tables: a partition is detached (re-attached by the
downgrade with its bounds), a table inheriting from another (``INHERITS``) leaves it with
``NO INHERIT`` (``INHERIT`` again in the downgrade, after every table exists), and a foreign
key ``NOT VALID`` is dropped (added again ``NOT VALID`` from the server's definition).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mig_core.operations.ops import DropTableOp, MigrateOperation, PairedSQLOp

if TYPE_CHECKING:
    from mig_core.autogenerate.context import CompareContext
    from mig_core.autogenerate.snapshot import ReflectedTable

#: ctx.cache key: {(schema, table): DroppedExtras}
_EXTRAS = "mig_postgres.dropped_extras"


@dataclass
class _Sequence:
    column: str
    name: str  # as the column default writes it
    options: tuple[str, int, int, int, int, int, bool]


@dataclass
class DroppedExtras:
    """What :func:`after_compare` adds around one dropped table's ``drop_table``."""

    sequences: list[_Sequence]
    partition_of: tuple[str, str] | None  # (parent as SQL, bound)
    #: (upgrade SQL before drop_table, its reverse): objects create_table cannot write
    statements: list[tuple[str, str]] = field(default_factory=list)
    #: (upgrade SQL, its reverse): comments on indexes and constraints, set again last
    comments: list[tuple[str, str]] = field(default_factory=list)
    #: (upgrade SQL, its reverse) before every dropped table's operations, so the downgrade
    #: runs them once every table exists: foreign keys NOT VALID (with their comments),
    #: ``NO INHERIT`` of each inheritance link the table is a child or parent of
    links: list[tuple[str, str]] = field(default_factory=list)
    #: names of the foreign keys moved to ``links``
    moved_foreign_keys: set[str] = field(default_factory=set)


def _rows(ctx: CompareContext, sql: str, schema_columns: tuple[int, ...] = (0,)) -> list[Any]:
    """The rows of ``sql``, their ``schema_columns`` named as the model names the schemas
    (a connection's ``schema_translate_map``: see PgCatalog.model_rows)."""
    from sqlalchemy import text

    from mig_postgres.catalog import catalog

    rows = list(ctx.connection.execute(text(sql)))  # type: ignore[union-attr]
    return catalog(ctx).model_rows(rows, *schema_columns)


def complete_dropped_tables(ctx: CompareContext, schemas: list[str | None]) -> None:
    """Fill the ReflectedTable of every table the model lacks (see the module docstring)."""
    from mig_postgres.catalog import catalog

    meta_tables = ctx.meta_tables()
    cat = catalog(ctx)
    dropped: dict[tuple[str, str], ReflectedTable] = {}
    for schema in schemas:
        snapshot = ctx.snapshot(schema)
        names = [
            name for name in snapshot.tables
            if (ctx.normalize_schema(schema), name) not in meta_tables
        ]
        snapshot.load_deferred(names)  # their keys and options, before they are amended
        for name in names:
            dropped[(schema or cat.default_schema, name)] = snapshot.tables[name]
    if not dropped:
        return
    extras: dict[tuple[str | None, str], DroppedExtras] = ctx.cache.setdefault(_EXTRAS, {})
    for table in dropped.values():
        extras[(table.schema, table.name)] = DroppedExtras([], None)
    _owned_sequences(ctx, dropped, extras)
    _table_facts(ctx, dropped, extras)
    _constraint_facts(ctx, dropped, extras)
    _comments(ctx, dropped, extras)
    _inheritance(ctx, dropped, extras)


def _owned_sequences(ctx: CompareContext, dropped: dict[tuple[str, str], ReflectedTable],
                     extras: dict[tuple[str | None, str], DroppedExtras]) -> None:
    import sqlalchemy as sa

    for row in _rows(ctx,
        "SELECT tn.nspname, t.relname, a.attname, pg_get_expr(ad.adbin, ad.adrelid), "
        "q.seqrelid::regclass::text, format_type(q.seqtypid, NULL), q.seqstart, "
        "q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle "
        "FROM pg_depend d JOIN pg_sequence q ON q.seqrelid = d.objid "
        "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
        "JOIN pg_attrdef ad ON ad.adrelid = t.oid AND ad.adnum = a.attnum "
        "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
        "AND d.deptype = 'a' ORDER BY 1, 2, 3"
    ):
        table = dropped.get((row[0], row[1]))
        if table is None or row[2] not in table.columns:
            continue
        from mig_postgres.compare import _sequence_of, _split_name

        default, sequence = row[3], row[4]
        if _sequence_of(default) != sequence:
            continue
        column = table.columns[row[2]]
        pk = table.primary_key.get("constrained_columns") or []
        serial = (
            pk == [column.name] and isinstance(column.type, sa.Integer)
            and _split_name(sequence)[1] == f"{table.name}_{column.name}_seq"
            and column.server_default is None
        )
        if serial:
            continue  # create_table writes SERIAL, which makes this sequence again
        column.server_default = default
        extras[(table.schema, table.name)].sequences.append(_Sequence(
            column.name, sequence,
            (str(row[5]), int(row[6]), int(row[7]), int(row[8]), int(row[9]), int(row[10]),
             bool(row[11])),
        ))


def _table_facts(ctx: CompareContext, dropped: dict[tuple[str, str], ReflectedTable],
                 extras: dict[tuple[str | None, str], DroppedExtras]) -> None:
    for schema, name, persistence, key, parent, bound in _rows(ctx,
        "SELECT n.nspname, c.relname, c.relpersistence, "
        "CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, "
        "CASE WHEN c.relispartition THEN (SELECT i.inhparent::regclass::text FROM pg_inherits i "
        "WHERE i.inhrelid = c.oid) END, "
        "CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND (c.relkind = 'p' OR c.relispartition "
        "OR c.relpersistence = 'u')"
    ):
        table = dropped.get((schema, name))
        if table is None:
            continue
        if key:
            table.options["postgresql_partition_by"] = key
        if persistence == "u":
            table.options["prefixes"] = ["UNLOGGED"]
        if parent:
            extras[(table.schema, table.name)].partition_of = (parent, bound)
            table.options.pop("postgresql_inherits", None)  # attached again instead


def _constraint_facts(ctx: CompareContext, dropped: dict[tuple[str, str], ReflectedTable],
                      extras: dict[tuple[str | None, str], DroppedExtras]) -> None:
    """DEFERRABLE of unique constraints; CHECK ... NO INHERIT / NOT VALID, foreign keys NOT
    VALID and indexes with a column COLLATE (which ``create_table`` / ``create_index`` cannot
    write) move to SQL statements with the server's own definition of each, the index's on
    the table's name as the downgrade writes it (unqualified in the default schema)."""
    from mig_postgres.indexdef import index_head_sql, index_on

    for schema, name, object_name, kind, flag, definition, head in _rows(ctx,
        "SELECT n.nspname, c.relname, con.conname, con.contype, con.condeferred, "
        "pg_get_constraintdef(con.oid), NULL FROM pg_constraint con "
        "JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE (con.contype = 'u' AND con.condeferrable) "
        "OR (con.contype = 'c' AND (con.connoinherit OR NOT con.convalidated)) "
        "OR (con.contype = 'f' AND NOT con.convalidated) "
        "UNION ALL SELECT n.nspname, c.relname, ic.relname, 'i', i.indisunique, "
        f"pg_get_indexdef(i.indexrelid), {index_head_sql()} "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
        "AND pg_get_indexdef(i.indexrelid) LIKE '% COLLATE %' ORDER BY 1, 2, 3"
    ):
        table = dropped.get((schema, name))
        if table is None:
            continue
        if kind == "u":
            for record in table.unique_constraints:
                if record.get("name") == object_name:
                    record["deferrable"] = True
                    record["initially"] = "DEFERRED" if flag else None
            continue
        found = extras[(table.schema, table.name)]
        quote = ctx.dialect.identifier_preparer.quote
        if kind == "f":
            _move_foreign_key(ctx, table, found, object_name, definition)
        elif kind == "c":
            table.check_constraints = [
                r for r in table.check_constraints if r.get("name") != object_name
            ]
            target = _qualified(ctx, table.schema, name)
            found.statements.append((
                f"ALTER TABLE {target} DROP CONSTRAINT {quote(object_name)}",
                f"ALTER TABLE {target} ADD CONSTRAINT {quote(object_name)} {definition}",
            ))
        else:
            table.indexes = [r for r in table.indexes if r.get("name") != object_name]
            create = index_on(definition, head, quote(object_name),
                              _qualified(ctx, table.schema, name), unique=flag)
            found.statements.append((f"DROP INDEX {_qualified(ctx, table.schema, object_name)}",
                                     create))


def _move_foreign_key(ctx: CompareContext, table: ReflectedTable, found: DroppedExtras,
                      name: str, definition: str) -> None:
    """A foreign key NOT VALID leaves ``create_table`` (which would validate it) for a pair
    of statements run before every dropped table (re-added after every table exists)."""
    table.foreign_keys = [r for r in table.foreign_keys if r.get("name") != name]
    target = _qualified(ctx, table.schema, table.name)
    quoted = ctx.dialect.identifier_preparer.quote(name)
    found.links.append((f"ALTER TABLE {target} DROP CONSTRAINT {quoted}",
                        f"ALTER TABLE {target} ADD CONSTRAINT {quoted} {definition}"))
    found.moved_foreign_keys.add(name)


def _comments(ctx: CompareContext, dropped: dict[tuple[str, str], ReflectedTable],
              extras: dict[tuple[str | None, str], DroppedExtras]) -> None:
    """``COMMENT ON INDEX`` / ``CONSTRAINT`` of each commented index and constraint
    (reflection reads neither); a foreign key's goes with the links, as its constraint may be
    added after every table exists."""
    quote = ctx.dialect.identifier_preparer.quote
    for schema, name, kind, object_name, literal in _rows(ctx,
        "SELECT n.nspname, c.relname, 'i', ic.relname, quote_literal(d.description) "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_description d ON d.objoid = ic.oid AND d.classoid = 'pg_class'::regclass "
        "AND d.objsubid = 0 UNION ALL SELECT n.nspname, c.relname, con.contype, con.conname, "
        "quote_literal(d.description) FROM pg_constraint con "
        "JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_description d ON d.objoid = con.oid "
        "AND d.classoid = 'pg_constraint'::regclass ORDER BY 1, 2, 3, 4"
    ):
        table = dropped.get((schema, name))
        if table is None:
            continue
        found = extras[(table.schema, table.name)]
        if kind == "f":
            target = (f"CONSTRAINT {quote(object_name)} ON "
                      f"{_qualified(ctx, table.schema, name)}")
            # before every dropped table's operations (and a NOT VALID key's drop) in the
            # upgrade, so set once every table and foreign key exists in the downgrade
            found.links.insert(0, (f"COMMENT ON {target} IS NULL",
                                   f"COMMENT ON {target} IS {literal}"))
            continue
        if kind == "i":
            target = f"INDEX {_qualified(ctx, table.schema, object_name)}"
        else:
            target = (f"CONSTRAINT {quote(object_name)} ON "
                      f"{_qualified(ctx, table.schema, name)}")
        found.comments.append(
            (f"COMMENT ON {target} IS NULL", f"COMMENT ON {target} IS {literal}")
        )


def _inheritance(ctx: CompareContext, dropped: dict[tuple[str, str], ReflectedTable],
                 extras: dict[tuple[str | None, str], DroppedExtras]) -> None:
    """Each ``INHERITS`` link with a dropped child or parent becomes ``NO INHERIT`` before
    any table is dropped (so they drop in any order) and ``INHERIT`` again once the downgrade
    has re-created them; a dropped child is re-created as a plain table (every column its
    own, as ``create_table`` writes them), which the note says when it had inherited-only
    columns or constraints. Later parents first in the upgrade, so the downgrade adds them
    back in their order."""
    from mig_postgres.catalog import catalog

    default = catalog(ctx).default_schema
    for schema, name, parent_schema, parent, inherited in _rows(ctx,
        "SELECT cn.nspname, c.relname, pn.nspname, p.relname, array(SELECT a.attname "
        "FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 "
        "AND NOT a.attisdropped AND NOT a.attislocal ORDER BY a.attnum) || array(SELECT "
        "con.conname FROM pg_constraint con WHERE con.conrelid = c.oid AND NOT con.conislocal "
        "ORDER BY con.conname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_namespace cn ON cn.oid = c.relnamespace JOIN pg_class p ON p.oid = i.inhparent "
        "JOIN pg_namespace pn ON pn.oid = p.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "ORDER BY 1, 2, i.inhseqno DESC", (0, 2)
    ):
        child_table = dropped.get((schema, name))
        parent_table = dropped.get((parent_schema, parent))
        owner = child_table or parent_table
        if owner is None:
            continue
        child_sql = _qualified(ctx, None if schema == default else schema, name)
        parent_sql = _qualified(ctx, None if parent_schema == default else parent_schema, parent)
        extras[(owner.schema, owner.name)].links.append(
            (f"ALTER TABLE {child_sql} NO INHERIT {parent_sql}",
             f"ALTER TABLE {child_sql} INHERIT {parent_sql}")
        )
        if child_table is None:
            continue
        child_table.options.pop("postgresql_inherits", None)
        note = (f"the columns and constraints it inherited ({', '.join(inherited)}) come "
                "back as its own, then ALTER TABLE ... INHERIT links it again: dropping one "
                "from a parent will no longer drop it here")
        if inherited and note not in child_table.notes:
            child_table.notes.append(note)


def after_compare(ctx: CompareContext, upgrade_ops: Any) -> None:
    """Around each dropped table's operations (its index drops, its ``drop_table``): comments
    and statements first, its owned sequences released before and dropped after (the
    downgrade re-creates them before the table and owns them after), and partitions detached
    before any of it (the downgrade attaches them again after every table and index exists)."""
    extras: dict[tuple[str | None, str], DroppedExtras] = ctx.cache.get(_EXTRAS) or {}
    if not extras:
        return
    starts = _group_starts(upgrade_ops.ops, extras)
    detaches: list[MigrateOperation] = []
    out: list[Any] = []
    first: int | None = None  # where in ``out`` the first dropped table's operations start
    for position, op in enumerate(upgrade_ops.ops):
        key = _table_key(op)
        found = extras.get(key) if key is not None else None
        if found is not None and key is not None and starts.get(key) == position:
            first = len(out) if first is None else first
            out.extend(PairedSQLOp(sql, reverse) for sql, reverse in found.comments)
            out.extend(PairedSQLOp(sql, reverse) for sql, reverse in found.statements)
            detaches.extend(PairedSQLOp(sql, reverse) for sql, reverse in found.links)
        if found is None or not isinstance(op, DropTableOp):
            out.append(op)
            continue
        table_sql = _qualified(ctx, op.schema, op.table_name)
        after = _release_sequences(ctx, found, table_sql, out)
        if found.partition_of is not None:
            parent, bound = found.partition_of
            detaches.append(PairedSQLOp(
                f"ALTER TABLE {parent} DETACH PARTITION {table_sql}",
                f"ALTER TABLE {parent} ATTACH PARTITION {table_sql} {bound}",
            ))
        out.append(op)
        out.extend(after)
    # a partition's index that belongs to its parent's can be dropped only once detached
    at = len(out) if first is None else first
    out[at:at] = detaches
    upgrade_ops.ops[:] = out


def _table_key(op: Any) -> tuple[str | None, str] | None:
    """(schema, table) of a table's ``drop_table`` or group of operations."""
    from mig_core.operations.ops import ModifyTableOps

    if isinstance(op, (DropTableOp, ModifyTableOps)):
        return (op.schema, op.table_name)
    return None


def _group_starts(ops: list[Any], extras: dict[tuple[str | None, str], DroppedExtras],
                  ) -> dict[tuple[str | None, str], int]:
    """Position of the first operation of each dropped table (a group of index drops, or its
    ``drop_table``)."""
    starts: dict[tuple[str | None, str], int] = {}
    for position, op in enumerate(ops):
        key = _table_key(op)
        if key is not None and key in extras and key not in starts:
            starts[key] = position
    return starts


def _release_sequences(ctx: CompareContext, found: DroppedExtras, table_sql: str,
                       out: list[Any]) -> list[Any]:
    """``OWNED BY NONE`` of each sequence the table owns, added to ``out``; their
    ``drop_sequence`` operations (to follow the ``drop_table``) returned."""
    from mig_postgres.ops import CreateSequenceOp, DropSequenceOp

    after: list[Any] = []
    for seq in found.sequences:
        owner = f"{table_sql}.{ctx.dialect.identifier_preparer.quote(seq.column)}"
        out.append(PairedSQLOp(f"ALTER SEQUENCE {seq.name} OWNED BY NONE",
                               f"ALTER SEQUENCE {seq.name} OWNED BY {owner}"))
        data_type, start, increment, minvalue, maxvalue, cache, cycle = seq.options
        from mig_postgres.compare import _split_name

        schema, name = _split_name(seq.name)  # (quoted parts may hold dots and quotes)
        create = CreateSequenceOp(
            name, schema=schema or None, start=start,
            increment=increment, minvalue=minvalue, maxvalue=maxvalue, cache=cache,
            cycle=cycle or None, data_type=_sequence_type(data_type),
        )
        after.append(DropSequenceOp(create.sequence_name, schema=create.schema, _reverse=create))
    return after


def _qualified(ctx: CompareContext, schema: str | None, name: str) -> str:
    """``name`` quoted as needed, with its schema unless it is the default one (None)."""
    preparer = ctx.dialect.identifier_preparer
    quoted = preparer.quote(name)
    return f"{preparer.quote_schema(schema)}.{quoted}" if schema else quoted


def _sequence_type(name: str) -> Any:
    import sqlalchemy as sa

    return {"integer": sa.Integer, "smallint": sa.SmallInteger, "bigint": sa.BigInteger}.get(name)
