"""The env.py ``context`` API and ``MigrationContext`` where they differed from Alembic 1.20:
the transaction object of ``context.begin_transaction()`` (the dry-run recipe),
``static_output()`` online, ``MigrationInfo.source_revisions`` / ``destination_revisions``,
``op`` inside ``on_version_apply`` callbacks, offline ``starting_rev`` given as ``base`` or a
partial id, and ``MigrationContext`` used without env.py (``stamp()`` in a run,
``run_migrations()`` with nothing to run, no connection)."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, make_project

from mig_core import command
from mig_core.errors import CommandError

LINE = [
    {"rev": "a1", **create_table("t_a")},
    {"rev": "b1", "down": "a1", **create_table("t_b")},
]

HEADER = '''
import sqlalchemy as sa

from mig_core import context, op

config = context.config
'''

ONLINE = HEADER + '''
engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, **config.attributes.get("configure", {}))
{body}
engine.dispose()
'''


def online_env(body: str) -> str:
    """An online env.py running ``body`` (indented for the ``with engine.connect()`` block)."""
    return ONLINE.replace("{body}", "\n".join("    " + line for line in body.strip().splitlines()))


def database(request: Any, fixture: str) -> str:
    """The URL of ``fixture``'s database, emptied (the PostgreSQL one is shared by the module)."""
    url = request.getfixturevalue(fixture)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.execute(sa.text(f'DROP TABLE "{name}"'))
    engine.dispose()
    return url


