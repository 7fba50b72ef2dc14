"""Move and copy on PostgreSQL (``recreate="always"``) after the migration itself queued
deferred constraint checks in the same transaction.

PostgreSQL refuses ``DROP TABLE`` / ``ALTER TABLE`` on a table with pending trigger events:
a migration that inserted rows into a table with a ``DEFERRABLE INITIALLY DEFERRED`` foreign
key (the recreated table, or one referencing it) and then recreated the table failed with the
raw "cannot DROP TABLE ... because it has pending trigger events". The recreate now fires those
checks first (``SET CONSTRAINTS ... IMMEDIATE``), and afterwards puts the INITIALLY DEFERRED
constraints that survive back to DEFERRED; a violated constraint is a clear error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import engine_for, execute, rows, run, runtime_support, shared
from pg_drivers import each_postgres_driver

from mig_core import command

postgres_url = shared.postgres_url


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Any]:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    execute(eng, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public",
            "DROP SCHEMA IF EXISTS other CASCADE")
    yield eng
    execute(eng, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public",
            "DROP SCHEMA IF EXISTS other CASCADE")
    eng.dispose()


def modes(engine: Any) -> dict[str, tuple[str, bool, bool]]:
    """constraint name -> (table, condeferrable, condeferred) of every constraint."""
    return {
        r[0]: (r[1], r[2], r[3])
        for r in rows(engine, (
            "SELECT conname, conrelid::regclass::text, condeferrable, condeferred "
            "FROM pg_constraint WHERE connamespace IN ('public'::regnamespace) ORDER BY 1"
        ))
    }


SETUP = [
    "CREATE TABLE p (id INT PRIMARY KEY)",
    "CREATE TABLE q (id INT PRIMARY KEY)",
    "CREATE TABLE t (id INT PRIMARY KEY, pid INT, note VARCHAR(20), slot INT, "
    "CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED, "
    "CONSTRAINT uq_t_slot UNIQUE (slot) DEFERRABLE INITIALLY DEFERRED)",
    "CREATE INDEX ix_t_pid ON t (pid)",
    "CREATE TABLE c (id INT PRIMARY KEY, tid INT, qid INT, "
    "CONSTRAINT fk_c_t FOREIGN KEY (tid) REFERENCES t (id) DEFERRABLE INITIALLY DEFERRED, "
    "CONSTRAINT fk_c_q FOREIGN KEY (qid) REFERENCES q (id) DEFERRABLE INITIALLY DEFERRED)",
    "INSERT INTO p VALUES (1), (2)",
    "INSERT INTO q VALUES (1)",
    "INSERT INTO t VALUES (1, 1, 'a', 1), (2, 2, 'b', 2)",
    "INSERT INTO c VALUES (1, 1, 1)",
]


def widen_note(table: str = "t", schema: str | None = None) -> Callable[[Any], None]:
    def migrate(op: Any) -> None:
        with op.batch_alter_table(table, schema=schema, recreate="always") as b:
            b.alter_column("note", existing_type=sa.String(20), type_=sa.String(40))

    return migrate


def migration(*before: str, after: tuple[str, ...] = ()) -> Callable[[Any], None]:
    """``before`` statements, the recreate of ``t``, ``after`` statements: one transaction."""
    def migrate(op: Any) -> None:
        for sql in before:
            op.execute(sql)
        widen_note()(op)
        for sql in after:
            op.execute(sql)

    return migrate


def test_pending_checks_on_the_recreated_table(engine: Any) -> None:
    execute(engine, *SETUP)
    before = modes(engine)
    # used to fail: cannot ALTER TABLE "t" because it has pending trigger events
    run(engine, migration("INSERT INTO t VALUES (3, 1, 'c', 3)"))
    assert rows(engine, "SELECT * FROM t ORDER BY id") == [
        (1, 1, "a", 1), (2, 2, "b", 2), (3, 1, "c", 3)
    ]
    assert modes(engine) == before
    assert rows(engine, "SELECT character_maximum_length FROM information_schema.columns "
                     "WHERE table_name = 't' AND column_name = 'note'") == [(40,)]


def test_pending_checks_on_a_referencing_table(engine: Any) -> None:
    execute(engine, *SETUP)
    before = modes(engine)
    # used to fail: cannot ALTER TABLE "c" because it has pending trigger events
    run(engine, migration("INSERT INTO c VALUES (2, 2, 1)"))
    assert rows(engine, "SELECT * FROM c ORDER BY id") == [(1, 1, 1), (2, 2, 1)]
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,), (2,)]
    assert modes(engine) == before


@each_postgres_driver
def test_pending_checks_of_a_referenced_row_and_a_deferred_unique(engine: Any) -> None:
    execute(engine, *SETUP)
    before = modes(engine)
    run(engine, migration(
        "DELETE FROM c",  # fk_c_t queues a check on t for the deleted reference
        "DELETE FROM t WHERE id = 2",  # ... and on t itself
        "UPDATE t SET slot = 2 WHERE id = 1",  # uq_t_slot: a duplicate until commit
        "INSERT INTO t VALUES (4, 1, 'd', 1)",
    ))
    assert rows(engine, "SELECT id, slot FROM t ORDER BY id") == [(1, 2), (4, 1)]
    assert modes(engine) == before


def test_constraints_are_deferred_again_after_the_recreate(engine: Any) -> None:
    execute(engine, *SETUP)
    run(engine, migration(
        "INSERT INTO t VALUES (3, 1, 'c', 3)",
        "INSERT INTO c VALUES (2, 3, 1)",
        after=(
            # each violates a deferred constraint until a later statement fixes it
            "INSERT INTO t VALUES (5, 9, 'e', 5)",  # fk_t_p (re-created with t)
            "INSERT INTO c VALUES (3, 6, 7)",  # fk_c_t (re-added), fk_c_q (kept, fired)
            "INSERT INTO p VALUES (9)",
            "INSERT INTO t VALUES (6, 9, 'f', 6)",
            "INSERT INTO q VALUES (7)",
        ),
    ))
    assert rows(engine, "SELECT * FROM c ORDER BY id") == [(1, 1, 1), (2, 3, 1), (3, 6, 7)]
    # and still checked at commit
    with pytest.raises(sa.exc.IntegrityError, match="fk_c_q"):
        run(engine, migration(
            "INSERT INTO c VALUES (4, 1, 1)", after=("INSERT INTO c VALUES (5, 1, 8)",)
        ))


@each_postgres_driver
def test_a_violated_deferred_constraint_is_a_clear_error(engine: Any) -> None:
    from mig_sqlite_batch.deferred import DeferredConstraintViolated

    execute(engine, *SETUP)
    with pytest.raises(DeferredConstraintViolated) as info:
        run(engine, migration("INSERT INTO t VALUES (3, 99, 'orphan', 3)"))
    message = str(info.value)
    assert message.startswith("batch_alter_table('t'): deferred constraint 'fk_t_p' (on "
                              "table 't') is violated by rows this migration changed before "
                              "the batch")
    assert "Key (pid)=(99) is not present in table \"p\"" in message
    assert "make those rows valid before the batch" in message
    assert rows(engine, "SELECT id FROM t ORDER BY id") == [(1,), (2,)]  # rolled back


def test_a_violation_on_a_referencing_table_names_it(engine: Any) -> None:
    from mig_sqlite_batch.deferred import DeferredConstraintViolated

    execute(engine, *SETUP)
    with pytest.raises(DeferredConstraintViolated, match=r"deferred constraint 'fk_c_q' \(on "
                                                         r"table 'c'\)"):
        run(engine, migration("INSERT INTO c VALUES (2, 1, 42)"))


def test_set_constraints_all_deferred_before_the_batch(engine: Any) -> None:
    """An INITIALLY IMMEDIATE constraint the migration deferred: fired, and the re-created
    one follows SET CONSTRAINTS ALL DEFERRED like every new constraint."""
    execute(engine, *SETUP)
    execute(engine, "ALTER TABLE t DROP CONSTRAINT fk_t_p",
            "ALTER TABLE t ADD CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id) "
            "DEFERRABLE INITIALLY IMMEDIATE")
    before = modes(engine)
    run(engine, migration(
        "SET CONSTRAINTS ALL DEFERRED", "INSERT INTO t VALUES (3, 1, 'c', 3)",
        after=("INSERT INTO t VALUES (4, 8, 'd', 4)", "INSERT INTO p VALUES (8)"),
    ))
    assert rows(engine, "SELECT id, pid FROM t ORDER BY id") == [(1, 1), (2, 2), (3, 1), (4, 8)]
    assert modes(engine) == before


def test_a_table_in_a_schema_off_the_search_path(engine: Any) -> None:
    execute(engine, "CREATE SCHEMA other", *(
        s.replace("TABLE ", "TABLE other.").replace("INTO ", "INTO other.")
        .replace("REFERENCES ", "REFERENCES other.").replace(" ON t ", " ON other.t ")
        for s in SETUP
    ))
    seen = statements(engine)

    def migrate(op: Any) -> None:
        op.execute("INSERT INTO other.t VALUES (3, 1, 'c', 3)")
        op.execute("INSERT INTO other.c VALUES (2, 3, 1)")
        widen_note(schema="other")(op)
        op.execute("INSERT INTO other.c VALUES (3, 7, 1)")  # deferred again
        op.execute("INSERT INTO other.t VALUES (7, 1, 'g', 7)")

    run(engine, migrate)
    assert rows(engine, "SELECT * FROM other.c ORDER BY id") == [(1, 1, 1), (2, 3, 1), (3, 7, 1)]
    fired = [s for s in seen if s.startswith("SET CONSTRAINTS")]
    assert fired == [
        "SET CONSTRAINTS other.fk_c_q, other.fk_c_t, other.fk_t_p, other.uq_t_slot IMMEDIATE",
        "SET CONSTRAINTS other.fk_c_q DEFERRED",  # the others were re-created
    ]


def statements(engine: Any) -> list[str]:
    """The SQL texts ``engine`` runs from now on."""
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)

    return seen


def test_nothing_deferrable_adds_no_statement(engine: Any) -> None:
    execute(engine, "CREATE TABLE p (id INT PRIMARY KEY)",
            "CREATE TABLE t (id INT PRIMARY KEY, pid INT REFERENCES p (id), note VARCHAR(20))")
    seen = statements(engine)
    run(engine, widen_note())
    assert not [s for s in seen if "SET CONSTRAINTS" in s]


def test_a_shared_name_is_restored_on_every_table(engine: Any) -> None:
    """SET CONSTRAINTS takes names: the other table's fk_ref is fired too, and deferred
    again afterwards."""
    execute(engine, *SETUP, "ALTER TABLE c RENAME CONSTRAINT fk_c_q TO fk_ref",
            "CREATE TABLE u (id INT PRIMARY KEY, qid INT CONSTRAINT fk_ref REFERENCES q (id) "
            "DEFERRABLE INITIALLY DEFERRED)")
    run(engine, migration(
        "INSERT INTO c VALUES (2, 1, 1)", "INSERT INTO u VALUES (1, 1)",
        after=("INSERT INTO u VALUES (2, 5)", "INSERT INTO c VALUES (3, 1, 5)",
               "INSERT INTO q VALUES (5)"),
    ))
    assert rows(engine, "SELECT * FROM u ORDER BY id") == [(1, 1), (2, 5)]


def test_a_name_shared_with_an_immediate_constraint_stays_immediate(engine: Any) -> None:
    from mig_core.errors import MigWarning

    execute(engine, *SETUP, "ALTER TABLE c RENAME CONSTRAINT fk_c_q TO fk_ref",
            "CREATE TABLE u (id INT PRIMARY KEY, qid INT CONSTRAINT fk_ref REFERENCES q (id))")
    with pytest.warns(MigWarning, match=r"the deferred constraint\(s\) fk_ref \(on c\) stay "
                                        r"IMMEDIATE for the rest of the transaction"):
        run(engine, migration("INSERT INTO c VALUES (2, 1, 1)"))
    assert rows(engine, "SELECT * FROM c ORDER BY id") == [(1, 1, 1), (2, 1, 1)]
    with pytest.warns(MigWarning), pytest.raises(sa.exc.IntegrityError, match="fk_ref"):
        run(engine, migration(  # immediate now: the row is refused at once
            "INSERT INTO c VALUES (3, 1, 1)",
            after=("INSERT INTO c VALUES (4, 1, 6)", "INSERT INTO q VALUES (6)"),
        ))


def test_pending_checks_left_unfired_are_a_clear_error(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What remains if a pending check is not fired: PostgreSQL's refusal, explained."""
    from mig_sqlite_batch import deferred

    execute(engine, *SETUP)
    monkeypatch.setattr(deferred, "fire", lambda *args: None)
    with pytest.raises(deferred.PendingTriggerEvents) as info:
        run(engine, migration("INSERT INTO c VALUES (2, 2, 1)"))
    message = str(info.value)
    assert message.startswith(
        "batch_alter_table('t'): PostgreSQL cannot recreate 't' while deferred checks this "
        "migration queued earlier in the transaction are pending (deferrable constraints "
        "involved: fk_c_q (on c), fk_c_t (on c), fk_t_p (on t), uq_t_slot (on t)): "
    )
    assert ('involved: fk_c_q (on c), fk_c_t (on c), fk_t_p (on t), uq_t_slot (on t)): '
            'dropping foreign key fk_c_t of c failed: cannot ALTER TABLE "c" because it has '
            'pending trigger events. ') in message
    assert "Run SET CONSTRAINTS <those constraints> IMMEDIATE before the batch" in message
    assert "transaction_per_migration" in message


