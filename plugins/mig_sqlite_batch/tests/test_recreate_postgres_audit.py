"""``recreate="always"`` on the real PostgreSQL, as a user exercises it (audit).

- A table with a sorted index (``x DESC NULLS LAST``) could not be recreated at all: the
  reflected index's expression was bound to the old table ("Column(s) 't.y' are not part of
  table 't'").
- Renaming a column named in an index's ``INCLUDE (...)`` or operator class failed with a bare
  ``KeyError``; the include list and ``postgresql_ops`` now follow the rename.
- A copy refused by NOT NULL named the temporary table; it now names the table and says to
  give those rows a value first (as on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import execute, run, runtime_support, shared
from batch_support import rows as q

from mig_core import command
from mig_core.errors import CommandError

postgres_url = shared.postgres_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Any]:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    execute(eng, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    yield eng
    execute(eng, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    eng.dispose()






def index_defs(engine: Any, table: str) -> set[str]:
    return {r[0] for r in q(engine, f"SELECT indexdef FROM pg_indexes WHERE tablename = '{table}'")}


INDEXED = [
    "CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(50), x INT, y INT)",
    "CREATE INDEX ix_inc ON t (x) INCLUDE (note)",
    "CREATE INDEX ix_ops ON t (note varchar_pattern_ops)",
    "CREATE INDEX ix_desc ON t (x DESC NULLS LAST, y)",
    "INSERT INTO t VALUES (1, 'a', 1, 1)",
]


def test_sorted_index_is_kept(engine: Any) -> None:
    execute(engine, *INDEXED)
    before = index_defs(engine, "t")

    def change(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as batch:
            batch.add_column(sa.Column("z", sa.Integer))

    run(engine, change)
    assert index_defs(engine, "t") == before
    assert q(engine, "SELECT * FROM t") == [(1, "a", 1, 1, None)]


def test_index_options_follow_renamed_columns(engine: Any) -> None:
    execute(engine, *INDEXED)

    def change(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as batch:
            batch.alter_column("note", new_column_name="remark")
            batch.alter_column("y", new_column_name="yy")

    run(engine, change)
    assert index_defs(engine, "t") == {
        "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)",
        "CREATE INDEX ix_inc ON public.t USING btree (x) INCLUDE (remark)",
        "CREATE INDEX ix_ops ON public.t USING btree (remark varchar_pattern_ops)",
        "CREATE INDEX ix_desc ON public.t USING btree (x DESC NULLS LAST, yy)",
    }


def test_dropping_an_included_column_drops_the_index(engine: Any) -> None:
    execute(engine, *INDEXED)

    def change(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as batch:
            batch.drop_column("note")

    run(engine, change)  # as PostgreSQL's DROP COLUMN does
    assert {r[0] for r in q(engine, "SELECT indexname FROM pg_indexes WHERE tablename = 't'")} \
        == {"t_pkey", "ix_desc"}


def test_not_null_over_nulls_rolls_back_and_names_the_table(
    engine: Any, postgres_url: str, tmp_path: Path
) -> None:
    """Through ``mig upgrade`` with ``transaction_per_migration``: the error named the
    temporary table (``relation "_mig_tmp_item"``) and said nothing of what to do."""
    execute(engine,
            "CREATE TABLE item (id SERIAL PRIMARY KEY, name VARCHAR(20), qty VARCHAR(10))",
            "CREATE TABLE sub (id INT PRIMARY KEY,"
            " item_id INT REFERENCES item (id) ON DELETE CASCADE)",
            "INSERT INTO item (name, qty) VALUES ('a', '1'), (NULL, '2')",
            "INSERT INTO sub VALUES (1, 1), (2, 2)")
    batch = (
        "op.execute(\"INSERT INTO item (name, qty) VALUES ('c', '3')\")\n"
        "with op.batch_alter_table('item', recreate='always') as b:\n"
        "    b.alter_column('qty', type_=sa.Integer, existing_type=sa.String(10))\n"
        "    b.alter_column('name', nullable=False, existing_type=sa.String(20))\n"
    )
    ini = runtime_support.make_project(tmp_path, postgres_url, [
        {"rev": "a", "upgrade": "op.execute(\"INSERT INTO sub VALUES (3, 1)\")"},
        {"rev": "b", "down": "a", "upgrade": batch},
    ])
    config = runtime_support.config_for(ini, configure={"transaction_per_migration": True})
    with pytest.raises(CommandError) as info:
        command.upgrade(config, "head")
    message = str(info.value)
    assert 'null value in column "name" of relation "item" violates not-null' in message
    assert "_mig_tmp_" not in message
    assert "rows of item hold NULL in name; give them a value first" in message
    assert q(engine, "SELECT version_num FROM mig_version") == [("a",)]
    assert q(engine, "SELECT * FROM item ORDER BY id") == [(1, "a", "1"), (2, None, "2")]
    assert q(engine, "SELECT * FROM sub ORDER BY id") == [(1, 1), (2, 2), (3, 1)]
    assert q(engine, "SELECT tablename FROM pg_tables WHERE tablename LIKE '\\_mig\\_tmp%'") == []


def test_copy_from_keeps_the_serial_sequence(engine: Any) -> None:
    """``copy_from`` declares the key a plain Integer, so the new table got a SERIAL of its
    own (``_mig_tmp_t_id_seq``) next to the old sequence, which stayed unused, and the
    position past deleted ids was lost."""
    execute(engine, "CREATE TABLE t (id SERIAL PRIMARY KEY, note VARCHAR(50))",
            "INSERT INTO t (note) VALUES ('a'), ('b'), ('z')", "DELETE FROM t WHERE note = 'z'")
    copy = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("note", sa.String(50)))

    def change(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always", copy_from=copy) as batch:
            batch.add_column(sa.Column("z", sa.Integer))

    run(engine, change)
    execute(engine, "INSERT INTO t (note) VALUES ('c')")
    assert q(engine, "SELECT id, note FROM t ORDER BY id") == [(1, "a"), (2, "b"), (4, "c")]
    assert q(engine, "SELECT relname FROM pg_class WHERE relkind = 'S'") == [("t_id_seq",)]
    assert q(engine, "SELECT pg_get_serial_sequence('t', 'id')") == [("public.t_id_seq",)]
