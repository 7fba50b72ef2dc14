"""``mig repair`` on SQLite, PostgreSQL and MariaDB: after a deliberate edit of an applied revision
(``log --verify`` exit 1) it appends a ``repair`` row with the file's checksum and verify passes;
a later edit is ``changed`` again; a missing file is recorded as removed; named revisions only;
``--dry-run`` writes nothing; errors; the run lock (a concurrent upgrade); several databases;
tenants (``version_table_schema`` sharing one history, ``schema_translate_map``)."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, drop_all_tables, make_project

from mig_core import command
from mig_core.cli import main
from mig_core.errors import AppliedRevisionsChanged

BACKENDS = ["sqlite_url", "postgres_url", "mysql_url"]

CHAIN = [
    {"rev": "r1", **create_table("t1")},
    {"rev": "r2", "down": "r1", **create_table("t2")},
    {"rev": "r3", "down": "r2", **create_table("t3")},
]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest) -> str:
    found: str = request.getfixturevalue(request.param)
    drop_all_tables(found)
    return found


def _file(ini: Path, rev: str) -> Path:
    return ini.parent / "migrations" / "versions" / f"{rev}_{rev}.py"


def _edit(ini: Path, rev: str, extra: str = "# a comment added after it ran\n") -> str:
    """Append ``extra`` to the revision's file; its new sha256."""
    path = _file(ini, rev)
    path.write_text(path.read_text() + extra)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mig(ini: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``mig -c ini args``: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main(["-c", str(ini), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _verify(ini: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    _, out, _ = _mig(ini, capsys, "log", "--verify", "--json")
    return {entry["revision"]: entry for entry in json.loads(out)}


def _statuses(ini: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    return {rev: entry["status"] for rev, entry in _verify(ini, capsys).items()}


def _rows(url: str, where: str = "") -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        found = conn.execute(sa.text(
            "SELECT id, direction, revisions, from_heads, to_heads, checksum, success "
            f"FROM mig_history {where} ORDER BY id")).all()
    engine.dispose()
    return [tuple(row) for row in found]


def test_edit_verify_repair_verify_then_edit_again(url, tmp_path, capsys):
    ini = make_project(tmp_path, url, CHAIN)
    command.upgrade(config_for(ini), "head")
    recorded = _verify(ini, capsys)["r2"]["recorded_checksum"]
    edited = _edit(ini, "r2")
    assert _mig(ini, capsys, "log", "--verify")[0] == 1

    code, out, err = _mig(ini, capsys, "repair")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"repaired    r2  versions/r2_r2.py: accepted checksum {edited[:12]} (recorded: "
        f"{recorded[:12]}) (history row 4)",
        "1 revision repaired (1 changed, 0 missing)",
    ]
    assert _rows(url, "WHERE id = 4") == [(4, "repair", "r2", "r3", "r3", edited, True)]
    code, out, _ = _mig(ini, capsys, "log", "--verify")
    assert (code, out) == (0, "3 applied revisions: 3 ok, 0 changed, 0 missing, 0 unverified\n")
    r2 = _verify(ini, capsys)["r2"]
    assert (r2["status"], r2["recorded_checksum"], r2["history_id"], r2["repair_id"]) == (
        "ok", edited, 2, 4)
    assert r2["repaired_at"].endswith("+00:00") and r2["repaired_by"] == r2["applied_by"]

    # `mig log` shows the row, as text and as JSON
    _, out, _ = _mig(ini, capsys, "log")
    assert out.splitlines()[-1].split()[3:6] == ["repair", "r2", "r3"]
    _, out, _ = _mig(ini, capsys, "log", "--json")
    last = json.loads(out)[-1]
    assert {k: last[k] for k in ("id", "revisions", "direction", "from_heads", "to_heads",
                                 "success", "error", "checksum", "version_table")} == {
        "id": 4, "revisions": "r2", "direction": "repair", "from_heads": "r3",
        "to_heads": "r3", "success": True, "error": None, "checksum": edited,
        "version_table": "mig_version"}

    # edited again: changed again, against what the repair accepted
    _edit(ini, "r2", "# and again\n")
    code, out, _ = _mig(ini, capsys, "log", "--verify")
    assert code == 1
    assert out.splitlines()[0].startswith(
        "changed     r2  versions/r2_r2.py: edited since mig repair accepted it ")
    assert out.splitlines()[0].endswith(" (history row 4)")
    assert _mig(ini, capsys, "repair", "--lock-timeout", "5")[0] == 0
    assert _statuses(ini, capsys) == dict.fromkeys(["r1", "r2", "r3"], "ok")
    lf = _file(ini, "r2").read_bytes()
    _file(ini, "r2").write_bytes(lf.replace(b"\n", b"\r\n"))  # git's autocrlf: still ok
    r2 = _verify(ini, capsys)["r2"]
    assert (r2["status"], r2["reason"]) == (
        "ok", "only its line endings differ from the file mig repair accepted")
    _file(ini, "r2").write_bytes(lf)

    # a downgrade and upgrade record the file that runs: the repair rows no longer count
    command.downgrade(config_for(ini), "r1")
    command.upgrade(config_for(ini), "head")
    assert (_verify(ini, capsys)["r2"]["repair_id"], _verify(ini, capsys)["r2"]["status"]) == (
        None, "ok")
    _edit(ini, "r3")
    command.downgrade(config_for(ini), "r1")
    command.stamp(config_for(ini), "r3")  # back without running: nothing to compare, as before
    assert _statuses(ini, capsys) == {"r1": "ok", "r2": "unverified", "r3": "unverified"}


def test_a_missing_file_is_recorded_as_removed(url, tmp_path, capsys):
    ini = make_project(tmp_path, url, CHAIN)
    command.upgrade(config_for(ini), "head")
    source = _file(ini, "r3").read_bytes()
    _file(ini, "r3").unlink()
    assert _mig(ini, capsys, "log", "--verify")[0] == 1

    code, out, _ = _mig(ini, capsys, "repair")
    assert (code, out.splitlines()) == (0, [
        "removed     r3  no revision file defines it: recorded as removed on purpose "
        "(history row 4)",
        "1 revision repaired (0 changed, 1 missing)",
    ])
    assert _rows(url, "WHERE id = 4") == [(4, "repair", "r3", "r3", "r3", None, True)]
    code, out, err = _mig(ini, capsys, "log", "--verify")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("removed     r3  no revision file defines it; mig repair "
                               "recorded it as removed on purpose ")
    assert lines[0].endswith(" (history row 4)")
    assert lines[1] == "3 applied revisions: 2 ok, 0 changed, 0 missing, 0 unverified, 1 removed"
    r3 = _verify(ini, capsys)["r3"]
    assert (r3["status"], r3["path"], r3["history_id"], r3["repair_id"]) == ("removed", None, 3, 4)
    assert _mig(ini, capsys, "repair")[1] == "nothing to repair (3 applied revisions)\n"

    # the file is back: it is compared with what ran, as before
    _file(ini, "r3").write_bytes(source)
    assert _statuses(ini, capsys) == dict.fromkeys(["r1", "r2", "r3"], "ok")


def test_only_the_named_revisions(url, tmp_path, capsys):
    ini = make_project(tmp_path, url, CHAIN)
    command.upgrade(config_for(ini), "head")
    _edit(ini, "r1")
    _edit(ini, "r2")
    rows = len(_rows(url))

    code, out, _ = _mig(ini, capsys, "repair", "r2", "r3")
    assert code == 0
    assert [line.split()[:3] for line in out.splitlines()] == [
        ["repaired", "r2", "versions/r2_r2.py:"], ["skipped", "r3", "ok,"],
        ["1", "revision", "repaired"]]
    assert out.splitlines()[1] == "skipped     r3  ok, nothing to repair"
    assert _statuses(ini, capsys) == {"r1": "changed", "r2": "ok", "r3": "ok"}
    assert len(_rows(url)) == rows + 1

    # a name that designates nothing applied stops before anything is written (exit 2)
    for args, message in [
        (["r1", "zz"], "repair: 'zz' names no revision file nor any revision the database has "
                       "applied"),
        (["base"], "repair: 'base' names no revision to repair"),
    ]:
        assert _mig(ini, capsys, "repair", *args) == (2, "", f"mig: error: {message}\n")
    command.downgrade(config_for(ini), "r2")
    code, _, err = _mig(ini, capsys, "repair", "r1", "r3")
    assert (code, err) == (2, "mig: error: repair: r3 is not applied to the database (neither "
                              "the version table nor the revisions below its heads name it), so "
                              "it has no recorded checksum to repair\n")
    assert len(_rows(url, "WHERE direction = 'repair'")) == 1
    command.repair(config_for(ini), "r1")  # from Python: one id, or a list
    assert _statuses(ini, capsys) == {"r1": "ok", "r2": "ok"}


def test_stamped_revisions_are_skipped_and_missing_ones_named_by_id(sqlite_url, tmp_path,
                                                                    capsys):
    ini = make_project(tmp_path, sqlite_url, CHAIN)
    command.stamp(config_for(ini), "r1")
    command.upgrade(config_for(ini), "head")
    _file(ini, "r3").unlink()
    code, out, _ = _mig(ini, capsys, "repair", "r1", "r3")  # r3: an id no file defines
    assert code == 0
    assert out.splitlines() == [
        "skipped     r1  unverified, nothing to repair: no upgrade of it in the history "
        "(stamped, applied before the history was kept, or by Alembic)",
        "removed     r3  no revision file defines it: recorded as removed on purpose "
        "(history row 4)",
        "1 revision repaired (0 changed, 1 missing)",
    ]
    assert _statuses(ini, capsys) == {"r1": "unverified", "r2": "ok", "r3": "removed"}


def test_dry_run_writes_nothing(url, tmp_path, capsys):
    ini = make_project(tmp_path, url, CHAIN)
    command.upgrade(config_for(ini), "head")
    edited = _edit(ini, "r1")
    _file(ini, "r3").unlink()
    before = _rows(url)

    code, out, _ = _mig(ini, capsys, "repair", "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"repaired    r1  versions/r1_r1.py: would accept checksum "
                               f"{edited[:12]} (recorded: ")
    assert lines[1:] == [
        "removed     r3  no revision file defines it: would record as removed on purpose",
        "2 revisions to repair (1 changed, 1 missing); dry run, nothing written",
    ]
    code, out, _ = _mig(ini, capsys, "repair", "--dry-run", "r2", "r3")
    assert (code, out.splitlines()) == (0, [
        "skipped     r2  ok, nothing to repair",
        "removed     r3  no revision file defines it: would record as removed on purpose",
        "1 revision to repair (0 changed, 1 missing); dry run, nothing written",
    ])
    assert _mig(ini, capsys, "repair", "--dry-run", "zz")[0] == 2
    assert _rows(url) == before
    assert _statuses(ini, capsys) == {"r1": "changed", "r2": "ok", "r3": "missing"}


def test_errors(sqlite_url, tmp_path, capsys):
    from mig_core.runtime.history import INTERRUPTED

    ini = make_project(tmp_path, sqlite_url, CHAIN, ini_extra="history_table = false\n")
    command.upgrade(config_for(ini), "head")
    assert _mig(ini, capsys, "repair") == (
        2, "", "mig: error: repair: the history table is turned off (history_table = false), so "
               "no checksum was recorded to verify against; set history_table to keep one\n")
    ini.write_text(ini.read_text().replace("history_table = false\n", ""))
    assert _mig(ini, capsys, "repair") == (
        1, "", "mig: error: repair: the history table mig_history does not exist, so no checksum "
               "was recorded to verify against (history_table = mig_history; mig writes it from "
               "the next upgrade, downgrade or stamp, or from ensure_version)\n")
    code, out, err = _mig(ini, capsys, "repair", "--sql")
    assert (code, out) == (2, "")
    assert err.startswith("mig: error: repair --sql: repair compares the files with the "
                          "checksums recorded in the database's history table")

    command.downgrade(config_for(ini), "base")
    command.upgrade(config_for(ini), "head")
    _edit(ini, "r3")
    # the last run died inside a revision: its started row stays last until a stamp says where
    # the database is; a repair row after it would hide it from the next upgrade
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO mig_history (revisions, direction, from_heads, to_heads, started_at, "
            "finished_at, duration_ms, success, error, mig_version, version_table) VALUES "
            "('r3', 'upgrade', 'r2', 'r2', '2026-01-01', '2026-01-01', 0, 0, :e, '1', "
            "'mig_version')"), {"e": INTERRUPTED})
    engine.dispose()
    code, _, err = _mig(ini, capsys, "repair")
    assert code == 1
    assert err.startswith("mig: error: revision r3 (versions/r3_r3.py) upgrade was interrupted")
    assert _rows(sqlite_url, "WHERE direction = 'repair'") == []


def test_help_lists_it(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "    repair " in capsys.readouterr().out


def test_a_concurrent_upgrade_and_repair_serialize_on_the_run_lock(tmp_path, postgres_url,
                                                                     capsys):
    """An upgrade holding the lock (its revision sleeps): repair with a short --lock-timeout
    gives up (exit 5, nothing written); without one it waits, and writes after the upgrade."""
    drop_all_tables(postgres_url)
    slow = [*CHAIN[:2], {"rev": "r3", "down": "r2", "upgrade": "op.execute('SELECT pg_sleep(2)')"}]
    ini = make_project(tmp_path, postgres_url, slow)
    command.upgrade(config_for(ini), "r2")
    _edit(ini, "r1")
    proc = subprocess.Popen([sys.executable, "-m", "mig_core", "-c", str(ini), "upgrade", "head"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    try:
        deadline = time.monotonic() + 20
        while True:  # until the upgrade holds the advisory lock
            with engine.connect() as conn:
                if conn.execute(sa.text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                        "granted AND database = (SELECT oid FROM pg_database WHERE datname = "
                        "current_database())")).scalar():  # not another test run's lock
                    break
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        code, _, err = _mig(ini, capsys, "repair", "--lock-timeout", "0.2")
        assert code == 5, err
        code, out, err = _mig(ini, capsys, "repair")
        assert (code, err) == (0, "")
        assert proc.wait(timeout=30) == 0, proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        engine.dispose()
    # the upgrade committed r3 first; the repair, once it had the lock, saw it at r3
    assert [row[1:5] for row in _rows(postgres_url)] == [
        ("upgrade", "r1", "", "r1"), ("upgrade", "r2", "r1", "r2"), ("upgrade", "r3", "r2", "r3"),
        ("repair", "r1", "r3", "r3")]
    assert _statuses(ini, capsys) == dict.fromkeys(["r1", "r2", "r3"], "ok")


MULTI_ENV_PY = '''
import sqlalchemy as sa

from mig_core import context

config = context.config
for url in config.get_main_option("urls").split():
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
'''


def test_several_databases(tmp_path, capsys):
    one, two = f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}"
    ini = make_project(tmp_path, one, CHAIN, env_py=MULTI_ENV_PY,
                       ini_extra=f"urls = {one} {two}\n")
    command.upgrade(config_for(ini), "head")
    edited = _edit(ini, "r2")
    assert _mig(ini, capsys, "log", "--verify")[0] == 1
    code, out, _ = _mig(ini, capsys, "repair")
    assert code == 0
    lines = out.splitlines()
    assert [lines[0], lines[3]] == [f"{one}:", f"{two}:"]
    for line in (lines[1], lines[4]):
        assert line.startswith(f"  repaired    r2  versions/r2_r2.py: accepted checksum "
                               f"{edited[:12]} ")
    assert lines[2] == lines[5] == "  1 revision repaired (1 changed, 0 missing)"
    assert _mig(ini, capsys, "log", "--verify")[0] == 0
    for url in (one, two):
        assert _rows(url, "WHERE direction = 'repair'") == [
            (4, "repair", "r2", "r3", "r3", edited, True)]


def test_tenants_with_their_own_version_table_share_one_history(tmp_path, postgres_url, capsys):
    """``version_table_schema`` per tenant, ``history_table_schema = public``: a repair of
    tenant1 is tenant1's row; tenant2 still sees its edit."""
    drop_all_tables(postgres_url)
    ini = make_project(tmp_path, postgres_url, [{"rev": "r1"}, {"rev": "r2", "down": "r1"}])
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for tenant in ("repair_t1", "repair_t2"):
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {tenant} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {tenant}"))

    def config(tenant: str) -> Any:
        found = config_for(ini, configure={"version_table_schema": tenant,
                                           "history_table_schema": "public"})
        found.stdout = io.StringIO()
        return found

    def statuses(tenant: str) -> dict[str, str]:
        cfg = config(tenant)
        try:
            command.log(cfg, as_json=True, verify=True)
        except AppliedRevisionsChanged:
            pass
        return {e["revision"]: e["status"] for e in json.loads(cfg.stdout.getvalue())}

    try:
        for tenant in ("repair_t1", "repair_t2"):
            command.upgrade(config(tenant), "head")
        _edit(ini, "r2")
        command.repair(config("repair_t1"))
        assert statuses("repair_t1") == {"r1": "ok", "r2": "ok"}
        assert statuses("repair_t2") == {"r1": "ok", "r2": "changed"}
        assert [r[1:3] for r in _rows(postgres_url, "WHERE direction = 'repair'")] == [
            ("repair", "r2")]
        with engine.connect() as conn:
            assert conn.execute(sa.text(
                "SELECT version_table FROM mig_history WHERE direction = 'repair'")).all() == [
                ("repair_t1.mig_version",)]
    finally:
        with engine.begin() as conn:
            for tenant in ("repair_t1", "repair_t2"):
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {tenant} CASCADE"))
        engine.dispose()


TRANSLATE_ENV_PY = '''
import sqlalchemy as sa

from mig_core import context

config = context.config
engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    tenant = config.attributes["tenant"]
    connection = connection.execution_options(schema_translate_map={None: tenant})
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
'''


def test_schema_translate_map_tenants(tmp_path, postgres_url, capsys):
    """Each tenant's history table is in its schema: the repair row goes into tenant1's."""
    drop_all_tables(postgres_url)
    ini = make_project(tmp_path, postgres_url, CHAIN[:2], env_py=TRANSLATE_ENV_PY)
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    tenants = ("repair_s1", "repair_s2")
    with engine.begin() as conn:
        for tenant in tenants:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {tenant} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {tenant}"))

    def config(tenant: str) -> Any:
        found = config_for(ini, tenant=tenant)
        found.stdout = io.StringIO()
        return found

    try:
        for tenant in tenants:
            command.upgrade(config(tenant), "head")
        _edit(ini, "r1")
        cfg = config(tenants[0])
        command.repair(cfg)
        assert cfg.stdout.getvalue().splitlines()[-1] == "1 revision repaired (1 changed, 0 missing)"
        command.log(config(tenants[0]), verify=True)  # no error: verified
        with pytest.raises(AppliedRevisionsChanged):
            command.log(config(tenants[1]), verify=True)
        with engine.connect() as conn:
            for tenant, expected in zip(tenants, (1, 0)):
                assert conn.execute(sa.text(
                    f"SELECT count(*) FROM {tenant}.mig_history WHERE direction = 'repair'"
                )).scalar() == expected
    finally:
        with engine.begin() as conn:
            for tenant in tenants:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {tenant} CASCADE"))
        engine.dispose()


def test_a_table_an_older_mig_made_gets_its_version_table_column(sqlite_url, tmp_path, capsys):
    ini = make_project(tmp_path, sqlite_url, CHAIN)
    command.upgrade(config_for(ini), "head")
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:  # as an older mig made it
        conn.execute(sa.text("ALTER TABLE mig_history DROP COLUMN version_table"))
    _edit(ini, "r2")
    assert _mig(ini, capsys, "repair")[0] == 0
    with engine.connect() as conn:
        assert conn.execute(sa.text(
            "SELECT revisions, direction, version_table FROM mig_history ORDER BY id")).all() == [
            ("r1", "upgrade", None), ("r2", "upgrade", None), ("r3", "upgrade", None),
            ("r2", "repair", "mig_version")]
    engine.dispose()
    assert _statuses(ini, capsys) == dict.fromkeys(["r1", "r2", "r3"], "ok")


def test_tag_reaches_env_py_in_every_repair_run(sqlite_url, tmp_path, capsys):
    """``--tag`` reaches env.py's ``context.get_tag_argument()`` in the read-only runs too
    (``--dry-run``, and the check of named revisions before the writing run)."""
    drop_all_tables(sqlite_url)
    ini = make_project(tmp_path, sqlite_url, CHAIN)
    command.upgrade(config_for(ini), "head")
    _edit(ini, "r1")
    env = ini.parent / "migrations" / "env.py"
    seen = tmp_path / "tags.txt"
    env.write_text(
        f"from mig_core import context as _ctx\n"
        f"with open({str(seen)!r}, 'a') as _f:\n"
        f"    _f.write(repr(_ctx.get_tag_argument()) + '\\n')\n" + env.read_text()
    )
    assert _mig(ini, capsys, "repair", "--dry-run", "--tag", "t1")[0] == 0
    assert _mig(ini, capsys, "repair", "r1", "--tag", "t2")[0] == 0
    assert seen.read_text().splitlines() == ["'t1'", "'t2'", "'t2'"]


REPAIR_KEYS = ["database", "revision", "action", "path", "checksum", "recorded_checksum",
               "history_id"]


def test_json_records_and_the_python_return_value(url, tmp_path, capsys):
    """``repair --json`` (and ``--dry-run --json``): one object per revision repaired, the same
    keys as ``command.repair`` returns; a named revision needing none is not listed."""
    ini = make_project(tmp_path, url, CHAIN)
    command.upgrade(config_for(ini), "head")
    recorded = _verify(ini, capsys)["r1"]["recorded_checksum"]
    edited = _edit(ini, "r1")
    _file(ini, "r3").unlink()
    before = _rows(url)

    code, out, err = _mig(ini, capsys, "repair", "--dry-run", "--json")
    assert (code, err) == (0, "")
    database = url  # no password to hide
    expected = [
        {"database": database, "revision": "r1", "action": "accepted",
         "path": str(_file(ini, "r1")), "checksum": edited, "recorded_checksum": recorded,
         "history_id": None},
        {"database": database, "revision": "r3", "action": "removed", "path": None,
         "checksum": None, "recorded_checksum": _verify(ini, capsys)["r3"]["recorded_checksum"],
         "history_id": None},
    ]
    found = json.loads(out)
    assert [list(entry) for entry in found] == [REPAIR_KEYS, REPAIR_KEYS]
    assert found == expected
    assert expected[1]["recorded_checksum"]
    assert _rows(url) == before
    assert command.repair(config_for(ini), dry_run=True) == expected

    code, out, _ = _mig(ini, capsys, "repair", "--json", "r1", "r2")  # r2 needs none
    assert code == 0
    assert json.loads(out) == [{**expected[0], "history_id": 4}]
    assert command.repair(config_for(ini)) == [{**expected[1], "history_id": 5}]
    assert _mig(ini, capsys, "repair", "--json")[1] == "[]\n"
    assert command.repair(config_for(ini)) == []
