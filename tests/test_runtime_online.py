"""Online upgrade / downgrade / stamp across branch and merge points, on SQLite and PostgreSQL,
with the backend's transactional DDL and with ``transactional_ddl=False`` forced."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, make_project

from mig_core import command

#   a -> b1 ----> m (merge b1, c1) -> n
#     -> c1 -/
#   d1 (second base) -> d2 (depends_on b1)
GRAPH = [
    {"rev": "a", **create_table("t_a")},
    {"rev": "b1", "down": "a", **create_table("t_b1")},
    {"rev": "c1", "down": "a", **create_table("t_c1")},
    {"rev": "m", "down": ("b1", "c1"), **create_table("t_m")},
    {"rev": "n", "down": "m", **create_table("t_n")},
    {"rev": "d1", "branch_labels": "dee", **create_table("t_d1")},
    {"rev": "d2", "down": "d1", "depends_on": "b1", **create_table("t_d2")},
]


@pytest.fixture(params=["sqlite", "postgresql", "sqlite-nontx", "postgresql-nontx", "psycopg"])
def project(request, tmp_path):
    kind = request.param
    if kind == "psycopg":  # PostgreSQL through psycopg 3
        url = request.getfixturevalue("psycopg_url")
    elif kind.startswith("postgresql"):
        url = request.getfixturevalue("postgres_url")
    else:
        url = request.getfixturevalue("sqlite_url")
    ini = make_project(tmp_path, url, GRAPH)
    opts = {"transactional_ddl": False} if kind.endswith("nontx") else {}
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:  # module-scoped PostgreSQL database: start clean
        for name in reversed(sa.inspect(conn).get_table_names()):
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    yield ini, opts, engine
    engine.dispose()


def state(engine):
    """(version-table heads, tables other than mig's)."""
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        heads = (
            set(conn.execute(sa.text("SELECT version_num FROM mig_version")).scalars())
            if "mig_version" in names
            else set()
        )
    return heads, {n[2:] for n in names if n.startswith("t_")}


def run(project, fn, *args, **kw):
    ini, opts, _ = project
    fn(config_for(ini, configure=opts), *args, **kw)


def test_upgrade_and_downgrade_across_branches_and_merge(project):
    engine = project[2]
    run(project, command.upgrade, "b1")
    assert state(engine) == ({"b1"}, {"a", "b1"})
    run(project, command.upgrade, "c1")  # a second branch from a: INSERT
    assert state(engine) == ({"b1", "c1"}, {"a", "b1", "c1"})
    run(project, command.upgrade, "n")  # crosses the merge point: DELETE + UPDATE
    assert state(engine) == ({"n"}, {"a", "b1", "c1", "m", "n"})
    run(project, command.upgrade, "heads")  # second base, and d2 depends on b1
    assert state(engine) == ({"n", "d2"}, {"a", "b1", "c1", "m", "n", "d1", "d2"})
    run(project, command.downgrade, "dee@base")
    assert state(engine) == ({"n"}, {"a", "b1", "c1", "m", "n"})
    run(project, command.downgrade, "b1")  # back across the merge point: both parents again
    assert state(engine) == ({"b1", "c1"}, {"a", "b1", "c1"})
    run(project, command.downgrade, "a")
    assert state(engine) == ({"a"}, {"a"})
    run(project, command.downgrade, "base")
    assert state(engine) == (set(), set())


def test_downgrade_of_dependency_reverts_dependent(project):
    engine = project[2]
    run(project, command.upgrade, "d2")  # pulls in b1 (and a) through depends_on
    assert state(engine) == ({"d2"}, {"a", "b1", "d1", "d2"})
    run(project, command.downgrade, "a")  # b1 goes, so d2 (which depends on it) goes first
    assert state(engine) == ({"a", "d1"}, {"a", "d1"})


def test_relative_steps_and_second_run_does_nothing(project):
    engine = project[2]
    run(project, command.upgrade, "dee@+1")
    assert state(engine) == ({"d1"}, {"d1"})
    run(project, command.upgrade, "heads")
    full = state(engine)
    run(project, command.upgrade, "heads")
    assert state(engine) == full
    run(project, command.downgrade, "dee@-1")  # d2 goes, d1 is the branch's head again
    assert state(engine) == ({"n", "d1"}, full[1] - {"d2"})


def test_stamp_moves_rows_only(project):
    engine = project[2]
    run(project, command.stamp, ["b1", "c1"])
    assert state(engine) == ({"b1", "c1"}, set())
    run(project, command.stamp, "m")
    assert state(engine) == ({"m"}, set())
    run(project, command.stamp, "d1")  # another branch: added next to m
    assert state(engine) == ({"m", "d1"}, set())
    run(project, command.stamp, "c1")  # same line as m: replaces it
    assert state(engine) == ({"c1", "d1"}, set())
    run(project, command.stamp, "a", purge=True)
    assert state(engine) == ({"a"}, set())
    run(project, command.stamp, "base")
    assert state(engine) == (set(), set())


def test_history_rows_record_each_step(project):
    engine = project[2]
    run(project, command.upgrade, "b1")
    run(project, command.stamp, "a")
    run(project, command.downgrade, "base")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT revisions, direction, from_heads, to_heads, success, checksum, "
                "mig_version, duration_ms FROM mig_history ORDER BY id"
            )
        ).all()
    assert [tuple(r[:5]) for r in rows] == [
        ("a", "upgrade", "", "a", True),
        ("b1", "upgrade", "a", "b1", True),
        ("a", "stamp", "b1", "a", True),
        ("a", "downgrade", "a", "", True),
    ]
    assert all(len(r.checksum) == 64 for r in rows if r.direction != "stamp")
    assert rows[2].checksum is None
    assert all(r.mig_version and r.duration_ms >= 0 for r in rows)


