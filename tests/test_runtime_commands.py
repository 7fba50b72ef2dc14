"""current / log / ensure_version, the programmatic API (config.attributes["connection"],
MigrationContext.stamp, on_version_apply), adopting an Alembic version table, and the CLI."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, make_project

from mig_core import command
from mig_core.commands.runtime import database_heads
from mig_core.errors import CommandError

GRAPH = [
    {"rev": "aaa1", **create_table("t_a"), "message": "create a"},
    {"rev": "bbb2", "down": "aaa1", **create_table("t_b"), "message": "create b"},
    {"rev": "ccc3", "down": "aaa1", "branch_labels": "side", **create_table("t_c")},
]


@pytest.fixture
def project(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, GRAPH)
    return ini, sa.create_engine(sqlite_url)


def out_of(ini, fn, *args, **kw):
    buf = io.StringIO()
    config = config_for(ini)
    config.stdout = buf
    fn(config, *args, **kw)
    return buf.getvalue()


def test_current_plain_verbose_json_and_check_heads(project):
    ini, _ = project
    assert out_of(ini, command.current) == ""
    assert database_heads(config_for(ini)) == ()
    command.upgrade(config_for(ini), "bbb2")
    assert out_of(ini, command.current) == "bbb2 (head)\n"
    # -v: the database's URL, then each revision in full, as `show` prints it (Alembic's
    # `current -v` prints each one's log entry)
    assert out_of(ini, command.current, verbose=True) == (
        f"Current revision(s) for {config_for(ini).get_main_option('sqlalchemy.url')}:\n"
        + out_of(ini, command.show, "bbb2")
    )
    assert out_of(ini, command.show, "bbb2").startswith("Rev: bbb2 (head)\nParent: aaa1\n")
    data = json.loads(out_of(ini, command.current, as_json=True))
    assert data["heads"] == ["bbb2"] and data["at_head"] is False
    assert data["revisions"][0]["down_revisions"] == ["aaa1"]
    with pytest.raises(CommandError, match="^Database is not on all head revisions: it is at "
                                           "bbb2, the graph's heads are bbb2, ccc3$") as info:
        command.current(config_for(ini), check_heads=True)
    assert info.value.exit_code == 1
    command.upgrade(config_for(ini), "heads")
    assert sorted(out_of(ini, command.current).splitlines()) == [
        "bbb2 (head)", "ccc3 (head)"
    ]
    command.current(config_for(ini), check_heads=True)  # no error at heads
    assert sorted(database_heads(config_for(ini))) == ["bbb2", "ccc3"]


def test_current_names_unknown_revision(project):
    ini, engine = project
    command.stamp(config_for(ini), "aaa1")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE mig_version SET version_num = 'gone99'"))
    assert out_of(ini, command.current) == "gone99 (unknown: no revision file has this id)\n"
    # --json: the same keys as a known revision (cli.md lists them), so readers need no .get()
    record = json.loads(out_of(ini, command.current, as_json=True))["revisions"][0]
    assert record == {"revision": "gone99", "is_head": False, "known": False, "path": None,
                      "doc": None, "branch_labels": [], "down_revisions": [],
                      "is_branch_point": False, "is_merge_point": False}


def test_log_json_limit_and_off(project, tmp_path):
    ini, _ = project
    assert out_of(ini, command.log) == "no history yet (table mig_history does not exist)\n"
    command.upgrade(config_for(ini), "heads")
    rows = json.loads(out_of(ini, command.log, as_json=True))
    # Alembic's order for two branches off aaa1: the one whose file comes last first
    assert [(r["revisions"], r["direction"], r["success"]) for r in rows] == [
        ("aaa1", "upgrade", True), ("ccc3", "upgrade", True), ("bbb2", "upgrade", True)
    ]
    assert all(r["started_at"] <= r["finished_at"] for r in rows)
    assert [r["revisions"] for r in json.loads(out_of(ini, command.log, as_json=True,
                                                      limit=1))] == ["bbb2"]
    with ini.open("a") as f:
        f.write("history_table = off\n")
    assert out_of(ini, command.log) == (
        "the history table is turned off (history_table = false)\n"
    )


def test_ensure_version_online_and_offline(project):
    ini, engine = project
    command.ensure_version(config_for(ini))
    with engine.connect() as conn:
        assert {"mig_version", "mig_history"} <= set(sa.inspect(conn).get_table_names())
        assert conn.execute(sa.text("SELECT count(*) FROM mig_version")).scalar() == 0
    buf = io.StringIO()
    command.ensure_version(config_for(ini, configure={"output_buffer": buf}), sql=True)
    assert buf.getvalue() == (
        "BEGIN;\n\nCREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT mig_version_pkc PRIMARY KEY (version_num));\n\nCOMMIT;\n\n"
    )


def test_given_connection_is_used_and_left_usable(project):
    ini, engine = project
    with engine.connect() as conn:
        command.upgrade(config_for(ini, connection=conn), "bbb2")
        assert not conn.in_transaction()
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "bbb2"
    with engine.connect() as conn:  # committed, not left in the caller's connection
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "bbb2"


def test_callers_transaction_is_the_callers(project):
    ini, engine = project
    with engine.connect() as conn:
        conn.begin()
        command.upgrade(config_for(ini, connection=conn), "aaa1")
        assert conn.in_transaction()  # mig neither commits nor ends it
        assert "t_a" in sa.inspect(conn).get_table_names()
        conn.rollback()
    with engine.connect() as conn:
        assert "t_a" not in sa.inspect(conn).get_table_names()


def test_on_version_apply_receives_migration_info(project):
    ini, _ = project
    seen = []

    def record(ctx, step, heads, run_args):
        seen.append((step.is_upgrade, step.is_stamp, step.is_migration, step.up_revision_ids,
                     step.down_revision_ids, step.source_revision_ids,
                     step.destination_revision_ids, sorted(heads), run_args))

    config = config_for(ini, configure={"on_version_apply": record})
    command.upgrade(config, "bbb2")
    command.downgrade(config_for(ini, configure={"on_version_apply": [record]}), "aaa1")
    command.stamp(config_for(ini, configure={"on_version_apply": record}), "ccc3")
    assert seen == [
        (True, False, True, ("aaa1",), (), (), ("aaa1",), ["aaa1"], {}),
        (True, False, True, ("bbb2",), ("aaa1",), ("aaa1",), ("bbb2",), ["bbb2"], {}),
        (False, False, True, ("bbb2",), ("aaa1",), ("bbb2",), ("aaa1",), ["aaa1"], {}),
        (True, True, False, ("ccc3",), ("aaa1",), ("aaa1",), ("ccc3",), ["ccc3"], {}),
    ]


def test_adopts_alembic_version_table(tmp_path, sqlite_url):
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:  # a database Alembic migrated up to aaa1
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                             "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('aaa1')"))
        conn.execute(sa.text("CREATE TABLE t_a (id INTEGER PRIMARY KEY)"))
    ini = make_project(tmp_path, sqlite_url, GRAPH, ini_extra="version_table = alembic_version\n")
    command.upgrade(config_for(ini), "bbb2")  # aaa1 is not run again (t_a exists)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "bbb2"
        assert "mig_version" not in sa.inspect(conn).get_table_names()


@pytest.mark.parametrize("run", [
    lambda cfg: command.ensure_version(cfg),
    lambda cfg: command.downgrade(cfg, "base"),
    lambda cfg: command.stamp(cfg, "base"),
    lambda cfg: command.upgrade(cfg, "heads"),
], ids=["ensure_version", "downgrade-base", "stamp-base", "upgrade-heads"])
def test_alembic_table_left_behind_is_refused_with_nothing_to_do(run, tmp_path, sqlite_url):
    """A database Alembic tracks, config left at mig_version: every writing command stops,
    even one with nothing to do (it said "done" while the database was not at base), and
    ensure_version does not create the mig_version that would hide alembic_version."""
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('ccc3')"))
    ini = make_project(tmp_path, sqlite_url, GRAPH[:1])
    with pytest.raises(CommandError, match="set version_table = alembic_version"):
        run(config_for(ini))
    with engine.connect() as conn:
        assert "mig_version" not in sa.inspect(conn).get_table_names()
    engine.dispose()


def test_migration_context_standalone_stamp_and_run(project, sqlite_url):
    from mig_core.plugins import build_plugin_manager
    from mig_core.runtime.migration import MigrationContext
    from mig_core.runtime.steps import plan_revisions
    from mig_core.script import ScriptDirectory

    ini, engine = project
    config = config_for(ini)
    script = ScriptDirectory.from_config(config)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=build_plugin_manager(config))
        ctx.stamp(script, "aaa1")
        assert ctx.get_current_heads() == ("aaa1",)
        ctx.opts["fn"] = lambda heads, c: plan_revisions(script.upgrade_revisions("bbb2", heads),
                                                         True)
        ctx.script = script
        with ctx.begin_transaction():
            ctx.run_migrations()
        assert ctx.get_current_revision() == "bbb2"
        assert "t_b" in sa.inspect(conn).get_table_names()


def test_cli_failure_is_one_line_with_exit_code(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, [
        {"rev": "aaa1", "upgrade": "op.execute('SELECT * FROM nowhere')"},
    ])
    result = subprocess.run([sys.executable, "-m", "mig_core", "-c", str(ini), "upgrade", "head"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == (
        "mig: error: revision aaa1 (versions/aaa1_aaa1.py line 17) upgrade failed: "
        "OperationalError: no such table: nowhere; rolled back, the database is still at base\n"
    )
    result = subprocess.run([sys.executable, "-m", "mig_core", "--traceback", "-c", str(ini),
                             "upgrade", "head"], capture_output=True, text=True, timeout=60)
    assert "Traceback (most recent call last)" in result.stderr
    assert "sqlite3.OperationalError: no such table: nowhere" in result.stderr


def _version_writes(ini, engine, **configure):
    statements = []
    with engine.connect() as conn:
        @sa.event.listens_for(conn, "before_cursor_execute")
        def record(conn_, cursor, statement, parameters, context, executemany):
            if re.match(r"(INSERT INTO|UPDATE|DELETE FROM) mig_version ", statement):
                statements.append(statement.split()[0])

        command.upgrade(config_for(ini, connection=conn, configure=configure), "heads")
    return statements


def test_version_rows_written_once_per_transaction(project):
    ini, engine = project
    assert _version_writes(ini, engine) == ["INSERT"]  # bbb2 and ccc3, one executemany
    with engine.connect() as conn:
        assert sorted(conn.execute(sa.text("SELECT version_num FROM mig_version")).scalars()) == [
            "bbb2", "ccc3"]


def test_version_rows_written_per_step_when_observable(project):
    ini, engine = project
    calls = []
    statements = _version_writes(ini, engine, on_version_apply=lambda **kw: calls.append(kw))
    assert statements == ["INSERT", "UPDATE", "INSERT"] and len(calls) == 3


def test_version_rows_written_per_step_with_per_migration_transactions(project):
    ini, engine = project
    assert _version_writes(ini, engine, transaction_per_migration=True) == [
        "INSERT", "UPDATE", "INSERT"]


def test_stamp_takes_alembics_keyword(project):
    """``command.stamp(cfg, revision="head")`` is how projects call Alembic's stamp; mig's
    parameter was named ``revisions`` (TypeError). The CLI's ``revisions=`` still works."""
    ini, _ = project
    command.stamp(config_for(ini), revision="aaa1")
    assert database_heads(config_for(ini)) == ("aaa1",)
    command.stamp(config_for(ini), revisions=["bbb2", "ccc3"])
    assert set(database_heads(config_for(ini))) == {"bbb2", "ccc3"}
    command.stamp(config_for(ini), "base")
    assert database_heads(config_for(ini)) == ()
    with pytest.raises(CommandError, match="give the revision"):
        command.stamp(config_for(ini), "aaa1", revisions="bbb2")


