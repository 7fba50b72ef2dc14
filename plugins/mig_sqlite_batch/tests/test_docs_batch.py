"""docs/batch.md (and the SQLite section of docs/dialects.md) say what a batch does: the pages'
``python`` examples run (read from the pages, on a table their prose describes) with the outcome
the prose states, and the messages they quote are the ones mig prints (looked up in the page,
whitespace aside, ``...`` standing for any text), so editing either side breaks this test."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import PM, engine_for, run, shared
from docs_support import ROOT, documented, fenced_blocks

from mig_core.errors import CommandError, NoSuchObjectError
from mig_core.operations import Operations
from mig_core.runtime.migration import MigrationContext

BATCH_MD = ROOT / "docs" / "batch.md"
DIALECTS_MD = ROOT / "docs" / "dialects.md"
postgres_url = shared.postgres_url

ACCOUNT = (
    "CREATE TABLE org (id INTEGER PRIMARY KEY)",
    "CREATE TABLE account (id INTEGER PRIMARY KEY, name VARCHAR(40), email VARCHAR(80), "
    "balance NUMERIC, legacy TEXT, org_id INTEGER REFERENCES org (id))",
    "INSERT INTO org VALUES (1)",
    "INSERT INTO account VALUES (1, 'a', 'a@x', 1.5, 'old', 1)",
)


def python_examples() -> list[str]:
    """batch.md's ``python`` blocks."""
    return [body for lang, body in fenced_blocks(BATCH_MD.read_text(encoding="utf-8"))
            if lang == "python"]


def engine_with(folder: Path, *ddl: str, foreign_keys: bool = False) -> sa.Engine:
    """A SQLite database in ``folder`` holding ``ddl``."""
    folder.mkdir(exist_ok=True)
    engine = engine_for(f"sqlite:///{folder / 'doc.db'}", foreign_keys=foreign_keys)
    with engine.begin() as conn:
        for statement in ddl:
            conn.exec_driver_sql(statement)
    return engine


def run_example(engine: sa.Engine, body: str) -> None:
    """Run a page's block with ``op``: its ``upgrade()`` if it defines one, else the block."""
    def migrate(op: Any) -> None:
        scope: dict[str, Any] = {"op": op, "sa": sa}
        exec(body, scope)  # noqa: S102 - the page's own example
        if "upgrade" in scope:
            scope["upgrade"]()
    run(engine, migrate)


