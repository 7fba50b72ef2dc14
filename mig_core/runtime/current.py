"""The revision whose ``upgrade()`` / ``downgrade()`` is running, for messages raised meanwhile
(the CLI names it in front of a warning: ``mig: warning: revision b (versions/b.py): ...``)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

#: while a revision's function runs, what makes "revision <id> (<file>)" (built only when asked)
_running: ContextVar[Callable[[], str] | None] = ContextVar("mig_running_revision", default=None)


class running:  # a class, not a generator: the runtime enters one per revision
    """``with running(describe)``: ``describe()`` names the revision running inside the block."""

    __slots__ = ("_describe", "_token")

    def __init__(self, describe: Callable[[], str]) -> None:
        self._describe = describe

    def __enter__(self) -> None:
        self._token = _running.set(self._describe)

    def __exit__(self, *exc: object) -> None:
        _running.reset(self._token)


def running_revision() -> str | None:
    """``revision <id> (<file>)`` while one runs, else None."""
    describe = _running.get()
    return describe() if describe is not None else None
