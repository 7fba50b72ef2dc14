"""``recreate="always"`` on the real MariaDB of a table other tables reference: their foreign keys
(and the table's own self-reference) are dropped and re-added around an atomic RENAME swap,
every row is kept, and a failure part-way is undone or says exactly what is left."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import offline, run, shared, statements
from mig_sqlite_batch.recreate_mysql import MySQLRecreate

from mig_core.errors import CommandError, MigWarning

mysql_url = shared.mysql_url

pytestmark = pytest.mark.mysql

TABLES = [
    "CREATE TABLE node (id INT PRIMARY KEY AUTO_INCREMENT, code VARCHAR(10) NOT NULL,"
    " label VARCHAR(20), legacy INT, parent_id INT, UNIQUE KEY uq_node_code (code),"
    " CONSTRAINT fk_node_parent FOREIGN KEY (parent_id) REFERENCES node (id)"
    " ON DELETE SET NULL)",
    "CREATE TABLE badge (id INT PRIMARY KEY, node_code VARCHAR(10),"
    " CONSTRAINT fk_badge_node FOREIGN KEY (node_code) REFERENCES node (code)"
    " ON UPDATE CASCADE)",
    "CREATE TABLE leaf (id INT PRIMARY KEY, node_id INT,"
    " CONSTRAINT fk_leaf_node FOREIGN KEY (node_id) REFERENCES node (id) ON DELETE CASCADE)",
]
ROWS = [
    # node 1's parent (3) comes later: a copy checking the self-reference row by row would fail
    "INSERT INTO node VALUES (3, 'c', 'three', 30, NULL), (1, 'a', 'one', 10, 3),"
    " (2, 'b', 'two', 20, 1), (9, 'z', 'gone', 0, NULL)",
    "DELETE FROM node WHERE id = 9",  # AUTO_INCREMENT stays at 10
    "INSERT INTO badge VALUES (1, 'a'), (2, 'c')",
    "INSERT INTO leaf VALUES (1, 1), (2, 1), (3, 2)",
]
NODE_ROWS = [(1, "a", "one", 3), (2, "b", "two", 1), (3, "c", "three", None)]


def execute(engine: sa.Engine, *sql: str) -> None:
    with engine.begin() as conn:
        for statement in sql:
            conn.execute(sa.text(statement))


def rows(engine: sa.Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def show_create(engine: sa.Engine, table: str) -> str:
    return str(rows(engine, f"SHOW CREATE TABLE {table}")[0][1])


def leftovers(engine: sa.Engine) -> list[tuple[Any, ...]]:
    return rows(engine, "SHOW TABLES LIKE '\\_mig\\_%'")


@pytest.fixture
def engine(mysql_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    execute(eng, "SET FOREIGN_KEY_CHECKS = 0",
            *[f"DROP TABLE IF EXISTS {t}" for t in
              ("leaf", "badge", "node", "_mig_tmp_node", "_mig_old_node")],
            "SET FOREIGN_KEY_CHECKS = 1", *TABLES, *ROWS)
    yield eng
    eng.dispose()


def change(op: Any) -> None:
    """A type change, a rename of a referenced column and a dropped column."""
    with op.batch_alter_table("node", recreate="always") as batch:
        batch.alter_column("label", type_=sa.String(40))
        batch.alter_column("code", new_column_name="slug")
        batch.drop_column("legacy")


def snapshot(engine: sa.Engine) -> dict[str, Any]:
    return {t: show_create(engine, t) for t in ("node", "badge", "leaf")} | {
        "rows": [rows(engine, f"SELECT * FROM {t} ORDER BY id") for t in ("node", "badge", "leaf")]
    }


def test_children_and_self_reference_survive_with_every_row(engine: sa.Engine) -> None:
    leaf_before = show_create(engine, "leaf")
    run(engine, change)
    assert rows(engine, "SELECT id, slug, label, parent_id FROM node ORDER BY id") == NODE_ROWS
    assert rows(engine, "SELECT * FROM badge ORDER BY id") == [(1, "a"), (2, "c")]
    assert rows(engine, "SELECT * FROM leaf ORDER BY id") == [(1, 1), (2, 1), (3, 2)]
    node = show_create(engine, "node")
    assert "`label` varchar(40)" in node and "legacy" not in node
    assert ("CONSTRAINT `fk_node_parent` FOREIGN KEY (`parent_id`) REFERENCES `node` (`id`) "
            "ON DELETE SET NULL") in node
    assert "UNIQUE KEY `uq_node_code` (`slug`)" in node
    assert show_create(engine, "leaf") == leaf_before
    assert ("CONSTRAINT `fk_badge_node` FOREIGN KEY (`node_code`) REFERENCES `node` (`slug`) "
            "ON UPDATE CASCADE") in show_create(engine, "badge")
    assert leftovers(engine) == []


def test_the_keys_are_enforced_afterwards(engine: sa.Engine) -> None:
    run(engine, change)
    for orphan in ("INSERT INTO leaf VALUES (9, 99)", "INSERT INTO badge VALUES (9, 'nope')",
                   "INSERT INTO node (slug, parent_id) VALUES ('q', 99)"):
        with pytest.raises(sa.exc.IntegrityError, match="1452"):
            execute(engine, orphan)
    execute(engine, "DELETE FROM node WHERE id = 2")  # leaf 3 cascades
    assert rows(engine, "SELECT id FROM leaf ORDER BY id") == [(1,), (2,)]
    execute(engine, "UPDATE node SET slug = 'aa' WHERE id = 1")  # badge 1 follows
    assert rows(engine, "SELECT * FROM badge ORDER BY id") == [(1, "aa"), (2, "c")]
    with pytest.raises(sa.exc.IntegrityError, match="1451"):  # badge 2 (no ON DELETE)
        execute(engine, "DELETE FROM node WHERE id = 3")
    execute(engine, "DELETE FROM badge WHERE id = 2",
            "DELETE FROM node WHERE id = 3")  # node 1's parent: SET NULL
    assert rows(engine, "SELECT parent_id FROM node WHERE id = 1") == [(None,)]


def test_auto_increment_counter_is_kept(engine: sa.Engine) -> None:
    run(engine, change)
    execute(engine, "INSERT INTO node (slug) VALUES ('new')")
    assert rows(engine, "SELECT id FROM node WHERE slug = 'new'") == [(10,)]


def test_statement_order_keeps_the_name_and_drops_the_original_last(engine: sa.Engine) -> None:
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda conn, cur, stmt, *a: statements.append(stmt))
    run(engine, change)
    ddl = [re.split(r" ?\(", s.strip())[0] for s in statements
           if s.strip().startswith(("CREATE TABLE", "INSERT", "ALTER", "RENAME", "DROP"))]
    assert ddl == [
        "CREATE TABLE _mig_tmp_node",
        "INSERT INTO _mig_tmp_node",
        "ALTER TABLE _mig_tmp_node AUTO_INCREMENT = 10",
        "ALTER TABLE badge DROP FOREIGN KEY fk_badge_node",
        "ALTER TABLE leaf DROP FOREIGN KEY fk_leaf_node",
        "ALTER TABLE node DROP FOREIGN KEY fk_node_parent",
        "RENAME TABLE node TO _mig_old_node, _mig_tmp_node TO node",
        "ALTER TABLE node ADD CONSTRAINT fk_node_parent FOREIGN KEY",
        "ALTER TABLE badge ADD CONSTRAINT fk_badge_node FOREIGN KEY",
        "ALTER TABLE leaf ADD CONSTRAINT fk_leaf_node FOREIGN KEY",
        "DROP TABLE _mig_old_node",
    ]
    assert "CONSTRAINT" not in next(s for s in statements if "CREATE TABLE" in s)


def test_child_in_another_database(engine: sa.Engine) -> None:
    other = engine.url.database + "_other"  # type: ignore[operator]
    database = engine.url.database
    execute(engine, f"DROP DATABASE IF EXISTS {other}", f"CREATE DATABASE {other}",
            f"CREATE TABLE {other}.far (id INT PRIMARY KEY, node_id INT, CONSTRAINT fk_far"
            f" FOREIGN KEY (node_id) REFERENCES {database}.node (id) ON DELETE CASCADE)",
            f"INSERT INTO {other}.far VALUES (1, 3)")
    try:
        run(engine, change)
        assert (f"CONSTRAINT `fk_far` FOREIGN KEY (`node_id`) REFERENCES `{database}`.`node` "
                "(`id`) ON DELETE CASCADE") in show_create(engine, f"{other}.far")
        with pytest.raises(sa.exc.IntegrityError, match="1452"):
            execute(engine, f"INSERT INTO {other}.far VALUES (2, 99)")
        execute(engine, "DELETE FROM badge", "DELETE FROM node WHERE id = 3")
        assert rows(engine, f"SELECT * FROM {other}.far") == []
    finally:
        execute(engine, f"DROP DATABASE IF EXISTS {other}")


def test_a_child_key_to_a_dropped_column_is_refused_before_anything(engine: sa.Engine) -> None:
    before = snapshot(engine)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda conn, cur, stmt, *a: statements.append(stmt))

    def drop_code(op: Any) -> None:
        with op.batch_alter_table("node", recreate="always") as batch:
            batch.drop_column("code")

    with pytest.raises(CommandError, match=r"badge.*\.badge\.fk_badge_node\) to node\.code, "
                                           "which the batch drops"):
        run(engine, drop_code)
    assert not [s for s in statements if s.startswith(("CREATE", "ALTER", "DROP", "RENAME"))]
    assert snapshot(engine) == before


def test_a_trigger_on_the_table_is_refused_before_anything(engine: sa.Engine) -> None:
    execute(engine, "CREATE TRIGGER trg_node BEFORE INSERT ON node FOR EACH ROW SET NEW.n = 1"
            .replace("NEW.n", "NEW.legacy"))
    before = snapshot(engine)
    with pytest.raises(CommandError, match="trigger.*trg_node on 'node' would be dropped"):
        run(engine, change)
    assert snapshot(engine) == before


def bigger_id(op: Any) -> None:
    """node.id becomes BIGINT (its self-reference too): leaf.node_id (INT) can no longer
    reference it, which only InnoDB's ADD CONSTRAINT finds out, after the swap."""
    with op.batch_alter_table("node", recreate="always") as batch:
        batch.alter_column("id", type_=sa.BigInteger, existing_nullable=False,
                           autoincrement=True)
        batch.alter_column("parent_id", type_=sa.BigInteger)
        batch.alter_column("code", new_column_name="slug")


