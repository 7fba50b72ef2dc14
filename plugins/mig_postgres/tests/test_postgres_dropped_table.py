"""A table the model drops, on the real server: the downgrade re-creates it as it was (issue 6).

Each case creates the table by hand, autogenerates against an empty model, runs the upgrade
then the downgrade, and compares what the catalog says before and after: index and constraint
definitions (``pg_get_indexdef`` / ``pg_get_constraintdef``), column defaults and identities,
the sequences columns own, comments, partitioning and persistence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from pg_support import autogenerate, reset_database, rows, run_rendered
from runtime_support import shared_fixtures

postgres_url = shared_fixtures().postgres_url


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    reset_database(eng, ("app",))
    yield eng
    eng.dispose()


def _catalog(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Everything the comparison looks at, ordered, for the schemas public and app."""
    where = "IN ('public', 'app')"
    return {
        "indexes": rows(engine, "SELECT schemaname, indexname, indexdef, obj_description("
                                "format('%I.%I', schemaname, indexname)::regclass, 'pg_class') "
                                f"FROM pg_indexes WHERE schemaname {where} ORDER BY 1, 2"),
        "constraints": rows(
            engine,
            "SELECT n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid) "
            "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
            f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname {where} "
            "ORDER BY 1, 2, 3"),
        "columns": rows(
            engine,
            "SELECT table_schema, table_name, column_name, data_type, is_nullable, "
            "column_default, is_identity, identity_generation, identity_start, "
            "identity_increment, generation_expression, collation_name, "
            "col_description((quote_ident(table_schema) || '.' || quote_ident(table_name))"
            "::regclass, ordinal_position::int) FROM information_schema.columns "
            f"WHERE table_schema {where} ORDER BY 1, 2, ordinal_position"),
        "tables": rows(
            engine,
            "SELECT n.nspname, c.relname, c.relkind, c.relpersistence, obj_description(c.oid), "
            "CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, "
            "pg_get_expr(c.relpartbound, c.oid) FROM pg_class c "
            f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname {where} "
            "AND c.relkind IN ('r', 'p') ORDER BY 1, 2"),
        "sequences": rows(
            engine,
            "SELECT n.nspname, s.relname, format_type(q.seqtypid, NULL), q.seqstart, "
            "q.seqincrement, q.seqmax, d.deptype, t.relname, a.attname FROM pg_sequence q "
            "JOIN pg_class s ON s.oid = q.seqrelid JOIN pg_namespace n ON n.oid = s.relnamespace "
            "LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
            "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
            "LEFT JOIN pg_class t ON t.oid = d.refobjid "
            "LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
            f"WHERE n.nspname {where} ORDER BY 1, 2"),
    }


def _round_trip(engine: sa.Engine, *ddl: str, **opts: object) -> tuple[str, str]:
    with engine.begin() as conn:
        for statement in ddl:
            conn.execute(sa.text(statement))
    before = _catalog(engine)
    imports, up, down = autogenerate(engine, sa.MetaData(), **opts)
    run_rendered(engine, up, imports)
    assert rows(engine, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
                        "n.oid = c.relnamespace WHERE n.nspname IN ('public', 'app') "
                        "AND c.relkind IN ('r', 'p', 'S')") == [(0,)]
    run_rendered(engine, down, imports)
    assert _catalog(engine) == before
    # the database is as it was: autogenerating again writes the same revision
    assert autogenerate(engine, sa.MetaData(), **opts) == (imports, up, down)
    return up, down


