"""Index and unique-constraint dialect options on the real server, in both directions: each
option added, removed, changed, and unchanged (no difference). The unchanged cases run with the
core's comparison alone (mig-postgres's server probe switched off), so a false positive the
probe would hide still fails here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import mig_postgres.constraints as pg_constraints
import pytest
import sqlalchemy as sa
from pg_support import compare, reset_database, run_rendered
from runtime_support import shared_fixtures

postgres_url = shared_fixtures().postgres_url


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    reset_database(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def core_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg_constraints, "_same_index_on_server", lambda *a, **k: False)


Spec = Callable[[sa.Table], Any]


def model(index: Spec | None = None, unique: Spec | None = None) -> sa.MetaData:
    """Table ``t`` with an index / unique constraint made by ``index(t)`` / ``unique(t)``."""
    md = sa.MetaData()
    t = sa.Table(
        "t", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer),
        sa.Column("b", sa.Integer),
        sa.Column("body", sa.dialects.postgresql.JSONB),
    )
    if index is not None:
        index(t)
    if unique is not None:
        t.append_constraint(unique(t))
    return md


def kinds(diffs: list[Any]) -> list[str]:
    out = []
    for d in diffs:
        out.extend(x[0] for x in (d if isinstance(d, list) else [d]))
    return out


def ix(**kw: Any) -> Spec:
    return lambda t: sa.Index("ix_t", t.c.a, **kw)


def gin(**kw: Any) -> Spec:
    return lambda t: sa.Index("ix_t", t.c.body, **kw)


def uix(**kw: Any) -> Spec:
    return lambda t: sa.Index("ix_t", t.c.a, unique=True, **kw)


def uq(**kw: Any) -> Spec:
    return lambda t: sa.UniqueConstraint("a", "b", name="uq_t", **kw)


WHERE = {"postgresql_where": sa.text("b > 0")}
INCLUDE = {"postgresql_include": ["b"]}
GIN = {"postgresql_using": "gin"}
NND = {"postgresql_nulls_not_distinct": True}
WITH = {"postgresql_with": {"fillfactor": 70}}

# (database, model): the same index or constraint, written differently or with defaults
UNCHANGED = {
    "plain": (ix(), ix()),
    "where": (ix(**WHERE), ix(**WHERE)),
    "where as expression": (ix(**WHERE), ix(postgresql_where=sa.text("(b > 0)"))),
    "include": (ix(**INCLUDE), ix(**INCLUDE)),
    "include empty": (ix(), ix(postgresql_include=[])),
    "using gin": (gin(**GIN), gin(**GIN)),
    "using btree named": (ix(), ix(postgresql_using="btree")),
    "using BTREE in db": (ix(postgresql_using="BTREE"), ix()),
    "with": (ix(**WITH), ix(postgresql_with={"fillfactor": "70"})),
    "nulls not distinct": (uix(**NND), uix(**NND)),
    "nulls distinct spelled out": (uix(), uix(postgresql_nulls_not_distinct=False)),
    "ops": (gin(postgresql_using="gin", postgresql_ops={"body": "jsonb_path_ops"}),
            gin(postgresql_using="gin", postgresql_ops={"body": "jsonb_path_ops"})),
    "concurrently is not an option of the index": (ix(), ix(postgresql_concurrently=True)),
    "all together": (
        uix(postgresql_where=sa.text("b > 0"), postgresql_include=["b"], **NND, **WITH),
        uix(postgresql_where=sa.text("b > 0"), postgresql_include=["b"], **NND, **WITH),
    ),
}

UNCHANGED_UNIQUES = {
    "plain": (uq(), uq()),
    "nulls not distinct": (uq(**NND), uq(**NND)),
    "nulls distinct spelled out": (uq(), uq(postgresql_nulls_not_distinct=False)),
    "include": (uq(**INCLUDE), uq(**INCLUDE)),
}


@pytest.mark.parametrize("case", sorted(UNCHANGED))
def test_unchanged_index_options_give_no_difference(engine, core_only, case):
    in_db, in_model = UNCHANGED[case]
    with engine.begin() as conn:
        model(in_db).create_all(conn)
    assert compare(engine, model(in_model)) == []


@pytest.mark.parametrize("case", sorted(UNCHANGED_UNIQUES))
def test_unchanged_unique_options_give_no_difference(engine, core_only, case):
    in_db, in_model = UNCHANGED_UNIQUES[case]
    with engine.begin() as conn:
        model(unique=in_db).create_all(conn)
    assert compare(engine, model(unique=in_model)) == []


# (database, model) pairs that differ: added, removed and changed
CHANGED = {
    "where added": (ix(), ix(**WHERE)),
    "where removed": (ix(**WHERE), ix()),
    "where changed": (ix(**WHERE), ix(postgresql_where=sa.text("b > 1"))),
    "include added": (ix(), ix(**INCLUDE)),
    "include removed": (ix(**INCLUDE), ix()),
    "include changed": (ix(**INCLUDE), ix(postgresql_include=["id"])),
    "using added": (gin(), gin(**GIN)),
    "using removed": (gin(**GIN), gin()),
    "using changed": (ix(postgresql_using="hash"), ix(postgresql_using="btree")),
    "with added": (ix(), ix(**WITH)),
    "with removed": (ix(**WITH), ix()),
    "with changed": (ix(**WITH), ix(postgresql_with={"fillfactor": 80})),
    "nulls not distinct added": (uix(), uix(**NND)),
    "nulls not distinct removed": (uix(**NND), uix()),
    "nulls not distinct to False": (uix(**NND), uix(postgresql_nulls_not_distinct=False)),
    "ops added": (gin(**GIN), gin(postgresql_using="gin",
                                  postgresql_ops={"body": "jsonb_path_ops"})),
    "ops removed": (gin(postgresql_using="gin", postgresql_ops={"body": "jsonb_path_ops"}),
                    gin(**GIN)),
}

CHANGED_UNIQUES = {
    "nulls not distinct added": (uq(), uq(**NND)),
    "nulls not distinct removed": (uq(**NND), uq()),
    "nulls not distinct to False": (uq(**NND), uq(postgresql_nulls_not_distinct=False)),
    "include added": (uq(), uq(**INCLUDE)),
    "include removed": (uq(**INCLUDE), uq()),
}


@pytest.mark.parametrize("case", sorted(CHANGED))
def test_changed_index_option_is_detected_and_migrated(engine, case):
    in_db, in_model = CHANGED[case]
    with engine.begin() as conn:
        model(in_db).create_all(conn)
    target = model(in_model)
    assert kinds(compare(engine, target)) == ["remove_index", "add_index"]
    _migrate(engine, target, model(in_db))


@pytest.mark.parametrize("case", sorted(CHANGED_UNIQUES))
def test_changed_unique_option_is_detected_and_migrated(engine, case):
    in_db, in_model = CHANGED_UNIQUES[case]
    with engine.begin() as conn:
        model(unique=in_db).create_all(conn)
    target = model(unique=in_model)
    assert kinds(compare(engine, target)) == ["remove_constraint", "add_constraint"]
    _migrate(engine, target, model(unique=in_db))


def test_where_clause_as_model_expression_matches_the_server_text(engine, core_only):
    with engine.begin() as conn:
        model(ix(**WHERE)).create_all(conn)
    md = model(lambda t: sa.Index("ix_t", t.c.a, postgresql_where=t.c.b > 0))
    assert compare(engine, md) == []


def _migrate(engine: sa.Engine, target: sa.MetaData, original: sa.MetaData) -> None:
    """The rendered upgrade brings the database to ``target``, the downgrade back to
    ``original`` (the option as the database had it): nothing differs after either."""
    from pg_support import autogenerate

    imports, up, down = autogenerate(engine, target)
    run_rendered(engine, up, imports)
    assert compare(engine, target) == []
    run_rendered(engine, down, imports)
    assert compare(engine, original) == []
