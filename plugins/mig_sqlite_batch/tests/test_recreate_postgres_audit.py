"""``recreate="always"`` on the real PostgreSQL, as a user exercises it (audit).

- A table with a sorted index (``x DESC NULLS LAST``) could not be recreated at all: the
  reflected index's expression was bound to the old table ("Column(s) 't.y' are not part of
  table 't'").
- Renaming a column named in an index's ``INCLUDE (...)`` or operator class failed with a bare
  ``KeyError``; the include list and ``postgresql_ops`` now follow the rename.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import run, shared

postgres_url = shared.postgres_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Any]:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    execute(eng, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    yield eng
    execute(eng, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    eng.dispose()


def execute(engine: Any, *sql: str) -> None:
    with engine.begin() as conn:
        for s in sql:
            conn.exec_driver_sql(s.replace("%", "%%"))


def q(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql.replace("%", "%%")).all()]


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
