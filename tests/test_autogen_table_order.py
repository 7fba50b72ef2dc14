"""New tables are created in SQLAlchemy's ``sort_tables`` order, computed in linear time."""

from __future__ import annotations

import random
import warnings

import pytest
import sqlalchemy as sa

from mig_core.autogenerate import table_order
from mig_core.autogenerate.table_order import creation_order


def _random_model(seed: int, count: int) -> list[sa.Table]:
    rng = random.Random(seed)
    md = sa.MetaData()
    tables: list[sa.Table] = []
    for i in range(count):
        columns: list[sa.Column[int]] = [sa.Column("id", sa.Integer, primary_key=True)]
        # refer to earlier tables (a DAG), sometimes twice to the same one, sometimes itself
        for k in range(rng.randint(0, 3)):
            if tables and rng.random() < 0.8:
                target = rng.choice(tables).name
            else:
                target = f"t{i}"
            columns.append(sa.Column(f"r{k}", sa.ForeignKey(f"{target}.id")))
        tables.append(sa.Table(f"t{i}", md, *columns))
    shuffled = tables[:]
    rng.shuffle(shuffled)  # the input order decides ties; it must be kept as SQLAlchemy does
    return shuffled


@pytest.mark.parametrize("seed", range(12))
def test_same_order_as_sqlalchemy(seed: int) -> None:
    tables = _random_model(seed, 60)
    assert table_order._plain_order(tables) is not None  # the fast path is what is compared
    assert [t.name for t in creation_order(tables)] == [
        t.name for t in sa.sql.ddl.sort_tables(tables)
    ]


def test_subset_ignores_tables_outside_it() -> None:
    tables = _random_model(99, 40)
    subset = tables[::3]
    assert [t.name for t in creation_order(subset)] == [
        t.name for t in sa.sql.ddl.sort_tables(subset)
    ]


def test_long_chain_is_ordered_parent_first() -> None:
    md = sa.MetaData()
    chain = [sa.Table("c0", md, sa.Column("id", sa.Integer, primary_key=True))]
    for i in range(1, 3000):
        chain.append(sa.Table(
            f"c{i}", md, sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("up", sa.ForeignKey(f"c{i - 1}.id")),
        ))
    assert creation_order(list(reversed(chain))) == chain


def test_cycle_is_left_to_sqlalchemy() -> None:
    md = sa.MetaData()
    a = sa.Table("a", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("b_id", sa.ForeignKey("b.id")))
    b = sa.Table("b", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("a_id", sa.ForeignKey("a.id")))
    c = sa.Table("c", md, sa.Column("id", sa.Integer, primary_key=True))
    assert table_order._plain_order([a, b, c]) is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        order = creation_order([a, b, c])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert order == list(sa.sql.ddl.sort_tables([a, b, c]))
    # SQLAlchemy's "will not be considered" is not true of autogenerate (fk_cycles): not passed on
    assert not any("cycles" in str(w.message) for w in caught)


def test_use_alter_foreign_key_is_not_a_dependency() -> None:
    md = sa.MetaData()
    child = sa.Table("child", md, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("p", sa.ForeignKey("parent.id", use_alter=True)))
    parent = sa.Table("parent", md, sa.Column("id", sa.Integer, primary_key=True))
    assert creation_order([child, parent]) == [child, parent]
    assert creation_order([child, parent]) == sa.sql.ddl.sort_tables([child, parent])


def test_extra_dependencies_and_unresolvable_keys_use_sqlalchemy() -> None:
    md = sa.MetaData()
    first = sa.Table("first", md, sa.Column("id", sa.Integer, primary_key=True))
    second = sa.Table("second", md, sa.Column("id", sa.Integer, primary_key=True))
    first.add_is_dependent_on(second)
    assert table_order._plain_order([first, second]) is None
    assert creation_order([first, second]) == [second, first]

    dangling = sa.Table("dangling", sa.MetaData(), sa.Column("id", sa.Integer),
                        sa.Column("x", sa.ForeignKey("missing.id")))
    assert table_order._plain_order([dangling]) is None
