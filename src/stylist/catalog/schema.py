"""The catalog's SQLite schema as numbered migrations; `PRAGMA user_version` records how far a file is."""

import sqlite3

# Each migration is a script of statements run in one transaction; a trigger's body keeps its own semicolons
# (statements are split where SQLite says one is complete).
MIGRATIONS: list[str] = [
    # 1: shops, crawl runs, products (one per shop + SKU), price history, content-addressed images.
    """
    CREATE TABLE shops (
        id INTEGER PRIMARY KEY,
        host TEXT NOT NULL UNIQUE,
        root_url TEXT NOT NULL,
        adapter TEXT NOT NULL,
        settings TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        last_complete_run_id INTEGER
    );
    CREATE TABLE crawl_runs (
        id INTEGER PRIMARY KEY,
        shop_id INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'incomplete', 'aborted')),
        reason TEXT,
        stats TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE products (
        id INTEGER PRIMARY KEY,
        shop_id INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
        sku TEXT NOT NULL,
        url TEXT NOT NULL,
        designer TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT '',
        color TEXT NOT NULL DEFAULT '',
        price REAL,
        currency TEXT NOT NULL DEFAULT '',
        -- What the latest crawl saw, and what the latest *complete* crawl settled: only a complete
        -- crawl may make a product less available, so the two are kept apart.
        observed_available INTEGER NOT NULL DEFAULT 0,
        available INTEGER NOT NULL DEFAULT 0,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        last_seen_run_id INTEGER NOT NULL,
        complete_run_id INTEGER,
        UNIQUE (shop_id, sku)
    );
    CREATE INDEX products_by_run ON products (shop_id, last_seen_run_id);
    CREATE INDEX products_purchasable ON products (shop_id, complete_run_id, available);
    CREATE TABLE offers (
        id INTEGER PRIMARY KEY,
        product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
        run_id INTEGER NOT NULL,
        price REAL,
        currency TEXT NOT NULL,
        available INTEGER NOT NULL,
        observed_at TEXT NOT NULL
    );
    CREATE INDEX offers_by_product ON offers (product_id, id);
    CREATE TABLE images (
        sha256 TEXT PRIMARY KEY,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        phash TEXT NOT NULL,
        original TEXT NOT NULL,
        normalised TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE image_sources (
        url TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL REFERENCES images(sha256),
        fetched_at TEXT NOT NULL
    );
    CREATE TABLE product_images (
        product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        sha256 TEXT NOT NULL REFERENCES images(sha256),
        source_url TEXT NOT NULL,
        PRIMARY KEY (product_id, position)
    );
    """,
    # The lexical index (catalog/lexical.py): FTS5 over the products' own words, kept in step with the
    # products table by triggers (so every write path keeps it current) and filled from it once here.
    """
    CREATE VIRTUAL TABLE product_text USING fts5(
        designer, title, description, color, category,
        content = 'products', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE VIRTUAL TABLE product_terms USING fts5vocab(product_text, 'row');
    CREATE TRIGGER product_text_insert AFTER INSERT ON products BEGIN
        INSERT INTO product_text (rowid, designer, title, description, color, category)
        VALUES (new.id, new.designer, new.title, new.description, new.color, new.category);
    END;
    CREATE TRIGGER product_text_delete AFTER DELETE ON products BEGIN
        INSERT INTO product_text (product_text, rowid, designer, title, description, color, category)
        VALUES ('delete', old.id, old.designer, old.title, old.description, old.color, old.category);
    END;
    CREATE TRIGGER product_text_update AFTER UPDATE OF designer, title, description, color, category ON products BEGIN
        INSERT INTO product_text (product_text, rowid, designer, title, description, color, category)
        VALUES ('delete', old.id, old.designer, old.title, old.description, old.color, old.category);
        INSERT INTO product_text (rowid, designer, title, description, color, category)
        VALUES (new.id, new.designer, new.title, new.description, new.color, new.category);
    END;
    INSERT INTO product_text (product_text) VALUES ('rebuild');
    """,
]


def statements(script: str) -> list[str]:
    """The script's statements, split at the semicolons that end one (not those inside a trigger's body)."""
    found, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                found.append(pending.strip())
            pending = ""
    if pending.strip(" \n;"):
        found.append(pending.strip())
    return found
