"""A revision that fails in the middle of a run, on SQLite, PostgreSQL and MariaDB.

Transactional runs roll back to the last commit; non-transactional ones (MariaDB, or
``transactional_ddl=False``) move the version row after each revision; the error says the
failed revision's DDL may be partly applied where it may (MariaDB, a connection in AUTOCOMMIT),
and rolled back where the server rolled it back. The error names the revision, file and line.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from pg_drivers import each_postgres_driver
from runtime_support import config_for, create_table, make_project

from mig_core import command
from mig_core.errors import MigrationFailed

BROKEN = [
    {"rev": "r1", **create_table("t_r1")},
    {"rev": "r2", "down": "r1", **create_table("t_r2")},
    {
        "rev": "r3",
        "down": "r2",
        "upgrade": (
            "op.create_table('t_r3', sa.Column('id', sa.Integer, primary_key=True))\n"
            "op.execute('INSERT INTO no_such_table VALUES (1)')\n"
        ),
    },
    {"rev": "r4", "down": "r3", **create_table("t_r4")},
]


def _config(ini, url_kind, opts):
    return config_for(ini, configure=opts)  # MariaDB: the installed mig-mysql plugin


CASES = {
    # kind: (fixture, configure options, heads after failure, tables after failure)
    "sqlite": ("sqlite_url", {}, set(), set()),
    "sqlite-per-migration": ("sqlite_url", {"transaction_per_migration": True}, {"r2"},
                             {"r1", "r2"}),
    "sqlite-nontx": ("sqlite_url", {"transactional_ddl": False}, {"r2"}, {"r1", "r2"}),
    "postgresql": ("postgres_url", {}, set(), set()),
    "postgresql-per-migration": ("postgres_url", {"transaction_per_migration": True}, {"r2"},
                                 {"r1", "r2"}),
    "postgresql-nontx": ("postgres_url", {"transactional_ddl": False}, {"r2"}, {"r1", "r2"}),
    "psycopg": ("psycopg_url", {}, set(), set()),  # PostgreSQL through psycopg 3
    "psycopg-per-migration": ("psycopg_url", {"transaction_per_migration": True}, {"r2"},
                              {"r1", "r2"}),
    # MariaDB commits each DDL statement: r3's CREATE TABLE stays although r3 failed
    "mysql": ("mysql_url", {}, {"r2"}, {"r1", "r2", "r3"}),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_failure_in_the_middle(kind, request, tmp_path):
    fixture, opts, heads_after, tables_after = CASES[kind]
    url = request.getfixturevalue(fixture)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f"DROP TABLE {name}"))
    ini = make_project(tmp_path, url, BROKEN)
    url_kind = fixture.split("_")[0]
    with pytest.raises(MigrationFailed) as info:
        command.upgrade(_config(ini, url_kind, opts), "head")
    message = str(info.value)
    assert "\n" not in message
    source = (tmp_path / "migrations" / "versions" / "r3_r3.py").read_text().splitlines()
    line = next(i for i, text in enumerate(source, 1) if "no_such_table" in text)
    prefix = rf"revision r3 \(versions/r3_r3\.py line {line}\) upgrade failed: \w+Error: "
    assert re.match(prefix, message), message
    assert "no_such_table" in message
    nontx = url_kind == "mysql" or opts.get("transactional_ddl") is False
    if url_kind == "mysql":  # r3's CREATE TABLE took effect, the INSERT did not
        assert "; before the failing statement it ran 1 statement: CREATE TABLE t_r3 (" in message
        assert message.endswith(
            "; 1 statement of it took effect (no transactional DDL on mysql) and the version "
            "table still names r2. Once the cause is fixed, `mig upgrade r3 --resume` runs the "
            "rest of it (or repair the schema by hand and record where it is with `mig stamp`)")
    elif nontx:  # rolled back in fact: the server has transactional DDL
        dialect = sa.engine.make_url(url).get_backend_name()
        # it said "its DDL may be partly applied" while r3's table was rolled back
        assert message.endswith(
            f"; rolled back (transactional DDL on {dialect} was turned off for this run, so the "
            "revisions before it were committed one by one); the version table still names r2")
        assert "--resume" not in message
    else:
        expected = "r2" if opts.get("transaction_per_migration") else "base"
        assert f"rolled back, the database is still at {expected}" in message
    assert info.value.exit_code == 1

    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        heads = set(conn.execute(sa.text("SELECT version_num FROM mig_version")).scalars()) if (
            "mig_version" in names
        ) else set()
        history = conn.execute(
            sa.text("SELECT revisions, success, error, from_heads, to_heads FROM mig_history "
                    "ORDER BY id")
        ).all()
    assert heads == heads_after
    assert {n[2:] for n in names if n.startswith("t_")} == tables_after
    # the failure row is written even when the migration's transaction rolled back
    applied = sorted(heads_after and {"r1", "r2"})
    assert [(r[0], bool(r[1])) for r in history] == [(r, True) for r in applied] + [("r3", False)]
    assert "no_such_table" in history[-1][2]
    # the failure row names the heads the database holds, not the rolled-back in-memory ones
    assert (history[-1][3], history[-1][4]) == (" ".join(heads_after),) * 2

    # fixing the revision and rerunning completes from where the database is
    (tmp_path / "migrations" / "versions" / "r3_r3.py").write_text(
        (tmp_path / "migrations" / "versions" / "r3_r3.py")
        .read_text()
        .replace("op.execute('INSERT INTO no_such_table VALUES (1)')", "pass")
        .replace("op.create_table('t_r3'", "op.execute('DROP TABLE IF EXISTS t_r3')\n    op.create_table('t_r3'")
    )
    command.upgrade(_config(ini, url_kind, opts), "head")
    with engine.connect() as conn:
        assert set(conn.execute(sa.text("SELECT version_num FROM mig_version")).scalars()) == {"r4"}
    engine.dispose()


def test_error_in_env_py_names_file_and_line(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, BROKEN[:1], env_py="x = 1\nraise ValueError('bad env')\n")
    from mig_core.errors import CommandError

    with pytest.raises(CommandError, match=r"env.py failed \(.*env.py line 2\): ValueError: bad env"):
        command.upgrade(config_for(ini), "head")


@each_postgres_driver
def test_failure_after_autocommit_block_keeps_what_it_committed(tmp_path, postgres_url):
    """autocommit_block commits the revisions before it (and their version row) mid-run."""
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "r1", **create_table("t_r1")},
        {"rev": "r2", "down": "r1", "upgrade": (
            "with op.get_context().autocommit_block():\n"
            "    op.execute('CREATE INDEX CONCURRENTLY ix_r1 ON t_r1 (id)')\n"
            "op.execute('SELECT * FROM no_such_table')\n"
        )},
    ])
    # the message says what of r2 was committed (it said "rolled back, the database is still
    # at r1" while r2's index stayed; see test_postgres_autocommit_resume.py)
    with pytest.raises(MigrationFailed, match=r"no_such_table\S* does not exist; 1 statement "
                       r"of it took effect, committed by its autocommit_block\(\): CREATE INDEX "
                       r"CONCURRENTLY ix_r1 ON t_r1 \(id\); the rest of it is rolled back and "
                       r"the version table still names r1\. Once the cause is fixed, `mig "
                       r"upgrade r2 --resume` runs the rest of it"):
        command.upgrade(_config(ini, "postgres", {}), "head")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "r1"
        assert [i["name"] for i in sa.inspect(conn).get_indexes("t_r1")] == ["ix_r1"]
        rows = conn.execute(sa.text("SELECT revisions, success FROM mig_history ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("r1", True), ("r2", False)]
    engine.dispose()


@pytest.mark.parametrize("fixture", ["sqlite_url", "postgres_url", "mysql_url"])
def test_revision_file_that_cannot_be_imported_mid_run(fixture, request, tmp_path):
    """A revision whose file fails to import mid-run: the file's own error (exit code 4) plus
    where the database is, a failure row in the history (on MariaDB it replaces the started
    row, so the next run is not refused as interrupted), and a rerun once it is fixed."""
    from mig_core.errors import RevisionGraphError

    url = request.getfixturevalue(fixture)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f"DROP TABLE {name}"))
    revisions = [dict(r) for r in BROKEN[:2]] + [{"rev": "r3", "down": "r2", **create_table("t_r3")}]
    ini = make_project(tmp_path, url, revisions)
    r3 = tmp_path / "migrations" / "versions" / "r3_r3.py"
    good = r3.read_text()
    r3.write_text(good + "\ndef broken(:\n")
    with pytest.raises(RevisionGraphError) as info:
        command.upgrade(config_for(ini), "head")
    message = str(info.value)
    assert info.value.exit_code == 4
    assert "r3_r3.py" in message and "cannot be parsed" in message
    if fixture == "mysql_url":
        assert message.endswith("; none of its DDL ran; the version table still names r2")
    else:
        assert message.endswith("; rolled back, the database is still at base")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT revisions, success, error FROM mig_history ORDER BY id")
        ).all()
    assert rows[-1][:2] in (("r3", False), ("r3", 0))
    assert "cannot be parsed" in rows[-1][2]
    r3.write_text(good)
    command.upgrade(config_for(ini), "head")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "r3"
    engine.dispose()


LONG_ID = "r_" + "x" * 38  # 40 characters; version_num holds 32


@pytest.mark.parametrize("fixture", ["sqlite_url", "postgres_url", "mysql_url"])
def test_revision_id_longer_than_version_num_is_refused_before_it_runs(
    fixture, request, tmp_path
):
    """On MariaDB the revision's CREATE TABLE committed and then its version row failed
    ("env.py failed ... Data too long"), leaving the schema ahead of the version table; on
    PostgreSQL the error named env.py. It is now refused first, naming the id and file; a
    widened column (as projects do for long ids) is honoured; SQLite keeps any length."""
    from mig_core.errors import CommandError

    url = request.getfixturevalue(fixture)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f"DROP TABLE {name}"))
    ini = make_project(tmp_path, url, [
        {"rev": "r1", **create_table("t_r1")},
        {"rev": LONG_ID, "down": "r1", **create_table("t_long")},
    ])
    if fixture == "sqlite_url":
        command.upgrade(config_for(ini), "head")
    else:
        with pytest.raises(CommandError, match=rf"^revision id '{LONG_ID}' \(.*_{LONG_ID}\.py\) "
                                               r"is 40 characters, more than the 32 the version "
                                               r"table mig_version\.version_num holds; nothing "
                                               r"was run\."):
            command.upgrade(config_for(ini), "head")
        with engine.connect() as conn:
            assert "t_r1" not in sa.inspect(conn).get_table_names()
        with pytest.raises(CommandError, match="more than the 32"):  # its CREATE TABLE: 32
            command.upgrade(config_for(ini), "head", sql=True)
        command.upgrade(config_for(ini), "r1")
        with pytest.raises(CommandError, match="more than the 32"):
            command.upgrade(config_for(ini), "head")
        widen = ("ALTER TABLE mig_version ALTER COLUMN version_num TYPE VARCHAR(64)"
                 if fixture == "postgres_url" else
                 "ALTER TABLE mig_version MODIFY version_num VARCHAR(64) NOT NULL")
        with engine.begin() as conn:
            conn.execute(sa.text(widen))
        command.upgrade(config_for(ini), "head")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == LONG_ID
        assert "t_long" in sa.inspect(conn).get_table_names()
    engine.dispose()


def test_queued_statement_failure_is_reported_before_a_later_unimportable_file(
    tmp_path, postgres_url
):
    """PostgreSQL sends DDL in batches: when r2's queued CREATE TABLE fails and r3's file
    cannot be imported, r2's failure is the one reported (it happened first)."""
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    ini = make_project(tmp_path, postgres_url, [
        {"rev": "r1", **create_table("t_r1")},
        {"rev": "r2", "down": "r1", **create_table("t_r1")},  # already exists
        {"rev": "r3", "down": "r2", **create_table("t_r3")},
    ])
    r3 = tmp_path / "migrations" / "versions" / "r3_r3.py"
    r3.write_text(r3.read_text() + "\ndef broken(:\n")
    with pytest.raises(MigrationFailed, match=r'^revision r2 \(versions/r2_r2\.py line \d+\) '
                                              r'upgrade failed: ProgrammingError: relation '
                                              r'"t_r1" already exists; rolled back'):
        command.upgrade(config_for(ini), "head")
    engine.dispose()


