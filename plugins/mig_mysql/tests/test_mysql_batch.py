"""``batch_alter_table`` on the real MariaDB: plain ALTERs under ``recreate="auto"``, the move and
copy under ``recreate="always"``, also of a table other tables reference (their keys are dropped
and re-added around the swap; plugins/mig_sqlite_batch/tests/test_recreate_mysql.py has the
details)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from mysql_support import execute, rows, run, show_create
from runtime_support import shared_fixtures

mysql_url = shared_fixtures().mysql_url

pytestmark = pytest.mark.mysql

BP = (
    "CREATE TABLE bp (id INT PRIMARY KEY AUTO_INCREMENT,"
    " name VARCHAR(20) NOT NULL DEFAULT 'x' COMMENT 'hi', n INT,"
    " KEY ix_n (n), UNIQUE KEY uq_name (name)) COMMENT 'tbl'"
)


@pytest.fixture
def engine(mysql_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    execute(eng, "DROP TABLE IF EXISTS bc", "DROP TABLE IF EXISTS bp", BP,
            "INSERT INTO bp VALUES (1, 'a', 1), (2, 'b', 2)")
    yield eng
    eng.dispose()


def change(op: object) -> None:
    with op.batch_alter_table("bp", recreate="always") as batch:  # type: ignore[attr-defined]
        batch.alter_column("name", type_=sa.String(40))
        batch.alter_column("n", new_column_name="m")


def test_recreate_always_keeps_rows_keys_comments_and_auto_increment(engine: sa.Engine) -> None:
    run(engine, change)
    ddl = show_create(engine, "bp")
    assert "`name` varchar(40) NOT NULL DEFAULT 'x' COMMENT 'hi'" in ddl
    assert "`id` int(11) NOT NULL AUTO_INCREMENT" in ddl
    assert "UNIQUE KEY `uq_name` (`name`)" in ddl
    assert "KEY `ix_n` (`m`)" in ddl
    assert "COMMENT='tbl'" in ddl
    assert rows(engine, "SELECT id, name, m FROM bp ORDER BY id") == [(1, "a", 1), (2, "b", 2)]
    assert rows(engine, "SHOW TABLES LIKE '\\_mig\\_tmp\\_%'") == []


def test_recreate_always_of_a_referenced_table_keeps_the_referencing_key(
    engine: sa.Engine,
) -> None:
    """mig-sqlite-batch drops bc's key, swaps the tables with one RENAME and re-adds the key
    (following the renamed column) before dropping the original; see its test_recreate_mysql."""
    execute(engine, "CREATE TABLE bc (id INT PRIMARY KEY, pid INT,"
                    " CONSTRAINT fk_bc_bp FOREIGN KEY (pid) REFERENCES bp (id))",
            "INSERT INTO bc VALUES (1, 1)")
    before = show_create(engine, "bc")
    run(engine, change)
    assert show_create(engine, "bc") == before
    assert rows(engine, "SELECT id, name, m FROM bp ORDER BY id") == [(1, "a", 1), (2, "b", 2)]
    assert rows(engine, "SELECT * FROM bc") == [(1, 1)]
    with pytest.raises(sa.exc.IntegrityError, match="1452"):
        execute(engine, "INSERT INTO bc VALUES (2, 99)")
    assert rows(engine, "SHOW TABLES LIKE '\\_mig\\_%'") == []


def test_recreate_auto_is_plain_alter(engine: sa.Engine) -> None:
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda conn, cur, stmt, *a: statements.append(stmt))

    def fn(op: object) -> None:
        with op.batch_alter_table("bp") as batch:  # type: ignore[attr-defined]
            batch.alter_column("name", type_=sa.String(40))

    run(engine, fn)
    assert not [s for s in statements if "_mig_tmp_" in s or s.startswith("INSERT INTO")]
    assert [s for s in statements if s.startswith("ALTER TABLE bp MODIFY name VARCHAR(40)")]
    assert "`name` varchar(40) NOT NULL DEFAULT 'x' COMMENT 'hi'" in show_create(engine, "bp")
