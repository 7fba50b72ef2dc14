"""``alembic.ext.checkconstraint_byname``: named CHECK constraints added and removed, by name.

Opt-in, as in Alembic 1.19.2+: ``context.configure(autogenerate_plugins=["alembic.autogenerate.*",
"alembic.ext.checkconstraint_byname"])`` (also under the legacy name
``alembic.autogenerate.checkconstraint_byname`` and mig's ``mig_core.ext.checkconstraint_byname``).

* A CHECK constraint whose name is on one side only is created (``op.create_check_constraint``)
  or dropped (``op.drop_constraint(..., type_="check")``, whose reverse re-creates it with the
  SQL the database reports). A name a naming convention gave counts as a name.
* Only names are compared: a changed condition under the same name is not reported.
* Constraints without a name in the model are left alone, and so are the ones a type makes
  (``Boolean`` / ``Enum(create_constraint=True)``). The database names every constraint
  (PostgreSQL ``t_x_check``, MariaDB ``CONSTRAINT_1``): a reflected one with a name the model
  lacks is left alone too when its condition is one of those unnamed model constraints'.
* ``include_name`` / ``include_object`` see them as type ``"check_constraint"``.

CHECK constraints are reflected (``Inspector.get_multi_check_constraints``, with the primary
keys, in bulk) only when this comparison is on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mig_core.autogenerate.compare_constraints import (
    AskOnce,
    _is_unnamed,
    normalize_expression,
)
from mig_core.operations.ops import AddConstraintOp, DropConstraintOp

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.autogenerate.context import CompareContext
    from mig_core.autogenerate.snapshot import ReflectedTable
    from mig_core.operations.ops import MigrateOperation


def model_checks(table: sa.Table) -> list[sa.CheckConstraint]:
    """The table's CHECK constraints, its columns' ones included."""
    import sqlalchemy as sa

    found = [c for c in table.constraints if isinstance(c, sa.CheckConstraint)]
    for column in table.columns:
        found.extend(c for c in column.constraints if isinstance(c, sa.CheckConstraint))
    return found


def _condition(ctx: CompareContext, sqltext: Any) -> str | None:
    """A condition as comparable text (no quotes, casts, parentheses, spaces or case)."""
    from mig_core.autogenerate.compare_constraints import clause_text

    try:
        return normalize_expression(clause_text(ctx.dialect, sqltext))
    except Exception:  # a condition that cannot be compiled alone: never matched
        return None


def compare_check_constraints(
    ctx: CompareContext, schema: str | None, conn_table: ReflectedTable, meta_table: sa.Table
) -> tuple[list[MigrateOperation], list[MigrateOperation]]:
    """(drops, adds) for the named CHECK constraints of one table both sides have."""
    parents = ctx.table_parent_names(meta_table.name, schema)
    keep = AskOnce(ctx) if ctx._name_filters else None
    named: dict[str, sa.CheckConstraint] = {}
    ignored_names: set[str] = set()
    unnamed_conditions: list[str | None] = []
    for check in model_checks(meta_table):
        name = None if _is_unnamed(check.name) else str(check.name)
        if getattr(check, "_type_bound", False):
            if name is not None:
                ignored_names.add(name)
            else:
                unnamed_conditions.append(_condition(ctx, check.sqltext))
        elif name is None:
            unnamed_conditions.append(_condition(ctx, check.sqltext))
        elif keep is None or keep(name, "check_constraint", parents):
            named[name] = check
    reflected: dict[str, dict[str, Any]] = {}
    for record in conn_table.check_constraints:
        name = record.get("name")
        # every named one of the database is offered to include_name, as Alembic does
        if not name or (keep is not None and not keep(name, "check_constraint", parents)):
            continue
        if name in ignored_names:
            continue
        if name not in named and unnamed_conditions:
            condition = _condition(ctx, record.get("sqltext") or "")
            if condition in unnamed_conditions:  # an unnamed model constraint, named by the DB
                unnamed_conditions.remove(condition)
                continue
        reflected[str(name)] = record
    drops: list[MigrateOperation] = []
    for name in sorted(set(reflected) - set(named)):
        check = _reflected_check(conn_table, reflected[name])
        if not ctx.has_object_filters or ctx.run_object_filters(
            check, name, "check_constraint", True, None
        ):
            drops.append(DropConstraintOp.from_constraint(check))
    # include_object only for what is added (as for indexes): one kept both sides is no change
    adds: list[MigrateOperation] = [
        AddConstraintOp.from_constraint(named[name]) for name in sorted(set(named) - set(reflected))
        if not ctx.has_object_filters
        or ctx.run_object_filters(named[name], name, "check_constraint", False, None)
    ]
    return drops, adds


def _reflected_check(conn_table: ReflectedTable, record: dict[str, Any]) -> sa.CheckConstraint:
    """The CheckConstraint of a reflection record, on a table of the reflected table's name."""
    import sqlalchemy as sa

    from mig_core.autogenerate.snapshot import final_name

    check = sa.CheckConstraint(sa.text(record["sqltext"]), name=final_name(record["name"]))
    sa.Table(conn_table.name, sa.MetaData(), check, schema=conn_table.schema)
    return check
