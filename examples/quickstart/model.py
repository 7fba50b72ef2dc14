"""The quickstart model: a tiny shop (authors of the README demo import ``metadata`` from here).

Three tables with a foreign key, an index and a unique constraint, under a naming convention so
every constraint has a stable name on every database.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

customer = sa.Table(
    "customer",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(200), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
)

product = sa.Table(
    "product",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(32), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("price", sa.Numeric(10, 2), nullable=False),
    sa.UniqueConstraint("sku"),
)

order = sa.Table(
    "order",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), nullable=False),
    sa.Column("product_id", sa.Integer, sa.ForeignKey("product.id"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False, server_default="1"),
    sa.Index(None, "customer_id"),
)
