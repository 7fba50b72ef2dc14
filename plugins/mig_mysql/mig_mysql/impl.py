"""The MySQL / MariaDB DDL implementation (no transactional DDL)."""

from __future__ import annotations

from typing import ClassVar

from mig_core.ddl.impl import DefaultImpl


class MySQLImpl(DefaultImpl):
    """MySQL and MariaDB: DDL commits at once, so each revision's version row follows its DDL."""

    dialect_name: ClassVar[str] = "mysql"
    transactional_ddl: ClassVar[bool] = False
    drop_constraint_requires_type: ClassVar[bool] = True
