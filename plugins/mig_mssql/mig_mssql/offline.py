"""What an offline (``--sql``) SQL Server script is written for, and how its values look.

Online, SQLAlchemy asks the server its version and sends values as parameters. Offline it has
neither: its dialect then writes for SQL Server 2005 (``sa.Date`` / ``sa.Time`` as
``DATETIME``) and renders values as text SQL Server may refuse or change. Here the offline
dialect is set up for SQL Server 2012 and later, and writes values the server takes as they are:

* ``datetime``: ISO 8601 with a ``T`` (``'2024-01-02T03:04:05.123'``), read the same whatever
  the session's language or ``DATEFORMAT``; milliseconds for ``DATETIME`` / ``SMALLDATETIME``
  (their string form takes no more digits), microseconds for ``DATETIME2`` / ``DATETIMEOFFSET``
  and for values with a time zone;
* ``date``: ``'YYYYMMDD'``, the one form every date type reads the same in every language;
* a string with non-ASCII characters: ``N'...'``, else the server converts it to the database's
  code page (``'☃'`` becomes ``'?'``), where online a parameter keeps it.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

#: the server version offline scripts are written for: SQL Server 2012
OFFLINE_SERVER_VERSION = (11, 0)

#: statements SQL Server runs only as the first of their batch (a procedure-like object takes
#: everything after it up to the next GO as its body)
_FIRST_IN_BATCH = re.compile(
    r"\s*(--[^\n]*\n\s*)*(?P<words>(CREATE\s+OR\s+ALTER|CREATE|ALTER)\s+"
    r"(PROC|PROCEDURE|FUNCTION|TRIGGER|VIEW|SCHEMA|RULE|DEFAULT))\b",
    re.IGNORECASE,
)


def needs_own_batch(text: str) -> str | None:
    """The opening words of ``text`` when SQL Server needs it to start a batch, else None."""
    match = _FIRST_IN_BATCH.match(text)
    return None if match is None else " ".join(match.group("words").split()).upper()


def literal(value: Any, type_: Any) -> str | None:
    """The T-SQL text of ``value`` in the forms above, or None where SQLAlchemy's is right."""
    if isinstance(value, datetime.datetime):
        return f"'{datetime_text(value, type_)}'"
    if isinstance(value, datetime.date):
        return f"'{value:%Y%m%d}'"
    if isinstance(value, str) and not value.isascii():
        return "N'" + value.replace("'", "''") + "'"
    return None


def datetime_text(value: datetime.datetime, type_: Any) -> str:
    """``value`` in ISO 8601, with as many fractional digits as its column type reads."""
    from sqlalchemy.dialects.mssql import DATETIME2, DATETIMEOFFSET

    if not value.microsecond:
        return value.isoformat(timespec="seconds")
    precise = value.tzinfo is not None or isinstance(type_, (DATETIME2, DATETIMEOFFSET))
    return value.isoformat(timespec="microseconds" if precise else "milliseconds")


def configure_offline(dialect: Any) -> None:
    """Set up a dialect that has no server (offline) as if it had connected to SQL Server 2012.

    ``deprecate_large_types`` given in ``dialect_opts`` is kept.
    """
    if not dialect.server_version_info:
        dialect.server_version_info = OFFLINE_SERVER_VERSION
        dialect._setup_version_attributes()
