"""Autogenerate on the real server: type rendering and comparison, server defaults compared on
the server, SERIAL / identity / nextval, foreign keys across schemas and search_path,
expression and partial indexes, exclusion constraints, sequences, USING for type changes."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
import sqlalchemy as sa
from pg_support import (
    PM,
    app_gist_engine,
    autogenerate,
    compare,
    each_postgres_driver,
    run_rendered,
    user_sequences,
)
from runtime_support import shared_fixtures
from sqlalchemy.dialects import postgresql as pg

from mig_core.autogenerate.context import RenderContext

postgres_url = shared_fixtures().postgres_url


engine = app_gist_engine


def create(engine: sa.Engine, md: sa.MetaData) -> None:
    with engine.begin() as conn:
        md.create_all(conn)


def kinds(diffs: list) -> list[str]:
    out = []
    for d in diffs:
        out.extend(x[0] for x in (d if isinstance(d, list) else [d]))
    return out


# --- rendering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "source"),
    [
        (pg.JSONB(), "postgresql.JSONB(astext_type=sa.Text())"),
        (pg.JSON(), "postgresql.JSON(astext_type=sa.Text())"),
        (pg.ARRAY(sa.Integer), "postgresql.ARRAY(sa.Integer())"),
        (pg.ARRAY(sa.String(30), dimensions=2),
         "postgresql.ARRAY(sa.String(length=30), dimensions=2)"),
        (sa.ARRAY(sa.Integer), "sa.ARRAY(sa.Integer())"),
        (pg.UUID(as_uuid=False), "sa.UUID(as_uuid=False)"),
        (pg.INET(), "postgresql.INET()"),
        (pg.CIDR(), "postgresql.CIDR()"),
        (pg.INTERVAL(fields="day", precision=3), "postgresql.INTERVAL(precision=3, fields='day')"),
        (pg.TSVECTOR(), "postgresql.TSVECTOR()"),
        (pg.BYTEA(length=10), "postgresql.BYTEA(length=10)"),
        (pg.NUMERIC(12, 4), "sa.NUMERIC(precision=12, scale=4)"),
        (pg.DOMAIN("posint", sa.Integer, check="VALUE > 0", not_null=True, schema="app",
                   default="1", constraint_name="pos"),
         "postgresql.DOMAIN('posint', sa.Integer(), constraint_name='pos', schema='app', "
         "default='1', not_null=True, check='VALUE > 0')"),
        (sa.Enum("a", "b", name="e"), "postgresql.ENUM('a', 'b', name='e', create_type=False)"),
        (pg.ENUM("x", name="e3", schema="s"),
         "postgresql.ENUM('x', name='e3', schema='s', create_type=False)"),
        (pg.ARRAY(sa.Enum("a", name="e")),
         "postgresql.ARRAY(postgresql.ENUM('a', name='e', create_type=False))"),
        (sa.Enum("a", name="e2", native_enum=False), "sa.Enum('a', name='e2', native_enum=False)"),
    ],
)
def test_type_rendering(type_, source):
    ctx = RenderContext(hooks=PM.hooks_for("postgresql"))
    assert ctx.render_type(type_) == source
    if "postgresql." in source:
        assert ctx.imports == {"from sqlalchemy.dialects import postgresql"}
    else:
        assert ctx.imports == set()


# --- types -----------------------------------------------------------------------------------

TYPES = {
    "jsonb": pg.JSONB, "json": pg.JSON, "ints": pg.ARRAY(sa.Integer),
    "grid": pg.ARRAY(sa.String(30), dimensions=2), "uid": sa.Uuid, "puid": pg.UUID,
    "ip": pg.INET, "net": pg.CIDR, "span": pg.INTERVAL(fields="day to second"),
    "any_span": sa.Interval, "tsv": pg.TSVECTOR, "raw": pg.BYTEA, "blob": sa.LargeBinary,
    "money": sa.Numeric(10, 2), "exact": pg.NUMERIC(12, 4), "bare": sa.Numeric,
    "real": sa.Float(precision=20), "double": sa.Float, "dbl": sa.Double,
    "at": sa.DateTime(timezone=True), "stamp": pg.TIMESTAMP(precision=3),
    "mood": sa.Enum("a", "b", name="mood", schema="app"),
    "moods": pg.ARRAY(sa.Enum("a", "b", name="mood", schema="app")),
    "posint": pg.DOMAIN("posint", sa.Integer, check="VALUE > 0"),
}


def _typed_table(md: sa.MetaData, types: dict) -> sa.Table:
    return sa.Table("typed", md, sa.Column("id", sa.Integer, primary_key=True),
                    *[sa.Column(name, t) for name, t in types.items()])


@each_postgres_driver
def test_postgresql_types_compare_equal_after_create(engine):
    md = sa.MetaData()
    _typed_table(md, TYPES)
    create(engine, md)
    assert compare(engine, md, include_schemas=True) == []


@pytest.mark.parametrize(
    ("column", "new_type"),
    [
        ("jsonb", pg.JSON), ("json", pg.JSONB), ("ints", pg.ARRAY(sa.Text)),
        ("uid", sa.String(36)), ("ip", pg.CIDR), ("money", sa.Numeric(12, 2)),
        ("real", sa.Float(precision=40)), ("mood", sa.Enum("a", "b", name="other", schema="app")),
        ("mood", sa.Enum("a", "b", name="mood")), ("tsv", sa.Text),
    ],
)
def test_postgresql_type_changes_are_detected(engine, column, new_type):
    md = sa.MetaData()
    _typed_table(md, TYPES)
    create(engine, md)
    changed = sa.MetaData()
    _typed_table(changed, {**TYPES, column: new_type})
    diffs = compare(engine, changed, include_schemas=True)
    assert [(d[0], d[3]) for group in diffs if isinstance(group, list) for d in group] == [
        ("modify_type", column)
    ]


# --- server defaults -------------------------------------------------------------------------


@each_postgres_driver
def test_server_defaults_compared_on_the_server(engine):
    def model(**defaults):
        md = sa.MetaData()
        sa.Table(
            "d", md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("n", sa.Integer, server_default=defaults.get("n", "0")),
            sa.Column("at", sa.DateTime(timezone=True),
                      server_default=defaults.get("at", sa.func.now())),
            sa.Column("doc", pg.JSONB, server_default=defaults.get("doc", sa.text("'{}'"))),
            sa.Column("js", pg.JSON, server_default=defaults.get("js", sa.text("'[]'"))),
            sa.Column("price", sa.Numeric(10, 2), server_default=defaults.get("price", "1.5")),
            sa.Column("flag", sa.Boolean, server_default=defaults.get("flag", sa.true())),
            sa.Column("day", sa.Date, server_default=defaults.get("day", "2024-01-02")),
            sa.Column("tags", pg.ARRAY(sa.Text),
                      server_default=defaults.get("tags", sa.text("ARRAY[]::text[]"))),
            sa.Column("uid", sa.Uuid, server_default=sa.text("gen_random_uuid()")),
            sa.Column("word", sa.String(10), server_default=defaults.get("word", "it's")),
        )
        return md

    create(engine, model())
    assert compare(engine, model(), compare_server_default=True) == []
    # written differently, equal on the server
    same = model(at=sa.text("CURRENT_TIMESTAMP"), doc=sa.text("'{ }'::jsonb"),
                 price=sa.text("1.50"), flag=sa.text("'t'"), day=sa.text("'2024-1-2'::date"),
                 tags=sa.text("'{}'"), js=sa.text("'[ ]'"))
    assert compare(engine, same, compare_server_default=True) == []
    # really different
    other = model(n="1", doc=sa.text("'{\"a\": 1}'"), price="2", flag=sa.false(), word="its")
    changed = sorted(d[3] for group in compare(engine, other, compare_server_default=True)
                     for d in group)
    assert changed == ["doc", "flag", "n", "price", "word"]


def test_serial_identity_and_nextval_defaults_give_no_difference(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SEQUENCE app.counter"))
        conn.execute(sa.text("CREATE TABLE old_name (id SERIAL PRIMARY KEY, n INTEGER)"))
        conn.execute(sa.text("ALTER TABLE old_name RENAME TO renamed"))

    def model():
        md = sa.MetaData()
        counter = sa.Sequence("counter", schema="app", metadata=md)
        sa.Table("renamed", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("n", sa.Integer))
        sa.Table("big", md, sa.Column("id", sa.BigInteger, primary_key=True),
                 sa.Column("c", sa.Integer, server_default=counter.next_value()),
                 sa.Column("c2", sa.Integer, server_default=sa.text("nextval('app.counter')")))
        sa.Table("ident", md, sa.Column("id", sa.Integer, sa.Identity(start=5, always=True),
                                        primary_key=True))
        # a table in another schema using a sequence of the default one: SQLAlchemy reflects
        # the default as nextval('"app".shared'), the server knows it is public.shared
        shared = sa.Sequence("shared", metadata=md)
        sa.Table("elsewhere", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("n", sa.Integer, server_default=shared.next_value()), schema="app")
        return md

    create(engine, sa.MetaData())
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SEQUENCE shared"))
        for name in ("big", "ident", "app.elsewhere"):
            model().tables[name].create(conn)
    assert compare(engine, model(), compare_server_default=True, include_schemas=True) == []
    # a model without the nextval default does differ
    md = model()
    md.tables["big"].c.c.server_default = None
    assert kinds(compare(engine, md, compare_server_default=True)) == ["modify_default"]


def test_renamed_column_is_an_add_and_a_drop(engine):
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.Text))
    create(engine, md)
    renamed = sa.MetaData()
    sa.Table("t", renamed, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("full_name", sa.Text))
    assert kinds(compare(engine, renamed)) == ["add_column", "remove_column"]


# --- schemas, search_path, indexes ---------------------------------------------------------------


def _cross_schema_model() -> sa.MetaData:
    md = sa.MetaData()
    kind = pg.ENUM("a", "b", name="kind", schema="app")
    sa.Table("b", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("k", kind),
             sa.Column("self_id", sa.Integer, sa.ForeignKey("app.b.id")), schema="app")
    sa.Table("p", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("b_id", sa.Integer, sa.ForeignKey("app.b.id")), sa.Column("k", kind))
    sa.Table("q", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("p_id", sa.Integer, sa.ForeignKey("p.id")), schema="app")
    return md


@pytest.mark.parametrize("search_path", ["public", "public,app", "app,public"])
@pytest.mark.parametrize("include_schemas", [True, False])
def test_foreign_keys_across_schemas_and_search_path(engine, postgres_url, search_path,
                                                      include_schemas):
    md = _cross_schema_model()
    create(engine, md)
    if search_path.startswith("app"):
        # the default schema is then app: the model names public tables explicitly
        md = sa.MetaData()
        kind = pg.ENUM("a", "b", name="kind")
        sa.Table("b", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("k", kind),
                 sa.Column("self_id", sa.Integer, sa.ForeignKey("b.id")))
        sa.Table("p", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("b_id", sa.Integer, sa.ForeignKey("b.id")),
                 sa.Column("k", kind), schema="public")
        sa.Table("q", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("p_id", sa.Integer, sa.ForeignKey("public.p.id")))
    with_path = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool,
                                 connect_args={"options": f"-csearch_path={search_path}"})
    try:
        assert compare(with_path, md, include_schemas=include_schemas,
                       compare_server_default=True) == []
    finally:
        with_path.dispose()


def test_table_referring_to_the_default_schemas_table_of_its_own_name(engine):
    """``app.item`` referring to ``public.item`` is written ``['item.id']`` in a
    ``create_table(..., schema='app')``: the revision creates it (it used to be taken as a
    self-reference and fail with NoReferencedTableError) and leaves nothing to compare."""
    md = sa.MetaData()
    sa.Table("item", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("item", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("pub_id", sa.Integer, sa.ForeignKey("item.id")),
             sa.Column("self_id", sa.Integer, sa.ForeignKey("app.item.id")), schema="app")
    imports, up, down = autogenerate(engine, md, include_schemas=True)
    assert "['item.id']" in up and "['app.item.id']" in up
    run_rendered(engine, up, imports)
    assert compare(engine, md, include_schemas=True) == []
    run_rendered(engine, down, imports)


@each_postgres_driver
def test_default_search_path_needs_no_catalog_lookups(engine, monkeypatch):
    """With only the default schema on search_path the referred schemas and the table list that
    SQLAlchemy reflects are right as they are (a temporary table of the session, whose schema is
    then searched first, is not reported)."""
    from mig_postgres.catalog import PgCatalog

    from mig_core.autogenerate.api import compare_metadata
    from mig_core.runtime.migration import MigrationContext

    calls: list[str] = []
    for name in ("foreign_key_target_schema", "default_schema_relations", "_rows"):
        original = getattr(PgCatalog, name)

        def spy(self, *args, _name=name, _original=original, **kw):
            calls.append(_name)
            return _original(self, *args, **kw)

        monkeypatch.setattr(PgCatalog, name, spy)
    md = _cross_schema_model()
    create(engine, md)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts={"include_schemas": True},
                                         plugin_manager=PM)
        assert compare_metadata(ctx, md) == []
        assert calls == ["_rows"]  # search path, enums, sequences, any exclusion: one round trip
        calls.clear()
        conn.execute(sa.text("CREATE TEMP TABLE scratch (id integer)"))
        ctx = MigrationContext.configure(connection=conn, opts={"include_schemas": True},
                                         plugin_manager=PM)
        assert compare_metadata(ctx, md) == []
        assert calls == ["_rows"]


@each_postgres_driver
def test_expression_and_partial_indexes_give_no_difference(engine):
    def model():
        md = sa.MetaData()
        t = sa.Table("doc", md, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("title", sa.String(100)), sa.Column("body", pg.JSONB),
                     sa.Column("deleted", sa.Boolean), sa.Column("n", sa.Integer),
                     schema="app")
        sa.Index("ix_lower", sa.func.lower(t.c.title))
        sa.Index("ix_live", t.c.title, postgresql_where=sa.text("NOT deleted"))
        sa.Index("ix_big", t.c.n, postgresql_where=t.c.n > 10)
        sa.Index("ix_body", t.c.body, postgresql_using="gin",
                 postgresql_ops={"body": "jsonb_path_ops"})
        sa.Index("ix_cover", t.c.n, postgresql_include=["title"], unique=True,
                 postgresql_nulls_not_distinct=True)
        sa.Index("ix_expr2", sa.text("(body ->> 'k')"), sa.text("lower(title) DESC"))
        # written back by the server as (title)::text <> 'x'::text: settled by a probe
        sa.Index("ix_not_x", t.c.n, postgresql_where=t.c.title != "x")
        sa.Index("ix_cast", sa.cast(t.c.body["k"].astext, sa.Integer))
        return md

    create(engine, model())
    assert compare(engine, model(), include_schemas=True) == []
    changed = model()
    table = changed.tables["app.doc"]
    next(i for i in table.indexes if i.name == "ix_live").dialect_options["postgresql"][
        "where"] = sa.text("deleted")
    assert kinds(compare(engine, changed, include_schemas=True)) == ["remove_index", "add_index"]



@pytest.mark.parametrize("schema", [None, "app"])
def test_index_settled_by_the_server_on_a_table_name_needing_quotes(engine, schema):
    """The server's two definitions are compared after the table (``ON app."Doc Table"``
    did not match the pattern that split them, so the index was dropped and created on every
    run)."""
    def model():
        md = sa.MetaData()
        t = sa.Table("Doc Table", md, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("title", sa.String(100)), sa.Column("n", sa.Integer),
                     schema=schema)
        sa.Index("ix not x", t.c.n, postgresql_where=t.c.title != "x")
        sa.Index("ix_upper", sa.func.upper(t.c.title), postgresql_where=t.c.n != 0, unique=True)
        return md

    create(engine, model())
    assert compare(engine, model(), include_schemas=True) == []

def test_operator_expression_index_is_written_in_parentheses(engine):
    """CREATE INDEX needs an operator expression in parentheses, as SQLAlchemy writes it
    ((body ->> 'k')); written bare into literal_column(), the upgrade failed (syntax error)."""
    md = sa.MetaData()
    t = sa.Table("doc", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("body", pg.JSONB), sa.Column("a", sa.Integer),
                 sa.Column("b", sa.Integer))
    sa.Index("ix_key", t.c.body["k"].astext)
    sa.Index("ix_sum", t.c.a + t.c.b, sa.func.lower(t.c.body["n"].astext))
    imports, up, _down = autogenerate(engine, md)
    assert "[sa.literal_column(\"(body ->> 'k')\")]" in up
    assert "[sa.literal_column('(a + b)'), sa.literal_column(\"lower(body ->> 'n')\")]" in up
    run_rendered(engine, up, imports)
    assert compare(engine, md) == []


# --- exclusion constraints ---------------------------------------------------------------------


def _booking(excl=None, extra=()):
    md = sa.MetaData()
    items = [excl] if excl is not None else []
    sa.Table("booking", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("room", sa.Integer), sa.Column("during", pg.TSRANGE),
             sa.Column("starts", sa.DateTime), sa.Column("cancelled", sa.Boolean),
             *items, *extra, schema="app")
    return md


def excl():
    return pg.ExcludeConstraint(("room", "="), ("during", "&&"), name="no_overlap",
                                where=sa.text("NOT cancelled"))


def by_hour():
    return pg.ExcludeConstraint(
        (sa.text("tsrange(starts, starts + interval '1 hour')"), "&&"), ("room", "="),
        name="by_hour", deferrable=True, initially="DEFERRED")


@each_postgres_driver
def test_exclusion_constraint_added_changed_removed(engine):
    create(engine, _booking())
    imports, up, down = autogenerate(engine, _booking(excl()), include_schemas=True)
    assert "op.create_exclude_constraint('no_overlap', 'booking', ('room', '='), " \
           "('during', '&&'), where=sa.text('NOT cancelled'), using='gist', schema='app')" in up
    assert "op.drop_constraint('no_overlap', 'booking', schema='app')" in down
    run_rendered(engine, up, imports)
    assert compare(engine, _booking(excl()), include_schemas=True) == []
    two = _booking(excl(), extra=[by_hour()])
    imports, up, _ = autogenerate(engine, two, include_schemas=True)
    run_rendered(engine, up, imports)
    # the server writes the interval differently; it is the same constraint
    assert compare(engine, _booking(excl(), extra=[by_hour()]),
                   include_schemas=True) == []
    changed = pg.ExcludeConstraint(("room", "="), name="no_overlap")
    assert kinds(compare(engine, _booking(changed, extra=[by_hour()]),
                         include_schemas=True)) == ["remove_constraint", "add_constraint"]
    imports, up, down = autogenerate(engine, _booking(), include_schemas=True)
    assert up.count("op.drop_constraint(") == 2
    run_rendered(engine, up, imports)
    assert compare(engine, _booking(), include_schemas=True) == []
    run_rendered(engine, down, imports)
    assert compare(engine, _booking(excl(), extra=[by_hour()]),
                   include_schemas=True) == []


def test_dropped_table_gets_its_exclusion_constraint_back_on_downgrade(engine):
    create(engine, _booking(excl()))
    imports, up, down = autogenerate(engine, sa.MetaData(), include_schemas=True)
    # a name read from the database is final: the naming convention is not applied again
    assert up.index("op.drop_constraint(op.f('no_overlap')") < up.index(
        "op.drop_table('booking'")
    assert "op.create_exclude_constraint(op.f('no_overlap'), 'booking'" in down
    run_rendered(engine, up, imports)
    run_rendered(engine, down, imports)
    assert compare(engine, _booking(excl()), include_schemas=True) == []


def test_new_table_with_exclusion_constraint(engine):
    imports, up, down = autogenerate(engine, _booking(excl()), include_schemas=True)
    create_at = up.index("op.create_table('booking'")
    assert up.index("op.create_exclude_constraint('no_overlap'") > create_at
    run_rendered(engine, up, imports)
    assert compare(engine, _booking(excl()), include_schemas=True) == []


# --- sequences and USING ------------------------------------------------------------------------


def test_sequences_created_before_and_dropped_after_their_users(engine):
    md = sa.MetaData()
    invoice = sa.Sequence("invoice_no", start=1000, increment=5, schema="app", metadata=md)
    sa.Table("bill", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("no", sa.Integer, server_default=invoice.next_value()))
    imports, up, down = autogenerate(engine, md, include_schemas=True,
                                     compare_server_default=True)
    assert up.index("op.create_sequence('invoice_no', schema='app', start=1000, increment=5)") \
        < up.index("op.create_table('bill'")
    assert down.index("op.drop_table('bill')") < down.index(
        "op.drop_sequence('invoice_no', schema='app')")
    run_rendered(engine, up, imports)
    assert compare(engine, md, include_schemas=True, compare_server_default=True) == []
    # dropped from the model while the table keeps using it (default not compared): kept
    bare = sa.MetaData()
    sa.Table("bill", bare, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("no", sa.Integer))
    assert compare(engine, bare, include_schemas=True) == []
    run_rendered(engine, down, imports)
    assert user_sequences(engine) == []


def test_sequence_removed_from_the_model_is_recreated_by_the_downgrade(engine):
    """The downgrade re-creates the dropped sequence with the options the server reports; a
    bigint one (no data_type) was written data_type=sa.NullType(), which does not exist."""
    md = sa.MetaData()
    sa.Sequence("ticket_no", start=10, metadata=md)
    sa.Sequence("small_no", start=5, data_type=sa.SmallInteger, metadata=md)
    create(engine, md)
    imports, up, down = autogenerate(engine, sa.MetaData())
    assert "NullType" not in down and "=None" not in down
    run_rendered(engine, up, imports)
    assert user_sequences(engine) == []
    run_rendered(engine, down, imports)
    assert compare(engine, md) == []
    assert user_sequences(engine) == [("public", "small_no"), ("public", "ticket_no")]


def test_model_columns_whose_key_is_not_their_name(engine):
    """Columns are matched by name: mapped_column("tags_col") on attribute ``tags`` has the key
    'tags'. Its ARRAY dimensions / Float(24) were not aligned (a type change on every run), and
    a sequence its default still uses was dropped."""
    md = sa.MetaData()
    invoice = sa.Sequence("invoice_no", metadata=md)
    sa.Table("bill", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("tags_col", pg.ARRAY(sa.Integer, dimensions=2), key="tags"),
             sa.Column("w_col", sa.Float(24), key="w"),
             sa.Column("no", sa.Integer, server_default=invoice.next_value(), key="number"))
    create(engine, md)
    assert compare(engine, md) == []
    bare = sa.MetaData()  # the sequence left the model; the column still uses it
    sa.Table("bill", bare, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("tags_col", pg.ARRAY(sa.Integer, dimensions=2), key="tags"),
             sa.Column("w_col", sa.Float(24), key="w"),
             sa.Column("no", sa.Integer, key="number"))
    assert compare(engine, bare) == []


def test_type_change_needing_a_cast_gets_using_both_ways(engine):
    def model(n_type, k_type):
        md = sa.MetaData()
        sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("n", n_type), sa.Column("k", k_type), sa.Column("w", sa.String(5)))
        return md

    kind = sa.Enum("a", "b", name="kind")
    create(engine, model(sa.String(10), sa.String(10)))
    run_rendered(engine, "op.execute(\"INSERT INTO t VALUES (1, '42', 'b', 'x')\")")
    new = model(sa.Integer, kind)
    new.tables["t"].c.w.type = sa.String(20)  # widening needs no cast
    imports, up, down = autogenerate(engine, new)
    assert "type_=sa.Integer(), existing_nullable=True, postgresql_using='n::INTEGER')" in up
    assert ("type_=postgresql.ENUM('a', 'b', name='kind', create_type=False), "
            "existing_nullable=True, postgresql_using='k::kind')") in up
    assert "postgresql_using" not in up.split("'w'")[1].split("\n")[0]
    assert "postgresql_using" not in down  # back to text needs no cast
    run_rendered(engine, up, imports)
    assert compare(engine, new) == []
    run_rendered(engine, down, imports)
    assert compare(engine, model(sa.String(10), sa.String(10))) == []
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT n, k FROM t")).one() == ("42", "b")


def test_render_as_batch_writes_exclusion_constraints_on_batch_op(engine):
    create(engine, _booking())
    imports, up, down = autogenerate(engine, _booking(excl()), include_schemas=True,
                                     render_as_batch=True)
    assert "with op.batch_alter_table('booking', schema='app') as batch_op:" in up
    assert ("batch_op.create_exclude_constraint('no_overlap', ('room', '='), ('during', '&&'), "
            "where=sa.text('NOT cancelled'), using='gist')") in up
    assert "batch_op.drop_constraint('no_overlap')" in down
    run_rendered(engine, up, imports)
    assert compare(engine, _booking(excl()), include_schemas=True) == []
    run_rendered(engine, down, imports)
    assert compare(engine, _booking(), include_schemas=True) == []


@pytest.mark.parametrize("source, target", [
    ("VARCHAR(40)", "VARCHAR(20)"),
    ("INTEGER", "TEXT"),
    ("INTEGER[]", "VARCHAR(10)"),
    ("TIMESTAMP WITHOUT TIME ZONE", "CHAR(30)"),
    ("NUMERIC(10, 2)", "NUMERIC(12, 4)"),
    ("NUMERIC(10, 2)[]", "NUMERIC(12, 4)[]"),
    ("TIMESTAMP(3) WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE"),
    ("INTERVAL", "INTERVAL(2)"),
    ("BIT(3)", "BIT(8)"),
])
def test_casts_settled_by_name_agree_with_the_server(engine, source, target):
    """Pairs the type names settle without a query give the server's own answer."""
    from mig_postgres.compare import _assignable, _assignable_by_name

    assert _assignable_by_name(source, target) is True

    with engine.connect() as conn:
        ctx = SimpleNamespace(cache={}, connection=conn)  # what _assignable reads
        with mock.patch("mig_postgres.compare._assignable_by_name", return_value=None):
            assert _assignable(ctx, source, target) is True


@pytest.mark.parametrize("source, target", [
    ("TEXT", "INTEGER"), ("VARCHAR(10)", "TIMESTAMP WITHOUT TIME ZONE"), ("INTEGER", "BIGINT"),
    ("TEXT", "TEXT[]"), ('"my(type)"', '"my(type)"'), ("TIMESTAMP WITHOUT TIME ZONE",
                                                      "TIMESTAMP WITH TIME ZONE"),
])
def test_other_pairs_are_left_to_the_server(source, target):
    from mig_postgres.compare import _assignable_by_name

    assert _assignable_by_name(source, target) is None
