"""How often, and with what, include_name / include_object are called (issue 6).

A filter is often written to log or count what it sees; Alembic offers each object once, so mig
must too, plugins included: mig-postgres compares enum types and sequences after the tables and
reuses the core's verdict on each table instead of asking the filters again.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.autogenerate.snapshot import ReflectedTable
from tests.autogen_helpers import diffs, flat, setup

Call = tuple[Any, ...]


class Recorder:
    """``include_name`` / ``include_object`` that record every call and keep everything, except
    the tables named in ``refuse`` (refused by ``include_object``)."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.names: list[Call] = []
        self.objects: list[Call] = []
        self.refuse = refuse

    def include_name(self, name: Any, type_: str, parent_names: dict[str, Any]) -> bool:
        self.names.append((type_, name, dict(parent_names)))
        return True

    def include_object(
        self, obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        self.objects.append((type_, name, reflected, compare_to, obj))
        return not (type_ == "table" and name in self.refuse)

    def opts(self) -> dict[str, Any]:
        return {"include_name": self.include_name, "include_object": self.include_object}

    def table_names(self) -> Counter[str]:
        return Counter(str(name) for type_, name, _ in self.names if type_ == "table")

    def table_objects(self) -> dict[str, list[Call]]:
        out: dict[str, list[Call]] = {}
        for type_, name, reflected, compare_to, obj in self.objects:
            if type_ == "table":
                out.setdefault(str(name), []).append((reflected, compare_to, obj))
        return out


def _enum() -> sa.Enum:
    return sa.Enum("x", "y", name="mood")


@pytest.mark.postgres
def test_each_table_is_offered_once_to_each_filter_on_postgresql(postgres_engine: Any) -> None:
    # tables both sides have (one using an enum type), one only the model has (an enum column
    # and a sequence: mig-postgres compares both), one only the database has
    db, model = sa.MetaData(), sa.MetaData()
    for md in (db, model):
        sa.Table("p", md, sa.Column("id", sa.Integer, primary_key=True))
        sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("mood", _enum()))
    sa.Table("old_t", db, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("new_t", model, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("mood", _enum()), sa.Column("n", sa.Integer, sa.Sequence("new_t_n_seq")))
    setup(postgres_engine, db)
    rec = Recorder()
    kinds = [d[0] for d in flat(diffs(postgres_engine, model, **rec.opts()))]
    assert sorted(kinds) == ["add_sequence", "add_table", "remove_table"]
    assert rec.table_names() == {"p": 1, "t": 1, "new_t": 1, "old_t": 1}
    offered = rec.table_objects()
    assert sorted(offered) == ["new_t", "old_t", "p", "t"]
    assert all(len(calls) == 1 for calls in offered.values()), offered
    for name in ("p", "t"):  # the model's table, the reflected one as compare_to
        ((reflected, compare_to, obj),) = offered[name]
        assert not reflected and obj is model.tables[name]
        assert isinstance(compare_to, ReflectedTable) and compare_to.name == name
    ((reflected, compare_to, obj),) = offered["new_t"]
    assert (reflected, compare_to, obj) == (False, None, model.tables["new_t"])
    ((reflected, compare_to, obj),) = offered["old_t"]
    assert reflected and compare_to is None and isinstance(obj, sa.Table)


@pytest.mark.postgres
def test_a_refused_table_keeps_its_enum_type_and_sequence(postgres_engine: Any) -> None:
    # the database's "legacy" table uses an enum type and a sequence the model does not have;
    # include_object refuses the table, so it stays, and so must the type and the sequence
    # (dropping them would fail: the table still uses them)
    setup(postgres_engine, None)
    with postgres_engine.begin() as conn:
        conn.execute(sa.text("CREATE TYPE old_mood AS ENUM ('a', 'b')"))
        conn.execute(sa.text("CREATE SEQUENCE old_seq"))
        conn.execute(sa.text(
            "CREATE TABLE legacy (id integer PRIMARY KEY, mood old_mood, "
            "n integer DEFAULT nextval('old_seq'))"
        ))
    model = sa.MetaData()
    sa.Table("p", model, sa.Column("id", sa.Integer, primary_key=True))
    rec = Recorder(refuse=("legacy",))
    assert [d[0] for d in flat(diffs(postgres_engine, model, **rec.opts()))] == ["add_table"]
    assert rec.table_names() == {"p": 1, "legacy": 1}
    # without the refusal both go with the table
    kinds = sorted(d[0] for d in flat(diffs(postgres_engine, model, **Recorder().opts())))
    assert kinds == ["add_table", "remove_enum", "remove_sequence", "remove_table"]


def test_a_table_refused_by_include_name_is_offered_once(sqlite_url: str) -> None:
    # the database's table and the model's of the same name are one name: asked once
    engine = sa.create_engine(sqlite_url)
    md = sa.MetaData()
    sa.Table("hidden", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("shown", md, sa.Column("id", sa.Integer, primary_key=True))
    setup(engine, md)
    seen: list[Any] = []

    def include_name(name: Any, type_: str, parent_names: dict[str, Any]) -> bool:
        seen.append((type_, name))
        return name != "hidden"

    assert diffs(engine, md, include_name=include_name) == []
    assert Counter(n for t, n in seen if t == "table") == {"hidden": 1, "shown": 1}
    engine.dispose()
