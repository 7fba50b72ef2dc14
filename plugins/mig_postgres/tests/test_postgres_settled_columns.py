"""Tables settled from raw catalog rows (mig_core.autogenerate.settle) give what the full
comparison gives, on the real server.

Each comparison runs twice, settling on and off (``settled_tables`` answering nothing), and must
give the same diffs and the same rendered upgrade and downgrade; with an option or plugin that
changes what is compared, no table may be settled at all.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from mig_postgres.columns import column_rows, plain_type
from pg_support import PM, app_engine, each_postgres_driver
from runtime_support import shared_fixtures
from sqlalchemy.dialects import postgresql as pg

import mig_core.autogenerate.settle as settle
from mig_core import hookimpl
from mig_core.autogenerate import comparators
from mig_core.autogenerate.api import compare_metadata, produce_migrations
from mig_core.autogenerate.context import RenderContext
from mig_core.autogenerate.render import render_ops_body
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext

postgres_url = shared_fixtures().postgres_url
engine = app_engine

#: every type text ``plain_type`` knows, as a column type PostgreSQL reports it for
PLAIN = {
    "integer": "integer", "bigint": "bigint", "smallint": "smallint", "boolean": "boolean",
    "text": "text", "date": "date", "uuid": "uuid", "json": "json", "jsonb": "jsonb",
    "bytea": "bytea", "interval": "interval", "numeric": "numeric",
    "numeric(12,3)": "numeric(12, 3)", "character varying": "varchar",
    "character varying(40)": "varchar(40)", "character(3)": "char(3)",
    "timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
    "time without time zone": "time", "time with time zone": "timetz", "real": "real",
    "double precision": "double precision",
}


def _ctx(conn: sa.Connection) -> Any:
    return types.SimpleNamespace(dialect=conn.dialect, connection=conn)


@each_postgres_driver
def test_plain_types_are_what_sqlalchemy_reflects(engine: sa.Engine) -> None:
    columns = ", ".join(f"c{i} {sql}" for i, sql in enumerate(PLAIN.values()))
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE plain ({columns})"))
    with engine.connect() as conn:
        rows = column_rows(_ctx(conn), None, ["plain"])
        reflected = sa.inspect(conn).get_columns("plain")
    assert rows is not None
    found = rows["plain"]
    assert [row[1] for row in found] == list(PLAIN)
    for (name, text, nullable, comment, plain, _), column in zip(found, reflected):
        built = plain_type(text)
        assert (name, nullable, comment, plain) == (column["name"], True, None, True)
        assert type(built) is type(column["type"]), text
        assert repr(built) == repr(column["type"]), text
        assert vars(built) == vars(column["type"]), text


@each_postgres_driver
def test_rows_mark_what_is_never_settled(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TYPE mood AS ENUM ('ok', 'sad')"))
        conn.execute(sa.text("CREATE DOMAIN posint AS integer CHECK (VALUE > 0)"))
        conn.execute(sa.text(
            "CREATE TABLE odd (id integer GENERATED ALWAYS AS IDENTITY, "
            "twice integer GENERATED ALWAYS AS (id * 2) STORED, name varchar(9) COLLATE \"C\", "
            "m mood, p posint, tags integer[], ip inet, ok boolean NOT NULL)"
        ))
        conn.execute(sa.text("COMMENT ON COLUMN odd.ok IS 'said'"))
    with engine.connect() as conn:
        rows = column_rows(_ctx(conn), "public", ["odd", "missing"])
    assert rows is not None
    assert [(name, plain) for name, _, _, _, plain, _ in rows["odd"]] == [
        ("id", False), ("twice", False), ("name", False), ("m", False), ("p", False),
        ("tags", False), ("ip", True), ("ok", True),
    ]
    assert rows["odd"][-1] == ("ok", "boolean", False, "said", True, None)
    assert "missing" not in rows
    assert plain_type("inet") is None  # plain on the server, but not one settled from rows


def model(database: bool) -> sa.MetaData:
    """The model (``database=False``) or what the database holds: every kind of column
    mig-postgres knows, in two schemas, some tables changed."""
    md = sa.MetaData()
    mood = pg.ENUM("ok", "sad", name="mood", create_type=True)
    posint = pg.DOMAIN("posint", sa.Integer, check="VALUE > 0")
    sa.Table(
        "kinds", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("big", sa.BigInteger, nullable=False), sa.Column("small", sa.SmallInteger),
        sa.Column("flag", sa.Boolean), sa.Column("body", sa.Text), sa.Column("born", sa.Date),
        sa.Column("uid", sa.Uuid), sa.Column("uid2", pg.UUID), sa.Column("doc", pg.JSONB),
        sa.Column("j", sa.JSON), sa.Column("blob", sa.LargeBinary),
        sa.Column("span", sa.Interval), sa.Column("amount", sa.Numeric(12, 3)),
        sa.Column("num", sa.Numeric), sa.Column("at", sa.DateTime(timezone=True)),
        sa.Column("at2", sa.DateTime), sa.Column("t", sa.Time),
        sa.Column("ttz", sa.Time(timezone=True)), sa.Column("vc", sa.String),
        sa.Column("c", sa.CHAR(3)), sa.Column("ratio", sa.Float), sa.Column("r", pg.REAL),
        sa.Column("dbl", sa.Float(precision=53)), sa.Column("f10", sa.Float(precision=10)),
        sa.Column("said", sa.String(10), comment="a comment"),
        sa.Index("ix_kinds_code", "vc", unique=True),
        *([sa.Index("ix_kinds_dbl", "dbl", "f10")] if database else []),
        *([sa.UniqueConstraint("amount", "r", name="uq_kinds_amount")] if database else []),
    )
    sa.Table(
        "named", md, sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("m", mood), sa.Column("p", posint), sa.Column("tags", pg.ARRAY(sa.Integer)),
        sa.Column("n", sa.Integer), *([sa.Index("ix_named_n", "n")] if database else []),
    )
    sa.Table(
        "changed", md, sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(20 if database else 40)),
        sa.Column("must", sa.Integer, nullable=not database),
        sa.Column("said", sa.Text, comment="old" if database else "new"),
        sa.Column("qty", sa.Integer, server_default="0" if database else "1"),
        sa.Column("kind", sa.String(9) if database else sa.Text),
    )
    sa.Table(
        "special", md, sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("twice", sa.Integer, sa.Computed("id * 2", persisted=True)),
        sa.Column("name", sa.String(9, collation="C")),
    )
    if database:
        sa.Table("gone", md, sa.Column("id", sa.Integer, primary_key=True))
    else:
        sa.Table("new", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "kinds", md, sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(30), nullable=False), sa.Column("r", pg.REAL),
        sa.Column("extra", sa.Integer) if database else sa.Column("ok", sa.Boolean),
        schema="app",
    )
    sa.Table(
        "plain", md, sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kinds_id", sa.Integer, sa.ForeignKey("app.kinds.id")),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()")),
        *([sa.Index("ix_plain_at", sa.text("(id + 1)"))] if database else []),
        schema="app",
    )
    return md


class ComparesColumns:
    """A plugin's ``mig_compare_column``: what it is given must not change."""

    def __init__(self) -> None:
        self.columns: list[str] = []

    @hookimpl
    def mig_compare_column(self, ctx: Any, alter_op: Any, schema: Any, table_name: str,
                           conn_col: Any, meta_col: Any) -> None:
        self.columns.append(f"{table_name}.{conn_col.name}")


