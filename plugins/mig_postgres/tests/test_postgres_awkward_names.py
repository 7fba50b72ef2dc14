"""mig-postgres operations on names that need quoting, online: enum types and values with a
double quote, a dot, a comma or a quote, in a schema named the same way, at PostgreSQL's
63-byte limit; a foreign key to a table with a dot in its name in such a schema; expression
and partial indexes on awkward columns."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pg_support import app_engine, enum_labels, rows, run, scalar
from runtime_support import shared_fixtures
from sqlalchemy.dialects import postgresql as pg

postgres_url = shared_fixtures().postgres_url

engine = app_engine

SCHEMA = 'Ten"ant.One'
QSCHEMA = '"Ten""ant.One"'


def _schema(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {QSCHEMA} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {QSCHEMA}"))


def test_enum_lifecycle_with_awkward_names_at_the_byte_limit(engine: sa.Engine) -> None:
    """A value removed from a type whose name is 63 bytes (31 two-byte characters and one
    more) renames the old type with a suffix cut to fit in bytes; cut in characters, the
    name PostgreSQL kept was the type's own ("type ... already exists")."""
    _schema(engine)
    name = "é" * 31 + "x"
    assert len(name.encode()) == 63
    qualified = f'{QSCHEMA}."{name}"'
    table = 'Order "Items".x'

    def migrate(op: Any, ctx: Any) -> None:
        op.create_enum(name, ["it's", 'Q"x', "a,b"], schema=SCHEMA)
        op.add_enum_value(name, "new's", schema=SCHEMA, after="it's")
        op.rename_enum_value(name, 'Q"x', 'Q"y', schema=SCHEMA)
        op.create_table(table, sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("mood", pg.ENUM(name=name, schema=SCHEMA, create_type=False)))
        op.execute("INSERT INTO \"Order \"\"Items\"\".x\" VALUES (1, 'Q\"y'), (2, 'it''s')")
        op.drop_enum_value(name, "a,b", schema=SCHEMA)

    run(engine, migrate)
    assert enum_labels(engine, qualified) == ["it's", "new's", 'Q"y']
    assert rows(engine, 'SELECT id, mood::text FROM "Order ""Items"".x" ORDER BY id') == [
        (1, 'Q"y'), (2, "it's")]

    def back(op: Any, ctx: Any) -> None:
        op.drop_table(table)
        op.drop_enum(name, schema=SCHEMA)

    run(engine, back)
    assert scalar(engine, "SELECT to_regtype(:n)", n=qualified) is None


def test_cross_schema_foreign_key_and_indexes_on_awkward_names(engine: sa.Engine) -> None:
    _schema(engine)

    def migrate(op: Any, ctx: Any) -> None:
        op.create_table("Parent.T", sa.Column("Id", sa.Integer, primary_key=True),
                        schema=SCHEMA)
        op.create_table("child", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("Parent Id", sa.Integer), sa.Column("a.b", sa.String(10)))
        op.create_foreign_key("fk→p", "child", "Parent.T", ["Parent Id"], ["Id"],
                              referent_schema=SCHEMA)
        op.create_index("ix lower", "child", [sa.text('lower("a.b")')])
        op.create_index("ix part", "child", ["a.b"], postgresql_where=sa.text('"Parent Id" > 0'))

    run(engine, migrate)
    assert rows(engine, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'fk→p'") == [
        ('FOREIGN KEY ("Parent Id") REFERENCES "Ten""ant.One"."Parent.T"("Id")',)]
    assert sorted(rows(engine, "SELECT indexdef FROM pg_indexes WHERE tablename = 'child' "
                       "AND indexname LIKE 'ix %'")) == [
        ('CREATE INDEX "ix lower" ON public.child USING btree (lower(("a.b")::text))',),
        ('CREATE INDEX "ix part" ON public.child USING btree ("a.b") WHERE ("Parent Id" > 0)',),
    ]

    def recreate(op: Any, ctx: Any) -> None:
        with op.batch_alter_table("child", recreate="always") as batch_op:
            batch_op.add_column(sa.Column("select", sa.Integer))

    run(engine, recreate)
    assert rows(engine, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'fk→p'") == [
        ('FOREIGN KEY ("Parent Id") REFERENCES "Ten""ant.One"."Parent.T"("Id")',)]

    def back(op: Any, ctx: Any) -> None:
        op.drop_index("ix part", table_name="child")
        op.drop_index("ix lower", table_name="child")
        op.drop_constraint("fk→p", "child", type_="foreignkey")
        op.drop_table("child")
        op.drop_table("Parent.T", schema=SCHEMA)

    run(engine, back)
    assert rows(engine, "SELECT tablename FROM pg_tables WHERE schemaname IN "
                "('public', 'Ten\"ant.One')") == []


def test_a_dropped_table_owning_a_sequence_in_an_awkward_schema(engine: sa.Engine) -> None:
    """The owned sequence's regclass text (``"Ten""ant.One"."Order.T_Id_seq"``) was split at
    its last dot: ``drop_sequence('T_Id_seq', schema='Ten""ant.One"."Order')``, which failed
    ('schema ... does not exist')."""
    from pg_support import autogenerate, run_rendered

    _schema(engine)
    with engine.begin() as conn:  # SERIAL outside a primary key: the sequence is the table's
        conn.execute(sa.text(f'CREATE TABLE {QSCHEMA}."Order.T" ("Id" SERIAL, x INTEGER)'))
    model = sa.MetaData()
    imports, upgrade, downgrade = autogenerate(engine, model, include_schemas=True)
    assert "op.drop_sequence('Order.T_Id_seq', schema='Ten\"ant.One')" in upgrade
    assert "op.create_sequence('Order.T_Id_seq', schema='Ten\"ant.One'" in downgrade
    run_rendered(engine, upgrade, imports)
    assert scalar(engine, "SELECT to_regclass(:n)", n=f'{QSCHEMA}."Order.T_Id_seq"') is None
    run_rendered(engine, downgrade, imports)
    assert rows(engine, "SELECT pg_get_serial_sequence(:t, 'Id')",
                t=f'{QSCHEMA}."Order.T"') == [('"Ten""ant.One"."Order.T_Id_seq"',)]
    with engine.begin() as conn:
        conn.execute(sa.text(f'INSERT INTO {QSCHEMA}."Order.T" (x) VALUES (7)'))
    assert rows(engine, f'SELECT "Id", x FROM {QSCHEMA}."Order.T"') == [(1, 7)]
