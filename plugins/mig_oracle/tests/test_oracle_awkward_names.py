"""Offline Oracle scripts with names that need quoting (reserved words, MixedCase, spaces, a dot,
a quote, a backtick, non-ASCII, a leading digit, 128 bytes), each statement read as Oracle; and
a name holding a double quote, which Oracle allows in no name, refused before the operation's
first statement."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from oracle_support import assert_oracle_script, plugin_manager

from mig_core.errors import CommandError
from mig_core.operations import Operations
from mig_core.runtime.migration import MigrationContext

TABLE = "Order Items.x"
AT_LIMIT = "é" * 64  # 128 bytes


def run(fn: Callable[[Any], Any]) -> tuple[str, Exception | None]:
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name="oracle", opts={"as_sql": True, "output_buffer": buf},
        plugin_manager=plugin_manager(),
    )
    error = None
    with Operations.context(ctx) as op:
        try:
            fn(op)
        except CommandError as exc:
            error = exc
    return buf.getvalue(), error


def test_awkward_names_are_quoted_in_oracle_statements() -> None:
    def migrate(op: Any) -> None:
        op.create_table(
            TABLE,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("select", sa.String(20), comment="it's"),
            sa.Column("Mixed Case", sa.Integer),
            sa.Column("back`tick", sa.String(10)),
            sa.Column("a.b", sa.Integer),
            sa.Column("prénom", sa.String(10)),
            sa.Column("1st", sa.Integer),
            sa.Column(AT_LIMIT, sa.Integer),
            sa.UniqueConstraint("select", "prénom", name="uq s.n"),
        )
        op.add_column(TABLE, sa.Column("order", sa.Integer, server_default="3"))
        op.alter_column(TABLE, "prénom", new_column_name="prénom 2", existing_type=sa.String(10))
        op.create_index("ix 'a'.b", TABLE, ["Mixed Case", "back`tick"])
        op.create_check_constraint("ck Group`s", TABLE, sa.column("1st") > 0)
        op.create_foreign_key("fk 2", TABLE, "Par.ent", ["order"], ["a.b"])
        op.drop_constraint("fk 2", TABLE, type_="foreignkey")
        op.drop_index("ix 'a'.b", table_name=TABLE)
        op.drop_column(TABLE, "1st")
        op.rename_table(TABLE, "select.From")
        op.drop_table("select.From")

    text, error = run(migrate)
    assert error is None
    statements = assert_oracle_script(text)
    assert statements[0].startswith('CREATE TABLE "Order Items.x" (\n    id INTEGER NOT NULL,')
    for expected in (
        f'"{AT_LIMIT}" INTEGER',
        'CONSTRAINT "uq s.n" UNIQUE ("select", "prénom")',
        'ALTER TABLE "Order Items.x" RENAME COLUMN "prénom" TO "prénom 2"',
        'CREATE INDEX "ix \'a\'.b" ON "Order Items.x" ("Mixed Case", "back`tick")',
        'ALTER TABLE "Order Items.x" ADD CONSTRAINT "fk 2" FOREIGN KEY("order") '
        'REFERENCES "Par.ent" ("a.b")',
        'ALTER TABLE "Order Items.x" RENAME TO "select.From"',
    ):
        assert any(expected in s for s in statements), expected


@pytest.mark.parametrize(
    ("fn", "where", "kind", "name"),
    [
        (lambda op: op.create_table('a"b', sa.Column("id", sa.Integer)),
         "create_table('a\"b')", "table", 'a"b'),
        (lambda op: op.add_column("t", sa.Column('c"d', sa.Integer)),
         "add_column('t', 'c\"d')", "column", 'c"d'),
        (lambda op: op.create_index('ix "x"', "t", ["c"]), "create_index('ix \"x\"')", "index",
         'ix "x"'),
        (lambda op: op.create_unique_constraint('uq "x"', "t", ["c"]),
         "add constraint 'uq \"x\"'", "unique constraint", 'uq "x"'),
        (lambda op: op.alter_column("t", "c", new_column_name='c"2'),
         "alter_column('t', 'c')", "column", 'c"2'),
    ],
)
def test_a_double_quote_in_a_name_is_refused_before_any_statement(
    fn: Callable[[Any], Any], where: str, kind: str, name: str
) -> None:
    """Oracle allows a double quote in no identifier, quoted or not (ORA-03001 / ORA-00904
    at run time, after the operations before it ran: Oracle DDL is not transactional)."""
    text, error = run(lambda op: (op.drop_table("first"), fn(op)))
    assert text.strip() == "DROP TABLE first\n/"
    assert str(error) == (
        f"{where}: the {kind} name {name!r} contains a double quote, which this Oracle "
        "database does not allow in a name, quoted or not"
    )


def test_the_run_lock_name_of_a_long_non_ascii_version_table_fits_in_128_bytes() -> None:
    """DBMS_LOCK takes a lock name of at most 128 bytes: cut at 128 characters, a
    non-ASCII version table's name was up to 384; two long names differing only at their
    ends were one lock."""
    from mig_oracle.lock import lock_name

    first, second = lock_name("名前" * 70 + "a", "APP"), lock_name("名前" * 70 + "b", "APP")
    assert len(first.encode("utf-8")) <= 128 and len(second.encode("utf-8")) <= 128
    assert first != second and first.startswith("mig:APP.名前")
    assert lock_name("mig_version", "Tenant One") == "mig:Tenant One.mig_version"
