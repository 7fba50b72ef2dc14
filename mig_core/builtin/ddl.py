"""Built-in (essential): default execution of operations and the no-op run lock."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from mig_core import hookimpl


@hookimpl(trylast=True)
def mig_ddl_execute(impl: Any, op: Any) -> Any:
    """Carry out a built-in operation through the impl's method for it.

    Operation classes of other plugins are carried out by their own ``run_on_impl(impl)``
    method when they have one. Returns the operation's result (``create_table``: the Table),
    True when there is none, and None for an operation nobody knows.
    """
    from mig_core.operations.toimpl import run  # a module, not a package: no fromlist walk

    result = run(impl, op)
    if result is not None:
        return result
    handler = getattr(op, "run_on_impl", None)
    if handler is None:
        return None
    outcome = handler(impl)
    return True if outcome is None else outcome


@hookimpl(trylast=True)
def mig_run_lock(impl: Any, timeout: float | None) -> AbstractContextManager[None]:
    """No lock when no dialect plugin offers one."""
    return nullcontext()
