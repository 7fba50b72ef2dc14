"""Names holding a backtick on the real MariaDB server. SQLAlchemy's MySQL reflection keeps the
doubled backticks of ``SHOW CREATE TABLE`` in names: autogenerate reads them as the server
holds them, and a batch recreate, which would rename such columns, refuses by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from mysql_support import reset, rows, run
from runtime_support import shared_fixtures

from mig_core.errors import CommandError

mysql_url = shared_fixtures().mysql_url

pytestmark = pytest.mark.mysql


@pytest.fixture
def engine(mysql_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    reset(eng)
    yield eng
    eng.dispose()


def model(indexed: bool = True) -> sa.MetaData:
    meta = sa.MetaData()
    items: list[Any] = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a`b", sa.Integer, index=True),
        sa.Column("x", sa.Integer),
    ]
    if indexed:
        items += [sa.UniqueConstraint("x", name="uq`u"), sa.Index("ix``i", "id", "a`b")]
    sa.Table("c`t", meta, *items)
    return meta


def test_autogenerate_reads_backtick_names_as_the_server_holds_them(engine: sa.Engine) -> None:
    """Reflection read column ``a`b`` as ``a``b``: every comparison reported it removed and
    added again (and the revision failed: duplicate column)."""
    from autogen_helpers import diffs, migrate, run_code  # (tests/, on the path by now)

    migrate(engine, model())
    assert diffs(engine, model()) == []
    upgrade, downgrade = migrate(engine, model(indexed=False))
    assert "op.drop_index(op.f('ix``i'), table_name='c`t')" in upgrade
    assert "op.drop_index(op.f('uq`u'), table_name='c`t')" in upgrade
    assert diffs(engine, model(indexed=False)) == []
    run_code(engine, downgrade)
    assert diffs(engine, model()) == []


def test_a_recreate_refuses_a_table_with_backtick_names(engine: sa.Engine) -> None:
    """The recreate built its copy from the misread names: column ``a`b`` became ``a``b``."""
    run(engine, lambda op: op.create_table(
        "c`t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("a`b", sa.Integer)))

    def batch(op: Any) -> None:
        with op.batch_alter_table("c`t", recreate="always") as batch_op:
            batch_op.add_column(sa.Column("y", sa.Integer))

    with pytest.raises(CommandError) as info:
        run(engine, batch)
    assert str(info.value) == (
        "batch_alter_table('c`t'): SQLAlchemy's MySQL reflection misreads names holding a "
        "backtick (name(s) 'a`b'), so the recreate would rename or drop them; rename them "
        "before the batch, or describe the table with copy_from=Table(...)"
    )
    assert rows(engine, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE "
                "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'c`t' ORDER BY ORDINAL_POSITION") == [
        ("id",), ("a`b",)]


def test_a_recreate_refuses_a_table_whose_foreign_key_reflection_skips(
    engine: sa.Engine,
) -> None:
    """A key to a table whose name holds a backtick is not reflected at all (SQLAlchemy
    warns 'Unknown schema content'): the recreate would have dropped it."""
    run(engine, lambda op: (
        op.create_table("p`t", sa.Column("id", sa.Integer, primary_key=True)),
        op.create_table("child", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("pid", sa.Integer)),
        op.create_foreign_key("fk_p", "child", "p`t", ["pid"], ["id"]),
    ))

    def batch(op: Any) -> None:
        with op.batch_alter_table("child", recreate="always") as batch_op:
            batch_op.add_column(sa.Column("y", sa.Integer))

    with pytest.raises(CommandError, match=r"\(1 foreign key\(s\) it could not read\)"):
        with pytest.warns(sa.exc.SAWarning, match="Unknown schema content"):
            run(engine, batch)
    assert rows(engine, "SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
                "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'child'") == [("fk_p",)]
