"""Users are numbered in the order they were added, so that listing them keeps that order on PostgreSQL too.

Revision ID: people_0002
Revises: people_0001
Create Date: 2026-12-07

On SQLite that order was the rowid, which PostgreSQL has no counterpart of: the rows there are numbered
from it, and new rows get the next number from store_user (SQLite has no identity columns). PostgreSQL
numbers its rows itself.
"""

import sqlalchemy as sa
from alembic import op

revision = "people_0002"
down_revision = "people_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An added column: SQLite's ALTER TABLE can do that in place, where a copied table would have its drop
    # delete every user's tokens, picks and sizes through the cascades.
    if op.get_bind().dialect.name == "sqlite":
        # Nullable: SQLite adds no NOT NULL column without a default to a table that has rows.
        op.add_column("users", sa.Column("number", sa.BigInteger, nullable=True))
        op.execute("UPDATE users SET number = rowid")
    else:
        op.add_column("users", sa.Column("number", sa.BigInteger, sa.Identity()))
    op.create_index("users_number", "users", ["number"], unique=True)


def downgrade() -> None:
    op.drop_index("users_number", "users")
    op.drop_column("users", "number")
