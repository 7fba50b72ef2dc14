"""``mssql_where`` of a filtered index against what SQL Server reflects (issue 6).

SQLAlchemy's mssql dialect puts ``sys.indexes.filter_definition`` into
``dialect_options["mssql_where"]``: the server's own text, such as ``([a]>(1))``. There is no
server here, so the reflected records are written in that shape and compared with the model
through the core's index comparison and the plugin's impl: an unchanged filter is no
difference, a changed, added or removed one is.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from mig_mssql.compare import normalize_filter
from mssql_tsql import plugin_manager

from mig_core.autogenerate.compare_constraints import compare_indexes_and_uniques
from mig_core.autogenerate.context import CompareContext
from mig_core.autogenerate.snapshot import ReflectedTable
from mig_core.runtime.migration import MigrationContext


def _compare_context() -> CompareContext:
    mc = MigrationContext.configure(
        dialect_name="mssql",
        opts={"as_sql": True, "output_buffer": io.StringIO()},
        plugin_manager=plugin_manager(),
    )
    mc.connection = object()  # type: ignore[assignment]  # comparison reads no rows here
    return CompareContext(mc)


def _record(where: str | None, unique: bool = False) -> dict[str, Any]:
    """An index record as SQLAlchemy's mssql ``get_multi_indexes`` returns it."""
    options: dict[str, Any] = {"mssql_include": [], "mssql_clustered": False}
    if where is not None:
        options["mssql_where"] = where
    return {"name": "ix", "unique": unique, "column_names": ["a"], "dialect_options": options}


def _differs(record: dict[str, Any], where: Any, unique: bool = False) -> bool:
    md = sa.MetaData()
    t = sa.Table(
        "t", md, sa.Column("a", sa.Integer), sa.Column("b", sa.Integer),
        sa.Column("name", sa.Unicode(20)),
    )
    kw = {} if where is None else {"mssql_where": where(t) if callable(where) else where}
    sa.Index("ix", t.c.a, unique=unique, **kw)
    conn = ReflectedTable("t", None)
    conn.raw_columns = [
        {"name": n, "type": sa.INTEGER(), "nullable": True, "default": None,
         "autoincrement": False} for n in ("a", "b")
    ]
    conn.indexes = [record]
    drops, adds = compare_indexes_and_uniques(_compare_context(), None, conn, t)
    assert len(drops) == len(adds)
    return bool(drops)


@pytest.mark.parametrize(
    ("reflected", "model"),
    [
        ("([a]>(1))", sa.text("a > 1")),
        ("([a]>(1))", "a>1"),
        ("([a]>(1))", lambda t: t.c.a > 1),
        ("([a]>(1))", sa.text("A > 1")),
        ("([a]>(1) AND [b]<(5))", sa.text("(a > 1) AND (b < 5)")),
        ("([b] IS NOT NULL)", lambda t: t.c.b.isnot(None)),
        ("([a]<>(0))", sa.text("a != 0")),
        ("([name]=N'x')", sa.text("name = 'x'")),
        ("([name]=N'x')", lambda t: t.c.name == "x"),
        (None, None),
    ],
)
def test_unchanged_filter_is_no_difference(reflected: str | None, model: Any) -> None:
    assert not _differs(_record(reflected), model)
    assert not _differs(_record(reflected, unique=True), model, unique=True)


@pytest.mark.parametrize(
    ("reflected", "model"),
    [
        ("([a]>(1))", sa.text("a > 2")),
        ("([a]>(1))", lambda t: t.c.b > 1),
        ("([a]>(1))", sa.text("a >= 1")),
        ("([name]=N'x')", sa.text("name = 'y'")),
        ("([a]>(1))", None),  # the filter removed
        (None, sa.text("a > 1")),  # a filter added
    ],
)
def test_changed_filter_is_a_difference(reflected: str | None, model: Any) -> None:
    assert _differs(_record(reflected), model)


def test_normalize_filter_spellings() -> None:
    assert normalize_filter("([a]>(1))") == normalize_filter("a > 1") == "a>1"
    assert normalize_filter("([Odd]]Name] IS NULL)") == "odd]nameisnull"
    # a literal 'N' is not an N prefix
    assert normalize_filter("([c]='N')") != normalize_filter("c = ''")


@pytest.mark.parametrize(
    ("reflected", "model"),
    [
        ("([a]=(1) OR [a]=(2))", "a IN (1, 2)"),
        ("([status]='new' OR [status]='it''s, ok')", "status in ('new', 'it''s, ok')"),
        ("([b c]<>(1) AND [b c]<>(2))", "[b c] NOT IN (1,2)"),
        ("(([a]=(1) OR [a]=(2)) AND [b]>(1))", "a IN (1, 2) AND b > 1"),
        ("([kind]=N'x')", "kind IN (N'x')"),
    ],
)
def test_an_in_list_equals_the_ors_sql_server_stores(reflected: str, model: str) -> None:
    """SQL Server keeps a filter's ``IN (...)`` as ORed comparisons (``NOT IN``: ANDed ``<>``);
    the model's IN list is not a change on every run."""
    assert normalize_filter(reflected) == normalize_filter(model)
    assert not _differs(_record(reflected), sa.text(model))


@pytest.mark.parametrize(
    ("reflected", "model"),
    [
        ("([a]=(1) OR [a]=(2))", "a IN (1, 3)"),
        ("([a]=(1) OR [a]=(2))", "a NOT IN (1, 2)"),
        ("([a]=(1) OR [a]=(2))", "a IN (1, 2, 3)"),
    ],
)
def test_a_changed_in_list_is_a_difference(reflected: str, model: str) -> None:
    assert _differs(_record(reflected), sa.text(model))