def tables(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = sorted(sa.inspect(conn).get_table_names())
    engine.dispose()
    return names


def version_rows(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT version_num FROM mig_version")).scalars().all()
    engine.dispose()
    return sorted(rows)


# --- the transaction object of context.begin_transaction() -----------------------------------

DRY_RUN = '''
with context.begin_transaction() as transaction:
    context.run_migrations()
    if "dry-run" in context.get_x_argument():
        transaction.rollback()
'''


@pytest.mark.parametrize("fixture", ["sqlite_url", "postgres_url"])
def test_dry_run_recipe_rolls_the_run_back(fixture, request, tmp_path):
    """The well-known Alembic dry run (``-x dry-run``, ``transaction.rollback()`` after
    ``run_migrations()``) failed: "'_RunTransaction' object has no attribute 'rollback'"."""
    url = database(request, fixture)
    ini = make_project(tmp_path, url, LINE, env_py=online_env(DRY_RUN))
    config = config_for(ini)
    config.cmd_opts = type("Opts", (), {"x": ["dry-run"]})()
    command.upgrade(config, "head")
    assert not {"t_a", "t_b", "mig_version"} & set(tables(url))
    # the run lock went with the rolled-back transaction: a real run goes ahead at once
    command.upgrade(config_for(ini), "head", lock_timeout=0)
    assert version_rows(url) == ["b1"]
    assert {"t_a", "t_b"} <= set(tables(url))


def test_transaction_commit_inside_the_block(tmp_path, sqlite_url):
    """``transaction.commit()`` commits the run (its version rows too); the block's end then
    does nothing, and the transaction cannot be ended twice."""
    body = '''
with context.begin_transaction() as transaction:
    context.run_migrations()
    transaction.commit()
    config.attributes["seen"].append(connection.in_transaction())
    try:
        transaction.rollback()
    except Exception as exc:
        config.attributes["seen"].append(f"{type(exc).__name__}: {exc}")
'''
    ini = make_project(tmp_path, sqlite_url, LINE, env_py=online_env(body))
    seen: list[Any] = []
    command.upgrade(config_for(ini, seen=seen), "head")
    assert seen == [
        False,
        "CommandError: the transaction of context.begin_transaction() has already ended",
    ]
    assert version_rows(sqlite_url) == ["b1"]


# --- static_output() online ------------------------------------------------------------------


def test_static_output_online_writes_to_the_output_buffer(tmp_path, sqlite_url):
    """Alembic writes it to ``output_buffer`` (stdout by default) online too; mig failed with
    "AssertionError: static_output needs an output buffer"."""
    body = '''
context.static_output("-- migrating " + context.get_context().dialect.name)
with context.begin_transaction():
    context.run_migrations()
'''
    ini = make_project(tmp_path, sqlite_url, LINE, env_py=online_env(body))
    buf = io.StringIO()
    command.upgrade(config_for(ini, configure={"output_buffer": buf}), "head")
    assert buf.getvalue() == "-- migrating sqlite\n\n"
    assert version_rows(sqlite_url) == ["b1"]


def test_static_output_online_defaults_to_stdout(tmp_path, sqlite_url, capsys):
    body = 'context.static_output("-- hello")'
    ini = make_project(tmp_path, sqlite_url, LINE, env_py=online_env(body))
    command.upgrade(config_for(ini), "head")
    assert capsys.readouterr().out == "-- hello\n\n"


# --- on_version_apply: MigrationInfo and op ----------------------------------------------------


def test_step_source_and_destination_revisions(tmp_path, sqlite_url):
    """Alembic's MigrationInfo has ``source_revisions`` / ``destination_revisions`` (the
    scripts of the ids); mig had only the ids."""
    ini = make_project(tmp_path, sqlite_url, LINE)
    seen: list[Any] = []

    def record(ctx: Any, step: Any, heads: set[str], run_args: dict[str, Any]) -> None:
        seen.append((
            [s.revision for s in step.source_revisions],
            [s.revision for s in step.destination_revisions],
        ))

    config = config_for(ini, configure={"on_version_apply": record})
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.stamp(config, "b1")
    assert seen == [
        ([], ["a1"]), (["a1"], ["b1"]),  # upgrades
        (["b1"], ["a1"]), (["a1"], []),  # downgrades
        ([], ["b1"]),  # stamp
    ]


AUDIT = '''
def audit(ctx, step, heads, run_args):
    op.execute(
        sa.text("INSERT INTO audit (rev, kind) VALUES (:r, :k)").bindparams(
            r=step.up_revision_id, k="stamp" if step.is_stamp else "run"
        )
    )


config.attributes.setdefault("configure", {})["on_version_apply"] = audit
'''


@pytest.mark.parametrize("fixture", ["sqlite_url", "postgres_url"])
def test_op_inside_on_version_apply(fixture, request, tmp_path):
    """Alembic installs ``op`` for the whole ``run_migrations()``, so a callback may write an
    audit row with ``op.execute()``; mig raised NameError ("'op' is only available inside a
    migration script's upgrade() or downgrade()"). The row goes in with the step."""
    url = database(request, fixture)
    graph = [
        {"rev": "a0", "upgrade": "op.create_table('audit', sa.Column('rev', sa.String(32)), "
                                 "sa.Column('kind', sa.String(8)))"},
        {"rev": "a1", "down": "a0", **create_table("t_a")},
        {"rev": "b1", "down": "a1", **create_table("t_b")},
    ]
    env = HEADER + AUDIT + online_env(
        "with context.begin_transaction():\n    context.run_migrations()"
    ).removeprefix(HEADER)
    ini = make_project(tmp_path, url, graph, env_py=env)
    command.upgrade(config_for(ini), "a1")
    command.stamp(config_for(ini), "b1")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT rev, kind FROM audit")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("a0", "run"), ("a1", "run"), ("b1", "stamp")]


def test_transaction_per_migration_with_autocommit_block(request, tmp_path):
    """PostgreSQL, ``transaction_per_migration=True``: a revision with an
    ``autocommit_block()`` (``CREATE INDEX CONCURRENTLY``) and the steps around it; each
    callback sees its own heads in the version table, inside the step's transaction."""
    url = database(request, "postgres_url")
    graph = [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": (
            "op.add_column('t', sa.Column('x', sa.Integer))\n"
            "with op.get_context().autocommit_block():\n"
            "    op.create_index('ix_t_x', 't', ['x'], postgresql_concurrently=True)\n"
            "op.add_column('t', sa.Column('y', sa.Integer))"
        )},
        {"rev": "r3", "down": "r2", **create_table("t3")},
    ]
    seen: list[Any] = []

    def record(ctx: Any, step: Any, heads: set[str], run_args: dict[str, Any]) -> None:
        seen.append((step.up_revision_id, ctx.get_current_heads(),
                     ctx.connection.in_transaction()))

    body = "with context.begin_transaction():\n    context.run_migrations()"
    ini = make_project(tmp_path, url, graph, env_py=online_env(body))
    command.upgrade(config_for(ini, configure={"transaction_per_migration": True,
                                               "on_version_apply": record}), "head")
    assert seen == [("r1", ("r1",), True), ("r2", ("r2",), True), ("r3", ("r3",), True)]
    assert version_rows(url) == ["r3"]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert [i["name"] for i in sa.inspect(conn).get_indexes("t")] == ["ix_t_x"]
        assert {c["name"] for c in sa.inspect(conn).get_columns("t")} == {"id", "x", "y"}
    engine.dispose()


