"""The downgrade of an index change re-creates the database's old index as it was: DESC and
NULLS FIRST / LAST of columns and of expressions survive (issue 6). Each case autogenerates
against the real server, runs the upgrade, then the downgrade, and compares
``pg_get_indexdef`` with the original definition."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from pg_support import autogenerate, compare, reset_database, run_rendered, scalar
from runtime_support import shared_fixtures

postgres_url = shared_fixtures().postgres_url


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    reset_database(eng)
    yield eng
    eng.dispose()


def model(index: Callable[[sa.Table], Any] | None) -> sa.MetaData:
    md = sa.MetaData()
    t = sa.Table(
        "t", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer),
        sa.Column("b", sa.Integer),
        sa.Column("name", sa.Text),
    )
    if index is not None:
        index(t)
    return md


def indexdef(engine: sa.Engine) -> str | None:
    return scalar(  # type: ignore[no-any-return]
        engine,
        "SELECT pg_get_indexdef(c.oid) FROM pg_class c "
        "WHERE c.relname = 'ix' AND c.relkind = 'i'",
    )


CASES = [
    # (index in the database, index in the model, text the downgrade re-creates it with)
    ("(a)", lambda t: sa.Index("ix", t.c.a.desc()), "['a']"),
    ("(a DESC)", lambda t: sa.Index("ix", t.c.a), "'a DESC'"),
    ("(a NULLS FIRST)", lambda t: sa.Index("ix", t.c.a), "'a NULLS FIRST'"),
    ("(a DESC NULLS LAST, b)", lambda t: sa.Index("ix", t.c.a.desc(), t.c.b), "'a DESC NULLS LAST'"),
    ("(lower(name) DESC)", lambda t: sa.Index("ix", sa.func.lower(t.c.name)),
     "'lower(name) DESC'"),
    ("(lower(name))", lambda t: sa.Index("ix", sa.func.lower(t.c.name).desc()),
     "'lower(name)'"),
    ("(lower(name) NULLS FIRST)", lambda t: sa.Index("ix", sa.func.lower(t.c.name)),
     "'lower(name) NULLS FIRST'"),
    ("(a NULLS FIRST, lower(name))", lambda t: sa.Index("ix", t.c.a, sa.func.lower(t.c.name)),
     "'a NULLS FIRST'"),
    ("(b, lower(name) DESC NULLS LAST)",
     lambda t: sa.Index("ix", t.c.b, sa.func.lower(t.c.name).desc()),
     "'lower(name) DESC NULLS LAST'"),
    # not in the model at all: the downgrade re-creates it
    ("(lower(name) DESC, a DESC)", None, "'lower(name) DESC'"),
]


@pytest.mark.parametrize(("in_db", "in_model", "expected"), CASES,
                         ids=[c[0] + (" dropped" if c[1] is None else "") for c in CASES])
def test_downgrade_restores_the_sort_order(
    engine: sa.Engine, in_db: str, in_model: Any, expected: str
) -> None:
    with engine.begin() as conn:
        model(None).create_all(conn)
        conn.execute(sa.text(f"CREATE INDEX ix ON t {in_db}"))
    before = indexdef(engine)
    new_model = model(in_model)
    imports, up, down = autogenerate(engine, new_model)
    assert "op.drop_index(op.f('ix')" in up
    assert expected in down.split("op.create_index(")[1], down
    run_rendered(engine, up, imports)
    assert compare(engine, new_model) == []
    run_rendered(engine, down, imports)
    assert indexdef(engine) == before


def test_unique_sorted_expression_index_round_trips(engine: sa.Engine) -> None:
    """A unique index, with a sorted expression, replaced by a plain one and put back."""
    with engine.begin() as conn:
        model(None).create_all(conn)
        conn.execute(sa.text("CREATE UNIQUE INDEX ix ON t (lower(name) DESC NULLS LAST, b)"))
    before = indexdef(engine)
    imports, up, down = autogenerate(engine, model(lambda t: sa.Index("ix", t.c.b, unique=True)))
    assert "'lower(name) DESC NULLS LAST'" in down
    assert "unique=True" in down
    run_rendered(engine, up, imports)
    run_rendered(engine, down, imports)
    assert indexdef(engine) == before
