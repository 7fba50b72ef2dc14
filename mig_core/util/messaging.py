"""Alembic's ``alembic.util`` message helpers (``msg``, ``err``, ``warn``, ``status``), which
command-line wrappers around the API use to print as the tool does (OpenStack's
``neutron-db-manage`` binds ``log_error = alembic.util.err`` at import)."""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

log = logging.getLogger("mig.util")

T = TypeVar("T")


def msg(message: str, newline: bool = True, flush: bool = False, quiet: bool = False) -> None:
    """Print ``message`` on standard output (nothing when ``quiet``)."""
    if quiet:
        return
    sys.stdout.write(message + ("\n" if newline else ""))
    if flush:
        sys.stdout.flush()


def err(message: str, quiet: bool = False) -> NoReturn:
    """Log ``message`` as an error, print ``FAILED: message`` and exit with status -1, as
    ``alembic.util.err`` does (a ``SystemExit``, not a ``CommandError``)."""
    log.error(message)
    msg(f"FAILED: {message}", quiet=quiet)
    sys.exit(-1)


def warn(message: str, stacklevel: int = 2) -> None:
    """A ``UserWarning`` pointing at the caller."""
    warnings.warn(message, UserWarning, stacklevel=stacklevel)


def warn_deprecated(message: str, stacklevel: int = 2) -> None:
    """A ``DeprecationWarning`` pointing at the caller."""
    warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)


def status(
    status_msg: str, fn: Callable[..., T], *arg: Any, newline: bool = False, quiet: bool = False, **kw: Any
) -> T:
    """Print ``status_msg ...``, call ``fn``, then ``done`` or ``FAILED`` (re-raising)."""
    msg(status_msg + " ...", newline=newline, flush=True, quiet=quiet)
    try:
        result = fn(*arg, **kw)
    except BaseException:
        msg("  FAILED", quiet=quiet)
        raise
    msg("  done", quiet=quiet)
    return result


def format_as_comma(value: str | Iterable[str] | None) -> str:
    """``None`` -> ``""``, a string as it is, an iterable of strings joined by ``", "``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        return ", ".join(value)
    raise ValueError(f"cannot comma-format {value!r}")