def test_indexes_constraints_defaults_identity_computed_and_comments(engine: sa.Engine) -> None:
    """Expression, partial, INCLUDE, opclass, USING, WITH, DESC, NULLS NOT DISTINCT indexes;
    named CHECKs, unique constraints (with INCLUDE), foreign keys with their options;
    server defaults, a free-standing sequence's nextval, identity and generated columns,
    table and column comments."""
    up, down = _round_trip(
        engine,
        "CREATE SEQUENCE myseq START 10",
        "CREATE TABLE p (id INT PRIMARY KEY, code VARCHAR(10) UNIQUE)",
        "CREATE TABLE t (id SERIAL PRIMARY KEY, name VARCHAR(40) NOT NULL DEFAULT 'x', "
        "n INTEGER DEFAULT nextval('myseq'), g INTEGER GENERATED ALWAYS AS (id * 2) STORED, "
        "i INTEGER GENERATED BY DEFAULT AS IDENTITY (START WITH 5 INCREMENT BY 3), "
        "a INTEGER CONSTRAINT ck_a CHECK (a > 0), b INTEGER, c TEXT, pid INT, "
        "pcode VARCHAR(10), CONSTRAINT uq_ab UNIQUE (a, b) INCLUDE (c), "
        "CONSTRAINT fk_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE "
        "ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED, "
        "CONSTRAINT fk_pc FOREIGN KEY (pcode) REFERENCES p (code) MATCH FULL)",
        "COMMENT ON TABLE t IS 'the t'",
        "COMMENT ON COLUMN t.name IS 'its name'",
        "CREATE INDEX ix_lower ON t (lower(name))",
        "CREATE INDEX ix_partial ON t (a) WHERE b > 0",
        "CREATE INDEX ix_hash ON t USING hash (c)",
        "CREATE INDEX ix_incl ON t (a) INCLUDE (b)",
        "CREATE INDEX ix_ops ON t (c text_pattern_ops)",
        "CREATE INDEX ix_expr_ops ON t (lower(c) text_pattern_ops)",
        "CREATE INDEX ix_desc ON t (a DESC NULLS LAST, b)",
        "CREATE INDEX ix_brin ON t USING brin (b) WITH (pages_per_range = 32)",
        "CREATE UNIQUE INDEX ix_nnd ON t (pcode) NULLS NOT DISTINCT",
        "CREATE UNIQUE INDEX ix_uq ON t (c) WHERE a IS NOT NULL",
    )
    assert "op.drop_table('t')" in up
    assert "postgresql_where='(b > 0)'" in down


def test_owned_sequences_serial_columns_besides_the_key(engine: sa.Engine) -> None:
    """A SERIAL column that is not the key, and a SERIAL whose sequence was renamed, lost their
    default (or the downgrade failed: "relation renamed_seq does not exist"); their sequences
    are dropped after the table and re-created, then owned again, by the downgrade."""
    up, down = _round_trip(
        engine,
        "CREATE TABLE t (id SERIAL PRIMARY KEY, s2 SERIAL, s3 BIGSERIAL, x INT)",
        "ALTER SEQUENCE t_s3_seq RENAME TO renamed_seq",
        "ALTER SEQUENCE t_s2_seq INCREMENT BY 5",
    )
    assert ("    op.execute('ALTER SEQUENCE t_s2_seq OWNED BY NONE')\n"
            "    op.execute('ALTER SEQUENCE renamed_seq OWNED BY NONE')\n"
            "    op.drop_table('t')\n"
            "    op.drop_sequence('t_s2_seq')\n"
            "    op.drop_sequence('renamed_seq')\n") in up
    assert ("op.create_sequence('t_s2_seq', start=1, increment=5, minvalue=1, "
            "maxvalue=2147483647, cache=1, data_type=sa.Integer())") in down
    assert "server_default=sa.text(\"nextval('renamed_seq'::regclass)\")" in down


def test_what_create_table_cannot_write_comes_back_from_the_servers_definition(
    engine: sa.Engine,
) -> None:
    """DEFERRABLE unique constraints, CHECK ... NO INHERIT and index columns with COLLATE
    (SQLAlchemy reflects the first and cannot write the other two)."""
    up, down = _round_trip(
        engine,
        "CREATE TABLE app.t (u INT, v INT, nm TEXT, "
        "CONSTRAINT uq_def UNIQUE (u) DEFERRABLE INITIALLY DEFERRED, "
        "CONSTRAINT uq_imm UNIQUE (v) DEFERRABLE, CONSTRAINT ck_ni CHECK (u > 0) NO INHERIT)",
        'CREATE INDEX ix_coll ON app.t (nm COLLATE "POSIX" DESC) WHERE v > 0',
        'CREATE INDEX ix_expr_coll ON app.t ((u::text) COLLATE "C", v)',
        include_schemas=True,
    )
    assert "deferrable=True, initially='DEFERRED'" in down
    assert ("op.execute('ALTER TABLE app.t ADD CONSTRAINT ck_ni CHECK ((u > 0)) NO INHERIT')"
            in down)
    assert ("op.execute('CREATE INDEX ix_coll ON app.t USING btree (nm COLLATE \"POSIX\" DESC) "
            "WHERE (v > 0)')") in down