@pytest.mark.parametrize("timeout", ["-1", "nan"])
def test_negative_lock_timeout_is_a_usage_error(project, timeout):
    """``--lock-timeout -1`` was taken as 0 ("gave up after --lock-timeout -1 s")."""
    ini, _ = project
    result = subprocess.run([sys.executable, "-m", "mig_core", "-c", str(ini), "upgrade",
                             "head", "--lock-timeout", timeout],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("mig: error: --lock-timeout must be 0 or more seconds")


def test_on_version_apply_callback_that_raises_names_itself(project):
    """A callback's exception was reported as "env.py failed (env.py line N)"; it now names
    the callback and the revision, says where the database is, and is in the history."""
    ini, engine = project

    def refuse_b(ctx, step, heads, run_args):
        if "bbb2" in heads:
            raise ValueError("no bbb2 today")

    with pytest.raises(CommandError, match=r"^on_version_apply callback .*refuse_b failed "
                                           r"after the upgrade of revision bbb2: ValueError: "
                                           r"no bbb2 today; rolled back, the database is "
                                           r"still at base$"):
        command.upgrade(config_for(ini, configure={"on_version_apply": refuse_b}), "bbb2")
    assert database_heads(config_for(ini)) == ()
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT revisions, success FROM mig_history")).all()
    assert [(r[0], bool(r[1])) for r in rows] == [("bbb2", False)]
