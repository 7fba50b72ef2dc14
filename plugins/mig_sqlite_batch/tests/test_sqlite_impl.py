"""SQLiteImpl: the ALTERs SQLite has run directly; the rest fails with the batch form to use."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import (
    PM,
    column_names,
    engine_for,
    execute,
    offline,
    rows,
    run,
    schema_sql,
    shared,
)
from mig_sqlite_batch.impl import SQLiteImpl

from mig_core.errors import CommandError
from mig_core.operations import BatchOperations
from mig_core.operations.batch import TableBatch
from mig_core.runtime.migration import MigrationContext

sqlite_url = shared.sqlite_url


@pytest.fixture
def engine(sqlite_url: str) -> Any:
    eng = engine_for(sqlite_url)
    execute(
        eng,
        "CREATE TABLE org (id INTEGER PRIMARY KEY)",
        "CREATE TABLE acct (id INTEGER PRIMARY KEY, name VARCHAR(50), qty INTEGER)",
        "CREATE INDEX ix_acct_qty ON acct (qty)",
        "INSERT INTO org VALUES (1)",
        "INSERT INTO acct VALUES (1, 'a', 5)",
    )
    yield eng
    eng.dispose()


def test_supported_alters_offline_exact_sql() -> None:
    def migrate(op: Any) -> None:
        op.add_column("acct", sa.Column("note", sa.String(20), server_default="n", nullable=False))
        op.alter_column("acct", "name", new_column_name="full_name")
        op.drop_column("acct", "qty")
        op.rename_table("acct", "account")
        op.create_index("ix_account_note", "account", ["note"])
        op.drop_index("ix_account_note", "account")

    assert offline("sqlite", migrate).split(";\n\n") == [
        "ALTER TABLE acct ADD COLUMN note VARCHAR(20) DEFAULT 'n' NOT NULL",
        "ALTER TABLE acct RENAME COLUMN name TO full_name",
        "ALTER TABLE acct DROP COLUMN qty",
        "ALTER TABLE acct RENAME TO account",
        "CREATE INDEX ix_account_note ON account (note)",
        "DROP INDEX ix_account_note;",
    ]


def test_add_column_writes_foreign_keys_and_checks_inline(engine: Any) -> None:
    run(engine, lambda op: op.add_column("acct", sa.Column(
        "org_id", sa.Integer, sa.ForeignKey("org.id", name="fk_org", ondelete="CASCADE"),
        sa.CheckConstraint("org_id > 0", name="ck_org"), index=True,
    )))
    sql = schema_sql(engine)["acct"]
    assert sql.endswith(
        "org_id INTEGER CONSTRAINT ck_org CHECK (org_id > 0) CONSTRAINT fk_org REFERENCES org "
        "(id) ON DELETE CASCADE)"
    )
    assert rows(engine, "PRAGMA foreign_key_list(acct)")[0][2:7] == (
        "org", "org_id", "id", "NO ACTION", "CASCADE"
    )
    assert "ix_acct_org_id" in schema_sql(engine)
    with pytest.raises(sa.exc.IntegrityError, match="CHECK constraint failed"):
        execute(engine, "INSERT INTO acct (id, org_id) VALUES (2, -1)")


@pytest.mark.parametrize(
    ("column", "problem"),
    [
        (sa.Column("code", sa.String(5), unique=True), "cannot add a UNIQUE column"),
        (sa.Column("pk2", sa.Integer, primary_key=True), "cannot add a PRIMARY KEY column"),
        (sa.Column("ts", sa.DateTime, server_default=sa.func.current_timestamp()),
         "cannot add a column whose default is an expression or CURRENT_\\*"),
        (sa.Column("g", sa.Integer, sa.Computed("qty * 2", persisted=True)),
         "cannot add a STORED generated column"),
    ],
)
def test_add_column_sqlite_cannot_add_names_the_batch_form(column: Any, problem: str) -> None:
    with pytest.raises(CommandError, match=(
        rf"add_column\('acct', '{column.name}'\): SQLite {problem}; use a batch, which "
        rf"recreates the table: with op.batch_alter_table\('acct'\) as batch_op: "
        rf"batch_op.add_column\(sa.Column\('{column.name}', ...\)\)$"
    )):
        offline("sqlite", lambda op: op.add_column("acct", column))


def test_add_column_not_null_without_default_needs_an_empty_table(engine: Any) -> None:
    # acct has a row: SQLite would refuse (and a batch too), and mig says so first
    with pytest.raises(CommandError, match=(
        r"add_column\('acct', 'n'\): SQLite cannot add a NOT NULL column without a default to a "
        r"table that has rows, and a batch cannot either"
    )):
        run(engine, lambda op: op.add_column("acct", sa.Column("n", sa.Integer, nullable=False)))
    execute(engine, "DELETE FROM acct")
    run(engine, lambda op: op.add_column("acct", sa.Column("n", sa.Integer, nullable=False)))
    assert schema_sql(engine)["acct"].endswith(", n INTEGER NOT NULL)")


def test_add_column_constant_text_default_and_virtual_column_are_fine(engine: Any) -> None:
    run(engine, lambda op: (
        op.add_column("acct", sa.Column("n", sa.Integer, nullable=False,
                                        server_default=sa.text("0"))),
        op.add_column("acct", sa.Column("g", sa.Integer, sa.Computed("qty * 2"))),
    ))
    assert rows(engine, "SELECT n, g FROM acct") == [(0, 10)]


def test_if_not_exists_and_if_exists_are_looked_up_online(engine: Any) -> None:
    run(engine, lambda op: op.add_column("acct", sa.Column("qty", sa.Integer), if_not_exists=True))
    run(engine, lambda op: op.add_column("acct", sa.Column("x", sa.Integer), if_not_exists=True))
    run(engine, lambda op: op.drop_column("acct", "nope", if_exists=True))
    run(engine, lambda op: op.drop_column("acct", "x", if_exists=True))
    assert column_names(engine, "acct") == ["id", "name", "qty"]
    with pytest.raises(CommandError, match=r"SQLite has no ADD COLUMN IF NOT EXISTS, and an "
                                           r"offline script cannot look the column up"):
        offline("sqlite", lambda op: op.add_column("acct", sa.Column("x", sa.Integer),
                                                   if_not_exists=True))
    with pytest.raises(CommandError, match=r"SQLite has no DROP COLUMN IF EXISTS"):
        offline("sqlite", lambda op: op.drop_column("acct", "x", if_exists=True))


def test_drop_column_sqlite_refuses_shows_batch_form(engine: Any) -> None:
    with pytest.raises(CommandError, match=re.escape(
        "drop_column('acct', 'qty'): SQLite refused: error in index ix_acct_qty after drop "
        "column: no such column: qty; use a batch, which recreates the table: with "
        "op.batch_alter_table('acct') as batch_op: batch_op.drop_column('qty')"
    )):
        run(engine, lambda op: op.drop_column("acct", "qty"))
    assert column_names(engine, "acct") == ["id", "name", "qty"]


def test_drop_column_of_a_missing_column_does_not_suggest_a_batch(engine: Any) -> None:
    with pytest.raises(CommandError) as caught:
        run(engine, lambda op: op.drop_column("acct", "nope"))
    assert str(caught.value) == (
        "drop_column('acct', 'nope'): SQLite refused: no such column: \"nope\""
    )
    with pytest.raises(CommandError, match=r"SQLite refused: no such table: ghost$"):
        run(engine, lambda op: op.drop_column("ghost", "x"))


def test_alter_column_rename_runs_other_changes_need_a_batch(engine: Any) -> None:
    run(engine, lambda op: op.alter_column("acct", "name", new_column_name="full_name"))
    assert column_names(engine, "acct") == ["id", "full_name", "qty"]
    with pytest.raises(CommandError, match=re.escape(
        "alter_column('acct', 'full_name'): SQLite cannot change a column's type, nullability "
        "with ALTER TABLE; use a batch, which recreates the table: with "
        "op.batch_alter_table('acct') as batch_op: batch_op.alter_column('full_name', "
        "type_=sa.String(length=80), nullable=False, new_column_name='nm')"
    )):
        run(engine, lambda op: op.alter_column("acct", "full_name", type_=sa.String(80),
                                               nullable=False, new_column_name="nm"))
    assert column_names(engine, "acct") == ["id", "full_name", "qty"]  # nothing ran
    with pytest.raises(CommandError, match=re.escape(
        "SQLite cannot change a column's default with ALTER TABLE; use a batch, which recreates "
        "the table: with op.batch_alter_table('acct') as batch_op: "
        "batch_op.alter_column('qty', server_default='0')"
    )):
        offline("sqlite", lambda op: op.alter_column("acct", "qty", server_default="0"))
    with pytest.raises(CommandError, match="dialect 'sqlite' does not support comments"):
        offline("sqlite", lambda op: op.alter_column("acct", "qty", comment="x"))


@pytest.mark.parametrize(
    ("call", "form"),
    [
        (lambda op: op.create_unique_constraint("uq_n", "acct", ["name", "qty"]),
         "create_unique_constraint('uq_n', ['name', 'qty'])"),
        (lambda op: op.create_primary_key("pk_acct", "acct", ["id"]),
         "create_primary_key('pk_acct', ['id'])"),
        (lambda op: op.create_foreign_key("fk_o", "acct", "org", ["qty"], ["id"]),
         "create_foreign_key('fk_o', 'org', ['qty'], ['id'])"),
        (lambda op: op.create_check_constraint("ck_q", "acct", "qty > 0"),
         "create_check_constraint('ck_q', 'qty > 0')"),
    ],
    ids=["unique", "primary", "foreignkey", "check"],
)
def test_add_constraint_shows_batch_form(call: Any, form: str) -> None:
    with pytest.raises(CommandError, match=re.escape(
        "SQLite has no ALTER TABLE ... ADD CONSTRAINT; use a batch, which recreates the table: "
        f"with op.batch_alter_table('acct') as batch_op: batch_op.{form}"
    )):
        offline("sqlite", call)


def test_drop_constraint_shows_batch_form() -> None:
    with pytest.raises(CommandError, match=re.escape(
        "drop_constraint('uq_n') on 'acct': No support for ALTER of constraints in SQLite "
        "dialect. SQLite has no ALTER TABLE ... DROP CONSTRAINT; use "
        "a batch, which recreates the table: with op.batch_alter_table('acct') as batch_op: "
        "batch_op.drop_constraint('uq_n', type_='unique')"
    )):
        offline("sqlite", lambda op: op.drop_constraint("uq_n", "acct", type_="unique"))


def test_batch_auto_alters_in_place_when_sqlite_can() -> None:
    def migrate(op: Any) -> None:
        with op.batch_alter_table("acct") as batch_op:
            batch_op.add_column(sa.Column("note", sa.String(20)))
            batch_op.alter_column("name", new_column_name="full_name")
            batch_op.create_index("ix_acct_note", ["note"])
            batch_op.drop_index("ix_acct_qty")

    assert offline("sqlite", migrate).split(";\n\n") == [
        "ALTER TABLE acct ADD COLUMN note VARCHAR(20)",
        "ALTER TABLE acct RENAME COLUMN name TO full_name",
        "CREATE INDEX ix_acct_note ON acct (note)",
        "DROP INDEX ix_acct_qty;",
    ]


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b.add_column(sa.Column("code", sa.String(5), unique=True)),
        lambda b: b.add_column(sa.Column("n", sa.Integer, nullable=False)),
        lambda b: b.drop_column("qty"),
        lambda b: b.alter_column("qty", type_=sa.BigInteger),
        lambda b: b.alter_column("qty", nullable=False),
        lambda b: b.alter_column("qty", server_default="0"),
        lambda b: b.alter_column("name", new_column_name="nm", nullable=False),
        lambda b: b.create_unique_constraint("uq", ["name"]),
        lambda b: b.create_check_constraint("ck", "qty > 0"),
        lambda b: b.drop_constraint("uq", type_="unique"),
    ],
    ids=["add_unique", "add_not_null", "drop_column", "type", "nullable", "default",
         "rename_and_nullable", "unique", "check", "drop_constraint"],
)
def test_batch_auto_recreates_for_what_alter_cannot(change: Any) -> None:
    ctx = MigrationContext.configure(dialect_name="sqlite", opts={"as_sql": True},
                                     plugin_manager=PM)
    batch = TableBatch("acct", None, ctx)
    change(BatchOperations(ctx, batch))
    assert isinstance(ctx.impl, SQLiteImpl)
    assert ctx.impl.requires_recreate_in_batch(batch) is True
