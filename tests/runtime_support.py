"""Helpers for the runtime tests: a migration environment on disk with an env.py and revisions.

``make_project`` writes mig.ini, env.py and the revision files; ``config_for`` gives a Config
whose ``attributes["configure"]`` reaches ``context.configure()`` in the env.py used here.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

ENV_PY = '''
import sqlalchemy as sa

from mig_core import context

config = context.config


def configure_opts():
    opts = dict(config.attributes.get("configure", {}))
    for key, value in context.get_x_argument(as_dictionary=True).items():
        opts[key] = {"true": True, "false": False}.get(value, value)
    return opts


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **configure_opts(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run(connection):
    context.configure(connection=connection, **configure_opts())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        run(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''


def revision_source(
    rev: str,
    down: str | tuple[str, ...] | None,
    upgrade: str = "pass",
    downgrade: str = "pass",
    depends_on: str | tuple[str, ...] | None = None,
    branch_labels: str | tuple[str, ...] | None = None,
    message: str = "",
) -> str:
    """A revision file; ``upgrade`` / ``downgrade`` are function bodies."""
    body_up = textwrap.indent(textwrap.dedent(upgrade).strip() or "pass", "    ")
    body_down = textwrap.indent(textwrap.dedent(downgrade).strip() or "pass", "    ")
    return (
        f'"""{message or rev}\n\nRevision ID: {rev}\nRevises: {down}\n"""\n'
        "import sqlalchemy as sa\n\n"
        "from mig_core import op\n\n"
        f"revision = {rev!r}\n"
        f"down_revision = {down!r}\n"
        f"branch_labels = {branch_labels!r}\n"
        f"depends_on = {depends_on!r}\n\n\n"
        f"def upgrade(**kw):\n{body_up}\n\n\n"
        f"def downgrade(**kw):\n{body_down}\n"
    )


def make_project(
    root: Path,
    url: str,
    revisions: list[dict[str, Any]],
    env_py: str = ENV_PY,
    ini_extra: str = "",
) -> Path:
    """Write ``root/mig.ini``, ``root/migrations/env.py`` and the revision files."""
    scripts = root / "migrations"
    versions = scripts / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (scripts / "env.py").write_text(env_py)
    for spec in revisions:
        spec = dict(spec)
        rev = spec.pop("rev")
        down = spec.pop("down", None)
        (versions / f"{rev}_{rev}.py").write_text(revision_source(rev, down, **spec))
    (root / "mig.ini").write_text(
        "[mig]\n"
        "script_location = %(here)s/migrations\n"
        f"sqlalchemy.url = {url}\n" + ini_extra
    )
    return root / "mig.ini"


def config_for(ini: Path, **attributes: Any) -> Any:
    from mig_core.config import Config

    config = Config(str(ini))
    config.attributes.update(attributes)
    return config


def create_table(name: str) -> dict[str, str]:
    """Upgrade/downgrade bodies creating and dropping table ``name``."""
    return {
        "upgrade": f"op.create_table({name!r}, sa.Column('id', sa.Integer, primary_key=True))",
        "downgrade": f"op.drop_table({name!r})",
    }


def client(name: str) -> str:
    """The path of a database's command-line client (psql, mysql, sqlite3); a test needing a
    missing one skips with the reason, or fails with ``CI=true`` (as a missing server does)."""
    import os
    import shutil

    import pytest

    path = shutil.which(name)
    if path is None:
        reason = f"the {name} client is not installed"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason + " (CI=true: a missing client is a failure)")
        pytest.skip(reason)
    return path


def drop_all_tables(url: str) -> None:
    """Drop every view and table of the database at ``url`` (a test's clean start)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for view in sa.inspect(conn).get_view_names():
            conn.execute(sa.text(f"DROP VIEW {view}"))
        meta = sa.MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)
    engine.dispose()


def shared_fixtures() -> Any:
    """``tests/conftest.py`` as a module, for plugin tests that live outside ``tests/``
    (import its fixtures into the test module: ``postgres_url = shared_fixtures().postgres_url``).
    """
    import importlib.util
    import sys

    name = "mig_tests_shared_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / "conftest.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_INITIALISED: dict[str, Path] = {}


def init_project(root: Path, template: str = "generic") -> None:
    """Into ``root``, what ``mig init -t TEMPLATE migrations`` writes there (mig.ini and the
    migrations folder). The command runs as a subprocess once per template and test process;
    later calls copy its output (nothing in it depends on the folder: paths are ``%(here)s``)."""
    import atexit
    import shutil
    import subprocess
    import sys
    import tempfile

    if template not in _INITIALISED:
        made = Path(tempfile.mkdtemp(prefix=f"mig-init-{template}-"))
        atexit.register(shutil.rmtree, made, ignore_errors=True)
        result = subprocess.run(
            [sys.executable, "-m", "mig_core", "init", "-t", template, "migrations"],
            cwd=made, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, f"mig init -t {template}: {result.stderr}"
        _INITIALISED[template] = made
    shutil.copytree(_INITIALISED[template], root, dirs_exist_ok=True)
