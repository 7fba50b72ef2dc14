"""Alembic's programmatic runtime API as tools (pytest-alembic, custom fixtures, report scripts)
call it: ``EnvironmentContext(fn=...)`` + ``script.run_env()``, ``MigrationInfo`` lookups,
``on_version_apply`` for stamps, MigrationContext's version-table attributes, ``Script``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, make_project


def _chain(tmp_path: Path) -> Any:
    """A SQLite project r1 -> r2 -> r3, each creating a table."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ini = make_project(tmp_path, url, [
        {"rev": "r1", **create_table("t1")},
        {"rev": "r2", "down": "r1", **create_table("t2")},
        {"rev": "r3", "down": "r2", **create_table("t3")},
    ])
    return config_for(ini), url


def _rows(url: str, table: str = "mig_version") -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(table):
                return []
            return sorted(r[0] for r in conn.exec_driver_sql(f"SELECT version_num FROM {table}"))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


# --- 1. EnvironmentContext(cfg, script, fn=...) + script.run_env() --------------------------------


def _run_like_pytest_alembic(config: Any, script: Any, fn: Any, destination: str, **kw: Any) -> None:
    from mig_core.runtime.environment import EnvironmentContext

    with EnvironmentContext(
        config, script, fn=fn, destination_rev=destination, starting_rev=None, as_sql=False,
        tag=None, dont_mutate=False, **kw,
    ):
        script.run_env()


def test_environment_context_fn_and_run_env_upgrade_then_downgrade(tmp_path):
    from mig_core.script.base import Script, ScriptDirectory

    config, url = _chain(tmp_path)
    script = ScriptDirectory.from_config(config)
    assert isinstance(script.get_revision("r1"), Script)

    _run_like_pytest_alembic(
        config, script, lambda rev, ctx: script._upgrade_revs("r2", rev), "r2"
    )
    assert _rows(url) == ["r2"]
    assert {"t1", "t2"} <= _tables(url) and "t3" not in _tables(url)

    _run_like_pytest_alembic(
        config, script, lambda rev, ctx: script._upgrade_revs("head", rev), "head"
    )
    assert _rows(url) == ["r3"]
    assert "t3" in _tables(url)

    _run_like_pytest_alembic(
        config, script, lambda rev, ctx: script._downgrade_revs("r1", rev), "r1"
    )
    assert _rows(url) == ["r1"]
    assert "t2" not in _tables(url)

    _run_like_pytest_alembic(
        config, script, lambda rev, ctx: script._downgrade_revs("base", rev), "base"
    )
    assert _rows(url) == []
    assert "t1" not in _tables(url)


def test_stamp_revs_and_as_revision_number(tmp_path):
    from mig_core.script.base import ScriptDirectory

    config, url = _chain(tmp_path)
    script = ScriptDirectory.from_config(config)
    _run_like_pytest_alembic(
        config, script, lambda rev, ctx: script._stamp_revs("r2", rev), "r2"
    )
    assert _rows(url) == ["r2"]
    assert "t1" not in _tables(url)  # a stamp runs nothing

    assert script.as_revision_number("head") == "r3"
    assert script.as_revision_number("heads") == ("r3",)
    assert script.as_revision_number("base") is None
    assert script.as_revision_number(None) is None
    assert script.as_revision_number("r2") == "r2"


def test_run_env_outside_an_environment_context_reports_env_py(tmp_path):
    from mig_core.errors import CommandError
    from mig_core.script import ScriptDirectory

    config, _ = _chain(tmp_path)
    with pytest.raises(CommandError, match="env.py failed"):
        ScriptDirectory.from_config(config).run_env()
