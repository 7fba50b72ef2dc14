"""Logging set-up for projects that keep an Alembic ini.

An unchanged ``alembic.ini`` configures the ``alembic`` logger (level INFO) and not ``mig``, and
``logging.config.fileConfig`` disables every existing logger it does not name, so mig's progress
lines ("Running upgrade ...") would vanish. When ``mig`` is left unconfigured and ``alembic`` is
configured, mig's loggers follow it, on every run (env.py calls ``fileConfig`` again each time).
"""

from __future__ import annotations

import logging

#: marks a ``mig`` logger whose settings were copied from ``alembic`` by mig itself
_FOLLOWS = "_mig_follows_alembic"


def follow_alembic_logger() -> None:
    """Give the ``mig`` logger the ``alembic`` logger's level and handlers, and re-enable the
    ``mig.*`` loggers ``fileConfig`` disabled, unless someone else configured ``mig``."""
    manager = logging.Logger.manager
    mig = logging.getLogger("mig")
    ours = getattr(mig, _FOLLOWS, None)
    if ours is None and (mig.level != logging.NOTSET or mig.handlers):
        return  # the user configured mig's logger: leave it as it is
    alembic = logging.getLogger("alembic") if "alembic" in manager.loggerDict else None
    if alembic is None or (alembic.level == logging.NOTSET and not alembic.handlers):
        if ours is not None:  # an earlier run followed alembic; this one's ini does not
            _restore(mig, ours)
        return
    if ours is not None:
        for handler in ours:
            mig.removeHandler(handler)
    mig.setLevel(alembic.level)
    for handler in alembic.handlers:
        mig.addHandler(handler)
    setattr(mig, _FOLLOWS, list(alembic.handlers))
    mig.propagate = alembic.propagate
    mig.disabled = alembic.disabled
    for name, logger in list(manager.loggerDict.items()):
        if name.startswith("mig.") and isinstance(logger, logging.Logger):
            logger.disabled = alembic.disabled


def _restore(mig: logging.Logger, handlers: list[logging.Handler]) -> None:
    """Undo what following ``alembic`` set on ``mig``."""
    for handler in handlers:
        mig.removeHandler(handler)
    mig.setLevel(logging.NOTSET)
    mig.propagate = True
    delattr(mig, _FOLLOWS)
