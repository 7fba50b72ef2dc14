"""The history table's ``version_table`` column, on SQLite, PostgreSQL and MariaDB: two projects
(two version tables) sharing one ``mig_history`` each see their own rows in ``mig log``; a table
an older mig made (without the column) is read as it is and upgraded in place by the first
writing run; the interrupted-run check goes by the column, and by the old guess for old rows."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, drop_all_tables, make_project

from mig_core import command
from mig_core.errors import MigrationFailed
from mig_core.runtime.history import INTERRUPTED, HistoryWriter

BACKENDS = ["sqlite_url", "postgres_url", "mysql_url"]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest) -> str:
    found: str = request.getfixturevalue(request.param)
    drop_all_tables(found)
    return found


def _out(ini: Path, fn: Any, *args: Any, **kw: Any) -> str:
    config = config_for(ini)
    config.stdout = buf = io.StringIO()
    fn(config, *args, **kw)
    return buf.getvalue()


def _log(ini: Path, **kw: Any) -> list[dict[str, Any]]:
    return json.loads(_out(ini, command.log, as_json=True, **kw))  # type: ignore[no-any-return]


def _columns(url: str, table: str = "mig_history") -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = [c["name"] for c in sa.inspect(conn).get_columns(table)]
    engine.dispose()
    return names


def _projects(root: Path, url: str) -> tuple[Path, Path]:
    a = make_project(root / "a", url, [
        {"rev": "a1", **create_table("a_t1")},
        {"rev": "a2", "down": "a1", **create_table("a_t2")},
    ], ini_extra="version_table = a_version\n")
    b = make_project(root / "b", url, [{"rev": "b1", **create_table("b_t1")}],
                     ini_extra="version_table = b_version\n")
    return a, b


def test_two_projects_sharing_the_table_each_log_their_own_rows(url, tmp_path):
    a, b = _projects(tmp_path, url)
    command.upgrade(config_for(a), "a1")
    command.upgrade(config_for(b), "head")
    command.upgrade(config_for(a), "head")

    assert [(r["revisions"], r["version_table"]) for r in _log(a)] == [
        ("a1", "a_version"), ("a2", "a_version")]
    assert [(r["revisions"], r["version_table"]) for r in _log(b)] == [("b1", "b_version")]
    assert [r["revisions"] for r in _log(a, limit=1)] == ["a2"]  # -n counts this project's rows
    text = _out(b, command.log).splitlines()
    assert text[0].split()[:4] == ["id", "started", "(UTC)", "direction"]
    assert [line.split()[3:5] for line in text[1:]] == [["upgrade", "b1"]]

    every = _log(a, all_projects=True)
    assert [(r["revisions"], r["version_table"]) for r in every] == [
        ("a1", "a_version"), ("b1", "b_version"), ("a2", "a_version")]
    text = _out(a, command.log, all_projects=True).splitlines()
    assert text[0].split()[:5] == ["id", "version", "table", "started", "(UTC)"]
    assert [line.split()[1:2] + line.split()[4:6] for line in text[1:]] == [
        ["a_version", "upgrade", "a1"], ["b_version", "upgrade", "b1"],
        ["a_version", "upgrade", "a2"]]


def test_schema_qualified_version_tables_share_one_history(tmp_path, postgres_url):
    """``version_table_schema`` per tenant, one history table in ``public``: the rows name
    ``tenant1.mig_version`` and ``tenant2.mig_version``."""
    drop_all_tables(postgres_url)
    ini = make_project(tmp_path, postgres_url, [{"rev": "a1", **create_table("t")}])
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for tenant in ("tenant1", "tenant2"):
            conn.execute(sa.text(f"CREATE SCHEMA {tenant}"))
    try:
        def config(tenant: str, **kw: Any) -> Any:
            return config_for(ini, configure={"version_table_schema": tenant,
                                              "history_table_schema": "public"}, **kw)

        command.stamp(config("tenant1"), "a1")
        command.stamp(config("tenant2"), "a1")
        command.stamp(config("tenant1"), "base")
        for tenant, revisions in (("tenant1", ["a1", "base"]), ("tenant2", ["a1"])):
            cfg = config(tenant)
            cfg.stdout = buf = io.StringIO()
            command.log(cfg, as_json=True)
            rows = json.loads(buf.getvalue())
            assert [(r["revisions"], r["version_table"]) for r in rows] == [
                (rev, f"{tenant}.mig_version") for rev in revisions]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA tenant1 CASCADE"))
            conn.execute(sa.text("DROP SCHEMA tenant2 CASCADE"))
        engine.dispose()


# --- a table made by an older mig ------------------------------------------------------------

#: the columns a table an older mig made gets, last
ADDED = ["version_table", "statements", "statements_sha256", "resumed_from",
         "skipped_statement"]

OLD_ROW = {
    "revisions": "a1", "direction": "upgrade", "from_heads": "", "to_heads": "a1",
    "started_at": dt.datetime(2026, 1, 2, 3, 4, 5), "finished_at": dt.datetime(2026, 1, 2, 3, 4, 6),
    "duration_ms": 1000.0, "success": True, "error": None, "checksum": "c" * 64,
    "mig_version": "0.9", "username": "old", "hostname": "box",
}


def _old_history_table(
    url: str, *rows: dict[str, Any], view: bool = False, scoped: bool = False
) -> None:
    """``mig_history`` as mig made it before ``version_table`` existed, with ``rows``
    (``view``: the same columns as a view over such a table, which ALTER TABLE refuses;
    ``scoped``: with ``version_table``, as mig made it before the statement counts)."""
    meta = sa.MetaData()
    table = sa.Table(
        "mig_history_data" if view else "mig_history", meta,
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("revisions", sa.String(1000), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("from_heads", sa.String(1000), nullable=False),
        sa.Column("to_heads", sa.String(1000), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("checksum", sa.String(128)),
        sa.Column("mig_version", sa.String(32), nullable=False),
        sa.Column("username", sa.String(128)),
        sa.Column("hostname", sa.String(255)),
        *([sa.Column("version_table", sa.String(255))] if scoped else []),
    )
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        meta.create_all(conn)
        if rows:
            conn.execute(table.insert(), list(rows))
        if view:
            conn.execute(sa.text("CREATE VIEW mig_history AS SELECT * FROM mig_history_data"))
    engine.dispose()


def test_old_table_is_read_as_it_is_then_upgraded_by_the_first_writing_run(url, tmp_path):
    a, b = _projects(tmp_path, url)
    _old_history_table(url, OLD_ROW, {**OLD_ROW, "revisions": "b1"})
    # reading commands write nothing: the column is still missing after them
    assert [(r["revisions"], r["version_table"]) for r in _log(a)] == [
        ("a1", None), ("b1", None)]
    assert _out(a, command.log).splitlines()[1].split()[1:6] == [
        "2026-01-02", "03:04:05", "upgrade", "a1", "base"]
    assert len(_log(a, all_projects=True)) == 2
    assert _out(a, command.current) == ""
    assert "version_table" not in _columns(url)

    command.stamp(config_for(a), "a1")  # the first writing run adds the columns
    assert _columns(url)[-5:] == ADDED
    command.upgrade(config_for(a), "head")
    command.upgrade(config_for(b), "head")
    # old rows survive (NULL: whose they are is not known, so every project shows them)
    assert [(r["id"], r["revisions"], r["direction"], r["version_table"]) for r in _log(a)] == [
        (1, "a1", "upgrade", None), (2, "b1", "upgrade", None),
        (3, "a1", "stamp", "a_version"), (4, "a2", "upgrade", "a_version")]
    assert [(r["revisions"], r["version_table"]) for r in _log(b)] == [
        ("a1", None), ("b1", None), ("b1", "b_version")]
    assert _log(a)[0]["username"] == "old" and _log(a)[0]["checksum"] == "c" * 64
    text = _out(a, command.log, all_projects=True).splitlines()
    assert [line.split()[1] for line in text[1:]] == [
        "?", "?", "a_version", "a_version", "b_version"]


def test_a_table_with_version_table_gets_the_statement_columns(url, tmp_path):
    """A table mig made before it recorded statement counts: read as it is, then given the
    columns added since by the first writing run; its rows have them NULL."""
    ini = make_project(tmp_path, url, [{"rev": "a1", **create_table("t")}])
    _old_history_table(url, {**OLD_ROW, "version_table": "mig_version"}, scoped=True)
    (old,) = _log(ini)
    assert (old["version_table"], old["statements"], old["resumed_from"]) == (
        "mig_version", None, None)
    assert _columns(url)[-1] == "version_table"
    command.stamp(config_for(ini), "a1")
    assert _columns(url)[-5:] == ADDED
    assert [(r["revisions"], r["direction"], r["statements"]) for r in _log(ini)] == [
        ("a1", "upgrade", None), ("a1", "stamp", None)]


def test_ensure_version_upgrades_an_old_table(tmp_path, sqlite_url):
    ini = make_project(tmp_path, sqlite_url, [{"rev": "a1", **create_table("t")}])
    _old_history_table(sqlite_url, OLD_ROW)
    command.ensure_version(config_for(ini))
    assert _columns(sqlite_url)[-5:] == ADDED
    assert [(r["revisions"], r["version_table"]) for r in _log(ini)] == [("a1", None)]


def test_a_refused_alter_stops_the_run_before_anything_is_written(url, tmp_path):
    """The column cannot be added (here ``mig_history`` is a view; in life, no ALTER
    privilege): one clear error, and neither the version table nor the revision's table."""
    ini = make_project(tmp_path, url, [{"rev": "a1", **create_table("t")}])
    _old_history_table(url, OLD_ROW, view=True)
    with pytest.raises(MigrationFailed) as info:
        command.upgrade(config_for(ini), "head")
    message = str(info.value)
    assert info.value.exit_code == 1
    assert message.startswith("could not add column version_table to the history table "
                              "mig_history (made by an older mig): ")
    assert "\n" not in message
    assert message.endswith("; nothing was run. Add them as the table's owner (ALTER TABLE "
                            "mig_history ADD COLUMN version_table VARCHAR(255); ALTER TABLE "
                            "mig_history ADD COLUMN statements INTEGER; ALTER TABLE mig_history "
                            "ADD COLUMN statements_sha256 VARCHAR(64); ALTER TABLE mig_history "
                            "ADD COLUMN resumed_from INTEGER; ALTER TABLE mig_history ADD "
                            "COLUMN skipped_statement INTEGER) or turn the history off "
                            "(history_table = false), and run the command again")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) == {"mig_history_data"}
    engine.dispose()


