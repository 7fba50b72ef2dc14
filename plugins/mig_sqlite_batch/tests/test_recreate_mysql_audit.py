"""``recreate="always"`` on the real MariaDB, as a user exercises it (audit of the MySQL flow).

- A table with a foreign key to another table used to stop half-way: the undo statement for
  its own keys was compiled only after they were dropped, and failed (the reflected key's
  referred table is not reflected), with a raw SQLAlchemy error; nothing was undone, so the
  table lost its foreign key, the children theirs, and ``_mig_tmp_`` was left behind.
- Renaming a column of a prefix index (``KEY ix (note(10))``) lost the prefix length: a
  VARCHAR index silently became a full one, a TEXT one failed the batch.
- A copy refused by NOT NULL now says to give those rows a value first (as on SQLite).
- Column-level CHECKs (MariaDB: a `JSON` column's `json_valid` too) and `DESC` index columns,
  which SQLAlchemy's reflection does not report, were dropped; an index it cannot read at all
  (MariaDB's `IGNORED`) was dropped too, and now stops the batch; so does a system-versioned
  table, which lost its versioning and history.
- A RANGE / LIST partitioned table could not be recreated (SQLAlchemy reads its partitions back
  as an option CREATE TABLE refuses); its `PARTITION BY` clause is now taken from SHOW CREATE TABLE.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import execute, offline, rows, run, runtime_support, shared, statements

from mig_core import command
from mig_core.errors import CommandError

mysql_url = shared.mysql_url

pytestmark = pytest.mark.mysql






def show_create(engine: sa.Engine, table: str) -> str:
    return str(rows(engine, f"SHOW CREATE TABLE {table}")[0][1])


@pytest.fixture
def engine(mysql_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    names = [r[0] for r in rows(eng, "SHOW TABLES")]
    execute(eng, "SET FOREIGN_KEY_CHECKS = 0", *[f"DROP TABLE `{n}`" for n in names])
    yield eng
    eng.dispose()


ACCT = [
    "CREATE TABLE org (id INT PRIMARY KEY)",
    "INSERT INTO org VALUES (1), (2)",
    "CREATE TABLE acct (id INT AUTO_INCREMENT PRIMARY KEY,"
    " code VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL COMMENT 'the code',"
    " qty VARCHAR(10), legacy INT, org_id INT,"
    " CONSTRAINT fk_acct_org FOREIGN KEY (org_id) REFERENCES org (id) ON DELETE SET NULL)"
    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='accounts'",
    "CREATE TABLE child (id INT PRIMARY KEY, acct_id INT, CONSTRAINT fk_child_acct"
    " FOREIGN KEY (acct_id) REFERENCES acct (id) ON DELETE CASCADE)",
    "INSERT INTO acct (code, qty, legacy, org_id) VALUES ('a', '1', 1, 1), ('b', '2', 2, 2),"
    " ('z', '9', 9, NULL)",
    "DELETE FROM acct WHERE code = 'z'",
    "INSERT INTO child VALUES (1, 1), (2, 1), (3, 2)",
]


def test_table_with_a_foreign_key_to_another_table(engine: sa.Engine) -> None:
    execute(engine, *ACCT)

    def change(op: Any) -> None:
        with op.batch_alter_table("acct", recreate="always") as batch:
            batch.alter_column("qty", type_=sa.Integer, existing_type=sa.String(10))
            batch.drop_column("legacy")

    run(engine, change)
    created = show_create(engine, "acct")
    assert "CONSTRAINT `fk_acct_org` FOREIGN KEY (`org_id`) REFERENCES `org` (`id`) " \
        "ON DELETE SET NULL" in created
    assert "CHARACTER SET latin1 COLLATE latin1_bin NOT NULL COMMENT 'the code'" in created
    assert "COLLATE=utf8mb4_unicode_ci" in created and "COMMENT='accounts'" in created
    assert "`qty` int(11)" in created and "legacy" not in created
    assert "fk_child_acct" in show_create(engine, "child")
    assert rows(engine, "SHOW TABLES LIKE '\\_mig\\_%'") == []
    execute(engine, "INSERT INTO acct (code) VALUES ('d')", "DELETE FROM acct WHERE id = 2")
    assert rows(engine, "SELECT id, code, qty, org_id FROM acct ORDER BY id") == [
        (1, "a", 1, 1), (4, "d", None, None),  # AUTO_INCREMENT continued past the deleted 3
    ]
    assert rows(engine, "SELECT id, acct_id FROM child ORDER BY id") == [(1, 1), (2, 1)]


def test_failure_after_the_keys_are_dropped_is_undone(engine: sa.Engine) -> None:
    execute(engine, *ACCT)
    before = {t: show_create(engine, t) for t in ("acct", "child")}

    def change(op: Any) -> None:  # the new child key cannot be added: the column changed type
        with op.batch_alter_table("acct", recreate="always") as batch:
            batch.alter_column("id", type_=sa.BigInteger, existing_type=sa.Integer,
                               autoincrement=True)

    with pytest.raises(CommandError, match="undone: acct is the original table") as info:
        run(engine, change)
    assert "fk_child_acct" in str(info.value)
    assert {t: show_create(engine, t) for t in ("acct", "child")} == before
    assert rows(engine, "SHOW TABLES LIKE '\\_mig\\_%'") == []


def test_renamed_column_keeps_its_prefix_length(engine: sa.Engine) -> None:
    execute(engine,
            "CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(50), body TEXT, x INT,"
            " KEY ix_note (note(10)), KEY ix_body (body(20), x))",
            "INSERT INTO t VALUES (1, 'n', 'b', 1)")

    def change(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as batch:
            batch.alter_column("note", new_column_name="remark", existing_type=sa.String(50))
            batch.alter_column("body", new_column_name="text_body", existing_type=sa.Text)

    run(engine, change)
    created = show_create(engine, "t")
    assert "KEY `ix_note` (`remark`(10))" in created
    assert "KEY `ix_body` (`text_body`(20),`x`)" in created
    assert rows(engine, "SELECT * FROM t") == [(1, "n", "b", 1)]


def test_not_null_over_nulls_is_undone_and_says_what_to_do(
    engine: sa.Engine, mysql_url: str, tmp_path: Path
) -> None:
    """Through ``mig upgrade`` with ``transaction_per_migration``: MySQL's DDL commits, so the
    original table is put back by the undo, and the error says so and what to do."""
    execute(engine,
            "CREATE TABLE item (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20),"
            " qty VARCHAR(10))",
            "CREATE TABLE sub (id INT PRIMARY KEY, item_id INT, CONSTRAINT fk_sub_item"
            " FOREIGN KEY (item_id) REFERENCES item (id) ON DELETE CASCADE)",
            "INSERT INTO item (name, qty) VALUES ('a', '1'), (NULL, '2')",
            "INSERT INTO sub VALUES (1, 1), (2, 2)")
    before = {t: show_create(engine, t) for t in ("item", "sub")}
    batch = (
        "with op.batch_alter_table('item', recreate='always') as b:\n"
        "    b.alter_column('qty', type_=sa.Integer, existing_type=sa.String(10))\n"
        "    b.alter_column('name', nullable=False, existing_type=sa.String(20))\n"
    )
    ini = runtime_support.make_project(tmp_path, mysql_url, [
        {"rev": "a", "upgrade": "op.execute(\"INSERT INTO sub VALUES (3, 1)\")"},
        {"rev": "b", "down": "a", "upgrade": batch},
    ])
    config = runtime_support.config_for(ini, configure={"transaction_per_migration": True})
    with pytest.raises(CommandError) as info:
        command.upgrade(config, "head")
    message = str(info.value)
    assert "Column 'name' cannot be null" in message
    assert "rows of item hold NULL in name; give them a value first" in message
    assert "undone: item is the original table with its rows and foreign keys" in message
    assert rows(engine, "SELECT version_num FROM mig_version") == [("a",)]
    assert {t: show_create(engine, t) for t in ("item", "sub")} == before
    assert rows(engine, "SELECT * FROM item ORDER BY id") == [(1, "a", "1"), (2, None, "2")]
    assert rows(engine, "SELECT * FROM sub ORDER BY id") == [(1, 1), (2, 2), (3, 1)]
    assert rows(engine, "SHOW TABLES LIKE '\\_mig\\_%'") == []


def test_column_checks_and_descending_indexes_are_kept(engine: sa.Engine) -> None:
    """SQLAlchemy's reflection reports neither MariaDB's column-level CHECKs (a ``JSON``
    column's ``json_valid`` among them) nor ``DESC`` index columns: both were dropped."""
    execute(engine,
            "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, qty INT CHECK (qty > 0),"
            " price DECIMAL(8, 2), j JSON, note VARCHAR(40),"
            " KEY ix_qty (qty DESC, price), KEY ix_note (note(10) DESC))",
            "INSERT INTO t (qty, price, j, note) VALUES (1, 2.5, '{\"k\": 1}', 'n')")

    def change(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as batch:
            batch.alter_column("price", type_=sa.Numeric(9, 3), existing_type=sa.Numeric(8, 2))
            batch.alter_column("note", new_column_name="remark", existing_type=sa.String(40))

    run(engine, change)
    created = show_create(engine, "t")
    assert "CHECK (`qty` > 0)" in created and "CHECK (json_valid(`j`))" in created
    assert "KEY `ix_qty` (`qty` DESC,`price`)" in created
    assert "KEY `ix_note` (`remark`(10) DESC)" in created
    with pytest.raises(sa.exc.DBAPIError, match="CONSTRAINT"):
        execute(engine, "INSERT INTO t (qty) VALUES (0)")
    with pytest.raises(sa.exc.DBAPIError, match="CONSTRAINT"):
        execute(engine, "INSERT INTO t (qty, j) VALUES (1, 'not json')")
    assert rows(engine, "SELECT id, qty, j, remark FROM t") == [(1, 1, '{"k": 1}', "n")]


def test_offline_copy_from_with_a_foreign_key_to_another_table() -> None:
    """The same compile failure stopped ``mig upgrade --sql``."""
    def change(op: Any) -> None:
        copy = sa.Table("acct", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("org_id", sa.Integer,
                                  sa.ForeignKey("org.id", name="fk_acct_org", ondelete="CASCADE")))
        with op.batch_alter_table("acct", copy_from=copy, recreate="always") as batch:
            batch.add_column(sa.Column("x", sa.Integer))

    found = statements(offline("mysql", change))
    assert found[2:] == [
        "ALTER TABLE acct DROP FOREIGN KEY fk_acct_org",
        "RENAME TABLE acct TO _mig_old_acct, _mig_tmp_acct TO acct",
        "ALTER TABLE acct ADD CONSTRAINT fk_acct_org FOREIGN KEY(org_id) REFERENCES org (id) "
        "ON DELETE CASCADE",
        "DROP TABLE _mig_old_acct",
    ]


def test_an_index_reflection_cannot_read_stops_the_batch(engine: sa.Engine) -> None:
    """MariaDB's ``KEY ix (a) IGNORED`` is skipped by SQLAlchemy's reflection (a warning
    only): the recreate silently dropped the index."""
    execute(engine, "CREATE TABLE t (id INT PRIMARY KEY, a INT, KEY ix_a (a) IGNORED)",
            "INSERT INTO t VALUES (1, 2)")
    before = show_create(engine, "t")

    def change(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as batch:
            batch.add_column(sa.Column("z", sa.Integer))

    with pytest.warns(sa.exc.SAWarning), pytest.raises(CommandError, match=(
        r"reflection cannot read index\(es\) ix_a of t .* "
        r"\(op.execute\(\"ALTER TABLE t ALTER INDEX ix_a NOT IGNORED\"\)\)"
    )):
        run(engine, change)
    assert show_create(engine, "t") == before


def test_a_system_versioned_table_is_refused(engine: sa.Engine) -> None:
    """The recreate made it a plain table: its versioning and every historical row gone."""
    execute(engine, "CREATE TABLE t (id INT PRIMARY KEY, a INT) WITH SYSTEM VERSIONING",
            "INSERT INTO t VALUES (1, 2)", "UPDATE t SET a = 3")

    def change(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as batch:
            batch.add_column(sa.Column("z", sa.Integer))

    with pytest.raises(CommandError, match="'t' is a system-versioned table; a recreate would "
                       "drop its history"):
        run(engine, change)
    assert rows(engine, "SELECT COUNT(*) FROM t FOR SYSTEM_TIME ALL") == [(2,)]


def test_a_partitioned_table_keeps_its_partitions(engine: sa.Engine) -> None:
    """SQLAlchemy reads RANGE / LIST partitions back as a CREATE TABLE option MariaDB
    refuses (``PARTITION_DEFINITIONS=...``): such a table could not be recreated."""
    execute(engine, "CREATE TABLE t (id INT PRIMARY KEY, a INT) PARTITION BY RANGE (id)"
            " (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE)",
            "INSERT INTO t VALUES (1, 2), (20, 3)")

    def change(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as batch:
            batch.alter_column("id", new_column_name="ident", existing_type=sa.Integer,
                               existing_nullable=False)
            batch.add_column(sa.Column("z", sa.Integer))

    run(engine, change)
    assert "PARTITION BY RANGE (`ident`)" in show_create(engine, "t")
    assert rows(engine, "SELECT ident FROM t PARTITION (p0)") == [(1,)]
    assert rows(engine, "SELECT ident FROM t PARTITION (p1)") == [(20,)]

    def drop(op: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as batch:
            batch.drop_column("ident")

    with pytest.raises(CommandError, match=r"partitioned by column\(s\) ident, which the batch"):
        run(engine, drop)