def test_partitioned_table_its_partition_and_an_unlogged_table(engine: sa.Engine) -> None:
    up, down = _round_trip(
        engine,
        "CREATE TABLE part (id INT, k INT) PARTITION BY RANGE (k)",
        "CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (10)",
        "CREATE UNLOGGED TABLE ul (id INT)",
    )
    assert up.index("DETACH PARTITION part_1") < up.index("op.drop_table('part')")
    assert "postgresql_partition_by='RANGE (k)'" in down and "prefixes=['UNLOGGED']" in down
    assert "op.execute('ALTER TABLE part ATTACH PARTITION part_1 FOR VALUES FROM (0) TO (10)')" \
        in down


def test_index_from_the_servers_definition_names_the_table_as_the_downgrade_does(
    engine: sa.Engine,
) -> None:
    """``pg_get_indexdef`` writes ``ON public.t``: the downgrade names the table unqualified
    in the default schema (schema-qualified only for a table of an explicit schema), whatever
    the quoting, an "ON" inside an expression or a table named like a schema."""
    up, down = _round_trip(
        engine,
        'CREATE TABLE t (nm TEXT, "Odd Col" TEXT)',
        'CREATE INDEX ix_plain ON t (nm COLLATE "C")',
        "CREATE UNIQUE INDEX \"Ix ON public.t\" ON t ((nm || ' ON public.t USING ') "
        'COLLATE "POSIX", "Odd Col")',
        'CREATE TABLE "My Table" (nm TEXT)',
        'CREATE INDEX ix_my ON "My Table" (nm COLLATE "C") WHERE nm <> \'x\'',
        'CREATE TABLE public (nm TEXT)',
        'CREATE INDEX ix_public ON public (nm COLLATE "C")',
        'CREATE TABLE app."App T" (nm TEXT)',
        'CREATE INDEX ix_app ON app."App T" (nm COLLATE "C")',
        include_schemas=True,
    )
    assert "op.execute('CREATE INDEX ix_plain ON t USING btree (nm COLLATE \"C\")')" in down
    assert ("op.execute('CREATE UNIQUE INDEX \"Ix ON public.t\" ON t USING btree "
            "(((nm || \\' ON public.t USING \\'::text)) COLLATE \"POSIX\", \"Odd Col\")')") in down
    assert ("op.execute('CREATE INDEX ix_my ON \"My Table\" USING btree (nm COLLATE \"C\") "
            "WHERE (nm <> \\'x\\'::text)')") in down
    assert "op.execute('CREATE INDEX ix_public ON public USING btree (nm COLLATE \"C\")')" \
        in down
    assert ("op.execute('CREATE INDEX ix_app ON app.\"App T\" USING btree (nm COLLATE \"C\")')"
            in down)


def test_index_from_the_servers_definition_follows_search_path(postgres_url: str) -> None:
    """A revision autogenerated with a tenant's schema first on ``search_path`` re-creates the
    index in whichever schema the run's ``search_path`` names, not in the one it was made on."""
    admin = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    reset_database(admin, ("tenant_a", "tenant_b"))
    ddl = ('CREATE TABLE t (id INT PRIMARY KEY, nm TEXT)',
           'CREATE INDEX ix_nm ON t (nm COLLATE "C" DESC)')
    engines = {
        schema: sa.create_engine(postgres_url, poolclass=sa.pool.NullPool,
                                 connect_args={"options": f"-csearch_path={schema}"})
        for schema in ("tenant_a", "tenant_b")
    }
    try:
        for eng in engines.values():
            with eng.begin() as conn:
                for statement in ddl:
                    conn.execute(sa.text(statement))
        index_b = rows(admin, "SELECT indexdef FROM pg_indexes WHERE schemaname = 'tenant_b'")
        imports, up, down = autogenerate(engines["tenant_a"], sa.MetaData())
        assert "op.execute('CREATE INDEX ix_nm ON t USING btree (nm COLLATE \"C\" DESC)')" in down
        run_rendered(engines["tenant_b"], up, imports)
        assert rows(admin, "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_b'") \
            == [(0,)]
        run_rendered(engines["tenant_b"], down, imports)
        assert rows(admin, "SELECT indexdef FROM pg_indexes WHERE schemaname = 'tenant_b'") \
            == index_b
        assert rows(admin, "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_a'") \
            == [(1,)]
    finally:
        for eng in engines.values():
            eng.dispose()
        reset_database(admin)
        with admin.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA tenant_a CASCADE; DROP SCHEMA tenant_b CASCADE"))
        admin.dispose()





