"""The benchmark's model: T tables of about 11 columns, a primary key, 1-2 foreign keys, 2 indexes
and a unique constraint each. Imports only SQLAlchemy, so mig's and Alembic's environments both
load it (Alembic runs in its own venv, never next to mig)."""

from __future__ import annotations

import sqlalchemy as sa


def build(tables: int, *, differ_every: int = 0, database_side: bool = False) -> sa.MetaData:
    """The model; with ``differ_every=20`` and ``database_side=True``, every 20th table (5%)
    is built the old way: no ``extra`` column, a shorter ``code`` and no ``ix_*_created``."""
    md = sa.MetaData()
    for i in range(tables):
        old = database_side and differ_every and i % differ_every == 0
        cols = [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("code", sa.String(20 if old else 40), nullable=False),
            sa.Column("amount", sa.Numeric(10, 2)),
            sa.Column("qty", sa.Integer, server_default="0"),
            sa.Column("created", sa.DateTime),
            sa.Column("flag", sa.Boolean),
            sa.Column("notes", sa.Text),
            sa.Column("ratio", sa.Float),
            sa.Column("parent_id", sa.Integer, *([sa.ForeignKey(f"t{i - 1}.id")] if i else [])),
        ]
        if i > 1:
            cols.append(sa.Column("other_id", sa.Integer,
                                  sa.ForeignKey(f"t{i - 2}.id", ondelete="CASCADE")))
        if not old:
            cols.append(sa.Column("extra", sa.String(30)))
        table = sa.Table(f"t{i}", md, *cols, sa.UniqueConstraint("code", name=f"uq_t{i}_code"))
        sa.Index(f"ix_t{i}_name", table.c.name)
        if not old:
            sa.Index(f"ix_t{i}_created", table.c.created, table.c.flag)
    return md


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """A typical ``include_name`` (``--filters``): leave out scratch tables by name (the model
    has none, so the result is unchanged)."""
    return not (type_ == "table" and str(name).startswith("tmp_"))


def include_object(obj: object, name: str | None, type_: str, reflected: bool,
                   compare_to: object) -> bool:
    """A typical ``include_object`` (``--filters``): leave out what the model marks with
    ``info["skip_autogen"]`` (nothing here)."""
    return not getattr(obj, "info", {}).get("skip_autogen", False)


FILTERS = {"include_name": include_name, "include_object": include_object}


def bulk_reflect(conn: sa.Connection, schema: str | None = None, *, whole: bool = True) -> None:
    """SQLAlchemy's bulk reflection of every table of ``schema``: the benchmarks' floor
    (``whole=False``: without primary keys and CHECK constraints, which mig skips when no
    table is dropped)."""
    insp = sa.inspect(conn)
    names = insp.get_table_names(schema=schema)
    if not names:
        return
    kw = {"schema": schema, "filter_names": names}
    insp.get_multi_columns(**kw)
    if whole:
        insp.get_multi_pk_constraint(**kw)
    insp.get_multi_foreign_keys(**kw)
    insp.get_multi_indexes(**kw)
    insp.get_multi_unique_constraints(**kw)
    if whole:
        insp.get_multi_check_constraints(**kw)
    if conn.dialect.supports_comments:
        insp.get_multi_table_comment(**kw)
