"""The PostgreSQL version an offline (``--sql``) script is written for.

Online, SQLAlchemy asks the server its version on connect. Offline it writes for the newest
PostgreSQL, where a ``sa.Computed("a * b")`` column (no ``persisted=``) is ``VIRTUAL`` and is
written with no keyword: a syntax error on every server before 18. Offline scripts are therefore
written for a server before 18 (``GENERATED ALWAYS AS (...) STORED``, as an online run on such a
server writes it) unless ``context.configure(postgresql_server_version="18")`` (or ``"16.4"``,
``(15, 2)``) names the server they are for. Online the option is ignored: the server wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mig_core.errors import ConfigError

OPTION = "postgresql_server_version"


def parse_version(value: Any) -> tuple[int, ...]:
    """``"16"``, ``"16.4"``, ``16``, ``(15, 2)`` -> a version tuple."""
    if isinstance(value, int) and not isinstance(value, bool):
        version: tuple[int, ...] = (value,)
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)*\s*", value):
        version = tuple(int(p) for p in value.split("."))
    elif isinstance(value, (tuple, list)) and all(
        isinstance(p, int) and not isinstance(p, bool) for p in value
    ):
        version = tuple(value)
    else:
        version = ()
    if not version or version[0] < 9:
        raise ConfigError(f"{OPTION} must be a PostgreSQL version such as '16' or '17.2', "
                          f"not {value!r}")
    return version


def configure_offline(dialect: Any, context_opts: Mapping[str, Any]) -> None:
    """Make an offline ``dialect`` write DDL for ``postgresql_server_version`` (default: < 18)."""
    value = context_opts.get(OPTION)
    if value is None:
        dialect.supports_virtual_generated_columns = False
        return
    version = parse_version(value)
    dialect.server_version_info = version
    dialect.supports_identity_columns = version >= (10,)
    dialect._supports_jsonb_subscripting = version >= (14,)
    dialect.supports_virtual_generated_columns = version >= (18,)
