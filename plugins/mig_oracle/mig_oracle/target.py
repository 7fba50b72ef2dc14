"""The Oracle version an offline (``--sql``) script is written for.

Online, SQLAlchemy asks the server its version on connect and writes DDL it supports. Offline
there is no server, and SQLAlchemy writes for the newest Oracle: ``BOOLEAN`` columns (23ai),
identity columns (12c) and 128-byte names (12.2). ``context.configure(oracle_server_version=
"19")`` (or ``"11.2"``, ``(12, 1)``) writes the script for that version instead, as if the
dialect had connected to it: ``sa.Boolean`` becomes ``SMALLINT`` before 23, names are limited
to 30 bytes before 12.2 (unless ``oracle_max_identifier_length`` says otherwise), and identity
columns are refused before 12. Online the option is ignored: the server's version wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mig_core.errors import ConfigError
from mig_oracle import names

OPTION = "oracle_server_version"


def parse_version(value: Any) -> tuple[int, ...]:
    """``"19"``, ``"19.3.0"``, ``19``, ``(12, 1)`` -> a version tuple."""
    if isinstance(value, int) and not isinstance(value, bool):
        parts: list[Any] = [value]
    elif isinstance(value, str):
        parts = value.strip().split(".")
    elif isinstance(value, (tuple, list)):
        parts = list(value)
    else:
        parts = []
    try:
        version = tuple(int(p) for p in parts)
    except (TypeError, ValueError):
        version = ()
    if not version or version[0] < 8 or any(p < 0 for p in version):
        raise ConfigError(
            f"{OPTION} must be an Oracle version such as '19' or '12.1', not {value!r}"
        )
    return version


def configure_target(dialect: Any, context_opts: Mapping[str, Any], offline: bool) -> None:
    """Make an offline ``dialect`` write DDL for ``oracle_server_version`` (if given)."""
    value = context_opts.get(OPTION)
    if value is None:
        return
    version = parse_version(value)
    if not offline:
        return
    dialect.server_version_info = version
    dialect.supports_native_boolean = version >= (23,)
    dialect.supports_identity_columns = version >= (12,)
    dialect._supports_oracle_json = version >= (21,)
    dialect._supports_offset_fetch = bool(getattr(dialect, "enable_offset_fetch", True)) and (
        version >= (12,)
    )
    if version < (12, 2) and context_opts.get(names.OPTION) is None:
        dialect.max_identifier_length = names.LEGACY_LIMIT
        dialect._user_defined_max_identifier_length = names.LEGACY_LIMIT
