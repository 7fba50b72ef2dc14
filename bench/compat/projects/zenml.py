"""ZenML's SQL store: about 286 revisions for MySQL and SQLite, batch mode everywhere. Its
env.py ignores ``sqlalchemy.url``: it builds ZenML's own ``SqlZenStore`` from the global
configuration (here ``ZENML_STORE_URL``) and configures the context with that store's engine,
through a wrapper in the installed package that imports ``alembic``."""

from pathlib import Path

import sqlalchemy as sa
from real_projects import Project

#: ZenML refuses a MySQL store without a password, and MariaDB's root here has none: a user
#: of its own, allowed everything (a revision sets a global variable on MariaDB)
MYSQL_USER, MYSQL_PASSWORD = "zenml_compat", "zenml_compat"


def prepare(target: str, url: str) -> None:
    if target != "mysql":
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for host in ("%", "localhost", "127.0.0.1"):
            user = f"'{MYSQL_USER}'@'{host}'"
            conn.execute(sa.text(f"CREATE USER IF NOT EXISTS {user} IDENTIFIED BY '{MYSQL_PASSWORD}'"))
            conn.execute(sa.text(f"GRANT ALL PRIVILEGES ON *.* TO {user}"))
    engine.dispose()


SEED_WORKSPACE = """\
    # compat: the workspace ZenML's server registers after its migrations on a new database
    if op.get_bind().execute(sa.text("SELECT COUNT(*) FROM workspace")).scalar() == 0:
        op.get_bind().execute(
            sa.text(
                "INSERT INTO workspace (id, name, description, created, updated) VALUES "
                "('00000000000000000000000000000001', 'default', '', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
"""


def patch(target: str, scripts: Path) -> None:
    """Make the history run from an empty database: the default workspace its server would
    have registered by then, and no refusal of SQLite in a MySQL-only helper."""
    versions = scripts / "versions"
    path = versions / "41b28cae31ce_make_artifacts_workspace_scoped.py"
    text = path.read_text()
    anchor = "    default_workspace_query = sa.text("
    assert anchor in text
    path.write_text(text.replace(anchor, SEED_WORKSPACE + anchor, 1))
    path = versions / "728c6369cfaa_add_name_column_to_input_artifact_pk.py"
    text = path.read_text()
    helper = """innodb_force_primary_key = 0;")
    else:
"""
    assert text.count(helper) == 1
    path.write_text(text.replace(helper, helper.replace("else:", 'elif engine_name != "sqlite":')))


def environ(target: str, url: str) -> dict[str, str]:
    home = Path("/tmp/zenml-home") / target
    home.mkdir(parents=True, exist_ok=True)
    store_url = url.replace("mysql+pymysql://root@", f"mysql://{MYSQL_USER}:{MYSQL_PASSWORD}@")
    return {
        "ZENML_STORE_URL": store_url,
        "ZENML_STORE_TYPE": "sql",
        "ZENML_CONFIG_PATH": str(home),
        "ZENML_ANALYTICS_OPT_IN": "false",
        "ZENML_LOGGING_VERBOSITY": "WARN",
        "ZENML_ENABLE_RICH_TRACEBACK": "false",
        "AUTO_OPEN_DASHBOARD": "false",
        "COMPAT_ALIAS_ALEMBIC": "1",  # env.py runs through zenml.zen_stores.migrations.alembic
    }


PROJECT = Project(
    "zenml",
    "zen_stores/migrations",
    online=("sqlite", "mysql"),
    offline=(),
    environ=environ,
    prepare=prepare,
    patch=patch,
)
