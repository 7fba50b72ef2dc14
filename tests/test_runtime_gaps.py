"""Runtime behaviour the issue-4 audit found untested or wrong: ``mig log`` over several
databases, honest history rows (stamp --purge, UTC times on every backend, user and host),
``current`` markers and ``-v`` URL, ``stamp --sql`` with several ranges, ``version_table_pk``,
and the env.py ``context`` API (head revisions, transactional DDL, bind, context, execute)."""

from __future__ import annotations

import datetime as dt
import getpass
import io
import json
import socket

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, make_project

from mig_core import command
from mig_core.errors import RevisionArgumentError

LINE = [
    {"rev": "a1", **create_table("t_a")},
    {"rev": "b1", "down": "a1", **create_table("t_b")},
]

# a1 is a branch point (b1, c1), m1 merges them again
FORK = [
    {"rev": "a1"},
    {"rev": "b1", "down": "a1"},
    {"rev": "c1", "down": "a1"},
    {"rev": "m1", "down": ("b1", "c1")},
]

# env.py visiting several databases, like the multidb template (URLs from the config)
TWO_DATABASES_ENV = '''
import sqlalchemy as sa

from mig_core import context

config = context.config
for url in config.attributes["urls"]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
'''

# env.py that records what the context API answers while the run is configured
PROBING_ENV = '''
import sqlalchemy as sa

from mig_core import context

config = context.config
seen = config.attributes["seen"]
engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, **config.attributes.get("configure", {}))
    seen["bind_is_connection"] = context.get_bind() is connection
    seen["context_bind_is_connection"] = context.get_context().bind is connection
    seen["transactional_ddl"] = context.is_transactional_ddl()
    seen["heads"] = context.get_head_revisions()
    try:
        seen["head"] = context.get_head_revision()
    except Exception as exc:
        seen["head"] = f"{type(exc).__name__}: {exc}"
    with context.begin_transaction():
        context.execute("CREATE TABLE from_env (id INTEGER PRIMARY KEY)")
        context.execute(sa.text("INSERT INTO from_env (id) VALUES (7)"))
        context.run_migrations()
engine.dispose()
'''


def out_of(config, fn, *args, **kw):
    buf = io.StringIO()
    config.stdout = buf
    fn(config, *args, **kw)
    return buf.getvalue()


def history_rows(url):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT revisions, direction, from_heads, to_heads, success, username, hostname "
            "FROM mig_history ORDER BY id"
        )).all()
    engine.dispose()
    return [tuple(r) for r in rows]


# --- mig log over several databases ------------------------------------------------------------


def test_log_shows_every_database_labelled(tmp_path):
    one = f"sqlite:///{tmp_path / 'one.db'}"
    two = f"sqlite:///{tmp_path / 'two.db'}"
    ini = make_project(tmp_path, one, LINE, env_py=TWO_DATABASES_ENV)
    command.upgrade(config_for(ini, urls=[one]), "a1")
    command.upgrade(config_for(ini, urls=[two]), "head")

    text = out_of(config_for(ini, urls=[one, two]), command.log).splitlines()
    assert text[0] == f"{one}:"
    assert text[1].split()[:3] == ["id", "started", "(UTC)"]
    assert [line.split()[3:5] for line in text[2:3]] == [["upgrade", "a1"]]
    assert text[3] == f"{two}:"
    assert [line.split()[3:5] for line in text[5:]] == [["upgrade", "a1"], ["upgrade", "b1"]]
    assert all(line.startswith("  ") for i, line in enumerate(text) if i not in (0, 3))

    rows = json.loads(out_of(config_for(ini, urls=[one, two]), command.log, as_json=True))
    assert [(r["database"], r["revisions"]) for r in rows] == [
        (one, "a1"), (two, "a1"), (two, "b1")
    ]
    # -n applies per database
    rows = json.loads(out_of(config_for(ini, urls=[one, two]), command.log, as_json=True,
                             limit=1))
    assert [(r["database"], r["revisions"]) for r in rows] == [(one, "a1"), (two, "b1")]


# env.py migrating one schema per tenant (Alembic's multi-tenant recipe): one URL, two schemas
TENANTS_ENV = '''
import sqlalchemy as sa

from mig_core import context

config = context.config
engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    for tenant in ("tenant_a", "tenant_b"):
        connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{tenant}"'))
        connection.execute(sa.text(f'SET search_path TO "{tenant}"'))
        connection.commit()
        context.configure(connection=connection, version_table_schema=tenant)
        with context.begin_transaction():
            context.run_migrations()
engine.dispose()
'''


