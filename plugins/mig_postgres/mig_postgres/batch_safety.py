"""What a move and copy (``batch_alter_table(..., recreate="always")``) would lose on
PostgreSQL, checked before it changes anything (the ``mig_batch_recreate_keep`` hook).

``CREATE TABLE`` + ``INSERT ... SELECT`` + ``DROP`` + ``RENAME`` makes a plain, new table:

- refused: partitioned tables and partitions, inheritance parents and children, typed tables
  (``OF type``) and unlogged tables; a policy using a column the batch renames or drops;
  a replica identity index on a column the batch drops; a publication whose column list
  names a dropped column or whose row filter names a renamed or dropped column; extended
  statistics on a renamed or dropped column; security labels;
- kept: the owner, table and column privileges (grant options included; grantors are not:
  everything is re-granted by the migrating role), ENABLE / FORCE ROW LEVEL SECURITY and
  every policy. FORCE is switched off on the old table first, so the copy sees every row.
  REPLICA IDENTITY, membership of publications naming the table (column list and row
  filter included), extended statistics (name, schema, statistics target, owner, comment);
  per-column settings of the columns that stay (renamed ones followed): the statistics
  target (``SET STATISTICS``), ``n_distinct`` / ``n_distinct_inherited``, and, when the batch
  does not change the column's type (``ALTER COLUMN ... TYPE`` resets them too), ``SET
  STORAGE`` and ``SET COMPRESSION``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from mig_core.ddl.statements import VerbatimSQL, server_form
from mig_core.errors import CommandError

#: what to use instead of a recreate, for the refusals
INSTEAD = (
    "change it with plain ALTERs instead (op.add_column, op.alter_column, op.drop_column, ... "
    'or batch_alter_table without recreate="always")'
)
_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}
#: (grantee, privilege) -> grantable; grantee is a quoted role name or PUBLIC
Acl = dict[tuple[str, str], bool]

_ACL_SQL = (
    "SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) "
    "END, x.privilege_type, bool_or(x.is_grantable) FROM pg_class c, "
    "aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) x "
    "WHERE c.oid = :oid GROUP BY 1, 2"
)


def quote_as_text(dialect: Any) -> Callable[[str], str]:
    """The dialect's ``quote`` giving a name as the server reads it in verbatim SQL and in
    bound values (:func:`~mig_core.ddl.statements.server_form`)."""
    quote = dialect.identifier_preparer.quote
    return lambda name: server_form(dialect, str(quote(name)))


def _oid(conn: Any, qualified: str) -> int:
    return int(conn.execute(sa.text("SELECT CAST(:n AS regclass)::oid"), {"n": qualified}).scalar())


def _acl(conn: Any, oid: int) -> Acl:
    return {(r[0], r[1]): bool(r[2]) for r in conn.execute(sa.text(_ACL_SQL), {"oid": oid})}


@dataclass
class Policy:
    name: str
    permissive: bool
    command: str
    roles: list[str]
    using: str | None
    check: str | None

    def create_sql(self, quote: Callable[[str], str], qualified: str) -> str:
        sql = (
            f"CREATE POLICY {quote(self.name)} ON {qualified} AS "
            f"{'PERMISSIVE' if self.permissive else 'RESTRICTIVE'} FOR {self.command} "
            f"TO {', '.join(self.roles)}"
        )
        if self.using is not None:
            sql += f" USING ({self.using})"
        if self.check is not None:
            sql += f" WITH CHECK ({self.check})"
        return sql


@dataclass
class Kept:
    """What the old table had that the new one must get back (read before the recreate)."""

    impl: Any
    where: str
    qualified: str
    owner: str
    acl: Acl
    column_acl: list[tuple[str, str, str, bool]] = field(default_factory=list)
    row_security: bool = False
    force_row_security: bool = False
    policies: list[Policy] = field(default_factory=list)
    #: ALTER TABLE ... REPLICA IDENTITY clause ("FULL", "NOTHING", "USING INDEX i"), or None
    replica_identity: str | None = None
    #: ALTER PUBLICATION ... ADD TABLE statements
    publications: list[tuple[str, str]] = field(default_factory=list)
    #: (name, statements) per extended statistics object
    statistics: list[tuple[str, list[str]]] = field(default_factory=list)
    #: per-column settings of the columns that stay
    column_settings: list[ColumnSettings] = field(default_factory=list)

    def __call__(self) -> None:
        conn = self.impl.connection
        oid = _oid(conn, self.qualified)
        owner = conn.execute(
            sa.text("SELECT quote_ident(pg_get_userbyid(relowner)) FROM pg_class WHERE oid = :o"),
            {"o": oid},
        ).scalar()
        if owner != self.owner:
            self._run(f"ALTER TABLE {self.qualified} OWNER TO {self.owner}", "keeping the owner")
        for sql in acl_statements(self.qualified, self.acl, _acl(conn, oid)):
            self._run(sql, "keeping the privileges")
        for column, grantee, privilege, grantable in self.column_acl:
            quoted = quote_as_text(self.impl.dialect)(column)
            self._run(
                f"GRANT {privilege} ({quoted}) ON {self.qualified} TO {grantee}"
                + (" WITH GRANT OPTION" if grantable else ""),
                f"keeping the privileges on column {column}",
            )
        if self.row_security:
            self._run(f"ALTER TABLE {self.qualified} ENABLE ROW LEVEL SECURITY",
                      "keeping row-level security")
        if self.force_row_security:
            self._run(f"ALTER TABLE {self.qualified} FORCE ROW LEVEL SECURITY",
                      "keeping row-level security")
        quote = quote_as_text(self.impl.dialect)
        for policy in self.policies:
            self._run(policy.create_sql(quote, self.qualified),
                      f"recreating policy {policy.name}")
        if self.replica_identity is not None:
            self._run(f"ALTER TABLE {self.qualified} REPLICA IDENTITY {self.replica_identity}",
                      "keeping the replica identity")
        for pubname, sql in self.publications:
            self._run(sql, f"adding the table back to publication {pubname}")
        for statname, statements in self.statistics:
            for sql in statements:
                self._run(sql, f"recreating statistics {statname}")
        if self.column_settings:
            actions = column_setting_actions(conn, oid, self.column_settings, quote)
            if actions:
                self._run(f"ALTER TABLE {self.qualified} {', '.join(actions)}",
                          "keeping the column settings")

    def _run(self, sql: str, step: str) -> None:
        """Run a statement made of what the catalog said (policy expressions, statistics and
        publication definitions, role names): to the server as it is, no bind parameters."""
        self.impl.execute_step(VerbatimSQL(sql), f"{self.where}: {step}")


#: attstorage / attcompression codes and what ALTER COLUMN ... SET spells them
_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
_COMPRESSION = {"p": "pglz", "l": "lz4"}
#: PostgreSQL's attribute options (``ALTER COLUMN ... SET (...)``); a server may store
#: options of its own in attoptions, which are not the user's to carry over
_ATTRIBUTE_OPTIONS = ("n_distinct", "n_distinct_inherited")


@dataclass
class ColumnSettings:
    """What ``ALTER TABLE ... ALTER COLUMN`` set on a column that the batch keeps."""

    name: str  # in the new table
    type_: tuple[int, int]  # (atttypid, atttypmod) in the old table
    statistics: int | None  # the statistics target; None: the default
    storage: str | None  # attstorage when not the type's default
    compression: str | None  # attcompression when set
    options: list[tuple[str, str]]


def read_column_settings(
    conn: Any, oid: int, columns: dict[str, str]
) -> list[ColumnSettings]:
    """Per-column settings a new table does not have: statistics target (-1, or NULL from
    PostgreSQL 17, is the default), storage other than the type's, compression (PostgreSQL
    14+), attribute options."""
    compression = (
        "a.attcompression::text"
        if (conn.dialect.server_version_info or (0,)) >= (14,) else "''"
    )
    rows = conn.execute(
        sa.text(
            "SELECT a.attname, a.atttypid, a.atttypmod, coalesce(a.attstattarget::int, -1), "
            f"NULLIF(a.attstorage, t.typstorage), NULLIF({compression}, ''), "
            "coalesce(a.attoptions, '{}') "
            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            "WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        ),
        {"oid": oid},
    ).all()
    out = []
    for name, typid, typmod, target, storage, method, attoptions in rows:
        options = []
        for option in attoptions:
            key, _, value = option.partition("=")
            if key in _ATTRIBUTE_OPTIONS:
                options.append((key, value))
        if name not in columns or (
            target < 0 and storage is None and method is None and not options
        ):
            continue
        out.append(ColumnSettings(
            columns[name], (int(typid), int(typmod)), int(target) if target >= 0 else None,
            storage, method, options,
        ))
    return out


def column_setting_actions(
    conn: Any, oid: int, settings: list[ColumnSettings], quote: Callable[[str], str]
) -> list[str]:
    """``ALTER COLUMN ... SET ...`` actions giving the new table's columns their settings
    back. Storage and compression follow the rule of ``ALTER COLUMN ... TYPE``: a column
    whose type (or type modifier) changed has its type's default again."""
    types = {
        r[0]: (int(r[1]), int(r[2]))
        for r in conn.execute(
            sa.text(
                "SELECT attname, atttypid, atttypmod FROM pg_attribute WHERE attrelid = :oid "
                "AND attnum > 0 AND NOT attisdropped"
            ),
            {"oid": oid},
        )
    }
    actions = []
    for col in settings:
        column = f"ALTER COLUMN {quote(col.name)}"
        if col.statistics is not None:
            actions.append(f"{column} SET STATISTICS {col.statistics}")
        if col.options:
            listed = ", ".join(
                f"{key} = '{value.replace(chr(39), chr(39) * 2)}'" for key, value in col.options
            )
            actions.append(f"{column} SET ({listed})")
        if types.get(col.name) != col.type_:
            continue
        if col.storage in _STORAGE:
            actions.append(f"{column} SET STORAGE {_STORAGE[col.storage]}")
        if col.compression in _COMPRESSION:
            actions.append(f"{column} SET COMPRESSION {_COMPRESSION[col.compression]}")
    return actions


