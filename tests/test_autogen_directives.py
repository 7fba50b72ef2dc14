"""process_revision_directives as Alembic runs it: a hook may replace the one MigrationScript
with several (each written as a revision file), and the hook given to ``command.revision``
runs before env.py's, both on the same list."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core import command
from mig_core.config import Config
from mig_core.operations import ops

MODEL = '''
import sqlalchemy as sa
target_metadata = sa.MetaData()
sa.Table("alpha", target_metadata, sa.Column("id", sa.Integer, primary_key=True))
sa.Table("beta", target_metadata, sa.Column("id", sa.Integer, primary_key=True))

def env_hook(context, revision, directives):
    for script in directives:
        script.message = (script.message or "") + " +env"
'''


def _project(tmp_path: Path, url: str, env_hook: bool = False) -> Config:
    cfg = Config(str(tmp_path / "mig.ini"), stdout=io.StringIO())
    command.init(cfg, str(tmp_path / "migrations"))
    cfg = Config(str(tmp_path / "mig.ini"), stdout=io.StringIO())
    cfg.set_main_option("sqlalchemy.url", url)
    env = tmp_path / "migrations" / "env.py"
    text = env.read_text().replace("target_metadata = None", MODEL)
    if env_hook:
        text = text.replace(
            "context.configure(connection=connection, target_metadata=target_metadata)",
            "context.configure(connection=connection, target_metadata=target_metadata, "
            "process_revision_directives=env_hook)",
        )
    env.write_text(text)
    return cfg


def _split_per_table(context: Any, revision: Any, directives: list[Any]) -> None:
    """One revision per created table, the second on top of the first."""
    (script,) = directives
    first, second = script.upgrade_ops.ops
    down_first, down_second = script.downgrade_ops.ops  # the reverse: beta's drop first
    directives[:] = [
        ops.MigrationScript("aaa1", ops.UpgradeOps([first]), ops.DowngradeOps([down_second]),
                            message="alpha", head=script.head),
        ops.MigrationScript("bbb2", ops.UpgradeOps([second]), ops.DowngradeOps([down_first]),
                            message="beta", head="aaa1"),
    ]


def test_a_hook_may_turn_the_revision_into_several(tmp_path: Path, sqlite_url: str) -> None:
    cfg = _project(tmp_path, sqlite_url)
    created = command.revision(cfg, "both", autogenerate=True,
                               process_revision_directives=_split_per_table)
    assert [s.revision for s in created] == ["aaa1", "bbb2"]
    files = {p.name.split("_")[0]: p.read_text()
             for p in (tmp_path / "migrations" / "versions").glob("*.py")}
    assert sorted(files) == ["aaa1", "bbb2"]
    assert "op.create_table('alpha'" in files["aaa1"] and "beta" not in files["aaa1"]
    assert "op.create_table('beta'" in files["bbb2"]
    assert "Revises: aaa1\n" in files["bbb2"]
    command.upgrade(cfg, "head")
    engine = sa.create_engine(sqlite_url)
    try:
        assert sorted(sa.inspect(engine).get_table_names()) == [
            "alpha", "beta", "mig_history", "mig_version"]
    finally:
        engine.dispose()


def test_the_command_hook_runs_before_env_pys(tmp_path: Path, sqlite_url: str) -> None:
    cfg = _project(tmp_path, sqlite_url, env_hook=True)
    created = command.revision(cfg, "both", autogenerate=True,
                               process_revision_directives=_split_per_table)
    # env.py's hook saw the two scripts the command's hook made
    assert [(s.revision, s.doc) for s in created] == [("aaa1", "alpha +env"),
                                                      ("bbb2", "beta +env")]


def test_upgrade_ops_of_one_or_several_environments() -> None:
    """As Alembic's MigrationScript: a list of one is its item (so the "skip empty revisions"
    recipe works), several raise ValueError naming upgrade_ops_list."""
    one = ops.MigrationScript("r", [ops.UpgradeOps([])], [ops.DowngradeOps([])])
    assert one.upgrade_ops.is_empty() and one.downgrade_ops.is_empty()
    two = ops.MigrationScript(
        "r", [ops.UpgradeOps([], upgrade_token="a_upgrades"),
              ops.UpgradeOps([], upgrade_token="b_upgrades")],
        [ops.DowngradeOps([]), ops.DowngradeOps([])],
    )
    assert [u.upgrade_token for u in two.upgrade_ops_list] == ["a_upgrades", "b_upgrades"]
    with pytest.raises(ValueError, match="please use the upgrade_ops_list attribute"):
        two.upgrade_ops  # noqa: B018


def test_env_hook_names_a_plain_revision_with_revision_environment(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Alembic runs env.py's process_revision_directives for a revision without
    --autogenerate too when revision_environment is on (the sequential rev-id recipe)."""
    cfg = _project(tmp_path, sqlite_url)
    env = tmp_path / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "target_metadata=target_metadata)",
        "target_metadata=target_metadata, process_revision_directives=number)",
    ).replace("def run_with(", '''def number(context, revision, directives):
    directives[0].rev_id = "%04d" % (len(context.script.get_revisions("heads")) and 2 or 1)
    directives[0].message = directives[0].message.upper()


def run_with(''', 1))
    cfg.set_main_option("revision_environment", "true")
    first = command.revision(cfg, "first step")
    assert (first.revision, first.doc) == ("0001", "FIRST STEP")
    second = command.revision(cfg, "second")
    assert (second.revision, second.down_revision) == ("0002", "0001")
    text = next((tmp_path / "migrations" / "versions").glob("0002_*.py")).read_text()
    # the template's own empty bodies
    assert '"""Upgrade schema."""\n    pass\n' in text and "auto generated" not in text
    # env.py with no such option: a plain revision as before
    cfg.set_main_option("revision_environment", "false")
    assert command.revision(cfg, "third", rev_id="c3").revision == "c3"
