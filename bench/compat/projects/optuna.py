"""Optuna's RDB storage: ten revisions from an empty database, batch mode on SQLite."""

from real_projects import Project

PROJECT = Project("optuna", "storages/_rdb/alembic")