def test_current_and_log_tell_schemas_of_one_database_apart(tmp_path, postgres_url):
    """Each tenant was shown under the same URL, so which one was behind could not be told."""
    ini = make_project(tmp_path, postgres_url, LINE, env_py=TENANTS_ENV)
    command.upgrade(config_for(ini), "head")
    url = sa.engine.make_url(postgres_url).render_as_string(hide_password=True)
    assert out_of(config_for(ini), command.current).splitlines() == [
        f"{url} (schema tenant_a):", "  b1 (head)", f"{url} (schema tenant_b):", "  b1 (head)",
    ]
    rows = json.loads(out_of(config_for(ini), command.log, as_json=True, limit=1))
    assert [r["database"] for r in rows] == [f"{url} (schema tenant_a)",
                                             f"{url} (schema tenant_b)"]
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA tenant_a CASCADE"))
        conn.execute(sa.text("DROP SCHEMA tenant_b CASCADE"))
    engine.dispose()


def test_log_database_without_history_is_said_per_database(tmp_path):
    one = f"sqlite:///{tmp_path / 'one.db'}"
    two = f"sqlite:///{tmp_path / 'two.db'}"
    ini = make_project(tmp_path, one, LINE, env_py=TWO_DATABASES_ENV)
    command.upgrade(config_for(ini, urls=[two]), "a1")
    text = out_of(config_for(ini, urls=[one, two]), command.log).splitlines()
    assert text[:2] == [f"{one}:", "  no history yet (table mig_history does not exist)"]
    assert text[2] == f"{two}:"
    rows = json.loads(out_of(config_for(ini, urls=[one, two]), command.log, as_json=True))
    assert [(r["database"], r["revisions"]) for r in rows] == [(two, "a1")]


def test_log_single_database_json_rows_name_it(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, LINE)
    command.upgrade(config_for(ini), "head")
    rows = json.loads(out_of(config_for(ini), command.log, as_json=True))
    assert [(r["database"], r["revisions"]) for r in rows] == [
        (sqlite_url, "a1"), (sqlite_url, "b1")
    ]


# --- history rows --------------------------------------------------------------------------


def test_stamp_purge_records_the_purged_heads(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, FORK)
    command.stamp(config_for(ini), ["b1", "c1"])
    command.stamp(config_for(ini), "a1", purge=True)
    command.stamp(config_for(ini), "base")
    assert [r[:4] for r in history_rows(sqlite_url)] == [
        ("b1 c1", "stamp", "", "b1 c1"),
        ("a1", "stamp", "b1 c1", "a1"),
        ("base", "stamp", "a1", ""),
    ]


def test_history_names_user_and_host(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, LINE)
    command.upgrade(config_for(ini), "a1")
    (row,) = history_rows(sqlite_url)
    assert row[5] == getpass.getuser() and row[5]
    assert row[6] == socket.gethostname() and row[6]


def _assert_utc_iso(text, before, after):
    assert text.endswith("+00:00"), text
    assert len(text) == len("2026-01-01T00:00:00.000000+00:00"), text
    when = dt.datetime.fromisoformat(text)
    # MariaDB keeps whole seconds
    assert before.replace(microsecond=0) <= when <= after, (before, when, after)


@pytest.mark.parametrize("fixture", ["sqlite_url", "postgres_url", "mysql_url"])
def test_log_json_times_are_utc_iso_on_every_backend(fixture, request, tmp_path):
    from test_runtime_failures import _config  # MariaDB: the installed mig-mysql plugin

    url = request.getfixturevalue(fixture)
    if fixture == "postgres_url":  # a session in another zone still gets UTC back
        url += "?options=-c%20timezone%3DAsia/Tokyo"
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            assert conn.execute(sa.text("SHOW timezone")).scalar() == "Asia/Tokyo"
            conn.execute(sa.text("DROP TABLE IF EXISTS mig_history"))
            conn.execute(sa.text("DROP TABLE IF EXISTS mig_version"))
            conn.execute(sa.text("DROP TABLE IF EXISTS t_a"))
        engine.dispose()
    ini = make_project(tmp_path, url.replace("%", "%%"), LINE[:1])  # ini interpolation
    kind = fixture.split("_")[0]
    before = dt.datetime.now(dt.timezone.utc)
    command.upgrade(_config(ini, kind, {}), "head")
    after = dt.datetime.now(dt.timezone.utc)
    (row,) = json.loads(out_of(_config(ini, kind, {}), command.log, as_json=True))
    _assert_utc_iso(row["started_at"], before, after)
    _assert_utc_iso(row["finished_at"], before, after)
    text = out_of(_config(ini, kind, {}), command.log).splitlines()[1]
    assert before.strftime("%Y-%m-%d %H:") in text or after.strftime("%Y-%m-%d %H:") in text


# --- current -------------------------------------------------------------------------------


