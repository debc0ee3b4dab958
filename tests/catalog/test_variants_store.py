"""A product's variants in catalog.db: stored under their product, settled only by complete crawls, listed per size,
and migration 4 keeping every product stored before it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from stylist.catalog.products import ExtractedProduct, Variant
from stylist.catalog.schema import MIGRATIONS
from stylist.catalog.store import CatalogStore
from stylist.settings import Settings
from tests.catalog.downgrade import before_alembic, undo


def dress(sizes: dict[str, bool], price: float = 89.5) -> ExtractedProduct:
    variants = [Variant(sku=f"D-{size}", size=size, available=stocked, price=price, currency="EUR",
                        url=f"https://shop.test/p/dress?size={size}") for size, stocked in sizes.items()]
    return ExtractedProduct(sku="D", url="https://shop.test/p/dress", title="Hadley dress", price=price,
                            currency="EUR", available=any(sizes.values()), variants=variants)


def crawl(store: CatalogStore, shop_id: int, products: list[ExtractedProduct], complete: bool = True) -> list[str]:
    run = store.start_run(shop_id)
    outcomes = [store.upsert_product(shop_id, run, product, []) for product in products]
    store.finish_run(run, complete=complete, stats={})
    return outcomes


def stock(store: CatalogStore) -> dict[str, bool]:
    [product] = store.products(include_unavailable=True)
    return {variant.size: variant.available for variant in product.variants}


def test_variants_are_listed_with_their_own_stock_and_settled_only_by_complete_crawls(data_dir: Path) -> None:
    store = CatalogStore(Settings(data_dir=data_dir))
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    crawl(store, shop.id, [dress({"6": False, "8": True, "10": True})])
    assert stock(store) == {"6": False, "8": True, "10": True}
    [listed] = store.products()
    assert listed.to_json()["variants"][1] == {
        "sku": "D-8", "size": "8", "color": "", "available": True, "price": 89.5, "currency": "EUR",
        "url": "https://shop.test/p/dress?size=8"}

    # an incomplete crawl that saw 8 sell out settles nothing
    crawl(store, shop.id, [dress({"6": False, "8": False, "10": True})], complete=False)
    assert stock(store) == {"6": False, "8": True, "10": True}
    # a complete one does, and a size the shop stopped listing goes
    assert crawl(store, shop.id, [dress({"8": False, "10": True})]) == ["updated"]
    assert stock(store) == {"8": False, "10": True}
    assert crawl(store, shop.id, [dress({"8": False, "10": True})]) == ["unchanged"]


def test_no_variant_is_purchasable_when_its_product_is_not(data_dir: Path) -> None:
    store = CatalogStore(Settings(data_dir=data_dir))
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    crawl(store, shop.id, [dress({"8": True})])
    crawl(store, shop.id, [])  # gone from the shop
    assert stock(store) == {"8": False}
    assert list(store.products()) == []


def test_migration_4_keeps_every_product_and_the_next_crawl_adds_variants(data_dir: Path) -> None:
    path = data_dir / "catalog.db"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:3]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 3")
    db.execute("INSERT INTO shops (host, root_url, adapter, created_at, last_complete_run_id) "
               "VALUES ('shop.test', 'https://shop.test', 'jsonld', '2026-01-01', 1)")
    db.execute("INSERT INTO crawl_runs (shop_id, started_at, status) VALUES (1, '2026-01-01', 'complete')")
    db.execute("INSERT INTO products (shop_id, sku, url, title, price, currency, observed_available, available, "
               "first_seen, last_seen, last_seen_run_id, complete_run_id) VALUES (1, 'D', 'https://shop.test/p/dress', "
               "'Hadley dress', 89.5, 'EUR', 1, 1, '2026-01-01', '2026-01-01', 1, 1)")
    db.commit()
    db.close()

    store = CatalogStore(Settings(data_dir=data_dir))
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    [kept] = store.products()
    assert (kept.sku, kept.title, kept.variants) == ("D", "Hadley dress", [])
    assert kept.to_json()["variants"] == []
    crawl(store, 1, [dress({"8": True, "10": False})])
    [same] = store.products()
    assert same.id == kept.id and [(v.size, v.available) for v in same.variants] == [("8", True), ("10", False)]


def test_a_crawl_of_a_data_dir_from_before_variants_keeps_every_product_and_adds_their_sizes(data_dir: Path) -> None:
    import asyncio

    from stylist.catalog.crawl import CrawlOptions, crawl_shops
    from stylist.catalog.images import ImageStore
    from stylist.demo.shop import DemoShop, serve

    shop = DemoShop(n_products=12, seed=5, traps=False)
    path = data_dir / "catalog.db"

    def crawl_demo(url: str) -> None:
        with CatalogStore(Settings(data_dir=data_dir)) as store:
            [report] = asyncio.run(crawl_shops([url], store, ImageStore(data_dir / "images"),
                                               CrawlOptions(delay=0.0, concurrency=4)))
        assert report.complete, report.reason

    with serve(shop) as url:
        crawl_demo(url)
        # the data dir as the catalog of yesterday left it: every product, no variants table
        with sqlite3.connect(path) as db:
            undo(db, MIGRATIONS[3:])  # variants (4) and what came after
            before_alembic(db)  # catalogs from before Alembic knew only their user_version
            db.execute("PRAGMA user_version = 3")
        with CatalogStore(Settings(data_dir=data_dir)) as store:
            before = {product.sku: product.id for product in store.products(include_unavailable=True)}
            assert all(not product.variants for product in store.products(include_unavailable=True))
        crawl_demo(url)
    expected = shop.expected()
    with CatalogStore(Settings(data_dir=data_dir)) as store:
        after = {product.sku: product for product in store.products(include_unavailable=True)}
    assert {sku: product.id for sku, product in after.items()} == before and set(before) == set(expected)
    for sku, product in after.items():
        assert [(v.size, v.available) for v in product.variants] == [
            (size, stocked and expected[sku].available) for size, stocked in expected[sku].sizes]


def test_a_sighting_without_sizes_keeps_them_and_a_repeat_sighting_brings_them(data_dir: Path) -> None:
    store = CatalogStore(Settings(data_dir=data_dir))
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    crawl(store, shop.id, [dress({"S": True, "M": False})])
    # a complete crawl that met the dress only without its sizes (a teaser elsewhere) says nothing of them
    bare = ExtractedProduct(sku="D", url="https://shop.test/p/dress", title="Hadley dress", price=89.5,
                            currency="EUR", available=True)
    assert crawl(store, shop.id, [bare]) == ["unchanged"]
    assert stock(store) == {"S": True, "M": False}
    # met first without sizes, then on its own page with them: the sizes count
    assert crawl(store, shop.id, [bare, dress({"S": False, "M": True})]) == ["unchanged", "repeat"]
    assert stock(store) == {"S": False, "M": True}
