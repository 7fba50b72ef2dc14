"""A whole migration history as a SQL Server script, through the ``mig`` command line.

``mig init`` makes the environment, four revisions (``history/``) use most operations, and
``mig upgrade --sql base:head`` / ``mig downgrade --sql head:base`` against ``mssql://`` must
write exactly the golden scripts (``golden/``), every batch of them T-SQL.
Set ``MIG_UPDATE_GOLDEN=1`` to rewrite the golden files after a deliberate change, then review
the diff.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from mssql_tsql import assert_script_is_tsql, batches

from mig_core.cli import main

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``mig init`` in a temporary folder, pointed at ``mssql://``, with the four revisions."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "migrations"]) == 0
    ini = tmp_path / "mig.ini"
    ini.write_text(
        re.sub(r"^sqlalchemy\.url = .*$", "sqlalchemy.url = mssql://", ini.read_text(),
               flags=re.M)
    )
    for source in sorted((HERE / "history").glob("*.py")):
        shutil.copy(source, tmp_path / "migrations" / "versions" / source.name)
    return tmp_path


def _mig(capsys: Any, *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("MIG_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text()


def test_upgrade_script_base_to_head(project: Path, capsys: Any) -> None:
    sql = _mig(capsys, "upgrade", "--sql", "base:head")
    _check_golden("history_upgrade.sql", sql)
    found = assert_script_is_tsql(sql)
    assert found[0] == "BEGIN TRANSACTION;"
    assert found[-1] == "COMMIT;"
    assert sql.endswith("COMMIT;\nGO\n\n")
    for rev in ("1a", "2b", "3c", "4d"):
        assert f"INSERT INTO mig_version (version_num) VALUES ('{rev}')" in sql or (
            f"SET version_num='{rev}'" in sql
        )


def test_downgrade_script_head_to_base(project: Path, capsys: Any) -> None:
    sql = _mig(capsys, "downgrade", "--sql", "head:base")
    _check_golden("history_downgrade.sql", sql)
    found = assert_script_is_tsql(sql)
    assert found[0] == "BEGIN TRANSACTION;" and found[-1] == "COMMIT;"
    assert sql.endswith("DELETE FROM mig_version WHERE version_num = '1a';\nGO\n\nCOMMIT;\nGO\n\n")


def test_ranges_render_only_their_steps(project: Path, capsys: Any) -> None:
    sql = _mig(capsys, "upgrade", "--sql", "2b:3c")
    assert "-- Running upgrade 2b -> 3c" in sql and "Running upgrade 1a" not in sql
    assert "CREATE TABLE mig_version" not in sql
    assert_script_is_tsql(sql)


def test_batch_separator_from_env_py(project: Path, capsys: Any) -> None:
    """``context.configure(mssql_batch_separator=...)`` in env.py: a new word, or none."""
    env_py = project / "migrations" / "env.py"
    original = env_py.read_text()
    env_py.write_text(
        original.replace("literal_binds=True,", "literal_binds=True, mssql_batch_separator='GO2',")
    )
    sql = _mig(capsys, "upgrade", "--sql", "base:1a")
    assert re.findall(r"^GO\S*$", sql, flags=re.M) and not re.findall(r"^GO$", sql, flags=re.M)
    assert_script_is_tsql(sql, separator="GO2")

    env_py.write_text(
        original.replace("literal_binds=True,", "literal_binds=True, mssql_batch_separator=None,")
    )
    sql = _mig(capsys, "upgrade", "--sql", "base:1a")
    assert not re.findall(r"^GO", sql, flags=re.M)
    assert sql.startswith("BEGIN TRANSACTION;\n\n")
    assert sql.endswith("COMMIT;\n\n")
    statements = [b for b in batches(sql, "GO")]
    assert len(statements) == 1  # nothing separates the batches any more


def test_non_transactional_script_has_no_begin(project: Path, capsys: Any) -> None:
    env_py = project / "migrations" / "env.py"
    env_py.write_text(
        env_py.read_text().replace("literal_binds=True,",
                                   "literal_binds=True, transactional_ddl=False,")
    )
    sql = _mig(capsys, "upgrade", "--sql", "base:1a")
    assert "BEGIN TRANSACTION" not in sql and "COMMIT" not in sql
    assert sql.startswith("CREATE TABLE mig_version")
    assert_script_is_tsql(sql)
