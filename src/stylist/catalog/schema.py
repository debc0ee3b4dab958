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
    # 2: products that are one under the rules of issue 18 (one per garment, not per size; one per page
    # when the shop gives no SKU) are merged: the lowest id keeps the group's history, images and stock,
    # and the others' ids become aliases so that looks naming them still find their product. Siblings
    # share their page and name; their SKUs are settled again by the next crawl (store.upsert_product
    # adopts a product of the same page and name under its new SKU).
    """
    CREATE TABLE product_aliases (
        old_id INTEGER PRIMARY KEY,
        product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE
    );
    CREATE TEMP TABLE merge_map AS
        SELECT p.id AS old_id, g.keeper AS keeper_id
        FROM products p JOIN (
            SELECT shop_id, url, lower(trim(title)) AS title_key, MIN(id) AS keeper
            FROM products GROUP BY shop_id, url, lower(trim(title)) HAVING COUNT(*) > 1
        ) g ON p.shop_id = g.shop_id AND p.url = g.url AND lower(trim(p.title)) = g.title_key
        WHERE p.id != g.keeper;
    CREATE TEMP VIEW merge_groups AS
        SELECT keeper_id, old_id AS member_id FROM merge_map
        UNION SELECT DISTINCT keeper_id, keeper_id FROM merge_map;
    UPDATE products SET
        price = COALESCE(
            (SELECT MIN(q.price) FROM products q JOIN merge_groups g ON g.member_id = q.id
             WHERE g.keeper_id = products.id AND q.observed_available = 1),
            (SELECT MIN(q.price) FROM products q JOIN merge_groups g ON g.member_id = q.id
             WHERE g.keeper_id = products.id)),
        observed_available = (SELECT MAX(q.observed_available) FROM products q
                              JOIN merge_groups g ON g.member_id = q.id WHERE g.keeper_id = products.id),
        available = (SELECT MAX(q.available) FROM products q
                     JOIN merge_groups g ON g.member_id = q.id WHERE g.keeper_id = products.id),
        first_seen = (SELECT MIN(q.first_seen) FROM products q
                      JOIN merge_groups g ON g.member_id = q.id WHERE g.keeper_id = products.id),
        last_seen = (SELECT MAX(q.last_seen) FROM products q
                     JOIN merge_groups g ON g.member_id = q.id WHERE g.keeper_id = products.id),
        last_seen_run_id = (SELECT MAX(q.last_seen_run_id) FROM products q
                            JOIN merge_groups g ON g.member_id = q.id WHERE g.keeper_id = products.id),
        complete_run_id = (SELECT MAX(q.complete_run_id) FROM products q
                           JOIN merge_groups g ON g.member_id = q.id WHERE g.keeper_id = products.id)
    WHERE id IN (SELECT keeper_id FROM merge_map);
    UPDATE offers SET product_id = (SELECT keeper_id FROM merge_map WHERE old_id = offers.product_id)
    WHERE product_id IN (SELECT old_id FROM merge_map);
    INSERT INTO product_images (product_id, position, sha256, source_url)
        SELECT keeper_id, base + ROW_NUMBER() OVER (PARTITION BY keeper_id ORDER BY first_place), sha256,
               source_url
        FROM (
            SELECT m.keeper_id, pi.sha256, pi.source_url, MIN(pi.product_id * 1000000 + pi.position) AS first_place,
                   (SELECT COALESCE(MAX(k.position), -1) FROM product_images k WHERE k.product_id = m.keeper_id) AS base
            FROM product_images pi JOIN merge_map m ON pi.product_id = m.old_id
            WHERE pi.sha256 NOT IN (SELECT k.sha256 FROM product_images k WHERE k.product_id = m.keeper_id)
            GROUP BY m.keeper_id, pi.sha256
        );
    INSERT INTO product_aliases (old_id, product_id) SELECT old_id, keeper_id FROM merge_map;
    DELETE FROM products WHERE id IN (SELECT old_id FROM merge_map);
    DROP VIEW merge_groups;
    DROP TABLE merge_map;
    """,
    # 3: the lexical index (catalog/lexical.py): FTS5 over the products' own words, kept in step with the
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
    # 4: a product's variants (sizes, colours) with their own stock, kept like the product's: what the
    # latest crawl saw (observed_available) apart from what the latest complete crawl settled (available).
    # Products stored before have none until their shop is crawled again; nothing else changes.
    """
    CREATE TABLE variants (
        product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        position INTEGER NOT NULL,
        sku TEXT NOT NULL DEFAULT '',
        size TEXT NOT NULL DEFAULT '',
        color TEXT NOT NULL DEFAULT '',
        price REAL,
        currency TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL DEFAULT '',
        observed_available INTEGER NOT NULL DEFAULT 0,
        available INTEGER NOT NULL DEFAULT 0,
        last_seen_run_id INTEGER NOT NULL,
        PRIMARY KEY (product_id, key)
    );
    """,
    # 5: what each page of a shop answered when it was last fetched, so that a refresh can ask it
    # conditionally (ETag, Last-Modified) and, on a 304, still count the products it yielded as seen and
    # follow the links it yielded (crawl.py). `lastmod` is the sitemap's lastmod for the page at that
    # fetch; `skus` and `links` are JSON lists. Nothing existing changes; pages fill in as shops are crawled.
    """
    CREATE TABLE pages (
        shop_id INTEGER NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        final_url TEXT NOT NULL,
        etag TEXT NOT NULL DEFAULT '',
        last_modified TEXT NOT NULL DEFAULT '',
        lastmod TEXT NOT NULL DEFAULT '',
        fetched_at TEXT NOT NULL,
        run_id INTEGER NOT NULL,
        skus TEXT NOT NULL DEFAULT '[]',
        links TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (shop_id, url)
    );
    """,
    # 6: the maker's identifiers a shop publishes, GTIN (EAN/UPC) and MPN, by which the same product is found
    # in other shops (catalog/matching.py). Empty for products stored before, until their shop is crawled again.
    """
    ALTER TABLE products ADD COLUMN gtin TEXT NOT NULL DEFAULT '';
    ALTER TABLE products ADD COLUMN mpn TEXT NOT NULL DEFAULT '';
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
