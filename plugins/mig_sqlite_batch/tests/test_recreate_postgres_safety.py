"""Move and copy on PostgreSQL (``recreate="always"``) never loses a table property silently:
the owner, table and column privileges, row-level security and policies, REPLICA IDENTITY,
publication membership and extended statistics are kept; partitioned tables, partitions,
inheritance parents and children, security labels and what a renamed or dropped column would
break are refused before anything changes (mig-postgres's ``mig_batch_recreate_keep``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import run, shared

from mig_core.errors import CommandError

postgres_url = shared.postgres_url

TAG = uuid.uuid4().hex[:8]
OWNER, READER, WRITER = f"mig_own_{TAG}", f"mig_read_{TAG}", f"mig_write_{TAG}"


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Any]:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with eng.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
        for role in (OWNER, READER, WRITER):
            conn.exec_driver_sql(f"CREATE ROLE {role}")
        conn.exec_driver_sql(f"GRANT USAGE, CREATE ON SCHEMA public TO {OWNER}")
    yield eng
    with eng.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
        for role in (OWNER, READER, WRITER):
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
    eng.dispose()


def execute(engine: Any, *sql: str) -> None:
    with engine.begin() as conn:
        for s in sql:
            conn.exec_driver_sql(s)


def q(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql).all()]


def acl(engine: Any, table: str) -> set[tuple[Any, ...]]:
    """(grantee, privilege, grantable) of the table, grantors left out."""
    return set(q(engine, (
        "SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END, "
        "x.privilege_type, x.is_grantable FROM pg_class c, "
        "aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) x "
        f"WHERE c.oid = '{table}'::regclass"
    )))


def add_flag(table: str, **renames: str) -> Any:
    def migrate(op: Any) -> None:
        with op.batch_alter_table(table, recreate="always") as b:
            b.add_column(sa.Column("flag", sa.Boolean, server_default=sa.true()))
            for old, new in renames.items():
                b.alter_column(old, new_column_name=new)

    return migrate


def test_owner_and_privileges_are_kept(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE doc (id INTEGER PRIMARY KEY, name TEXT, body TEXT)",
        "INSERT INTO doc VALUES (1, 'a', 'x'), (2, 'b', 'y')",
        f"ALTER TABLE doc OWNER TO {OWNER}",
        f"GRANT SELECT ON doc TO {READER}",
        f"GRANT INSERT, UPDATE ON doc TO {WRITER} WITH GRANT OPTION",
        "GRANT SELECT ON doc TO PUBLIC",
        f"GRANT UPDATE (name) ON doc TO {READER} WITH GRANT OPTION",
        f"REVOKE TRUNCATE ON doc FROM {OWNER}",
        # a default privilege the new table gets but the old one does not have: taken back
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT DELETE ON TABLES TO {READER}",
    )
    before = acl(engine, "doc")
    run(engine, add_flag("doc", name="label"))
    assert acl(engine, "doc") == before
    assert q(engine, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'doc'::regclass"
             ) == [(OWNER,)]
    assert q(engine, f"SELECT has_table_privilege('{READER}', 'doc', 'SELECT'), "
                     f"has_table_privilege('{READER}', 'doc', 'DELETE'), "
                     f"has_table_privilege('{WRITER}', 'doc', 'UPDATE WITH GRANT OPTION'), "
                     f"has_column_privilege('{READER}', 'doc', 'label', 'UPDATE WITH GRANT OPTION'), "
                     f"has_column_privilege('{READER}', 'doc', 'body', 'UPDATE')"
             ) == [(True, False, True, True, False)]
    assert q(engine, "SELECT id, label, body, flag FROM doc ORDER BY id") == [
        (1, "a", "x", True), (2, "b", "y", True)
    ]


RLS_SETUP = [
    "CREATE TABLE note (id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT)",
    "INSERT INTO note VALUES (1, 'someone', 'x'), (2, 'else', 'y'), (3, 'other', 'z')",
    f"ALTER TABLE note OWNER TO {OWNER}",
    "ALTER TABLE note ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE note FORCE ROW LEVEL SECURITY",
    "CREATE POLICY p_author ON note USING (author = current_user) "
    "WITH CHECK (author = current_user AND body IS NOT NULL)",
    f"CREATE POLICY p_positive ON note AS RESTRICTIVE FOR SELECT TO {READER}, {WRITER} "
    "USING (id > 0)",
    f"CREATE POLICY p_insert ON note FOR INSERT TO {WRITER} WITH CHECK (true)",
]
POLICIES = ("SELECT policyname, permissive, roles::text, cmd, qual, with_check FROM pg_policies "
            "WHERE tablename = 'note' ORDER BY 1")


def test_row_level_security_and_policies_are_kept(engine: Any) -> None:
    execute(engine, *RLS_SETUP)
    before = q(engine, POLICIES)

    def as_owner(op: Any) -> None:
        # FORCE applies to the owner: the copy must still see every row
        op.execute(f"SET ROLE {OWNER}")
        add_flag("note")(op)
        op.execute("RESET ROLE")

    run(engine, as_owner)
    assert q(engine, POLICIES) == before
    assert len(before) == 3
    assert q(engine, "SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                     "WHERE oid = 'note'::regclass") == [(True, True)]
    assert q(engine, "SELECT id, author, flag FROM note ORDER BY id") == [
        (1, "someone", True), (2, "else", True), (3, "other", True)
    ]


def test_a_policy_on_a_renamed_column_is_refused(engine: Any) -> None:
    execute(engine, *RLS_SETUP)
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('note'): policy 'p_author' uses column(s) author that the batch "
        "renames or drops; drop it before the batch and create it again after"
    )):
        run(engine, add_flag("note", author="writer"))
    assert q(engine, "SELECT count(*) FROM pg_policies WHERE tablename = 'note'") == [(3,)]


def structure(engine: Any) -> list[tuple[Any, ...]]:
    return q(engine, (
        "SELECT c.relname, c.relkind, (SELECT count(*) FROM pg_inherits WHERE inhrelid = c.oid), "
        "(SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
        " WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) "
        "FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN "
        "('r', 'p') ORDER BY 1"
    ))


def test_partitioned_table_and_partitions_are_refused(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE measure (id INTEGER, k INTEGER NOT NULL) PARTITION BY RANGE (k)",
        "CREATE TABLE measure_lo PARTITION OF measure FOR VALUES FROM (0) TO (10)",
        "CREATE TABLE measure_hi PARTITION OF measure FOR VALUES FROM (10) TO (100)",
        "INSERT INTO measure SELECT i, i FROM generate_series(0, 50) i",
    )
    before = structure(engine)
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('measure'): measure is a partitioned table (partitions: measure_hi, "
        "measure_lo); a recreate would make it a plain table and drop its partitions; change "
        "it with plain ALTERs instead (op.add_column, op.alter_column"
    )):
        run(engine, add_flag("measure"))
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('measure_lo'): measure_lo is a partition of measure; a recreate "
        "would detach it"
    )):
        run(engine, add_flag("measure_lo"))
    assert structure(engine) == before
    assert q(engine, "SELECT count(*) FROM ONLY measure_lo") == [(10,)]
    assert q(engine, "SELECT count(*) FROM measure") == [(51,)]


def test_inheritance_parent_and_child_are_refused(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE inh_parent (id INTEGER PRIMARY KEY, a TEXT)",
        "CREATE TABLE inh_child (b TEXT) INHERITS (inh_parent)",
        "INSERT INTO inh_parent VALUES (1, 'p')",
        "INSERT INTO inh_child VALUES (2, 'c', 'cb')",
    )
    before = structure(engine)
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('inh_parent'): table(s) inh_child inherit from inh_parent; a "
        "recreate cannot drop a parent table without dropping them; change it with plain ALTERs"
    )):
        run(engine, add_flag("inh_parent"))
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('inh_child'): inh_child inherits from inh_parent; a recreate would "
        "lose that link; change it with plain ALTERs"
    )):
        run(engine, add_flag("inh_child"))
    assert structure(engine) == before
    assert q(engine, "SELECT id FROM inh_parent ORDER BY id") == [(1,), (2,)]


def drop_column(table: str, column: str) -> Any:
    def migrate(op: Any) -> None:
        with op.batch_alter_table(table, recreate="always") as b:
            b.drop_column(column)

    return migrate


def columns_of(engine: Any, table: str) -> list[tuple[Any, ...]]:
    return q(engine, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
                     f"WHERE attrelid = '{table}'::regclass AND attnum > 0 AND NOT attisdropped")


REPLICA_IDENTITY = (
    "SELECT c.relname, c.relreplident, (SELECT i.indexrelid::regclass::text FROM pg_index i "
    " WHERE i.indrelid = c.oid AND i.indisreplident) FROM pg_class c "
    "WHERE c.relname IN ('ri_index', 'ri_full', 'ri_nothing', 'ri_default') ORDER BY 1"
)


def test_replica_identity_is_kept(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE ri_index (id INTEGER PRIMARY KEY, code TEXT NOT NULL, body TEXT)",
        "CREATE UNIQUE INDEX ri_index_code ON ri_index (code)",
        "ALTER TABLE ri_index REPLICA IDENTITY USING INDEX ri_index_code",
        "INSERT INTO ri_index VALUES (1, 'a', 'x')",
        "CREATE TABLE ri_full (id INTEGER PRIMARY KEY, body TEXT)",
        "ALTER TABLE ri_full REPLICA IDENTITY FULL",
        "CREATE TABLE ri_nothing (id INTEGER PRIMARY KEY, body TEXT)",
        "ALTER TABLE ri_nothing REPLICA IDENTITY NOTHING",
        "CREATE TABLE ri_default (id INTEGER PRIMARY KEY, body TEXT)",
    )
    before = q(engine, REPLICA_IDENTITY)
    assert before == [("ri_default", "d", None), ("ri_full", "f", None),
                      ("ri_index", "i", "ri_index_code"), ("ri_nothing", "n", None)]
    run(engine, add_flag("ri_index", code="label"))  # the index follows the renamed column
    run(engine, add_flag("ri_full"))
    run(engine, add_flag("ri_nothing"))
    run(engine, add_flag("ri_default"))
    assert q(engine, REPLICA_IDENTITY) == before
    assert q(engine, "SELECT id, label, flag FROM ri_index") == [(1, "a", True)]


def test_replica_identity_index_on_a_dropped_column_is_refused(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE ri_index (id INTEGER PRIMARY KEY, code TEXT NOT NULL, body TEXT)",
        "CREATE UNIQUE INDEX ri_index_code ON ri_index (code)",
        "ALTER TABLE ri_index REPLICA IDENTITY USING INDEX ri_index_code",
    )
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('ri_index'): the replica identity of ri_index is index "
        "'ri_index_code', on column(s) code that the batch drops; change it with plain ALTERs"
    )):
        run(engine, drop_column("ri_index", "code"))
    assert q(engine, REPLICA_IDENTITY) == [("ri_index", "i", "ri_index_code")]
    assert columns_of(engine, "ri_index") == [("id,code,body",)]


PUBLISHED = ("SELECT pubname, attnames::text, rowfilter FROM pg_publication_tables "
             "WHERE tablename = 'doc' ORDER BY 1")


@pytest.fixture
def publications(engine: Any) -> Iterator[None]:
    """Publications belong to the database, not the schema: dropped after the test. Creating
    one needs no wal_level = logical (only replicating does: PostgreSQL just warns)."""
    execute(engine, "CREATE TABLE doc (id INTEGER PRIMARY KEY, name TEXT, body TEXT, n INTEGER)",
            "INSERT INTO doc VALUES (1, 'a', 'x', 1), (2, 'b', 'y', -1)")
    yield
    with engine.begin() as conn:
        for (pub,) in conn.exec_driver_sql(
            "SELECT pubname FROM pg_publication WHERE starts_with(pubname, 'mig_pub_')"
        ).all():
            conn.exec_driver_sql(f"DROP PUBLICATION {pub}")


def test_publication_membership_is_kept(engine: Any, publications: None) -> None:
    execute(
        engine,
        "CREATE PUBLICATION mig_pub_cols FOR TABLE doc (id, name, n) WHERE (n > 0 AND id < 100)",
        "CREATE PUBLICATION mig_pub_plain FOR TABLE doc",
        "CREATE PUBLICATION mig_pub_all FOR ALL TABLES",
        "CREATE PUBLICATION mig_pub_schema FOR TABLES IN SCHEMA public",
    )
    run(engine, add_flag("doc", name="label"))
    assert q(engine, PUBLISHED) == [
        ("mig_pub_all", "{id,label,body,n,flag}", None),
        ("mig_pub_cols", "{id,label,n}", "((n > 0) AND (id < 100))"),
        ("mig_pub_plain", "{id,label,body,n,flag}", None),
        ("mig_pub_schema", "{id,label,body,n,flag}", None),
    ]
    # FOR ALL TABLES / IN SCHEMA cover the new table by themselves: nothing added to them
    assert q(engine, "SELECT p.pubname FROM pg_publication_rel r JOIN pg_publication p "
                     "ON p.oid = r.prpubid WHERE r.prrelid = 'doc'::regclass ORDER BY 1") == [
        ("mig_pub_cols",), ("mig_pub_plain",)
    ]


def test_publication_row_filter_or_column_list_on_a_changed_column_is_refused(
    engine: Any, publications: None
) -> None:
    execute(engine, "CREATE PUBLICATION mig_pub_cols FOR TABLE doc (id, name) WHERE (n > 0)")
    before = q(engine, PUBLISHED)
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('doc'): the row filter of doc in publication 'mig_pub_cols' uses "
        "column(s) n that the batch renames or drops; change it with plain ALTERs"
    )):
        run(engine, add_flag("doc", n="amount"))
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('doc'): publication 'mig_pub_cols' publishes column(s) name of doc "
        "that the batch drops; change it with plain ALTERs"
    )):
        run(engine, drop_column("doc", "name"))
    assert q(engine, PUBLISHED) == before
    assert columns_of(engine, "doc") == [("id,name,body,n",)]


STATISTICS = (
    "SELECT s.stxname, s.stxnamespace::regnamespace::text, pg_get_statisticsobjdef(s.oid), "
    "s.stxstattarget, pg_get_userbyid(s.stxowner), obj_description(s.oid, 'pg_statistic_ext') "
    "FROM pg_statistic_ext s WHERE s.stxrelid = 'doc'::regclass ORDER BY 1"
)


def test_extended_statistics_are_kept(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE doc (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c TEXT)",
        "INSERT INTO doc SELECT i, mod(i, 7), mod(i, 3), 'x' FROM generate_series(1, 50) i",
        f"CREATE SCHEMA stats_{TAG}",
        f"CREATE STATISTICS stats_{TAG}.s_ab (ndistinct, dependencies) ON a, b FROM doc",
        "CREATE STATISTICS s_expr ON (a + b), c FROM doc",
        f"ALTER STATISTICS stats_{TAG}.s_ab SET STATISTICS 500",
        f"ALTER STATISTICS s_expr OWNER TO {OWNER}",
        "COMMENT ON STATISTICS s_expr IS 'it''s for the planner'",
    )
    before = q(engine, STATISTICS)
    assert len(before) == 2
    try:
        run(engine, add_flag("doc", id="key"))  # a column no statistics object uses
        assert q(engine, STATISTICS) == before
    finally:
        execute(engine, f"DROP SCHEMA stats_{TAG} CASCADE")


def test_extended_statistics_on_a_renamed_column_are_refused(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE doc (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c TEXT)",
        "CREATE STATISTICS s_expr ON (a + b), c FROM doc",
    )
    before = q(engine, STATISTICS)
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('doc'): statistics 's_expr' on doc use(s) column(s) b that the "
        "batch renames or drops; drop them before the batch and create them again after"
    )):
        run(engine, add_flag("doc", b="bb"))
    with pytest.raises(CommandError, match="statistics 's_expr' on doc use.s. column.s. c "):
        run(engine, drop_column("doc", "c"))
    assert q(engine, STATISTICS) == before
    assert columns_of(engine, "doc") == [("id,a,b,c",)]


def test_security_labels_are_refused(engine: Any) -> None:
    # no label provider is loaded here: the label is written into the catalog directly
    execute(engine, "CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT)")
    label = ("INSERT INTO pg_seclabel VALUES ('doc'::regclass, 'pg_class'::regclass, {sub}, "
             "'mig_test_provider', 'secret')")
    execute(engine, label.format(sub=0), label.format(sub=2))
    try:
        with pytest.raises(CommandError, match=re.escape(
            "batch_alter_table('doc'): doc has security labels (mig_test_provider on table doc, "
            "mig_test_provider on column body); a recreate would drop them; change it with "
            "plain ALTERs"
        )):
            run(engine, add_flag("doc"))
        assert columns_of(engine, "doc") == [("id,body",)]
    finally:
        execute(engine, "DELETE FROM pg_seclabel WHERE objoid = 'doc'::regclass")


def test_dropping_the_replica_identity_index_fails_and_rolls_back(engine: Any) -> None:
    execute(
        engine,
        "CREATE TABLE ri_index (id INTEGER PRIMARY KEY, code TEXT NOT NULL, body TEXT)",
        "CREATE UNIQUE INDEX ri_index_code ON ri_index (code)",
        "ALTER TABLE ri_index REPLICA IDENTITY USING INDEX ri_index_code",
    )

    def drop_index(op: Any) -> None:
        with op.batch_alter_table("ri_index", recreate="always") as b:
            b.drop_index("ri_index_code")

    with pytest.raises(CommandError, match="keeping the replica identity"):
        run(engine, drop_index)
    assert q(engine, REPLICA_IDENTITY) == [("ri_index", "i", "ri_index_code")]
