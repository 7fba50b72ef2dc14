"""SERIAL and identity columns in autogenerate, on the real server (issue 6).

A SERIAL column the model gives ``sa.Identity()``: PostgreSQL refuses to add an identity to a
column that has a default, so the revision drops the default and the owned sequence, adds the
identity and sets it past the ids the table holds; the downgrade makes the SERIAL column again.
The other way round (a model integer key PostgreSQL would make SERIAL, a database identity) is
no difference."""

from __future__ import annotations

import sqlalchemy as sa
from pg_support import app_engine, autogenerate, compare, rows, run_rendered
from runtime_support import shared_fixtures

postgres_url = shared_fixtures().postgres_url


engine = app_engine


def _serial_table(engine: sa.Engine, ddl: str, table: str = "t") -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(ddl))
        conn.execute(sa.text(f"INSERT INTO {table} (x) SELECT g FROM generate_series(1, 5) g"))


def _model(*identity_args: sa.Identity, schema: str | None = None,
           type_: type = sa.Integer) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", type_, *identity_args, primary_key=True),
             sa.Column("x", sa.Integer), schema=schema)
    return md


def _insert(engine: sa.Engine, table: str = "t") -> int:
    with engine.begin() as conn:
        return int(conn.execute(sa.text(f"INSERT INTO {table} (x) VALUES (0) RETURNING id"))
                   .scalar_one())


def _column_state(engine: sa.Engine, schema: str = "public") -> list[tuple]:
    return rows(
        engine,
        "SELECT column_default, is_identity, identity_generation, "
        "pg_get_serial_sequence(quote_ident(table_schema) || '.' || table_name, column_name) "
        "FROM information_schema.columns WHERE table_schema = :s AND table_name = 't' "
        "AND column_name = 'id'",
        s=schema,
    )


def _sequences(engine: sa.Engine) -> list[tuple]:
    return rows(
        engine,
        "SELECT c.relname, d.deptype, format_type(s.seqtypid, NULL) FROM pg_class c "
        "JOIN pg_sequence s ON s.seqrelid = c.oid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass "
        "AND d.refclassid = 'pg_class'::regclass WHERE n.nspname IN ('public', 'app') "
        "ORDER BY 1",
    )


UPGRADE = (
    "    # t.id: SERIAL to identity. PostgreSQL adds an identity only to a column without a\n"
    "    # default: its default and the sequence it owns go, the identity comes, and its sequence\n"
    "    # is set past the ids the table holds.\n"
    "    op.alter_column('t', 'id', existing_type=sa.INTEGER(), existing_nullable=False, "
    "server_default=None, existing_server_default=sa.text(\"nextval('t_id_seq'::regclass)\"))\n"
    "    op.execute('DROP SEQUENCE t_id_seq')\n"
    "    op.alter_column('t', 'id', existing_type=sa.INTEGER(), existing_nullable=False, "
    "server_default=sa.Identity())\n"
    "    op.execute(\"SELECT setval(pg_get_serial_sequence('t', 'id'), "
    "GREATEST(COALESCE(MAX(id) + 1, 1), 1), false) FROM t\")\n"
)

DOWNGRADE = (
    "    # t.id: identity back to SERIAL. The identity goes (its sequence with it), the sequence\n"
    "    # the column owned comes back, the default using it is set again, and the sequence is set\n"
    "    # past the ids the table holds.\n"
    "    op.alter_column('t', 'id', existing_type=sa.INTEGER(), existing_nullable=False, "
    "server_default=None, existing_server_default=sa.Identity())\n"
    "    op.execute('CREATE SEQUENCE t_id_seq AS integer START WITH 1 INCREMENT BY 1 MINVALUE 1 "
    "MAXVALUE 2147483647 CACHE 1 NO CYCLE OWNED BY t.id')\n"
    "    op.alter_column('t', 'id', existing_type=sa.INTEGER(), existing_nullable=False, "
    "server_default=sa.text(\"nextval('t_id_seq'::regclass)\"))\n"
    "    op.execute(\"SELECT setval('t_id_seq', COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
    "FROM t\")\n"
)


def test_serial_to_identity_runs_on_a_table_with_rows_and_back(engine: sa.Engine) -> None:
    _serial_table(engine, "CREATE TABLE t (id SERIAL PRIMARY KEY, x INTEGER)")
    serial = _column_state(engine)
    assert serial == [("nextval('t_id_seq'::regclass)", "NO", None, "public.t_id_seq")]
    model = _model(sa.Identity())
    imports, up, down = autogenerate(engine, model)
    assert UPGRADE in up
    assert DOWNGRADE in down
    run_rendered(engine, up, imports)
    assert _column_state(engine) == [(None, "YES", "BY DEFAULT", "public.t_id_seq")]
    assert _sequences(engine) == [("t_id_seq", "i", "integer")]  # only the identity's
    assert _insert(engine) == 6
    assert compare(engine, model) == []
    run_rendered(engine, down, imports)
    assert _column_state(engine) == serial
    assert _sequences(engine) == [("t_id_seq", "a", "integer")]  # owned by the column again
    assert _insert(engine) == 7
    assert compare(engine, _model()) == []