# --- offline starting revision ---------------------------------------------------------------

OFFLINE = HEADER + '''
buf = config.attributes["buf"]
context.configure(url=config.get_main_option("sqlalchemy.url"), output_buffer=buf,
                  **config.attributes.get("configure", {}))
context.static_output(f"-- start={context.get_starting_revision_argument()!r}")
with context.begin_transaction():
    context.run_migrations()
'''


@pytest.mark.parametrize("starting_rev, expected_start, first_step", [
    ("base", None, "-- Running upgrade base -> a1"),
    ("a", "a", "-- Running upgrade a1 -> b1"),  # a partial id: as written, resolved for the run
    ("head", "b1", None),
])
def test_configure_starting_rev(tmp_path, starting_rev, expected_start, first_step):
    """``configure(starting_rev="base")`` started the script at a revision named 'base'
    ("no revision or branch label 'base'"), and a partial id was not resolved."""
    ini = make_project(tmp_path, "sqlite://", LINE, env_py=OFFLINE)
    buf = io.StringIO()
    command.upgrade(config_for(ini, buf=buf, configure={"starting_rev": starting_rev}),
                    "head", sql=True)
    lines = [line for line in buf.getvalue().splitlines() if line.startswith("--")]
    assert lines[0] == f"-- start={expected_start!r}"
    assert lines[1:2] == ([first_step] if first_step else [])
    assert ("CREATE TABLE mig_version" in buf.getvalue()) is (starting_rev == "base")


def test_configure_starting_rev_online_is_refused(tmp_path, sqlite_url):
    """Online the start is the version table's: ``starting_rev`` there used to be ignored,
    so the run started somewhere the env.py did not say (Alembic refuses it too)."""
    from mig_core.errors import UsageError

    ini = make_project(tmp_path, sqlite_url, LINE, env_py=online_env(
        "with context.begin_transaction():\n    context.run_migrations()"))
    with pytest.raises(UsageError) as err:
        command.upgrade(config_for(ini, configure={"starting_rev": "a1"}), "head")
    assert str(err.value) == (
        "configure(starting_rev='a1') is for offline (--sql) scripts only: online, migrations "
        "start from the revisions in the version table; remove starting_rev, or run with --sql"
    )
    assert err.value.exit_code == 2
    assert tables(sqlite_url) == []  # refused before anything ran


def test_context_execute_offline(tmp_path):
    """``context.execute()`` in an offline env.py: constructs with bound values are written
    with the values as literals, strings as they are (colons included)."""
    env = HEADER + '''
buf = config.attributes["buf"]
context.configure(url="postgresql://", output_buffer=buf)
context.execute(sa.text("UPDATE t SET n = :n WHERE id = :i").bindparams(n="it's", i=2))
context.execute("UPDATE t SET note = 'at 10:30'")
context.static_output("-- done")
'''
    ini = make_project(tmp_path, "postgresql://", LINE, env_py=env)
    buf = io.StringIO()
    command.upgrade(config_for(ini, buf=buf), "head", sql=True)
    assert buf.getvalue() == (
        "UPDATE t SET n = 'it''s' WHERE id = 2;\n\n"
        "UPDATE t SET note = 'at 10:30';\n\n"
        "-- done\n\n"
    )


# --- MigrationContext without env.py ---------------------------------------------------------


def test_stamp_from_env_py_keeps_the_commands_plan(tmp_path, sqlite_url):
    """``context.get_context().stamp(...)`` before ``run_migrations()`` (a database built by
    ``create_all()`` marked at a1) dropped the command's plan: the upgrade then did nothing."""
    body = '''
ctx = context.get_context()
if not ctx.get_current_heads():
    ctx.stamp(context.script, "a1")
with context.begin_transaction():
    context.run_migrations()
'''
    ini = make_project(tmp_path, sqlite_url, LINE, env_py=online_env(body))
    command.upgrade(config_for(ini), "head")
    assert version_rows(sqlite_url) == ["b1"]
    assert "t_a" not in tables(sqlite_url)  # a1 was stamped, not run
    assert "t_b" in tables(sqlite_url)


