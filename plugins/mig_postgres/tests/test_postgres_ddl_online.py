"""PostgreSQL operations on the real server: enum lifecycle, exclusion constraints, sequences,
identity, comments, index options, schemas, transactional DDL and the run lock."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from mig_postgres import ops as pg_ops
from pg_support import (
    app_engine,
    enum_labels,
    rows,
    run,
    scalar,
    user_sequences,
    user_tables,
    user_types,
)
from runtime_support import config_for, make_project, shared_fixtures

from mig_core import command
from mig_core.errors import MigError
from mig_core.operations import ops

postgres_url = shared_fixtures().postgres_url


engine = app_engine


MOOD = sa.Enum("sad", "ok", "happy", name="mood", schema="app")


def _mood_table(op):
    op.create_enum("mood", ["sad", "ok", "happy"], schema="app")
    op.create_table(
        "person",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("m", MOOD, server_default="ok", nullable=False),
        sa.Column("history", sa.ARRAY(MOOD)),
        schema="app",
    )
    op.execute(
        "INSERT INTO app.person (id, m, history) VALUES (1, 'sad', '{sad,happy}'), "
        "(2, DEFAULT, NULL)"
    )


def _people(engine):
    return rows(engine, "SELECT id, m::text, history::text[] FROM app.person ORDER BY id")


def test_enum_add_value_inside_the_transaction_then_usable(engine):
    def fn(op, ctx):
        _mood_table(op)
        op.add_enum_value("mood", "angry", after="sad", schema="app")
        op.add_enum_value("mood", "first", before="sad", schema="app")
        op.add_enum_value("mood", "last", schema="app", if_not_exists=True)
        op.add_enum_value("mood", "last", schema="app", if_not_exists=True)

    run(engine, fn)
    assert enum_labels(engine, "app.mood") == ["first", "sad", "angry", "ok", "happy", "last"]
    run(engine, lambda op, ctx: op.execute("UPDATE app.person SET m = 'angry' WHERE id = 2"))
    assert _people(engine)[1][1] == "angry"


def test_enum_add_value_autocommit_lets_the_migration_use_it(engine):
    def fn(op, ctx):
        _mood_table(op)
        op.add_enum_value("mood", "angry", schema="app", autocommit=True)
        op.execute("UPDATE app.person SET m = 'angry' WHERE id = 1")

    run(engine, fn)
    assert _people(engine)[0][1] == "angry"


def test_enum_rename_value_keeps_rows_and_defaults(engine):
    run(engine, lambda op, ctx: _mood_table(op))
    run(engine, lambda op, ctx: op.rename_enum_value("mood", "ok", "fine", schema="app"))
    assert enum_labels(engine, "app.mood") == ["sad", "fine", "happy"]
    assert _people(engine) == [(1, "sad", ["sad", "happy"]), (2, "fine", None)]
    assert scalar(engine, "SELECT column_default FROM information_schema.columns "
                          "WHERE table_name = 'person' AND column_name = 'm'") == "'fine'::app.mood"
    run(engine, lambda op, ctx: op.invoke(
        pg_ops.RenameEnumValueOp("mood", "ok", "fine", schema="app").reverse()
    ))
    assert enum_labels(engine, "app.mood") == ["sad", "ok", "happy"]


def test_enum_drop_value_recreates_type_keeping_rows_arrays_and_defaults(engine):
    run(engine, lambda op, ctx: _mood_table(op))
    run(engine, lambda op, ctx: op.execute(
        "CREATE INDEX ix_person_m ON app.person (m); "
        "UPDATE app.person SET history = '{sad,ok}' WHERE id = 1"
    ))
    run(engine, lambda op, ctx: op.drop_enum_value("mood", "happy", schema="app"))
    assert enum_labels(engine, "app.mood") == ["sad", "ok"]
    assert user_types(engine) == [("app", "mood")]  # the old type is gone
    # rows, the array column, the default and the index all survived
    run(engine, lambda op, ctx: op.execute("INSERT INTO app.person (id) VALUES (3)"))
    assert _people(engine) == [(1, "sad", ["sad", "ok"]), (2, "ok", None), (3, "ok", None)]
    assert scalar(engine, "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_person_m'") == 1


def test_enum_drop_value_still_in_use_fails_naming_the_column_and_changes_nothing(engine):
    run(engine, lambda op, ctx: _mood_table(op))

    def fn(op, ctx):
        op.create_table("other", sa.Column("x", sa.Integer))
        op.drop_enum_value("mood", "sad", schema="app")

    with pytest.raises(sa.exc.DBAPIError, match=r"cannot change enum type app\.mood: column "
                                                r"app\.person\.m holds a value the new type lacks"):
        run(engine, fn)
    assert enum_labels(engine, "app.mood") == ["sad", "ok", "happy"]
    assert ("public", "other") not in user_tables(engine)  # transactional DDL: all or nothing
    assert _people(engine)[0] == (1, "sad", ["sad", "happy"])


def test_alter_enum_reads_the_server_list_online(engine):
    run(engine, lambda op, ctx: _mood_table(op))
    run(engine, lambda op, ctx: op.alter_enum("mood", ["meh", "sad", "ok", "happy", "wow"],
                                               schema="app"))
    assert enum_labels(engine, "app.mood") == ["meh", "sad", "ok", "happy", "wow"]
    run(engine, lambda op, ctx: op.alter_enum("mood", ["happy", "sad", "ok"], schema="app"))
    assert enum_labels(engine, "app.mood") == ["happy", "sad", "ok"]
    assert _people(engine) == [(1, "sad", ["sad", "happy"]), (2, "ok", None)]


def test_enum_ops_reverse_round_trip(engine):
    from mig_postgres import ops as pg_ops

    steps = [
        pg_ops.AddEnumValueOp("mood", "angry", schema="app", after="sad"),
        pg_ops.AlterEnumOp("mood", ["happy", "ok", "sad", "angry"], schema="app",
                           existing_values=["sad", "angry", "ok", "happy"]),
        pg_ops.DropEnumValueOp("mood", "angry", schema="app", after="sad"),
    ]
    run(engine, lambda op, ctx: _mood_table(op))
    history = [enum_labels(engine, "app.mood")]
    for step in steps:
        run(engine, lambda op, ctx, step=step: op.invoke(step))
        history.append(enum_labels(engine, "app.mood"))
    assert history[-1] == ["happy", "ok", "sad"]
    for step, before in zip(reversed(steps), reversed(history[:-1])):
        run(engine, lambda op, ctx, step=step: op.invoke(step.reverse()))
        assert enum_labels(engine, "app.mood") == before
    create = pg_ops.CreateEnumOp("tmp", ["a"], schema="app")
    run(engine, lambda op, ctx: op.invoke(create))
    run(engine, lambda op, ctx: op.invoke(create.reverse()))
    assert enum_labels(engine, "app.tmp") is None


def test_tables_share_a_type_created_once_and_drop_table_keeps_it(engine):
    kind = sa.Enum("x", "y", name="kind")

    def up(op, ctx):
        op.create_table("a", sa.Column("k", kind))
        op.create_table("b", sa.Column("k", kind), sa.Column("ks", sa.ARRAY(kind)))

    run(engine, up)
    assert user_types(engine) == [("public", "kind")]
    run(engine, lambda op, ctx: op.invoke(ops.DropTableOp.from_table(
        sa.Table("a", sa.MetaData(), sa.Column("k", kind))
    )))
    assert user_types(engine) == [("public", "kind")]  # still used by b
    run(engine, lambda op, ctx: (op.drop_table("b"), op.drop_enum("kind", if_exists=True),
                                 op.drop_enum("kind", if_exists=True)))
    assert user_types(engine) == []
    assert user_tables(engine) == []


def test_enum_value_with_quotes_and_percent_online(engine):
    run(engine, lambda op, ctx: op.create_enum("odd", ["it's", "50%"], if_not_exists=True))
    run(engine, lambda op, ctx: op.create_enum("odd", ["ignored"], if_not_exists=True))
    run(engine, lambda op, ctx: op.create_table("t", sa.Column(
        "o", sa.Enum("it's", "50%", name="odd", create_type=False))))
    run(engine, lambda op, ctx: op.alter_enum("odd", ["50%", "it's", "%s"]))
    assert enum_labels(engine, "odd") == ["50%", "it's", "%s"]


# --- exclusion constraints ---------------------------------------------------------------------


def _booking(op):
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("room", sa.Integer),
        sa.Column("during", sa.dialects.postgresql.TSRANGE),
        sa.Column("cancelled", sa.Boolean, server_default=sa.false()),
        schema="app",
    )


def _exclusions(engine):
    return rows(
        engine,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'x' "
        "ORDER BY conname",
    )


def test_exclude_constraint_create_enforced_and_dropped(engine):
    def up(op, ctx):
        _booking(op)
        op.create_exclude_constraint(
            "no_overlap", "booking", ("room", "="), ("during", "&&"), schema="app",
            where="NOT cancelled",
        )

    run(engine, up)
    assert _exclusions(engine) == [
        ("no_overlap", "EXCLUDE USING gist (room WITH =, during WITH &&) WHERE ((NOT cancelled))")
    ]
    run(engine, lambda op, ctx: op.execute(
        "INSERT INTO app.booking (id, room, during) VALUES (1, 1, '[2024-01-01, 2024-01-03)')"))
    with pytest.raises(sa.exc.IntegrityError, match="no_overlap"):
        run(engine, lambda op, ctx: op.execute(
            "INSERT INTO app.booking (id, room, during) VALUES (2, 1, '[2024-01-02, 2024-01-04)')"
        ))
    run(engine, lambda op, ctx: op.drop_constraint("no_overlap", "booking", schema="app"))
    assert _exclusions(engine) == []


def test_exclude_constraint_batch_form_and_reverse(engine):
    from mig_postgres.ops import CreateExcludeConstraintOp

    def up(op, ctx):
        _booking(op)
        with op.batch_alter_table("booking", schema="app") as batch_op:
            batch_op.add_column(sa.Column("starts", sa.DateTime))
            batch_op.create_exclude_constraint(
                "no_overlap", (sa.text("tsrange(starts, starts + interval '1 hour')"), "&&"),
                ("room", "="), deferrable=True, initially="DEFERRED",
            )

    run(engine, up)
    assert _exclusions(engine) == [(
        "no_overlap",
        "EXCLUDE USING gist (tsrange(starts, (starts + '01:00:00'::interval)) WITH &&, "
        "room WITH =) DEFERRABLE INITIALLY DEFERRED",
    )]
    create = CreateExcludeConstraintOp("no_overlap", "booking", [("room", "=")], schema="app")
    run(engine, lambda op, ctx: op.invoke(create.reverse()))
    assert _exclusions(engine) == []
    run(engine, lambda op, ctx: op.invoke(create.reverse().reverse()))
    assert _exclusions(engine) == [("no_overlap", "EXCLUDE USING gist (room WITH =)")]


# --- sequences, identity, comments, indexes ----------------------------------------------------


def test_sequences_created_used_and_dropped(engine):
    def up(op, ctx):
        op.create_sequence("invoice_no", schema="app", start=1000, increment=5)
        op.create_sequence("invoice_no", schema="app", if_not_exists=True)

    run(engine, up)
    assert scalar(engine, "SELECT nextval('app.invoice_no')") == 1000
    assert scalar(engine, "SELECT nextval('app.invoice_no')") == 1005
    from mig_postgres.ops import CreateSequenceOp

    run(engine, lambda op, ctx: op.invoke(CreateSequenceOp("n", start=3).reverse().reverse()))
    assert user_sequences(engine) == [("app", "invoice_no"), ("public", "n")]
    run(engine, lambda op, ctx: (op.drop_sequence("invoice_no", schema="app"),
                                 op.drop_sequence("n", if_exists=True),
                                 op.drop_sequence("n", if_exists=True)))
    assert user_sequences(engine) == []


def _identity(engine):
    return rows(
        engine,
        "SELECT attidentity, seqstart, seqincrement FROM pg_attribute a "
        "LEFT JOIN pg_sequence s ON s.seqrelid = pg_get_serial_sequence('app.t', 'id')::regclass "
        "WHERE attrelid = 'app.t'::regclass AND attname = 'id'",
    )[0]


def test_identity_add_alter_drop(engine):
    run(engine, lambda op, ctx: op.create_table(
        "t", sa.Column("id", sa.Integer, nullable=False), schema="app"))
    run(engine, lambda op, ctx: op.alter_column(
        "t", "id", server_default=sa.Identity(start=5), schema="app"))
    assert _identity(engine) == ("d", 5, 1)
    run(engine, lambda op, ctx: op.alter_column(
        "t", "id", schema="app", server_default=sa.Identity(start=5, increment=3, always=True),
        existing_server_default=sa.Identity(start=5)))
    assert _identity(engine) == ("a", 5, 3)
    run(engine, lambda op, ctx: op.execute("INSERT INTO app.t DEFAULT VALUES"))
    run(engine, lambda op, ctx: op.alter_column(
        "t", "id", schema="app", server_default=None,
        existing_server_default=sa.Identity(always=True)))
    assert _identity(engine) == ("", None, None)


def test_comments_online(engine):
    def up(op, ctx):
        op.create_table("t", sa.Column("c", sa.Integer, comment="col"), schema="app",
                        comment="tab")
        op.alter_column("t", "c", comment="it's", schema="app")
        op.create_table_comment("t", "new", schema="app")

    run(engine, up)
    assert scalar(engine, "SELECT col_description('app.t'::regclass, 1)") == "it's"
    assert scalar(engine, "SELECT obj_description('app.t'::regclass)") == "new"
    run(engine, lambda op, ctx: (op.drop_table_comment("t", schema="app"),
                                 op.alter_column("t", "c", comment=None, schema="app")))
    assert scalar(engine, "SELECT col_description('app.t'::regclass, 1)") is None
    assert scalar(engine, "SELECT obj_description('app.t'::regclass)") is None


def test_index_options_online(engine):
    def up(op, ctx):
        op.create_table(
            "doc", sa.Column("id", sa.Integer), sa.Column("body", sa.dialects.postgresql.JSONB),
            sa.Column("title", sa.String), sa.Column("deleted", sa.Boolean), schema="app",
        )
        op.create_index("ix_body", "doc", ["body"], schema="app", postgresql_using="gin",
                        postgresql_ops={"body": "jsonb_path_ops"})
        op.create_index("ix_title", "doc", ["title"], schema="app", unique=True,
                        postgresql_include=["id"], postgresql_nulls_not_distinct=True,
                        postgresql_where=sa.text("NOT deleted"))
        op.create_index("ix_lower", "doc", [sa.text("lower(title)")], schema="app")

    run(engine, up)
    assert rows(engine, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'app' "
                        "ORDER BY 1") == [
        ("ix_body", "CREATE INDEX ix_body ON app.doc USING gin (body jsonb_path_ops)"),
        ("ix_lower", "CREATE INDEX ix_lower ON app.doc USING btree (lower((title)::text))"),
        ("ix_title", "CREATE UNIQUE INDEX ix_title ON app.doc USING btree (title) INCLUDE (id) "
                     "NULLS NOT DISTINCT WHERE (NOT deleted)"),
    ]


# --- whole runs: autocommit + lock, version table in a schema, transactional DDL ----------------


def test_concurrent_index_under_the_run_lock_with_version_table_in_a_schema(engine, tmp_path,
                                                                             postgres_url):
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "a", "upgrade": (
            "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True),"
            " sa.Column('x', sa.Integer), schema='app')"
        ), "downgrade": "op.drop_table('t', schema='app')"},
        {"rev": "b", "down": "a", "upgrade": (
            "op.add_column('t', sa.Column('y', sa.Integer), schema='app')\n"
            "with op.get_context().autocommit_block():\n"
            "    op.create_index('ix_t_x', 't', ['x'], schema='app', postgresql_concurrently=True)\n"
            "op.add_column('t', sa.Column('z', sa.Integer), schema='app')\n"
        ), "downgrade": (
            "with op.get_context().autocommit_block():\n"
            "    op.drop_index('ix_t_x', 't', schema='app', postgresql_concurrently=True)\n"
            "op.drop_column('t', 'z', schema='app')\n"
            "op.drop_column('t', 'y', schema='app')\n"
        )},
    ])
    config = config_for(ini, configure={"version_table_schema": "app"})
    command.upgrade(config, "head", lock_timeout=5)
    assert scalar(engine, "SELECT version_num FROM app.mig_version") == "b"
    assert scalar(engine, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'app.ix_t_x'::regclass")
    assert scalar(engine, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database "
                          "= (SELECT oid FROM pg_database WHERE datname = current_database())") == 0
    assert ("public", "mig_version") not in user_tables(engine)
    command.downgrade(config_for(ini, configure={"version_table_schema": "app"}), "base",
                      lock_timeout=5)
    assert user_tables(engine) == [("app", "mig_history"), ("app", "mig_version")]
    assert scalar(engine, "SELECT count(*) FROM app.mig_version") == 0


def test_failed_migration_rolls_back_all_its_ddl(engine, tmp_path, postgres_url):
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "a", "upgrade": (
            "op.create_enum('mood', ['a'])\n"
            "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))\n"
            "op.create_sequence('s')\n"
            "op.execute('SELECT 1/0')\n"
        )},
    ])
    with pytest.raises(MigError, match="division by zero"):
        command.upgrade(config_for(ini), "head")
    # neither t nor the version table (same transaction); the history keeps the failure
    assert user_tables(engine) == [("public", "mig_history")]
    assert user_types(engine) == [] and user_sequences(engine) == []


def test_add_enum_value_on_a_server_before_12_runs_in_an_autocommit_block(engine, monkeypatch):
    from mig_postgres.impl import PostgresqlImpl

    run(engine, lambda op, ctx: op.create_enum("mood", ["a"]))
    monkeypatch.setattr(PostgresqlImpl, "server_version", property(lambda self: (11, 9)))

    def fn(op, ctx):
        op.create_table("before_it", sa.Column("x", sa.Integer))
        op.add_enum_value("mood", "b")  # commits what came before, as PostgreSQL 11 needs
        op.execute("SELECT 1/0")

    with pytest.raises(sa.exc.DBAPIError, match="division by zero"):
        run(engine, fn)
    assert ("public", "before_it") in user_tables(engine)
    assert enum_labels(engine, "mood") == ["a", "b"]