def schema(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return "\n".join(sql for (sql,) in conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"))


def refused(page: Path, quote: str, action: Callable[[], Any]) -> None:
    """``action`` fails with the message ``page`` quotes."""
    regex, _ = documented(page, quote)
    with pytest.raises(CommandError) as info:
        action()
    assert re.search(regex, " ".join(str(info.value).split())), (quote, str(info.value))


def test_the_pages_python_examples_do_what_the_prose_says(tmp_path: Path) -> None:
    first, renamed, convention = python_examples()
    engine = engine_with(tmp_path, *ACCOUNT)
    run_example(engine, first)
    table = schema(engine)
    assert "balance NUMERIC(12, 2) NOT NULL" in table and "full_name VARCHAR(40)" in table
    assert "legacy" not in table and "CONSTRAINT uq_account_email UNIQUE (email)" in table
    engine = engine_with(tmp_path / "renamed", *ACCOUNT)
    run_example(engine, renamed)  # new name and old name both name the renamed column
    assert "CONSTRAINT uq_full_name UNIQUE (full_name)" in schema(engine)
    assert "CREATE INDEX ix_name ON account (full_name)" in schema(engine)
    engine = engine_with(tmp_path / "convention", *ACCOUNT)
    run_example(engine, convention)  # the unnamed REFERENCES is found by the convention's name
    assert "REFERENCES" not in schema(engine).split("CREATE TABLE account")[-1]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT * FROM account").all() == [
            (1, "a", "a@x", 1.5, "old", 1)]


def test_a_view_using_a_dropped_column_stops_the_batch_as_quoted(tmp_path: Path) -> None:
    engine = engine_with(tmp_path, *ACCOUNT,
                         "CREATE VIEW v_account AS SELECT id, legacy FROM account")
    before = schema(engine)

    def drop(op: Any) -> None:
        with op.batch_alter_table("account") as batch_op:
            batch_op.drop_column("legacy")

    refused(BATCH_MD, "batch_alter_table('account'): error in view v_account: no such column: "
                      "legacy — it uses what the batch dropped (legacy); drop or change it in "
                      "the same migration", lambda: run(engine, drop))
    assert schema(engine) == before


def test_a_row_refused_by_not_null_is_reported_in_the_tables_name(tmp_path: Path) -> None:
    engine = engine_with(tmp_path, *ACCOUNT, "INSERT INTO account VALUES (2, 'b', 'b', NULL, "
                                             "NULL, NULL)")

    def not_null(op: Any) -> None:
        with op.batch_alter_table("account") as batch_op:
            batch_op.alter_column("balance", nullable=False)

    regex, _ = documented(BATCH_MD, "NOT NULL constraint failed: account.balance")
    with pytest.raises(CommandError, match=regex) as info:
        run(engine, not_null)
    assert "give them a value first" in str(info.value)
    assert "_mig_tmp_" not in schema(engine)


def test_keeping_foreign_keys_on_refuses_a_referenced_recreate_as_quoted(
    tmp_path: Path,
) -> None:
    engine = engine_with(tmp_path, "CREATE TABLE org (id INTEGER PRIMARY KEY, label TEXT)",
                         "CREATE TABLE acct (id INTEGER PRIMARY KEY, org_id INTEGER "
                         "REFERENCES org (id) ON DELETE CASCADE)", foreign_keys=True)

    def migrate() -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql("INSERT INTO org VALUES (1, 'x')")  # the transaction is open
            ctx = MigrationContext.configure(
                connection=conn, opts={"sqlite_keep_foreign_keys": True}, plugin_manager=PM)
            with Operations(ctx).batch_alter_table("org") as batch_op:
                batch_op.alter_column("label", nullable=False)

    refused(BATCH_MD, "batch_alter_table('org'): foreign keys point at 'org' and the run keeps "
                      "PRAGMA foreign_keys ON (context.configure(sqlite_keep_foreign_keys=True)), "
                      "so dropping the old table would fire their ON DELETE actions; leave "
                      "sqlite_keep_foreign_keys out ...", migrate)


def test_progress_is_reported_in_the_quoted_form(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = engine_with(
        tmp_path, "CREATE TABLE big (id INTEGER PRIMARY KEY, x TEXT)",
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 300000) "
        "INSERT INTO big SELECT i, hex(randomblob(16)) FROM r")
    quote = "copying big: ~420000 of ~1000000 rows (42%), 3.1 s"
    documented(BATCH_MD, quote)
    shape = re.sub(r"\\\d+(\\\.\d+)?|\d+(\\\.\d+)?", r"\\d+(\\.\\d+)?", re.escape(quote))
    calls: list[tuple[Any, ...]] = []

    def retype(op: Any) -> None:
        with op.batch_alter_table("big") as batch_op:
            batch_op.alter_column("x", nullable=False)

    with caplog.at_level(logging.INFO, logger="mig.batch"):
        run(engine, retype, batch_progress_interval=0.001)
    progress = [r.getMessage() for r in caplog.records if "rows (" in r.getMessage()]
    assert progress and all(re.fullmatch(shape, m) for m in progress), progress
    run(engine, retype, batch_progress=lambda *a: calls.append(a), batch_progress_interval=0.001)
    assert calls and calls[0][0] == "big" and calls[0][2] >= calls[0][1] > 0


def test_dialects_md_quotes_the_sqlite_alter_refusal(tmp_path: Path) -> None:
    text = DIALECTS_MD.read_text(encoding="utf-8")
    section = text[text.index("## SQLite (mig-sqlite-batch)"):text.index("## SQL Server")]
    (block,) = [body for lang, body in fenced_blocks(section) if lang == ""]
    engine = engine_with(tmp_path, "CREATE TABLE acct (id INTEGER PRIMARY KEY, "
                                   "name VARCHAR(40))")

    def alter(op: Any) -> None:
        op.alter_column("acct", "name", type_=sa.String(80), nullable=False)

    with pytest.raises(CommandError) as info:
        run(engine, alter)
    assert str(info.value) == " ".join(block.split())


def test_a_partitioned_table_is_refused_as_quoted(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE measure (id INT, v INT) PARTITION BY RANGE (id)")
        for name, low, high in (("measure_lo", 0, 10), ("measure_hi", 10, 20)):
            conn.exec_driver_sql(f"CREATE TABLE {name} PARTITION OF measure "
                                 f"FOR VALUES FROM ({low}) TO ({high})")

    def always(op: Any) -> None:
        with op.batch_alter_table("measure", recreate="always") as batch_op:
            batch_op.alter_column("v", nullable=False)

    try:
        refused(BATCH_MD, "batch_alter_table('measure'): measure is a partitioned table "
                          "(partitions: measure_hi, measure_lo); a recreate would make it a "
                          "plain table and drop its partitions; change it with plain ALTERs "
                          "instead (op.add_column, op.alter_column, ...)",
                lambda: run(engine, always))
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE measure")


def test_dropping_what_the_table_does_not_have(tmp_path: Path) -> None:
    text = " ".join(BATCH_MD.read_text(encoding="utf-8").split())
    assert "gets the database's own error (`no such index`)" in text
    assert "`batch_op.drop_constraint` takes no `if_exists`" in text
    engine = engine_with(tmp_path, "CREATE TABLE t (id INTEGER PRIMARY KEY, x INT)")

    def drop(constraint: bool, if_exists: bool, also_recreate: bool) -> Callable[[Any], None]:
        def migrate(op: Any) -> None:
            with op.batch_alter_table("t") as batch_op:
                if constraint:
                    batch_op.drop_constraint("nope", type_="unique")
                else:
                    batch_op.drop_index("nope", **({"if_exists": True} if if_exists else {}))
                if also_recreate:
                    batch_op.alter_column("x", nullable=False)
        return migrate

    for constraint, also_recreate in ((True, False), (False, True)):
        with pytest.raises(NoSuchObjectError) as info:
            run(engine, drop(constraint, False, also_recreate))
        assert isinstance(info.value, ValueError)
    with pytest.raises(sa.exc.OperationalError, match="no such index: nope"):
        run(engine, drop(False, False, False))
    for also_recreate in (False, True):
        run(engine, drop(False, True, also_recreate))
    with pytest.raises(TypeError):
        run(engine, lambda op: op.batch_alter_table("t").__enter__().drop_constraint(
            "nope", if_exists=True))
