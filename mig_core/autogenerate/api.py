"""Public autogenerate API: compare a model with a database, produce and render operations.

``compare_metadata(context, metadata)`` gives diff entries, ``produce_migrations(context,
metadata)`` a :class:`~mig_core.operations.ops.MigrationScript` whose downgrade is the upgrade
reversed, ``render_python_code(ops)`` Python source. :func:`revision_directives` is what
``mig revision --autogenerate`` and ``mig check`` run inside env.py.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

from mig_core.autogenerate.context import CompareContext, RenderContext
from mig_core.operations.ops import (
    DowngradeOps,
    MigrationScript,
    OpContainer,
    UpgradeOps,
)

if TYPE_CHECKING:
    from mig_core.runtime.migration import MigrationContext

#: Alembic's name for the object a ``render_item`` hook receives (``imports``, the prefixes,
#: ``migration_context``): mig's :class:`RenderContext`
AutogenContext = RenderContext


def produce_upgrade_ops(
    context: MigrationContext,
    metadata: Any = None,
    *,
    opts: dict[str, Any] | None = None,
    upgrade_token: str = "upgrades",
) -> UpgradeOps:
    """The operations that bring the database to the model, through the comparator hooks."""
    from mig_core.autogenerate.compare_tables import schemas_to_compare

    ctx = CompareContext(context, metadata, opts)
    if not ctx.metadatas:
        from mig_core.errors import CommandError

        raise CommandError(
            "autogenerate needs the model: pass target_metadata=<MetaData> to "
            "context.configure() in env.py"
        )
    upgrade_ops = UpgradeOps([], upgrade_token=upgrade_token)
    # reflection and comparison allocate many small objects that all live until the end:
    # the cyclic garbage collector would only rescan them over and over
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        ctx.hooks.mig_compare_schema(
            ctx=ctx, schemas=schemas_to_compare(ctx), upgrade_ops=upgrade_ops
        )
    finally:
        ctx.release()  # freed now, by reference counting, not by the collector later
        if gc_was_enabled:
            gc.enable()
    return upgrade_ops


def compare_metadata(context: MigrationContext, metadata: Any) -> list[Any]:
    """Diff entries between ``metadata`` (a MetaData or a list) and the connected database.

    Each entry is a tuple such as ``("add_table", Table)`` or ``("remove_index", Index)``;
    the changes to one column come together as a list of ``("modify_type", schema, table,
    column, existing_kw, old, new)``-style tuples.
    """
    return diffs_of(produce_upgrade_ops(context, metadata))


def diffs_of(container: OpContainer) -> list[Any]:
    """Diff entries of an operation tree (column changes nested per column)."""
    return container.as_diffs()


def produce_migrations(context: MigrationContext, metadata: Any) -> MigrationScript:
    """A MigrationScript whose upgrade brings the database to ``metadata`` and downgrade back."""
    upgrade_ops = produce_upgrade_ops(context, metadata)
    return MigrationScript(
        rev_id=None,
        upgrade_ops=upgrade_ops,
        downgrade_ops=reverse_ops(upgrade_ops),
    )


def reverse_ops(upgrade_ops: UpgradeOps) -> DowngradeOps:
    """The downgrade: every operation reversed, last first."""
    return upgrade_ops.reverse()


def render_python_code(
    up_or_down_op: OpContainer,
    sqlalchemy_module_prefix: str = "sa.",
    alembic_module_prefix: str = "op.",
    render_as_batch: bool = False,
    imports: Any = (),
    render_item: Any = None,
    migration_context: MigrationContext | None = None,
    user_module_prefix: str | None = None,
    *,
    mig_module_prefix: str | None = None,
    plugin_manager: Any = None,
) -> str:
    """Python source for an UpgradeOps / DowngradeOps tree (indented for a function body).

    ``alembic_module_prefix`` is kept for Alembic compatibility; ``mig_module_prefix`` is the
    same option under mig's name and wins when both are given.
    """
    from mig_core.autogenerate.render import render_ops_body

    hooks = None
    if plugin_manager is not None:
        hooks = plugin_manager.hooks_for(
            str(migration_context.dialect.name) if migration_context is not None else None
        )
    ctx = RenderContext(
        migration_context=migration_context,
        hooks=hooks,
        opts={
            "sqlalchemy_module_prefix": sqlalchemy_module_prefix,
            "mig_module_prefix": mig_module_prefix or alembic_module_prefix,
            "render_as_batch": render_as_batch,
            "render_item": render_item,
            "user_module_prefix": user_module_prefix,
        },
        imports=imports,
    )
    return render_ops_body(ctx, up_or_down_op)


def revision_directives(config: Any, script: Any, **kw: Any) -> Any:
    """``mig revision --autogenerate`` (see :func:`mig_core.autogenerate.revision.revision_directives`)."""
    from mig_core.autogenerate.revision import revision_directives as run

    return run(config, script, **kw)
