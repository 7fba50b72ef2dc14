"""The SQLite DDL implementation."""

from __future__ import annotations

from mig_core.ddl.impl import DefaultImpl


class SQLiteImpl(DefaultImpl):
    """SQLite: transactional DDL."""

    dialect_name = "sqlite"
    transactional_ddl = True
