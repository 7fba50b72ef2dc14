"""docs/configuration.md says what mig does: its error example and quoted message are mig's
(read from the page, compared as tests/docs_support.py says), and its "From Python" block runs."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from tests.docs_support import ROOT, Matcher, documented, fenced_blocks, run_step, shell_env, steps
from tests.runtime_support import init_project, revision_source

CONFIGURATION_MD = ROOT / "docs" / "configuration.md"


def project(root: Path, key: str, value: str | None) -> Path:
    """``mig init migrations`` in ``root``, with ``key`` of mig.ini's [mig] set or removed."""
    init_project(root)
    ini = root / "mig.ini"
    lines = [line for line in ini.read_text().splitlines() if not line.startswith(f"{key} =")]
    if value is not None:
        lines.insert(lines.index("[mig]") + 1, f"{key} = {value}")
    ini.write_text("\n".join(lines) + "\n")
    return root


def test_error_example(tmp_path: Path) -> None:
    """The example's mig.ini (in /srv/app) has no script_location."""
    (step,) = steps(CONFIGURATION_MD.read_text(encoding="utf-8"))
    matcher = Matcher("/srv/app", str(tmp_path), "nobody@nowhere", "")
    run_step(step, project(tmp_path, "script_location", None), shell_env("me"), matcher)


def test_timezone_is_checked_when_a_file_is_written(tmp_path: Path, monkeypatch, run) -> None:
    quote = "mig: error: config key 'timezone': can't locate timezone 'Nowhere/City'"
    regex, exit_code = documented(CONFIGURATION_MD, quote)
    monkeypatch.chdir(project(tmp_path, "timezone", "Nowhere/City"))
    assert run("heads")[0] == 0  # read, not used
    code, _, err = run("revision", "-m", "one")
    assert (code, re.fullmatch(regex + "\n", err) is not None) == (exit_code, True), err
    assert list((tmp_path / "migrations" / "versions").glob("*.py")) == []


def test_from_python_block_runs(tmp_path: Path, monkeypatch) -> None:
    """The block, with ``connection`` an open SQLite connection, mig.ini from `mig init` and one
    revision, which the block's upgrade applies on that connection."""
    block = next(body for lang, body in fenced_blocks(CONFIGURATION_MD.read_text(encoding="utf-8"))
                 if lang == "python")
    monkeypatch.chdir(project(tmp_path, "sqlalchemy.url", None))
    (tmp_path / "migrations" / "versions" / "a1_one.py").write_text(
        revision_source("a1", None, upgrade="op.create_table('t', sa.Column('id', sa.Integer))"))
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.db'}", poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        exec(compile(block, str(CONFIGURATION_MD), "exec"), {"connection": connection})
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).all() == [("a1",)]
        assert "t" in sa.inspect(conn).get_table_names()
    engine.dispose()
