"""``mig log --verify`` on SQLite and PostgreSQL: the files of the applied revisions compared with
the checksums the history recorded when they ran: edited -> changed (exit 1), gone -> missing,
stamped -> unverified (exit 0); downgraded revisions no longer count; two heads; the JSON
shape; line endings; the errors; one history read and no revision import."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, drop_all_tables, make_project

from mig_core import command
from mig_core.cli import main

BACKENDS = ["sqlite_url", "postgres_url"]

CHAIN = [
    {"rev": "r1", **create_table("t1")},
    {"rev": "r2", "down": "r1", **create_table("t2")},
    {"rev": "r3", "down": "r2", **create_table("t3")},
]

#: two heads: a branch b1 / c1 merged at m, and a second root x1
GRAPH = [
    {"rev": "a", **create_table("ta")},
    {"rev": "b1", "down": "a", **create_table("tb1")},
    {"rev": "c1", "down": "a", **create_table("tc1")},
    {"rev": "m", "down": ("b1", "c1"), **create_table("tm")},
    {"rev": "x1", "down": None, "branch_labels": "x", **create_table("tx1")},
]

KEYS = ["database", "revision", "status", "path", "applied_at", "applied_by", "history_id",
        "recorded_checksum", "current_checksum", "reason", "repair_id", "repaired_at",
        "repaired_by"]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest) -> str:
    found: str = request.getfixturevalue(request.param)
    drop_all_tables(found)
    return found


def _file(ini: Path, rev: str) -> Path:
    return ini.parent / "migrations" / "versions" / f"{rev}_{rev}.py"


def _edit(ini: Path, rev: str, extra: str = "# edited after it ran\n") -> None:
    path = _file(ini, rev)
    path.write_text(path.read_text() + extra)


def _verify(ini: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``mig log --verify [args]``: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main(["-c", str(ini), "log", "--verify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _statuses(ini: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    _, out, _ = _verify(ini, capsys, "--json")
    return {entry["revision"]: entry["status"] for entry in json.loads(out)}


def test_untouched_files_verify_and_an_edited_one_is_changed(url, tmp_path, capsys):
    ini = make_project(tmp_path, url, CHAIN)
    command.upgrade(config_for(ini), "head")

    code, out, err = _verify(ini, capsys)
    assert (code, out, err) == (0, "3 applied revisions: 3 ok, 0 changed, 0 missing, "
                                   "0 unverified\n", "")

    _edit(ini, "r2")
    code, out, err = _verify(ini, capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("changed     r2  versions/r2_r2.py: edited since it was applied ")
    assert lines[0].endswith(" (history row 2)")
    assert lines[1:] == ["3 applied revisions: 2 ok, 1 changed, 0 missing, 0 unverified"]
    assert err == ("mig: error: log --verify: 1 applied revision no longer matches the file that "
                   "ran: r2 (changed)\n")


def test_the_python_api_raises_with_the_findings(url, tmp_path):
    from mig_core.errors import AppliedRevisionsChanged

    ini = make_project(tmp_path, url, CHAIN)
    command.upgrade(config_for(ini), "head")
    _edit(ini, "r1")
    _edit(ini, "r3")
    with pytest.raises(AppliedRevisionsChanged) as caught:
        command.log(config_for(ini), verify=True)
    assert caught.value.exit_code == 1
    assert [(f.revision, f.status) for f in caught.value.findings] == [
        ("r1", "changed"), ("r3", "changed")]


def test_stamped_revisions_are_unverified_and_do_not_fail(url, tmp_path, capsys):
    ini = make_project(tmp_path, url, CHAIN)
    command.stamp(config_for(ini), "r2")
    command.upgrade(config_for(ini), "head")

    code, out, _ = _verify(ini, capsys)
    assert code == 0
    assert out.splitlines() == [
        "unverified  r1  versions/r1_r1.py: no checksum to compare: no upgrade of it in the "
        "history (stamped, applied before the history was kept, or by Alembic)",
        "unverified  r2  versions/r2_r2.py: no checksum to compare: no upgrade of it in the "
        "history (stamped, applied before the history was kept, or by Alembic)",
        "3 applied revisions: 1 ok, 0 changed, 0 missing, 2 unverified",
    ]
    _edit(ini, "r1")  # nothing was recorded of it: still nothing to compare with
    assert _statuses(ini, capsys) == {"r1": "unverified", "r2": "unverified", "r3": "ok"}


def test_a_downgraded_revision_no_longer_counts(url, tmp_path, capsys):
    ini = make_project(tmp_path, url, CHAIN)
    command.upgrade(config_for(ini), "head")
    command.downgrade(config_for(ini), "r1")
    _edit(ini, "r3")  # not applied any more: editing it is fine
    assert _statuses(ini, capsys) == {"r1": "ok"}
    assert _verify(ini, capsys)[0] == 0

    command.stamp(config_for(ini), "base")  # stamps change no schema: the rows still count
    command.stamp(config_for(ini), "r1")
    _edit(ini, "r1")
    assert _statuses(ini, capsys) == {"r1": "changed"}
    _file(ini, "r1").write_text(_file(ini, "r1").read_text().replace("# edited after it ran\n", ""))

    command.upgrade(config_for(ini), "r2")  # ran again as it is now
    _edit(ini, "r2")
    assert _statuses(ini, capsys) == {"r1": "ok", "r2": "changed"}
    command.downgrade(config_for(ini), "r1")
    command.stamp(config_for(ini), "r2")  # back without running: its old row says nothing
    code, out, _ = _verify(ini, capsys)
    assert code == 0
    assert out.splitlines()[0].startswith(
        "unverified  r2  versions/r2_r2.py: no checksum to compare: downgraded (history row ")
    assert out.splitlines()[0].endswith(
        ") after that upgrade, and applied again without running (stamped)")


def test_two_heads_across_a_merge_and_a_second_root(url, tmp_path, capsys):
    ini = make_project(tmp_path, url, GRAPH)
    command.upgrade(config_for(ini), "heads")
    assert _statuses(ini, capsys) == dict.fromkeys(["a", "b1", "c1", "m", "x1"], "ok")

    _edit(ini, "c1")  # below the merge point
    _edit(ini, "x1")  # the other head
    code, out, err = _verify(ini, capsys)
    assert code == 1
    assert [line.split()[:2] for line in out.splitlines()[:-1]] == [
        ["changed", "c1"], ["changed", "x1"]]
    assert out.splitlines()[-1] == "5 applied revisions: 3 ok, 2 changed, 0 missing, 0 unverified"
    assert "c1 (changed), x1 (changed)" in err

    command.downgrade(config_for(ini), "x@base")  # x1 no longer applied
    _edit(ini, "m")
    command.downgrade(config_for(ini), "b1")  # m reverted: heads b1 and c1
    assert _statuses(ini, capsys) == {"a": "ok", "b1": "ok", "c1": "changed"}


def test_json_objects(url, tmp_path, capsys):
    ini = make_project(tmp_path, url, CHAIN)
    command.stamp(config_for(ini), "r1")
    command.upgrade(config_for(ini), "head")
    before = hashlib.sha256(_file(ini, "r3").read_bytes()).hexdigest()
    _edit(ini, "r3")
    after = hashlib.sha256(_file(ini, "r3").read_bytes()).hexdigest()

    code, out, _ = _verify(ini, capsys, "--json")
    assert code == 1
    entries = json.loads(out)
    assert [list(entry) for entry in entries] == [KEYS] * 3
    database = sa.engine.make_url(url).render_as_string(hide_password=True)
    r1, r2, r3 = entries
    assert r1 == {
        "database": database, "revision": "r1", "status": "unverified",
        "path": str(_file(ini, "r1")), "applied_at": None, "applied_by": None,
        "history_id": None, "recorded_checksum": None, "current_checksum": None,
        "reason": "no upgrade of it in the history (stamped, applied before the history was "
                  "kept, or by Alembic)",
        "repair_id": None, "repaired_at": None, "repaired_by": None,
    }
    assert (r2["status"], r2["recorded_checksum"], r2["reason"]) == (
        "ok", r2["current_checksum"], None)
    assert r3["status"] == "changed"
    assert (r3["recorded_checksum"], r3["current_checksum"]) == (before, after)
    assert r3["history_id"] == 3
    assert r3["applied_at"].endswith("+00:00") and "T" in r3["applied_at"]
    assert r3["applied_by"] and r3["reason"] is None


def test_missing_files_of_applied_revisions(url, tmp_path, capsys):
    """The head's file is gone: the graph cannot say what lies below it, so the history does
    (r2 is gone too; r1 is verified as usual)."""
    ini = make_project(tmp_path, url, CHAIN)
    command.upgrade(config_for(ini), "head")
    _file(ini, "r3").unlink()
    _file(ini, "r2").unlink()

    code, out, err = _verify(ini, capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(
        "missing     r2  no revision file defines it; it was applied ")
    assert lines[0].endswith(" (history row 2)")
    assert lines[1].split()[:2] == ["missing", "r3"]
    assert lines[2] == "3 applied revisions: 1 ok, 0 changed, 2 missing, 0 unverified"
    assert "r2 (missing), r3 (missing)" in err


def test_a_missing_head_whose_parents_were_only_stamped(url, tmp_path, capsys):
    """Stamped to r1 (no upgrade row of it), upgraded to r2, r2's file deleted: the graph
    cannot say what lies below r2, and r1 has no upgrade row; r2's upgrade row started from
    r1, so r1 is applied (unverified), r2 missing. Two files gone below a stamp alike."""
    chain = CHAIN[:2]
    ini = make_project(tmp_path, url, chain)
    command.stamp(config_for(ini), "r1")
    command.upgrade(config_for(ini), "r2")
    _file(ini, "r2").unlink()
    code, out, err = _verify(ini, capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("unverified  r1  versions/r1_r1.py: no checksum to compare: ")
    assert lines[1].startswith("missing     r2  no revision file defines it; it was applied ")
    assert lines[2] == "2 applied revisions: 0 ok, 0 changed, 1 missing, 1 unverified"
    assert err.endswith("r2 (missing)\n")

    ini = make_project(tmp_path / "three", url, CHAIN)
    drop_all_tables(url)
    command.stamp(config_for(ini), "r1")
    command.upgrade(config_for(ini), "head")
    _file(ini, "r3").unlink()
    _file(ini, "r2").unlink()
    assert _statuses(ini, capsys) == {"r1": "unverified", "r2": "missing", "r3": "missing"}
    _file(ini, "r1").unlink()  # the stamped one's file gone too: missing, said how it is known
    code, out, _ = _verify(ini, capsys)
    assert code == 1
    assert out.splitlines()[2] == ("missing     r1  no revision file defines it; the upgrade of "
                                   "r2 (history row 2) ran on top of it (no upgrade of it in "
                                   "the history)")
    assert _statuses(ini, capsys) == {"r2": "missing", "r3": "missing", "r1": "missing"}


def test_a_head_no_file_or_history_row_knows_is_missing(sqlite_url, tmp_path, capsys):
    ini = make_project(tmp_path, sqlite_url, CHAIN)
    command.upgrade(config_for(ini), "r2")
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE mig_version SET version_num = 'zz9'"))
    engine.dispose()
    code, out, _ = _verify(ini, capsys)
    assert code == 1
    assert out.splitlines()[-2] == ("missing     zz9  no revision file defines it; the version "
                                    "table names it (no upgrade of it in the history)")
    assert _statuses(ini, capsys) == {"r1": "ok", "r2": "ok", "zz9": "missing"}


def test_line_endings_alone_are_no_change(sqlite_url, tmp_path, capsys):
    ini = make_project(tmp_path, sqlite_url, CHAIN)
    command.upgrade(config_for(ini), "head")
    lf = _file(ini, "r1").read_bytes()
    _file(ini, "r1").write_bytes(lf.replace(b"\n", b"\r\n"))
    _, out, _ = _verify(ini, capsys, "--json")
    r1 = json.loads(out)[0]
    assert (r1["status"], r1["reason"]) == (
        "ok", "only its line endings differ from the file that ran")
    assert _verify(ini, capsys)[0] == 0

    _file(ini, "r1").write_bytes(lf.replace(b"\n", b"\r\n") + b"\r\n")  # and a blank line
    assert _statuses(ini, capsys)["r1"] == "changed"

    # a file that ran with CRLF endings and was converted to LF
    _file(ini, "r1").write_bytes(lf)
    command.downgrade(config_for(ini), "base")
    for rev in ("r1", "r2", "r3"):
        _file(ini, rev).write_bytes(_file(ini, rev).read_bytes().replace(b"\n", b"\r\n"))
    command.upgrade(config_for(ini), "head")
    _file(ini, "r2").write_bytes(_file(ini, "r2").read_bytes().replace(b"\r\n", b"\n"))
    assert _statuses(ini, capsys) == {"r1": "ok", "r2": "ok", "r3": "ok"}


def test_only_this_projects_rows_count(url, tmp_path, capsys):
    """Two tenants (one version table each) share mig_history and the revision files: tenant
    a's edited r2 is not verified by tenant b's later upgrade row of the edited file; rows
    written before the history recorded the version table (NULL) still count."""
    plain = [{"rev": "r1"}, {"rev": "r2", "down": "r1"}, {"rev": "r3", "down": "r2"}]
    a = make_project(tmp_path / "a", url, plain, ini_extra="version_table = a_version\n")
    b = make_project(tmp_path / "b", url, plain, ini_extra="version_table = b_version\n")
    command.upgrade(config_for(a), "head")
    _edit(a, "r2")
    _edit(b, "r2")
    command.upgrade(config_for(b), "head")  # records the edited r2, in b's rows
    assert _statuses(b, capsys) == dict.fromkeys(["r1", "r2", "r3"], "ok")
    assert _statuses(a, capsys) == {"r1": "ok", "r2": "changed", "r3": "ok"}
    assert "-n/--limit does not apply" in _verify(a, capsys, "-n", "1")[2]
    code, _, err = _verify(a, capsys, "--all")
    assert (code, err) == (2, "mig: error: log --verify checks every applied revision of this "
                              "project against its own history rows; --all does not apply to "
                              "it\n")

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:  # as an older mig wrote them
        conn.execute(sa.text("UPDATE mig_history SET version_table = NULL "
                             "WHERE version_table = 'a_version'"))
    engine.dispose()
    assert _statuses(a, capsys) == {"r1": "ok", "r2": "changed", "r3": "ok"}


def test_errors_history_off_or_absent(url, tmp_path, capsys):
    ini = make_project(tmp_path, url, CHAIN, ini_extra="history_table = false\n")
    command.upgrade(config_for(ini), "head")
    code, out, err = _verify(ini, capsys)
    assert (code, out) == (2, "")
    assert err == ("mig: error: log --verify: the history table is turned off (history_table = "
                   "false), so no checksum was recorded to verify against; set history_table to "
                   "keep one\n")

    ini.write_text(ini.read_text().replace("history_table = false\n", ""))
    code, out, err = _verify(ini, capsys)
    assert (code, out) == (1, "")
    assert err == ("mig: error: log --verify: the history table mig_history does not exist, so "
                   "no checksum was recorded to verify against (history_table = mig_history; "
                   "mig writes it from the next upgrade, downgrade or stamp, or from "
                   "ensure_version)\n")

    command.downgrade(config_for(ini), "base")  # nothing applied: nothing to verify
    assert _verify(ini, capsys) == (0, "0 applied revisions: nothing to verify\n", "")


def test_one_history_read_and_no_revision_import(sqlite_url, tmp_path, capsys, monkeypatch):
    from mig_core.script import headers

    ini = make_project(tmp_path, sqlite_url, GRAPH)
    command.upgrade(config_for(ini), "heads")
    _edit(ini, "b1")

    def no_import(path: str) -> Any:
        raise AssertionError(f"imported {path}")

    monkeypatch.setattr(headers, "load_module", no_import)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        assert _statuses(ini, capsys) == {"a": "ok", "b1": "changed", "c1": "ok", "m": "ok",
                                          "x1": "ok"}
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert len([s for s in statements if "FROM mig_history" in s]) == 1


def test_file_digest_comes_from_the_code_cache_while_its_entry_is_current(tmp_path):
    """The digest of a file whose code-cache entry is current costs a stat, no read."""
    from mig_core.script import code_cache

    folder = tmp_path / "versions"
    folder.mkdir()
    path = folder / "r1_r1.py"
    path.write_text("revision = 'r1'\n")
    old = 1_600_000_000_000_000_000
    os.utime(path, ns=(old, old))
    cache = code_cache.cache_for(str(folder))
    assert cache is not None
    cache.put(path.name, path.stat().st_size, old, "f" * 64, compile("", "r1", "exec"))
    assert code_cache.file_digest(str(path)) == "f" * 64

    os.utime(path, ns=(old + 1, old + 1))  # touched: the entry is stale, the bytes are read
    assert code_cache.file_digest(str(path)) == hashlib.sha256(path.read_bytes()).hexdigest()
