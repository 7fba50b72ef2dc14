"""Helpers for the mig-postgres tests: offline SQL capture, online runs, catalog queries."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mig_core.operations import Operations
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext

TESTS = Path(__file__).resolve().parents[3] / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

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
