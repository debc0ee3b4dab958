"""PostgreSQL: the catalog's words behind a trigram index, where a query's typos find the words meant
(catalog/vocabulary.py). SQLite's FTS5 vocabulary table does this there already: nothing changes on SQLite.

Revision ID: catalog_0003
Revises: catalog_0002
Create Date: 2026-12-07
"""

from alembic import op

revision = "catalog_0003"
down_revision = "catalog_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # a trusted extension: the database's owner may add it
    op.execute("CREATE TABLE product_words (word text PRIMARY KEY, ndoc integer NOT NULL)")
    op.execute("CREATE INDEX product_words_trigrams ON product_words USING GIN (word gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE product_words")
