"""``--resume`` on the real MariaDB of a revision that set the session's state (``SET
foreign_key_checks = 0``) among the statements that took effect: the resumed run is on a new
connection, so that statement is sent again (still skipped in the count and the digest), and the
rest of the revision runs under the setting it ran under before.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from mysql_support import execute, mig_command, reset, scalar
from runtime_support import ENV_PY, create_table, make_project, shared_fixtures

mysql_url = shared_fixtures().mysql_url

#: the second CREATE TABLE references a table that does not exist yet: MariaDB refuses it
#: unless foreign_key_checks is off, which the first statement set for the session
FOREIGN_KEYS_OFF_THEN_A_FAILURE = (
    "op.execute('SET foreign_key_checks = 0')\n"
    "op.create_table('a', sa.Column('id', sa.Integer, primary_key=True),\n"
    "                sa.Column('p', sa.Integer, sa.ForeignKey('parent.id')))\n"
    "op.execute('INSERT INTO audit VALUES (1)')\n"
    "op.create_table('b', sa.Column('id', sa.Integer, primary_key=True),\n"
    "                sa.Column('p', sa.Integer, sa.ForeignKey('parent.id')))\n"
    "op.create_table('parent', sa.Column('id', sa.Integer, primary_key=True))\n"
    "op.execute('SET foreign_key_checks = 1')\n"
)
#: mig's info lines shown, as the templates' logging configuration shows them
ENV_PY_LOGGING = ("import logging\nlogging.basicConfig()\nlogging.getLogger('mig').setLevel('INFO')\n"
                  + ENV_PY)
REPLAYED = ("--resume: revision r2 (versions/r2_r2.py) upgrade sent again, of the 2 statements "
            "it skipped, 1 statement that only sets the session's state: SET foreign_key_checks "
            "= 0 (the new connection lacked it)")


@pytest.fixture
def engine(mysql_url):
    engine = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    reset(engine)
    yield engine
    reset(engine)
    engine.dispose()


def _run(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(mig_command(ini, *args), capture_output=True, text=True, timeout=60)


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_a_session_setting_among_the_skipped_statements_is_sent_again(tmp_path, engine,
                                                                      mysql_url):
    ini = make_project(tmp_path, mysql_url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": FOREIGN_KEYS_OFF_THEN_A_FAILURE},
    ], env_py=ENV_PY_LOGGING)
    failed = _run(ini, "upgrade", "head")
    assert failed.returncode == 1
    assert "2 statements of it took effect" in failed.stderr, failed.stderr
    assert {"a", "b"} & _tables(engine) == {"a"}

    execute(engine, "CREATE TABLE audit (n INTEGER)")  # the cause
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr  # b's foreign key needs the SET sent again
    assert REPLAYED in done.stderr
    assert {"a", "b", "parent"} <= _tables(engine)
    assert scalar(engine, "SELECT COUNT(*) FROM audit") == 1
    log = json.loads(_run(ini, "log", "--json").stdout)
    assert (log[-1]["revisions"], log[-1]["success"], log[-1]["statements"]) == ("r2", True, 6)
    assert log[-1]["resumed_from"] == log[-2]["id"]


def test_a_refusal_names_the_session_settings_it_sent(tmp_path, engine, mysql_url):
    """An edited revision is refused before anything else is sent; the SET that came before
    the difference was sent again, and the message says so."""
    ini = make_project(tmp_path, mysql_url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": FOREIGN_KEYS_OFF_THEN_A_FAILURE},
    ], env_py=ENV_PY_LOGGING)
    assert _run(ini, "upgrade", "head").returncode == 1
    path = tmp_path / "migrations" / "versions" / "r2_r2.py"
    path.write_text(path.read_text().replace("op.create_table('a'", "op.create_table('a2'"))
    refused = _run(ini, "upgrade", "head", "--resume")
    assert refused.returncode == 1
    assert ("applied (the revision was edited, or its code takes another path now); nothing "
            "was sent but 1 statement that only sets the session's state: SET foreign_key_checks "
            "= 0. Restore the revision") in refused.stderr, refused.stderr
    assert "a2" not in _tables(engine)


@pytest.mark.parametrize("setting", [
    "/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;",
    "SET @@SESSION.foreign_key_checks = 0, NAMES utf8mb4",
])
def test_a_dump_style_setting_is_sent_again(tmp_path, engine, mysql_url, setting):
    """mysqldump's executable comment, and a SET list, set the session's state too."""
    ini = make_project(tmp_path, mysql_url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": FOREIGN_KEYS_OFF_THEN_A_FAILURE.replace(
            "'SET foreign_key_checks = 0'", repr(setting))},
    ], env_py=ENV_PY_LOGGING)
    assert _run(ini, "upgrade", "head").returncode == 1
    execute(engine, "CREATE TABLE audit (n INTEGER)")  # the cause
    done = _run(ini, "upgrade", "head", "--resume")
    assert done.returncode == 0, done.stderr  # b's foreign key needs the setting sent again
    assert f"1 statement that only sets the session's state: {setting}" in done.stderr
    assert {"a", "b", "parent"} <= _tables(engine)
