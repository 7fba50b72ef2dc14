"""Recreating an enum type (drop_enum_value, alter_enum) with objects that mention the type.

PostgreSQL parses a partial index's predicate, an index expression, a CHECK / EXCLUDE constraint
and a foreign key again when a column changes type; while the old type is renamed, a literal of
it (``'active'::user_status``) no longer matches the column and the conversion failed with
``operator does not exist: user_status = user_status_mig_old``. These objects are now dropped and
created again in the same DO block (names, uniqueness, comments, CLUSTER kept); whatever the block
cannot keep (views, functions, policies, triggers, generated columns, other types) stops it
before anything changes, with a message naming the object. Online, and as the offline script run
by psql and through SQLAlchemy.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from pg_support import enum_labels, offline, reset_database, rows, run, scalar
from runtime_support import shared_fixtures

postgres_url = shared_fixtures().postgres_url

SETUP = """
CREATE TYPE app.user_status AS ENUM ('active', 'disabled', 'pending');
CREATE TABLE app.users (
    id integer PRIMARY KEY,
    email varchar(50),
    status app.user_status NOT NULL DEFAULT 'active',
    past app.user_status[] DEFAULT '{disabled}',
    CONSTRAINT ck_not_disabled_without_email CHECK (status <> 'disabled' OR email IS NOT NULL)
);
CREATE INDEX ix_users_email_active ON app.users (email) WHERE status = 'active';
CREATE UNIQUE INDEX uq_users_email_live ON app.users (lower(email))
    WHERE status IN ('active', 'disabled');
CREATE INDEX ix_users_is_active ON app.users ((status = 'active'), id);
CREATE INDEX ix_users_status ON app.users (status);
COMMENT ON INDEX app.ix_users_email_active IS 'active users by email';
COMMENT ON CONSTRAINT ck_not_disabled_without_email ON app.users IS 'checked';
ALTER TABLE app.users CLUSTER ON ix_users_is_active;
CREATE TABLE app.status_notes (status app.user_status PRIMARY KEY, note text);
CREATE TABLE app.audit (
    id integer,
    status app.user_status REFERENCES app.status_notes,
    EXCLUDE USING btree (id WITH =) WHERE (status = 'active')
);
INSERT INTO app.status_notes VALUES ('active', 'a'), ('disabled', 'd');
INSERT INTO app.users VALUES (1, 'a@x', 'active', '{active,disabled}'),
                             (2, 'b@x', 'disabled', NULL), (3, NULL, 'active', '{}');
