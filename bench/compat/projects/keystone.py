"""OpenStack Keystone's database: 10 revisions after its initial one, an ``expand`` and a
``contract`` branch (branch labels), one version folder per release and branch, batch mode
(``render_as_batch=True``), no downgrades.

Online runs go Keystone's own way (keystone/common/sql/upgrades.py, what ``keystone-manage
db_sync --expand`` then ``--contract`` call): ``expand_schema(engine)`` and
``contract_schema(engine)``, which build an ``alembic.config.Config`` from the alembic.ini in
the package (``version_locations`` joined with ``os.pathsep``, ``version_path_separator =
os``), check the order with ``ScriptDirectory.get_heads()`` / ``MigrationContext.configure(conn)
.get_current_heads()``, and run ``alembic.command.upgrade(config, "expand@head")`` with the
connection in ``config.attributes["connection"]``. The revisions run from the installed package,
``alembic`` aliased to ``mig_core`` for mig (``COMPAT_ALIAS_ALEMBIC``). mig keeps its own version
table here: Keystone's ``MigrationContext.configure(conn)`` passes no options, so on a fresh
database mig's default (``mig_version``) is the one both its calls agree on.

After the upgrade, the answers of ``get_current_heads()``, ``get_head_revisions()`` (through
``EnvironmentContext(config, script).get_head_revisions()``) and ``get_db_version()`` are written
to ``compat-*.txt`` and compared. Downgrade is ``command.downgrade(config, "base")`` (Keystone has
none: no revision defines ``downgrade()``). Offline is ``command.upgrade(config, "heads",
sql=True)`` with Keystone's Config and the dialect's URL.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from real_projects import Project


def environ(target: str, url: str) -> dict[str, str]:
    return {
        "COMPAT_ALIAS_ALEMBIC": "1",  # keystone.common.sql.upgrades imports alembic
        "COMPAT_RUN_HOOK": f"{Path(__file__).resolve()}:run_like_keystone",
        "COMPAT_RUN_HOOK_SQL": "1",  # the version folders come from Keystone's own Config
    }


def run_like_keystone(tool: str, argv: list[str]) -> None:
    """``-c ini <command> <revision> [--sql]`` run as ``keystone-manage db_sync`` runs it."""
    import keystone.conf
    import sqlalchemy as sa
    from keystone.common import sql
    from keystone.common.sql import upgrades

    if tool == "mig":
        from mig_core import command
    else:
        from alembic import command  # type: ignore[no-redef]

    assert argv[0] == "-c", argv
    ini, name = argv[1], argv[2]
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ini)
    url = parser.get("alembic", "sqlalchemy.url")
    # what keystone-manage does before db_sync: options registered, [database] connection set
    keystone.conf.configure()
    sql.initialize()
    keystone.conf.CONF([], project="keystone", default_config_files=[])
    keystone.conf.CONF.set_override("connection", url, group="database")

    if "--sql" in argv:
        config = upgrades.get_alembic_config()
        config.set_main_option("sqlalchemy.url", url)
        command.upgrade(config, "heads", sql=True)
        return
    engine = sa.create_engine(url)
    try:
        if name == "downgrade":
            config = upgrades.get_alembic_config()
            config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.downgrade(config, "base")
            return
        upgrades.expand_schema(engine)
        upgrades.migrate_data(engine)
        upgrades.contract_schema(engine)
        answers = {
            "current_heads": upgrades._get_current_heads(engine, upgrades.get_alembic_config()),
            "head_revisions": upgrades.get_head_revisions(),
            "db_version": (
                upgrades.get_db_version("expand", engine=engine),
                upgrades.get_db_version("contract", engine=engine),
            ),
        }
        for label, answer in answers.items():
            Path(f"compat-{label}.txt").write_text(f"{answer!r}\n")
    finally:
        engine.dispose()


PROJECT = Project(
    "keystone",
    "common/sql/migrations",
    online=("sqlite", "postgresql", "mysql"),
    offline=("postgresql", "mysql", "sqlite"),
    environ=environ,
)
