"""Helpers for the mig-mysql tests: offline SQL capture, online runs, catalog queries, the
``mig`` command line.

Offline runs use SQLAlchemy's ``mysql`` dialect (MySQL 8 assumed) or ``mariadb`` (MariaDB);
online runs use the MariaDB server of ``MIG_TEST_MYSQL_URL``. Test modules take the shared
``mysql_url`` fixture (a fresh database per module) with
``mysql_url = shared_fixtures().mysql_url``.
"""

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

_PM: Any = None


def plugin_manager() -> Any:
    """One plugin manager (entry points loaded, so mig-mysql is in) for the test session."""
    global _PM
    if _PM is None:
        _PM = build_plugin_manager(None, env={})
    return _PM


def offline(fn: Callable[[Any], Any], dialect: str = "mysql", **opts: Any) -> str:
    """Run ``fn(op)`` as an offline migration on ``dialect`` (``mysql`` or ``mariadb``), inside
    the migration's transaction block; return the script text."""
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name=dialect,
        opts={"as_sql": True, "output_buffer": buf, **opts},
        plugin_manager=plugin_manager(),
    )
    with Operations.context(ctx) as op, ctx.begin_transaction():
        fn(op)
    return buf.getvalue()


def script(*statements: str) -> str:
    """Statements as the offline MySQL script writes them: ``;`` and a blank line after each."""
    return "".join(f"{s};\n\n" for s in statements)


def run(engine: sa.Engine, fn: Callable[[Any], Any], **opts: Any) -> Any:
    """Run ``fn(op)`` online in one connection transaction, committed at the end (on MySQL each
    DDL statement commits at once; the transaction carries the data statements)."""
    with engine.begin() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=plugin_manager())
        with Operations.context(ctx) as op:
            return fn(op)


def mig_command(ini: Path, *args: str) -> list[str]:
    """The argv of ``mig -c <ini> <args>`` run as a separate process."""
    return [sys.executable, "-m", "mig_core", "-c", str(ini), *args]


def reset(engine: sa.Engine) -> None:
    """Drop every table of the database."""
    with engine.begin() as conn:
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f"DROP TABLE {conn.dialect.identifier_preparer.quote(name)}"))
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 1"))


def execute(engine: sa.Engine, *sql: str) -> None:
    """Run plain SQL statements (test setup)."""
    with engine.begin() as conn:
        for statement in sql:
            conn.execute(sa.text(statement))


def rows(engine: sa.Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def column_info(engine: sa.Engine, table: str, column: str) -> dict[str, Any] | None:
    """information_schema.COLUMNS of one column in the current database (None: no column)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT, "
                "COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_NAME = :t AND COLUMN_NAME = :c"
            ),
            {"t": table, "c": column},
        ).mappings().first()
    return dict(row) if row is not None else None


def show_create(engine: sa.Engine, table: str) -> str:
    """SHOW CREATE TABLE's text."""
    with engine.connect() as conn:
        return str(conn.execute(sa.text(f"SHOW CREATE TABLE `{table}`")).one()[1])


def constraints(engine: sa.Engine, table: str) -> dict[str, str]:
    """{constraint name: CONSTRAINT_TYPE} of ``table`` in the current database."""
    return dict(rows(  # type: ignore[arg-type]
        engine,
        "SELECT CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t",
        t=table,
    ))


def indexes(engine: sa.Engine, table: str) -> set[str]:
    """Index names of ``table`` in the current database."""
    return {r[0] for r in rows(
        engine,
        "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t",
        t=table,
    )}