@each_postgres_driver
@pytest.mark.parametrize("how", ["execution_options", "create_engine"])
def test_transactional_ddl_off_on_an_autocommit_connection_says_partly_applied(
    how, tmp_path, postgres_url
):
    """With the connection in AUTOCOMMIT (set on the connection, or on the engine, which only
    the driver then reports), each statement of the failed revision committed as it ran: r3's
    table stays, and the message says how much of it took effect, why, and how to resume."""
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    ini = make_project(tmp_path, postgres_url, BROKEN)
    if how == "create_engine":
        auto = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool,
                                isolation_level="AUTOCOMMIT")
        conn = auto.connect()
    else:
        auto = engine
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    with conn, pytest.raises(MigrationFailed) as info:
        command.upgrade(config_for(ini, connection=conn,
                                   configure={"transactional_ddl": False}), "head")
    assert str(info.value).endswith(
        "; before the failing statement it ran 1 statement: CREATE TABLE t_r3 ( id SERIAL NOT "
        "NULL, PRIMARY KEY (id) ); 1 statement of it took effect (the connection's isolation "
        "level is AUTOCOMMIT, so each statement commits as it runs, and transactional DDL on "
        "postgresql was "
        "turned off for this run (transactional_ddl=False)) and the version table still names "
        "r2. Once the cause is fixed, `mig upgrade r3 --resume` runs the rest of it (or repair "
        "the schema by hand and record where it is with `mig stamp`)")
    with engine.connect() as check:
        names = set(sa.inspect(check).get_table_names())
        assert check.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "r2"
    assert {"t_r1", "t_r2", "t_r3"} <= names  # r3's CREATE TABLE took effect
    auto.dispose()
    engine.dispose()