def test_history_can_be_turned_off(project, tmp_path):
    ini, opts, engine = project
    with ini.open("a") as f:
        f.write("history_table = false\n")
    command.upgrade(config_for(ini, configure=opts), "a")
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
    assert "mig_version" in names and "mig_history" not in names


@pytest.mark.parametrize("fixture", ["sqlite_url", "postgres_url"])
def test_env_py_without_begin_transaction_warns_that_nothing_is_committed(
    fixture, request, tmp_path
):
    """run_migrations() outside context.begin_transaction(): the work sits in a transaction
    that closing the connection rolls back (as with Alembic); mig said "Running upgrade" and
    exited 0 with nothing applied. It now warns; a dry run that rolls back still can."""
    from runtime_support import ENV_PY

    from mig_core.errors import MigWarning

    url = request.getfixturevalue(fixture)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:  # the PostgreSQL database is shared by this module's tests
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    env_py = ENV_PY.replace(
        "    with context.begin_transaction():\n        context.run_migrations()\n\n\n"
        "def run_migrations_online",
        "    context.run_migrations()\n\n\ndef run_migrations_online",
    )
    assert env_py != ENV_PY
    ini = make_project(tmp_path, url, [{"rev": "r1", **create_table("t_dry")}], env_py=env_py)
    with pytest.warns(MigWarning, match=r"outside context\.begin_transaction\(\), so nothing is "
                                        r"committed"):
        command.upgrade(config_for(ini), "head")
    with engine.connect() as conn:
        assert "t_dry" not in sa.inspect(conn).get_table_names()
    engine.dispose()


def test_env_py_own_connection_begin_does_not_warn(tmp_path, sqlite_url):
    """``with connection.begin(): context.run_migrations()`` (env.py's own transaction, begun
    after configure()) commits the run: no warning."""
    import warnings

    from runtime_support import ENV_PY

    env_py = ENV_PY.replace(
        "    context.configure(connection=connection, **configure_opts())\n"
        "    with context.begin_transaction():\n        context.run_migrations()\n",
        "    context.configure(connection=connection, **configure_opts())\n"
        "    with connection.begin():\n        context.run_migrations()\n",
    )
    assert env_py != ENV_PY
    ini = make_project(tmp_path, sqlite_url, [{"rev": "r1", **create_table("t_own")}],
                       env_py=env_py)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        command.upgrade(config_for(ini), "head")
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        assert "t_own" in sa.inspect(conn).get_table_names()
    engine.dispose()