def test_current_marks_branchpoint_and_mergepoint(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, FORK)
    command.stamp(config_for(ini), "a1")
    assert out_of(config_for(ini), command.current) == "a1 (branchpoint)\n"
    data = json.loads(out_of(config_for(ini), command.current, as_json=True))
    assert data["revisions"][0]["is_branch_point"] is True
    assert data["revisions"][0]["is_merge_point"] is False
    command.stamp(config_for(ini), "m1")
    assert out_of(config_for(ini), command.current) == "m1 (head) (mergepoint)\n"


def test_current_verbose_names_database_password_hidden(tmp_path, postgres_url):
    url = sa.engine.make_url(postgres_url)
    with_password = url.set(password="s3cret-pw").render_as_string(hide_password=False)
    engine = sa.create_engine(with_password, poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError:
        pytest.skip("the server does not accept an arbitrary password here")
    finally:
        engine.dispose()
    ini = make_project(tmp_path, with_password, LINE)
    command.stamp(config_for(ini), "a1")
    out = out_of(config_for(ini), command.current, verbose=True)
    assert "s3cret-pw" not in out
    assert out.splitlines()[:2] == [
        f"Current revision(s) for {url.drivername}://{url.username}:***@{url.host}:{url.port}"
        f"/{url.database}:",
        "Rev: a1",
    ]


# --- stamp --sql with several ranges --------------------------------------------------------


def test_stamp_sql_ranges_sharing_a_start(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, FORK)
    buf = io.StringIO()
    command.stamp(config_for(ini, configure={"output_buffer": buf}), ["a1:b1", "a1:c1"], sql=True)
    assert buf.getvalue() == (  # starts at a1 (no CREATE TABLE), ends at both b1 and c1
        "BEGIN;\n\n-- Stamping b1 c1\n\n"
        "UPDATE mig_version SET version_num='b1' WHERE version_num = 'a1';\n\n"
        "INSERT INTO mig_version (version_num) VALUES ('c1');\n\nCOMMIT;\n\n"
    )
    with pytest.raises(RevisionArgumentError, match=r"start at different revisions \(a1, b1\)"):
        command.stamp(config_for(ini), ["a1:b1", "b1:m1"], sql=True)


# --- version table primary key -----------------------------------------------------------


@pytest.mark.parametrize("pk", [True, False])
def test_version_table_pk(pk, tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, LINE)
    command.upgrade(config_for(ini, configure={"version_table_pk": pk}), "head")
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        found = sa.inspect(conn).get_pk_constraint("mig_version")
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalars().all() == [
            "b1"
        ]
    engine.dispose()
    if pk:
        assert found["constrained_columns"] == ["version_num"]
        assert found["name"] == "mig_version_pkc"
    else:
        assert found["constrained_columns"] == []
    buf = io.StringIO()
    command.upgrade(config_for(ini, configure={"version_table_pk": pk, "output_buffer": buf}),
                    "a1", sql=True)
    assert ("CONSTRAINT mig_version_pkc PRIMARY KEY (version_num)" in buf.getvalue()) is pk


# --- the context API from env.py ----------------------------------------------------------


@pytest.mark.parametrize("transactional", [None, False])
def test_context_api_from_env_py(transactional, tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, LINE, env_py=PROBING_ENV)
    seen: dict = {}
    opts = {} if transactional is None else {"transactional_ddl": transactional}
    command.upgrade(config_for(ini, seen=seen, configure=opts), "head")
    assert seen == {
        "bind_is_connection": True,
        "context_bind_is_connection": True,
        "transactional_ddl": transactional is None,  # SQLite has it unless turned off
        "heads": ("b1",),
        "head": "b1",
    }
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:  # context.execute() ran on the run's connection, committed
        assert conn.execute(sa.text("SELECT id FROM from_env")).scalar() == 7
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "b1"
    engine.dispose()


def test_get_head_revisions_with_no_revision_files_is_an_empty_tuple(tmp_path, sqlite_url):
    """Kept on purpose (docs/from-alembic.md): Alembic's implementation gives None here, its
    documentation a tuple; () still reads as false and can be iterated and measured."""
    ini = make_project(tmp_path, sqlite_url, [], env_py=PROBING_ENV)
    seen: dict = {}
    command.upgrade(config_for(ini, seen=seen), "heads")
    assert seen["heads"] == ()
    assert seen["head"] is None


def test_get_head_revision_with_several_heads(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, FORK[:3], env_py=PROBING_ENV)
    seen: dict = {}
    command.upgrade(config_for(ini, seen=seen), "heads")
    assert sorted(seen["heads"]) == ["b1", "c1"]
    assert seen["head"].startswith("CommandError: the revision graph has several heads")
