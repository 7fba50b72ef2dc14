"""include_object called as Alembic calls it: what it is offered, when, and with which objects.

Alembic asks about a table both sides have once (the model's, ``compare_to`` the reflected one),
and about an index, unique constraint or foreign key only when it is added, dropped or changed;
a reflected object is a SQLAlchemy object. Filters written for that (the "leave what only the
database has alone" recipe, ``object.info`` lookups) must behave the same on mig.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.autogen_helpers import diffs, flat, setup


@pytest.fixture
def engine(sqlite_url: str) -> Any:
    eng = sa.create_engine(sqlite_url)
    yield eng
    eng.dispose()


def _tables(md: sa.MetaData, *extra: Any, a_type: Any = sa.Integer) -> None:
    sa.Table("p", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "t", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", a_type),
        sa.Column("pid", sa.Integer, sa.ForeignKey("p.id", name="fk_t_p")),
        sa.Index("ix_t_a", "a"), sa.UniqueConstraint("a", "id", name="uq_t_a"), *extra,
    )


def test_leaving_database_only_objects_alone_reports_no_kept_object(engine: Any) -> None:
    # the common recipe: never drop what only the database has. The model's index, unique
    # constraint and foreign key exist unchanged in the database, so nothing is reported
    db, model = sa.MetaData(), sa.MetaData()
    _tables(db, sa.Column("legacy", sa.Integer), sa.Index("ix_db_only", "id"))
    _tables(model)
    sa.Table("old_table", db, sa.Column("id", sa.Integer, primary_key=True))
    setup(engine, db)

    def include_object(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        return not (reflected and compare_to is None)

    assert diffs(engine, model, include_object=include_object) == []


def test_reflected_objects_are_sqlalchemy_objects(engine: Any) -> None:
    db, model = sa.MetaData(), sa.MetaData()
    _tables(db, sa.Column("legacy", sa.Integer))
    sa.Table("old_table", db, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("p", model, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("t", model, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer),
             sa.Column("pid", sa.Integer))
    setup(engine, db)
    offered: dict[str, Any] = {}

    def include_object(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        if reflected:
            assert obj.info == {}  # what `object.info.get(...)` filters read
            offered[type_] = obj
        return True

    assert sorted(d[0] for d in flat(diffs(engine, model, include_object=include_object))) == [
        "remove_column", "remove_constraint", "remove_fk", "remove_index", "remove_table",
    ]
    assert isinstance(offered["table"], sa.Table) and offered["table"].name == "old_table"
    assert isinstance(offered["column"], sa.Column) and offered["column"].table.name == "t"
    assert isinstance(offered["index"], sa.Index) and offered["index"].name == "ix_t_a"
    assert isinstance(offered["unique_constraint"], sa.UniqueConstraint)
    assert offered["unique_constraint"].name == "uq_t_a"
    assert isinstance(offered["foreign_key_constraint"], sa.ForeignKeyConstraint)
    assert offered["foreign_key_constraint"].name == "fk_t_p"


def test_what_is_offered_and_when(engine: Any) -> None:
    db, model = sa.MetaData(), sa.MetaData()
    _tables(db)
    _tables(model, sa.Index("ix_t_pid", "pid"))
    model.tables["t"].indexes.discard(next(i for i in model.tables["t"].indexes
                                           if i.name == "ix_t_a"))
    sa.Index("ix_t_a", model.tables["t"].c.a, model.tables["t"].c.id)  # changed columns
    sa.Table("fresh", model, sa.Column("id", sa.Integer, primary_key=True))
    setup(engine, db)
    calls: list[tuple[Any, ...]] = []

    def include_object(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ != "column":
            calls.append((type(obj).__name__, name, type_, reflected,
                          None if compare_to is None else type(compare_to).__name__))
        return True

    assert [d[0] for d in flat(diffs(engine, model, include_object=include_object))] == [
        "add_table", "remove_index", "add_index", "add_index",
    ]
    # kept tables once each, with the reflected table as compare_to; the unchanged unique
    # constraint and foreign key not at all; the changed index once, with the reflected one
    assert sorted(calls, key=repr) == sorted([
        ("Table", "p", "table", False, "ReflectedTable"),
        ("Table", "t", "table", False, "ReflectedTable"),
        ("Table", "fresh", "table", False, None),
        ("Index", "ix_t_a", "index", False, "Index"),
        ("Index", "ix_t_pid", "index", False, None),
    ], key=repr)


def test_refusing_a_kept_table_neither_drops_nor_creates_it(engine: Any) -> None:
    db, model = sa.MetaData(), sa.MetaData()
    _tables(db)
    _tables(model, a_type=sa.String(20))
    setup(engine, db)

    def include_object(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        # Alembic offers a kept table once, as the model's: refusing it skips the table
        return not (type_ == "table" and name == "t" and not reflected)

    assert diffs(engine, model, include_object=include_object) == []


def test_a_changed_foreign_key_is_offered_from_both_sides(engine: Any) -> None:
    db, model = sa.MetaData(), sa.MetaData()
    _tables(db)
    sa.Table("p", model, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("t", model, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer),
             sa.Column("pid", sa.Integer, sa.ForeignKey("p.id", name="fk_t_p", ondelete="CASCADE")),
             sa.Index("ix_t_a", "a"), sa.UniqueConstraint("a", "id", name="uq_t_a"))
    setup(engine, db)
    calls: list[tuple[Any, ...]] = []

    def include_object(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "foreign_key_constraint":
            calls.append((name, reflected, type(compare_to).__name__, obj.ondelete))
        return True

    assert [d[0] for d in flat(diffs(engine, model, include_object=include_object))] == [
        "remove_fk", "add_fk",
    ]
    assert calls == [("fk_t_p", True, "ForeignKeyConstraint", None),
                     ("fk_t_p", False, "ForeignKeyConstraint", "CASCADE")]


def test_the_recipe_on_postgresql_across_schemas(postgres_url: str) -> None:
    """PostgreSQL reports a unique constraint as an index too, expression and partial
    indexes, and a foreign key into another schema: none is re-added under the recipe."""
    from tests.autogen_helpers import reset

    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)

    def make(md: sa.MetaData) -> None:
        sa.Table("p", md, sa.Column("id", sa.Integer, primary_key=True), schema="other")
        sa.Table(
            "t", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.String(5)),
            sa.Column("pid", sa.Integer,
                      sa.ForeignKey("other.p.id", name="fk_t_p", ondelete="CASCADE")),
            sa.UniqueConstraint("a", name="uq_t_a"),
            sa.Index("ix_t_a_lower", sa.func.lower(sa.text("a"))),
            sa.Index("ix_t_pid", "pid", postgresql_where=sa.text("pid > 0")),
        )

    db, model = sa.MetaData(), sa.MetaData()
    make(db)
    make(model)
    try:
        setup(engine, db)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE INDEX ix_db_only ON t (a)")

        def include_object(obj: Any, name: Any, type_: str, reflected: bool,
                           compare_to: Any) -> bool:
            return not (reflected and compare_to is None)

        assert diffs(engine, model, include_schemas=True, include_object=include_object) == []
        assert [d[0] for d in flat(diffs(engine, model, include_schemas=True))] == [
            "remove_index"]
    finally:
        reset(engine)
        engine.dispose()
