"""The PostgreSQL DDL implementation."""

from __future__ import annotations

from mig_core.ddl.impl import DefaultImpl


class PostgresqlImpl(DefaultImpl):
    """PostgreSQL: transactional DDL."""

    dialect_name = "postgresql"
    transactional_ddl = True
