"""``op`` and ``context``: module-level proxies to the objects of the migration being run.

The runtime installs the current :class:`~mig_core.operations.Operations` and
:class:`~mig_core.runtime.environment.EnvironmentContext` while env.py and revision scripts run,
so ``from mig_core import op`` works as ``from alembic import op`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class ContextProxy:
    """Forwards attribute access to the object installed for the current run.

    With nothing installed, a name is "not available" (NameError). A proxy given ``methods``
    (whether a name is a method of what it stands for) answers as Alembic's module does
    instead: a method is there but raises NameError when called, and anything else is missing
    (AttributeError), so ``hasattr(op, "add_column")`` is True and ``hasattr(context,
    "config")`` False outside a run; a value set then (``context.config = Config()``, for an
    env.py imported by an application) is kept until the next run is installed and ends.
    """

    def __init__(
        self, name: str, where: str, methods: Callable[[str], bool] | None = None
    ) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_where", where)
        object.__setattr__(self, "_methods", methods)
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
        methods = object.__getattribute__(self, "_methods")
        if methods is None:
            raise NameError(message)
        if methods(attr):
            return _not_available(message)
        raise AttributeError(message)

    def __setattr__(self, attr: str, value: Any) -> None:
        stack = object.__getattribute__(self, "_stack")
        if stack or object.__getattribute__(self, "_methods") is None:
            raise AttributeError(f"cannot set attributes on the mig_core.{self._name} proxy")
        object.__getattribute__(self, "_detached")[attr] = value

    def __repr__(self) -> str:
        stack = object.__getattribute__(self, "_stack")
        return f"<mig_core.{self._name} proxy for {stack[-1]!r}>" if stack else (
            f"<mig_core.{self._name} proxy (not active)>"
        )

    def installed(self, target: Any) -> _Installed:
        """Make ``target`` the proxied object inside the ``with`` block (nesting allowed)."""
        return _Installed(self, target)

    def current(self) -> Any:
        """The installed object, or None."""
        stack = object.__getattribute__(self, "_stack")
        return stack[-1] if stack else None


class _Installed:
    """The ``with`` block of :meth:`ContextProxy.installed` (a class, not a generator: the
    runtime enters one per revision)."""

    __slots__ = ("_proxy", "_target")

    def __init__(self, proxy: ContextProxy, target: Any) -> None:
        self._proxy = proxy
        self._target = target

    def __enter__(self) -> Any:
        object.__getattribute__(self._proxy, "_stack").append(self._target)
        return self._target

    def __exit__(self, *exc: object) -> None:
        stack = object.__getattribute__(self._proxy, "_stack")
        stack.pop()
        if not stack:  # as Alembic's module loses its names when a run ends
            object.__getattribute__(self._proxy, "_detached").clear()


def _not_available(message: str) -> Callable[..., Any]:
    def not_available(*args: Any, **kw: Any) -> Any:
        raise NameError(message)

    return not_available


def _environment_context_method(attr: str) -> bool:
    from mig_core.runtime.environment import EnvironmentContext

    return callable(getattr(EnvironmentContext, attr, None))


def _operation(attr: str) -> bool:
    """Whether ``op.<attr>`` is known without a run: a method of Operations, a core directive
    or an Alembic-style ``Operations.register_operation``. A plugin's operations are known only
    in a run (the plugins are chosen then)."""
    from mig_core.builtin.operations import CORE_DIRECTIVES
    from mig_core.operations import custom
    from mig_core.operations.base import Operations

    if attr in CORE_DIRECTIVES or callable(getattr(Operations, attr, None)):
        return True
    entry = custom._REGISTRATIONS.get(attr)
    return entry is not None and entry.op_form is not None


op: Any = ContextProxy(
    "op", "inside a migration script's upgrade() or downgrade()", methods=_operation
)
context: Any = ContextProxy(
    "context", "inside env.py while a mig command runs it", methods=_environment_context_method
)
