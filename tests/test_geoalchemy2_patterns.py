"""What GeoAlchemy2's ``alembic_helpers`` does with Alembic's API, done with mig's (GeoAlchemy2
itself is not imported here): it calls the implementation's ``add_column`` with a column that
belongs to no Table, builds indexes with ``op.to_index(operations.migration_context)``, renders
through Alembic's private renderers (``_add_column`` ...) and renames their text, and overrides
the ``RenameTable`` compiler for SQLite, falling back to ``visit_rename_table``.
bench/compat/README.md compares its operations' offline SQL with Alembic's."""

from __future__ import annotations

import io

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from mig_core.autogenerate import render
from mig_core.autogenerate.api import AutogenContext
from mig_core.ddl import base
from mig_core.migration import MigrationContext
from mig_core.operations import Operations, ops


def offline(fn) -> str:
    out = io.StringIO()
    ctx = MigrationContext.configure(dialect_name="postgresql",
                                     opts={"as_sql": True, "output_buffer": out})
    fn(Operations(ctx), ctx)
    return out.getvalue()


def test_impl_add_column_with_a_column_of_no_table_writes_the_add_column_alone() -> None:
    sql = offline(lambda op, ctx: ctx.impl.add_column(
        "place", sa.Column("area", sa.Integer, sa.CheckConstraint("area > 0"))))
    assert sql == "ALTER TABLE place ADD COLUMN area INTEGER;\n\n"


def test_to_index_takes_a_migration_context_as_alembic_does() -> None:
    model = sa.MetaData(naming_convention={"ix": "ix_%(table_name)s_%(column_0_name)s"})
    ctx = MigrationContext.configure(dialect_name="postgresql",
                                     opts={"as_sql": True, "output_buffer": io.StringIO(),
                                           "target_metadata": model})
    index = ops.CreateIndexOp(None, "place", ["area"], postgresql_using="gist").to_index(ctx)
    assert index.name == "ix_place_area"
    assert str(sa.schema.CreateIndex(index).compile(dialect=postgresql.dialect())) == (
        "CREATE INDEX ix_place_area ON place USING gist (area)")


def test_alembics_private_renderer_names_and_rename_table_compiler() -> None:
    context = AutogenContext()
    column_op = ops.AddColumnOp("place", sa.Column("area", sa.Integer))
    assert render._add_column(context, column_op) == render.render_add_column(context, column_op)
    text = render._add_column(context, column_op).replace(".add_column(", ".add_geo_column(")
    assert text == "op.add_geo_column('place', sa.Column('area', sa.Integer(), nullable=True))"
    assert render._drop_column is render.render_drop_column
    assert render._add_table is render.render_create_table
    assert render._drop_table is render.render_drop_table
    assert render._add_index is render.render_create_index
    assert render._drop_index is render.render_drop_index
    compiled = base.visit_rename_table(base.RenameTable("a", "b"),
                                       postgresql.dialect().ddl_compiler(postgresql.dialect(), None))
    assert compiled == "ALTER TABLE a RENAME TO b"
