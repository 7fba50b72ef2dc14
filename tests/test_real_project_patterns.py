"""What real projects' env.py files do, found by running their histories with mig beside
Alembic (bench/compat/real_projects.py, bench/compat/README.md). Each test is one such pattern."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, make_project, revision_source

from mig_core import command

VERSION_LOCATIONS_ENV_PY = '''
from pathlib import Path

import pytest
import sqlalchemy as sa

from mig_core import context

# the dialect's own folder of revisions, chosen at run time (Prefect keeps one per dialect)
context.script.version_locations = [Path(context.config.config_file_name).parent / "sqlite"]
engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
'''


def test_env_py_choosing_version_locations_at_run_time(tmp_path: Path, sqlite_url: str) -> None:
    """The folders set on ``context.script`` before ``run_migrations`` are the ones read
    (paths may be ``pathlib.Path``); mig read the configured folder and ran nothing."""
    ini = make_project(tmp_path, sqlite_url, [], env_py=VERSION_LOCATIONS_ENV_PY)
    dialect_folder = tmp_path / "sqlite"
    dialect_folder.mkdir()
    (dialect_folder / "a_a.py").write_text(revision_source("a", None, **create_table("t_a")))
    (dialect_folder / "b_b.py").write_text(revision_source("b", "a", **create_table("t_b")))

    command.upgrade(config_for(ini), "head")
    with sa.create_engine(sqlite_url).connect() as conn:
        assert {"t_a", "t_b"} <= set(sa.inspect(conn).get_table_names())
        assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "b"
    command.downgrade(config_for(ini), "base")
    with sa.create_engine(sqlite_url).connect() as conn:
        assert not {"t_a", "t_b"} & set(sa.inspect(conn).get_table_names())


def test_a_warning_during_a_revision_names_it_on_the_command_line(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real histories raise mig's warnings from deep in a long run (ZenML's MySQL renames,
    its column order): the CLI says which revision each one came from."""
    from mig_core.cli import main

    ini = make_project(tmp_path, sqlite_url, [
        {"rev": "a", **create_table("t_a")},
        {"rev": "b", "down": "a",
         "upgrade": "import warnings\n"
                    "from mig_core.errors import MigWarning\n"
                    "warnings.warn('something to know', MigWarning)"},
    ])
    assert main(["-c", str(ini), "upgrade", "head"]) == 0
    err = capsys.readouterr().err
    assert "mig: warning: revision b (versions/b_b.py): something to know" in err
