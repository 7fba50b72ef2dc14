"""email and wider names

Revision ID: 2b
Revises: 1a
"""
import sqlalchemy as sa

from mig_core import op

revision = "2b"
down_revision = "1a"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("account", sa.Column("email", sa.Unicode(200), comment="login"))
    op.create_unique_constraint("uq_account_email", "account", ["email"])
    op.alter_column("account", "name", type_=sa.String(200), existing_type=sa.String(100),
                    existing_nullable=False, existing_server_default="anonymous")
    op.create_check_constraint("ck_account_balance", "account", "balance >= -1000")
    op.execute(
        sa.table("account", sa.column("email", sa.Unicode), sa.column("id", sa.Integer))
        .update()
        .where(sa.column("id") == op.inline_literal(1))
        .values(email=op.inline_literal("ohara@example.com"))
    )


def downgrade():
    op.drop_constraint("ck_account_balance", "account", type_="check")
    op.alter_column("account", "name", type_=sa.String(100), existing_type=sa.String(200),
                    existing_nullable=False, existing_server_default="anonymous")
    op.drop_constraint("uq_account_email", "account", type_="unique")
    op.drop_column("account", "email")