def test_a_failure_without_transactional_ddl_lists_the_statements_that_ran(tmp_path, sqlite_url):
    """Where DDL commits by itself (here: a connection in AUTOCOMMIT), the error shows what the
    revision ran before the failing statement (the last three, and how many): the user repairs
    from that."""
    ini = make_project(tmp_path, sqlite_url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": "".join(
            f"op.add_column('t', sa.Column('c{i}', sa.Integer))\n" for i in range(4)
        ) + "op.execute('INSERT INTO no_such_table VALUES (1)')\n"},
    ])
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn, \
            pytest.raises(MigrationFailed) as info:
        command.upgrade(config_for(ini, connection=conn,
                                   configure={"transactional_ddl": False}), "head")
    assert str(info.value).endswith(
        "; before the failing statement it ran 4 statements: ...; ALTER TABLE t ADD COLUMN c1 "
        "INTEGER; ALTER TABLE t ADD COLUMN c2 INTEGER; ALTER TABLE t ADD COLUMN c3 INTEGER; 4 "
        "statements of it took effect (the connection's isolation level is AUTOCOMMIT, so each "
        "statement commits as it runs, and transactional DDL on sqlite was turned off for this run "
        "(transactional_ddl=False)) and the version table still names r1. Once the cause is "
        "fixed, `mig upgrade r2 --resume` runs the rest of it (or repair the schema by hand and "
        "record where it is with `mig stamp`)"
    )
    with engine.connect() as conn:
        assert [c["name"] for c in sa.inspect(conn).get_columns("t")] == [
            "id", "c0", "c1", "c2", "c3"]
        conn.execute(sa.text("CREATE TABLE t2 AS SELECT id FROM t"))
        conn.execute(sa.text("DROP TABLE t"))
        conn.execute(sa.text("ALTER TABLE t2 RENAME TO t"))
        conn.commit()
    command.stamp(config_for(ini), "r1")  # repaired by hand: r2's 4 statements no longer hold
    # transactional_ddl=False on a connection that does not commit each statement: rolled back
    with pytest.raises(MigrationFailed) as info:
        command.upgrade(config_for(ini, configure={"transactional_ddl": False}), "head")
    assert "before the failing statement" not in str(info.value)
    assert str(info.value).endswith("; rolled back (transactional DDL on sqlite was turned off "
                                    "for this run, so the revisions before it were committed one "
                                    "by one); the version table still names r1")
    with engine.connect() as conn:
        assert [c["name"] for c in sa.inspect(conn).get_columns("t")] == ["id"]
    engine.dispose()
    # a transactional run lists nothing: everything since the last commit is rolled back
    with pytest.raises(MigrationFailed) as info:
        command.upgrade(config_for(ini), "head")
    assert "before the failing statement" not in str(info.value)


