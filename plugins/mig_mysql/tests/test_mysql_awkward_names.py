"""Names holding a backtick on the real MariaDB server. SQLAlchemy's MySQL reflection keeps the
doubled backticks of ``SHOW CREATE TABLE`` in names: autogenerate reads them as the server
holds them, and a batch recreate, which would rename such columns, refuses by name. Foreign
keys to a table whose name holds one, which that reflection skips, are read from
information_schema."""

from __future__ import annotations

import warnings
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
        "backtick (name(s) 'a`b'), so the recreate would rename them; rename them before the "
        "batch, or describe the table with copy_from=Table(...)"
    )
    assert rows(engine, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE "
                "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'c`t' ORDER BY ORDINAL_POSITION") == [
        ("id",), ("a`b",)]


def keyed_model(with_keys: bool = True, own_backtick: bool = False) -> sa.MetaData:
    """``child`` with keys to a table whose name holds a backtick (one to a column whose name
    holds one, ON DELETE CASCADE) and to a column of a plain table whose name holds one;
    ``own_backtick``: also a key ``fk`x`` on child's column ``x`y``."""
    meta = sa.MetaData()
    sa.Table("p`t", meta, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("k`c", sa.Integer, unique=True))
    sa.Table("par", meta, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("q`r", sa.Integer, unique=True))
    columns = ["pid", "w", "z", *(["x`y"] if own_backtick else [])]
    keys: list[Any] = [
        sa.ForeignKeyConstraint(["pid"], ["p`t.id"], name="fk_p"),
        sa.ForeignKeyConstraint(["w"], ["p`t.k`c"], name="fk_w", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["z"], ["par.q`r"], name="fk_z"),
    ] if with_keys else []
    if with_keys and own_backtick:
        keys.append(sa.ForeignKeyConstraint(["x`y"], ["par.id"], name="fk`x"))
    sa.Table("child", meta, sa.Column("id", sa.Integer, primary_key=True),
             *(sa.Column(c, sa.Integer, index=not with_keys) for c in columns), *keys)
    return meta


def foreign_keys(engine: sa.Engine, table: str) -> list[tuple[Any, ...]]:
    """(name, column, referred table, referred column, ON DELETE) of ``table``'s keys."""
    return sorted(rows(
        engine,
        "SELECT k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, "
        "k.REFERENCED_COLUMN_NAME, r.DELETE_RULE FROM information_schema.KEY_COLUMN_USAGE k "
        "JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = "
        "k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = "
        "k.TABLE_NAME WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = :t",
        t=table,
    ))


KEYS = [("fk_p", "pid", "p`t", "id", "RESTRICT"), ("fk_w", "w", "p`t", "k`c", "CASCADE"),
        ("fk_z", "z", "par", "q`r", "RESTRICT")]


def test_autogenerate_sees_foreign_keys_to_backtick_names(engine: sa.Engine) -> None:
    """SQLAlchemy's reflection skipped the keys to ``p`t``: autogenerate proposed adding them
    again, never dropping them, and a dropped table's downgrade re-created it without them."""
    from autogen_helpers import diffs, migrate, run_code

    keys = sorted([("fk`x", "x`y", "par", "id", "RESTRICT"), *KEYS])
    migrate(engine, keyed_model(own_backtick=True))
    assert foreign_keys(engine, "child") == keys
    with warnings.catch_warnings():
        warnings.simplefilter("error", sa.exc.SAWarning)  # no "Unknown schema content" left
        assert diffs(engine, keyed_model(own_backtick=True)) == []
    upgrade, downgrade = migrate(engine, keyed_model(with_keys=False, own_backtick=True))
    for name in ("fk_p", "fk_w", "fk_z", "fk`x"):
        assert f"op.drop_constraint(op.f('{name}'), 'child', type_='foreignkey')" in upgrade
    assert foreign_keys(engine, "child") == []
    run_code(engine, downgrade)
    assert foreign_keys(engine, "child") == keys
    assert diffs(engine, keyed_model(own_backtick=True)) == []
    upgrade, downgrade = migrate(engine, sa.MetaData())  # every table dropped
    run_code(engine, downgrade)
    assert foreign_keys(engine, "child") == keys


def test_a_recreate_keeps_foreign_keys_to_backtick_names(engine: sa.Engine) -> None:
    """The recreate refused the table (the keys to ``p`t`` were not reflected), and re-added
    ``fk_z`` to column ``q``r``, which does not exist."""
    from autogen_helpers import setup

    setup(engine, keyed_model())
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO `p``t` VALUES (1, 10)"))
        conn.execute(sa.text("INSERT INTO par VALUES (1, 20)"))
        conn.execute(sa.text("INSERT INTO child VALUES (1, 1, 10, 20)"))

    def batch(op: Any) -> None:
        with op.batch_alter_table("child", recreate="always") as batch_op:
            batch_op.add_column(sa.Column("y", sa.Integer))

    with warnings.catch_warnings():
        warnings.simplefilter("error", sa.exc.SAWarning)
        run(engine, batch)
    assert foreign_keys(engine, "child") == KEYS
    assert rows(engine, "SELECT id, pid, w, z, y FROM child") == [(1, 1, 10, 20, None)]
