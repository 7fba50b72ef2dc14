"""accounts and entries

Revision ID: 1a
Revises:
"""
import sqlalchemy as sa
from sqlalchemy.dialects import mssql

from mig_core import op

revision = "1a"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    account = op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, server_default="anonymous"),
        sa.Column("balance", sa.Numeric(12, 2), nullable=False, server_default=sa.text("0")),
        sa.Column("opened", mssql.DATETIME2(precision=3), server_default=sa.func.getdate()),
        sa.Column("legacy_code", sa.Integer, sa.CheckConstraint("legacy_code > 0")),
        comment="customer accounts",
    )
    op.create_index("ix_account_name", "account", ["name"], mssql_include=["balance"])
    op.create_table(
        "entry",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", name="fk_entry_account"),
                  nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("memo", sa.Unicode(200), comment="what it was for"),
    )
    op.bulk_insert(account, [{"id": 1, "name": "O'Hara", "balance": 10}, {"id": 2, "name": "Ng"}])


def downgrade():
    op.drop_table("entry")
    op.drop_index("ix_account_name", "account")
    op.drop_table("account")
