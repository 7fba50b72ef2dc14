"""The comparison's quick paths give what the general ones give, on the real server.

Each test compares the same model and database twice: once the usual way (the quick paths on)
and once with something that turns a quick path off (an extra ``mig_compare_table``
implementation, which sends every table through pluggy again), and expects the same
operations, rendered, in both directions.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pg_support import app_gist_engine
from runtime_support import shared_fixtures
from sqlalchemy.dialects import postgresql as pg

from mig_core import hookimpl
from mig_core.autogenerate.api import produce_migrations
from mig_core.autogenerate.context import RenderContext
from mig_core.autogenerate.render import render_ops_body
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext

postgres_url = shared_fixtures().postgres_url


engine = app_gist_engine


class SeesEveryTable:
    """A plain ``mig_compare_table`` implementation that changes nothing: with it the core's
    table hook has two plain implementations, so every table goes through pluggy."""

    def __init__(self) -> None:
        self.tables: list[str] = []

    @hookimpl
    def mig_compare_table(self, ctx: Any, modify_ops: Any, schema: Any, name: str,
                          conn_table: Any, meta_table: Any) -> None:
        self.tables.append(name)


def rendered(engine: sa.Engine, model: sa.MetaData, pm: Any) -> tuple[str, str]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=pm)
        script = produce_migrations(ctx, model)
        render = RenderContext(migration_context=ctx)
        return (render_ops_body(render, script.upgrade_ops),
                render_ops_body(render, script.downgrade_ops))


def direct_and_general(engine: sa.Engine, model: sa.MetaData) -> tuple[Any, Any, list[str]]:
    """(rendered with the quick table hook, rendered through pluggy, tables pluggy saw)."""
    quick_pm = build_plugin_manager(None, env={})
    general_pm = build_plugin_manager(None, env={})
    seen = SeesEveryTable()
    general_pm.register(seen, name="sees_every_table")
    return rendered(engine, model, quick_pm), rendered(engine, model, general_pm), seen.tables


def database_side() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("parent", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "child", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id")),
        sa.Column("code", sa.String(20)),
        sa.Column("amount", sa.String(10)),
        sa.Column("tags", pg.ARRAY(sa.Integer)),
        sa.Column("gone", sa.Integer),
        sa.Index("ix_child_code", "code"),
    )
    sa.Table("booking", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("room", sa.Integer), sa.Column("during", pg.TSRANGE))
    return md


def model_side() -> sa.MetaData:
    md = sa.MetaData()
    mood = pg.ENUM("sad", "happy", name="mood")
    sa.Table("parent", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "child", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id", ondelete="CASCADE",
                                                          name="fk_child_parent")),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("amount", sa.Integer),
        sa.Column("tags", pg.ARRAY(sa.Integer, dimensions=1)),
        sa.Column("mood", mood),
        sa.Index("ix_child_code", "code", unique=True),
        sa.UniqueConstraint("amount", name="uq_child_amount"),
    )
    sa.Table("booking", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("room", sa.Integer), sa.Column("during", pg.TSRANGE),
             pg.ExcludeConstraint(("room", "="), ("during", "&&"), name="no_overlap"))
    return md


def test_the_quick_table_hook_gives_what_pluggy_gives(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        database_side().create_all(conn)
    quick, general, seen = direct_and_general(engine, model_side())
    assert sorted(seen) == ["booking", "child", "parent"]  # the general path really ran
    assert quick == general
    upgrade = quick[0]
    for change in ("create_enum", "drop_column('child', 'gone')", "create_exclude_constraint",
                   "postgresql_using", "uq_child_amount", "ondelete='CASCADE'",
                   "nullable=False"):
        assert change in upgrade


def test_reflected_types_are_aligned_by_column_name_not_key(engine: sa.Engine) -> None:
    """Columns whose keys are the other one's name: each reflected type is compared with the
    model column of its name (REAL with Float(24), DOUBLE PRECISION with Float(53))."""

    def table(md: sa.MetaData, *, model: bool) -> sa.Table:
        return sa.Table(
            "measure", md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("small", sa.Float(24), key="big" if model else "small"),
            sa.Column("big", sa.Float(53), key="small" if model else "big"),
        )

    with engine.begin() as conn:
        table(sa.MetaData(), model=False).create(conn)
    model = sa.MetaData()
    table(model, model=True)
    quick, general, seen = direct_and_general(engine, model)
    assert seen == ["measure"]
    assert quick == general
    assert "op." not in quick[0] + quick[1]  # nothing differs