def _columns_used(catalog: str, oid: str, relid: str) -> str:
    """SQL for the array of the table's column names an object of ``catalog`` depends on."""
    return (
        "ARRAY(SELECT DISTINCT a.attname FROM pg_depend d JOIN pg_attribute a "
        "ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        f"WHERE d.classid = '{catalog}'::regclass AND d.objid = {oid} "
        f"AND d.refclassid = 'pg_class'::regclass AND d.refobjid = {relid} "
        "AND d.refobjsubid > 0 ORDER BY 1)"
    )


def _refuse_changed_columns(where: str, what: str, used: list[str], columns: dict[str, str],
                            *, plural: bool = False) -> None:
    """Refuse the batch when ``what`` uses a column the batch renames or drops."""
    changed = [c for c in used if columns.get(c) != c]
    if changed:
        uses, it = ("use(s)", "them") if plural else ("uses", "it")
        raise CommandError(
            f"{where}: {what} {uses} column(s) {', '.join(changed)} that the batch renames or "
            f"drops; drop {it} before the batch and create {it} again after"
        )


def acl_statements(qualified: str, old: Acl, new: Acl) -> list[str]:
    """GRANT / REVOKE statements turning the new table's privileges into the old table's
    (the new one may hold default privileges the old one had revoked)."""
    grants: dict[tuple[str, bool], list[str]] = {}
    revokes: dict[tuple[str, bool], list[str]] = {}  # (grantee, only the grant option)
    for (grantee, privilege), grantable in sorted(old.items()):
        now = new.get((grantee, privilege))
        if now is None or (grantable and not now):
            grants.setdefault((grantee, grantable), []).append(privilege)
        elif now and not grantable:
            revokes.setdefault((grantee, True), []).append(privilege)
    for (grantee, privilege) in sorted(set(new) - set(old)):
        revokes.setdefault((grantee, False), []).append(privilege)
    out = [
        f"GRANT {', '.join(privs)} ON {qualified} TO {grantee}"
        + (" WITH GRANT OPTION" if grantable else "")
        for (grantee, grantable), privs in grants.items()
    ]
    out += [
        f"REVOKE {'GRANT OPTION FOR ' if option else ''}{', '.join(privs)} ON {qualified} "
        f"FROM {grantee}"
        for (grantee, option), privs in revokes.items()
    ]
    return out


