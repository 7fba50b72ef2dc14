"""The downgrade of an index change re-creates the database's index with its sort order
(issue 6). On SQLite, whose reflection has no sort order, it comes from the impl's
``index_sorting()`` (``PRAGMA index_xinfo``); the re-created index is built from the reflected
record by ``snapshot.sorted_index``, checked here also on a PostgreSQL-shaped record (expressions with
``column_sorting``) without a server."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from mig_core.autogenerate.compare_constraints import compare_indexes_and_uniques
from mig_core.autogenerate.context import CompareContext
from mig_core.autogenerate.snapshot import ReflectedTable
from mig_core.operations.ops import CreateIndexOp, DropIndexOp
from mig_core.runtime.migration import MigrationContext
from tests.autogen_helpers import diffs, migrate, run_code


@pytest.fixture(params=["file", "memory"])
def engine(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[sa.Engine]:
    if request.param == "file":
        eng = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    else:
        eng = sa.create_engine("sqlite://", poolclass=StaticPool)
    yield eng
    eng.dispose()


def model(index: Callable[[sa.Table], Any] | None) -> sa.MetaData:
    md = sa.MetaData()
    t = sa.Table(
        "t", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer),
        sa.Column("b", sa.Integer),
        sa.Column("order", sa.Integer),
    )
    if index is not None:
        index(t)
    return md


def index_sql(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
        )]


CASES = [
    ("(a)", lambda t: sa.Index("ix", t.c.a.desc()), "['a']"),
    ("(a DESC)", lambda t: sa.Index("ix", t.c.a), "'a DESC'"),
    ('(b, "order" DESC)', lambda t: sa.Index("ix", t.c.b, t.c.order), "'\"order\" DESC'"),
    ("(a DESC, b DESC)", None, "'a DESC'"),
]


@pytest.mark.parametrize(("in_db", "in_model", "expected"), CASES,
                         ids=[c[0] + (" dropped" if c[1] is None else "") for c in CASES])
@pytest.mark.parametrize("batch", [False, True], ids=["op", "batch"])
def test_sqlite_downgrade_restores_the_sort_order(
    engine: sa.Engine, in_db: str, in_model: Any, expected: str, batch: bool
) -> None:
    with engine.begin() as conn:
        model(None).create_all(conn)
        conn.exec_driver_sql(f"CREATE INDEX ix ON t {in_db}")
    before = index_sql(engine)
    new_model = model(in_model)
    up, down = migrate(engine, new_model, render_as_batch=batch)
    assert expected in down.split("create_index(")[1], down
    assert diffs(engine, new_model) == []
    run_code(engine, down)
    assert index_sql(engine) == before


# --- the re-created index from a reflected record, no server -----------------------------------


def _compare_context(dialect_name: str) -> CompareContext:
    mc = MigrationContext.configure(
        dialect_name=dialect_name, opts={"as_sql": True, "output_buffer": io.StringIO()}
    )
    mc.connection = object()  # type: ignore[assignment]  # nothing is read from it here
    return CompareContext(mc)


def _reflected(record: dict[str, Any]) -> ReflectedTable:
    table = ReflectedTable("t", None)
    table.raw_columns = [
        {"name": n, "type": t, "nullable": True, "default": None, "autoincrement": False}
        for n, t in (("a", sa.INTEGER()), ("name", sa.TEXT()))
    ]
    table.indexes = [record]
    return table


def _downgrade_index_sql(dialect_name: str, record: dict[str, Any], meta: sa.MetaData) -> str:
    """The CREATE INDEX the downgrade runs to put the reflected index back."""
    ctx = _compare_context(dialect_name)
    drops, adds = compare_indexes_and_uniques(ctx, None, _reflected(record), meta.tables["t"])
    assert [type(op) for op in drops] == [DropIndexOp]
    assert [type(op) for op in adds] == [CreateIndexOp]
    back = drops[0].reverse()
    return str(sa.schema.CreateIndex(back.to_index()).compile(dialect=ctx.dialect))


def _plain_model() -> sa.MetaData:
    md = sa.MetaData()
    t = sa.Table("t", md, sa.Column("a", sa.Integer), sa.Column("name", sa.Text))
    sa.Index("ix", t.c.a)
    return md


def test_postgresql_record_with_sorted_expressions() -> None:
    record = {
        "name": "ix", "unique": False, "column_names": ["a", None],
        "expressions": ["a", "lower(name)"],
        "column_sorting": {"a": ("nulls_first",), "lower(name)": ("desc", "nulls_last")},
        "dialect_options": {"postgresql_include": []},
    }
    sql = _downgrade_index_sql("postgresql", record, _plain_model())
    assert sql == "CREATE INDEX ix ON t (a NULLS FIRST, lower(name) DESC NULLS LAST)"