# --- through mig upgrade (statements sent several per round trip) ---------------------------


def test_upgrade_with_earlier_revision_changes_in_the_same_transaction(
    engine: Any, postgres_url: str, tmp_path: Path
) -> None:
    execute(engine, *SETUP)
    batch = (
        "with op.batch_alter_table('t', recreate='always') as b:\n"
        "    b.alter_column('note', existing_type=sa.String(20), type_=sa.String(40))\n"
        "op.execute(\"INSERT INTO t VALUES (5, 9, 'e', 5)\")\n"
    )
    ini = runtime_support.make_project(tmp_path, postgres_url, [
        {"rev": "a", "upgrade": "op.execute(\"INSERT INTO t VALUES (3, 1, 'c', 3)\")"},
        {"rev": "b", "down": "a", "upgrade": batch},
        {"rev": "c", "down": "b", "upgrade": "op.execute('INSERT INTO p VALUES (9)')"},
    ])
    command.upgrade(runtime_support.config_for(ini), "head")
    assert rows(engine, "SELECT id, pid FROM t ORDER BY id") == [(1, 1), (2, 2), (3, 1), (5, 9)]


# --- SQLite has its own recreate --------------------------------------------------------------


def test_sqlite_is_unaffected(tmp_path: Path) -> None:
    eng = engine_for(f"sqlite:///{tmp_path / 'db.sqlite'}", foreign_keys=True)
    execute(eng, "CREATE TABLE p (id INTEGER PRIMARY KEY)",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, pid INT, note VARCHAR(20), slot INT, "
            "CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)",
            "INSERT INTO p VALUES (1)", "INSERT INTO t VALUES (1, 1, 'a', 1)")
    seen = statements(eng)
    run(eng, migration("INSERT INTO t VALUES (2, 1, 'b', 2)",
                       after=("INSERT INTO t VALUES (3, 5, 'c', 3)", "INSERT INTO p VALUES (5)")))
    assert rows(eng, "SELECT id, pid FROM t ORDER BY id") == [(1, 1), (2, 1), (3, 5)]
    assert not [s for s in seen if "SET CONSTRAINTS" in s]
    assert rows(eng, "PRAGMA foreign_key_check") == []