def test_a_column_added_meanwhile_by_another_run_is_no_failure(url, tmp_path, monkeypatch):
    """Two projects' first runs after the upgrade of mig: the other one adds the column
    between this run's look and its ALTER TABLE; the ALTER's failure (in a savepoint where a
    failed statement would abort the transaction) is then no error."""
    ini = make_project(tmp_path, url, [{"rev": "a1", **create_table("t")}])
    _old_history_table(url, OLD_ROW)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE mig_history ADD COLUMN version_table VARCHAR(255)"))
    engine.dispose()
    real = HistoryWriter.existing_columns
    looks: list[bool] = []

    def stale_first_look(self: HistoryWriter) -> set[str]:
        looks.append(True)
        return real(self) - ({"version_table"} if len(looks) == 1 else set())

    monkeypatch.setattr(HistoryWriter, "existing_columns", stale_first_look)
    command.stamp(config_for(ini), "a1")  # a stamp: no interrupted-run check looks first
    assert len(looks) == 2
    assert [(r["revisions"], r["version_table"]) for r in _log(ini)] == [
        ("a1", None), ("a1", "mig_version")]


# --- the interrupted-run check -----------------------------------------------------------------


def _started_row(url: str, revision: str, version_table: str | None) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO mig_history (revisions, direction, from_heads, to_heads, started_at, "
            "finished_at, duration_ms, success, error, mig_version, version_table) VALUES "
            "(:rev, 'upgrade', 'a1', 'a1', :now, :now, 0, :no, :error, '1', :vt)"
        ), {"rev": revision, "now": dt.datetime(2026, 1, 1), "no": False, "error": INTERRUPTED,
            "vt": version_table})
    engine.dispose()


