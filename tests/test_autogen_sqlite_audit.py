"""Autogenerate against SQLite, from an audit of a model evolved with render_as_batch: what
SQLite's reflection cannot read is not reported as a difference, nor left out silently."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.errors import MigWarning
from tests.autogen_helpers import diffs, setup


def model() -> sa.MetaData:
    md = sa.MetaData()
    t = sa.Table("author", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.Text))
    sa.Index("ix_author_lower_name", sa.func.lower(t.c.name))
    return md


def test_missing_expression_index_warns(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    setup(engine, None)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.warns(MigWarning, match="skipped expression index ix_author_lower_name of author"):
        assert diffs(engine, model()) == []
    engine.dispose()


def test_expression_index_the_database_has_is_quiet(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    setup(engine, model())
    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)
        assert diffs(engine, model()) == []
    engine.dispose()


def test_generated_column_whose_expression_reflection_cannot_read_is_quiet(
    sqlite_url: str,
) -> None:
    """SQLAlchemy reflects the expression of ``x NUMERIC(12, 4) GENERATED ALWAYS AS (...)`` as
    '' (its regex stops at the type's comma): no "computed default differs" warning."""
    md = sa.MetaData()
    sa.Table(
        "item", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("price", sa.Numeric(12, 4)),
        sa.Column("price_x2", sa.Numeric(12, 4), sa.Computed("price * 2")),
    )
    engine = sa.create_engine(sqlite_url)
    setup(engine, md)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)
        assert diffs(engine, md) == []
    engine.dispose()


def test_dropped_table_keeps_the_generated_expression_reflection_misses(sqlite_url: str) -> None:
    """The downgrade of a dropped table re-creates its generated column with its expression,
    not ``sa.Computed('')`` (which SQLite refuses)."""
    engine = sa.create_engine(sqlite_url)
    setup(engine, None)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE item (id INTEGER PRIMARY KEY, price NUMERIC(12, 4), "
            "price_x2 NUMERIC(12, 4) GENERATED ALWAYS AS (price * 2) STORED)"
        )
    (kind, table), = diffs(engine, sa.MetaData())
    computed = table.c.price_x2.computed
    assert (kind, str(computed.sqltext), computed.persisted) == ("remove_table", "price * 2", True)
    engine.dispose()


def test_batch_drop_of_an_unnamed_constraint_says_how_sqlite_can_name_it(recwarn: Any) -> None:
    """On SQLite an unnamed constraint has no name the database gave it; the TODO inside a
    batch block says how the batch can name it."""
    from mig_core.autogenerate.api import render_python_code
    from mig_core.operations import ops

    upgrade = ops.UpgradeOps([
        ops.ModifyTableOps("author", [ops.DropConstraintOp(None, "author", type_="unique")]),
    ])
    text = render_python_code(upgrade, render_as_batch=True)
    assert (
        "        # TODO: this unique constraint of 'author' has no name in the model; replace None with\n"
        "        # the name the database gave it, or the drop fails\n"
        "        # (SQLite keeps such a constraint unnamed: pass batch_alter_table a\n"
        "        # naming_convention={...} and drop it by the name that makes)\n"
        "        batch_op.drop_constraint(None, type_='unique')"
    ) in text


def test_expression_index_left_out_by_include_object_is_quiet(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    setup(engine, None)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT)")

    def include_object(obj: Any, name: Any, type_: str, reflected: bool, other: Any) -> bool:
        return type_ != "index"

    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)
        assert diffs(engine, model(), include_object=include_object) == []
    engine.dispose()
