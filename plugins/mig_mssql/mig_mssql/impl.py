"""The SQL Server DDL implementation."""

from __future__ import annotations

from mig_core.ddl.impl import DefaultImpl


class MSSQLImpl(DefaultImpl):
    """SQL Server: transactional DDL."""

    dialect_name = "mssql"
    transactional_ddl = True
    batch_separator = "GO"
    begin_statement = "BEGIN TRANSACTION"
