"""Which of the core's comparisons run, from the plugin names ``autogenerate_plugins`` enables.

Alembic 1.18 splits its comparisons into plugins; mig keeps one core comparison and switches
its parts by those plugins' names (see :mod:`mig_core.runtime.plugins`):

===============================  ===========================================================
``alembic.autogenerate.schemas``  the schemas to compare (without it nothing of the core runs)
``alembic.autogenerate.tables``   tables added / removed, columns added / removed, and the
                                  per-table and per-column comparisons below
``alembic.autogenerate.types``    column types
``alembic.autogenerate.constraints``  indexes, unique constraints, foreign keys, nullability
``alembic.autogenerate.defaults``  server defaults, computed and identity columns
``alembic.autogenerate.comments``  table and column comments
``alembic.ext.checkconstraint_byname``  named CHECK constraints added / removed (opt-in)
===============================  ===========================================================
"""

from __future__ import annotations

from mig_core.runtime import plugins as names


class Families:
    """The core comparisons on for one comparison run (plain attributes: read per column)."""

    __slots__ = ("schemas", "tables", "types", "constraints", "defaults", "comments",
                 "check_names")

    def __init__(self, enabled: frozenset[str]) -> None:
        self.schemas = names.SCHEMAS in enabled
        #: the tables plugin iterates the schemas the schemas plugin gives it
        self.tables = self.schemas and names.TABLES in enabled
        self.types = self.tables and names.TYPES in enabled
        self.constraints = self.tables and names.CONSTRAINTS in enabled
        self.defaults = self.tables and names.DEFAULTS in enabled
        self.comments = self.tables and names.COMMENTS in enabled
        self.check_names = self.tables and names.CHECKCONSTRAINT_BYNAME in enabled

    def __repr__(self) -> str:
        on = [name for name in self.__slots__ if getattr(self, name)]
        return f"Families({', '.join(on)})"
