"""Catalog databases from before Alembic: migration 2 on a catalog.db written under migration 1 merges products
that are now one, and a catalog.db at the last of schema.py's migrations is adopted with every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select, text

from stylist.catalog.images import ImageStore
from stylist.catalog.lexical import lexical_search
from stylist.catalog.products import ExtractedProduct
from stylist.catalog.schema import MIGRATIONS, statements
from stylist.catalog.store import CatalogStore
from stylist.catalog.tables import product_images
from stylist.databases import engine_for, newest_revision, reading
from stylist.settings import Settings
from tests.helpers.images import image_bytes

BOOTS = "https://shop.test/p/boots-p11002710.html"


def size(sku: str, available: bool, price: float = 69.95, url: str = BOOTS, title: str = "Boots") -> ExtractedProduct:
    return ExtractedProduct(sku=sku, url=url, title=title, price=price, currency="EUR", available=available)


def version_one_catalog(data_dir: Path) -> tuple[dict[str, int], list[str]]:
    """A catalog as the crawler stored it under migration 1, before Alembic: one product per size, each with its
    own images and offers, written with that migration's own statements."""
    images = ImageStore(data_dir / "images")
    pictures = [images.put(image_bytes(color=(60 * seed, 30, 30))) for seed in range(3)]
    db = sqlite3.connect(data_dir / "catalog.db")
    db.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    db.execute("INSERT INTO shops (host, root_url, adapter, created_at, last_complete_run_id) "
               "VALUES ('shop.test', 'https://shop.test', 'jsonld', '2026-01-01', 1)")
    db.execute("INSERT INTO crawl_runs (shop_id, started_at, finished_at, status) "
               "VALUES (1, '2026-01-01', '2026-01-01', 'complete')")
    for picture in pictures:
        db.execute("INSERT INTO images VALUES (?, 96, 128, ?, ?, ?, '2026-01-01')",
                   (picture.sha256, picture.phash, str(picture.original.relative_to(data_dir)),
                    str(picture.normalised.relative_to(data_dir))))
    ids = {}
    for sku, price, available, url, title, shown in [
            ("B-36", 59.95, False, BOOTS, "Boots", [0]), ("B-37", 69.95, True, BOOTS, "Boots", [0, 1]),
            ("B-38", 69.95, False, BOOTS, "Boots", [2]), ("COAT", 120.0, True, "https://shop.test/p/coat", "Coat", [])]:
        ids[sku] = db.execute(
            "INSERT INTO products (shop_id, sku, url, title, price, currency, observed_available, available, "
            "first_seen, last_seen, last_seen_run_id, complete_run_id) "
            "VALUES (1, ?, ?, ?, ?, 'EUR', ?, ?, '2026-01-01', '2026-01-01', 1, 1)",
            (sku, url, title, price, int(available), int(available))).lastrowid
        db.execute("INSERT INTO offers (product_id, run_id, price, currency, available, observed_at) "
                   "VALUES (?, 1, ?, 'EUR', ?, '2026-01-01')", (ids[sku], price, int(available)))
        for position, picture in enumerate(shown):
            db.execute("INSERT INTO product_images VALUES (?, ?, ?, ?)",
                       (ids[sku], position, pictures[picture].sha256, f"https://cdn.test/{picture}.jpg"))
    db.commit()
    db.close()
    return ids, [p.sha256 for p in pictures]


def test_sizes_stored_apart_become_one_product_with_their_history_and_images(data_dir: Path) -> None:
    ids, pictures = version_one_catalog(data_dir)
    store = CatalogStore(Settings(data_dir=data_dir))
    assert sqlite3.connect(data_dir / "catalog.db").execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    products = {p.sku: p for p in store.products(include_unavailable=True)}
    assert set(products) == {"B-36", "COAT"}  # the lowest id keeps the group
    boots = products["B-36"]
    assert (boots.id, boots.price, boots.available) == (ids["B-36"], 69.95, True)  # cheapest in stock
    with reading(store.engine) as db:
        stored = list(db.scalars(select(product_images.c.sha256).where(product_images.c.product_id == boots.id)
                                 .order_by(product_images.c.position)))
    assert stored == pictures  # every size's images, each once
    history = store.price_history(boots.id)
    assert len(history) == 3 and {h["price"] for h in history} == {59.95, 69.95}
    # a look that named a merged size still finds its product
    assert [p.id for p in store.products(ids=[ids["B-38"]])] == [boots.id]