class ComparesTypes:
    """A plugin's ``mig_compare_type`` (no opinion)."""

    @hookimpl
    def mig_compare_type(self, ctx: Any, conn_col: Any, meta_col: Any) -> None:
        return None


def _table_comparator(autogen_context: Any, modify_ops: Any, schema: Any, name: str,
                      conn_table: Any, meta_table: Any) -> None:
    """An Alembic-style table comparator, which reads every reflected column's type."""
    if conn_table is not None:
        TABLE_TYPES[name] = [repr(c.type) for c in conn_table.columns]


TABLE_TYPES: dict[str, list[str]] = {}

#: (id, configure options, plugin, whether tables are settled)
CASES: list[tuple[str, dict[str, Any], Any, bool]] = [
    ("default", {}, None, True),
    ("types not compared", {"compare_type": False}, None, True),
    ("table comparator", {}, "dispatch_for", True),
    ("server defaults", {"compare_server_default": True}, None, False),
    ("compare_type callable", {"compare_type": lambda *a: None}, None, False),
    ("include_object", {"include_object": lambda *a: True}, None, True),
    ("include_name", {"include_name": lambda *a: True}, None, True),
    ("table comparator and include_object", {"include_object": lambda *a: True}, "dispatch_for",
     True),
    ("column plugin", {}, ComparesColumns, False),
    ("type plugin", {}, ComparesTypes, False),
]


