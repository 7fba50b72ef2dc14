"""Offline (``--sql``) scripts: exact SQL for PostgreSQL, SQLite, SQL Server and Oracle."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from runtime_support import config_for, make_project

from mig_core import command
from mig_core.errors import RevisionArgumentError, UsageError

#   a -> b -> m
#     -> c -/
# (Alembic 1.20.1 runs them in the order a, c, b, m, and downgrades m, b, c: read down from
# the head a branch at a time, history's order; mig runs them in the same order)
GRAPH = [
    {"rev": "a", "upgrade": "op.execute('CREATE TABLE ta (x INT)')",
     "downgrade": "op.execute('DROP TABLE ta')"},
    {"rev": "b", "down": "a", "upgrade": "op.execute('CREATE TABLE tb (x INT)')",
     "downgrade": "op.execute('DROP TABLE tb')"},
    {"rev": "c", "down": "a", "upgrade": "op.execute('CREATE TABLE tc (x INT)')",
     "downgrade": "op.execute('DROP TABLE tc')"},
    {"rev": "m", "down": ("b", "c"), "upgrade": "op.execute('CREATE TABLE tm (x INT)')",
     "downgrade": "op.execute('DROP TABLE tm')"},
]

PG_UPGRADE = """\
BEGIN;

CREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT mig_version_pkc PRIMARY KEY (version_num));

-- Running upgrade base -> a

CREATE TABLE ta (x INT);

INSERT INTO mig_version (version_num) VALUES ('a');

-- Running upgrade a -> c

CREATE TABLE tc (x INT);

UPDATE mig_version SET version_num='c' WHERE version_num = 'a';

-- Running upgrade a -> b

CREATE TABLE tb (x INT);

INSERT INTO mig_version (version_num) VALUES ('b');

-- Running upgrade b, c -> m

CREATE TABLE tm (x INT);

DELETE FROM mig_version WHERE version_num = 'c';

UPDATE mig_version SET version_num='m' WHERE version_num = 'b';

COMMIT;

"""

MSSQL_UPGRADE = """\
BEGIN TRANSACTION;
GO

CREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT mig_version_pkc PRIMARY KEY (version_num));
GO

-- Running upgrade base -> a

CREATE TABLE ta (x INT);
GO

INSERT INTO mig_version (version_num) VALUES ('a');
GO

-- Running upgrade a -> c

CREATE TABLE tc (x INT);
GO

UPDATE mig_version SET version_num='c' WHERE version_num = 'a';
GO

-- Running upgrade a -> b

CREATE TABLE tb (x INT);
GO

INSERT INTO mig_version (version_num) VALUES ('b');
GO

-- Running upgrade b, c -> m

CREATE TABLE tm (x INT);
GO

DELETE FROM mig_version WHERE version_num = 'c';
GO

UPDATE mig_version SET version_num='m' WHERE version_num = 'b';
GO

COMMIT;
GO

"""

ORACLE_UPGRADE = """\
SET DEFINE OFF
SET SQLBLANKLINES ON

CREATE TABLE mig_version (version_num VARCHAR2(32 CHAR) NOT NULL, CONSTRAINT mig_version_pkc PRIMARY KEY (version_num))
/

-- Running upgrade base -> a

CREATE TABLE ta (x INT)
/

INSERT INTO mig_version (version_num) VALUES ('a')
/

-- Running upgrade a -> c

CREATE TABLE tc (x INT)
/

UPDATE mig_version SET version_num='c' WHERE version_num = 'a'
/

-- Running upgrade a -> b

CREATE TABLE tb (x INT)
/

INSERT INTO mig_version (version_num) VALUES ('b')
/

-- Running upgrade b, c -> m

CREATE TABLE tm (x INT)
/

DELETE FROM mig_version WHERE version_num = 'c'
/

UPDATE mig_version SET version_num='m' WHERE version_num = 'b'
/

