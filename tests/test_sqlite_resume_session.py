"""``--resume`` on SQLite of a revision that turned foreign keys on in its
``autocommit_block()`` (outside a transaction, where the PRAGMA takes effect): the resumed run's
new connection has them off, so the PRAGMA is sent again, and the revision's later ``DELETE``
cascades as it would have.
"""

from __future__ import annotations

import sqlite3

import pytest
from runtime_support import config_for, make_project

from mig_core import command
from mig_core.errors import MigrationFailed

PARENT_AND_CHILD = {
    "upgrade": (
        "op.create_table('parent', sa.Column('id', sa.Integer, primary_key=True))\n"
        "op.create_table('child', sa.Column('id', sa.Integer, primary_key=True),\n"
        "                sa.Column('p', sa.Integer,\n"
        "                          sa.ForeignKey('parent.id', ondelete='CASCADE')))\n"
        "op.execute('INSERT INTO parent VALUES (1)')\n"
        "op.execute('INSERT INTO child VALUES (1, 1)')\n"
    ),
}
FOREIGN_KEYS_ON_THEN_A_FAILURE = (
    "with op.get_context().autocommit_block():\n"
    "    op.execute('PRAGMA foreign_keys = ON')\n"
    "    op.create_table('t2', sa.Column('id', sa.Integer, primary_key=True))\n"
    "op.execute('INSERT INTO audit VALUES (1)')\n"
    "op.execute('DELETE FROM parent')\n"
)


def _scalar(path: str, sql: str) -> object:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchone()[0]


def test_a_pragma_among_the_skipped_statements_is_sent_again(tmp_path, caplog):
    db = str(tmp_path / "app.db")
    ini = make_project(tmp_path, f"sqlite:///{db}", [
        {"rev": "r1", **PARENT_AND_CHILD},
        {"rev": "r2", "down": "r1", "upgrade": FOREIGN_KEYS_ON_THEN_A_FAILURE},
    ])
    command.upgrade(config_for(ini), "r1")
    with pytest.raises(MigrationFailed, match="2 statements of it took effect, committed by its "
                       r"autocommit_block\(\): PRAGMA foreign_keys = ON; CREATE TABLE t2"):
        command.upgrade(config_for(ini), "head")

    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE audit (n INTEGER)")  # the cause
    with caplog.at_level("INFO", logger="mig"):
        command.upgrade(config_for(ini), "head", resume=True)
    assert _scalar(db, "SELECT count(*) FROM child") == 0  # the DELETE cascaded
    assert ("1 statement that only sets the session's state: PRAGMA foreign_keys = ON"
            in caplog.text)
    assert _scalar(db, "SELECT version_num FROM mig_version") == "r2"
