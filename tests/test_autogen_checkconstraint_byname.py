"""``alembic.ext.checkconstraint_byname``: named CHECK constraints added and dropped by name, on
SQLite, PostgreSQL and MariaDB; off by default (and then never reflected)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from autogen_helpers import diffs, flat, migrate, run_code, setup

ON = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"]


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ck.db'}"
    else:
        url = request.getfixturevalue(f"{request.param}_url")
    eng = sa.create_engine(url)
    yield eng
    setup(eng, None)
    eng.dispose()


def _opts(engine: sa.Engine, **kw: Any) -> dict[str, Any]:
    return {"render_as_batch": engine.dialect.name == "sqlite", **kw}


def _table(md: sa.MetaData, *checks: Any, extra: tuple[Any, ...] = ()) -> sa.Table:
    return sa.Table(
        "acct", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("qty", sa.Integer, nullable=False),
        sa.Column("price", sa.Integer, nullable=False),
        *extra, *checks,
    )


def _checks(found: list[Any]) -> list[tuple[str, str]]:
    return sorted(
        (d[0], str(d[1].name)) for d in flat(found)
        if d[0] in ("add_constraint", "remove_constraint") and isinstance(d[1], sa.CheckConstraint)
    )


def test_off_by_default_and_not_reflected(engine: sa.Engine,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    setup(engine, _table(sa.MetaData(), sa.CheckConstraint("qty > 0", name="ck_qty")).metadata)
    model = _table(sa.MetaData(), sa.CheckConstraint("price > 0", name="ck_price")).metadata

    def refuse(*args: Any, **kw: Any) -> Any:
        raise AssertionError("CHECK constraints reflected on the default path")

    monkeypatch.setattr(sa.engine.reflection.Inspector, "get_multi_check_constraints", refuse)
    assert diffs(engine, model) == []
    monkeypatch.undo()
    assert _checks(diffs(engine, model, autogenerate_plugins=ON)) == [
        ("add_constraint", "ck_price"), ("remove_constraint", "ck_qty"),
    ]


def test_added_dropped_and_round_trip(engine: sa.Engine) -> None:
    before = _table(sa.MetaData(), sa.CheckConstraint("qty > 0", name="ck_qty"),
                    sa.CheckConstraint("price >= 0", name="ck_price_old")).metadata
    after = _table(sa.MetaData(), sa.CheckConstraint("qty > 0", name="ck_qty"),
                   sa.CheckConstraint("price > qty", name="ck_price_new")).metadata
    setup(engine, before)
    opts = _opts(engine, autogenerate_plugins=ON)
    assert _checks(diffs(engine, after, **opts)) == [
        ("add_constraint", "ck_price_new"), ("remove_constraint", "ck_price_old"),
    ]
    up, down = migrate(engine, after, **opts)
    assert "create_check_constraint('ck_price_new'" in up
    assert "drop_constraint(op.f('ck_price_old')" in up.replace("batch_op.f", "op.f")
    assert "type_='check'" in up
    assert "create_check_constraint(op.f('ck_price_old')" in down.replace("batch_op.f", "op.f")
    assert "drop_constraint('ck_price_new'" in down
    assert diffs(engine, after, **opts) == []  # the upgrade did it all
    run_code(engine, down)
    assert diffs(engine, before, **opts) == []  # and the downgrade undid it
    with engine.begin() as conn, pytest.raises(sa.exc.DBAPIError):
        conn.exec_driver_sql("INSERT INTO acct (id, qty, price) VALUES (1, 5, -1)")


def test_unnamed_and_type_bound_constraints_are_left_alone(engine: sa.Engine) -> None:
    def model() -> sa.MetaData:
        return _table(
            sa.MetaData(), sa.CheckConstraint("qty < 1000"),  # unnamed: the database names it
            extra=(
                sa.Column("flag", sa.Boolean(create_constraint=True)),
                sa.Column("kind", sa.Enum("a", "b", name="kind_enum", create_constraint=True,
                                          native_enum=False)),
            ),
        ).metadata

    setup(engine, model())
    assert diffs(engine, model(), autogenerate_plugins=ON) == []
    # an unnamed model CHECK is never added either
    bare = _table(sa.MetaData()).metadata
    setup(engine, bare)
    assert _checks(diffs(engine, _table(sa.MetaData(), sa.CheckConstraint("qty < 5")).metadata,
                         autogenerate_plugins=ON)) == []


def test_a_convention_name_counts_as_a_name(engine: sa.Engine) -> None:
    def model(*checks: Any) -> sa.MetaData:
        md = sa.MetaData(naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"})
        _table(md, *checks)
        return md

    setup(engine, model())
    opts = _opts(engine, autogenerate_plugins=ON)
    after = model(sa.CheckConstraint("qty > 0", name="positive"))
    assert _checks(diffs(engine, after, **opts)) == [("add_constraint", "ck_acct_positive")]
    up, _down = migrate(engine, after, **opts)
    assert "create_check_constraint(op.f('ck_acct_positive')" in up.replace("batch_op.f", "op.f")
    assert diffs(engine, after, **opts) == []


def test_filters_see_check_constraint(engine: sa.Engine) -> None:
    setup(engine, _table(sa.MetaData(), sa.CheckConstraint("qty > 0", name="ck_qty")).metadata)
    seen: list[tuple[str, str, bool]] = []

    def include_name(name: Any, type_: str, parents: dict[str, Any]) -> bool:
        if type_ == "check_constraint":
            assert parents["table_name"] == "acct"
            return name != "ck_hidden"
        return True

    def include_object(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "check_constraint":
            seen.append((type_, name, reflected))
        return True

    model = _table(sa.MetaData(), sa.CheckConstraint("price > 0", name="ck_hidden"),
                   sa.CheckConstraint("price > 1", name="ck_shown")).metadata
    found = diffs(engine, model, autogenerate_plugins=ON, include_name=include_name,
                  include_object=include_object)
    assert _checks(found) == [("add_constraint", "ck_shown"), ("remove_constraint", "ck_qty")]
    assert sorted(seen) == [("check_constraint", "ck_qty", True),
                            ("check_constraint", "ck_shown", False)]
