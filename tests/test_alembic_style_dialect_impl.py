"""Alembic's recipe for a dialect it does not know (DuckDB, Snowflake, CockroachDB ... in env.py
or in a library such as advanced-alchemy): ``class XImpl(DefaultImpl): __dialect__ = "x"``
serves that dialect when no plugin provides it. Shown with a SQLAlchemy dialect registered
here under a new name (SQLite's, renamed), online and offline."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

from mig_core.ddl import impl as impl_module
from mig_core.errors import NoDialectImplError
from mig_core.migration import MigrationContext
from mig_core.operations import Operations


class LiteDialect(SQLiteDialect_pysqlite):
    name = "litedb"


@pytest.fixture
def litedb() -> Iterator[None]:
    registry.register("litedb", __name__, "LiteDialect")
    yield
    impl_module.ALEMBIC_STYLE_IMPLS.pop("litedb", None)


def test_without_an_implementation_the_error_names_the_dialect(litedb: None) -> None:
    with pytest.raises(NoDialectImplError, match="no mig implementation for dialect 'litedb'"):
        MigrationContext.configure(dialect_name="litedb", opts={"as_sql": True})


def test_a_dunder_dialect_subclass_serves_the_dialect(litedb: None, tmp_path: Path) -> None:
    class LiteImpl(impl_module.DefaultImpl):
        __dialect__ = "litedb"
        transactional_ddl = True

    assert LiteImpl.dialect_name == "litedb"
    out = io.StringIO()
    ctx = MigrationContext.configure(dialect_name="litedb",
                                     opts={"as_sql": True, "output_buffer": out})
    assert type(ctx.impl) is LiteImpl
    with ctx.begin_transaction():
        Operations(ctx).create_table("t", sa.Column("id", sa.Integer, primary_key=True))
    assert out.getvalue().split("\n\n")[:2] == [
        "BEGIN;", "CREATE TABLE t (\n    id INTEGER NOT NULL, \n    PRIMARY KEY (id)\n);"]

    engine = sa.create_engine(f"litedb:///{tmp_path / 'lite.db'}")
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn)
        assert type(ctx.impl) is LiteImpl
        with ctx.begin_transaction():
            Operations(ctx).create_table("t", sa.Column("id", sa.Integer, primary_key=True))
        assert sa.inspect(conn).get_table_names() == ["t"]
    engine.dispose()


def test_no_history_table_on_such_a_dialect_unless_asked(litedb: None, tmp_path: Path) -> None:
    """Its DDL for the table's generated key is unknown (DuckDB has no IDENTITY)."""
    from mig_core.runtime.history import HistoryWriter

    class LiteImpl(impl_module.DefaultImpl):
        __dialect__ = "litedb"

    engine = sa.create_engine(f"litedb:///{tmp_path / 'lite.db'}")
    with engine.connect() as conn:
        assert not HistoryWriter(MigrationContext.configure(connection=conn)).enabled
        asked = MigrationContext.configure(connection=conn, opts={"history_table": "mig_history"})
        assert HistoryWriter(asked).enabled
    engine.dispose()
