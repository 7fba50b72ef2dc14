"""Fixes from an end-to-end audit of autogenerate with ``render_as_batch=True`` on SQLite: what
the generated batch blocks do on a database holding rows."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import checksum, engine_for, execute, run, schema_sql, shared

from mig_core.errors import CommandError

sqlite_url = shared.sqlite_url


@pytest.fixture
def engine(sqlite_url: str) -> Any:
    eng = engine_for(sqlite_url, foreign_keys=True)
    execute(
        eng,
        "CREATE TABLE p (id INTEGER PRIMARY KEY, email VARCHAR(100))",
        "INSERT INTO p VALUES (1, 'a@x.io')",
    )
    yield eng
    eng.dispose()


def test_added_not_null_column_without_default_says_to_give_it_one(engine: Any) -> None:
    """Autogenerate writes a column renamed in the model as drop + add NOT NULL: the rows have
    no value for the new column, and an UPDATE before the batch cannot give them one."""
    before = (schema_sql(engine), checksum(engine, "p"))

    def migrate(op: Any) -> None:
        with op.batch_alter_table("p") as b:
            b.add_column(sa.Column("email_address", sa.String(100), nullable=False))
            b.drop_column("email")

    with pytest.raises(CommandError) as info:
        run(engine, migrate)
    assert str(info.value) == (
        "batch_alter_table('p'): copying the rows failed: NOT NULL constraint failed: "
        "p.email_address (email_address is added NOT NULL to p, which has rows, with no value "
        "for them: give the column a server_default, or add it nullable, fill it with "
        "op.execute(\"UPDATE p SET email_address = ...\") and then make it NOT NULL)"
    )
    assert (schema_sql(engine), checksum(engine, "p")) == before