def refuse_structure(conn: Any, oid: int, where: str, name: str) -> None:
    """Partitioning, inheritance, typed and unlogged tables: a recreate makes a plain table."""
    row = conn.execute(
        sa.text(
            "SELECT c.relkind, c.relispartition, c.reloftype <> 0, c.relpersistence, "
            "(SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno) "
            " FROM pg_inherits i WHERE i.inhrelid = c.oid), "
            "(SELECT string_agg(i.inhrelid::regclass::text, ', ' "
            "  ORDER BY i.inhrelid::regclass::text) FROM pg_inherits i WHERE i.inhparent = c.oid) "
            "FROM pg_class c WHERE c.oid = :oid"
        ),
        {"oid": oid},
    ).one()
    kind, is_partition, typed, persistence, parents, children = row
    reason = None
    if kind == "p":
        reason = (
            f"{name} is a partitioned table (partitions: {children or 'none'}); a recreate "
            "would make it a plain table and drop its partitions"
        )
    elif is_partition:
        reason = (
            f"{name} is a partition of {parents}; a recreate would detach it from its "
            "partitioned table"
        )
    elif children:
        reason = (
            f"table(s) {children} inherit from {name}; a recreate cannot drop a parent "
            "table without dropping them"
        )
    elif parents:
        reason = f"{name} inherits from {parents}; a recreate would lose that link"
    elif typed:
        reason = f"{name} is a typed table (OF type); a recreate would make it a plain table"
    elif persistence == "u":
        reason = f"{name} is UNLOGGED; a recreate would make it a logged table"
    if reason is not None:
        raise CommandError(f"{where}: {reason}; {INSTEAD}")


