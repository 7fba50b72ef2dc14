"""Oracle index comparison against records shaped like SQLAlchemy's oracle
``get_multi_indexes`` (issue 6); there is no server here.

* A DESC column is reflected as the expression ``'"A"'`` with
  ``column_sorting={'"A"': ("desc",)}`` (``column_names`` holds None for it), a DESC
  function-based index as its expression text with the same sorting. The downgrade of a
  change re-creates the index with its DESC.
* ``oracle_compress`` is reflected as the stored prefix length (``ALL_INDEXES.PREFIX_LENGTH``)
  when compression is enabled, absent when not. ``oracle_compress=True`` in the model means
  Oracle's default length: every column of a non-unique index, all but one of a unique one.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from oracle_support import plugin_manager

from mig_core.autogenerate.api import render_python_code
from mig_core.autogenerate.compare_constraints import compare_indexes_and_uniques
from mig_core.autogenerate.context import CompareContext
from mig_core.autogenerate.snapshot import ReflectedTable
from mig_core.operations import ops
from mig_core.runtime.migration import MigrationContext


def _migration_context() -> MigrationContext:
    return MigrationContext.configure(
        dialect_name="oracle",
        opts={"as_sql": True, "output_buffer": io.StringIO()},
        plugin_manager=plugin_manager(),
    )


def _compare(record: dict[str, Any] | None, index: Any) -> tuple[list[Any], list[Any]]:
    """(drops, adds) of the model table ``t`` (a, b, name) with ``index(t)`` against a reflected
    ``t`` holding the index ``record``."""
    md = sa.MetaData()
    t = sa.Table("t", md, sa.Column("a", sa.Integer), sa.Column("b", sa.Integer),
                 sa.Column("name", sa.String(20)))
    if index is not None:
        index(t)
    conn = ReflectedTable("t", None)
    conn.raw_columns = [
        {"name": n, "type": typ, "nullable": True, "default": None, "autoincrement": False}
        for n, typ in (("a", sa.INTEGER()), ("b", sa.INTEGER()), ("name", sa.VARCHAR(20)))
    ]
    conn.indexes = [record] if record is not None else []
    mc = _migration_context()
    mc.connection = object()  # type: ignore[assignment]  # comparison reads no rows here
    return compare_indexes_and_uniques(CompareContext(mc), None, conn, t)


def _record(column_names: list[str | None], expressions: list[str] | None = None,
            desc: tuple[str, ...] = (), unique: bool = False,
            compress: int | None = None) -> dict[str, Any]:
    """An index record as SQLAlchemy's oracle dialect builds it."""
    record: dict[str, Any] = {"name": "ix", "column_names": column_names,
                              "dialect_options": {}, "unique": unique}
    if compress is not None:
        record["dialect_options"]["oracle_compress"] = compress
    if expressions is not None:
        record["expressions"] = expressions
    if desc:
        record["column_sorting"] = {e: ("desc",) for e in desc}
    return record


def _recreated(drops: list[Any]) -> tuple[str, str]:
    """(CREATE INDEX, rendered op) the downgrade puts the reflected index back with."""
    assert [type(op) for op in drops] == [ops.DropIndexOp]
    back = drops[0].reverse()
    mc = _migration_context()
    sql = str(sa.schema.CreateIndex(back.to_index()).compile(dialect=mc.dialect))
    rendered = render_python_code(
        ops.UpgradeOps([ops.ModifyTableOps("t", [back])]), migration_context=mc,
        plugin_manager=plugin_manager(),
    )
    return sql, rendered


# --- the downgrade keeps DESC ------------------------------------------------------------------

DESC_A = _record([None], ['"A"'], desc=('"A"',))
DESC_A_B = _record([None, "b"], ['"A"', "b"], desc=('"A"',))
DESC_LOWER = _record([None], ['LOWER("NAME")'], desc=('LOWER("NAME")',))


@pytest.mark.parametrize(
    ("record", "model", "sql", "rendered"),
    [
        (DESC_A, lambda t: sa.Index("ix", t.c.a), "CREATE INDEX ix ON t (a DESC)",
         "[sa.literal_column('a DESC')]"),
        (DESC_A_B, lambda t: sa.Index("ix", t.c.a, t.c.b), "CREATE INDEX ix ON t (a DESC, b)",
         "[sa.literal_column('a DESC'), 'b']"),
        (DESC_LOWER, lambda t: sa.Index("ix", sa.func.lower(t.c.name)),
         'CREATE INDEX ix ON t (LOWER("NAME") DESC)',
         """[sa.literal_column('LOWER("NAME") DESC')]"""),
        # not in the model: the downgrade re-creates it
        (DESC_A_B, None, "CREATE INDEX ix ON t (a DESC, b)",
         "[sa.literal_column('a DESC'), 'b']"),
    ],
)
def test_downgrade_recreates_desc(record: dict[str, Any], model: Any, sql: str,
                                  rendered: str) -> None:
    drops, adds = _compare(dict(record), model)
    assert len(adds) == (0 if model is None else 1)
    got_sql, got_rendered = _recreated(drops)
    assert got_sql == sql
    assert rendered in got_rendered, got_rendered


def test_unchanged_desc_index_is_no_difference() -> None:
    assert _compare(dict(DESC_A_B), lambda t: sa.Index("ix", t.c.a.desc(), t.c.b)) == ([], [])
    assert _compare(dict(DESC_LOWER),
                    lambda t: sa.Index("ix", sa.func.lower(t.c.name).desc())) == ([], [])


# --- oracle_compress -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reflected", "unique", "columns", "model"),
    [
        (2, False, ["a", "b"], True),  # COMPRESS: every column of a non-unique index
        (1, True, ["a", "b"], True),  # ... all but the last of a unique one
        (1, False, ["a"], True),
        (1, False, ["a", "b"], 1),
        (2, False, ["a", "b"], 2),
        (None, False, ["a"], False),
        (None, False, ["a"], None),
    ],
)
def test_same_compression_is_no_difference(reflected: int | None, unique: bool,
                                           columns: list[str], model: Any) -> None:
    kw = {} if model is None else {"oracle_compress": model}
    index = lambda t: sa.Index("ix", *[t.c[c] for c in columns], unique=unique, **kw)  # noqa: E731
    assert _compare(_record(list(columns), unique=unique, compress=reflected), index) == ([], [])


@pytest.mark.parametrize(
    ("reflected", "unique", "columns", "model"),
    [
        (1, False, ["a", "b"], True),  # COMPRESS would be 2
        (2, True, ["a", "b"], True),  # ... would be 1 on a unique index
        (2, False, ["a", "b"], 1),
        (1, False, ["a", "b"], 2),
        (None, False, ["a"], True),  # compression added
        (1, False, ["a"], None),  # compression removed
        (1, False, ["a"], False),
    ],
)
def test_changed_compression_is_a_difference(reflected: int | None, unique: bool,
                                             columns: list[str], model: Any) -> None:
    kw = {} if model is None else {"oracle_compress": model}
    index = lambda t: sa.Index("ix", *[t.c[c] for c in columns], unique=unique, **kw)  # noqa: E731
    drops, adds = _compare(_record(list(columns), unique=unique, compress=reflected), index)
    assert len(drops) == len(adds) == 1
