"""Helpers for the SQLite plugin's tests: run operations online or offline, fingerprint rows
and schemas."""

from __future__ import annotations

import hashlib
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mig_core.operations import Operations
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))

import runtime_support  # noqa: E402

PM = build_plugin_manager(None, env={})
shared = runtime_support.shared_fixtures()


def engine_for(url: str, foreign_keys: bool = False) -> sa.Engine:
    """An engine; with ``foreign_keys`` every connection runs ``PRAGMA foreign_keys=ON``
    (what applications enforcing foreign keys on SQLite do)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if foreign_keys:
        @sa.event.listens_for(engine, "connect")
        def _on(dbapi_conn: Any, record: Any) -> None:
            dbapi_conn.execute("PRAGMA foreign_keys = ON")
    return engine


def engine_with_attached(folder: Path) -> sa.Engine:
    """An engine on ``folder/main.db`` whose connections attach ``folder/other.db`` as
    ``other``."""
    engine = sa.create_engine(f"sqlite:///{folder / 'main.db'}", poolclass=sa.pool.NullPool)
    other = str(folder / "other.db").replace("'", "''")

    @sa.event.listens_for(engine, "connect")
    def _attach(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.execute(f"ATTACH DATABASE '{other}' AS other")

    return engine


def run(engine: sa.Engine, fn: Callable[[Any], Any], **opts: Any) -> Any:
    """Run ``fn(op)`` online inside ``engine.begin()`` (no run lock: a batch by hand)."""
    with engine.begin() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
        with Operations.context(ctx) as op:
            return fn(op)


def offline(dialect: str, fn: Callable[[Any], Any], **opts: Any) -> str:
    """Run ``fn(op)`` as an offline (--sql) migration; return the SQL text."""
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": buf, **opts},
        plugin_manager=PM,
    )
    with Operations.context(ctx) as op:
        fn(op)
    return buf.getvalue().strip()


def statements(sql: str) -> list[str]:
    """Offline SQL split into statements (without the terminator)."""
    return [s.strip().rstrip(";") for s in sql.split(";\n\n") if s.strip()]


def _driver_sql(conn: Any, sql: str) -> str:
    """``sql`` as the driver reads it: ``%`` doubled where it marks parameters (psycopg2,
    pymysql); unchanged for SQLite."""
    return sql.replace("%", "%%") if conn.dialect.paramstyle in ("format", "pyformat") else sql


def execute(engine: sa.Engine, *sql: str) -> None:
    with engine.begin() as conn:
        for statement in sql:
            conn.exec_driver_sql(_driver_sql(conn, statement))


def rows(engine: sa.Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(_driver_sql(conn, sql)).all()]


def checksum(engine: sa.Engine, table: str, columns: str = "*", order: str = "rowid") -> str:
    """SHA-256 over every row of ``table`` (values and their SQLite storage classes)."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        names = [c.strip() for c in columns.split(",")] if columns != "*" else [
            r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({table})").all()
        ]
        typed = ", ".join(f"{n}, typeof({n})" for n in names)
        for row in conn.exec_driver_sql(f"SELECT {typed} FROM {table} ORDER BY {order}"):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def schema_sql(engine: sa.Engine) -> dict[str, str]:
    """name -> SQL of every schema object."""
    return {r[0]: r[1] for r in rows(engine, "SELECT name, sql FROM sqlite_master")}


def column_names(engine: sa.Engine, table: str) -> list[str]:
    return [r[1] for r in rows(engine, f"PRAGMA table_info({table})")]


def clean(engine: sa.Engine) -> None:
    """integrity_check ok, foreign_key_check empty."""
    assert rows(engine, "PRAGMA integrity_check") == [("ok",)]
    assert rows(engine, "PRAGMA foreign_key_check") == []
