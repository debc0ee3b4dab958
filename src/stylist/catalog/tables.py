"""The catalog's tables as SQLAlchemy Core sees them: what the store's statements are written against, on SQLite
or PostgreSQL alike. Creating and changing them is the migrations' job (catalog/migrations/); the lexical
index's parts differ by dialect and are not here (lexical.py reads them)."""

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

shops = Table(
    "shops", metadata,
    Column("id", Integer, primary_key=True),
    Column("host", Text, nullable=False, unique=True),
    Column("root_url", Text, nullable=False),
    Column("adapter", Text, nullable=False),
    Column("settings", Text, nullable=False, server_default="{}"),
    Column("created_at", Text, nullable=False),
    Column("last_complete_run_id", Integer),
)

crawl_runs = Table(
    "crawl_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("status", Text, nullable=False),  # running, complete, incomplete or aborted
    Column("reason", Text),
    Column("stats", Text, nullable=False, server_default="{}"),
)

# Stock flags are 0/1 integers on both dialects, as catalog.db has always kept them.
products = Table(
    "products", metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
    Column("sku", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("designer", Text, nullable=False, server_default=""),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("category", Text, nullable=False, server_default=""),
    Column("color", Text, nullable=False, server_default=""),
    Column("price", Float),
    Column("currency", Text, nullable=False, server_default=""),
    # What the latest crawl saw, and what the latest *complete* crawl settled: only a complete crawl may make
    # a product less available, so the two are kept apart.
    Column("observed_available", Integer, nullable=False, server_default="0"),
    Column("available", Integer, nullable=False, server_default="0"),
    Column("first_seen", Text, nullable=False),
    Column("last_seen", Text, nullable=False),
    Column("last_seen_run_id", Integer, nullable=False),
    Column("complete_run_id", Integer),
    Column("gtin", Text, nullable=False, server_default=""),
    Column("mpn", Text, nullable=False, server_default=""),
    UniqueConstraint("shop_id", "sku"),
    Index("products_by_run", "shop_id", "last_seen_run_id"),
    Index("products_purchasable", "shop_id", "complete_run_id", "available"),
)

offers = Table(
    "offers", metadata,
    Column("id", Integer, primary_key=True),
    Column("product_id", Integer, ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
    Column("run_id", Integer, nullable=False),
    Column("price", Float),
    Column("currency", Text, nullable=False),
    Column("available", Integer, nullable=False),
    Column("observed_at", Text, nullable=False),
    Index("offers_by_product", "product_id", "id"),
)

# Image files stay on disk; their paths here are relative to the data dir, so the folder can move.
images = Table(
    "images", metadata,
    Column("sha256", Text, primary_key=True),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("phash", Text, nullable=False),
    Column("original", Text, nullable=False),
    Column("normalised", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

image_sources = Table(
    "image_sources", metadata,
    Column("url", Text, primary_key=True),
    Column("sha256", Text, ForeignKey("images.sha256"), nullable=False),
    Column("fetched_at", Text, nullable=False),
)

product_images = Table(
    "product_images", metadata,
    Column("product_id", Integer, ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("sha256", Text, ForeignKey("images.sha256"), nullable=False),
    Column("source_url", Text, nullable=False),
    PrimaryKeyConstraint("product_id", "position"),
)

# Ids of products merged into another (schema.py's migration 2): looks that name them still find their product.
product_aliases = Table(
    "product_aliases", metadata,
    Column("old_id", Integer, primary_key=True, autoincrement=False),
    Column("product_id", Integer, ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
)

variants = Table(
    "variants", metadata,
    Column("product_id", Integer, ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
    Column("key", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("sku", Text, nullable=False, server_default=""),
    Column("size", Text, nullable=False, server_default=""),
    Column("color", Text, nullable=False, server_default=""),
    Column("price", Float),
    Column("currency", Text, nullable=False, server_default=""),
    Column("url", Text, nullable=False, server_default=""),
    Column("observed_available", Integer, nullable=False, server_default="0"),
    Column("available", Integer, nullable=False, server_default="0"),
    Column("last_seen_run_id", Integer, nullable=False),
    PrimaryKeyConstraint("product_id", "key"),
)

# What each page answered when last fetched, for conditional refreshes; `skus` and `links` are JSON lists.
pages = Table(
    "pages", metadata,
    Column("shop_id", Integer, ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("final_url", Text, nullable=False),
    Column("etag", Text, nullable=False, server_default=""),
    Column("last_modified", Text, nullable=False, server_default=""),
    Column("lastmod", Text, nullable=False, server_default=""),
    Column("fetched_at", Text, nullable=False),
    Column("run_id", Integer, nullable=False),
    Column("skus", Text, nullable=False, server_default="[]"),
    Column("links", Text, nullable=False, server_default="[]"),
    PrimaryKeyConstraint("shop_id", "url"),
)

# When each host may next be asked, for every crawl sharing the database (pacing.py); seconds since the epoch.
host_pacing = Table(
    "host_pacing", metadata,
    Column("host", Text, primary_key=True),
    Column("next_at", Float, nullable=False),
)
