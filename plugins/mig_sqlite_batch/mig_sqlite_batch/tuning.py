"""A larger page cache for the duration of a SQLite recreate, restored afterwards.

SQLite sizes the sorter of ``CREATE INDEX`` by the main database's ``cache_size``: with the
default 2 MiB, indexing a table of a million rows writes the sorted keys to temporary files in
small runs and merges them; with enough cache the keys are sorted in memory (about 8% fewer
instructions for the whole recreate of the benchmark's million rows). The page cache also keeps
more of the pages just written for the index scans that follow.
Neither changes what is written nor how it is made durable (no ``synchronous``,
``journal_mode`` or ``secure_delete`` change): the same pages reach the file through the same
journal at commit.

The cache only grows: a connection already configured larger is left alone. SQLite allocates
cache pages and sorter memory as they are used, so a small table costs no more memory than
before. The setting is ``context.configure(sqlite_batch_cache_size=KiB)`` (``0`` leaves the
connection's own); it is restored when the recreate ends, also on failure.
"""

from __future__ import annotations

import logging
from typing import Any

from mig_sqlite_batch.fkeys import raw_rows

log = logging.getLogger("mig.batch")

#: KiB of page cache (and sorter memory) during a recreate: the keys of an index over about
#: two million rows sort in memory
DEFAULT_CACHE_KIB = 65_536

OPTION = "sqlite_batch_cache_size"


def _query(dbapi: Any, sql: str) -> Any:
    """The first value of ``sql``'s first row (None when it returns none)."""
    rows = raw_rows(dbapi, sql)
    return rows[0][0] if rows else None


def _kib(value: int, page_size: int) -> int:
    """A ``cache_size`` value in KiB (negative values are KiB, positive ones pages)."""
    return -value if value < 0 else value * page_size // 1024


class LargerCache:
    """Raise ``cache_size`` of ``main`` and of the table's schema; restore it on exit."""

    def __init__(self, dbapi: Any, schema: str | None, kib: int, quote: Any) -> None:
        self.dbapi = dbapi
        self.kib = kib
        self.schemas = ["main"]
        if schema and schema.lower() != "main":
            self.schemas.append(schema)
        self.quote = quote
        self.previous: dict[str, int] = {}

    def _pragma(self, schema: str) -> str:
        return f"PRAGMA {self.quote(schema)}.cache_size"

    def __enter__(self) -> LargerCache:
        if self.kib <= 0:
            return self
        for schema in self.schemas:
            current = int(_query(self.dbapi, self._pragma(schema)))
            page_size = int(_query(self.dbapi, f"PRAGMA {self.quote(schema)}.page_size"))
            if _kib(current, page_size) >= self.kib:
                continue
            _query(self.dbapi, f"{self._pragma(schema)} = -{self.kib}")
            self.previous[schema] = current
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        failures = []
        for schema, value in self.previous.items():
            try:
                _query(self.dbapi, f"{self._pragma(schema)} = {value}")
            except Exception as error:  # keep restoring the others; report below
                failures.append(error)
        self.previous.clear()
        if failures:
            if exc_type is not None:  # the recreate's own error says more
                log.warning("could not restore PRAGMA cache_size: %s", failures[0])
                return
            raise failures[0]


def larger_cache(impl: Any, dbapi: Any, schema: str | None) -> LargerCache:
    """The cache guard for a recreate on ``impl``'s connection (``sqlite_batch_cache_size``)."""
    kib = impl.context_opts.get(OPTION, DEFAULT_CACHE_KIB)
    if kib is None or isinstance(kib, bool) or not isinstance(kib, int) or kib < 0:
        from mig_core.errors import CommandError

        raise CommandError(
            f"context.configure({OPTION}=...) must be a whole number of KiB (0 leaves the "
            f"connection's cache as it is), not {kib!r}"
        )
    return LargerCache(dbapi, schema, kib, impl.dialect.identifier_preparer.quote_schema)
