"""When each host may next be asked: the request-rate cap that every crawl of a fleet shares (catalog/pacing.py).

Revision ID: catalog_0002
Revises: catalog_0001
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_0002"
down_revision = "catalog_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "host_pacing",
        sa.Column("host", sa.Text, primary_key=True),
        sa.Column("next_at", sa.Float, nullable=False),  # seconds since the epoch, by the database's clock
    )


def downgrade() -> None:
    op.drop_table("host_pacing")