"""

EXPECTED_UPGRADE = {
    "postgresql": PG_UPGRADE,
    "sqlite": PG_UPGRADE,
    "mssql": MSSQL_UPGRADE,
    "oracle": ORACLE_UPGRADE,
}


def _run(tmp_path, dialect, fn, *args, configure=None, ini_extra="", **kw):
    ini = make_project(tmp_path, f"{dialect}://", GRAPH, ini_extra=ini_extra)
    buf = io.StringIO()
    config = config_for(ini, configure={"output_buffer": buf, **(configure or {})})
    fn(config, *args, sql=True, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("dialect", list(EXPECTED_UPGRADE))
def test_upgrade_script_from_base(tmp_path, dialect):
    assert _run(tmp_path, dialect, command.upgrade, "heads") == EXPECTED_UPGRADE[dialect]


def test_downgrade_script_needs_a_range(tmp_path):
    with pytest.raises(UsageError, match="downgrade --sql needs a start:end range"):
        _run(tmp_path, "postgresql", command.downgrade, "base")
    with pytest.raises(RevisionArgumentError, match="only allowed with --sql"):
        make_project(tmp_path, "sqlite://", GRAPH)
        command.downgrade(config_for(tmp_path / "mig.ini"), "m:base")


def test_downgrade_script_across_merge(tmp_path):
    assert _run(tmp_path, "postgresql", command.downgrade, "m:a") == """\
BEGIN;

-- Running downgrade m -> b, c

DROP TABLE tm;

UPDATE mig_version SET version_num='b' WHERE version_num = 'm';

INSERT INTO mig_version (version_num) VALUES ('c');

-- Running downgrade b -> a

DROP TABLE tb;

DELETE FROM mig_version WHERE version_num = 'b';

-- Running downgrade c -> a

DROP TABLE tc;

UPDATE mig_version SET version_num='a' WHERE version_num = 'c';

COMMIT;