def read_policies(
    conn: Any, oid: int, where: str, columns: dict[str, str]
) -> list[Policy]:
    """The table's policies; one using a column the batch renames or drops is refused (its
    stored expression names the old column)."""
    rows = conn.execute(
        sa.text(
            "SELECT p.polname, p.polpermissive, p.polcmd, "
            "ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) "
            "      END FROM unnest(p.polroles) r ORDER BY 1), "
            "pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), "
            + _columns_used("pg_policy", "p.oid", "p.polrelid") + " "
            "FROM pg_policy p WHERE p.polrelid = :oid ORDER BY p.polname"
        ),
        {"oid": oid},
    ).all()
    out = []
    for name, permissive, cmd, roles, using, check, used in rows:
        _refuse_changed_columns(where, f"policy {name!r}", used, columns)
        out.append(Policy(name, bool(permissive), _COMMANDS[cmd], list(roles), using, check))
    return out


def refuse_security_labels(conn: Any, oid: int, where: str, name: str) -> None:
    """Security labels (``SECURITY LABEL ... ON TABLE / COLUMN``) go with the dropped table;
    re-applying them needs the label provider, so they are refused."""
    labels = conn.execute(
        sa.text(
            "SELECT s.provider, CASE WHEN s.objsubid = 0 THEN 'table ' || :name "
            "ELSE 'column ' || a.attname END FROM pg_seclabel s LEFT JOIN pg_attribute a "
            "ON a.attrelid = s.objoid AND a.attnum = s.objsubid "
            "WHERE s.classoid = 'pg_class'::regclass AND s.objoid = :oid "
            "ORDER BY s.objsubid, s.provider"
        ),
        {"oid": oid, "name": name},
    ).all()
    if labels:
        found = ", ".join(f"{provider} on {target}" for provider, target in labels)
        raise CommandError(
            f"{where}: {name} has security labels ({found}); a recreate would drop them; "
            f"{INSTEAD}"
        )


