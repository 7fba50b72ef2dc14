"""mig-views installed the way a user installs it: found through its entry point, used as
``op.create_view`` / ``op.drop_view`` online and offline, reversible."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from mig_views.ops import CreateViewOp, DropViewOp

from mig_core.errors import CommandError
from mig_core.operations import Operations
from mig_core.operations.ops import IrreversibleOperationError
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext

DEFINITION = "SELECT id, name FROM users WHERE active = 1"


@pytest.fixture(scope="module")
def pm() -> Any:
    """A plugin manager built from the installed entry points, as the CLI builds it."""
    return build_plugin_manager(None, env={})


def test_listed_by_mig_plugins_through_its_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mig_core", "plugins", "--json"],
        capture_output=True, text=True, check=True,
    )
    views = {r["name"]: r for r in json.loads(result.stdout)}["views"]
    assert (views["distribution"], views["status"]) == ("mig-views", "loaded")
    assert views["operations"] == ["create_view", "drop_view"]
    assert views["hooks"] == ["mig_compare_schema", "mig_register_operations", "mig_render_op"]


def test_plugin_module_does_not_import_sqlalchemy() -> None:
    code = "import mig_views.plugin, sys; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def offline(pm: Any, dialect: str, fn: Any) -> str:
    buf = io.StringIO()
    ctx = MigrationContext.configure(dialect_name=dialect,
                                     opts={"as_sql": True, "output_buffer": buf},
                                     plugin_manager=pm)
    with Operations.context(ctx) as op:
        fn(op)
    return buf.getvalue().strip()


def test_offline_sql(pm: Any) -> None:
    users = sa.table("users", sa.column("id"), sa.column("name"), sa.column("active"))

    def migrate(op: Any) -> None:
        op.create_view("active users", DEFINITION, schema="app")
        op.create_view("named", sa.select(users.c.id).where(users.c.name == "it's"),
                       or_replace=True)
        op.drop_view("named", if_exists=True)

    assert offline(pm, "postgresql", migrate) == (
        f'CREATE VIEW app."active users" AS {DEFINITION};\n\n'
        "CREATE OR REPLACE VIEW named AS SELECT users.id \nFROM users \n"
        "WHERE users.name = 'it''s';\n\n"
        "DROP VIEW IF EXISTS named;"
    )
    assert offline(pm, "mssql", lambda op: op.create_view("v", "SELECT 1", or_replace=True)) == (
        "CREATE OR ALTER VIEW v AS SELECT 1;\nGO"
    )


def test_reverse_and_diff() -> None:
    create = CreateViewOp("v", DEFINITION, schema="s")
    drop = create.reverse()
    assert isinstance(drop, DropViewOp) and drop.definition == DEFINITION
    assert drop.reverse().definition == DEFINITION
    assert create.to_diff_tuple() == ("add_view", "s", "v", DEFINITION)
    with pytest.raises(IrreversibleOperationError, match=r"drop_view\('v'\) is not reversible"):
        DropViewOp("v").reverse()


def test_or_replace_on_sqlite_is_refused(pm: Any) -> None:
    with pytest.raises(CommandError, match="SQLite has no CREATE OR REPLACE VIEW"):
        offline(pm, "sqlite", lambda op: op.create_view("v", "SELECT 1", or_replace=True))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with eng.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS users CASCADE" if request.param ==
                             "postgresql" else "DROP TABLE IF EXISTS users"))
        conn.execute(sa.text("CREATE TABLE users (id integer, name varchar(20), active integer)"))
        conn.execute(sa.text("INSERT INTO users VALUES (1, 'a', 1), (2, 'b', 0)"))
    yield eng
    eng.dispose()


def views(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(sa.inspect(conn).get_view_names())


def test_online_up_and_down(engine: sa.Engine, pm: Any) -> None:
    create = CreateViewOp("active_users", DEFINITION)

    def run(fn: Any) -> None:
        with engine.begin() as conn:
            ctx = MigrationContext.configure(connection=conn, plugin_manager=pm)
            with Operations.context(ctx) as op:
                fn(op)

    run(lambda op: op.invoke(create))
    assert views(engine) == ["active_users"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM active_users")).scalars().all() == ["a"]
    run(lambda op: op.invoke(create.reverse()))
    assert views(engine) == []
    run(lambda op: op.drop_view("active_users", if_exists=True))
    run(lambda op: op.invoke(create.reverse().reverse()))
    assert views(engine) == ["active_users"]
