"""Alembic 1.18's autogenerate plugin names: which comparisons ``context.configure(
autogenerate_plugins=[...])`` turns on.

Each plugin has a dotted name. mig's own comparisons answer to Alembic's built-in names
(:data:`BUILTIN_NAMES`: ``alembic.autogenerate.schemas``, ``.tables``, ``.types``,
``.constraints``, ``.defaults``, ``.comments``) and the opt-in
``alembic.ext.checkconstraint_byname``. ``autogenerate_plugins`` is a list of name patterns,
resolved by :func:`enabled_plugins` once per comparison:

* a pattern is split on ``.``; each part is an identifier or ``*`` (else ValueError);
* ``*`` matches one or more parts, so ``alembic.*`` matches ``alembic.ext.checkconstraint_byname``;
* ``~pattern`` excludes, and an exclusion wins over any inclusion;
* an inclusion matching no plugin is a CommandError ("Did not locate plugins: ...");
* the default is ``["alembic.autogenerate.*"]``: the built-ins, not the ``alembic.ext`` ones.

Importing this module stays cheap (no SQLAlchemy): it is imported at the first comparison.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from mig_core.errors import CommandError

#: Alembic's built-in autogenerate plugins, mapped onto mig's own comparisons
SCHEMAS = "alembic.autogenerate.schemas"
TABLES = "alembic.autogenerate.tables"
TYPES = "alembic.autogenerate.types"
CONSTRAINTS = "alembic.autogenerate.constraints"
DEFAULTS = "alembic.autogenerate.defaults"
COMMENTS = "alembic.autogenerate.comments"
BUILTIN_NAMES = (SCHEMAS, TABLES, TYPES, CONSTRAINTS, DEFAULTS, COMMENTS)
#: the opt-in comparison of named CHECK constraints (see mig_core.ext.checkconstraint_byname)
CHECKCONSTRAINT_BYNAME = "alembic.ext.checkconstraint_byname"

#: exact names that stand for another plugin: Alembic's name before 1.19.2, and mig's module
ALIASES = {
    "alembic.autogenerate.checkconstraint_byname": CHECKCONSTRAINT_BYNAME,
    "mig_core.ext.checkconstraint_byname": CHECKCONSTRAINT_BYNAME,
}
DEFAULT_PATTERNS: tuple[str, ...] = ("alembic.autogenerate.*",)

_TOKEN = re.compile(r"^(?:[A-Za-z_]\w*|\*)$")


def known_names() -> list[str]:
    """Every plugin name a pattern can match: the built-ins, then the registered plugins."""
    return [*BUILTIN_NAMES, CHECKCONSTRAINT_BYNAME]


def pattern_regex(expression: str) -> re.Pattern[str]:
    """The anchored regular expression of one name pattern (without its ``~``)."""
    parts = expression.split(".")
    if not all(_TOKEN.match(part) for part in parts):
        raise ValueError(
            f"Invalid plugin expression {expression!r}: each dot-separated part must be an "
            "identifier or '*'"
        )
    regex = ""
    for position, part in enumerate(parts):
        dot = r"\." if position else ""
        regex += dot + (".+?" if part == "*" else re.escape(part))
    return re.compile(f"^{regex}$")


def enabled_plugins(patterns: Any = None, names: Iterable[str] | None = None) -> frozenset[str]:
    """The plugin names ``patterns`` (``autogenerate_plugins``; None: the default) enables,
    among ``names`` (default: :func:`known_names`)."""
    if patterns is None:
        patterns = DEFAULT_PATTERNS
    elif isinstance(patterns, str):
        patterns = (patterns,)
    candidates = list(known_names() if names is None else names)
    included: set[str] = set()
    excluded: set[str] = set()
    missing: list[str] = []
    for raw in patterns:
        expression = str(raw).strip()
        exclude = expression.startswith("~")
        if exclude:
            expression = expression[1:]
        expression = ALIASES.get(expression, expression)
        regex = pattern_regex(expression)
        found = {name for name in candidates if regex.match(name)}
        if exclude:
            excluded |= found
        elif found:
            included |= found
        else:
            missing.append(expression)
    if missing:
        raise CommandError(f"Did not locate plugins: {', '.join(missing)}")
    return frozenset(included - excluded)
