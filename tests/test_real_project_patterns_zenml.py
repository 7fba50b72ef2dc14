"""What ZenML's migration history does (about 286 revisions for MySQL and SQLite, batch mode
everywhere), found by running it with mig beside Alembic (bench/compat/real_projects.py,
bench/compat/README.md). Each test is one such pattern, written out here; nothing of ZenML is used."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from runtime_support import config_for, make_project

from mig_core import command
from mig_core.errors import MigWarning
from mig_core.operations import Operations
from mig_core.runtime.migration import MigrationContext

# ZenML's env.py hands the `context` module proxy to a wrapper class of its own, which builds
# a Config and a ScriptDirectory from the installed migrations folder, configures the context
# with its store's engine (never sqlalchemy.url) and runs the migrations through it.
WRAPPER_ENV_PY = '''
from pathlib import Path
from typing import cast

import sqlalchemy as sa

from mig_core import context
from mig_core.config import Config
from mig_core.runtime.environment import EnvironmentContext
from mig_core.runtime.migration import MigrationContext  # noqa: F401 - imported by the wrapper
from mig_core.script import ScriptDirectory


class Wrapper:
    def __init__(self, engine, context=None):
        self.engine = engine
        self.config = Config()
        self.config.set_main_option("script_location", str(Path(__file__).parent))
        self.script_directory = ScriptDirectory.from_config(self.config)
        self.environment_context = context or EnvironmentContext(self.config, self.script_directory)

    def run_migrations(self, fn=None):
        extra = {} if fn is None else {"fn": fn}
        with self.engine.connect() as connection:
            self.environment_context.configure(
                connection=connection, render_as_batch=True, compare_type=True, **extra
            )
            with self.environment_context.begin_transaction():
                self.environment_context.run_migrations()


store_url = context.config.attributes["store_url"]  # the application's own setting
Wrapper(sa.create_engine(store_url), context=cast(EnvironmentContext, context)).run_migrations()
'''


def test_env_py_running_the_context_through_an_application_wrapper(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The wrapper's own ``Config()`` / ``ScriptDirectory.from_config`` beside the command's,
    and the connection from the application's settings, not from ``sqlalchemy.url``."""
    ini = make_project(
        tmp_path,
        "sqlite:///unused.db",
        [{"rev": "a", "upgrade": "op.create_table('stack', sa.Column('id', sa.CHAR(32), "
          "primary_key=True))", "downgrade": "op.drop_table('stack')"}],
        env_py=WRAPPER_ENV_PY,
    )
    command.upgrade(config_for(ini, store_url=sqlite_url), "head")
    with sa.create_engine(sqlite_url).connect() as conn:
        assert "stack" in sa.inspect(conn).get_table_names()
    command.downgrade(config_for(ini, store_url=sqlite_url), "base")
    with sa.create_engine(sqlite_url).connect() as conn:
        assert "stack" not in sa.inspect(conn).get_table_names()
    assert not (tmp_path / "unused.db").exists()


def _columns(conn: sa.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({table})")]


def test_batch_adding_a_column_then_dropping_the_last_one_appends_and_warns() -> None:
    """ZenML's ``pipeline_build``: ``add_column('stack_checksum')`` then
    ``drop_column('template_deployment_id')``, the table's last column, in one batch. mig
    appends the new column, as documented for both tools; Alembic's recreate puts it next to
    the first column. mig keeps its order and warns that databases Alembic migrated differ."""
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE build (id INTEGER PRIMARY KEY, images TEXT, tpl TEXT)")
        op = Operations(MigrationContext.configure(conn))
        with pytest.warns(MigWarning, match=r"'checksum', 'size' added after 'tpl'.*Alembic"):
            with op.batch_alter_table("build") as batch_op:
                batch_op.add_column(sa.Column("checksum", sa.String(), nullable=True))
                batch_op.add_column(sa.Column("size", sa.Integer(), nullable=True))
                batch_op.drop_column("tpl")
        assert _columns(conn, "build") == ["id", "images", "checksum", "size"]


def test_batch_dropping_first_or_another_column_does_not_warn() -> None:
    """Dropping the last column before adding, or dropping a column the new one does not
    follow, places the new column at the end in both tools: nothing to say."""
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER, b INTEGER, c INTEGER, d INTEGER)")
        op = Operations(MigrationContext.configure(conn))
        with warnings.catch_warnings():
            warnings.simplefilter("error", MigWarning)
            with op.batch_alter_table("t") as batch_op:
                batch_op.drop_column("d")
                batch_op.add_column(sa.Column("x", sa.Integer()))
            with op.batch_alter_table("t") as batch_op:
                batch_op.add_column(sa.Column("y", sa.Integer()))
                batch_op.drop_column("b")
            with op.batch_alter_table("t") as batch_op:
                batch_op.add_column(sa.Column("z", sa.Integer()), insert_after="a")
                batch_op.drop_column("y")
        assert _columns(conn, "t") == ["a", "z", "c", "x"]
