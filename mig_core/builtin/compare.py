"""Built-in: the core's autogenerate comparators, as ``trylast`` hook implementations.

Blockable with ``-p no:mig_core.builtin.compare`` (then only plugins compare). The logic lives
in :mod:`mig_core.autogenerate`; these functions only connect it to the hooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mig_core import hookimpl


@hookimpl(trylast=True)
def mig_compare_schema(ctx: Any, schemas: Sequence[str | None], upgrade_ops: Any) -> None:
    """Tables added and removed, then the per-table comparison of the tables both sides have."""
    from mig_core.autogenerate.compare_tables import compare_schema_tables

    if not ctx.families.tables:  # autogenerate_plugins excludes the schemas or tables plugin
        return
    compare_schema_tables(ctx, list(schemas), upgrade_ops)


@hookimpl(trylast=True)
def mig_compare_table(
    ctx: Any, modify_ops: Any, schema: str | None, name: str, conn_table: Any, meta_table: Any
) -> None:
    """Columns, indexes, unique constraints, foreign keys and the comment of one table."""
    import mig_core.autogenerate.compare_constraints as compare  # per table: no from-import

    modify_ops.ops.extend(compare.compare_table(ctx, schema, conn_table, meta_table))


@hookimpl(trylast=True)
def mig_compare_column(
    ctx: Any, alter_op: Any, schema: str | None, table_name: str, conn_col: Any, meta_col: Any
) -> None:
    """Type, nullability, server default, comment, computed and identity of one column."""
    from mig_core.autogenerate.compare_columns import compare_column

    compare_column(ctx, alter_op, conn_col, meta_col)


@hookimpl(trylast=True)
def mig_compare_type(ctx: Any, conn_col: Any, meta_col: Any) -> bool:
    """Compiled-type comparison with synonyms (see mig_core.autogenerate.compare_columns)."""
    from mig_core.autogenerate.compare_columns import default_types_differ

    return default_types_differ(ctx, conn_col.type, meta_col.type)


@hookimpl(trylast=True)
def mig_compare_server_default(
    ctx: Any, conn_col: Any, meta_col: Any, conn_default: str | None, meta_default: str | None
) -> bool:
    """Normalised text comparison (quotes, casts and outer parentheses ignored)."""
    from mig_core.autogenerate.compare_columns import default_server_defaults_differ

    return default_server_defaults_differ(conn_default, meta_default)