def test_a_deferred_constraint_trigger_fires_before_and_is_recreated_deferred(
    engine: Any,
) -> None:
    execute(
        engine, *SETUP,
        "CREATE TABLE log (id INT)",
        "CREATE FUNCTION log_t() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO log VALUES (NEW.id); RETURN NULL; END $$",
        "CREATE CONSTRAINT TRIGGER tr_t_log AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED "
        "FOR EACH ROW EXECUTE FUNCTION log_t()",
    )
    before = modes(engine)

    def migrate(op: Any) -> None:
        op.execute("INSERT INTO t VALUES (3, 1, 'c', 3)")
        widen_note()(op)
        assert op.get_bind().exec_driver_sql("SELECT id FROM log").all() == [(3,)]  # fired
        op.execute("INSERT INTO t VALUES (4, 1, 'd', 4)")
        assert op.get_bind().exec_driver_sql("SELECT id FROM log").all() == [(3,)]  # deferred

    run(engine, migrate)
    assert rows(engine, "SELECT id FROM log ORDER BY id") == [(3,), (4,)]
    assert modes(engine) == before


def test_the_violation_message_without_diagnostics() -> None:
    """Drivers without psycopg's ``diag``: the names come from PostgreSQL's message."""
    from mig_sqlite_batch.deferred import _violation

    orig = Exception('insert or update on table "t" violates foreign key constraint "fk_t_p"\n'
                     'DETAIL:  Key (pid)=(99) is not present in table "p".')
    message = _violation("batch_alter_table('t')", sa.exc.IntegrityError("SET", {}, orig))
    assert message.startswith("batch_alter_table('t'): deferred constraint 'fk_t_p' (on table "
                              "'t') is violated by rows this migration changed before the "
                              "batch: insert or update on table \"t\" violates foreign key "
                              "constraint \"fk_t_p\" DETAIL:  Key (pid)=(99) is not present")
