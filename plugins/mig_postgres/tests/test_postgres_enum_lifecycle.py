"""The enum lifecycle in autogenerate, on the real server: CREATE TYPE before the first user,
DROP TYPE after the last, added values as ADD VALUE, removed / reordered values as a
reversible alter_enum with a comment, enums in other schemas, and downgrades that undo all."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pg_support import (
    app_engine,
    autogenerate,
    compare,
    enum_labels,
    rows,
    run_rendered,
    user_types,
)
from runtime_support import shared_fixtures
from sqlalchemy.dialects import postgresql as pg

from mig_core.errors import CommandError

postgres_url = shared_fixtures().postgres_url


engine = app_engine


def people(*values: str, schema: str | None = None, default: str | None = None,
           extra: tuple = ()) -> sa.MetaData:
    md = sa.MetaData()
    mood = sa.Enum(*values, name="mood", schema=schema)
    sa.Table(
        "person", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("m", mood, server_default=default),
        sa.Column("history", pg.ARRAY(mood)),
        *extra,
    )
    return md


def step(engine: sa.Engine, model: sa.MetaData, **opts) -> tuple[str, str, str]:
    """Autogenerate against the database, run the upgrade, check nothing is left to do."""
    imports, up, down = autogenerate(engine, model, compare_server_default=True, **opts)
    run_rendered(engine, up, imports)
    assert compare(engine, model, compare_server_default=True, **opts) == []
    return imports, up, down


def body(rendered: str) -> list[str]:
    """The statements of a rendered body (comment markers and indentation removed)."""
    return [line.strip() for line in rendered.splitlines()[1:-1]]


def test_new_enum_created_before_its_tables_and_dropped_after(engine):
    imports, up, down = step(engine, people("sad", "ok", schema="app", default="ok"),
                             include_schemas=True)
    assert imports == "from sqlalchemy.dialects import postgresql"
    lines = body(up)
    assert lines[0] == "op.create_enum('mood', ['sad', 'ok'], schema='app')"
    assert lines[1] == "op.create_table('person',"
    assert ("sa.Column('m', postgresql.ENUM('sad', 'ok', name='mood', schema='app', "
            "create_type=False), server_default='ok', nullable=True),") in lines
    assert body(down) == [
        "op.drop_table('person')",
        "op.drop_enum('mood', schema='app', existing_values=['sad', 'ok'])",
    ]
    assert user_types(engine) == [("app", "mood")]
    run_rendered(engine, down, imports)
    assert user_types(engine) == []


def test_added_values_are_add_value_in_place(engine):
    step(engine, people("sad", "happy", default="sad"))
    run_rendered(engine, "op.execute(\"INSERT INTO person VALUES (1, 'happy', '{sad}')\")")
    imports, up, down = step(engine, people("meh", "sad", "ok", "happy", "wow", default="sad"))
    assert body(up) == [
        "op.add_enum_value('mood', 'meh', before='sad')",
        "op.add_enum_value('mood', 'ok', after='sad')",
        "op.add_enum_value('mood', 'wow')",
    ]
    assert enum_labels(engine, "mood") == ["meh", "sad", "ok", "happy", "wow"]
    assert [line for line in body(down) if not line.startswith("#")] == [
        "op.drop_enum_value('mood', 'wow')",
        "op.drop_enum_value('mood', 'ok', after='sad')",
        "op.drop_enum_value('mood', 'meh', before='sad')",
    ]
    run_rendered(engine, down, imports)
    assert enum_labels(engine, "mood") == ["sad", "happy"]
    assert compare(engine, people("sad", "happy", default="sad"),
                   compare_server_default=True) == []
    assert rows(engine, "SELECT m::text, history::text[] FROM person") == [("happy", ["sad"])]


def test_added_value_used_as_a_default_is_committed_first(engine, tmp_path, postgres_url):
    step(engine, people("sad", "happy", default="sad"))
    imports, up, _ = autogenerate(engine, people("sad", "happy", "ok", default="ok"),
                                  compare_server_default=True)
    assert body(up)[0] == "op.add_enum_value('mood', 'ok', if_not_exists=True, autocommit=True)"
    run_rendered(engine, up, imports)
    assert compare(engine, people("sad", "happy", "ok", default="ok"),
                   compare_server_default=True) == []


def test_removed_value_alters_at_the_end_with_a_comment_and_reverses(engine):
    step(engine, people("sad", "ok", "happy", default="ok"))
    run_rendered(engine, "op.execute(\"INSERT INTO person VALUES (1, 'ok', '{sad,ok}'), "
                         "(2, 'happy', NULL)\")")
    new = people("sad", "fine", "happy", default="fine")
    imports, up, down = autogenerate(engine, new, compare_server_default=True)
    assert body(up) == [
        "op.add_enum_value('mood', 'fine', after='sad', if_not_exists=True, autocommit=True)",
        "op.alter_column('person', 'm', existing_type=postgresql.ENUM('sad', 'ok', 'happy', "
        "name='mood', create_type=False), existing_nullable=True, server_default='fine', "
        "existing_server_default=sa.text(\"'ok'::mood\"))",
        "# enum 'mood': values ['ok'] are removed; rows holding them make this fail (update them",
        "# first). If a removed value was renamed to one of ['fine'], write",
        "# op.rename_enum_value('mood', <old>, <new>) instead of the add and this.",
        "op.alter_enum('mood', ['sad', 'fine', 'happy'], existing_values=['sad', 'fine', 'ok', "
        "'happy'])",
    ]
    # rows still hold 'ok': the upgrade stops, naming the column, and changes nothing
    with pytest.raises(sa.exc.DBAPIError, match=r"cannot change enum type mood: column "
                                                r"person\.m holds a value the new type lacks"):
        run_rendered(engine, up, imports)
    assert enum_labels(engine, "mood") == ["sad", "fine", "ok", "happy"]  # committed ADD VALUE
    assert rows(engine, "SELECT m::text FROM person ORDER BY id") == [("ok",), ("happy",)]
    run_rendered(engine, "op.execute(\"UPDATE person SET m = CASE m WHEN 'ok' THEN 'fine' ELSE m END, "
                         "history = array_replace(history, 'ok', 'fine')\")")
    run_rendered(engine, up, imports)
    assert compare(engine, new, compare_server_default=True) == []
    assert rows(engine, "SELECT m::text, history::text[] FROM person ORDER BY id") == [
        ("fine", ["sad", "fine"]), ("happy", None)]
    # the downgrade puts 'ok' back (committed first: the default it restores uses it)
    assert body(down)[0] == ("op.alter_enum('mood', ['sad', 'fine', 'ok', 'happy'], "
                             "existing_values=['sad', 'fine', 'happy'], autocommit=True)")
    assert body(down)[-2:] == [
        "# rows holding 'fine' make this fail: update them to another value first.",
        "op.drop_enum_value('mood', 'fine', after='sad')",
    ]
    with pytest.raises(sa.exc.DBAPIError, match=r"column person\.m holds a value the new type"):
        run_rendered(engine, down, imports)
    # the human step the comment asks for, then the same downgrade again
    fixed = down.replace(
        "# rows holding",
        "op.execute(\"UPDATE person SET m = 'ok', history = '{sad,ok}' WHERE m = 'fine'\")\n"
        "    # rows holding",
    )
    run_rendered(engine, fixed, imports)
    assert enum_labels(engine, "mood") == ["sad", "ok", "happy"]
    assert compare(engine, people("sad", "ok", "happy", default="ok"),
                   compare_server_default=True) == []
    assert rows(engine, "SELECT m::text, history::text[] FROM person ORDER BY id") == [
        ("ok", ["sad", "ok"]), ("happy", None)]


def test_reordered_values_recreate_the_type(engine):
    step(engine, people("a", "b", "c"))
    imports, up, down = step(engine, people("c", "b", "a"))
    assert body(up) == [
        "# enum 'mood': the values are reordered, so the type is recreated.",
        "op.alter_enum('mood', ['c', 'b', 'a'], existing_values=['a', 'b', 'c'])",
    ]
    run_rendered(engine, down, imports)
    assert enum_labels(engine, "mood") == ["a", "b", "c"]


def test_renamed_value_written_by_hand_keeps_rows(engine):
    step(engine, people("sad", "ok"))
    run_rendered(engine, "op.execute(\"INSERT INTO person VALUES (1, 'ok', '{ok}')\")")
    run_rendered(engine, "op.rename_enum_value('mood', 'ok', 'fine')")
    assert compare(engine, people("sad", "fine"), compare_server_default=True) == []
    assert rows(engine, "SELECT m::text, history::text[] FROM person") == [("fine", ["fine"])]


def test_enum_kept_while_something_else_uses_it(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TYPE app.shared AS ENUM ('x', 'y')"))
        conn.execute(sa.text("CREATE TABLE app.other (s app.shared)"))  # not compared
        conn.execute(sa.text("CREATE TYPE viewed AS ENUM ('v')"))
        conn.execute(sa.text("CREATE TABLE base (v viewed)"))
        conn.execute(sa.text("CREATE VIEW seen AS SELECT v FROM base"))
        conn.execute(sa.text("CREATE TYPE in_func AS ENUM ('f')"))
        conn.execute(sa.text("CREATE FUNCTION pick() RETURNS in_func LANGUAGE sql "
                             "AS $$ SELECT 'f'::in_func $$"))
        conn.execute(sa.text("CREATE TYPE hidden AS ENUM ('h')"))
        conn.execute(sa.text("CREATE TABLE kept (h hidden)"))
        conn.execute(sa.text("CREATE TYPE orphan AS ENUM ('o')"))
    md = sa.MetaData()
    sa.Table("base", md, sa.Column("v", sa.Text))

    def include_name(name, type_, parents):
        return not (type_ == "table" and name == "kept")

    imports, up, down = autogenerate(engine, md, include_name=include_name)
    assert body(up) == [
        "op.alter_column('base', 'v', existing_type=postgresql.ENUM('v', name='viewed', "
        "create_type=False), type_=sa.Text(), existing_nullable=True)",
        "op.drop_enum('orphan', existing_values=['o'])",
    ]


def test_enum_shared_by_two_tables_dropped_after_the_last(engine):
    def model(*tables):
        md = sa.MetaData()
        kind = pg.ENUM("a", "b", name="kind", schema="app")
        for name in tables:
            sa.Table(name, md, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("k", kind), schema="app")
        return md

    _, up, _ = step(engine, model("one", "two"), include_schemas=True)
    assert body(up).count("op.create_enum('kind', ['a', 'b'], schema='app')") == 1
    _, up, down = step(engine, model("two"), include_schemas=True)
    assert body(up) == ["op.drop_table('one', schema='app')"]
    _, up, down = step(engine, model(), include_schemas=True)
    assert body(up) == ["op.drop_table('two', schema='app')",
                        "op.drop_enum('kind', schema='app', existing_values=['a', 'b'])"]
    assert user_types(engine) == []


def test_enum_renamed_in_the_model_converts_the_column(engine):
    def model(name):
        md = sa.MetaData()
        sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("k", sa.Enum("a", "b", name=name)))
        return md

    step(engine, model("kind"))
    run_rendered(engine, "op.execute(\"INSERT INTO t VALUES (1, 'b')\")")
    imports, up, down = step(engine, model("sort"))
    assert body(up) == [
        "op.create_enum('sort', ['a', 'b'])",
        "op.alter_column('t', 'k', existing_type=postgresql.ENUM('a', 'b', name='kind', "
        "create_type=False), type_=postgresql.ENUM('a', 'b', name='sort', create_type=False), "
        "existing_nullable=True, postgresql_using='k::text::sort')",
        "op.drop_enum('kind', existing_values=['a', 'b'])",
    ]
    run_rendered(engine, down, imports)
    assert compare(engine, model("kind")) == [] and user_types(engine) == [("public", "kind")]
    assert rows(engine, "SELECT k::text FROM t") == [("b",)]


def test_conflicting_declarations_and_filters(engine):
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("a", sa.Enum("x", name="dup")),
             sa.Column("b", sa.Enum("x", "y", name="dup")))
    with pytest.raises(CommandError, match=r"enum type 'public\.dup' is declared with different "
                                           r"values: \['x'\] and \['x', 'y'\]"):
        compare(engine, md)
    md = people("a", "b")
    no_enums = compare(engine, md, include_name=lambda n, t, p: t != "enum")
    assert [d[0] for d in no_enums] == ["add_table"]
    assert [d[0] for d in compare(engine, md)] == ["add_enum", "add_table"]


def test_only_compared_schemas_lose_enum_types(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TYPE app.orphan AS ENUM ('o')"))
        conn.execute(sa.text("CREATE TYPE public.orphan AS ENUM ('o')"))
    md = people("a", schema="app")  # the model reads app's enums, it does not compare app
    assert [d[0] for d in compare(engine, md)] == ["add_enum", "add_table", "remove_enum"]
    assert compare(engine, md)[2][1:3] == (None, "orphan")
    assert ("remove_enum", "app", "orphan", ("o",)) in compare(engine, md, include_schemas=True)


ENUM_LIBRARY = '''
from mig_core.operations import MigrateOperation, Operations


@Operations.register_operation("add_enum_value")
class AddEnumValueOp(MigrateOperation):
    """A library's own add_enum_value (alembic-postgresql-enum registers one)."""

    @classmethod
    def add_enum_value(cls, operations, enum_schema, enum_name, new_value):
        return None
'''


def test_enum_types_are_left_to_a_library_that_took_add_enum_value_over(engine):
    import sys
    import types

    from pg_support import PM

    from mig_core.errors import MigWarning
    from mig_core.operations import custom
    from mig_core.testing import reset_registrations

    module = types.ModuleType("enum_library_ops")
    sys.modules[module.__name__] = module
    try:
        exec(ENUM_LIBRARY, module.__dict__)
        with pytest.warns(MigWarning, match=r"op.add_enum_value is registered with "
                          r"Operations.register_operation by enum_library_ops and provided by "
                          r"plugin 'postgres' too; the register_operation one is used"):
            imports, up, down = autogenerate(engine, people("sad", "ok"))
        assert "op.create_enum" not in up and "op.drop_enum" not in down
        assert body(up)[0] == "op.create_table('person',"
    finally:
        reset_registrations(module.__name__)
        del sys.modules[module.__name__]
        custom.install(PM)
    imports, up, down = autogenerate(engine, people("sad", "ok"))  # mig-postgres's again
    assert body(up)[0] == "op.create_enum('mood', ['sad', 'ok'])"
