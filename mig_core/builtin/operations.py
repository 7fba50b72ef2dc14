"""Built-in (essential): registers the core ``op.*`` directives.

Targets are given as ``"module:attribute"`` strings so that listing plugins (``mig plugins``)
does not import the operations machinery or SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

from mig_core import hookimpl

#: core directive name -> whether it also exists as ``batch_op.<name>``
CORE_DIRECTIVES: dict[str, bool] = {
    "create_table": False,
    "drop_table": False,
    "rename_table": False,
    "create_table_comment": True,
    "drop_table_comment": True,
    "add_column": True,
    "drop_column": True,
    "alter_column": True,
    "create_index": True,
    "drop_index": True,
    "create_unique_constraint": True,
    "create_primary_key": True,
    "create_foreign_key": True,
    "create_check_constraint": True,
    "drop_constraint": True,
    "bulk_insert": False,
    "execute": True,
}


@hookimpl
def mig_register_operations(registry: Any) -> None:
    """Every Alembic ``op.*`` directive, implemented in :mod:`mig_core.operations.directives`."""
    for name, batch in CORE_DIRECTIVES.items():
        registry.add(name, f"mig_core.operations.directives:{name}", batch=batch)
