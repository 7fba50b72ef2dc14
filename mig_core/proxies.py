"""``op`` and ``context``: module-level proxies to the objects of the migration being run.

The runtime installs the current :class:`~mig_core.operations.Operations` and
:class:`~mig_core.runtime.environment.EnvironmentContext` while env.py and revision scripts run,
so ``from mig_core import op`` works as ``from alembic import op`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class ContextProxy:
    """Forwards attribute access to the object installed for the current run.

    With nothing installed, a name is "not available" (NameError). A proxy given ``spec``
    (the class it stands for) answers as Alembic's module does instead: a method is there but
    raises NameError when called, and anything else is missing (AttributeError), so
    ``hasattr(context, "config")`` is False outside a run; a value set then
    (``context.config = Config()``, for an env.py imported by an application) is kept until
    the next run is installed and ends.
    """

    def __init__(self, name: str, where: str, spec: Callable[[], type] | None = None) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_where", where)
        object.__setattr__(self, "_spec", spec)
        object.__setattr__(self, "_stack", [])
        object.__setattr__(self, "_detached", {})

    def __getattr__(self, attr: str) -> Any:
        stack = object.__getattribute__(self, "_stack")
        if stack:
            return getattr(stack[-1], attr)
        if attr.startswith("__"):
            # what the import system, copy, pickle and inspect ask any object: not there
            raise AttributeError(attr)
        detached = object.__getattribute__(self, "_detached")
        if attr in detached:
            return detached[attr]
        message = f"mig_core.{self._name}.{attr}: '{self._name}' is only available {self._where}"
        spec = object.__getattribute__(self, "_spec")
        if spec is None:
            raise NameError(message)
        if callable(getattr(spec(), attr, None)):
            return _not_available(message)
        raise AttributeError(message)

    def __setattr__(self, attr: str, value: Any) -> None:
        stack = object.__getattribute__(self, "_stack")
        if stack or object.__getattribute__(self, "_spec") is None:
            raise AttributeError(f"cannot set attributes on the mig_core.{self._name} proxy")
        object.__getattribute__(self, "_detached")[attr] = value

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
            if not stack:  # as Alembic's module loses its names when a run ends
                object.__getattribute__(self, "_detached").clear()

    def current(self) -> Any:
        """The installed object, or None."""
        stack = object.__getattribute__(self, "_stack")
        return stack[-1] if stack else None


def _not_available(message: str) -> Callable[..., Any]:
    def not_available(*args: Any, **kw: Any) -> Any:
        raise NameError(message)

    return not_available


def _environment_context() -> type:
    from mig_core.runtime.environment import EnvironmentContext

    return EnvironmentContext


op: Any = ContextProxy("op", "inside a migration script's upgrade() or downgrade()")
context: Any = ContextProxy(
    "context", "inside env.py while a mig command runs it", spec=_environment_context
)
