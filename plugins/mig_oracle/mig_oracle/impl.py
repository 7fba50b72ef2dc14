"""The Oracle DDL implementation."""

from __future__ import annotations

from mig_core.ddl.impl import DefaultImpl


class OracleImpl(DefaultImpl):
    """Oracle: non-transactional DDL."""

    dialect_name = "oracle"
    transactional_ddl = False
    command_terminator = ""
    batch_separator = "/"