def test_server_definition_keeps_include_nulls_not_distinct_and_schema_qualified_functions(
    engine: sa.Engine,
) -> None:
    """What follows the table in the server's definition is kept as written: INCLUDE, NULLS NOT
    DISTINCT, a WHERE calling a function of a schema off ``search_path``; the same function in
    reflected indexes (predicate, expression) and a NULLS NOT DISTINCT unique constraint."""
    up, down = _round_trip(
        engine,
        "CREATE FUNCTION app.pos(x int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT x > 0'",
        "CREATE TABLE t (a INT, b INT, nm TEXT, CONSTRAINT uq_nnd UNIQUE NULLS NOT DISTINCT (a))",
        "CREATE INDEX ix_fn ON t (a) WHERE app.pos(b)",
        "CREATE INDEX ix_fn_expr ON t ((app.pos(a)))",
        'CREATE INDEX ix_fn_coll ON t (nm COLLATE "C") WHERE app.pos(b)',
        'CREATE INDEX ix_incl_coll ON t (nm COLLATE "C") INCLUDE (b)',
        'CREATE UNIQUE INDEX ix_nnd_coll ON t (nm COLLATE "C") NULLS NOT DISTINCT',
    )
    assert ("op.execute('CREATE INDEX ix_fn_coll ON t USING btree (nm COLLATE \"C\") "
            "WHERE app.pos(b)')") in down
    assert "postgresql_where='app.pos(b)'" in down


def test_partition_index_with_collate_and_comments_on_indexes_and_constraints(
    engine: sa.Engine,
) -> None:
    """A partitioned table's COLLATE index: the partition's copy could not be dropped before
    the partition was detached (detaching now comes first); comments on indexes and
    constraints (which reflection does not read) and a CHECK ... NOT VALID (which
    ``create_table`` would make valid) come back."""
    up, down = _round_trip(
        engine,
        "CREATE TABLE part (id INT, k INT, nm TEXT) PARTITION BY RANGE (k)",
        "CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (10)",
        'CREATE INDEX ix_part ON part (nm COLLATE "C")',
        "CREATE TABLE t (id INT CONSTRAINT pk_t PRIMARY KEY, a INT, nm TEXT, "
        "CONSTRAINT ck_a CHECK (a > 0))",
        "ALTER TABLE t ADD CONSTRAINT ck_nv CHECK (a < 100) NOT VALID",
        "CREATE INDEX ix_a ON t (a)",
        'CREATE INDEX ix_nm ON t (nm COLLATE "C")',
        "COMMENT ON INDEX ix_a IS 'it''s a'",
        "COMMENT ON INDEX ix_nm IS 'back\\slash'",
        "COMMENT ON INDEX pk_t IS 'the key'",
        "COMMENT ON CONSTRAINT ck_nv ON t IS 'not yet'",
        "COMMENT ON CONSTRAINT pk_t ON t IS 'key constraint'",
        "COMMENT ON INDEX ix_part IS 'parent index'",
    )
    assert up.index("DETACH PARTITION part_1") < up.index("DROP INDEX part_1_nm_idx")
    assert "op.execute('CREATE INDEX ix_part ON part USING btree (nm COLLATE \"C\")')" in down
    assert "op.execute('ALTER TABLE t ADD CONSTRAINT ck_nv CHECK ((a < 100)) NOT VALID')" in down
    assert down.index("op.create_index(op.f('ix_a')") < down.index(
        "op.execute(\"COMMENT ON INDEX ix_a IS 'it''s a'\")")


def test_comment_on_a_foreign_key_is_noted(engine: sa.Engine) -> None:
    """A foreign key may be added after every table exists, so its comment is not set again
    with the others: the downgrade says so instead of losing it silently."""
    from mig_core.errors import MigWarning

    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE p (id INT PRIMARY KEY)"))
        conn.execute(sa.text("CREATE TABLE c (id INT PRIMARY KEY, "
                             "pid INT CONSTRAINT fk_p REFERENCES p (id))"))
        conn.execute(sa.text("COMMENT ON CONSTRAINT fk_p ON c IS 'to p'"))
    with pytest.warns(MigWarning, match="dropped table c cannot restore everything: the "
                      "comment on foreign key fk_p is not re-created"):
        imports, up, down = autogenerate(engine, sa.MetaData())
    assert ("    # NOTE: the comment on foreign key fk_p is not re-created; add its COMMENT ON "
            "CONSTRAINT\n    #   by hand\n    op.create_table('c',") in down

