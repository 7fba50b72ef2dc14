"""``MigrationContext.connection`` in offline (``--sql``) mode: as with Alembic, the stand-in
connection ``op.get_bind()`` gives (its executions are written into the script, its reads fail
clearly), while mig's own code never takes it for a database."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from runtime_support import ENV_PY, config_for, make_project

from mig_core import command
from mig_core.cli import main
from mig_core.runtime.migration import MigrationContext
from mig_core.runtime.offline_bind import OfflineConnection, OfflineReadError

# env.py writes a statement through context.get_context().connection, inside the transaction
ENV_PY_WRITING = ENV_PY.replace(
    """    with context.begin_transaction():
        context.run_migrations()


def run(connection):""",
    """    connection = context.get_context().connection
    assert connection is context.get_bind(), "get_bind() offline is the same stand-in"
    with context.begin_transaction():
        connection.execute(sa.text("SET search_path TO :path"), {"path": "app"})
        context.run_migrations()


def run(connection):""",
)

REVISIONS = [
    {
        "rev": "r1",
        "upgrade": """
            from sqlalchemy.dialects import postgresql
            connection = op.get_context().connection
            assert connection is op.get_bind()
            if connection.dialect.name == "postgresql":
                sa.Enum("red", "green", name="color").create(connection)
            op.add_column("widget", sa.Column("color", postgresql.ENUM(name="color", create_type=False)))
            connection.execute(sa.text("UPDATE widget SET color = :c WHERE id = :i"), {"c": "red", "i": 1})
        """,
        "downgrade": """
            op.drop_column("widget", "color")
            sa.Enum(name="color").drop(op.get_context().connection)
        """,
    },
]

UPGRADE_SCRIPT = """\
BEGIN;

SET search_path TO 'app';

CREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT mig_version_pkc PRIMARY KEY (version_num));

-- Running upgrade base -> r1

CREATE TYPE color AS ENUM ('red', 'green');

ALTER TABLE widget ADD COLUMN color color;

UPDATE widget SET color = 'red' WHERE id = 1;

INSERT INTO mig_version (version_num) VALUES ('r1');

COMMIT;

"""

DOWNGRADE_SCRIPT = """\
BEGIN;

SET search_path TO 'app';

-- Running downgrade r1 -> base

ALTER TABLE widget DROP COLUMN color;

DROP TYPE color;

DELETE FROM mig_version WHERE version_num = 'r1';

COMMIT;

"""


def test_cli_sql_scripts_written_through_the_context_connection(tmp_path, capsys):
    ini = make_project(tmp_path, "postgresql://", REVISIONS, env_py=ENV_PY_WRITING)
    assert main(["-c", str(ini), "upgrade", "--sql", "head"]) == 0
    out = capsys.readouterr()
    assert out.out == UPGRADE_SCRIPT, out.err
    assert main(["-c", str(ini), "downgrade", "--sql", "r1:base"]) == 0
    out = capsys.readouterr()
    assert out.out == DOWNGRADE_SCRIPT, out.err


def test_cli_read_through_the_context_connection_fails_clearly(tmp_path, capsys):
    revisions = [{"rev": "r1", "upgrade": """
        widget = sa.table("widget", sa.column("id"))
        count = op.get_context().connection.execute(sa.select(sa.func.count(widget.c.id))).scalar()
    """}]
    ini = make_project(tmp_path, "postgresql://", revisions)
    assert main(["-c", str(ini), "upgrade", "--sql", "head"]) == 1
    err = capsys.readouterr().err
    assert "revision r1 (" in err
    assert ("reading a result (.scalar()) cannot work in offline (--sql) mode "
            "(SELECT count(widget.id) AS count_1 FROM widget)") in err
    assert "context.is_offline_mode()" in err


def offline_context(dialect: str) -> tuple[MigrationContext, io.StringIO]:
    """A context made outside env.py, as a script of one's own does."""
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": buf}
    )
    return ctx, buf


@pytest.mark.parametrize("dialect", ["postgresql", "mssql", "oracle", "sqlite", "mysql"])
def test_configured_without_env_py_the_connection_is_the_bind(dialect):
    ctx, _ = offline_context(dialect)
    connection = ctx.connection
    assert isinstance(connection, OfflineConnection)
    assert connection is ctx.bind is ctx.connection
    assert connection.dialect.name == dialect


def test_configured_without_env_py_executions_go_to_the_buffer():
    ctx, buf = offline_context("postgresql")
    sa.Enum("s", "m", name="size").create(ctx.connection)
    ctx.connection.execute(sa.text("UPDATE widget SET size = :s"), {"s": "m"})
    with pytest.raises(OfflineReadError, match=r"^reading a result \(\.one\(\)\) cannot work "
                                               r"in offline \(--sql\) mode \(SELECT 1 AS anon_1\)"):
        ctx.connection.execute(sa.select(sa.literal(1))).one()
    assert buf.getvalue() == (
        "CREATE TYPE size AS ENUM ('s', 'm');\n\n"
        "UPDATE widget SET size = 'm';\n\n"
        "SELECT 1 AS anon_1;\n\n"  # written before its result was asked for, as Alembic's
    )


def test_online_the_connection_is_the_one_given(sqlite_url):
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        ctx = MigrationContext.configure(connection=connection)
        assert ctx.connection is connection
        assert ctx.bind is connection
        assert ctx.live_connection is connection
    engine.dispose()


def test_offline_runs_never_make_the_stand_in_on_their_own(tmp_path, monkeypatch):
    """Nothing of mig (version table, history, lock, transactions) reaches for the stand-in:
    only a revision or env.py asking for it makes it."""
    made: list[OfflineConnection] = []
    original = OfflineConnection.__init__

    def counting(self: OfflineConnection, ctx: MigrationContext) -> None:
        made.append(self)
        original(self, ctx)

    monkeypatch.setattr(OfflineConnection, "__init__", counting)
    revisions = [
        {"rev": "r1", "upgrade": "op.create_table('t1', sa.Column('id', sa.Integer))",
         "downgrade": "op.drop_table('t1')"},
        {"rev": "r2", "down": "r1", "upgrade": "op.execute('UPDATE t1 SET id = 2')"},
    ]
    ini = make_project(tmp_path, "postgresql://", revisions,
                       ini_extra="history_table = mig_history\n")
    buf = io.StringIO()
    config = config_for(ini, configure={"output_buffer": buf, "transaction_per_migration": True})
    command.upgrade(config, "head", sql=True)
    command.downgrade(config, "r2:base", sql=True)
    command.stamp(config, "r1", sql=True, purge=True)
    command.ensure_version(config, sql=True)
    assert "CREATE TABLE t1" in buf.getvalue()
    assert made == []


def test_autogenerate_still_refuses_an_offline_context():
    """The stand-in is not a database: comparing against it is refused as before."""
    from mig_core.autogenerate import compare_metadata
    from mig_core.errors import CommandError

    ctx, _ = offline_context("postgresql")
    assert ctx.connection is not None
    with pytest.raises(CommandError, match=r"^autogenerate needs a database connection"):
        compare_metadata(ctx, sa.MetaData())