def test_a_child_key_that_cannot_be_re_added_is_undone(engine: sa.Engine) -> None:
    before = snapshot(engine)
    with pytest.raises(CommandError) as info:
        run(engine, bigger_id)
    message = str(info.value)
    assert re.search(r"re-adding foreign key\(s\) \w+\.leaf\.fk_leaf_node failed: \(1005", message)
    assert message.endswith("undone: node is the original table with its rows and foreign "
                            "keys, as before the batch")
    assert snapshot(engine) == before  # badge's key, re-added first, points at the original
    assert leftovers(engine) == []


def test_an_undo_that_fails_says_what_is_left(engine: sa.Engine,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(engine)
    real = MySQLRecreate.run_undo

    def refuse_rename(self: MySQLRecreate, sql: str) -> None:
        if sql.startswith("RENAME TABLE"):
            raise RuntimeError("injected")
        real(self, sql)

    monkeypatch.setattr(MySQLRecreate, "run_undo", refuse_rename)
    with pytest.raises(CommandError) as info:
        run(engine, bigger_id)
    message = str(info.value)
    assert "undoing the batch failed too (renaming node back: injected)" in message
    left = message.split("What is left, in the order to fix it: ")[1]
    assert left.endswith(". Nothing else was changed")
    parts = left.removesuffix(". Nothing else was changed").split("; ")
    assert len(parts) == 5
    assert parts[0].startswith("node is the new table and the original, with its rows, is "
                               "_mig_old_node (to put it back: RENAME TABLE node TO "
                               "_mig_tmp_node, _mig_old_node TO node)")
    assert parts[1] == "the new table is left as _mig_tmp_node (drop it)"
    assert parts[2].startswith("node's foreign key(s) fk_node_parent are dropped (to re-add: "
                               "ALTER TABLE node ADD CONSTRAINT fk_node_parent")
    assert re.match(r"foreign key\(s\) \w+\.leaf\.fk_leaf_node are dropped \(to re-add: "
                    r"ALTER TABLE leaf ADD CONSTRAINT fk_leaf_node FOREIGN KEY \(node_id\) "
                    r"REFERENCES node \(id\) ON DELETE CASCADE ON UPDATE RESTRICT\)", parts[3])
    assert re.match(r"foreign key\(s\) \w+\.badge\.fk_badge_node are dropped \(to re-add: "
                    r"ALTER TABLE badge ADD CONSTRAINT fk_badge_node FOREIGN KEY \(node_code\) "
                    r"REFERENCES node \(code\)", parts[4])
    # it is exactly so: the original's rows are all in _mig_old_node, the keys are gone
    assert rows(engine, "SELECT id, code, label, parent_id FROM _mig_old_node ORDER BY id") == [
        (1, "a", "one", 3), (2, "b", "two", 1), (3, "c", "three", None)]
    assert "FOREIGN KEY" not in show_create(engine, "leaf")
    assert "FOREIGN KEY" not in show_create(engine, "badge")
    # and following the instructions restores it
    for fix in parts[:5]:
        sql = fix.split("(to put it back: ")[-1].split("(to re-add: ")[-1]
        if fix.endswith("(drop it)"):
            sql = "DROP TABLE _mig_tmp_node"
        else:
            sql = sql[:-1]
        execute(engine, sql)
    assert leftovers(engine) == []
    assert snapshot(engine) == before


def test_a_copy_that_fails_drops_it_and_changes_nothing(engine: sa.Engine) -> None:
    before = snapshot(engine)

    def too_short(op: Any) -> None:
        with op.batch_alter_table("node", recreate="always") as batch:
            batch.alter_column("label", type_=sa.Integer)  # 'one' is not a number

    with pytest.raises(CommandError, match=r"copying the rows failed: .*; undone: node is the "
                                           "original table"):
        run(engine, too_short)
    assert snapshot(engine) == before
    assert leftovers(engine) == []


def test_a_row_count_mismatch_stops_before_the_swap(engine: sa.Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(engine)
    real = MySQLRecreate.copy_sql

    def lose_a_row(self: MySQLRecreate, physical: dict[str, str], extra: Any = None) -> str:
        return real(self, physical, extra) + " WHERE id <> 2"

    monkeypatch.setattr(MySQLRecreate, "copy_sql", lose_a_row)
    with pytest.raises(CommandError, match=r"the copy _mig_tmp_node has 2 rows, node has 3 .*"
                                           "undone: node is the original table"):
        run(engine, change)
    assert snapshot(engine) == before
    assert leftovers(engine) == []


def test_values_converted_outside_strict_mode_stop_the_batch(engine: sa.Engine) -> None:
    before = snapshot(engine)
    sa.event.listen(engine, "connect",
                    lambda dbapi, rec: dbapi.cursor().execute("SET SESSION sql_mode = ''"))

    def to_int(op: Any) -> None:
        with op.batch_alter_table("node", recreate="always") as batch:
            batch.alter_column("label", type_=sa.Integer)

    with pytest.raises(CommandError, match=r"copying the rows changed values: Incorrect integer "
                                           r"value: 'one' .*\(and 2 more\); the session's "
                                           "sql_mode is not strict.*undone: node is the original"):
        run(engine, to_int)
    assert snapshot(engine) == before
    assert leftovers(engine) == []


def test_offline_script_has_the_same_order() -> None:
    """Offline there is no catalog: the table's own keys (from ``copy_from``) are handled,
    other tables' keys are not known, and nothing is verified."""
    node = sa.Table(
        "node", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(10)),
        sa.Column("parent_id", sa.Integer,
                  sa.ForeignKey("node.id", name="fk_node_parent", ondelete="CASCADE")),
    )

    def fn(op: Any) -> None:
        with op.batch_alter_table("node", recreate="always", copy_from=node) as batch:
            batch.alter_column("code", new_column_name="slug", type_=sa.String(20))

    assert statements(offline("mysql", fn)) == [
        "CREATE TABLE _mig_tmp_node (\n    id INTEGER NOT NULL AUTO_INCREMENT, \n"
        "    slug VARCHAR(20), \n    parent_id INTEGER, \n    PRIMARY KEY (id)\n)",
        "INSERT INTO _mig_tmp_node (id, slug, parent_id) SELECT id, code, parent_id FROM node",
        "ALTER TABLE node DROP FOREIGN KEY fk_node_parent",
        "RENAME TABLE node TO _mig_old_node, _mig_tmp_node TO node",
        "ALTER TABLE node ADD CONSTRAINT fk_node_parent FOREIGN KEY(parent_id) "
        "REFERENCES node (id) ON DELETE CASCADE",
        "DROP TABLE _mig_old_node",
    ]


def test_an_original_that_cannot_be_dropped_is_left_with_a_warning(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = MySQLRecreate.execute

    def refuse_drop(self: MySQLRecreate, sql: Any, step: str) -> None:
        if step == "dropping _mig_old_node":
            raise CommandError(f"{self.where}: {step} failed: injected")
        real(self, sql, step)

    monkeypatch.setattr(MySQLRecreate, "execute", refuse_drop)
    with pytest.warns(MigWarning, match=r"dropping _mig_old_node failed: injected; the batch is "
                                        "applied, the original table is left as _mig_old_node"):
        run(engine, change)
    assert rows(engine, "SELECT id, slug, label, parent_id FROM node ORDER BY id") == NODE_ROWS
    assert rows(engine, "SELECT id, code FROM _mig_old_node ORDER BY id") == [
        (1, "a"), (2, "b"), (3, "c")]
    assert "FOREIGN KEY" not in show_create(engine, "_mig_old_node")


def test_a_table_name_at_the_limit_gets_shortened_work_names(engine: sa.Engine) -> None:
    """A 64-character table name (MariaDB's limit) is recreated: the ``_mig_tmp_`` and
    ``_mig_old_`` work tables get names shortened with a hash to fit, and none is left."""
    long = "t" * 64
    execute(engine, f"DROP TABLE IF EXISTS {long}",
            f"CREATE TABLE {long} (id INT PRIMARY KEY, a VARCHAR(10), b INT)",
            f"INSERT INTO {long} VALUES (1, 'x', 10), (2, 'y', 20)")
    try:
        def shrink(op: Any) -> None:
            with op.batch_alter_table(long, recreate="always") as batch:
                batch.alter_column("a", type_=sa.String(40))
                batch.drop_column("b")

        run(engine, shrink)
        assert rows(engine, f"SELECT * FROM {long} ORDER BY id") == [(1, "x"), (2, "y")]
        assert "`a` varchar(40)" in show_create(engine, long)
        assert leftovers(engine) == []
    finally:
        execute(engine, f"DROP TABLE IF EXISTS {long}")
