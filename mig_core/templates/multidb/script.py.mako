<%!
import re
%>\
"""${message or ""}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from typing import Sequence, Union

import sqlalchemy as sa

from mig_core import op
% if imports:
${imports}
% endif

# revision identifiers, used by mig.
revision: str = ${repr(up_revision)}
down_revision: Union[str, Sequence[str], None] = ${repr(down_revision)}
branch_labels: Union[str, Sequence[str], None] = ${repr(branch_labels)}
depends_on: Union[str, Sequence[str], None] = ${repr(depends_on)}


def upgrade(engine_name: str) -> None:
    """Upgrade the database named engine_name (see 'databases' in mig.ini)."""
    globals()[f"upgrade_{engine_name}"]()


def downgrade(engine_name: str) -> None:
    """Downgrade the database named engine_name."""
    globals()[f"downgrade_{engine_name}"]()
<%
    db_names = [n for n in re.split(r"[\s,]+", (config.get_main_option("databases") if config else None) or "") if n]
%>\
% for db_name in db_names:


def upgrade_${db_name}() -> None:
    ${context.get(f"{db_name}_upgrades", "pass")}


def downgrade_${db_name}() -> None:
    ${context.get(f"{db_name}_downgrades", "pass")}
% endfor
