"""Arize Phoenix's database: ~35 revisions, SQLite and PostgreSQL, an async engine.

Online runs go the way Phoenix runs them (phoenix/db/migrate.py and engines.py): its own
migration engine (SQLite: sqlean connections with its pragmas, WAL, no foreign key
enforcement; PostgreSQL: asyncpg) and ``command.upgrade`` / ``command.downgrade`` inside
``AsyncConnection.run_sync`` with the connection in ``config.attributes["connection"]``, which
env.py uses (the runner's ``COMPAT_RUN_HOOK``). Offline (``--sql``) runs use the command line;
env.py builds its own engine from ``sqlalchemy.url`` when there is no connection.
"""

from __future__ import annotations

from pathlib import Path

from real_projects import Project


def environ(target: str, url: str) -> dict[str, str]:
    return {
        "PHOENIX_WORKING_DIR": str(Path("/tmp/phoenix-home") / target),
        "COMPAT_ALIAS_ALEMBIC": "1",  # env.py imports phoenix.db.*, which imports alembic
        "COMPAT_RUN_HOOK": f"{Path(__file__).resolve()}:run_like_phoenix",
    }


def url_for(target: str, url: str) -> str:
    if target == "sqlite":
        return url.replace("sqlite://", "sqlite+aiosqlite://")
    return url.replace("postgresql+psycopg2://", "postgresql+asyncpg://")


def run_like_phoenix(tool: str, argv: list[str]) -> None:
    """``-c ini <command> <revision>`` run as phoenix.db.migrate.migrate() runs ``upgrade``."""
    import asyncio

    from phoenix.db import engines
    from phoenix.db.pg_config import get_pg_config
    from sqlalchemy import NullPool, event, make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    if tool == "mig":
        from mig_core import command
        from mig_core.config import Config
    else:
        from alembic import command  # type: ignore[no-redef]
        from alembic.config import Config  # type: ignore[no-redef]

    assert argv[0] == "-c" and len(argv) == 4, argv
    ini, name, revision = argv[1], argv[2], argv[3]
    config = Config(ini)
    url = make_url(config.get_main_option("sqlalchemy.url"))
    if url.get_backend_name() == "sqlite":
        database = engines._sqlite_target(url.database, url.query)
        engine = create_async_engine(
            url=url,
            json_serializer=engines._dumps,
            async_creator=engines.sqlite_connection_factory(database, mode="rwc"),
            poolclass=NullPool,
        )
        event.listen(engine.sync_engine, "connect", engines.set_sqlite_migration_pragma)
    else:
        asyncpg_url, asyncpg_args = get_pg_config(url)
        engine = create_async_engine(
            url=asyncpg_url, connect_args=asyncpg_args, json_serializer=engines._dumps,
            poolclass=NullPool,
        )

    def run(connection: object) -> None:
        config.attributes["connection"] = connection
        getattr(command, name)(config, revision)

    async def main() -> None:
        async with engine.connect() as conn:
            await conn.run_sync(run)
        await engine.dispose()

    asyncio.run(main())


PROJECT = Project(
    "phoenix",
    "db/migrations",
    online=("sqlite", "postgresql"),
    offline=("postgresql", "sqlite"),
    environ=environ,
    url_for=url_for,
)