@pytest.fixture
def database(engine: sa.Engine) -> Iterator[sa.Engine]:
    with engine.begin() as conn:
        model(database=True).create_all(conn)
    yield engine


def _compare(engine: sa.Engine, opts: dict[str, Any], plugin: Any) -> tuple[str, str, str]:
    pm = build_plugin_manager(None, env={}) if plugin not in (None, "dispatch_for") else PM
    if plugin not in (None, "dispatch_for"):
        pm.register(plugin(), name="under_test")
    opts = {"include_schemas": True, **opts}
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=pm)
        diffs = compare_metadata(ctx, model(database=False))
        script = produce_migrations(ctx, model(database=False))
        render = RenderContext(migration_context=ctx)
        return (re.sub(r" at 0x[0-9a-f]+", "", repr(diffs)), render_ops_body(render, script.upgrade_ops),
                render_ops_body(render, script.downgrade_ops))


@pytest.mark.parametrize(("opts", "plugin", "settles"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_settled_comparison_matches_the_full_one(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch, opts: dict[str, Any], plugin: Any,
    settles: bool,
) -> None:
    if plugin == "dispatch_for":
        comparators.dispatch_for("table")(_table_comparator)
    try:
        settled: list[str] = []
        full = settle.settled_tables

        def spy(*args: Any) -> dict[str, dict[str, str]]:
            found = full(*args)
            settled.extend(sorted(found))
            return found

        monkeypatch.setattr(settle, "settled_tables", spy)
        TABLE_TYPES.clear()
        quick = _compare(database, opts, plugin)
        quick_types = dict(TABLE_TYPES)
        monkeypatch.setattr(settle, "settled_tables", lambda *args: {})
        TABLE_TYPES.clear()
        assert _compare(database, opts, plugin) == quick
        assert TABLE_TYPES == quick_types
    finally:
        comparators.forget(__name__)
    if settles:  # twice: compare_metadata, then produce_migrations
        assert settled == ["kinds", "plain", "kinds", "plain"]
    else:
        assert settled == []
    assert "modify_nullable" in quick[0] and "remove_index" in quick[0]



def test_columns_read_after_settling_are_reflected_in_bulk(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table comparator reading every table's columns costs two reflections, not one a
    table: the first settled table read alone, the others together."""
    def plain_tables() -> sa.MetaData:
        md = sa.MetaData()
        for i in range(5):
            sa.Table(f"p{i}", md, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("name", sa.String(20)))
        return md

    with engine.begin() as conn:
        plain_tables().create_all(conn)
    calls: list[list[str]] = []
    multi_columns = sa.engine.reflection.Inspector.get_multi_columns

    def counted(self: Any, **kw: Any) -> Any:
        calls.append(list(kw.get("filter_names") or []))
        return multi_columns(self, **kw)

    monkeypatch.setattr(sa.engine.reflection.Inspector, "get_multi_columns", counted)
    comparators.dispatch_for("table")(_table_comparator)
    try:
        TABLE_TYPES.clear()
        with engine.connect() as conn:
            ctx = MigrationContext.configure(connection=conn, plugin_manager=PM)
            assert compare_metadata(ctx, plain_tables()) == []
    finally:
        comparators.forget(__name__)
    assert [sorted(names) for names in calls] == [["p0"], ["p1", "p2", "p3", "p4"]]
    assert TABLE_TYPES == {f"p{i}": ["INTEGER()", "VARCHAR(length=20)"] for i in range(5)}
