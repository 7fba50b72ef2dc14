"""Prefect's server database: about 120 revisions per dialect, in one folder per dialect that
its env.py picks at run time; an async engine driven from an anyio worker thread."""

from pathlib import Path

from real_projects import Project


def environ(target: str, url: str) -> dict[str, str]:
    return {
        "PREFECT_API_DATABASE_CONNECTION_URL": url,
        "PREFECT_HOME": str(Path("/tmp/prefect-home") / target),
        "PREFECT_API_DATABASE_MIGRATE_ON_START": "false",
        "COMPAT_IN_WORKER_THREAD": "1",  # env.py expects to run in an anyio worker thread
        "COMPAT_ALIAS_ALEMBIC": "1",  # its env.py runs the revisions of the installed package
    }


def url_for(target: str, url: str) -> str:
    if target == "sqlite":
        return url.replace("sqlite://", "sqlite+aiosqlite://")
    if url == "postgresql://":  # offline: its settings want a whole URL, never connected to
        return "postgresql+asyncpg://postgres@127.0.0.1:5432/offline"
    return url.replace("postgresql+psycopg2://", "postgresql+asyncpg://")


PROJECT = Project(
    "prefect",
    "server/database/_migrations",
    online=("sqlite", "postgresql"),
    offline=("postgresql", "sqlite"),
    environ=environ,
    url_for=url_for,
)
