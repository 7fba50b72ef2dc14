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


def test_batch_convention_names_created_constraints_when_the_model_has_none(engine: Any) -> None:
    """A project without a naming convention (``target_metadata = MetaData()``, whose default
    convention names only indexes) fixes autogenerate's ``drop_constraint(None, ...)`` with
    the batch's ``naming_convention``; the foreign keys the batch creates with ``None`` are
    named by it too, so a later batch can drop them."""
    execute(
        engine,
        "CREATE TABLE post (id INTEGER PRIMARY KEY, author_id INT, "
        "FOREIGN KEY(author_id) REFERENCES p (id))",
    )
    fk = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}

    def migrate(op: Any) -> None:
        with op.batch_alter_table("post", naming_convention=fk) as b:
            b.drop_constraint("fk_post_author_id_p", type_="foreignkey")
            b.add_column(sa.Column("parent_id", sa.Integer))
            b.create_foreign_key(None, "post", ["parent_id"], ["id"])
            b.create_foreign_key(None, "p", ["author_id"], ["id"], ondelete="CASCADE")

    run(engine, migrate, target_metadata=sa.MetaData())
    names = {fk["name"] for fk in sa.inspect(engine).get_foreign_keys("post")}
    assert names == {"fk_post_parent_id_post", "fk_post_author_id_p"}
