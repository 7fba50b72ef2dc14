"""renames, defaults and comments

Revision ID: 3c
Revises: 2b
"""
import sqlalchemy as sa

from mig_core import op

revision = "3c"
down_revision = "2b"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("account", "balance", server_default="100", existing_server_default="0")
    op.alter_column("account", "email", nullable=False, existing_type=sa.Unicode(200))
    op.alter_column("account", "name", new_column_name="full_name")
    op.rename_table("entry", "ledger_entry")
    op.create_table_comment("account", "accounts of customers",
                            existing_comment="customer accounts")
    op.alter_column("ledger_entry", "memo", comment=None, existing_comment="what it was for")


def downgrade():
    op.alter_column("ledger_entry", "memo", comment="what it was for")
    op.create_table_comment("account", "customer accounts",
                            existing_comment="accounts of customers")
    op.rename_table("ledger_entry", "entry")
    op.alter_column("account", "full_name", new_column_name="name")
    op.alter_column("account", "email", nullable=True, existing_type=sa.Unicode(200))
    op.alter_column("account", "balance", server_default="0", existing_server_default="100")
