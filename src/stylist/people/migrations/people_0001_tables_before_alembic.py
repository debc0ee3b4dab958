"""The people's tables as users.db held them before Alembic: users, web tokens, picks and sizes.

Revision ID: people_0001
Revises:
Create Date: 2026-12-07

A users.db written before Alembic is stamped with this revision rather than given these tables again
(people/database.py adopts it), so they are written here exactly as that code created them.
"""

import sqlalchemy as sa
from alembic import op

revision = "people_0001"
down_revision = None
branch_labels = ("people",)
depends_on = None


def _owner(primary_key: bool = False) -> sa.Column:
    return sa.Column("user_id", sa.Text, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                     primary_key=primary_key)


def upgrade() -> None:
    op.create_table("users", sa.Column("id", sa.Text, primary_key=True), sa.Column("name", sa.Text, nullable=False),
                    sa.Column("created_at", sa.Text, nullable=False))
    op.create_table("web_tokens", _owner(primary_key=True), sa.Column("token_sha256", sa.Text, nullable=False),
                    sa.Column("created_at", sa.Text, nullable=False))
    op.create_table("preferences", _owner(primary_key=True), sa.Column("look_id", sa.Text, primary_key=True),
                    sa.Column("option_id", sa.Text, nullable=False),
                    sa.Column("option_rank", sa.Integer, nullable=False),
                    sa.Column("options", sa.Integer, nullable=False), sa.Column("score", sa.Double),
                    sa.Column("rating", sa.Integer), sa.Column("prompt", sa.Text, nullable=False),
                    sa.Column("preset", sa.Text, nullable=False), sa.Column("created_at", sa.Text, nullable=False))
    op.create_table("user_sizes", _owner(primary_key=True), sa.Column("slot", sa.Text, primary_key=True),
                    sa.Column("size", sa.Text, nullable=False))


def downgrade() -> None:
    for table in ("user_sizes", "preferences", "web_tokens", "users"):
        op.drop_table(table)
