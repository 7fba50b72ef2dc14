"""A dropped table's primary key that ``create_table`` cannot write, added right after it.

``PrimaryKeyConstraint`` writes neither prefix lengths nor DESC columns, so
:mod:`mig_mysql.compare` leaves such a key out of the reflected table and records its
``ADD PRIMARY KEY`` clause here; :func:`after_compare` puts, just before the table's
``drop_table``, a pair of statements in the table's group (``DROP PRIMARY KEY`` in the upgrade,
``ADD PRIMARY KEY (...)`` from the server's own parts in the downgrade, right after
``create_table``). A group of the table's, so the foreign keys the core drops before any table
(tables referring to each other) are added back after it.
"""

from __future__ import annotations

from typing import Any

from mig_core.operations.ops import PairedSQLOp

#: ctx.cache key: {(schema, table): "ADD PRIMARY KEY (...)" clause}
KEYS = "mysql_dropped_primary_keys"


def after_compare(ctx: Any, upgrade_ops: Any) -> None:
    """``DROP PRIMARY KEY`` / ``ADD PRIMARY KEY (...)`` in a group of its own just before the
    ``drop_table`` of each table whose key :mod:`mig_mysql.compare` left out."""
    from mig_core.operations.ops import DropTableOp, ModifyTableOps

    keys: dict[tuple[str | None, str], str] = ctx.cache.get(KEYS) or {}
    if not keys:
        return
    out: list[Any] = []
    for op in upgrade_ops.ops:
        clause = keys.get((op.schema, op.table_name)) if isinstance(op, DropTableOp) else None
        if clause is not None:
            target = _qualified(ctx, op.schema, op.table_name)
            out.append(ModifyTableOps(op.table_name, [PairedSQLOp(
                f"ALTER TABLE {target} DROP PRIMARY KEY", f"ALTER TABLE {target} {clause}",
            )], schema=op.schema))
        out.append(op)
    upgrade_ops.ops[:] = out


def _qualified(ctx: Any, schema: str | None, name: str) -> str:
    """``name`` quoted as needed, with its schema when one is named."""
    quote = ctx.dialect.identifier_preparer.quote
    return f"{quote(schema)}.{quote(name)}" if schema else quote(name)
