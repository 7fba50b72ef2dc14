"""The init templates' env.py files run end to end through the ``mig`` command line:
generic, pyproject and async (aiosqlite) on SQLite, multidb on two SQLite databases and on
SQLite + PostgreSQL."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def mig(cwd: Path, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "mig_core", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"mig {' '.join(args)}: {result.stderr}"
    return result.stdout


def new_revision(cwd: Path, message: str, bodies: dict[str, str]) -> str:
    """``mig revision`` then fill in the function bodies; returns the revision id."""
    out = mig(cwd, "revision", "-m", message)
    path = Path(re.search(r"Generating (\S+\.py)", out).group(1))  # type: ignore[union-attr]
    source = path.read_text()
    for fn, body in bodies.items():
        pattern = rf"(def {fn}\([^)]*\) -> None:\n(?:    \"\"\"[^\n]*\"\"\"\n)?)    pass\n"
        source, count = re.subn(pattern, rf"\g<1>    {body}\n", source)
        assert count == 1, (fn, source)
    path.write_text(source)
    return re.search(r"^revision: str = '(\w+)'", source, re.M).group(1)  # type: ignore[union-attr]


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def versions(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT version_num FROM mig_version")]


@pytest.mark.parametrize("template", ["generic", "pyproject", "async"])
def test_single_database_template(tmp_path, template):
    mig(tmp_path, "init", "-t", template, "migrations")
    create = "op.create_table('{0}', sa.Column('id', sa.Integer, primary_key=True))"
    first = new_revision(tmp_path, "first", {"upgrade": create.format("one"),
                                             "downgrade": "op.drop_table('one')"})
    second = new_revision(tmp_path, "second", {"upgrade": create.format("two"),
                                               "downgrade": "op.drop_table('two')"})
    db = tmp_path / "app.db"
    mig(tmp_path, "upgrade", "head")
    assert tables(db) >= {"one", "two", "mig_version", "mig_history"}
    assert versions(db) == [second]
    assert mig(tmp_path, "current") == f"{second} (head)\n"
    mig(tmp_path, "downgrade", "-1")
    assert versions(db) == [first] and "two" not in tables(db)
    sql = mig(tmp_path, "upgrade", f"{first}:head", "--sql")
    assert sql.startswith("BEGIN;\n\n")
    assert f"-- Running upgrade {first} -> {second}" in sql
    assert "CREATE TABLE two" in sql
    assert f"UPDATE mig_version SET version_num='{second}' WHERE version_num = '{first}';" in sql
    mig(tmp_path, "downgrade", "base")
    assert versions(db) == [] and not ({"one", "two"} & tables(db))
    log = mig(tmp_path, "log").splitlines()
    assert log[0].split() == ["id", "started", "(UTC)", "direction", "revisions", "heads", "ms",
                              "by", "result"]
    assert [line.split()[3:5] for line in log[1:]] == [
        ["upgrade", first], ["upgrade", second], ["downgrade", second], ["downgrade", first]
    ]


def test_multidb_template_two_sqlite_databases(tmp_path):
    mig(tmp_path, "init", "-t", "multidb", "migrations")
    rev = new_revision(tmp_path, "both", {
        "upgrade_engine1": "op.create_table('in_one', sa.Column('id', sa.Integer, "
                           "primary_key=True))",
        "downgrade_engine1": "op.drop_table('in_one')",
        "upgrade_engine2": "op.create_table('in_two', sa.Column('id', sa.Integer, "
                           "primary_key=True))",
        "downgrade_engine2": "op.drop_table('in_two')",
    })
    mig(tmp_path, "upgrade", "head")
    one, two = tmp_path / "engine1.db", tmp_path / "engine2.db"
    assert "in_one" in tables(one) and "in_two" not in tables(one)
    assert "in_two" in tables(two) and "in_one" not in tables(two)
    assert versions(one) == [rev] and versions(two) == [rev]
    assert mig(tmp_path, "current") == (
        f"sqlite:///{one}:\n  {rev} (head)\nsqlite:///{two}:\n  {rev} (head)\n"
    )
    with sqlite3.connect(two) as conn:  # the second database falls behind
        conn.execute("DELETE FROM mig_version")
    behind = subprocess.run([sys.executable, "-m", "mig_core", "current", "--check-heads"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert behind.returncode == 1
    assert behind.stdout.endswith(f"sqlite:///{two}:\n  (base)\n")
    assert behind.stderr == (f"mig: error: Database sqlite:///{two} is not on all head revisions: "
                             f"it is at base, the graph's heads are {rev}\n")
    mig(tmp_path, "stamp", "head")
    mig(tmp_path, "downgrade", "base")
    assert versions(one) == [] and versions(two) == []
    assert "in_one" not in tables(one) and "in_two" not in tables(two)
    out = mig(tmp_path, "upgrade", "head", "--sql")
    assert "Writing output to engine1.sql" in out
    assert "CREATE TABLE in_two" in (tmp_path / "engine2.sql").read_text()
    assert "CREATE TABLE in_one" not in (tmp_path / "engine2.sql").read_text()


def test_multidb_template_sqlite_and_postgresql_with_non_ascii_data(tmp_path, postgres_url):
    """The two databases of different backends; ``--sql`` files are UTF-8 even where the
    locale's encoding is not (Windows, ``LC_ALL=C``), as their non-ASCII values need."""
    import os

    import sqlalchemy as sa

    mig(tmp_path, "init", "-t", "multidb", "migrations")
    ini = tmp_path / "mig.ini"
    ini.write_text(ini.read_text().replace("sqlite:///%(here)s/engine2.db", postgres_url))
    rev = new_revision(tmp_path, "both", {
        "upgrade_engine1": "op.create_table('in_one', sa.Column('n', sa.String(20)))",
        "downgrade_engine1": "op.drop_table('in_one')",
        "upgrade_engine2": "op.create_table('in_two', sa.Column('n', sa.String(20))); "
                           "op.execute(\"INSERT INTO in_two VALUES ('Zoë ☃')\")",
        "downgrade_engine2": "op.drop_table('in_two')",
    })
    mig(tmp_path, "upgrade", "head")
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT n FROM in_two").scalar() == "Zoë ☃"
            assert conn.exec_driver_sql("SELECT version_num FROM mig_version").scalar() == rev
    finally:
        engine.dispose()
    assert versions(tmp_path / "engine1.db") == [rev]
    mig(tmp_path, "downgrade", "base")
    ascii_locale = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}
    result = subprocess.run([sys.executable, "-m", "mig_core", "upgrade", "head", "--sql"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env=ascii_locale)
    assert result.returncode == 0, result.stderr
    script = (tmp_path / "engine2.sql").read_text(encoding="utf-8")
    assert "INSERT INTO in_two VALUES ('Zoë ☃');" in script
    assert "CREATE TABLE in_one" in (tmp_path / "engine1.sql").read_text(encoding="utf-8")
