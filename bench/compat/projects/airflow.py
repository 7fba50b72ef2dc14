"""Apache Airflow's metadata database (apache-airflow-core 3.x): 124 revisions from a
squashed 2.6.2 schema, for SQLite, PostgreSQL and MySQL; batch mode everywhere
(``render_as_batch=True``), a transaction per revision, dialect branches inside revisions and
data moved with ``op.get_bind()``.

``airflow db migrate`` creates a new database with ``create_all`` and stamps head; with
``--use-migration-files`` (and for every upgrade of an existing database) it runs
``command.upgrade(config, "heads")`` on airflow/alembic.ini, whose env.py takes the database
from Airflow's settings (``settings.engine`` online, ``settings.SQL_ALCHEMY_CONN`` offline:
``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` here), never from ``sqlalchemy.url``. The harness runs
the history from an empty database, as ``--use-migration-files`` does.
"""

from __future__ import annotations

import re
from pathlib import Path

from real_projects import Project


def environ(target: str, url: str) -> dict[str, str]:
    home = Path("/tmp/airflow-home") / target
    home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "false",
        # env.py imports airflow.utils.db and the revisions airflow.migrations.utils, which
        # import alembic from the installed package
        "COMPAT_ALIAS_ALEMBIC": "1",
    } | (
        # offline: Airflow's log lines (Alembic's "Running upgrade ...", warnings) go to stdout, into
        # the script being compared
        {"AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR"} if url.endswith("://") else {}
    )


def patch(target: str, scripts: Path) -> None:
    """MariaDB (Airflow supports MySQL 8, not MariaDB): its REGEXP_REPLACE takes three
    arguments, and revision eed27faa34e3 passes MySQL 8's position, occurrence and match type
    (case-sensitive) too; both tools stopped there. The tables these statements change are
    empty here."""
    if target != "mysql":
        return
    (path,) = (scripts / "versions").glob("*_remove_pickled_data_from_xcom_table.py")
    text = path.read_text()
    extra = re.compile(r"('\$1null'),\s*1,\s*0,\s*'c'")
    assert len(extra.findall(text)) == 1, path
    path.write_text(extra.sub(r"\1", text))
    # and 0d9e73a75ee4's downgrade deletes duplicates with WITH ... DELETE, which MariaDB
    # does not parse: the same DELETE in a form it takes
    (path,) = (scripts / "versions").glob("*_add_name_field_to_dataset_model.py")
    text = path.read_text()
    cte = re.compile(r"with unique_dataset as .*?select \* from duplicate_dataset_id\)", re.S)
    assert len(cte.findall(text)) == 1, path
    path.write_text(cte.sub(
        "delete from dataset where id in (select id from (select d.id from dataset d join "
        "(select min(id) as min_id, uri from dataset group by id) u on d.uri = u.uri "
        "where d.id > u.min_id) as duplicate_dataset_id)",
        text,
    ))


def url_for(target: str, url: str) -> str:
    """MySQL through mysqlclient, Airflow's driver (its settings refuse to start without it):
    revisions send several statements in one ``op.execute()`` (a procedure created, called and
    dropped), which mysqlclient allows and PyMySQL refuses. Offline PostgreSQL names psycopg2,
    which Airflow's settings load (SQLAlchemy 2.1's ``postgresql://`` means psycopg 3)."""
    url = url.replace("mysql+pymysql://", "mysql+mysqldb://")
    return "postgresql+psycopg2://" if url == "postgresql://" else url  # not psycopg 3


PROJECT = Project(
    "airflow",
    "migrations",
    online=("sqlite", "postgresql", "mysql"),
    offline=("postgresql", "mysql", "sqlite"),
    environ=environ,
    url_for=url_for,
    patch=patch,
    # its first revision (the squashed 2.6.2 schema) cannot be undone in either tool (its
    # downgrade drops an index a later revision already dropped): compare the schema the 123
    # downgrades after it leave
    downgrade_to="4bc4d934e2bc",
)