@each_postgres_driver
def test_an_autocommit_connection_runs_revision_by_revision(tmp_path, postgres_url):
    """A connection in AUTOCOMMIT commits each statement, so no transaction can hold the run:
    it runs as without transactional DDL (the version row moves after each revision), without
    the savepoints a transaction would use ("SAVEPOINT can only be used in transaction blocks"
    stopped the run), and a failure says what stays (resumed in
    test_postgres_autocommit_connection_resume.py)."""
    url = postgres_url
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    ini = make_project(tmp_path, url, BROKEN)
    auto = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with auto.connect() as conn, pytest.raises(MigrationFailed) as info:
        command.upgrade(config_for(ini, connection=conn), "head")
    assert str(info.value).endswith(
        "; 1 statement of it took effect (the connection's isolation level is AUTOCOMMIT, so "
        "each statement commits as it runs) and the version table still names r2. Once the "
        "cause is fixed, "
        "`mig upgrade r3 --resume` runs the rest of it (or repair the schema by hand and record "
        "where it is with `mig stamp`)")
    with engine.connect() as check:
        names = set(sa.inspect(check).get_table_names())
        assert check.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "r2"
    assert {"t_r1", "t_r2", "t_r3"} <= names  # r3's CREATE TABLE took effect
    # the rest runs once the revision is fixed (its table dropped by hand first)
    r3 = tmp_path / "migrations" / "versions" / "r3_r3.py"
    r3.write_text(r3.read_text().replace("op.execute('INSERT INTO no_such_table VALUES (1)')",
                                         "pass"))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE t_r3"))
    with auto.connect() as conn:
        command.upgrade(config_for(ini, connection=conn), "head")
    with engine.connect() as check:
        assert check.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "r4"
        assert {"t_r3", "t_r4"} <= set(sa.inspect(check).get_table_names())
    auto.dispose()
    engine.dispose()


def test_an_autocommit_connection_on_sqlite_still_runs_in_the_locks_transaction(
    tmp_path, sqlite_url
):
    """SQLite's run lock opens each transaction with BEGIN IMMEDIATE, AUTOCOMMIT or not: the
    run stays one transaction and a failure rolls all of it back."""
    ini = make_project(tmp_path, sqlite_url, BROKEN)
    auto = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with auto.connect() as conn, pytest.raises(MigrationFailed) as info:
        command.upgrade(config_for(ini, connection=conn), "head")
    assert str(info.value).endswith("; rolled back, the database is still at base")
    with auto.connect() as check:
        assert not {"t_r1", "t_r2", "t_r3"} & set(sa.inspect(check).get_table_names())
    auto.dispose()
