"""The revision whose ``upgrade()`` / ``downgrade()`` is running, for messages raised meanwhile
(the CLI names it in front of a warning: ``mig: warning: revision b (versions/b.py): ...``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: while a revision's function runs, what makes "revision <id> (<file>)" (built only when asked)
_running: ContextVar[Callable[[], str] | None] = ContextVar("mig_running_revision", default=None)


@contextmanager
def running(describe: Callable[[], str]) -> Iterator[None]:
    token = _running.set(describe)
    try:
        yield
    finally:
        _running.reset(token)


def running_revision() -> str | None:
    """``revision <id> (<file>)`` while one runs, else None."""
    describe = _running.get()
    return describe() if describe is not None else None
