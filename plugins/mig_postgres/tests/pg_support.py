"""Helpers for the mig-postgres tests: offline SQL capture, online runs, catalog queries."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.operations import Operations
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext

TESTS = Path(__file__).resolve().parents[3] / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

# the tests' "once per PostgreSQL driver" mark, importable once the path above is set
from pg_drivers import each_postgres_driver  # noqa: E402, F401

PM = build_plugin_manager(None, env={})


def offline(fn: Callable[[Any, Any], Any], **opts: Any) -> str:
    """Run ``fn(op, ctx)`` as an offline PostgreSQL migration (in its transaction); the SQL."""
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name="postgresql",
        dialect_opts={"paramstyle": "named"},
        opts={"as_sql": True, "output_buffer": buf, **opts},
        plugin_manager=PM,
    )
    with Operations.context(ctx) as op, ctx.begin_transaction():
        fn(op, ctx)
    return buf.getvalue().strip()


def statements(*sql: str) -> str:
    """Statements framed the way the offline PostgreSQL script writes them."""
    return "\n\n".join(s if s.endswith(";") else s + ";" for s in sql)


def run(engine: sa.Engine, fn: Callable[[Any, Any], Any], **opts: Any) -> Any:
    """Run ``fn(op, ctx)`` online in one migration transaction."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
        with Operations.context(ctx) as op, ctx.begin_transaction():
            return fn(op, ctx)


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def rows(engine: sa.Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def enum_labels(engine: sa.Engine, qualified: str) -> list[str] | None:
    """An enum type's labels in order, None when the type does not exist."""
    return scalar(  # type: ignore[no-any-return]
        engine,
        "SELECT array(SELECT enumlabel FROM pg_enum WHERE enumtypid = t ORDER BY enumsortorder) "
        "FROM to_regtype(:n) AS t WHERE t IS NOT NULL",
        n=qualified,
    )


def user_types(engine: sa.Engine) -> list[tuple[str, str]]:
    """(schema, name) of every enum and domain outside the system schemas."""
    return rows(
        engine,
        "SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE t.typtype IN ('e', 'd') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "ORDER BY 1, 2",
    )


def user_sequences(engine: sa.Engine) -> list[tuple[str, str]]:
    """(schema, name) of every sequence no column owns (SERIAL and identity ones are owned)."""
    return rows(
        engine,
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        "AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')) "
        "ORDER BY 1, 2",
    )


def user_tables(engine: sa.Engine) -> list[tuple[str, str]]:
    return rows(
        engine,
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
    )


def reset_database(engine: sa.Engine, schemas: tuple[str, ...] = ()) -> None:
    """An empty ``public`` schema, plus empty ``schemas`` (created if missing)."""
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
        for schema in schemas:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))


def _fresh_engine(url: str, extensions: tuple[str, ...]) -> Iterator[sa.Engine]:
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    reset_database(eng, ("app",))
    if extensions:
        with eng.begin() as conn:
            for extension in extensions:
                conn.execute(sa.text(f'CREATE EXTENSION IF NOT EXISTS "{extension}"'))
    yield eng
    eng.dispose()


@pytest.fixture
def app_engine(postgres_url: str) -> Iterator[sa.Engine]:
    """An engine (no pool) on the test database, its ``public`` and ``app`` schemas emptied.
    A test module takes it as its ``engine``: ``engine = app_engine``."""
    yield from _fresh_engine(postgres_url, ())


@pytest.fixture
def app_gist_engine(postgres_url: str) -> Iterator[sa.Engine]:
    """:func:`app_engine` with the btree_gist extension (exclusion constraints on scalars)."""
    yield from _fresh_engine(postgres_url, ("btree_gist",))


def run_rendered(engine: sa.Engine, body: str, imports: str = "", **opts: Any) -> None:
    """Execute a rendered upgrade()/downgrade() body the way a migration runs (mig's own
    transaction, so ``autocommit_block`` works)."""
    from mig_core import op

    source = "import sqlalchemy as sa\n" + imports + "\ndef fn():\n    " + body + "\n"
    namespace: dict[str, Any] = {"op": op}
    exec(compile(source, "<rendered>", "exec"), namespace)  # noqa: S102 - the code under test
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
        with op.installed(Operations(ctx)), ctx.begin_transaction():
            namespace["fn"]()


def autogenerate(engine: sa.Engine, model: Any, **opts: Any) -> tuple[str, str, str]:
    """(imports, upgrade body, downgrade body) autogenerated for ``model`` against the database."""
    from mig_core.autogenerate.api import produce_migrations
    from mig_core.autogenerate.context import RenderContext
    from mig_core.autogenerate.render import render_ops_body

    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
        script = produce_migrations(ctx, model)
        render = RenderContext(migration_context=ctx)
        up = render_ops_body(render, script.upgrade_ops)
        down = render_ops_body(render, script.downgrade_ops)
    return "\n".join(sorted(render.imports)), up, down


def compare(engine: sa.Engine, model: Any, **opts: Any) -> list[Any]:
    """compare_metadata of ``model`` against the database."""
    from mig_core.autogenerate.api import compare_metadata

    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
        return compare_metadata(ctx, model)
