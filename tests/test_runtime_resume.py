"""``--resume`` where the failed revision was rolled back whole (PostgreSQL, SQLite, also with
``transactional_ddl=False``): a note, and the command runs as without it; with ``--sql``, a usage
error. (The resuming itself is tested on MariaDB: plugins/mig_mysql/tests/test_mysql_resume.py,
and after an autocommit_block() on PostgreSQL: test_postgres_autocommit_resume.py.)
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, make_project

from mig_core import command
from mig_core.errors import MigrationFailed, MigWarning, UsageError
from mig_core.runtime.progress import commits_by_itself

REVISIONS = [
    {"rev": "r1", **create_table("t")},
    {"rev": "r2", "down": "r1", "upgrade": (
        "op.add_column('t', sa.Column('a', sa.Integer))\n"
        "op.add_column('t', sa.Column('b', sa.Integer))\n"
        "op.execute('INSERT INTO no_such_table VALUES (1)')\n"
    )},
]


def _fix(tmp_path):
    path = tmp_path / "migrations" / "versions" / "r2_r2.py"
    path.write_text(path.read_text().replace("op.execute('INSERT INTO no_such_table VALUES (1)')",
                                             "pass"))


def _columns(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = [c["name"] for c in sa.inspect(conn).get_columns("t")]
        statements = conn.execute(sa.text(
            "SELECT statements FROM mig_history ORDER BY id")).scalars().all()
    engine.dispose()
    assert set(statements) == {None}  # nothing recorded where nothing is half-applied
    return names


@pytest.mark.parametrize("fixture, opts, dialect", [
    ("postgres_url", {}, "postgresql"),
    ("psycopg_url", {}, "postgresql"),  # PostgreSQL through psycopg 3
    ("sqlite_url", {}, "sqlite"),
    # the run commits revision by revision, but the server still rolls the failed one back
    ("sqlite_url", {"transactional_ddl": False}, "sqlite"),
])
def test_resume_where_nothing_is_half_applied_is_a_note(fixture, opts, dialect, request,
                                                        tmp_path):
    url = request.getfixturevalue(fixture)
    if fixture in ("postgres_url", "psycopg_url"):
        from runtime_support import drop_all_tables

        drop_all_tables(url)
    ini = make_project(tmp_path, url, REVISIONS)
    with pytest.raises(MigrationFailed) as info:
        command.upgrade(config_for(ini, configure=opts), "head")
    assert "--resume" not in str(info.value)
    _fix(tmp_path)
    with pytest.warns(MigWarning) as caught:
        command.upgrade(config_for(ini, configure=opts), "head", resume=True)
    assert len(caught) == 1
    assert re.fullmatch(
        r"--resume: nothing to resume \(the upgrade of revision r2 \(history row \d+\) failed "
        r"and was rolled back whole: no autocommit_block\(\) of it committed any of its "
        r"statements\); the command runs as without --resume", str(caught[0].message))
    assert _columns(url) == ["id", "a", "b"]


def test_resume_with_sql_is_a_usage_error(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, REVISIONS)
    with pytest.raises(UsageError, match=r"^upgrade: --resume .* \(--sql\)$") as info:
        command.upgrade(config_for(ini), "head", sql=True, resume=True)
    assert info.value.exit_code == 2
    with pytest.raises(UsageError, match=r"^downgrade: --resume"):
        command.downgrade(config_for(ini), "head:base", sql=True, resume=True)


@pytest.mark.parametrize("sql, commits", [
    ("ALTER TABLE t ADD COLUMN x INTEGER", True),
    ("  -- a comment\n/* another */ create index ix on t (x)", True),
    ("DROP TABLE t", True),
    ("RENAME TABLE a TO b", True),
    ("CREATE TEMPORARY TABLE tmp (x INTEGER)", False),
    ("DROP TEMPORARY TABLE tmp", False),
    ("ANALYZE TABLE t", False),  # (a dialect's impl names more: see mig-mysql's tests)
    ("INSERT INTO t VALUES (1)", False),
    ("UPDATE t SET x = 1", False),
    ("CALL do_things()", False),
    (sa.text("ALTER TABLE t DROP COLUMN x"), True),
    (sa.schema.CreateTable(sa.Table("t", sa.MetaData(), sa.Column("x", sa.Integer))), True),
    (sa.table("t", sa.column("x")).insert(), False),
])
def test_what_commits_by_itself(sql, commits):
    assert commits_by_itself(sql) is commits


SEVERAL_ENV_PY = '''
import sqlalchemy as sa

from mig_core import context

config = context.config
names = (config.get_main_option("engine_names") or "").split()
for index, url in enumerate(config.get_main_option("urls").split()):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            if names:
                context.run_migrations(engine_name=names[index])
            else:
                context.run_migrations()
    engine.dispose()
'''


@pytest.mark.parametrize("engine_names", [True, False])
def test_several_databases_name_theirs_in_resume_messages(tmp_path, engine_names):
    """An env.py visiting two databases: each note and failure names its database (by engine
    name and URL where env.py passes ``engine_name=``, as the multidb template does; else by
    URL from the second database on); the note is no longer one line for both."""
    one, two = f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}"
    fails_in_two = ("op.add_column('t', sa.Column('a', sa.Integer))\n"
                    "if kw.get('engine_name', 'two') == 'two' and "
                    "op.get_bind().engine.url.database.endswith('two.db'):\n"
                    "    op.execute('INSERT INTO no_such_table VALUES (1)')\n")
    ini = make_project(tmp_path, one, [REVISIONS[0], {"rev": "r2", "down": "r1",
                                                      "upgrade": fails_in_two}],
                       env_py=SEVERAL_ENV_PY,
                       ini_extra=f"urls = {one} {two}\n"
                       + ("engine_names = one two\n" if engine_names else ""))
    first, second = (f"one ({one})", f"two ({two})") if engine_names else (None, two)
    with pytest.raises(MigrationFailed) as info:
        command.upgrade(config_for(ini), "head")
    assert str(info.value).startswith(
        f"revision r2 (versions/r2_r2.py line 19) upgrade in {second} failed: OperationalError")
    path = tmp_path / "migrations" / "versions" / "r2_r2.py"
    path.write_text(path.read_text().replace("    op.execute('INSERT INTO no_such_table "
                                             "VALUES (1)')", "    pass"))
    with pytest.warns(MigWarning) as caught:
        command.upgrade(config_for(ini), "head", resume=True)
    whys = ["the last run did not stop inside a revision",
            "the upgrade of revision r2 (history row 1) failed and was rolled back whole: no "
            "autocommit_block() of it committed any of its statements"]
    assert [str(w.message) for w in caught] == [
        f"--resume{' in ' + label if label else ''}: nothing to resume ({why}); the command "
        "runs as without --resume" for label, why in zip((first, second), whys)]
