"""Helpers for the tests of the ``async`` init template on real servers (asyncpg, aiomysql): a
project made with ``mig init -t async``, the ``mig`` command in a subprocess."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from runtime_support import init_project, revision_source


def run_mig(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``mig ARGS`` in a subprocess in ``cwd``."""
    return subprocess.run([sys.executable, "-m", "mig_core", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env)


def mig(cwd: Path, *args: str) -> str:
    """``mig ARGS``, which must succeed; its stdout."""
    result = run_mig(cwd, *args)
    assert result.returncode == 0, f"mig {' '.join(args)}: {result.stderr}"
    return result.stdout


def async_project(root: Path, url: str, revisions: Sequence[dict[str, Any]] = (),
                  env_py: dict[str, str] | None = None) -> Path:
    """``mig init -t async`` in ``root`` (``init_project``: run once, then copied), its URL set
    to ``url``, the revisions written into ``migrations/versions``; ``env_py`` replaces text of
    the template's env.py (old -> new)."""
    init_project(root, "async")
    ini = root / "mig.ini"
    text, count = re.subn(r"^sqlalchemy\.url = .*$", f"sqlalchemy.url = {url}", ini.read_text(),
                          flags=re.M)
    assert count == 1
    ini.write_text(text)
    env = root / "migrations" / "env.py"
    source = env.read_text()
    for old, new in (env_py or {}).items():
        assert old in source, old
        source = source.replace(old, new)
    env.write_text(source)
    for spec in revisions:
        write_revision(root, **spec)
    return ini


def write_revision(root: Path, rev: str, down: Any = None, **kw: Any) -> Path:
    """A revision file ``<rev>_<rev>.py`` (see ``runtime_support.revision_source``)."""
    path = root / "migrations" / "versions" / f"{rev}_{rev}.py"
    path.write_text(revision_source(rev, down, **kw))
    return path


def config(ini: Path) -> Any:
    """A Config of ``ini``, for ``command.*`` in process."""
    from mig_core.config import Config

    return Config(str(ini))


def heads(engine: sa.engine.Engine) -> list[str]:
    """The version table's rows, sorted."""
    with engine.connect() as conn:
        return sorted(conn.exec_driver_sql("SELECT version_num FROM mig_version").scalars())


def table_names(engine: sa.engine.Engine) -> set[str]:
    """The names of the database's tables (default schema)."""
    with engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def create(name: str) -> dict[str, str]:
    """Revision bodies creating and dropping table ``name``."""
    return {"upgrade": f"op.create_table({name!r}, sa.Column('id', sa.Integer, primary_key=True))",
            "downgrade": f"op.drop_table({name!r})"}
