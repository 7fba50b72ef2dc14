"""Built-in: the core's autogenerate renderers, as ``trylast`` hook implementations.

The logic lives in :mod:`mig_core.autogenerate.render`; a plugin's ``mig_render_op`` /
``mig_render_type`` runs first and may take any operation or type over.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mig_core import hookimpl


@hookimpl(trylast=True)
def mig_render_op(ctx: Any, op: Any) -> str | list[str] | None:
    """Every built-in operation (create_table, add_column, alter_column, ...)."""
    import mig_core.autogenerate.render as render  # once per operation: not a from-import

    return render.core_render_op(ctx, op)


@hookimpl(trylast=True)
def mig_render_type(ctx: Any, type_: Any) -> str | None:
    """Any type: ``sa.X(...)``, ``<dialect>.X(...)`` or the user's module path."""
    import mig_core.autogenerate.render as render  # once per column: not a from-import

    return render.render_type_default(ctx, type_)


@hookimpl(trylast=True)
def mig_render_imports(ctx: Any) -> Iterable[str] | None:
    """The core needs nothing beyond what rendering put in ``ctx.imports``."""
    return None