def test_interrupted_check_goes_by_the_version_table(tmp_path, sqlite_url):
    """Another project's started row naming a revision id this project also has does not stop
    this one; its own does; a row from before the column is this project's when it names one
    of its revisions."""
    ini = make_project(tmp_path, sqlite_url, [
        {"rev": "a1", **create_table("t1")}, {"rev": "a2", "down": "a1", **create_table("t2")},
    ])
    command.upgrade(config_for(ini), "a1")
    _started_row(sqlite_url, "a2", "other_version")
    command.upgrade(config_for(ini), "head")  # not refused
    command.downgrade(config_for(ini), "a1")

    _started_row(sqlite_url, "a2", "mig_version")
    _started_row(sqlite_url, "a2", "other_version")  # after it: still this project's last row
    with pytest.raises(MigrationFailed, match=r"^revision a2 \(versions/a2_a2.py\) upgrade was "
                                              r"interrupted: .* \(history row 5\)"):
        command.upgrade(config_for(ini), "head")
    command.stamp(config_for(ini), "a1")  # clears it

    _started_row(sqlite_url, "zz9", None)  # an old row of another project: skipped
    command.upgrade(config_for(ini), "head")
    command.downgrade(config_for(ini), "a1")
    _started_row(sqlite_url, "a2", None)  # an old row naming this project's revision
    with pytest.raises(MigrationFailed, match=r"history row 11\)"):
        command.upgrade(config_for(ini), "head")


def test_history_table_schema_is_read_from_the_config_file(tmp_path, postgres_url):
    """``history_table_schema`` in the ini file puts the history table in that schema, as the
    ``configure()`` option does; the version table stays where it was."""
    drop_all_tables(postgres_url)
    ini = make_project(tmp_path, postgres_url, [{"rev": "a1", **create_table("t")}],
                       ini_extra="history_table_schema = mig_hist_cfg\n")
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA mig_hist_cfg"))
    try:
        command.upgrade(config_for(ini), "head")
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            assert inspector.get_table_names(schema="mig_hist_cfg") == ["mig_history"]
            assert "mig_history" not in inspector.get_table_names()
            assert "mig_version" in inspector.get_table_names()
        assert [r["revisions"] for r in _log(ini)] == ["a1"]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA mig_hist_cfg CASCADE"))
        engine.dispose()
