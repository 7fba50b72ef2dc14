"""OpenStack Neutron's database: ~130 revisions in an ``expand`` and a ``contract`` branch
(branch labels, ``depends_on`` from contract to expand), one version folder per release and
branch, no downgrades.

Every run goes Neutron's own way, through ``neutron-db-manage`` (neutron/db/migration/cli.py,
its ``main()`` with ``sys.argv`` set, ``COMPAT_RUN_HOOK`` also for ``--sql``): the CLI builds an
``alembic.config.Config`` from the alembic.ini inside the package, sets ``script_location`` from
the ``neutron.db.alembic_migrations`` entry point and ``version_locations`` to the release
folders, hangs its oslo.config object on the Config (env.py reads ``config.neutron_config``),
and calls ``alembic.command.upgrade(config, "expand@head")`` then ``"contract@head"`` (after
``run_sanity_checks``: an ``EnvironmentContext`` with ``fn=``, ``script_dir.run_env()``,
``revision_map.iterate_revisions(..., implicit_base=True)``). The revisions run from the
installed package, ``alembic`` aliased to ``mig_core`` for mig (``COMPAT_ALIAS_ALEMBIC``);
for mig the Config also gets ``version_table = alembic_version`` (Neutron's revisions touch
that table by name), the one line the switch adds to Neutron's alembic.ini.

After the upgrade, the graph answers Neutron's CLI prints (``current --verbose``, ``heads``,
``branches``, ``history``, ``check_migration``, ``has_offline_migrations``) are written to
``compat-<command>.txt`` in each tool's folder, and the harness compares them.

Downgrade is ``neutron-db-manage downgrade``: "Downgrade no longer supported" for both tools.
Offline is ``neutron-db-manage --database-connection <dialect>:// upgrade --sql kilo:heads``
(from base both tools stop in the first revision, which inspects the database).
"""

from __future__ import annotations

import configparser
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from real_projects import Project


def environ(target: str, url: str) -> dict[str, str]:
    return {
        "COMPAT_ALIAS_ALEMBIC": "1",  # the CLI and the revisions import alembic
        "COMPAT_RUN_HOOK": f"{Path(__file__).resolve()}:run_like_neutron",
        "COMPAT_RUN_HOOK_SQL": "1",  # --sql goes through neutron-db-manage too
    }


#: what the graph comparison asks Neutron's CLI after the upgrade
GRAPH_COMMANDS = (
    ("current", "--verbose"),
    ("heads",),
    ("heads", "--verbose"),
    ("branches",),
    ("history",),
    ("history", "--verbose"),
    ("check_migration",),
    ("has_offline_migrations",),
)


def run_like_neutron(tool: str, argv: list[str]) -> None:
    """``-c ini <command> <revision> [--sql]`` run as ``neutron-db-manage`` runs it."""
    from neutron.db.migration import cli

    assert argv[0] == "-c", argv
    ini, name = argv[1], argv[2]
    sql = "--sql" in argv
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ini)
    url = parser.get("alembic", "sqlalchemy.url")

    if tool == "mig":
        own_configs = cli.get_alembic_configs

        def get_alembic_configs() -> list[object]:
            configs = own_configs()
            for config in configs:
                config.set_main_option("version_table", "alembic_version")  # type: ignore[attr-defined]
            return configs

        cli.get_alembic_configs = get_alembic_configs

    def manage(*args: str) -> object:
        sys.argv = ["neutron-db-manage", "--database-connection", url, *args]
        return cli.main()

    if name == "downgrade":
        manage("downgrade")
        return
    assert name == "upgrade", argv
    if sql:  # from base both stop at once: kilo_initial reads the schema (sa.inspect)
        manage("upgrade", "--sql", "kilo:heads")
        return
    started = time.perf_counter()
    manage("upgrade", "--expand")
    manage("upgrade", "--contract")
    # the migrations alone, without importing Neutron or the graph questions below (upgrade.log)
    print(f"compat: upgrade --expand, --contract: {time.perf_counter() - started:.2f} s", file=sys.stderr)
    for command in GRAPH_COMMANDS:
        path = Path("compat-" + "-".join(c.strip("-") for c in command) + ".txt")
        with _stdout_to(path):
            try:
                result: object = manage(*command)
            except SystemExit as exc:  # alembic.util.err: exit -1
                result = f"SystemExit({exc.code})"
            except Exception as exc:  # noqa: BLE001 - the answer is the error
                result = f"{type(exc).__name__}: {exc}"
            print(f"-> {result!r}")


@contextlib.contextmanager
def _stdout_to(path: Path) -> Iterator[None]:
    """File descriptor 1 into ``path``: the tools' Config objects hold the stdout they were
    made with (Alembic's default argument is the process's), so redirect_stdout misses it."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(path, "w") as file:
        os.dup2(file.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


PROJECT = Project(
    "neutron",
    "db/migration/alembic_migrations",
    online=("mysql", "postgresql", "sqlite"),
    offline=("mysql", "postgresql"),
    environ=environ,
)
