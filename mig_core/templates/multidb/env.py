"""mig environment for several databases.

``databases = engine1, engine2`` in mig.ini names them; each has its own ini section with its
``sqlalchemy.url``, and its own version table. A revision's ``upgrade(engine_name)`` calls
``upgrade_<name>()``. Online, the databases are migrated one after the other, each in its own
transaction; ``--sql`` writes one ``<name>.sql`` file per database into the working directory
(UTF-8, whatever the machine's locale).
"""

import re
from logging.config import fileConfig

import sqlalchemy as sa

from mig_core import context

config = context.config

if config.config_file_name is not None and config.file_config.has_section("loggers"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

db_names = [n for n in re.split(r"[\s,]+", config.get_main_option("databases") or "") if n]

# MetaData per database, for autogenerate:
#     from myapp import models
#     target_metadata = {"engine1": models.metadata1, "engine2": models.metadata2}
target_metadata = {}


def url_of(name: str) -> str:
    url = config.get_section_option(name, "sqlalchemy.url")
    if not url:
        raise SystemExit(f"mig.ini: section [{name}] needs a sqlalchemy.url")
    return url


def configure_for(name: str, **kw) -> None:
    context.configure(
        upgrade_token=f"{name}_upgrades",
        downgrade_token=f"{name}_downgrades",
        target_metadata=target_metadata.get(name),
        **kw,
    )


def run_migrations_offline() -> None:
    """``--sql``: one SQL file per database, named after it."""
    for name in db_names:
        file_name = f"{name}.sql"
        print(f"Writing output to {file_name}")
        with open(file_name, "w", encoding="utf-8") as buffer:
            configure_for(
                name,
                url=url_of(name),
                output_buffer=buffer,
                literal_binds=True,
                dialect_opts={"paramstyle": "named"},
            )
            with context.begin_transaction():
                context.run_migrations(engine_name=name)


def run_migrations_online() -> None:
    """Each database in turn: connect, migrate in one transaction, close."""
    for name in db_names:
        engine = sa.create_engine(url_of(name), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                configure_for(name, connection=connection)
                with context.begin_transaction():
                    context.run_migrations(engine_name=name)
        finally:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