def test_standalone_stamp_commits_unless_in_the_callers_transaction(tmp_path, sqlite_url):
    """As documented: ``ctx.stamp()`` on a connection outside a transaction commits by
    itself; in the caller's transaction the caller decides."""
    from mig_core.runtime.migration import MigrationContext
    from mig_core.script import ScriptDirectory

    ini = make_project(tmp_path, sqlite_url, LINE)
    script = ScriptDirectory.from_config(config_for(ini))
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        MigrationContext.configure(connection=conn).stamp(script, ["a1"])
        assert not conn.in_transaction()
    assert version_rows(sqlite_url) == ["a1"]
    with engine.connect() as conn:
        with conn.begin() as transaction:
            ctx = MigrationContext.configure(connection=conn)
            ctx.stamp(script, "b1")
            assert ctx.get_current_heads() == ("b1",)
            transaction.rollback()
    engine.dispose()
    assert version_rows(sqlite_url) == ["a1"]


def test_run_migrations_of_a_standalone_context_says_what_to_use(sqlite_url):
    """Alembic fails with a bare AssertionError; mig did nothing at all."""
    from mig_core.runtime.migration import MigrationContext

    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn)
        with pytest.raises(CommandError) as raised:
            ctx.run_migrations()
    engine.dispose()
    assert str(raised.value) == (
        "MigrationContext.run_migrations() has no migrations to run: a context made by "
        "MigrationContext.configure() runs a command's steps only (opts={'fn': ...}); use "
        "mig_core.command.upgrade(config, 'head') or ctx.stamp(script, revision)"
    )


def test_context_from_a_url_writes_sql(sqlite_url):
    """``MigrationContext.configure(url=...)`` has no connection: it writes SQL (Alembic's
    ``get_current_heads()`` fails there with an AssertionError), and asking it to run online
    is refused when it is made."""
    from mig_core.runtime.migration import MigrationContext

    buf = io.StringIO()
    ctx = MigrationContext.configure(url=sqlite_url, opts={"output_buffer": buf})
    assert ctx.as_sql and ctx.get_current_heads() == () and ctx.get_current_revision() is None
    ctx.execute("CREATE TABLE x (id INTEGER)")
    assert buf.getvalue() == "CREATE TABLE x (id INTEGER);\n\n"
    with pytest.raises(CommandError, match=r"^MigrationContext.configure\(\) without a "
                       r"connection writes SQL only: opts=\{'as_sql': False\} needs "
                       r"connection=\.\.\.$"):
        MigrationContext.configure(url=sqlite_url, opts={"as_sql": False})


# --- op while a revision file is imported ----------------------------------------------------


def test_op_at_revision_import_time(tmp_path, sqlite_url):
    """Alembic has ``op`` installed for the whole run, so revision files may ask the dialect
    at module level (ubersystem's do, with ``except Exception`` falling back to PostgreSQL's
    SQL); under mig ``op`` was missing while the file was imported, and the fallback ran."""
    ini = make_project(tmp_path, sqlite_url, [{
        "rev": "a1",
        "upgrade": "op.create_table('t', sa.Column('at', sa.String(40), "
                   "server_default=sa.text(NOW)))",
    }])
    path = tmp_path / "migrations" / "versions" / "a1_a1.py"
    path.write_text(path.read_text().replace("revision = 'a1'", (
        "try:\n"
        "    is_sqlite = op.get_context().dialect.name == 'sqlite'\n"
        "except Exception:\n"
        "    is_sqlite = False\n"
        "NOW = \"(datetime('now'))\" if is_sqlite else \"timezone('utc', now())\"\n"
        "revision = 'a1'"
    ), 1))
    command.upgrade(config_for(ini), "head")
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        default = sa.inspect(conn).get_columns("t")[0]["default"]
    engine.dispose()
    assert default == "datetime('now')"


# --- unknown configure() options --------------------------------------------------------------


def test_unknown_configure_options_reach_the_impl(tmp_path):
    """Alembic's ``**kw``: options it does not know land in the context's ``opts`` and the
    impl's ``context_opts``, online and offline."""
    graph = [{"rev": "a1", "upgrade": (
        "ctx = op.get_context()\n"
        "ctx.config.attributes['seen'].append("
        "(ctx.opts['shard'], ctx.impl.context_opts['shard']))"
    )}]
    ini = make_project(tmp_path, "sqlite://", graph, env_py=OFFLINE)
    seen: list[Any] = []
    command.upgrade(config_for(ini, buf=io.StringIO(), seen=seen, configure={"shard": 3}),
                    "head", sql=True)
    ini = make_project(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", graph, env_py=online_env(
        "with context.begin_transaction():\n    context.run_migrations()"
    ))
    command.upgrade(config_for(ini, seen=seen, configure={"shard": 4}), "head")
    assert seen == [(3, 3), (4, 4)]


# --- misuse ----------------------------------------------------------------------------------


