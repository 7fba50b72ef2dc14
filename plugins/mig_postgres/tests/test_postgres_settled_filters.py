"""Settling (mig_core.autogenerate.settle) with ``include_name`` / ``include_object``, on the real
server: the filters are called as without settling (same order, same arguments, the reflected
columns ``include_object`` is shown indistinguishable from reflection's), and the comparison
gives the same result, or the same error.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from mig_postgres.columns import column_record, column_rows
from pg_support import PM, app_engine, each_postgres_driver
from runtime_support import shared_fixtures
from test_postgres_settled_columns import PLAIN, model

import mig_core.autogenerate.settle as settle
from mig_core.autogenerate.api import compare_metadata, produce_migrations
from mig_core.autogenerate.context import RenderContext
from mig_core.autogenerate.render import render_ops_body
from mig_core.autogenerate.snapshot import ReflectedColumn, ReflectedTable
from mig_core.runtime.migration import MigrationContext

postgres_url = shared_fixtures().postgres_url
engine = app_engine


def _type(type_: Any) -> tuple[str, str, str]:
    return (type(type_).__qualname__, repr(type_), _plain(sorted(vars(type_).items())))


def _plain(value: Any) -> str:
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))


def _record(raw: dict[str, Any]) -> dict[str, Any]:
    return {key: _type(value) if key == "type" else value for key, value in raw.items()}


@each_postgres_driver
def test_column_records_are_what_sqlalchemy_reflects(engine: sa.Engine) -> None:
    """Every type the rows may be settled with, nullable or not, with and without comments
    and defaults (SERIAL ones, a sequence of another schema, one on a non-integer column), in
    the default schema and a named one."""
    plain = ", ".join(f"c{i} {sql}" for i, sql in enumerate(PLAIN.values()))
    extra = (
        "id serial PRIMARY KEY, big bigserial, small smallserial, "
        "counted integer DEFAULT nextval('app.shared_seq'), "
        "named text NOT NULL DEFAULT nextval('app.shared_seq')::text, "
        "at timestamptz DEFAULT now(), qty numeric(12,3) NOT NULL DEFAULT 1.5, "
        "word varchar(9) DEFAULT 'x', ok boolean NOT NULL DEFAULT true"
    )
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SEQUENCE app.shared_seq"))
        for schema in ("public", "app"):
            conn.execute(sa.text(f"CREATE TABLE {schema}.every ({extra}, {plain})"))
            conn.execute(sa.text(f"COMMENT ON COLUMN {schema}.every.c3 IS 'said'"))
            conn.execute(sa.text(f"COMMENT ON COLUMN {schema}.every.qty IS ''"))
    with engine.connect() as conn:
        ctx = types.SimpleNamespace(dialect=conn.dialect, connection=conn)
        # last with app on search_path: its sequences' names are not qualified (reflection
        # qualifies them)
        for schema, path in ((None, None), ("app", None), ("app", "app, public")):
            if path is not None:
                conn.execute(sa.text(f"SET search_path TO {path}"))
            rows = column_rows(ctx, schema, ["every"])  # type: ignore[arg-type]
            reflected = sa.inspect(conn).get_multi_columns(schema=schema)[(schema, "every")]
            assert rows is not None and len(rows["every"]) == len(reflected) == 9 + len(PLAIN)
            built = [column_record(schema, row) for row in rows["every"]]
            assert [_record(r) for r in built if r is not None] == [
                _record(r) for r in reflected
            ]
            assert [r["autoincrement"] for r in reflected[:4]] == [True, True, True, True]
            if path is not None:
                assert reflected[0]["default"] == "nextval('\"app\".every_id_seq'::regclass)"
            assert reflected[4]["default"] is not None and not reflected[4]["autoincrement"]


def _describe(obj: Any) -> Any:
    """Everything a filter can read of what it is given (compare_to's columns included)."""
    if isinstance(obj, ReflectedColumn):
        return (
            "ReflectedColumn", obj.name, obj.key, _type(obj.type), obj.nullable,
            obj.server_default, obj.comment, obj.autoincrement, obj.computed, obj.identity,
            _record(obj.raw), obj.table.fullname, _plain(obj.to_column()),
        )
    if isinstance(obj, ReflectedTable):
        return ("ReflectedTable", obj.fullname, obj.comment,
                [_describe(column) for column in obj.columns.values()])
    if isinstance(obj, sa.Column):
        return ("Column", _plain(obj), obj.table.fullname if obj.table is not None else None,
                _type(obj.type))
    return (type(obj).__name__, _plain(obj))


Filter = Callable[..., bool]

#: (id, include_name or None, include_object or None)
FILTERS: list[tuple[str, Filter | None, Filter | None]] = [
    ("names kept", lambda *a: True, None),
    ("objects kept", None, lambda *a: True),
    ("both kept", lambda *a: True, lambda *a: True),
    ("name leaves out a column", lambda name, type_, parents: name != "said", None),
    ("name leaves out a table", lambda name, type_, parents: name != "plain", None),
    ("object leaves out columns",
     None, lambda obj, name, type_, r, c: not (type_ == "column" and name in ("said", "code"))),
    ("object leaves out a table",
     lambda *a: True, lambda obj, name, type_, r, c: not (type_ == "table" and name == "kinds")),
    ("object reads compare_to",  # REAL after the alignment of Float(24) or less
     None, lambda obj, name, type_, r, c: not (
         type_ == "column" and c is not None and type(c.type).__name__ == "REAL"
     )),
]


def _run(engine: sa.Engine, name_filter: Filter | None, object_filter: Filter | None,
         calls: list[Any]) -> tuple[str, str, str]:
    opts: dict[str, Any] = {"include_schemas": True}
    if name_filter is not None:
        def include_name(name: Any, type_: str, parents: dict[str, Any]) -> bool:
            calls.append(("name", name, type_, dict(parents)))
            return name_filter(name, type_, parents)

        opts["include_name"] = include_name
    if object_filter is not None:
        def include_object(obj: Any, name: Any, type_: str, reflected: bool,
                           compare_to: Any) -> bool:
            calls.append(("object", _describe(obj), name, type_, reflected,
                          _describe(compare_to)))
            return object_filter(obj, name, type_, reflected, compare_to)

        opts["include_object"] = include_object
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
        diffs = compare_metadata(ctx, model(database=False))
        script = produce_migrations(ctx, model(database=False))
        render = RenderContext(migration_context=ctx)
        return (_plain(diffs), render_ops_body(render, script.upgrade_ops),
                render_ops_body(render, script.downgrade_ops))


@pytest.fixture
def database(engine: sa.Engine) -> Iterator[sa.Engine]:
    with engine.begin() as conn:
        model(database=True).create_all(conn)
    yield engine


def _settling(monkeypatch: pytest.MonkeyPatch, on: bool) -> list[str]:
    """Settling on (the tables settled are listed) or off."""
    settled: list[str] = []
    full = settle.settled_tables

    def spy(*args: Any) -> dict[str, Any]:
        found = full(*args) if on else {}
        settled.extend(sorted(found))
        return found

    monkeypatch.setattr(settle, "settled_tables", spy)
    return settled


@pytest.mark.parametrize(("name_filter", "object_filter"), [f[1:] for f in FILTERS],
                         ids=[f[0] for f in FILTERS])
def test_filters_see_what_they_see_without_settling(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch, name_filter: Filter | None,
    object_filter: Filter | None,
) -> None:
    settled = _settling(monkeypatch, True)
    calls: list[Any] = []
    quick = _run(database, name_filter, object_filter, calls)
    _settling(monkeypatch, False)
    full_calls: list[Any] = []
    assert _run(database, name_filter, object_filter, full_calls) == quick
    assert calls == full_calls
    assert "kinds" in settled  # and its columns shown to the filters, as without settling


def _kinds_said(name: Any, type_: str, parents: dict[str, Any]) -> bool:
    if type_ == "column" and name == "said" and parents["table_name"] == "kinds":
        raise LookupError("no said")
    return True


def _kinds_flag(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "column" and name == "flag":
        raise LookupError(f"no flag, nullable={compare_to.nullable} {compare_to.type!r}")
    return True


@pytest.mark.parametrize(("name_filter", "object_filter"),
                         [(_kinds_said, None), (None, _kinds_flag)], ids=["name", "object"])
def test_a_filter_that_raises_on_a_settled_table_raises_the_same(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch, name_filter: Filter | None,
    object_filter: Filter | None,
) -> None:
    errors = []
    for on in (True, False):
        settled = _settling(monkeypatch, on)
        calls: list[Any] = []
        with pytest.raises(LookupError) as raised:
            _run(database, name_filter, object_filter, calls)
        errors.append((str(raised.value), calls))
        assert ("kinds" in settled) is on
    assert errors[0] == errors[1]


@pytest.mark.parametrize(("opts", "settles"), [
    ({"include_object": lambda *a: True}, False), ({"include_name": lambda *a: True}, True),
], ids=["include_object", "include_name"])
def test_an_impl_without_column_records_settles_only_without_include_object(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch, opts: dict[str, Any], settles: bool,
) -> None:
    from mig_postgres.impl import PostgresqlImpl

    from mig_core.ddl.impl import DefaultImpl

    monkeypatch.setattr(PostgresqlImpl, "plain_column_record", DefaultImpl.plain_column_record)
    settled = _settling(monkeypatch, True)
    with database.connect() as conn:
        ctx = MigrationContext.configure(
            connection=conn, opts={"include_schemas": True, **opts}, plugin_manager=PM
        )
        compare_metadata(ctx, model(database=False))
    assert settled == (["kinds", "plain"] if settles else [])