def test_identity_start_and_always_and_bigserial_in_a_schema(engine: sa.Engine) -> None:
    """The identity's START is kept above the ids (GREATEST), ALWAYS is honoured, a BIGSERIAL's
    sequence comes back as bigint, schema-qualified names are used throughout."""
    _serial_table(engine, "CREATE TABLE app.t (id BIGSERIAL PRIMARY KEY, x INTEGER)", "app.t")
    model = _model(sa.Identity(always=True, start=100), schema="app", type_=sa.BigInteger)
    imports, up, down = autogenerate(engine, model, include_schemas=True)
    assert ("op.execute(\"SELECT setval(pg_get_serial_sequence('app.t', 'id'), "
            "GREATEST(COALESCE(MAX(id) + 1, 100), 100), false) FROM app.t\")") in up
    assert ("op.execute('CREATE SEQUENCE app.t_id_seq AS bigint START WITH 1 INCREMENT BY 1 "
            "MINVALUE 1 MAXVALUE 9223372036854775807 CACHE 1 NO CYCLE OWNED BY app.t.id')") in down
    run_rendered(engine, up, imports)
    assert _column_state(engine, "app") == [(None, "YES", "ALWAYS", "app.t_id_seq")]
    assert _insert(engine, "app.t") == 100
    assert compare(engine, model, include_schemas=True) == []
    run_rendered(engine, down, imports)
    assert _column_state(engine, "app") == [
        ("nextval('app.t_id_seq'::regclass)", "NO", None, "app.t_id_seq")
    ]
    assert _insert(engine, "app.t") == 101


def test_serial_to_identity_on_an_empty_table_starts_at_start(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id SERIAL PRIMARY KEY, x INTEGER)"))
    imports, up, down = autogenerate(engine, _model(sa.Identity()))
    run_rendered(engine, up, imports)
    assert _insert(engine) == 1
    run_rendered(engine, down, imports)
    assert _insert(engine) == 2


def test_a_default_from_a_free_standing_sequence_keeps_the_sequence(engine: sa.Engine) -> None:
    """A ``nextval`` default of a sequence no column owns: the default goes, the sequence stays
    (something else may use it), and the downgrade only sets the default again."""
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SEQUENCE shared_seq"))
        conn.execute(sa.text(
            "CREATE TABLE t (id INTEGER PRIMARY KEY DEFAULT nextval('shared_seq'), x INTEGER)"
        ))
        conn.execute(sa.text("INSERT INTO t (x) VALUES (1), (2)"))
    md = _model(sa.Identity())
    sa.Sequence("shared_seq", metadata=md)
    imports, up, down = autogenerate(engine, md)
    assert "DROP SEQUENCE" not in up and "CREATE SEQUENCE" not in down
    assert "setval('shared_seq'" not in down
    run_rendered(engine, up, imports)
    assert _insert(engine) == 3
    assert compare(engine, md) == []
    run_rendered(engine, down, imports)
    assert _column_state(engine)[0][0] == "nextval('shared_seq'::regclass)"


def test_a_model_serial_key_against_a_database_identity_is_no_difference(
    engine: sa.Engine,
) -> None:
    """SQLAlchemy writes SERIAL only when it creates the table; an identity gives the key its
    values as well, and dropping it would leave the key without a default."""
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE t (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, x INTEGER)"
        ))
    assert compare(engine, _model()) == []
    assert compare(engine, _model(), compare_server_default=True) == []


def test_a_key_the_model_says_does_not_autoincrement_still_drops_the_identity(
    engine: sa.Engine,
) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE t (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, x INTEGER)"
        ))
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("x", sa.Integer))
    ((diff,),) = compare(engine, md)
    assert (diff[0], diff[3], diff[6]) == ("modify_default", "id", None)


def test_in_a_batch_block_the_steps_run_in_their_order(engine: sa.Engine) -> None:
    """``batch_op.execute`` runs before the queued ``batch_op`` calls, so the steps are
    written with ``op.`` inside the block."""
    _serial_table(engine, "CREATE TABLE t (id SERIAL PRIMARY KEY, x INTEGER)")
    model = _model(sa.Identity())
    imports, up, down = autogenerate(engine, model, render_as_batch=True)
    assert ("    with op.batch_alter_table('t', schema=None) as batch_op:\n"
            "        # t.id: SERIAL to identity.") in up
    assert "batch_op." not in up and "batch_op." not in down
    run_rendered(engine, up, imports)
    assert _insert(engine) == 6
    run_rendered(engine, down, imports)
    assert _insert(engine) == 7
