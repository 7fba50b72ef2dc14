"""What Flask-Migrate does with Alembic's API, done with mig's (Flask-Migrate itself is not
imported here): its ``Config`` subclass points ``get_template_directory()`` at its own templates,
whose config file is ``alembic.ini.mako``, and sets ``config_file_name`` to
``<directory>/alembic.ini`` before ``command.init``; later commands get a ``cmd_opts`` namespace
with ``x`` and ``autogenerate`` set by hand. bench/compat/README.md runs Flask-Migrate itself."""

from __future__ import annotations

import argparse
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from mig_core import command
from mig_core.config import Config

ENV_PY = '''\
import sqlalchemy as sa
from mig_core import context

config = context.config
engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection, version_table="alembic_version")
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
'''


class AppConfig(Config):
    """A library's Config: its own template folder."""

    def __init__(self, *args, template_directory: str, **kwargs) -> None:
        self.template_directory = template_directory
        super().__init__(*args, **kwargs)

    def get_template_directory(self) -> str:
        return self.template_directory


def test_init_renders_an_alembic_ini_mako_template_to_config_file_name(tmp_path: Path) -> None:
    templates = tmp_path / "templates" / "flask"
    templates.mkdir(parents=True)
    (templates / "README").write_text("Single-database configuration for Flask.\n")
    (templates / "alembic.ini.mako").write_text(
        "# A generic, single database configuration.\n\n[alembic]\n"
        "# script_location is set by the application: ${script_location}\n"
    )
    (templates / "env.py").write_text(ENV_PY)
    (templates / "script.py.mako").write_text(
        (Path(command.__file__).parent / "templates/generic/script.py.mako").read_text())
    directory = tmp_path / "migrations"
    config = AppConfig(template_directory=str(templates.parent))
    config.set_main_option("script_location", str(directory))
    config.config_file_name = str(directory / "alembic.ini")
    command.init(config, str(directory), template="flask")
    assert sorted(os.listdir(directory)) == ["README", "alembic.ini", "env.py", "script.py.mako",
                                             "versions"]
    assert (directory / "alembic.ini").read_text() == (
        "# A generic, single database configuration.\n\n[alembic]\n"
        f"# script_location is set by the application: {directory}\n"
    )

    # the application's later commands: the config file plus options set in code
    config = Config(str(directory / "alembic.ini"))
    config.set_main_option("script_location", str(directory))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{tmp_path / 'app.db'}")
    config.cmd_opts = argparse.Namespace(x=[], autogenerate=True)
    command.revision(config, "one", rev_id="a1")
    command.upgrade(config, "head")
    command.history(config, None, verbose=False, indicate_current=True)
    with closing(sqlite3.connect(tmp_path / "app.db")) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("a1",)]
