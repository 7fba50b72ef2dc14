"""What autogenerate reads from PostgreSQL's catalogs beyond SQLAlchemy's reflection.

One :class:`PgCatalog` per comparison (kept in ``ctx.cache``), each part read once with one
query however many tables there are: enum types and their labels, what uses each enum, the
free-standing sequences, exclusion constraints, the real schema of every foreign key's target,
and the tables that really live in the default schema (SQLAlchemy's ``schema=None`` means
"visible on search_path", which mixes in other schemas' tables). What every comparison needs
(the search path, enums, sequences, whether there are exclusion constraints) comes in one round
trip; the rest only when the comparison meets something that needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mig_core.autogenerate.context import CompareContext

CACHE_KEY = "mig_postgres.catalog"
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


@dataclass
class EnumType:
    """An enum type in the database."""

    schema: str
    name: str
    labels: list[str]
    visible: bool


@dataclass
class EnumUser:
    """A column (of a table, view, composite type ...) whose type is an enum or an array of it."""

    schema: str
    relation: str
    relkind: str
    column: str


@dataclass
class ExclusionConstraint:
    """An ``EXCLUDE`` constraint as the server holds it."""

    schema: str
    table: str
    name: str
    using: str
    expressions: list[str]
    operators: list[str]
    where: str | None
    deferrable: bool
    initially_deferred: bool


@dataclass
class SequenceInfo:
    """A sequence no column owns (SERIAL and identity sequences are owned)."""

    schema: str
    name: str
    start: int
    increment: int
    minvalue: int
    maxvalue: int
    cache: int
    cycle: bool
    data_type: str


@dataclass
class PgCatalog:
    """Catalog facts for one comparison, each read on first use."""

    ctx: Any
    default_schema: str
    _parts: dict[Any, Any] = field(default_factory=dict)

    def _rows(self, sql: str, **params: Any) -> list[Any]:
        from sqlalchemy import text

        return list(self.ctx.connection.execute(text(sql), params))

    # --- schema names under a connection's schema_translate_map ------------------------------
    # Every fact is keyed by the schema as the model names it (the default schema as
    # ``default_schema``, the map's target for None): a row of a schema the map sends a model
    # schema to is named as that model schema, a row of a schema the map moves away from (and
    # whose name the model uses for another) is left out.

    @property
    def _translation(self) -> Any:
        translation = getattr(self.ctx, "translation", None)
        return translation if translation is not None and translation.active else None

    def model_rows(self, rows: list[Any], *columns: int) -> list[Any]:
        """``rows`` with their schema ``columns`` named as the model names them."""
        translation = self._translation
        if translation is None:
            return rows
        out = []
        for row in rows:
            row = list(row)
            if not all(translation.reaches(row[i]) for i in columns[:1]):
                continue  # the row's own object lives where no model schema reaches
            for i in columns:
                model = translation.to_model(row[i])
                row[i] = self.default_schema if model is None else model
            out.append(row)
        return out

    def database_name(self, schema: str) -> str:
        """The real name of the schema the model (and every fact here) calls ``schema``."""
        translation = self._translation
        if translation is None:
            return schema
        db = translation.to_database(None if schema == self.default_schema else schema)
        return str(db if db is not None else translation.session_default)

    # --- what every comparison reads, in one round trip -------------------------------------
    def _read_common(self) -> None:
        """The search path, enum types, free-standing sequences and whether any exclusion
        constraint exists, read with one statement (each is needed by every comparison; their
        rows come back as JSON). The exclusion constraints themselves are read by a second query
        only when there are some: planning the detail query costs a fresh connection ~2.5 ms."""
        if "enums" in self._parts:
            return
        row = self._rows(
            "SELECT current_schemas(false), "
            "(SELECT coalesce(json_agg(json_build_array(n.nspname, t.typname, "
            "pg_type_is_visible(t.oid), array(SELECT e.enumlabel FROM pg_enum e "
            "WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder))), '[]') "
            "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE t.typtype = 'e' AND n.nspname <> ALL(:system)), "
            "(SELECT coalesce(json_agg(json_build_array(n.nspname, c.relname, s.seqstart, "
            "s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, "
            "format_type(s.seqtypid, NULL))), '[]') "
            "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname <> ALL(:system) AND NOT EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
            "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))), "
            "EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'x')",
            system=list(SYSTEM_SCHEMAS),
        )[0]
        path, enums, sequences, any_exclusion = row
        enums, sequences = self.model_rows(enums, 0), self.model_rows(sequences, 0)
        self._parts["search_path"] = set(path or ()) <= {self.default_schema}
        self._parts["enums"] = {
            (r[0], r[1]): EnumType(r[0], r[1], list(r[3]), bool(r[2])) for r in enums
        }
        self._parts["sequences"] = {(r[0], r[1]): SequenceInfo(*r) for r in sequences}
        if not any_exclusion:  # the usual database: no detail query to plan and run
            self._parts["exclusions"] = {}

    def _read_exclusions(self) -> dict[tuple[str, str], list[ExclusionConstraint]]:
        """Every exclusion constraint by (schema, table), read when the database has any."""
        found: dict[tuple[str, str], list[ExclusionConstraint]] = {}
        for r in self.model_rows(self._rows(
            "SELECT n.nspname, c.relname, con.conname, am.amname, "
            "array(SELECT pg_get_indexdef(con.conindid, k, true) "
            "FROM generate_series(1, array_length(con.conexclop, 1)) AS k ORDER BY k), "
            "array(SELECT o.oprname FROM unnest(con.conexclop) WITH ORDINALITY AS u(op, k) "
            "JOIN pg_operator o ON o.oid = u.op ORDER BY u.k), "
            "pg_get_expr(i.indpred, i.indrelid, true), con.condeferrable, con.condeferred "
            "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_index i ON i.indexrelid = con.conindid "
            "JOIN pg_class ic ON ic.oid = con.conindid JOIN pg_am am ON am.oid = ic.relam "
            "WHERE con.contype = 'x' ORDER BY con.conname"
        ), 0):
            found.setdefault((r[0], r[1]), []).append(ExclusionConstraint(
                r[0], r[1], r[2], r[3], list(r[4]), list(r[5]), r[6], bool(r[7]), bool(r[8])
            ))
        return found

    # --- enums ---------------------------------------------------------------------------------
    @property
    def enums(self) -> dict[tuple[str, str], EnumType]:
        """Every user enum type by (schema, name)."""
        self._read_common()
        return self._parts["enums"]  # type: ignore[no-any-return]

    def enum_schema(self, name: str, schema: str | None) -> str:
        """The real schema of enum ``name`` as a reflected or model type names it."""
        if schema is not None:
            return schema
        for (enum_schema, enum_name), enum in self.enums.items():
            if enum_name == name and enum.visible:
                return enum_schema
        return self.default_schema

    @property
    def enum_users(self) -> dict[tuple[str, str], list[EnumUser]]:
        """Columns using each enum (directly or as an array), by the enum's (schema, name)."""
        if "enum_users" not in self._parts:
            rows = self._rows(
                "SELECT tn.nspname, t.typname, cn.nspname, c.relname, c.relkind, a.attname "
                "FROM pg_type t JOIN pg_namespace tn ON tn.oid = t.typnamespace "
                "JOIN pg_attribute a ON a.atttypid IN (t.oid, t.typarray) AND a.attnum > 0 "
                "AND NOT a.attisdropped "
                "JOIN pg_class c ON c.oid = a.attrelid AND c.relkind NOT IN ('i', 'I') "
                "JOIN pg_namespace cn ON cn.oid = c.relnamespace WHERE t.typtype = 'e'"
            )
            rows = self.model_rows(rows, 0, 2)
            users: dict[tuple[str, str], list[EnumUser]] = {}
            for r in rows:
                users.setdefault((r[0], r[1]), []).append(EnumUser(r[2], r[3], r[4], r[5]))
            self._parts["enum_users"] = users
        return self._parts["enum_users"]  # type: ignore[no-any-return]

    @property
    def enums_used_elsewhere(self) -> set[tuple[str, str]]:
        """Enums something other than a column depends on (a domain, function, cast ...)."""
        if "enum_deps" not in self._parts:
            rows = self._rows(
                "SELECT DISTINCT tn.nspname, t.typname FROM pg_type t "
                "JOIN pg_namespace tn ON tn.oid = t.typnamespace "
                "JOIN pg_depend d ON d.refclassid = 'pg_type'::regclass "
                "AND d.refobjid IN (t.oid, t.typarray) AND d.deptype = 'n' "
                "AND d.classid <> 'pg_class'::regclass "
                "WHERE t.typtype = 'e'"
            )
            rows = self.model_rows(rows, 0)
            self._parts["enum_deps"] = {(r[0], r[1]) for r in rows}
        return self._parts["enum_deps"]  # type: ignore[no-any-return]

    # --- sequences ----------------------------------------------------------------------------
    def sequences(self, schemas: list[str]) -> dict[tuple[str, str], SequenceInfo]:
        """Free-standing sequences of ``schemas`` by (schema, name)."""
        self._read_common()
        wanted = set(schemas)
        return {key: info for key, info in self._parts["sequences"].items() if key[0] in wanted}

    @property
    def sequence_users(self) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
        """Column defaults using each sequence: (table schema, table, column) by the sequence."""
        if "sequence_users" not in self._parts:
            rows = self._rows(
                "SELECT sn.nspname, s.relname, tn.nspname, t.relname, a.attname "
                "FROM pg_depend d JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S' "
                "JOIN pg_namespace sn ON sn.oid = s.relnamespace "
                "JOIN pg_attrdef ad ON ad.oid = d.objid "
                "JOIN pg_class t ON t.oid = ad.adrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace "
                "JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum "
                "WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass"
            )
            rows = self.model_rows(rows, 0, 2)
            users: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
            for r in rows:
                users.setdefault((r[0], r[1]), []).append((r[2], r[3], r[4]))
            self._parts["sequence_users"] = users
        return self._parts["sequence_users"]  # type: ignore[no-any-return]

    def nextval_default(self, schema: str, table: str, column: str) -> str | None:
        """A column's ``nextval(...)`` default as the server writes it (SQLAlchemy's reflection
        qualifies the sequence with the table's schema, which can be the wrong one)."""
        if "nextval" not in self._parts:
            rows = self._rows(
                "SELECT n.nspname, c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid) "
                "FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                "WHERE pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%'"
            )
            rows = self.model_rows(rows, 0)
            self._parts["nextval"] = {(r[0], r[1], r[2]): r[3] for r in rows}
        return self._parts["nextval"].get((schema, table, column))  # type: ignore[no-any-return]

    def owned_sequence(
        self, schema: str, table: str, column: str, sequence: str
    ) -> tuple[str, int, int, int, int, int, bool] | None:
        """(type, start, increment, min, max, cache, cycle) of ``sequence`` (a name as a
        ``nextval`` default writes it) when the column owns it (SERIAL), else None."""
        rows = self._rows(
            "SELECT format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, "
            "s.seqmax, s.seqcache, s.seqcycle FROM pg_sequence s "
            "JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid "
            "AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
            "WHERE s.seqrelid = to_regclass(:sequence) AND n.nspname = :schema "
            "AND t.relname = :table AND a.attname = :column",
            sequence=sequence, schema=self.database_name(schema), table=table, column=column,
        )
        if not rows:
            return None
        r = rows[0]
        return (str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]), bool(r[6]))

    def same_relation(self, left: str, right: str) -> bool:
        """Whether two (possibly unqualified, quoted) names denote the same relation."""
        key = ("same_relation", left, right)
        if key not in self._parts:
            rows = self._rows(
                "SELECT to_regclass(:a) IS NOT NULL AND to_regclass(:a) = to_regclass(:b)",
                a=left, b=right,
            )
            self._parts[key] = bool(rows[0][0])
        return self._parts[key]  # type: ignore[no-any-return]

    # --- constraints --------------------------------------------------------------------------
    def exclusions(self, schema: str, table: str) -> list[ExclusionConstraint]:
        """The exclusion constraints of one table (all of them are read at the first call)."""
        self._read_common()
        if "exclusions" not in self._parts:
            self._parts["exclusions"] = self._read_exclusions()
        return self._parts["exclusions"].get((schema, table), [])  # type: ignore[no-any-return]

    def foreign_key_target_schema(self, schema: str, table: str, name: str) -> str | None:
        """The real schema of the table a named foreign key points at (None if unknown)."""
        if "fk_targets" not in self._parts:
            rows = self._rows(
                "SELECT n.nspname, c.relname, con.conname, rn.nspname "
                "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_class r ON r.oid = con.confrelid "
                "JOIN pg_namespace rn ON rn.oid = r.relnamespace WHERE con.contype = 'f'"
            )
            rows = self.model_rows(rows, 0, 3)
            self._parts["fk_targets"] = {(r[0], r[1], r[2]): r[3] for r in rows}
        return self._parts["fk_targets"].get((schema, table, name))  # type: ignore[no-any-return]

    @property
    def search_path_is_default(self) -> bool:
        """Whether the default schema is the only schema on ``search_path`` (besides the
        implicit ``pg_catalog`` and temporary schema).

        Then SQLAlchemy's ``schema=None`` reflection holds only the default schema's tables (it
        leaves temporary tables out), and the referred schema of every reflected foreign key is
        right as reported (a permanent table cannot refer to a temporary one): the catalog need
        not be asked about either.
        """
        self._read_common()
        return self._parts["search_path"]  # type: ignore[no-any-return]

    def default_schema_relations(self) -> set[str]:
        """Names of the tables, views and foreign tables that live in the default schema."""
        if "default_relations" not in self._parts:
            rows = self._rows(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
                schema=self.database_name(self.default_schema),
            )
            self._parts["default_relations"] = {r[0] for r in rows}
        return self._parts["default_relations"]  # type: ignore[no-any-return]

    # --- functions ------------------------------------------------------------------------------
    def volatile_functions(self, names: set[str]) -> set[str]:
        """Which of ``names`` name a volatile function (nextval, random, clock_timestamp ...)."""
        cache: dict[str, bool] = self._parts.setdefault("volatile", {})
        unknown = sorted(n for n in names if n not in cache)
        if unknown:
            rows = self._rows(
                "SELECT DISTINCT proname FROM pg_proc WHERE proname = ANY(:names) "
                "AND provolatile = 'v'",
                names=unknown,
            )
            volatile = {r[0] for r in rows}
            for name in unknown:
                cache[name] = name in volatile
        return {n for n in names if cache.get(n)}


def catalog(ctx: CompareContext) -> PgCatalog:
    """The comparison's catalog (made once per comparison)."""
    found = ctx.cache.get(CACHE_KEY)
    if found is None:
        insp = ctx.inspector  # sets ctx.default_schema
        default = ctx.default_schema or insp.default_schema_name or "public"
        found = ctx.cache[CACHE_KEY] = PgCatalog(ctx, default)
    return found  # type: ignore[no-any-return]
