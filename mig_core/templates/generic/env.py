"""mig environment: run by every mig command that talks to the database.

Set ``target_metadata`` to your model's MetaData for ``mig revision --autogenerate``; change how
the connection is made here if you need to. ``context`` is documented in docs/runtime.md.
"""

from logging.config import fileConfig

import sqlalchemy as sa

from mig_core import context

config = context.config

# Logging as set up in mig.ini (its [loggers] section), when there is one.
if config.config_file_name is not None and config.file_config.has_section("loggers"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# Your model's MetaData, for autogenerate:
#     from myapp.models import Base
#     target_metadata = Base.metadata
target_metadata = None

# Other values from the config:  config.get_main_option("my_option")


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
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run on the database. ``config.attributes["connection"]`` may hold a connection (used as
    is) or an engine (as pytest-alembic passes); otherwise one is made from ``sqlalchemy.url``."""
    given = config.attributes.get("connection")
    if isinstance(given, sa.engine.Connection):
        run_with(given)
        return
    engine = given or sa.engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=sa.pool.NullPool,
    )
    try:
        with engine.connect() as connection:
            run_with(connection)
    finally:
        if given is None:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
