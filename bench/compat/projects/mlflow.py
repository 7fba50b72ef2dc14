"""MLflow's tracking store: about 70 revisions on top of a base schema that MLflow creates with
``create_all`` before running them (``_initialize_tables``); batch mode everywhere; some
revisions read MLflow's models and move data."""

import sqlalchemy as sa
from real_projects import Project


def prepare(target: str, url: str) -> None:
    """Create MLflow's initial tables, as mlflow.store.db.utils._initialize_tables does."""
    from mlflow.store.tracking.dbmodels.initial_models import Base as InitialBase

    engine = sa.create_engine(url)
    try:
        InitialBase.metadata.create_all(engine)
    finally:
        engine.dispose()


PROJECT = Project(
    "mlflow",
    "store/db_migrations",
    online=("sqlite", "postgresql", "mysql"),
    offline=("postgresql", "mysql", "mssql", "oracle", "sqlite"),
    prepare=prepare,
)
