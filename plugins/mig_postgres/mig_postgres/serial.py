"""SERIAL and identity columns in autogenerate (PostgreSQL).

A database column made as ``SERIAL`` (a ``nextval('t_id_seq')`` default, the sequence owned by
the column) whose model column declares ``sa.Identity()``: PostgreSQL refuses ``ADD GENERATED
... AS IDENTITY`` on a column that has a default, so the plain ``alter_column`` the core
compares to cannot run. :class:`SerialToIdentityOp` replaces it and is written as the steps
that do run: the default dropped, the owned sequence dropped, the identity added, and its
sequence set past the ids the table already holds. Its reverse, :class:`IdentityToSerialOp`,
drops the identity, re-creates the sequence (same type and options, owned by the column), sets
the default again and positions the sequence after the ids.

The other way round (a model ``Integer`` primary key PostgreSQL would make SERIAL, a database
identity column) is no difference: both give the column its values from a sequence, and
SQLAlchemy writes SERIAL only when it creates a table. Dropping the identity would leave the
key with no default at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mig_core.operations.ops import AlterColumnOp, ExecuteSQLOp

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.autogenerate.context import CompareContext
    from mig_core.autogenerate.snapshot import ReflectedTable
    from mig_core.operations.ops import ModifyTableOps


@dataclass
class OwnedSequence:
    """The sequence a SERIAL column owns, as the server holds it (re-created by the reverse).

    ``name`` is the name as the column default writes it (quoted and qualified as needed).
    """

    name: str
    data_type: str
    start: int
    increment: int
    minvalue: int
    maxvalue: int
    cache: int
    cycle: bool

    def create_sql(self, owner: str) -> str:
        """``CREATE SEQUENCE ... OWNED BY <owner>`` re-making it as it was."""
        return (
            f"CREATE SEQUENCE {self.name} AS {self.data_type} START WITH {self.start} "
            f"INCREMENT BY {self.increment} MINVALUE {self.minvalue} MAXVALUE {self.maxvalue} "
            f"CACHE {self.cache} {'CYCLE' if self.cycle else 'NO CYCLE'} OWNED BY {owner}"
        )


class SerialIdentityOp(AlterColumnOp):
    """What both directions know: the column, its ``nextval`` default, its sequence."""

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None,
        existing_type: Any,
        existing_nullable: bool | None,
        existing_comment: str | None,
        default: str,
        identity: sa.Identity,
        sequence: OwnedSequence | None,
        quoted: tuple[str, str],
    ) -> None:
        super().__init__(
            table_name, column_name, schema=schema, existing_type=existing_type,
            existing_nullable=existing_nullable, existing_comment=existing_comment,
        )
        self.default = default
        self.identity = identity
        self.sequence = sequence
        #: (table as SQL, possibly schema-qualified; column as SQL)
        self.quoted = quoted

    def _args(self) -> dict[str, Any]:
        return {
            "schema": self.schema, "existing_type": self.existing_type,
            "existing_nullable": self.existing_nullable,
            "existing_comment": self.existing_comment, "default": self.default,
            "identity": self.identity, "sequence": self.sequence, "quoted": self.quoted,
        }

    def _alter(self, new: Any, existing: Any) -> AlterColumnOp:
        return AlterColumnOp(
            self.table_name, self.column_name, schema=self.schema,
            existing_type=self.existing_type, existing_nullable=self.existing_nullable,
            existing_comment=self.existing_comment, modify_server_default=new,
            existing_server_default=existing,
        )

    def _nextval(self) -> Any:
        import sqlalchemy as sa

        return sa.DefaultClause(sa.text(self.default))

    def steps(self) -> tuple[str, list[Any]]:  # pragma: no cover - overridden
        raise NotImplementedError


class SerialToIdentityOp(SerialIdentityOp):
    """A SERIAL column becoming an identity column (see the module docstring)."""

    def __init__(self, table_name: str, column_name: str, **kw: Any) -> None:
        super().__init__(table_name, column_name, **kw)
        self.modify_server_default = self.identity
        self.existing_server_default = self._nextval()

    def reverse(self) -> IdentityToSerialOp:
        return IdentityToSerialOp(self.table_name, self.column_name, **self._args())

    def steps(self) -> tuple[str, list[Any]]:
        """(comment, operations) the revision is written as."""
        table, column = self.quoted
        increment = self.identity.increment or 1
        start = self.identity.start
        if start is None:
            start = 1 if increment > 0 else -1
        # next value: past the highest id (lowest for a descending identity), at least START
        edge, pick, step = ("MAX", "GREATEST", "+") if increment > 0 else ("MIN", "LEAST", "-")
        position = (
            f"SELECT setval(pg_get_serial_sequence({_literal(table)}, {_literal(self.column_name)}), "
            f"{pick}(COALESCE({edge}({column}) {step} {abs(increment)}, {start}), {start}), false) "
            f"FROM {table}"
        )
        ops: list[Any] = [self._alter(None, self._nextval())]
        if self.sequence is not None:
            ops.append(ExecuteSQLOp(f"DROP SEQUENCE {self.sequence.name}"))
        ops += [self._alter(self.identity, None), ExecuteSQLOp(position)]
        what = "its default and the sequence it owns go" if self.sequence else "its default goes"
        comment = (
            f"{self.table_name}.{self.column_name}: SERIAL to identity. PostgreSQL adds an "
            f"identity only to a column without a default: {what}, the identity comes, and "
            "its sequence is set past the ids the table holds."
        )
        return comment, ops


class IdentityToSerialOp(SerialIdentityOp):
    """The reverse: an identity column back to SERIAL (see the module docstring)."""

    def __init__(self, table_name: str, column_name: str, **kw: Any) -> None:
        super().__init__(table_name, column_name, **kw)
        self.modify_server_default = self._nextval()
        self.existing_server_default = self.identity

    def reverse(self) -> SerialToIdentityOp:
        return SerialToIdentityOp(self.table_name, self.column_name, **self._args())

    def steps(self) -> tuple[str, list[Any]]:
        """(comment, operations) the revision is written as."""
        table, column = self.quoted
        ops: list[Any] = [self._alter(None, self.identity)]
        sequence = self.sequence
        if sequence is not None:
            ops.append(ExecuteSQLOp(sequence.create_sql(f"{table}.{column}")))
        ops.append(self._alter(self._nextval(), None))
        if sequence is not None:
            edge = "MAX" if sequence.increment > 0 else "MIN"
            ops.append(ExecuteSQLOp(
                f"SELECT setval({_literal(sequence.name)}, COALESCE({edge}({column}), "
                f"{sequence.start}), {edge}({column}) IS NOT NULL) FROM {table}"
            ))
        what = "the sequence the column owned comes back, " if sequence else ""
        comment = (
            f"{self.table_name}.{self.column_name}: identity back to SERIAL. The identity "
            f"goes (its sequence with it), {what}the default using it is set again, and the "
            "sequence is set past the ids the table holds."
        )
        return comment, ops


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def render(ctx: Any, op: SerialIdentityOp) -> list[str]:
    """The comment and the ``op.alter_column`` / ``op.execute`` lines of either direction."""
    import textwrap

    from mig_core.autogenerate.render import render_op

    comment, steps = op.steps()
    lines = ["# " + line for line in textwrap.wrap(comment, 88)]
    # op.* even inside a batch block: batch_op.execute runs at once, before the queued
    # batch_op calls, and the steps must run in their order
    saved = (ctx.in_batch, ctx.op_prefix)
    ctx.in_batch, ctx.op_prefix = False, ctx.base_op_prefix
    try:
        for step in steps:
            lines.extend(render_op(ctx, step))
    finally:
        ctx.in_batch, ctx.op_prefix = saved
    return lines


# --- comparison ----------------------------------------------------------------------------------


def settle_serial_columns(
    ctx: CompareContext, modify_ops: ModifyTableOps, conn_table: ReflectedTable,
    meta_table: sa.Table,
) -> None:
    """Replace ``alter_column`` ops PostgreSQL cannot run for SERIAL and identity columns.

    A SERIAL column given an identity becomes a :class:`SerialToIdentityOp` (any other change
    of the same column stays in the ``alter_column`` before it); an identity the model does not
    declare on a column PostgreSQL would make SERIAL is no difference.
    """
    import sqlalchemy as sa

    out: list[Any] = []
    for op in modify_ops.ops:
        if not isinstance(op, AlterColumnOp) or isinstance(op, SerialIdentityOp):
            out.append(op)
            continue
        conn_col = conn_table.columns.get(op.column_name)
        meta_col = next((c for c in meta_table.c if c.name == op.column_name), None)
        if conn_col is None or meta_col is None:
            out.append(op)
            continue
        new, old = op.modify_server_default, op.existing_server_default
        if isinstance(new, sa.Identity) and old in (None, False):
            default = _nextval_default(ctx, conn_table, conn_col.name)
            if default is not None:
                op.modify_server_default = False
                if op.has_changes():
                    out.append(op)
                out.append(_serial_to_identity(ctx, conn_table, conn_col, op, default, new))
                continue
        if new is None and isinstance(old, sa.Identity) and _serial_in_model(meta_col):
            op.modify_server_default = False
            op.existing_server_default = None
            if op.has_changes():
                out.append(op)
            continue
        out.append(op)
    modify_ops.ops[:] = out


def _serial_in_model(meta_col: Any) -> bool:
    """A model column PostgreSQL creates as SERIAL: an autoincrementing integer primary key
    (or ``autoincrement=True``) with no default, sequence or identity of its own."""
    from mig_postgres.compare import _serial_like

    return (
        meta_col.identity is None and meta_col.server_default is None
        and meta_col.default is None and _serial_like(meta_col)
    )


def _nextval_default(ctx: CompareContext, conn_table: ReflectedTable, column: str) -> str | None:
    from mig_postgres.catalog import catalog

    cat = catalog(ctx)
    return cat.nextval_default(conn_table.schema or cat.default_schema, conn_table.name, column)


def _serial_to_identity(
    ctx: CompareContext, conn_table: ReflectedTable, conn_col: Any, op: AlterColumnOp,
    default: str, identity: sa.Identity,
) -> SerialToIdentityOp:
    from mig_postgres.catalog import catalog
    from mig_postgres.compare import _sequence_of

    preparer = ctx.dialect.identifier_preparer
    table = preparer.quote(conn_table.name)
    if conn_table.schema:
        table = f"{preparer.quote_schema(conn_table.schema)}.{table}"
    sequence_name = _sequence_of(default) or ""
    cat = catalog(ctx)
    info = cat.owned_sequence(
        conn_table.schema or cat.default_schema, conn_table.name, conn_col.name, sequence_name
    )
    sequence = OwnedSequence(sequence_name, *info) if info is not None else None
    return SerialToIdentityOp(
        op.table_name, op.column_name, schema=op.schema,
        existing_type=op.modify_type if op.modify_type is not None else op.existing_type,
        existing_nullable=(
            op.modify_nullable if op.modify_nullable is not None else op.existing_nullable
        ),
        existing_comment=(
            op.modify_comment if op.modify_comment is not False else op.existing_comment
        ),
        default=default, identity=identity, sequence=sequence,
        quoted=(table, preparer.quote(conn_col.name)),
    )
