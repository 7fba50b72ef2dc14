"""Hook implementations of the SQLite plugin (only hookimpls; the logic lives in impl.py,
lock.py, fkeys.py and recreate.py).

Importing this module must not import SQLAlchemy or a database driver.
"""

from __future__ import annotations

from typing import Any

from mig_core import hookimpl


@hookimpl
def mig_register_dialects(registry: Any) -> None:
    registry.add("sqlite", "mig_sqlite_batch.impl:SQLiteImpl", transactional_ddl=True)


@hookimpl
def mig_run_lock(impl: Any, timeout: float | None, transaction_scoped: bool) -> Any:
    """The run lock (lock.py), entered after foreign key enforcement is switched off for the
    run (fkeys.py: SQLite cannot switch it inside the run's transaction, and a recreate of a
    referenced table needs it off); imported only when a writing command runs online."""
    from mig_sqlite_batch.fkeys import run_lock_with_foreign_keys_off

    return run_lock_with_foreign_keys_off(impl, timeout, transaction_scoped)


@hookimpl
def mig_batch_recreate(impl: Any, batch: Any) -> bool:
    """Move and copy, for every dialect (recreate.py)."""
    from mig_sqlite_batch.recreate import recreate_table

    return recreate_table(impl, batch)


@hookimpl(tryfirst=True)
def mig_compare_schema(ctx: Any, schemas: Any, upgrade_ops: Any) -> None:
    """Constraint names and generated columns' expressions SQLAlchemy's reflection misreads,
    and what a dropped table's re-creation needs beyond it (expression indexes,
    AUTOINCREMENT, COLLATE, column UNIQUE, CHECK names), read from the tables' SQL before the
    comparison starts (compare.py)."""
    from mig_sqlite_batch.compare import (
        complete_dropped_tables,
        correct_constraint_names,
        fill_generated_expressions,
    )

    correct_constraint_names(ctx, schemas)
    fill_generated_expressions(ctx, schemas)
    complete_dropped_tables(ctx, schemas)


@hookimpl(wrapper=True)
def mig_compare_table(
    ctx: Any, modify_ops: Any, schema: Any, name: str, conn_table: Any, meta_table: Any
) -> Any:
    """A rowid alias and a WITHOUT ROWID table's key columns are NOT NULL whatever the
    reflection says (compare.py)."""
    if conn_table is not None and meta_table is not None:
        from mig_sqlite_batch.compare import correct_key_nullability

        correct_key_nullability(ctx, conn_table)
    return (yield)
