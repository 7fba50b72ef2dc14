"""drop the legacy column

Revision ID: 4d
Revises: 3c
"""
import sqlalchemy as sa

from mig_core import op

revision = "4d"
down_revision = "3c"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_column("account", "legacy_code", mssql_drop_check=True)
    op.drop_column("account", "opened", mssql_drop_default=True)
    with op.batch_alter_table("ledger_entry") as batch_op:
        batch_op.drop_constraint("fk_entry_account", type_="foreignkey")
        batch_op.create_foreign_key("fk_ledger_entry_account", "account", ["account_id"], ["id"],
                                    ondelete="CASCADE")


def downgrade():
    with op.batch_alter_table("ledger_entry") as batch_op:
        batch_op.drop_constraint("fk_ledger_entry_account", type_="foreignkey")
        batch_op.create_foreign_key("fk_entry_account", "account", ["account_id"], ["id"])
    op.add_column("account", sa.Column("opened", sa.DateTime, server_default=sa.func.getdate()))
    op.add_column("account", sa.Column("legacy_code", sa.Integer))
