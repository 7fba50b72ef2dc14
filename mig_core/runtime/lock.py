"""Run-lock plumbing: take the dialect's lock before reading heads, release it at the right time.

The lock itself comes from the dialect plugin through the ``mig_run_lock`` hook (PostgreSQL
advisory lock, SQLite write lock, ...). What the core decides is *when* it is released:

* inside a transaction mig controls: after that transaction commits or rolls back, so a second
  process can never read heads that are about to change;
* with no transaction open (``transaction_per_migration``, non-transactional backends): at the
  end of ``run_migrations()``, every step having committed;
* inside a transaction the caller began (``config.attributes["connection"]`` in a transaction):
  the lock is asked for ``transaction_scoped`` and ends with the caller's transaction.

Offline (``--sql``) no lock is taken and nothing is written: whoever runs the script serializes.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mig_core.runtime.migration import MigrationContext

log = logging.getLogger("mig.runtime")


class RunLock:
    """One acquisition of the run lock for one ``run_migrations()``."""

    def __init__(self, ctx: MigrationContext, timeout: float | None) -> None:
        self.ctx = ctx
        self.timeout = timeout
        self._cm: AbstractContextManager[Any] | None = None
        #: True when the end of mig's transaction releases the lock (not the runner)
        self.released_with_transaction = False

    def acquire(self) -> None:
        ctx = self.ctx
        scoped = ctx._in_external_transaction
        cm = ctx.hooks.mig_run_lock(impl=ctx.impl, timeout=self.timeout, transaction_scoped=scoped)
        if cm is None:
            return
        cm.__enter__()
        self._cm = cm
        if ctx._transaction is not None and ctx._transaction.is_active:
            self.released_with_transaction = True
            ctx._after_transaction.append(lambda committed: self.release())

    @property
    def held(self) -> bool:
        """Whether a dialect lock was taken (and not yet released)."""
        return self._cm is not None

    def release(self) -> None:
        """Give the lock back (idempotent; a dead connection already lost it)."""
        cm, self._cm = self._cm, None
        if cm is None:
            return
        try:
            cm.__exit__(None, None, None)
        except Exception as exc:  # the connection died: the server dropped the lock with it
            log.warning("could not release the run lock cleanly: %s: %s", type(exc).__name__, exc)
