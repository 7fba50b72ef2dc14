"""``mig plugins``: what is installed, loaded, blocked or broken."""

from __future__ import annotations

import json

from mig_core.config import Config
from mig_core.plugins import PluginRecord, get_plugin_manager


def plugins(config: Config, as_json: bool = False) -> None:
    pm = get_plugin_manager(config)
    listing = pm.plugin_listing()
    if as_json:
        config.print_stdout(json.dumps([r.as_dict() for r in listing], indent=2))
    else:
        _print_listing(config, listing)
    if pm.listing_errors:  # the list first, so the user sees both plugins named
        raise pm.listing_errors[0]


def _print_listing(config: Config, listing: list[PluginRecord]) -> None:
    for record in listing:
        dist = f"{record.distribution} {record.version}" if record.distribution else "-"
        line = f"{record.name:<30} {record.status:<8} {dist}"
        if record.dialects:
            line += f"  dialects: {', '.join(record.dialects)}"
        if record.operations:
            shown = ", ".join(record.operations[:6])
            more = len(record.operations) - 6
            line += f"  operations: {shown}" + (f" (+{more})" if more > 0 else "")
        if record.error:
            line += f"  error: {record.error}"
        config.print_stdout(line)
        if record.hooks and not record.builtin:
            config.print_stdout(f"{'':<30} hooks: {', '.join(record.hooks)}")
