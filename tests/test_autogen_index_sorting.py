"""Sorted index columns (``col.desc()``, ``nulls_first()`` ...) on real SQLite and PostgreSQL:
the rendered index round-trips (no difference afterwards), a changed sort order is found, and
the downgrade of a change re-creates the index with the sort order it had."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.autogen_helpers import diffs, flat, kinds, migrate, run_code, setup


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    yield eng
    eng.dispose()


@pytest.fixture
def core_only(monkeypatch):
    """No help from mig-postgres's server-side index probe: the core's comparison alone."""
    try:
        import mig_postgres.constraints as pg_constraints
    except ImportError:  # pragma: no cover - the plugin is part of the checkout
        return
    monkeypatch.setattr(pg_constraints, "_same_index_on_server", lambda *a, **k: False)


def model(*index_specs) -> sa.MetaData:
    """Table ``t`` (id, a, b, c) with ``Index(name, *f(t))`` for each (name, f)."""
    md = sa.MetaData()
    t = sa.Table(
        "t", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer),
        sa.Column("b", sa.Integer),
        sa.Column("c", sa.String(20)),
    )
    for name, columns in index_specs:
        sa.Index(name, *columns(t))
    return md


def sorting_db(engine: sa.Engine) -> list[tuple[str, str]]:
    """(index, its definition) as the database holds them."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        else:
            sql = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 't' " \
                  "AND indexname LIKE 'ix%'"
        return sorted(tuple(r) for r in conn.execute(sa.text(sql)))


def test_desc_index_round_trips(engine, core_only):
    md = model(
        ("ix_a_desc", lambda t: [t.c.a.desc()]),
        ("ix_mixed", lambda t: [t.c.a, t.c.b.desc()]),
        ("ix_asc", lambda t: [t.c.c.asc()]),
    )
    setup(engine, None)
    up, _ = migrate(engine, md)
    assert "a DESC" in up and "b DESC" in up
    assert any("a DESC" in d for _, d in sorting_db(engine))
    assert diffs(engine, md) == []
    # the index created by create_all (not by the rendered code) compares equal too
    setup(engine, md)
    assert diffs(engine, md) == []


def test_changed_sort_order_is_detected_both_ways(engine, core_only):
    sorted_md = model(("ix_a", lambda t: [t.c.a.desc(), t.c.b]))
    plain_md = model(("ix_a", lambda t: [t.c.a, t.c.b]))
    setup(engine, plain_md)
    assert kinds(diffs(engine, sorted_md)) == ["remove_index", "add_index"]
    setup(engine, sorted_md)
    assert kinds(diffs(engine, plain_md)) == ["remove_index", "add_index"]
    # a different column sorted is a difference as well
    other_md = model(("ix_a", lambda t: [t.c.a, t.c.b.desc()]))
    assert kinds(diffs(engine, other_md)) == ["remove_index", "add_index"]


def test_sort_change_upgrade_and_downgrade_restore_each_side(engine, core_only):
    sorted_md = model(("ix_a", lambda t: [t.c.a.desc()]))
    plain_md = model(("ix_a", lambda t: [t.c.a]))
    setup(engine, sorted_md)
    before = sorting_db(engine)
    up, down = migrate(engine, plain_md)
    assert diffs(engine, plain_md) == []
    assert "DESC" in down
    run_code(engine, down)
    assert sorting_db(engine) == before
    assert diffs(engine, sorted_md) == []


def test_sqlite_expression_index_is_still_left_out(sqlite_url):
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    md = model(("ix_lower", lambda t: [sa.func.lower(t.c.c).desc()]))
    setup(engine, md)
    assert diffs(engine, md) == []
    engine.dispose()


@pytest.mark.parametrize(
    ("in_db", "in_model", "same"),
    [
        (lambda t: [t.c.a.desc().nulls_last()], lambda t: [t.c.a.desc().nulls_last()], True),
        # NULLS FIRST is DESC's default, NULLS LAST ASC's
        (lambda t: [t.c.a.desc()], lambda t: [t.c.a.desc().nulls_first()], True),
        (lambda t: [t.c.a], lambda t: [t.c.a.asc().nulls_last()], True),
        (lambda t: [t.c.a.nulls_first()], lambda t: [t.c.a.asc().nulls_first()], True),
        (lambda t: [t.c.a.desc()], lambda t: [t.c.a.desc().nulls_last()], False),
        (lambda t: [t.c.a], lambda t: [t.c.a.nulls_first()], False),
        (lambda t: [t.c.a.nulls_first()], lambda t: [t.c.a], False),
        (lambda t: [sa.func.lower(t.c.c).desc()], lambda t: [sa.func.lower(t.c.c).desc()], True),
        (lambda t: [sa.func.lower(t.c.c)], lambda t: [sa.func.lower(t.c.c).desc()], False),
        (lambda t: [sa.func.lower(t.c.c).desc()], lambda t: [sa.func.lower(t.c.c)], False),
    ],
)
def test_postgresql_nulls_order(postgres_url, core_only, in_db, in_model, same):
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    try:
        setup(engine, model(("ix_a", in_db)))
        found = flat(diffs(engine, model(("ix_a", in_model))))
        assert (found == []) is same, found
    finally:
        engine.dispose()


def test_reflected_sorting_records_read_as_sorted_columns():
    """The reflection records of PostgreSQL (column_sorting by column) and Oracle (a DESC column
    is the expression '"A"' with column_sorting) give the signature of the sorted column."""
    from mig_core.autogenerate.compare_constraints import _conn_index_signature

    pg = {"column_names": ["a", "b"], "column_sorting": {"b": ("desc", "nulls_last")}}
    assert _conn_index_signature(pg) == ("a", "b desc nulls last")
    oracle = {"column_names": [None, "b"], "expressions": ['"A"', "b"],
              "column_sorting": {'"A"': ("desc",)}}
    assert _conn_index_signature(oracle) == ("a desc", "b")
    expression = {"column_names": [None], "expressions": ["lower(c)"],
                  "column_sorting": {"lower(c)": ("desc",)}}
    assert _conn_index_signature(expression) == ("lowercdesc",)
