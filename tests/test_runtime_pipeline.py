"""DDL sent several statements per round trip (PostgreSQL + psycopg2 or psycopg 3, mig's own
transaction).

Each test counts what reaches the driver (``before_cursor_execute``) and checks the schema, the
version table and the history the run leaves, including failures of a queued statement, which
must be reported with the revision and line that queued it.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from pg_drivers import each_postgres_driver
from runtime_support import config_for, create_table, make_project

from mig_core import command
from mig_core.errors import ConfigError, MigrationFailed


def _clean(url):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}" CASCADE'))
    return engine


def _tables_revisions(n, columns=3):
    """n revisions, each a table and ``columns`` add_columns: 1 + columns statements each."""
    revs = []
    for i in range(1, n + 1):
        body = [f"op.create_table('t{i}', sa.Column('id', sa.Integer, primary_key=True))"]
        body += [f"op.add_column('t{i}', sa.Column('c{j}', sa.String(20)))" for j in range(columns)]
        revs.append({"rev": f"r{i}", "down": f"r{i - 1}" if i > 1 else None,
                     "upgrade": "\n".join(body), "downgrade": f"op.drop_table('t{i}')"})
    return revs


class _DriverCalls:
    """Statements that reach the driver through one engine (each is a round trip)."""

    def __init__(self, engine):
        self.statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def ddl(self):
        """The revisions' DDL (not the version and history tables')."""
        return [
            s for s in self.statements
            if re.match(r"\s*(CREATE|ALTER|DROP)", s) and "mig_" not in s
        ]


def _run(ini, engine, target="head", **configure):
    with engine.connect() as conn:
        command.upgrade(config_for(ini, connection=conn, configure=configure), target)


def _heads(engine):
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("mig_version"):
            return set()
        return set(conn.execute(sa.text("SELECT version_num FROM mig_version")).scalars())


def _user_tables(engine):
    with engine.connect() as conn:
        return {n for n in sa.inspect(conn).get_table_names() if not n.startswith("mig_")}


@each_postgres_driver
def test_ddl_goes_in_batches_and_lands(tmp_path, postgres_url):
    engine = _clean(postgres_url)
    ini = make_project(tmp_path, postgres_url, _tables_revisions(10))
    calls = _DriverCalls(engine)
    _run(ini, engine)
    batches = [s for s in calls.ddl() if s.count("\n;\n")]
    assert len(batches) == 1 and batches[0].count("\n;\n") == 39  # 40 statements, one trip
    assert _heads(engine) == {"r10"}
    with engine.connect() as conn:
        columns = [c["name"] for c in sa.inspect(conn).get_columns("t7")]
    assert columns == ["id", "c0", "c1", "c2"]
    engine.dispose()


@each_postgres_driver
def test_statements_per_round_trip_bounds_a_batch_and_1_turns_it_off(tmp_path, postgres_url):
    engine = _clean(postgres_url)
    ini = make_project(tmp_path, postgres_url, _tables_revisions(5))
    calls = _DriverCalls(engine)
    _run(ini, engine, statements_per_round_trip=6)
    sizes = [s.count("\n;\n") + 1 for s in calls.ddl()]
    assert sizes == [6, 6, 6, 2]  # 20 statements
    engine.dispose()
    engine = _clean(postgres_url)
    calls = _DriverCalls(engine)
    _run(ini, engine, statements_per_round_trip=1)
    assert not any("\n;\n" in s for s in calls.statements)
    assert len(calls.ddl()) >= 20
    engine.dispose()


def test_psycopg_preparing_every_statement_sends_them_one_at_a_time(tmp_path, psycopg_url):
    """psycopg 3 with ``prepare_threshold=0`` prepares each statement on its first run, and a
    prepared statement holds one command: a batch would fail every time and be sent again
    statement by statement. Such a connection gets no batches."""
    engine = sa.create_engine(psycopg_url, poolclass=sa.pool.NullPool,
                              connect_args={"prepare_threshold": 0})
    _clean(psycopg_url).dispose()
    ini = make_project(tmp_path, psycopg_url, _tables_revisions(3))
    calls = _DriverCalls(engine)
    _run(ini, engine)
    assert not any("\n;\n" in s for s in calls.statements)
    assert len(calls.ddl()) == 12  # each statement once: no batch failed and ran again
    assert _heads(engine) == {"r3"}
    engine.dispose()


@each_postgres_driver
def test_bad_statements_per_round_trip_is_a_config_error(tmp_path, postgres_url):
    engine = _clean(postgres_url)
    ini = make_project(tmp_path, postgres_url, _tables_revisions(1))
    with pytest.raises(ConfigError, match="statements_per_round_trip must be a whole number"):
        _run(ini, engine, statements_per_round_trip="many")
    engine.dispose()


FAILING = [
    {"rev": "r1", **create_table("t_r1")},
    {
        "rev": "r2",
        "down": "r1",
        "upgrade": (
            "op.create_table('t_r2', sa.Column('id', sa.Integer, primary_key=True))\n"
            "op.add_column('no_such_table', sa.Column('x', sa.Integer))\n"
            "op.create_table('t_r2b', sa.Column('id', sa.Integer, primary_key=True))\n"
        ),
    },
    {"rev": "r3", "down": "r2", **create_table("t_r3")},
    {"rev": "r4", "down": "r3", "upgrade": "raise RuntimeError('r4 is broken too')"},
]


def _line_of(tmp_path, rev, needle):
    source = (tmp_path / "migrations" / "versions" / f"{rev}_{rev}.py").read_text().splitlines()
    return next(i for i, text in enumerate(source, 1) if needle in text)


@each_postgres_driver
@pytest.mark.parametrize("per_round_trip", [250, 2])  # 2: the failing batch is sent in the
@pytest.mark.parametrize("per_migration", [False, True])  # background while r3 and r4 run
def test_a_queued_statement_that_fails_is_reported_with_its_revision_and_line(
    tmp_path, postgres_url, per_migration, per_round_trip
):
    engine = _clean(postgres_url)
    ini = make_project(tmp_path, postgres_url, FAILING)
    with pytest.raises(MigrationFailed) as info:
        _run(ini, engine, transaction_per_migration=per_migration,
             statements_per_round_trip=per_round_trip)
    message = str(info.value)
    line = _line_of(tmp_path, "r2", "no_such_table")
    # r4's own error comes later in the run: r2's statement failed first and is the one named
    assert re.match(rf"revision r2 \(versions/r2_r2\.py line {line}\) upgrade failed: "
                    r"ProgrammingError: .*no_such_table", message), message
    expected_heads = {"r1"} if per_migration else set()
    assert f"the database is still at {'r1' if per_migration else 'base'}" in message
    assert _heads(engine) == expected_heads
    assert _user_tables(engine) == ({"t_r1"} if per_migration else set())
    with engine.connect() as conn:
        history = conn.execute(
            sa.text("SELECT revisions, success, error FROM mig_history ORDER BY id")
        ).all()
    applied = [("r1", True)] if per_migration else []
    assert [(r[0], bool(r[1])) for r in history] == applied + [("r2", False)]
    assert "no_such_table" in history[-1][2]
    engine.dispose()


@each_postgres_driver
def test_a_python_error_after_queued_ddl_sends_it_first(tmp_path, postgres_url):
    """A revision raising after queueing valid DDL: its own error is reported, not a DDL one."""
    engine = _clean(postgres_url)
    revs = [
        {"rev": "r1", **create_table("t_r1")},
        {"rev": "r2", "down": "r1",
         "upgrade": "op.create_table('t_r2', sa.Column('id', sa.Integer, primary_key=True))\n"
                    "raise RuntimeError('r2 gives up')"},
    ]
    ini = make_project(tmp_path, postgres_url, revs)
    with pytest.raises(MigrationFailed, match=r"revision r2 .* RuntimeError: r2 gives up; rolled back"):
        _run(ini, engine)
    assert _user_tables(engine) == set()
    engine.dispose()


DATA_MIGRATION = [
    {"rev": "r1", "upgrade": (
        "op.create_table('items', sa.Column('id', sa.Integer, primary_key=True),"
        " sa.Column('label', sa.String(20), server_default=sa.text(\"'50%'\")))\n"
        "op.add_column('items', sa.Column('qty', sa.Integer))\n"
        "conn = op.get_bind()\n"
        "conn.execute(sa.text(\"INSERT INTO items (id, qty) VALUES (1, 5)\"))\n"
        "op.add_column('items', sa.Column('note', sa.String(10)))\n"
        "raw = conn.connection.cursor()\n"  # the driver's cursor: r1 queues nothing
        "raw.execute(\"UPDATE items SET note = 'raw'\")\n"
    )},
    {"rev": "r2", "down": "r1", "upgrade": (
        "op.add_column('items', sa.Column('twice', sa.Integer))\n"
        "op.add_column('items', sa.Column('spare', sa.Integer))\n"
        "op.execute(sa.table('items', sa.column('twice'), sa.column('qty'))"
        ".update().values(twice=sa.column('qty') * 2))\n"
        "op.create_index('ix_items_qty', 'items', ['qty'])\n"
    )},
]


@each_postgres_driver
def test_data_migrations_see_the_ddl_queued_before_them(tmp_path, postgres_url):
    engine = _clean(postgres_url)
    ini = make_project(tmp_path, postgres_url, DATA_MIGRATION)
    calls = _DriverCalls(engine)
    _run(ini, engine)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT id, label, qty, note, twice FROM items")).one()
        indexes = [ix["name"] for ix in sa.inspect(conn).get_indexes("items")]
    assert tuple(row) == (1, "50%", 5, "raw", 10)  # '%' reaches the server once, not doubled
    assert indexes == ["ix_items_qty"]
    assert "\n;\n" in "".join(calls.ddl())  # r2 (no driver access) was still batched
    engine.dispose()


@each_postgres_driver
def test_autocommit_block_sends_the_queue_before_committing(tmp_path, postgres_url):
    engine = _clean(postgres_url)
    revs = [
        {"rev": "r1", **create_table("t_r1")},
        {"rev": "r2", "down": "r1", "upgrade": (
            "op.add_column('t_r1', sa.Column('code', sa.Integer))\n"
            "with op.get_context().autocommit_block():\n"
            "    op.create_index('ix_code', 't_r1', ['code'], postgresql_concurrently=True)\n"
            "op.add_column('t_r1', sa.Column('later', sa.Integer))\n"
        )},
    ]
    ini = make_project(tmp_path, postgres_url, revs)
    _run(ini, engine)
    with engine.connect() as conn:
        columns = [c["name"] for c in sa.inspect(conn).get_columns("t_r1")]
        indexes = [ix["name"] for ix in sa.inspect(conn).get_indexes("t_r1")]
    assert columns == ["id", "code", "later"] and indexes == ["ix_code"]
    assert _heads(engine) == {"r2"}
    engine.dispose()


@each_postgres_driver
def test_no_batches_on_sqlite_offline_or_in_a_callers_transaction(tmp_path, postgres_url, sqlite_url):
    from mig_core.runtime.migration import MigrationContext
    from mig_core.runtime.pipeline import StatementPipeline

    sqlite = sa.create_engine(sqlite_url)
    with sqlite.connect() as conn:
        assert StatementPipeline.for_run(MigrationContext.configure(connection=conn)) is None
    offline = MigrationContext.configure(dialect_name="postgresql")
    assert StatementPipeline.for_run(offline) is None
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert StatementPipeline.for_run(MigrationContext.configure(connection=conn)) is not None
        assert StatementPipeline.for_run(
            MigrationContext.configure(connection=conn, opts={"transactional_ddl": False})
        ) is None
        conn.begin()
        assert StatementPipeline.for_run(MigrationContext.configure(connection=conn)) is None
    engine.dispose()
    sqlite.dispose()


def test_reaches_for_driver_sees_attributes_not_locals():
    from mig_core.runtime.pipeline import reaches_for_driver

    def plain():
        connection = object()  # a local of that name is fine
        return connection

    def raw(conn):
        return conn.connection.cursor()

    def nested(conn):
        def inner():
            return conn.driver_connection

        return inner

    assert not reaches_for_driver(plain)
    assert reaches_for_driver(raw)
    assert reaches_for_driver(nested)


SLOW_DEFAULT = [  # r2's ADD COLUMN rewrites t, calling slow() (0.5 s) for its one row
    {"rev": "r1", "upgrade": (
        "op.execute(\"CREATE FUNCTION slow() RETURNS int LANGUAGE sql VOLATILE AS "
        "'SELECT 1 FROM pg_sleep(0.5)'\")\n"
        "op.create_table('t', sa.Column('id', sa.Integer))\n"
        "op.execute('INSERT INTO t VALUES (1)')"
    )},
    {"rev": "r2", "down": "r1", "upgrade": (
        "op.add_column('t', sa.Column('c', sa.Integer, server_default=sa.text('slow()')))"
    )},
    {"rev": "r3", "down": "r2", **create_table("t3")},
]


@each_postgres_driver
@pytest.mark.parametrize("per_round_trip", [250, 1])
def test_history_durations_include_the_ddl_sent_later(tmp_path, postgres_url, per_round_trip):
    """A revision's queued DDL runs after its upgrade() returned (here in the batch sent at
    the commit): its history row finishes when that batch has run, not when its Python did
    (r2's 0.5 s ADD COLUMN showed as ~1 ms, counted in no row). r3's statement shares the
    batch, so its row ends there too; sent one at a time, only r2's row holds the 0.5 s."""
    engine = _clean(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP FUNCTION IF EXISTS slow()"))
    ini = make_project(tmp_path, postgres_url, SLOW_DEFAULT)
    _run(ini, engine, statements_per_round_trip=per_round_trip)
    with engine.connect() as conn:
        rows = {r.revisions: r for r in conn.execute(sa.text(
            "SELECT revisions, started_at, finished_at, duration_ms FROM mig_history"))}
    r2, r3 = rows["r2"], rows["r3"]
    for row in (r2, r3):
        elapsed = (row.finished_at - row.started_at).total_seconds() * 1000
        assert abs(row.duration_ms - elapsed) < 0.01
    assert r2.duration_ms >= 500
    if per_round_trip == 1:
        assert r3.duration_ms < 500 and r3.started_at >= r2.finished_at
    else:
        assert r3.finished_at == r2.finished_at and r3.started_at < r2.finished_at
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE t"))
        conn.execute(sa.text("DROP FUNCTION slow()"))
    engine.dispose()