INSERT INTO app.audit VALUES (1, 'active'), (2, 'disabled'), (2, 'disabled');
"""

DATA = [
    "SELECT id, email, status::text, past::text[] FROM app.users ORDER BY id",
    "SELECT id, status::text FROM app.audit ORDER BY 1, 2",
    "SELECT status::text, note FROM app.status_notes ORDER BY 1",
]


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    reset_database(eng, ("app",))
    with eng.begin() as conn:
        conn.exec_driver_sql(SETUP)
    yield eng
    eng.dispose()


def indexes(engine: sa.Engine) -> dict[str, tuple[str, str | None, bool]]:
    """Every index of schema app: (definition, comment, clustered)."""
    return {
        name: (definition, comment, clustered)
        for name, definition, comment, clustered in rows(
            engine,
            "SELECT c.relname, pg_get_indexdef(c.oid), obj_description(c.oid, 'pg_class'), "
            "i.indisclustered FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relnamespace = 'app'::regnamespace ORDER BY 1",
        )
    }


def constraints(engine: sa.Engine) -> dict[str, tuple[str, str, str | None]]:
    """Every constraint of schema app: (table, definition, comment)."""
    return {
        name: (table, definition, comment)
        for name, table, definition, comment in rows(
            engine,
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid), "
            "obj_description(oid, 'pg_constraint') FROM pg_constraint "
            "WHERE connamespace = 'app'::regnamespace AND contype <> 'n' ORDER BY 1",
        )
    }


def snapshot(engine: sa.Engine) -> tuple[object, ...]:
    return (
        indexes(engine),
        constraints(engine),
        [sorted(rows(engine, sql)) for sql in DATA],
        scalar(engine, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef "
                       "WHERE adrelid = 'app.users'::regclass ORDER BY adnum LIMIT 1"),
    )


def drop_pending(op, ctx) -> None:
    op.drop_enum_value("user_status", "pending", schema="app")


def reorder(op, ctx) -> None:
    op.alter_enum("user_status", ["disabled", "active"], schema="app",
                  existing_values=["active", "disabled", "pending"])


def test_objects_using_the_enum_survive_drop_enum_value_online(engine):
    before = snapshot(engine)
    run(engine, drop_pending)
    assert enum_labels(engine, "app.user_status") == ["active", "disabled"]
    assert snapshot(engine) == before
    # the recreated objects work on the new type
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.exec_driver_sql("INSERT INTO app.users VALUES (4, 'A@x', 'active', NULL)")
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.exec_driver_sql("INSERT INTO app.users VALUES (5, NULL, 'disabled', NULL)")
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.exec_driver_sql("INSERT INTO app.audit VALUES (1, 'active')")


def test_objects_using_the_enum_survive_alter_enum_and_rename_value(engine):
    before = snapshot(engine)
    run(engine, reorder)
    assert enum_labels(engine, "app.user_status") == ["disabled", "active"]
    assert snapshot(engine) == before
    run(engine, lambda op, ctx: op.rename_enum_value("user_status", "active", "live",
                                                      schema="app"))
    renamed = ast.literal_eval(repr(before).replace("'active'", "'live'"))
    renamed[2][:] = [sorted(data) for data in renamed[2]]
    assert snapshot(engine) == renamed
    # and back: the recreation works on the renamed value as well
    run(engine, lambda op, ctx: op.alter_enum("user_status", ["live", "disabled"], schema="app"))
    assert snapshot(engine) == renamed


def test_index_definitions_change_only_where_the_dropped_value_was(engine):
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE INDEX ix_users_not_pending ON app.users (id) WHERE status <> 'disabled'"
        )
    before = indexes(engine)
    run(engine, lambda op, ctx: op.alter_enum("user_status", ["active", "disabled", "gone"],
                                              schema="app"))
    assert indexes(engine) == before


@pytest.mark.parametrize("runner", ["psql", "sqlalchemy"])
def test_offline_script_keeps_the_objects(engine, postgres_url, runner):
    before = snapshot(engine)
    script = offline(drop_pending) + "\n" + offline(reorder)
    if runner == "psql":
        url = sa.make_url(postgres_url)
        subprocess.run(
            ["psql", "-v", "ON_ERROR_STOP=1", "-q", "-h", url.host or "127.0.0.1",
             "-p", str(url.port or 5432), "-U", url.username or "postgres",
             "-d", url.database or "", "-f", "-"],
            input=script, text=True, check=True, capture_output=True,
        )
    else:
        # the script as one text, as a tool sending files would (no parameters, so psycopg2
        # leaves its % signs alone)
        with engine.connect() as conn:
            conn.connection.driver_connection.cursor().execute(script)
    assert enum_labels(engine, "app.user_status") == ["disabled", "active"]
    assert snapshot(engine) == before


def _fails(engine: sa.Engine, fn, message: str) -> None:
    before = snapshot(engine)
    with pytest.raises(sa.exc.DBAPIError) as err:
        run(engine, fn)
    assert message in str(err.value)
    assert "mig_old" not in str(err.value).split("\n")[0]
    assert enum_labels(engine, "app.user_status") == ["active", "disabled", "pending"]
    assert snapshot(engine) == before


def test_an_index_using_the_dropped_value_fails_naming_it(engine):
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_pending ON app.users (id) WHERE status = 'pending'")
    _fails(engine, drop_pending,
           "cannot change enum type app.user_status: index app.ix_pending uses a value the new "
           "type lacks")


def test_a_check_using_the_dropped_value_fails_naming_it(engine):
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE app.users ADD CONSTRAINT ck_p CHECK (status <> 'pending')")
    _fails(engine, drop_pending,
           "cannot change enum type app.user_status: constraint ck_p on app.users uses a value")


def test_a_default_of_the_dropped_value_fails_naming_the_column(engine):
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE app.users ALTER COLUMN status SET DEFAULT 'pending'")
    _fails(engine, drop_pending,
           "cannot change enum type app.user_status: the default of column app.users.status is "
           "a value the new type lacks")


@pytest.mark.parametrize(
    "ddl, named",
    [
        ("CREATE VIEW app.active AS SELECT id FROM app.users WHERE status = 'active'",
         "view app.active"),
        ("CREATE FUNCTION app.f(s app.user_status) RETURNS int LANGUAGE sql AS 'SELECT 1'",
         "function app.f(app.user_status)"),
        ("ALTER TABLE app.users ENABLE ROW LEVEL SECURITY; "
         "CREATE POLICY p_active ON app.users USING (status = 'active')",
         "policy p_active on table app.users"),
        ("ALTER TABLE app.users ADD COLUMN live boolean GENERATED ALWAYS AS "
         "(status = 'active') STORED", "generated column live of table app.users"),
        ("CREATE TABLE app.other (s text DEFAULT 'active'::app.user_status::text)",
         "default of column s of table app.other"),
        ("CREATE TYPE app.pair AS (a app.user_status, b int)",
         "column a of composite type app.pair"),
    ],
    ids=["view", "function", "policy", "generated", "other-default", "composite"],
)
def test_what_is_not_kept_stops_the_block_naming_it(engine, ddl, named):
    with engine.begin() as conn:
        conn.exec_driver_sql(ddl)
    _fails(engine, drop_pending, f"cannot change enum type app.user_status: used by {named}")


def test_partitioned_and_inherited_tables_keep_their_indexes(engine):
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE app.events (status app.user_status DEFAULT 'active', day int) "
            "PARTITION BY LIST (day);"
            "CREATE TABLE app.events_1 PARTITION OF app.events FOR VALUES IN (1);"
            "CREATE INDEX ix_events_active ON app.events (day) WHERE status = 'active';"
            "CREATE TABLE app.archived () INHERITS (app.users);"
            "CREATE INDEX ix_archived_disabled ON app.archived (id) WHERE status = 'disabled';"
            "INSERT INTO app.events VALUES ('active', 1)"
        )
    before = snapshot(engine)
    assert {"ix_events_active", "events_1_day_idx", "ix_archived_disabled"} <= set(before[0])
    run(engine, drop_pending)
    assert snapshot(engine) == before
    assert scalar(engine, "SELECT bool_and(indisvalid) FROM pg_index "
                          "WHERE indrelid IN ('app.events'::regclass, 'app.events_1'::regclass)")
