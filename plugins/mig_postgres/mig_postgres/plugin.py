"""Hook implementations of the PostgreSQL plugin (only hookimpls; the logic lives in the modules
named in each hook).

Importing this module must not import SQLAlchemy or a database driver: every hook imports its
module lazily, and operations are registered as ``"module:attribute"`` strings.
"""

from __future__ import annotations

from typing import Any

from mig_core import hookimpl

#: ``op.<name>`` directives of this plugin -> whether they have a ``batch_op`` form
OPERATIONS: dict[str, bool] = {
    "create_exclude_constraint": True,
    "create_enum": False,
    "drop_enum": False,
    "add_enum_value": False,
    "drop_enum_value": False,
    "rename_enum_value": False,
    "alter_enum": False,
}
#: generic directives other dialect plugins may provide as well (registered when nobody has)
SHARED_OPERATIONS: dict[str, bool] = {
    "create_sequence": False,
    "drop_sequence": False,
}


@hookimpl
def mig_register_dialects(registry: Any) -> None:
    registry.add("postgresql", "mig_postgres.impl:PostgresqlImpl", transactional_ddl=True)


@hookimpl
def mig_register_operations(registry: Any) -> None:
    """Exclusion constraints, enum types and values, sequences (see ops.py)."""
    for name, batch in OPERATIONS.items():
        registry.add(name, f"mig_postgres.ops:{name}", batch=batch)
    for name, batch in SHARED_OPERATIONS.items():
        if name not in registry.entries:
            registry.add(name, f"mig_postgres.ops:{name}", batch=batch)


@hookimpl
def mig_run_lock(impl: Any, timeout: float | None, transaction_scoped: bool) -> Any:
    """The run lock (see lock.py); imported only when a writing command runs online."""
    from mig_postgres.lock import PostgresRunLock

    return PostgresRunLock(impl, timeout, transaction_scoped)