def read_replica_identity(
    conn: Any, oid: int, where: str, name: str, columns: dict[str, str], quote: Any
) -> str | None:
    """The REPLICA IDENTITY clause to re-apply (None for DEFAULT, what a new table has).
    USING INDEX names the index, which the recreate rebuilds under its own name."""
    ident = conn.execute(
        sa.text("SELECT relreplident FROM pg_class WHERE oid = :oid"), {"oid": oid}
    ).scalar()
    if ident == "f":
        return "FULL"
    if ident == "n":
        return "NOTHING"
    if ident != "i":
        return None
    row = conn.execute(
        sa.text(
            "SELECT c.relname, ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) k "
            "      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k ORDER BY 1) "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = :oid AND i.indisreplident"
        ),
        {"oid": oid},
    ).first()
    if row is None:  # the index was dropped: PostgreSQL then behaves as NOTHING
        return "NOTHING"
    index, used = row
    dropped = [c for c in used if c not in columns]
    if dropped:
        raise CommandError(
            f"{where}: the replica identity of {name} is index {index!r}, on column(s) "
            f"{', '.join(dropped)} that the batch drops; {INSTEAD}"
        )
    return f"USING INDEX {quote(index)}"


def read_publications(
    conn: Any, oid: int, where: str, name: str, columns: dict[str, str], qualified: str,
    quote: Any,
) -> list[tuple[str, str]]:
    """``ALTER PUBLICATION ... ADD TABLE`` for each publication naming the table (dropping
    the table takes it out of them). FOR ALL TABLES / FOR TABLES IN SCHEMA publications
    cover the new table by themselves."""
    rows = conn.execute(
        sa.text(
            "SELECT p.pubname, "
            "CASE WHEN pr.prattrs IS NULL THEN NULL ELSE ARRAY(SELECT a.attname "
            "  FROM unnest(pr.prattrs::int2[]) WITH ORDINALITY k(n, o) JOIN pg_attribute a "
            "  ON a.attrelid = pr.prrelid AND a.attnum = k.n ORDER BY k.o) END, "
            "pg_get_expr(pr.prqual, pr.prrelid), "
            "ARRAY(SELECT DISTINCT a.attname FROM regexp_matches(coalesce(pr.prqual::text, ''), "
            "      '[:]varattno ([0-9]+)', 'g') m JOIN pg_attribute a "
            "      ON a.attrelid = pr.prrelid AND a.attnum = m[1]::int2 ORDER BY 1) "
            "FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid "
            "WHERE pr.prrelid = :oid ORDER BY p.pubname"
        ),
        {"oid": oid},
    ).all()
    out = []
    for pubname, attnames, rowfilter, filtered in rows:
        changed = [c for c in filtered if columns.get(c) != c]
        if changed:
            raise CommandError(
                f"{where}: the row filter of {name} in publication {pubname!r} uses column(s) "
                f"{', '.join(changed)} that the batch renames or drops; {INSTEAD}"
            )
        sql = f"ALTER PUBLICATION {quote(pubname)} ADD TABLE {qualified}"
        if attnames is not None:
            dropped = [c for c in attnames if c not in columns]
            if dropped:
                raise CommandError(
                    f"{where}: publication {pubname!r} publishes column(s) "
                    f"{', '.join(dropped)} of {name} that the batch drops; {INSTEAD}"
                )
            sql += f" ({', '.join(quote(columns[c]) for c in attnames)})"
        if rowfilter is not None:
            sql += f" WHERE ({rowfilter})"
        out.append((pubname, sql))
    return out


