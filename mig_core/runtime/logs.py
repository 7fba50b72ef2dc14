"""Logging set-up for projects that keep an Alembic ini.

An unchanged ``alembic.ini`` configures the ``alembic`` logger (level INFO) and not ``mig``, and
``logging.config.fileConfig`` disables every existing logger it does not name, so mig's progress
lines ("Running upgrade ...") would vanish. When ``mig`` is left unconfigured and ``alembic`` is
configured, mig's loggers follow it.
"""

from __future__ import annotations

import logging


def follow_alembic_logger() -> None:
    """Give the ``mig`` logger the ``alembic`` logger's level and handlers, and re-enable
    ``mig.*`` loggers ``fileConfig`` disabled, when only ``alembic`` was configured."""
    manager = logging.Logger.manager
    if "alembic" not in manager.loggerDict:
        return
    alembic = logging.getLogger("alembic")
    mig = logging.getLogger("mig")
    if mig.level != logging.NOTSET or mig.handlers:
        return  # the user configured mig's logger: leave it as it is
    if alembic.level == logging.NOTSET and not alembic.handlers:
        return
    mig.setLevel(alembic.level)
    for handler in alembic.handlers:
        mig.addHandler(handler)
    mig.propagate = alembic.propagate
    mig.disabled = alembic.disabled
    for name, logger in list(manager.loggerDict.items()):
        if name.startswith("mig.") and isinstance(logger, logging.Logger):
            logger.disabled = alembic.disabled
