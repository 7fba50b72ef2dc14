"""What each step writes to ``mig_history``, the same on SQLite, PostgreSQL and MariaDB:
direction, revisions and heads across a branch, a merge point and a second root; stamps (of
several revisions, ``--purge``, ``base``); checksums; ``history_table = false``; the exact
``mig log --json`` object."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, drop_all_tables, make_project

from mig_core import command
from mig_core.errors import MigrationFailed

BACKENDS = ["sqlite_url", "postgres_url", "psycopg_url", "mysql_url"]  # psycopg_url: psycopg 3

GRAPH = [
    {"rev": "a", **create_table("ta")},
    {"rev": "b1", "down": "a", **create_table("tb1")},
    {"rev": "c1", "down": "a", **create_table("tc1")},
    {"rev": "m", "down": ("b1", "c1"), **create_table("tm")},
    {"rev": "d", "down": "m", **create_table("td")},
    {"rev": "x1", "down": None, "branch_labels": "x", **create_table("tx1")},
]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest) -> str:
    found: str = request.getfixturevalue(request.param)
    drop_all_tables(found)
    return found


def _log(ini: Path) -> list[dict[str, Any]]:
    config = config_for(ini)
    config.stdout = buf = io.StringIO()
    command.log(config, as_json=True)
    return json.loads(buf.getvalue())  # type: ignore[no-any-return]


def _sha256(ini: Path, rev: str) -> str:
    path = ini.parent / "migrations" / "versions" / f"{rev}_{rev}.py"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rows_across_branches_merges_and_stamps(url, tmp_path):
    """Heads are written sorted (the version table gives its rows in no set order: MariaDB by
    key, the others as stored), and a stamp's ``revisions`` are the revisions it stamped, not
    every head the table holds after it (``to_heads`` says that)."""
    ini = make_project(tmp_path, url, GRAPH)
    command.upgrade(config_for(ini), "heads")
    command.downgrade(config_for(ini), "a")
    command.stamp(config_for(ini), "c1")  # beside x1 (another root), a replaced
    command.stamp(config_for(ini), ["m", "x1"])
    command.stamp(config_for(ini), "d", purge=True)
    command.stamp(config_for(ini), "base")
    command.stamp(config_for(ini), ["c1", "b1"])
    command.upgrade(config_for(ini), "m")
    command.downgrade(config_for(ini), "b1")
    rows = _log(ini)
    assert [(r["direction"], r["revisions"], r["from_heads"], r["to_heads"]) for r in rows] == [
        ("upgrade", "a", "", "a"),
        ("upgrade", "x1", "a", "a x1"),
        ("upgrade", "c1", "a x1", "c1 x1"),
        ("upgrade", "b1", "c1 x1", "b1 c1 x1"),
        ("upgrade", "m", "b1 c1 x1", "m x1"),  # the merge point takes both parents' rows
        ("upgrade", "d", "m x1", "d x1"),
        ("downgrade", "d", "d x1", "m x1"),
        ("downgrade", "m", "m x1", "b1 c1 x1"),  # and gives them back
        ("downgrade", "b1", "b1 c1 x1", "c1 x1"),
        ("downgrade", "c1", "c1 x1", "a x1"),
        ("stamp", "c1", "a x1", "c1 x1"),
        ("stamp", "m x1", "c1 x1", "m x1"),
        ("stamp", "d", "m x1", "d"),  # --purge: from the heads it purged
        ("stamp", "base", "d", ""),
        ("stamp", "c1 b1", "", "b1 c1"),  # as given
        ("upgrade", "m", "b1 c1", "m"),
        ("downgrade", "m", "m", "b1 c1"),
    ]
    for row in rows:
        if row["direction"] == "stamp":  # no file ran: no checksum, however many revisions
            assert row["checksum"] is None
        else:
            assert row["checksum"] == _sha256(ini, row["revisions"])
        assert row["success"] is True and row["error"] is None
        assert row["finished_at"] >= row["started_at"]
        assert isinstance(row["duration_ms"], float) and row["duration_ms"] >= 0


def test_log_json_object_is_exactly_the_documented_one(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, GRAPH[:1])
    command.upgrade(config_for(ini), "head")
    (row,) = _log(ini)
    assert list(row) == [
        "database", "id", "revisions", "direction", "from_heads", "to_heads", "started_at",
        "finished_at", "duration_ms", "success", "error", "checksum", "mig_version", "username",
        "hostname", "version_table", "statements", "statements_sha256", "resumed_from",
        "skipped_statement",
    ]
    assert (row["database"], row["id"], row["version_table"]) == (sqlite_url, 1, "mig_version")


def test_history_table_false_writes_nothing(url, tmp_path):
    """Not the rows of successful steps, nor a failure's row, nor (MariaDB) started rows."""
    ini = make_project(tmp_path, url, [
        *GRAPH[:2],
        {"rev": "bad", "down": "b1", "upgrade": "op.execute('SELECT * FROM no_such_table')"},
    ], ini_extra="history_table = false\n")
    command.ensure_version(config_for(ini))
    command.upgrade(config_for(ini), "b1")
    command.stamp(config_for(ini), "a")
    command.downgrade(config_for(ini), "base")
    with pytest.raises(MigrationFailed):
        command.upgrade(config_for(ini), "head")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert "mig_history" not in sa.inspect(conn).get_table_names()
    engine.dispose()
    config = config_for(ini)
    config.stdout = buf = io.StringIO()
    command.log(config)
    assert buf.getvalue() == "the history table is turned off (history_table = false)\n"
