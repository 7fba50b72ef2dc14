"""``alembic.util.Dispatcher``: functions registered per class (or per name) and found along
the class's MRO. Projects use it to route autogenerate's op directives in their own
``process_revision_directives`` (OpenStack Neutron sorts them into expand and contract).
Also Alembic's names for the order and flow of ``comparators.dispatch_for`` functions:
``DispatchPriority`` and ``PriorityDispatchResult``."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

Fn = Callable[..., Any]


class Dispatcher:
    """A registry of functions keyed by ``(target, qualifier)``; ``dispatch(obj)`` finds the one
    for ``obj`` (a string key, a class, or an instance of a registered class or subclass),
    preferring the given qualifier over ``"default"``. With ``uselist=True`` several functions
    may share a key and ``dispatch`` returns one that calls them all in order."""

    def __init__(self, uselist: bool = False) -> None:
        self.uselist = uselist
        self._registry: dict[tuple[Any, str], Any] = {}

    def dispatch_for(self, target: Any, qualifier: str = "default", replace: bool = False) -> Callable[[Fn], Fn]:
        def register(fn: Fn) -> Fn:
            key = (target, qualifier)
            if self.uselist:
                self._registry.setdefault(key, []).append(fn)
            elif key in self._registry and not replace:
                raise ValueError(
                    f"a dispatch function is already registered for {target!r} "
                    f"(qualifier {qualifier!r}); pass replace=True to replace it"
                )
            else:
                self._registry[key] = fn
            return fn

        return register

    def dispatch(self, obj: Any, qualifier: str = "default") -> Fn:
        if isinstance(obj, str):
            targets: tuple[Any, ...] = (obj,)
        elif isinstance(obj, type):
            targets = obj.__mro__
        else:
            targets = type(obj).__mro__
        for target in targets:
            for key in ((target, qualifier), (target, "default")):
                if key in self._registry:
                    return self._callable(self._registry[key])
        raise ValueError(f"no dispatch function for object: {obj!r}")

    def _callable(self, found: Any) -> Fn:
        if not self.uselist:
            return found  # type: ignore[no-any-return]
        fns = list(found)

        def call_all(*args: Any, **kw: Any) -> None:
            for fn in fns:
                fn(*args, **kw)

        return call_all

    def branch(self) -> Dispatcher:
        """A copy whose later registrations do not reach this one."""
        copy = Dispatcher(self.uselist)
        copy._registry = {k: (list(v) if self.uselist else v) for k, v in self._registry.items()}
        return copy


class DispatchPriority(enum.IntEnum):
    """``comparators.dispatch_for(..., priority=)``: higher runs first (a plain number works
    too)."""

    FIRST = 50
    MEDIUM = 25
    LAST = 10


class PriorityDispatchResult(enum.Enum):
    """What a comparator may return: ``STOP`` skips the later functions of its ``subgroup``
    (for the same target and call); anything else, None included, continues."""

    CONTINUE = enum.auto()
    STOP = enum.auto()
