"""Built-in (essential): default execution of operations and the no-op run lock."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from mig_core import hookimpl


@hookimpl(trylast=True)
def mig_ddl_execute(impl: Any, op: Any) -> bool | None:
    """Run ``op`` through the implementation method named by the op (``op.impl_method``)."""
    handler = getattr(op, "run_on_impl", None)
    if handler is None:
        return None
    handler(impl)
    return True


@hookimpl(trylast=True)
def mig_run_lock(impl: Any, timeout: float | None) -> AbstractContextManager[None]:
    """No lock when no dialect plugin offers one."""
    return nullcontext()