def read_statistics(
    conn: Any, oid: int, where: str, name: str, columns: dict[str, str]
) -> list[tuple[str, list[str]]]:
    """Extended statistics (``CREATE STATISTICS``), recreated from their definition under
    their name and schema; one on a column the batch renames or drops is refused."""
    rows = conn.execute(
        sa.text(
            "SELECT s.stxname, pg_get_statisticsobjdef(s.oid), "
            "quote_ident(n.nspname) || '.' || quote_ident(s.stxname), s.stxstattarget, "
            "quote_ident(pg_get_userbyid(s.stxowner)), "
            "obj_description(s.oid, 'pg_statistic_ext'), "
            + _columns_used("pg_statistic_ext", "s.oid", "s.stxrelid") + " "
            "FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace "
            "WHERE s.stxrelid = :oid ORDER BY n.nspname, s.stxname"
        ),
        {"oid": oid},
    ).all()
    out = []
    for statname, definition, qualname, target, owner, comment, used in rows:
        _refuse_changed_columns(where, f"statistics {statname!r} on {name}", used, columns,
                                plural=True)
        statements = [definition]
        if target is not None and target >= 0:
            statements.append(f"ALTER STATISTICS {qualname} SET STATISTICS {int(target)}")
        statements.append(f"ALTER STATISTICS {qualname} OWNER TO {owner}")
        if comment is not None:
            literal = "'" + comment.replace("'", "''") + "'"
            statements.append(f"COMMENT ON STATISTICS {qualname} IS {literal}")
        out.append((statname, statements))
    return out


def keep(impl: Any, batch: Any, columns: dict[str, str]) -> Kept | None:
    """Refuse what a recreate would break, and read what it must restore (online only)."""
    if impl.dialect.name != "postgresql" or impl.as_sql or impl.connection is None:
        return None
    conn = impl.connection
    quote = quote_as_text(impl.dialect)
    name = batch.table_name
    qualified = quote(name)
    if batch.schema:
        qualified = f"{quote(batch.schema)}.{qualified}"
    where = f"batch_alter_table({name!r})"
    oid = _oid(conn, qualified)
    refuse_structure(conn, oid, where, name)
    refuse_security_labels(conn, oid, where, name)
    policies = read_policies(conn, oid, where, columns)
    replica_identity = read_replica_identity(conn, oid, where, name, columns, quote)
    publications = read_publications(conn, oid, where, name, columns, qualified, quote)
    statistics = read_statistics(conn, oid, where, name, columns)
    owner, row_security, force = conn.execute(
        sa.text(
            "SELECT quote_ident(pg_get_userbyid(relowner)), relrowsecurity, relforcerowsecurity "
            "FROM pg_class WHERE oid = :oid"
        ),
        {"oid": oid},
    ).one()
    column_acl = [
        (columns[r[0]], r[1], r[2], bool(r[3]))
        for r in conn.execute(
            sa.text(
                "SELECT a.attname, CASE WHEN x.grantee = 0 THEN 'PUBLIC' "
                "ELSE quote_ident(pg_get_userbyid(x.grantee)) END, x.privilege_type, "
                "bool_or(x.is_grantable) FROM pg_attribute a, aclexplode(a.attacl) x "
                "WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped "
                "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            ),
            {"oid": oid},
        )
        if r[0] in columns
    ]
    kept = Kept(impl, where, qualified, owner, _acl(conn, oid), column_acl,
                bool(row_security), bool(force), policies, replica_identity, publications,
                statistics, read_column_settings(conn, oid, columns))
    if force:
        # the owner is subject to forced policies: the copy would silently skip the rows they
        # hide (the old table is dropped anyway; the new one gets FORCE back)
        kept._run(f"ALTER TABLE {qualified} NO FORCE ROW LEVEL SECURITY",
                  "letting the copy see every row")
    if row_security and conn.execute(
        sa.text("SELECT row_security_active(CAST(:oid AS oid))"), {"oid": oid}
    ).scalar():
        raise CommandError(
            f"{where}: row-level security would hide rows of {name} from the copy (the "
            "migration's role is not the owner and cannot bypass it); run the batch as the "
            "table's owner or a role with BYPASSRLS"
        )
    return kept
