"""Progress of a long ``INSERT ... SELECT`` copy on SQLite.

The copy is one statement, so progress comes from SQLite's progress handler, called every
``TICK`` virtual-machine instructions. Rows copied are estimated from the instructions the
statement's copy loop takes per row (read from ``EXPLAIN``) and the row count from the table's
rowid range. Reports go to the ``mig.batch`` logger at INFO, and to the run's
``batch_progress(table, rows_copied, rows_estimated, seconds)`` callback when one is
configured (``context.configure(batch_progress=...)``); an exception raised by the callback
stops the copy, and the transaction rolls back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("mig.batch")

#: virtual-machine instructions between two calls of the handler
TICK = 50_000
#: seconds between two reports
DEFAULT_INTERVAL = 2.0

#: instructions an INSERT adds per row besides one per column (record, rowid, insert)
INSERT_OPS = 4

_LOOP_OPCODES = {"Next", "Prev", "Goto", "VNext", "SorterNext"}


def ops_per_row(dbapi: Any, select_sql: str) -> int:
    """Instructions one copied row costs: the length of the loops of the copy's ``SELECT``,
    plus what inserting the row adds (one per column, a few for the record and the insert).

    Only the ``SELECT`` is explained: ``EXPLAIN`` of the whole ``INSERT ... SELECT`` into a
    table with foreign keys crashed SQLite 3.40.1 (a segmentation fault, at random)."""
    try:
        cursor = dbapi.cursor()
        try:
            program = cursor.execute("EXPLAIN " + select_sql).fetchall()
        finally:
            cursor.close()
    except Exception:
        return 20
    total = 0
    result_columns = 0
    for row in program:
        addr, opcode, _p1, p2 = row[0], row[1], row[2], row[3]
        if opcode in _LOOP_OPCODES and isinstance(p2, int) and 0 <= p2 < addr:
            total += addr - p2 + 1
        elif opcode == "ResultRow" and isinstance(p2, int):
            result_columns = p2
    return max(total + result_columns + INSERT_OPS, 1)


class CopyProgress:
    """Installs the progress handler around one copy statement."""

    def __init__(
        self,
        dbapi: Any,
        table: str,
        select_sql: str,
        rows_estimated: int | None,
        callback: Callable[[str, int, int | None, float], Any] | None = None,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self.dbapi = dbapi
        self.table = table
        self.rows_estimated = rows_estimated
        self.callback = callback
        self.interval = interval
        self.per_row = ops_per_row(dbapi, select_sql)
        self.instructions = 0
        self.error: BaseException | None = None
        self._started = 0.0
        self._last = 0.0

    @staticmethod
    def supported(dbapi: Any) -> bool:
        return hasattr(dbapi, "set_progress_handler")

    def __enter__(self) -> CopyProgress:
        self._started = self._last = time.monotonic()
        self.dbapi.set_progress_handler(self._tick, TICK)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.dbapi.set_progress_handler(None, TICK)

    def rows_copied(self) -> int:
        rows = self.instructions // self.per_row
        if self.rows_estimated is not None:
            rows = min(rows, self.rows_estimated)
        return rows

    def signalled(self, exc: BaseException) -> bool:
        """Whether the copy failed as ``interrupted`` without the handler asking for it: a
        signal (Ctrl-C) raised KeyboardInterrupt as the handler was entered, and sqlite3
        dropped it and stopped the statement."""
        return self.error is None and str(exc).rstrip().endswith("failed: interrupted")

    def _tick(self) -> int:
        try:
            return self._report()
        except BaseException as exc:  # a report that fails (or Ctrl-C inside it) stops the copy
            self.error = exc
            return 1

    def _report(self) -> int:
        self.instructions += TICK
        now = time.monotonic()
        if now - self._last < self.interval:
            return 0
        self._last = now
        rows, elapsed = self.rows_copied(), now - self._started
        if self.rows_estimated:
            share = f" ({100 * rows // max(self.rows_estimated, 1)}%)"
            log.info("copying %s: ~%d of ~%d rows%s, %.1f s", self.table, rows,
                     self.rows_estimated, share, elapsed)
        else:
            log.info("copying %s: ~%d rows, %.1f s", self.table, rows, elapsed)
        if self.callback is not None:  # an exception stops the copy; re-raised by the recreate
            self.callback(self.table, rows, self.rows_estimated, elapsed)
        return 0
