"""Catalog migration 2 on a catalog.db written under migration 1: products that are now one are merged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from stylist.catalog.images import ImageStore
from stylist.catalog.products import ExtractedProduct
from stylist.catalog.schema import MIGRATIONS
from stylist.catalog.store import CatalogStore
from tests.catalog.downgrade import undo
from tests.helpers.images import image_bytes

BOOTS = "https://shop.test/p/boots-p11002710.html"


def size(sku: str, available: bool, price: float = 69.95, url: str = BOOTS, title: str = "Boots") -> ExtractedProduct:
    return ExtractedProduct(sku=sku, url=url, title=title, price=price, currency="EUR", available=available)


def version_one_catalog(data_dir: Path) -> tuple[dict[str, int], list[str]]:
    """A catalog as the crawler stored it before: one product per size, each with its own images."""
    path = data_dir / "catalog.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    db.close()
    original = MIGRATIONS[1:]
    del MIGRATIONS[1:]  # the store of those days knew migration 1 only
    try:
        store = CatalogStore(path)
        # today's store code writes variants (migration 4); in those days there were none, so they go to a
        # table that vanishes with this connection
        for script in original[2:]:  # what today's store writes to, undone below: those days had none of it
            store.db.executescript(script)
        images = ImageStore(data_dir / "images")
        pictures = [images.put(image_bytes(color=(60 * seed, 30, 30))) for seed in range(3)]
        shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
        run = store.start_run(shop.id)
        sizes = [size("B-36", False, 59.95), size("B-37", True), size("B-38", False), size("COAT", True, 120.0,
                 url="https://shop.test/p/coat", title="Coat")]
        shared = [("https://cdn.test/0.jpg", pictures[0])]
        store.upsert_product(shop.id, run, sizes[0], shared)
        store.upsert_product(shop.id, run, sizes[1], [*shared, ("https://cdn.test/1.jpg", pictures[1])])
        store.upsert_product(shop.id, run, sizes[2], [("https://cdn.test/2.jpg", pictures[2])])
        store.upsert_product(shop.id, run, sizes[3], [])
        store.finish_run(run, complete=True, stats={})
        ids = {row["sku"]: row["id"] for row in store.db.execute("SELECT sku, id FROM products")}
        undo(store.db, original[2:])
        store.close()
    finally:
        MIGRATIONS[1:] = original
    return ids, [p.sha256 for p in pictures]


def test_sizes_stored_apart_become_one_product_with_their_history_and_images(data_dir: Path) -> None:
    ids, pictures = version_one_catalog(data_dir)
    store = CatalogStore(data_dir / "catalog.db")
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    products = {p.sku: p for p in store.products(include_unavailable=True)}
    assert set(products) == {"B-36", "COAT"}  # the lowest id keeps the group
    boots = products["B-36"]
    assert (boots.id, boots.price, boots.available) == (ids["B-36"], 69.95, True)  # cheapest in stock
    stored = [row[0] for row in store.db.execute(
        "SELECT sha256 FROM product_images WHERE product_id = ? ORDER BY position", (boots.id,))]
    assert stored == pictures  # every size's images, each once
    history = store.price_history(boots.id)
    assert len(history) == 3 and {h["price"] for h in history} == {59.95, 69.95}
    # a look that named a merged size still finds its product
    assert [p.id for p in store.products(ids=[ids["B-38"]])] == [boots.id]


def test_the_next_crawl_keys_the_merged_product_by_its_new_sku(data_dir: Path) -> None:
    ids, _ = version_one_catalog(data_dir)
    store = CatalogStore(data_dir / "catalog.db")
    shop = store.shop("shop.test")
    run = store.start_run(shop.id)
    assert store.upsert_product(shop.id, run, size("B", True), []) == "updated"
    store.finish_run(run, complete=False, stats={})
    assert {p.sku: p.id for p in store.products(include_unavailable=True)}["B"] == ids["B-36"]
