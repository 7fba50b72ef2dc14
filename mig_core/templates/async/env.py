"""mig environment for an asyncio driver (``sqlite+aiosqlite``, ``postgresql+asyncpg`` ...).

Migrations run inside ``connection.run_sync()``. Set ``target_metadata`` for autogenerate.
"""

import asyncio
import concurrent.futures
from logging.config import fileConfig

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, async_engine_from_config

from mig_core import context

config = context.config

if config.config_file_name is not None and config.file_config.has_section("loggers"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# Your model's MetaData, for autogenerate:
#     from myapp.models import Base
#     target_metadata = Base.metadata
target_metadata = None


def run_migrations_offline() -> None:
    """``--sql``: write the SQL script to stdout. Needs only the URL, never a database."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_with(connection) -> None:
    """Called with a synchronous facade of the async connection."""
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations(engine: AsyncEngine | None) -> None:
    """On ``engine``, or on one made from the URL. A given engine stays usable, but its pool is
    emptied before this event loop ends: a connection of asyncpg (and most async drivers) works
    only in the loop that opened it, and the next command, or the engine's owner, runs another."""
    engine = engine or async_engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=sa.pool.NullPool,
    )
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_with)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Run on the database. ``config.attributes["connection"]`` may hold a (sync) connection, used
    as is, or an async engine (as pytest-alembic passes); otherwise an async engine is made from
    ``sqlalchemy.url``."""
    given = config.attributes.get("connection")
    if isinstance(given, sa.engine.Connection):
        run_with(given)
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no event loop running here: the `mig` command, a plain script
        asyncio.run(run_async_migrations(given))
        return
    # Called from a coroutine (command.upgrade() in a FastAPI startup hook, an async test): that
    # loop waits for this call, so the migrations get a loop of their own in another thread.
    if given is not None:
        raise RuntimeError(
            "an async engine in config.attributes['connection'] cannot be used from inside a "
            "running event loop (its connections belong to that loop); from async code, run "
            "the command in `await connection.run_sync(...)` with that connection in "
            "config.attributes['connection'] instead"
        )
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(asyncio.run, run_async_migrations(None)).result()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
