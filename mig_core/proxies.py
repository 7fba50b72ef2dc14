"""``op`` and ``context``: module-level proxies to the objects of the migration being run.

The runtime installs the current :class:`~mig_core.operations.Operations` and
:class:`~mig_core.runtime.environment.EnvironmentContext` while env.py and revision scripts run,
so ``from mig_core import op`` works as ``from alembic import op`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ContextProxy:
    """Forwards attribute access to the object installed for the current run."""

    def __init__(self, name: str, where: str) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_where", where)
        object.__setattr__(self, "_stack", [])

    def __getattr__(self, attr: str) -> Any:
        stack = object.__getattribute__(self, "_stack")
        if not stack and attr.startswith("__"):
            # what the import system, copy, pickle and inspect ask any object: not there
            raise AttributeError(attr)
        if not stack:
            raise NameError(
                f"mig_core.{self._name}.{attr}: '{self._name}' is only available {self._where}"
            )
        return getattr(stack[-1], attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError(f"cannot set attributes on the mig_core.{self._name} proxy")

    def __repr__(self) -> str:
        stack = object.__getattribute__(self, "_stack")
        return f"<mig_core.{self._name} proxy for {stack[-1]!r}>" if stack else (
            f"<mig_core.{self._name} proxy (not active)>"
        )

    @contextmanager
    def installed(self, target: Any) -> Iterator[Any]:
        """Make ``target`` the proxied object inside the ``with`` block (nesting allowed)."""
        stack = object.__getattribute__(self, "_stack")
        stack.append(target)
        try:
            yield target
        finally:
            stack.pop()

    def current(self) -> Any:
        """The installed object, or None."""
        stack = object.__getattribute__(self, "_stack")
        return stack[-1] if stack else None


op: Any = ContextProxy("op", "inside a migration script's upgrade() or downgrade()")
context: Any = ContextProxy("context", "inside env.py while a mig command runs it")
