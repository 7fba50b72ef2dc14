"""Foreign keys between tables a revision creates (or drops) that refer forward.

Two new tables that refer to each other (``user.org_id`` and ``org.owner_id``) cannot both be
created with their foreign keys inline: the first ``CREATE TABLE`` names a table that does not
exist yet, which PostgreSQL and MySQL refuse. On such dialects :func:`split_forward_foreign_keys`
leaves those foreign keys out of ``create_table`` and adds them with ``create_foreign_key``
once the table they refer to exists; for tables the revision drops, it drops such a foreign key
before the table it refers to. The downgrade, the reverse, then stays runnable too. SQLite, which
accepts a reference to a missing table, keeps them inline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mig_core.operations.containers import UpgradeOps

Key = tuple[Any, str]


def split_forward_foreign_keys(upgrade_ops: UpgradeOps, dialect: Any) -> None:
    """Move forward-referring foreign keys of created / dropped tables out of their
    ``create_table`` (in place; ``compare_metadata`` reports them as before)."""
    if dialect is None or not getattr(dialect, "supports_alter", False):
        return
    from mig_core.operations.table_ops import CreateTableOp, DropTableOp

    ops = upgrade_ops.ops
    if sum(isinstance(op, (CreateTableOp, DropTableOp)) for op in ops) < 2:
        return
    _split_creates(ops)
    _split_drops(ops)


def _key(table: Any) -> Key:
    return (table.schema, table.name)


def _forward_fks(create: Any, later: set[Key]) -> list[Any]:
    """The foreign keys of a created table that refer to a table created after it."""
    table = create.to_table()
    found = []
    for fk in sorted(table.foreign_key_constraints, key=lambda c: str(c.name or "")):
        try:
            referred = _key(fk.referred_table)
        except Exception:  # noqa: BLE001 - unresolvable: left as it is
            continue
        if referred != _key(table) and referred in later:
            found.append(fk)
    return found


def _split_creates(ops: list[Any]) -> None:
    from mig_core.operations.constraint_ops import AddConstraintOp
    from mig_core.operations.containers import ModifyTableOps
    from mig_core.operations.table_ops import CreateTableOp

    creates = [op for op in ops if isinstance(op, CreateTableOp)]
    pending = {_key(op.to_table()) for op in creates}
    added: list[Any] = []
    for create in creates:
        pending.discard(_key(create.to_table()))
        forward = _forward_fks(create, pending)
        if forward:
            create.deferred_constraints = [*create.deferred_constraints, *forward]
            added.append(ModifyTableOps(
                create.table_name, [AddConstraintOp.from_constraint(fk) for fk in forward],
                schema=create.schema,
            ))
    if added:  # after every created table and its indexes
        last = max(i for i, op in enumerate(ops) if isinstance(op, CreateTableOp))
        while (last + 1 < len(ops) and isinstance(ops[last + 1], ModifyTableOps)
               and any(_same_table(ops[last + 1], c) for c in creates)):
            last += 1
        ops[last + 1:last + 1] = added


def _same_table(group: Any, create: Any) -> bool:
    return bool(group.table_name == create.table_name and group.schema == create.schema)


def _split_drops(ops: list[Any]) -> None:
    """A dropped table's foreign key to a table dropped before it is dropped first."""
    from mig_core.operations.constraint_ops import DropConstraintOp
    from mig_core.operations.containers import ModifyTableOps
    from mig_core.operations.table_ops import DropTableOp

    drops = [op for op in ops if isinstance(op, DropTableOp) and op._reverse is not None]
    dropped_before: set[Key] = set()
    added: list[Any] = []
    for drop in drops:
        create = drop._reverse
        assert create is not None
        earlier = _forward_fks(create, dropped_before)
        named = [fk for fk in earlier if fk.name is not None]
        if named:
            create.deferred_constraints = [*create.deferred_constraints, *named]
            added.append(ModifyTableOps(
                drop.table_name, [DropConstraintOp.from_constraint(fk) for fk in named],
                schema=drop.schema,
            ))
        dropped_before.add(_key(create.to_table()))
    if added:  # before the first table drop
        first = min(i for i, op in enumerate(ops) if isinstance(op, DropTableOp))
        while first > 0 and isinstance(ops[first - 1], ModifyTableOps) and any(
            _same_table(ops[first - 1], d) for d in drops
        ):
            first -= 1
        ops[first:first] = added
