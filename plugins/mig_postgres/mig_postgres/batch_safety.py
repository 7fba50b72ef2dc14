"""What a move and copy (``batch_alter_table(..., recreate="always")``) would lose on
PostgreSQL, checked before it changes anything (the ``mig_batch_recreate_keep`` hook).

``CREATE TABLE`` + ``INSERT ... SELECT`` + ``DROP`` + ``RENAME`` makes a plain, new table:

- refused: partitioned tables and partitions, inheritance parents and children, typed tables
  (``OF type``) and unlogged tables; a policy using a column the batch renames or drops;
- kept: the owner, table and column privileges (grant options included; grantors are not:
  everything is re-granted by the migrating role), ENABLE / FORCE ROW LEVEL SECURITY and
  every policy. FORCE is switched off on the old table first, so the copy sees every row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

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
            quoted = self.impl.dialect.identifier_preparer.quote(column)
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
        quote = self.impl.dialect.identifier_preparer.quote
        for policy in self.policies:
            self._run(policy.create_sql(quote, self.qualified),
                      f"recreating policy {policy.name}")

    def _run(self, sql: str, step: str) -> None:
        self.impl.execute_step(sql, f"{self.where}: {step}")


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
            "ARRAY(SELECT DISTINCT a.attname FROM pg_depend d JOIN pg_attribute a "
            "      ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
            "      WHERE d.classid = 'pg_policy'::regclass AND d.objid = p.oid "
            "      AND d.refclassid = 'pg_class'::regclass AND d.refobjid = p.polrelid "
            "      AND d.refobjsubid > 0 ORDER BY 1) "
            "FROM pg_policy p WHERE p.polrelid = :oid ORDER BY p.polname"
        ),
        {"oid": oid},
    ).all()
    out = []
    for name, permissive, cmd, roles, using, check, used in rows:
        changed = [c for c in used if columns.get(c) != c]
        if changed:
            raise CommandError(
                f"{where}: policy {name!r} uses column(s) {', '.join(changed)} that the batch "
                "renames or drops; drop it before the batch and create it again after"
            )
        out.append(Policy(name, bool(permissive), _COMMANDS[cmd], list(roles), using, check))
    return out


def keep(impl: Any, batch: Any, columns: dict[str, str]) -> Kept | None:
    """Refuse what a recreate would break, and read what it must restore (online only)."""
    if impl.dialect.name != "postgresql" or impl.as_sql or impl.connection is None:
        return None
    conn = impl.connection
    preparer = impl.dialect.identifier_preparer
    name = batch.table_name
    qualified = preparer.quote(name)
    if batch.schema:
        qualified = f"{preparer.quote_schema(batch.schema)}.{qualified}"
    where = f"batch_alter_table({name!r})"
    oid = _oid(conn, qualified)
    refuse_structure(conn, oid, where, name)
    policies = read_policies(conn, oid, where, columns)
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
                bool(row_security), bool(force), policies)
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
