"""Hook implementations of the Oracle plugin (only hookimpls; the logic lives in plain modules).

Importing this module must not import SQLAlchemy or a database driver. Every hook here is
dialect-bound: it runs only when the run's dialect is ``oracle``.
"""

from __future__ import annotations

from typing import Any

from mig_core import hookimpl


@hookimpl
def mig_register_dialects(registry: Any) -> None:
    registry.add("oracle", "mig_oracle.impl:OracleImpl", transactional_ddl=False)


@hookimpl
def mig_run_lock(impl: Any, timeout: float | None, transaction_scoped: bool) -> Any:
    """The run lock (see lock.py); imported only when a writing command runs online."""
    from mig_oracle.lock import OracleRunLock

    return OracleRunLock(impl, timeout, transaction_scoped)


@hookimpl
def mig_compare_type(ctx: Any, conn_col: Any, meta_col: Any) -> bool | None:
    """Oracle's type synonyms and NUMBER precision/scale (see compare.py)."""
    from mig_oracle.compare import types_differ

    return types_differ(ctx.dialect, conn_col.type, meta_col.type)


@hookimpl
def mig_compare_server_default(
    ctx: Any, conn_col: Any, meta_col: Any, conn_default: str | None, meta_default: str | None
) -> bool | None:
    """Defaults as Oracle stores them: trimmed, ``NULL`` as none, unwrapped (see compare.py)."""
    from mig_oracle.compare import server_defaults_differ

    return server_defaults_differ(conn_default, meta_default, meta_col)


@hookimpl
def mig_render_type(ctx: Any, type_: Any) -> str | None:
    """``oracle.NUMBER(...)`` and ``oracle.VECTOR(...)``; other types are the core's."""
    from mig_oracle.render import render_type

    return render_type(ctx, type_)