def test_the_next_crawl_keys_the_merged_product_by_its_new_sku(data_dir: Path) -> None:
    ids, _ = version_one_catalog(data_dir)
    store = CatalogStore(Settings(data_dir=data_dir))
    shop = store.shop("shop.test")
    run = store.start_run(shop.id)
    assert store.upsert_product(shop.id, run, size("B", True), []) == "updated"
    store.finish_run(run, complete=False, stats={})
    assert {p.sku: p.id for p in store.products(include_unavailable=True)}["B"] == ids["B-36"]


def test_a_catalog_db_from_before_alembic_keeps_every_row_and_is_stamped(data_dir: Path) -> None:
    # A catalog.db as the last stylist before Alembic left it: every one of schema.py's migrations, rows in each table.
    db = sqlite3.connect(data_dir / "catalog.db")
    for script in MIGRATIONS:
        for statement in statements(script):
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    db.executescript("""
        INSERT INTO shops VALUES (1, 'shop.test', 'https://shop.test', 'jsonld', '{"delay": 0}', '2026-01-01', 1);
        INSERT INTO crawl_runs VALUES (1, 1, '2026-01-01', '2026-01-02', 'complete', '', '{}');
        INSERT INTO products (id, shop_id, sku, url, designer, title, description, category, color, price, currency,
            observed_available, available, first_seen, last_seen, last_seen_run_id, complete_run_id, gtin, mpn)
            VALUES (7, 1, 'D', 'https://shop.test/p/dress', 'Émile Sauvé', 'Linen Dress', 'A summer dress.', 'dress',
                    'Ivory', 89.5, 'EUR', 1, 1, '2026-01-01', '2026-01-02', 1, 1, '4006381333931', 'LD-1'),
                   (8, 1, 'S', 'https://shop.test/p/scarf', '', 'Wool Scarf', '', 'scarf', 'Grey', 20.0, 'EUR',
                    0, 0, '2026-01-01', '2026-01-02', 1, 1, '', '');
        INSERT INTO offers VALUES (1, 7, 1, 89.5, 'EUR', 1, '2026-01-01');
        INSERT INTO images VALUES ('abc', 96, 128, 'ff00', 'images/a.jpg', 'images/a.png', '2026-01-01');
        INSERT INTO image_sources VALUES ('https://cdn.test/a.jpg', 'abc', '2026-01-01');
        INSERT INTO product_images VALUES (7, 0, 'abc', 'https://cdn.test/a.jpg');
        INSERT INTO product_aliases VALUES (3, 7);
        INSERT INTO variants VALUES (7, 'size:38', 0, 'D-38', '38', '', 89.5, 'EUR', '', 1, 1, 1);
        INSERT INTO pages VALUES (1, 'https://shop.test/p/dress', 'https://shop.test/p/dress', '"e1"', '', '',
                                  '2026-01-01', 1, '["D"]', '[]');
    """)
    db.commit()
    tables = ["shops", "crawl_runs", "products", "offers", "images", "image_sources", "product_images",
              "product_aliases", "variants", "pages"]
    before = {table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in tables}
    db.close()

    settings = Settings(data_dir=data_dir)
    with CatalogStore(settings) as store:
        [dress] = store.products(ids=[3])  # the alias still names its product
        assert (dress.id, dress.designer, dress.gtin, [v.size for v in dress.variants]) == (7, "Émile Sauvé",
                                                                                         "4006381333931", ["38"])
        assert [hit.product.id for hit in lexical_search(store, "emile linen", 5)] == [7]
        assert store.remembered_pages(1)["https://shop.test/p/dress"].etag == '"e1"'
    with reading(engine_for(settings, "catalog")) as connection:
        assert list(connection.scalars(text("SELECT version_num FROM alembic_version"))) == [newest_revision("catalog")]
        after = {table: [tuple(row) for row in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2")]
                 for table in tables}
    assert after == before
    # and it goes on as any catalog: a new crawl writes to it, and the index follows
    with CatalogStore(settings) as store:
        run = store.start_run(1)
        store.upsert_product(1, run, size("N", True, url="https://shop.test/p/new", title="Velvet Blazer"), [])
        store.finish_run(run, complete=True, stats={})
        assert [hit.product.sku for hit in lexical_search(store, "velvet", 5)] == ["N"]
