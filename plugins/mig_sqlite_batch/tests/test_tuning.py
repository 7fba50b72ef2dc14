"""The larger page cache of a SQLite recreate: raised for the copy and the index builds, put
back afterwards (also when the batch fails), and the checks before commit still catch what a
copy breaks."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import (
    PM,
    checksum,
    clean,
    engine_for,
    engine_with_attached,
    execute,
    rows,
    schema_sql,
    shared,
)
from mig_sqlite_batch.tuning import DEFAULT_CACHE_KIB

from mig_core import command
from mig_core.errors import CommandError
from mig_core.operations import Operations
from mig_core.runtime.migration import MigrationContext

sqlite_url = shared.sqlite_url

OWN_CACHE = -3000  # the connection's own setting, which every batch must leave as it found it


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[sa.Engine]:
    eng = engine_for(sqlite_url, foreign_keys=True)
    execute(
        eng,
        "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE big (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id), "
        "a VARCHAR(10), b INTEGER)",
        "CREATE INDEX ix_big_b ON big (b)",
        "INSERT INTO parent VALUES (1), (2)",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
        "INSERT INTO big SELECT i, 1 + i % 2, CAST(i AS TEXT), i % 97 FROM n",
    )
    yield eng
    eng.dispose()


def on_one_connection(
    engine: sa.Engine, fn: Callable[[Any], Any], cache: int = OWN_CACHE, **opts: Any
) -> tuple[list[str], int, BaseException | None]:
    """Run ``fn(op)`` as a batch by hand on one connection whose cache_size is ``cache``;
    return the statements SQLite ran, the cache_size afterwards and the error, if any."""
    statements: list[str] = []
    error: BaseException | None = None
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        dbapi.execute(f"PRAGMA cache_size = {cache}")  # type: ignore[union-attr]
        dbapi.set_trace_callback(statements.append)  # type: ignore[union-attr]
        try:
            with conn.begin():
                ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
                with Operations.context(ctx) as op:
                    fn(op)
        except Exception as exc:  # the caller checks it
            error = exc
        dbapi.set_trace_callback(None)  # type: ignore[union-attr]
        after = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    return statements, int(after), error


def change_big(op: Any) -> None:
    with op.batch_alter_table("big") as b:
        b.alter_column("a", type_=sa.Integer)


def index_of(statements: list[str], pattern: str) -> int:
    return next(i for i, s in enumerate(statements) if re.search(pattern, s))


def test_cache_is_raised_for_the_copy_and_indexes_and_restored(engine: sa.Engine) -> None:
    statements, after, error = on_one_connection(engine, change_big)
    assert error is None
    assert after == OWN_CACHE
    raised = index_of(statements, rf"^PRAGMA \"?main\"?\.cache_size = -{DEFAULT_CACHE_KIB}$")
    restored = index_of(statements, rf"^PRAGMA \"?main\"?\.cache_size = {OWN_CACHE}$")
    assert raised < index_of(statements, r"^INSERT INTO _mig_tmp_big ") < restored
    assert index_of(statements, r"^CREATE INDEX ix_big_b ") < restored
    assert rows(engine, "SELECT typeof(a), count(*) FROM big GROUP BY 1") == [("integer", 20000)]
    clean(engine)


@pytest.mark.parametrize("failure", ["copy", "index", "callback"])
def test_cache_is_restored_when_the_batch_fails(engine: sa.Engine, failure: str) -> None:
    before = (schema_sql(engine), checksum(engine, "big"))

    def stop(*_args: Any) -> None:
        raise RuntimeError("injected failure mid-copy")

    def migrate(op: Any) -> None:
        with op.batch_alter_table("big") as b:
            b.alter_column("a", type_=sa.Integer)
            if failure == "copy":
                b.create_check_constraint("ck_small", "id < 100")
            elif failure == "index":
                b.create_index("ix_dup", ["parent_id"], unique=True)

    opts = {"batch_progress": stop, "batch_progress_interval": 0} if failure == "callback" else {}
    statements, after, error = on_one_connection(engine, migrate, **opts)
    assert error is not None
    assert after == OWN_CACHE
    assert any(re.match(rf"PRAGMA \"?main\"?\.cache_size = {OWN_CACHE}$", s) for s in statements)
    assert (schema_sql(engine), checksum(engine, "big")) == before
    clean(engine)


def test_a_larger_cache_of_the_connection_is_left_alone(engine: sa.Engine) -> None:
    own = -(DEFAULT_CACHE_KIB * 2)
    statements, after, error = on_one_connection(engine, change_big, cache=own)
    assert error is None and after == own
    assert not [s for s in statements if re.search(r"cache_size =", s)]


def test_option_sets_the_size_and_zero_leaves_the_cache(engine: sa.Engine) -> None:
    statements, after, _ = on_one_connection(engine, change_big, sqlite_batch_cache_size=8192)
    assert after == OWN_CACHE
    assert any(re.match(r"PRAGMA \"?main\"?\.cache_size = -8192$", s) for s in statements)
    statements, after, _ = on_one_connection(engine, change_big, sqlite_batch_cache_size=0)
    assert after == OWN_CACHE
    assert not [s for s in statements if re.search(r"cache_size =", s)]
    _, _, error = on_one_connection(engine, change_big, sqlite_batch_cache_size="big")
    assert isinstance(error, CommandError)
    assert "sqlite_batch_cache_size=...) must be a whole number of KiB" in str(error)


def test_attached_schema_cache_is_raised_and_restored(tmp_path: Path) -> None:
    eng = engine_with_attached(tmp_path)

    execute(
        eng,
        "CREATE TABLE other.t (id INTEGER PRIMARY KEY, a VARCHAR(5))",
        "INSERT INTO other.t VALUES (1, '5')",
    )

    def migrate(op: Any) -> None:
        with op.batch_alter_table("t", schema="other") as b:
            b.alter_column("a", type_=sa.Integer)

    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA other.cache_size = -1500")
        conn.exec_driver_sql(f"PRAGMA main.cache_size = {OWN_CACHE}")
        conn.commit()
        seen: list[str] = []
        conn.connection.dbapi_connection.set_trace_callback(seen.append)  # type: ignore[union-attr]
        with conn.begin():
            ctx = MigrationContext.configure(connection=conn, plugin_manager=PM)
            with Operations.context(ctx) as op:
                migrate(op)
        assert conn.exec_driver_sql("PRAGMA other.cache_size").scalar() == -1500
        assert conn.exec_driver_sql("PRAGMA main.cache_size").scalar() == OWN_CACHE
    assert any(
        re.match(rf"PRAGMA \"?other\"?\.cache_size = -{DEFAULT_CACHE_KIB}$", s) for s in seen
    )
    assert rows(eng, "SELECT a, typeof(a) FROM other.t") == [(5, "integer")]
    eng.dispose()


def test_foreign_key_violation_made_by_the_copy_is_still_caught(engine: sa.Engine) -> None:
    """A foreign key the batch adds, which copied rows break: the check before commit (over
    the whole database) finds them and the transaction rolls back."""
    execute(engine, "CREATE TABLE kind (id INTEGER PRIMARY KEY)", "INSERT INTO kind VALUES (1)")
    before = (schema_sql(engine), checksum(engine, "big"))

    def migrate(op: Any) -> None:
        with op.batch_alter_table("big") as b:
            b.alter_column("a", type_=sa.Integer)
            b.create_foreign_key("fk_big_kind", "kind", ["b"], ["id"])

    _statements, after, error = on_one_connection(engine, migrate)
    assert isinstance(error, CommandError)
    assert re.search(
        r"foreign key check before commit: \d+ foreign key violation\(s\): table "
        r"'big' rowid \d+ references a missing row of 'kind'",
        str(error),
    )
    assert after == OWN_CACHE
    assert (schema_sql(engine), checksum(engine, "big")) == before
    clean(engine)


def test_upgrade_run_restores_the_cache(tmp_path: Path, sqlite_url: str, engine: sa.Engine) -> None:
    from batch_support import runtime_support

    ini = runtime_support.make_project(
        tmp_path,
        sqlite_url,
        [
            {
                "rev": "a",
                "upgrade": "with op.batch_alter_table('big') as b:\n"
                "    b.alter_column('a', type_=sa.Integer)\n",
            },
        ],
    )
    with engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA cache_size = {OWN_CACHE}")
        conn.commit()
        command.upgrade(runtime_support.config_for(ini, connection=conn), "head")
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == OWN_CACHE
        assert conn.exec_driver_sql("PRAGMA integrity_check").all() == [("ok",)]
    assert rows(engine, "SELECT typeof(a), count(*) FROM big GROUP BY 1") == [("integer", 20000)]
    clean(engine)
