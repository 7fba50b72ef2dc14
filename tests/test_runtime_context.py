"""MigrationContext outside env.py: choosing the impl, offline output, version table, transactions."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from mig_core.errors import CommandError, NoDialectImplError
from mig_core.runtime.migration import MigrationContext


def _pm_with_sqlite(mig_pm):
    from mig_core import hookimpl
    from mig_core.plugins import module_plugin

    @hookimpl
    def mig_register_dialects(registry):
        registry.add("sqlite", "mig_sqlite_batch.impl:SQLiteImpl", transactional_ddl=True)

    mig_pm.register_plugin(module_plugin("t_sqlite", mig_register_dialects=mig_register_dialects),
                           "t_sqlite")
    return mig_pm


def test_offline_context_writes_sql_to_output_buffer():
    buf = io.StringIO()
    ctx = MigrationContext.configure(dialect_name="postgresql", opts={"output_buffer": buf})
    assert ctx.as_sql and ctx.bind.dialect.name == "postgresql"  # the offline stand-in
    assert ctx.dialect.name == "postgresql"
    assert type(ctx.impl).__name__ == "PostgresqlImpl"
    assert ctx.impl.transactional_ddl is True
    ctx.execute("CREATE TABLE t (x INTEGER)")
    ctx.execute(sa.table("t", sa.column("x", sa.Integer)).insert().values(x=5))
    assert buf.getvalue() == "CREATE TABLE t (x INTEGER);\n\nINSERT INTO t (x) VALUES (5);\n\n"


def test_offline_transaction_only_when_transactional():
    buf = io.StringIO()
    ctx = MigrationContext.configure(url="postgresql://", opts={"output_buffer": buf})
    with ctx.begin_transaction():
        ctx.execute("SELECT 1")
    assert buf.getvalue() == "BEGIN;\n\nSELECT 1;\n\nCOMMIT;\n\n"
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        url="postgresql://", opts={"output_buffer": buf, "transactional_ddl": False}
    )
    with ctx.begin_transaction():
        ctx.execute("SELECT 1")
    assert buf.getvalue() == "SELECT 1;\n\n"


def test_offline_autocommit_block_commits_and_begins():
    buf = io.StringIO()
    ctx = MigrationContext.configure(dialect_name="postgresql", opts={"output_buffer": buf})
    with ctx.begin_transaction():
        with ctx.autocommit_block():
            ctx.execute("CREATE INDEX CONCURRENTLY i ON t (x)")
    assert buf.getvalue() == (
        "BEGIN;\n\nCOMMIT;\n\nCREATE INDEX CONCURRENTLY i ON t (x);\n\nBEGIN;\n\nCOMMIT;\n\n"
    )


def test_unknown_dialect_impl_names_install_hint(mig_pm):
    with pytest.raises(NoDialectImplError, match="pip install mig-oracle"):
        MigrationContext.configure(dialect_name="oracle", plugin_manager=mig_pm)


def test_configure_rejects_engine(sqlite_url):
    engine = sa.create_engine(sqlite_url)
    with pytest.raises(CommandError, match="engine.connect"):
        MigrationContext.configure(connection=engine)  # type: ignore[arg-type]


def test_online_heads_empty_then_table_rows(sqlite_url, mig_pm):
    pm = _pm_with_sqlite(mig_pm)
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=pm)
        assert ctx.bind is conn and not ctx.as_sql
        assert ctx.get_current_heads() == ()
        assert ctx.get_current_revision() is None
        with ctx.begin_transaction():
            ctx.version_store.ensure()
            ctx.version_store.write((), ("a1",))
        assert ctx.get_current_revision() == "a1"
        with ctx.begin_transaction():
            ctx.version_store.write(("a1",), ("b1", "c1"))
        assert sorted(ctx.get_current_heads()) == ["b1", "c1"]
        with pytest.raises(CommandError, match="several heads"):
            ctx.get_current_revision()


def test_online_transaction_rolls_back_on_error(sqlite_url, mig_pm):
    pm = _pm_with_sqlite(mig_pm)
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=pm)
        with ctx.begin_transaction():
            ctx.execute("CREATE TABLE keep (x INTEGER)")
        with pytest.raises(RuntimeError):
            with ctx.begin_transaction():
                ctx.execute("INSERT INTO keep VALUES (1)")
                raise RuntimeError("boom")
        assert conn.execute(sa.text("SELECT count(*) FROM keep")).scalar() == 0


def test_online_autocommit_block_commits_then_resumes(postgres_url, mig_pm):
    from mig_core import hookimpl
    from mig_core.plugins import module_plugin

    @hookimpl
    def mig_register_dialects(registry):
        registry.add("postgresql", "mig_postgres.impl:PostgresqlImpl", transactional_ddl=True)

    mig_pm.register_plugin(
        module_plugin("t_pg", mig_register_dialects=mig_register_dialects), "t_pg"
    )
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=mig_pm)
        with pytest.raises(RuntimeError):
            with ctx.begin_transaction():
                ctx.execute("CREATE TABLE ac (x INTEGER)")
                with ctx.autocommit_block():
                    ctx.execute("CREATE INDEX CONCURRENTLY ac_x ON ac (x)")
                ctx.execute("CREATE TABLE ac_rolled_back (x INTEGER)")
                raise RuntimeError("after the block")
        names = set(sa.inspect(conn).get_table_names())
        assert "ac" in names and "ac_rolled_back" not in names
        assert conn.get_isolation_level() != "AUTOCOMMIT"
    engine.dispose()
