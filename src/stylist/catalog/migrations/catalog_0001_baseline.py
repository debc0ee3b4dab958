"""The catalog as it stood when it moved to Alembic (schema.py's migrations 1 to 6), on SQLite or PostgreSQL.

The tables are written out here rather than taken from tables.py: this revision must create what it created
the day it was written, whatever tables.py says later. The lexical index is each dialect's own: FTS5 kept by
triggers on SQLite (schema.py's migration 3, unchanged), a weighted tsvector kept by a trigger on PostgreSQL.

Revision ID: catalog_0001
Revises:
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from stylist.catalog.schema import MIGRATIONS, statements

revision = "catalog_0001"
down_revision = None
branch_labels = ("catalog",)
depends_on = None

# The words a product is found by, weighted as FTS5's bm25 weights them on SQLite (lexical.COLUMN_WEIGHTS):
# colour and category A, title B, designer and description D. Folded as FTS5's unicode61 folds them: case
# and accents (unaccent, which is not immutable, hence a trigger rather than a generated column).
POSTGRES_INDEX = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "ALTER TABLE products ADD COLUMN search tsvector",
    """
    CREATE FUNCTION product_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search :=
            setweight(to_tsvector('simple', unaccent(NEW.designer)), 'D') ||
            setweight(to_tsvector('simple', unaccent(NEW.title)), 'B') ||
            setweight(to_tsvector('simple', unaccent(NEW.description)), 'D') ||
            setweight(to_tsvector('simple', unaccent(NEW.color)), 'A') ||
            setweight(to_tsvector('simple', unaccent(NEW.category)), 'A');
        RETURN NEW;
    END $$
    """,
    ("CREATE TRIGGER product_search BEFORE INSERT OR UPDATE OF designer, title, description, color, category "
    "ON products FOR EACH ROW EXECUTE FUNCTION product_search()"),
    "CREATE INDEX products_search ON products USING GIN (search)",
]


def upgrade() -> None:
    op.create_table(
        "shops",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("host", sa.Text, nullable=False, unique=True),
        sa.Column("root_url", sa.Text, nullable=False),
        sa.Column("adapter", sa.Text, nullable=False),
        sa.Column("settings", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("last_complete_run_id", sa.Integer),
    )

    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("stats", sa.Text, nullable=False, server_default="{}"),
        sa.CheckConstraint("status IN ('running', 'complete', 'incomplete', 'aborted')"),
    )

    op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("designer", sa.Text, nullable=False, server_default=""),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("category", sa.Text, nullable=False, server_default=""),
        sa.Column("color", sa.Text, nullable=False, server_default=""),
        sa.Column("price", sa.Float),
        sa.Column("currency", sa.Text, nullable=False, server_default=""),
        sa.Column("observed_available", sa.Integer, nullable=False, server_default="0"),
        sa.Column("available", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_seen", sa.Text, nullable=False),
        sa.Column("last_seen", sa.Text, nullable=False),
        sa.Column("last_seen_run_id", sa.Integer, nullable=False),
        sa.Column("complete_run_id", sa.Integer),
        sa.Column("gtin", sa.Text, nullable=False, server_default=""),
        sa.Column("mpn", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("shop_id", "sku"),
        sa.Index("products_by_run", "shop_id", "last_seen_run_id"),
        sa.Index("products_purchasable", "shop_id", "complete_run_id", "available"),
    )

    op.create_table(
        "offers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("price", sa.Float),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("available", sa.Integer, nullable=False),
        sa.Column("observed_at", sa.Text, nullable=False),
        sa.Index("offers_by_product", "product_id", "id"),
    )

    op.create_table(
        "images",
        sa.Column("sha256", sa.Text, primary_key=True),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("phash", sa.Text, nullable=False),
        sa.Column("original", sa.Text, nullable=False),
        sa.Column("normalised", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )

    op.create_table(
        "image_sources",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("sha256", sa.Text, sa.ForeignKey("images.sha256"), nullable=False),
        sa.Column("fetched_at", sa.Text, nullable=False),
    )

    op.create_table(
        "product_images",
        sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sha256", sa.Text, sa.ForeignKey("images.sha256"), nullable=False),
        sa.Column("source_url", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("product_id", "position"),
    )

    op.create_table(
        "product_aliases",
        sa.Column("old_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
    )

    op.create_table(
        "variants",
        sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sku", sa.Text, nullable=False, server_default=""),
        sa.Column("size", sa.Text, nullable=False, server_default=""),
        sa.Column("color", sa.Text, nullable=False, server_default=""),
        sa.Column("price", sa.Float),
        sa.Column("currency", sa.Text, nullable=False, server_default=""),
        sa.Column("url", sa.Text, nullable=False, server_default=""),
        sa.Column("observed_available", sa.Integer, nullable=False, server_default="0"),
        sa.Column("available", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_seen_run_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("product_id", "key"),
    )

    op.create_table(
        "pages",
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("final_url", sa.Text, nullable=False),
        sa.Column("etag", sa.Text, nullable=False, server_default=""),
        sa.Column("last_modified", sa.Text, nullable=False, server_default=""),
        sa.Column("lastmod", sa.Text, nullable=False, server_default=""),
        sa.Column("fetched_at", sa.Text, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("skus", sa.Text, nullable=False, server_default="[]"),
        sa.Column("links", sa.Text, nullable=False, server_default="[]"),
        sa.PrimaryKeyConstraint("shop_id", "url"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_INDEX:
            op.execute(statement)
    else:
        for statement in statements(MIGRATIONS[2]):
            op.execute(statement)


def downgrade() -> None:
    for table in ("pages", "variants", "product_aliases", "product_images", "image_sources", "images", "offers"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE products")
        op.execute("DROP FUNCTION product_search")
    else:
        for name in ("product_text_insert", "product_text_delete", "product_text_update"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE product_terms")
        op.execute("DROP TABLE product_text")
        op.drop_table("products")
    op.drop_table("crawl_runs")
    op.drop_table("shops")