"""


def test_oracle_script_without_slash_lines_has_no_sqlplus_settings(tmp_path):
    out = _run(tmp_path, "oracle", command.upgrade, "a",
               configure={"oracle_batch_separator": None})
    assert out.startswith("CREATE TABLE mig_version (")
    assert "SET DEFINE" not in out and "SQLBLANKLINES" not in out


def test_upgrade_range_starts_from_given_revision(tmp_path):
    out = _run(tmp_path, "oracle", command.upgrade, "b:m")
    assert "CREATE TABLE mig_version" not in out
    assert out.startswith("SET DEFINE OFF\nSET SQLBLANKLINES ON\n\n"
                          "-- Running upgrade a -> c\n\nCREATE TABLE tc (x INT)\n/\n\n")
    assert out.endswith("UPDATE mig_version SET version_num='m' WHERE version_num = 'c'\n/\n\n")


def test_transaction_per_migration_frames_each_revision(tmp_path):
    """The version table is created inside the first revision's transaction, as online (and
    as Alembic writes it): a script stopped by a failure in that revision leaves no empty
    mig_version behind, and no statement of the script runs outside a transaction."""
    out = _run(tmp_path, "postgresql", command.upgrade, "c",
               configure={"transaction_per_migration": True})
    assert out == (
        "BEGIN;\n\n"
        "CREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT mig_version_pkc PRIMARY KEY (version_num));\n\n"
        "-- Running upgrade base -> a\n\nCREATE TABLE ta (x INT);\n\n"
        "INSERT INTO mig_version (version_num) VALUES ('a');\n\nCOMMIT;\n\n"
        "BEGIN;\n\n-- Running upgrade a -> c\n\nCREATE TABLE tc (x INT);\n\n"
        "UPDATE mig_version SET version_num='c' WHERE version_num = 'a';\n\nCOMMIT;\n\n"
    )


def test_transaction_per_migration_without_transactional_ddl_has_no_frame(tmp_path):
    """Where DDL is not transactional there is no BEGIN to be inside: the CREATE TABLE comes
    first, as without transaction_per_migration."""
    out = _run(tmp_path, "postgresql", command.upgrade, "a",
               configure={"transaction_per_migration": True, "transactional_ddl": False})
    assert out == (
        "CREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT mig_version_pkc PRIMARY KEY (version_num));\n\n"
        "-- Running upgrade base -> a\n\nCREATE TABLE ta (x INT);\n\n"
        "INSERT INTO mig_version (version_num) VALUES ('a');\n\n"
    )


def test_stamp_script_and_custom_version_table(tmp_path):
    out = _run(tmp_path, "postgresql", command.stamp, ["b", "c"],
               ini_extra="version_table = alembic_version\nversion_table_schema = app\n")
    assert out == (
        "BEGIN;\n\n"
        "CREATE TABLE app.alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));\n\n"
        "-- Stamping b c\n\n"
        "INSERT INTO app.alembic_version (version_num) VALUES ('b');\n\n"
        "INSERT INTO app.alembic_version (version_num) VALUES ('c');\n\n"
        "COMMIT;\n\n"
    )


def test_tag_and_x_arguments_reach_env_py(tmp_path, sqlite_url):
    env = (
        "from mig_core import context\n"
        "context.configure(url='sqlite://', output_buffer=context.config.attributes['buf'])\n"
        "context.static_output(f'-- tag={context.get_tag_argument()} "
        "x={context.get_x_argument(as_dictionary=True)} list={context.get_x_argument()} "
        "dest={context.get_revision_argument()} start={context.get_starting_revision_argument()}')\n"
    )
    ini = make_project(tmp_path, "sqlite://", GRAPH, env_py=env)
    buf = io.StringIO()
    config = config_for(ini, buf=buf)
    config.cmd_opts = type("Opts", (), {"x": ["env=prod", "flag"]})()
    command.upgrade(config, "a:m", sql=True, tag="release-7")
    assert buf.getvalue() == (
        "-- tag=release-7 x={'env': 'prod', 'flag': ''} list=['env=prod', 'flag'] "
        "dest=m start=a\n\n"
    )


def test_output_encoding_of_a_binary_buffer(tmp_path):
    graph = [{"rev": "a", "upgrade": "op.execute(\"INSERT INTO t VALUES ('d\\u00e9j\\u00e0')\")"}]
    ini = make_project(tmp_path, "sqlite://", graph)
    raw = io.BytesIO()
    config = config_for(ini, configure={"output_buffer": raw, "output_encoding": "latin-1",
                                        "transactional_ddl": False, "version_table": "v"})
    command.upgrade(config, "a", sql=True)
    assert raw.getvalue().decode("latin-1") == (
        "CREATE TABLE v (version_num VARCHAR(32) NOT NULL, CONSTRAINT v_pkc PRIMARY KEY "
        "(version_num));\n\n-- Running upgrade base -> a\n\nINSERT INTO t VALUES ('d\u00e9j\u00e0');"
        "\n\nINSERT INTO v (version_num) VALUES ('a');\n\n"
    )
    assert "\u00e9".encode("latin-1") in raw.getvalue()


def test_sql_script_reader_that_leaves_is_not_a_failed_revision(tmp_path):
    """``mig upgrade head --sql | head``: one line saying the output was closed, not
    "revision a ... upgrade failed: BrokenPipeError" (the revision is fine)."""
    import subprocess
    import sys

    big = (  # well past a pipe's buffer
        "for i in range(3000):\n"
        "    op.create_table(f't{i}', sa.Column('id', sa.Integer, primary_key=True))\n"
    )
    ini = make_project(tmp_path, "postgresql://u@h/db", [{"rev": "a", "upgrade": big}])
    process = subprocess.Popen(
        [sys.executable, "-m", "mig_core", "-c", str(ini), "upgrade", "head", "--sql"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    while not process.stdout.readline().startswith("CREATE TABLE t1 "):
        pass
    process.stdout.close()  # the reader leaves while the revision writes
    err = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == 1
    assert err == (
        "mig: error: the output was closed before the SQL script was complete (broken pipe)\n"
    )


@pytest.mark.parametrize("argument, expected", [
    ("head", "'m'"), ("heads", "('m',)"), ("base", "None"), ("b", "'b'"), ("a:m", "'m'"),
])
def test_revision_argument_resolved_as_alembic(tmp_path, argument, expected):
    """Alembic's get_revision_argument() gives 'head' as the head's id and 'base' as None;
    env.py files name offline scripts after it. mig gave 'head' as written."""
    env = (
        "from mig_core import context\n"
        "context.configure(url='sqlite://', output_buffer=context.config.attributes['buf'])\n"
        "context.static_output(f'-- dest={context.get_revision_argument()!r}')\n"
    )
    ini = make_project(tmp_path, "sqlite://", GRAPH, env_py=env)
    buf = io.StringIO()
    if argument == "base":
        command.downgrade(config_for(ini, buf=buf), "m:base", sql=True)
    else:
        command.upgrade(config_for(ini, buf=buf), argument, sql=True)
    assert buf.getvalue() == f"-- dest={expected}\n\n"


def test_range_may_start_at_heads(tmp_path):
    """``downgrade --sql heads:base`` with two heads: every head is the start. It failed with
    "'heads' is ambiguous: there are 2 heads ...; use 'heads' for all of them"."""
    graph = [*GRAPH[:2], {**GRAPH[2], "branch_labels": "side"}]  # heads b and c (no merge)
    ini = make_project(tmp_path, "postgresql://", graph)
    buf = io.StringIO()
    command.downgrade(config_for(ini, configure={"output_buffer": buf}), "heads:base", sql=True)
    assert [line for line in buf.getvalue().splitlines() if line.startswith("--")] == [
        "-- Running downgrade b -> a",
        "-- Running downgrade c -> a",
        "-- Running downgrade a -> base",
    ]
    assert "DELETE FROM mig_version WHERE version_num = 'a';" in buf.getvalue()
    buf = io.StringIO()
    command.downgrade(config_for(ini, configure={"output_buffer": buf}), "side@heads:a", sql=True)
    assert [line for line in buf.getvalue().splitlines() if line.startswith("--")] == [
        "-- Running downgrade c -> a",
    ]


OLD_ALEMBIC_ENV_PY = '''
from mig_core import context

config = context.config
if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True,
                      **config.attributes.get("configure", {}))
    with context.begin_transaction():
        context.run_migrations()
'''


@pytest.mark.parametrize("url", ["postgresql://", "mysql://"])
def test_percent_signs_kept_without_a_named_paramstyle_in_env_py(tmp_path, url):
    """An env.py from before Alembic's ``dialect_opts={"paramstyle": "named"}``: the scripts of
    psycopg2 and PyMySQL (format paramstyles) wrote every ``%`` of a literal as ``%%``."""
    graph = [{"rev": "a", "upgrade": (
        "t = op.create_table('t', sa.Column('n', sa.String(20), server_default='100%'), "
        "comment='50% off')\n"
        "op.bulk_insert(t, [{'n': '%(p)s 1%'}])\n"
        "op.execute(sa.text('UPDATE t SET n = :n').bindparams(n='2%'))"
    )}]
    ini = make_project(tmp_path, url, graph, env_py=OLD_ALEMBIC_ENV_PY)
    buf = io.StringIO()
    command.upgrade(config_for(ini, configure={"output_buffer": buf}), "a", sql=True)
    sql = buf.getvalue()
    assert "%%" not in sql
    assert "DEFAULT '100%'" in sql and "50% off'" in sql
    assert "VALUES ('%(p)s 1%')" in sql and "SET n = '2%'" in sql


def test_text_colon_read_as_a_parameter_is_refused_offline_as_online(tmp_path, sqlite_url):
    """``sa.text("... 'at :noon'")``: SQLAlchemy reads ``:noon`` as a parameter. Online the
    driver refuses the statement; offline it was written as ``'at NULL'``. An escaped colon
    and a plain string keep their colons, and given values are written."""
    from mig_core.errors import CommandError

    def project(upgrade: str) -> Path:
        graph = [{"rev": "a", "upgrade": "op.execute('CREATE TABLE t (note VARCHAR(20))')\n"
                                         + upgrade}]
        return make_project(tmp_path, sqlite_url, graph)

    ini = project("op.execute(sa.text(\"INSERT INTO t VALUES ('at :noon')\"))")
    with pytest.raises(Exception, match="noon"):
        command.upgrade(config_for(ini), "a")
    buf = io.StringIO()
    with pytest.raises(CommandError, match=r"no value for :noon in .*\.bindparams\(noon=\.\.\.\)"):
        command.upgrade(config_for(ini, configure={"output_buffer": buf}), "a", sql=True)
    assert "at NULL" not in buf.getvalue()

    ini = project(
        "op.execute(sa.text(r\"INSERT INTO t VALUES ('at \\:noon')\"))\n"
        "op.execute(\"INSERT INTO t VALUES ('at :ten')\")\n"
        "op.execute(sa.text('INSERT INTO t VALUES (:v)').bindparams(v='at :six'))"
    )
    buf = io.StringIO()
    command.upgrade(config_for(ini, configure={"output_buffer": buf}), "a", sql=True)
    assert "VALUES ('at :noon');" in buf.getvalue()
    assert "VALUES ('at :ten');" in buf.getvalue()
    assert "VALUES ('at :six');" in buf.getvalue()


def test_range_may_start_at_a_branch_base(tmp_path):
    """``upgrade --sql side@base:side@head`` starts from nothing, as ``base:`` does. It failed
    with "AttributeError: 'NoneType' object has no attribute 'revision'" (Alembic 1.20 too)."""
    graph = [*GRAPH[:2], {**GRAPH[2], "branch_labels": "side"}]  # heads b and c (no merge)
    ini = make_project(tmp_path, "postgresql://", graph)
    buf = io.StringIO()
    command.upgrade(config_for(ini, configure={"output_buffer": buf}), "side@base:side@head",
                    sql=True)
    assert [line for line in buf.getvalue().splitlines() if line.startswith("--")] == [
        "-- Running upgrade base -> a",
        "-- Running upgrade a -> c",
    ]
