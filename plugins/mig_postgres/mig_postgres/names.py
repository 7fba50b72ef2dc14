"""PostgreSQL's identifier length limit: a warning, as the server shortens long names itself.

PostgreSQL keeps the first 63 bytes of a longer name (``NAMEDATALEN - 1``) with only a NOTICE,
so a project whose names are longer works today, under the shortened names. Refusing them would
break such projects; mig warns instead (``MigWarning``), naming the operation, the name and
the name PostgreSQL will use, when an operation creates one. Index and constraint names over 63
characters are refused by SQLAlchemy itself. The checks are the core's
(:mod:`mig_core.ddl.identifiers`).
"""

from __future__ import annotations

from mig_core.ddl.identifiers import IdentifierRule

#: NAMEDATALEN - 1 in a default PostgreSQL build
LIMIT = 63
RULE = IdentifierRule(server="PostgreSQL", limit=LIMIT, unit="bytes", truncates=True)
