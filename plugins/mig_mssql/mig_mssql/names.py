"""SQL Server's identifier length limit, checked before any statement of an operation runs.

SQL Server names (``sysname``) hold at most 128 characters; a longer table, column, index or
constraint name fails on the server, online or when a script runs. mig refuses it first, naming
the operation and the name (the checks are the core's, :mod:`mig_core.ddl.identifiers`).
"""

from __future__ import annotations

from mig_core.ddl.identifiers import IdentifierRule

#: ``sysname`` is NVARCHAR(128)
LIMIT = 128
RULE = IdentifierRule(server="SQL Server", limit=LIMIT)
