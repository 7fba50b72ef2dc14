"""The model side of index comparison: the quick signature of a plain column element is the one
the general path gives, on dialects that reflect sort order and on those that do not."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import quoted_name

from mig_core.autogenerate.compare_constraints import _element_signature, _meta_index_signature


def indexes() -> list[sa.Index]:
    md = sa.MetaData()
    t = sa.Table(
        "t", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("Mixed", sa.Integer),
        sa.Column(quoted_name("Quoted", quote=True), sa.Integer),
        sa.Column("code", sa.String(20), key="code_key"),
        sa.Column("n", sa.Integer),
    )
    return [
        sa.Index("ix_plain", t.c.id, t.c.Mixed, t.c.Quoted, t.c.code_key),
        sa.Index("ix_sorted", t.c.n.desc(), t.c.Mixed.asc().nulls_last(), t.c.id),
        sa.Index("ix_expr", sa.func.lower(t.c.code_key), t.c.n + 1, sa.text("n * 2")),
        sa.Index("ix_loose", sa.column("n"), t.c.id),  # a column object of no table
    ]


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()],
                         ids=["sort order reflected", "sort order not reflected"])
def test_quick_signature_is_the_general_one(dialect: sa.engine.Dialect) -> None:
    sorting = dialect.name == "postgresql"
    ctx = SimpleNamespace(impl=SimpleNamespace(index_sorting_reflected=sorting), dialect=dialect)
    for index in indexes():
        general = tuple(_element_signature(ctx, index, e, sorting) for e in index.expressions)
        assert _meta_index_signature(ctx, index) == general, index.name
    plain = _meta_index_signature(ctx, indexes()[0])
    assert plain == ("id", "mixed", "quoted", "code")


def test_reflected_signature_with_and_without_column_sorting():
    """Unsorted columns are their lower-cased names (a quoted name too); sorted ones carry
    their order, as the model's side spells it."""
    from sqlalchemy.sql.elements import quoted_name

    from mig_core.autogenerate.compare_constraints import _conn_index_signature

    plain = {"column_names": ["A", quoted_name("Bb", True)]}
    assert _conn_index_signature(plain) == ("a", "bb")
    assert _conn_index_signature({**plain, "column_sorting": {}}) == ("a", "bb")
    assert _conn_index_signature(
        {**plain, "column_sorting": {"A": ("desc",), "Bb": ("nulls_first",)}}
    ) == ("a desc", "bb nulls first")