def test_context_call_before_configure_names_the_call_and_line(tmp_path, sqlite_url):
    """Alembic raises a bare ``Exception("No context has been configured yet.")``; mig said
    "env.py must call context.configure() first" without saying which call or where."""
    env = HEADER + "\n\nwith context.begin_transaction():\n    context.run_migrations()\n"
    ini = make_project(tmp_path, sqlite_url, LINE, env_py=env)
    with pytest.raises(CommandError) as raised:
        command.upgrade(config_for(ini), "head")
    path = tmp_path / "migrations" / "env.py"
    assert str(raised.value) == (
        f"env.py called context.begin_transaction() before context.configure() ({path} line 9)"
    )
    assert raised.value.exit_code == 1


# --- output_encoding -------------------------------------------------------------------------


def test_output_encoding_leaves_the_text_stream_usable(tmp_path):
    """A script re-encoded onto a text stream's binary buffer (``output_encoding`` other than
    standard output's): once the run's wrapper was collected it had closed the buffer under
    the stream, and the next ``print()`` failed with "I/O operation on closed file"."""
    import gc

    graph = [{"rev": "a", "upgrade": "op.execute(\"INSERT INTO t VALUES ('d\\u00e9j\\u00e0')\")"}]
    ini = make_project(tmp_path, "sqlite://", graph)
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8")
    stdout.write("-- before\n")
    config = config_for(ini, configure={"output_buffer": stdout, "output_encoding": "latin-1",
                                        "transactional_ddl": False, "version_table": "v"})
    command.upgrade(config, "a", sql=True)
    del config
    gc.collect()
    stdout.write("-- apr\u00e8s\n")
    stdout.flush()
    assert raw.getvalue() == (
        b"-- before\n"
        b"CREATE TABLE v (version_num VARCHAR(32) NOT NULL, CONSTRAINT v_pkc PRIMARY KEY "
        b"(version_num));\n\n-- Running upgrade base -> a\n\nINSERT INTO t VALUES ('d\xe9j\xe0');"
        b"\n\nINSERT INTO v (version_num) VALUES ('a');\n\n"
        b"-- apr\xc3\xa8s\n"
    )


def test_starting_revision_argument_of_several_heads(tmp_path):
    """``downgrade heads:base --sql`` with two heads: Alembic gives the start as a tuple of
    the heads (``as_revision_number("heads")``); mig gave one string 'b1 c1'."""
    graph = [{"rev": "a1"}, {"rev": "b1", "down": "a1"},
             {"rev": "c1", "down": "a1", "branch_labels": "side"}]
    ini = make_project(tmp_path, "sqlite://", graph, env_py=OFFLINE)
    buf = io.StringIO()
    command.downgrade(config_for(ini, buf=buf), "heads:base", sql=True)
    assert buf.getvalue().splitlines()[0] == "-- start=('b1', 'c1')"


# --- the context proxy outside a run ---------------------------------------------------------

IMPORTABLE_ENV = '''
import sqlalchemy as sa

from mig_core import context
from mig_core.config import Config

# imported by the application outside a mig run: Alembic's module has no "config" then
if not hasattr(context, "config"):
    context.config = Config()
config = context.config

if "seen" in config.attributes:
    config.attributes["seen"].append(context.is_offline_mode())
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
'''


def test_env_py_imported_outside_a_run(tmp_path, sqlite_url):
    """Alembic's ``context`` module has the methods but not ``config`` outside a run, so
    env.py files guard with ``hasattr(context, "config")`` (and may set one) to be imported
    by an application or its tests; under mig that ``hasattr`` raised NameError."""
    import importlib.util

    from mig_core import context
    from mig_core.config import Config

    assert not hasattr(context, "config") and getattr(context, "script", None) is None
    assert hasattr(context, "is_offline_mode")
    with pytest.raises(NameError, match=r"^mig_core.context.is_offline_mode: 'context' is only "
                       r"available inside env.py while a mig command runs it$"):
        context.is_offline_mode()

    ini = make_project(tmp_path, sqlite_url, LINE, env_py=IMPORTABLE_ENV)
    spec = importlib.util.spec_from_file_location("app_env", tmp_path / "migrations" / "env.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the application's import: nothing runs
    assert isinstance(module.config, Config) and context.config is module.config

    seen: list[Any] = []
    command.upgrade(config_for(ini, seen=seen), "head")  # the run's own config wins
    assert seen == [False] and version_rows(sqlite_url) == ["b1"]
    assert not hasattr(context, "config")  # what was set outside is gone with the run
