import sqlite3
import threading

from stylist.catalog.images import ImageStore
from stylist.catalog.products import ExtractedProduct
from stylist.catalog.schema import MIGRATIONS
from stylist.catalog.store import CatalogStore
from tests.helpers.images import image_bytes


def product(sku, available=True, price=100.0, **fields):
    return ExtractedProduct(sku=sku, url=f"https://shop.test/products/{sku}", title=f"Coat {sku}",
                            designer="Maison", price=price, currency="EUR", available=available, **fields)


def crawl(store, shop_id, products, complete=True, kept_urls=()):
    run = store.start_run(shop_id)
    outcomes = [store.upsert_product(shop_id, run, p, []) for p in products]
    unavailable = store.finish_run(run, complete=complete, stats={}, kept_urls=list(kept_urls))
    return outcomes, unavailable


def purchasable(store):
    return {p.sku for p in store.products()}


def test_only_complete_crawls_settle_availability(data_dir):
    store = CatalogStore(data_dir / "catalog.db")
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {"delay": 0})
    outcomes, _ = crawl(store, shop.id, [product("A"), product("B", available=False)])
    assert outcomes == ["new", "new"]
    assert purchasable(store) == {"A"}

    # An incomplete crawl that saw B in stock and missed A changes nothing.
    crawl(store, shop.id, [product("B")], complete=False)
    assert purchasable(store) == {"A"}

    # A complete one does: A is gone, B is back, C is new. (B's offer was already seen in stock by the
    # incomplete crawl, so its record is unchanged; only its availability is settled now.)
    outcomes, unavailable = crawl(store, shop.id, [product("B"), product("C")])
    assert outcomes == ["unchanged", "new"]
    assert unavailable == 1
    assert purchasable(store) == {"B", "C"}
    everything = {p.sku: p.available for p in store.products(include_unavailable=True)}
    assert everything == {"A": False, "B": True, "C": True}


def test_products_behind_unanswered_pages_keep_their_state(data_dir):
    store = CatalogStore(data_dir / "catalog.db")
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    crawl(store, shop.id, [product("A"), product("B")])
    _, unavailable = crawl(store, shop.id, [product("A")], kept_urls=["https://shop.test/products/B"])
    assert unavailable == 0
    assert purchasable(store) == {"A", "B"}


def test_repeat_sightings_and_unchanged_products(data_dir):
    store = CatalogStore(data_dir / "catalog.db")
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    crawl(store, shop.id, [product("A")])
    outcomes, _ = crawl(store, shop.id, [product("A"), product("A")])
    assert outcomes == ["unchanged", "repeat"]


def test_price_history_records_changes_only(data_dir):
    store = CatalogStore(data_dir / "catalog.db")
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    for price, available in [(100.0, True), (100.0, True), (80.0, True), (80.0, False)]:
        crawl(store, shop.id, [product("A", price=price, available=available)])
    (stored,) = store.products(include_unavailable=True)
    history = [(row["price"], row["available"]) for row in store.price_history(stored.id)]
    assert history == [(100.0, 1), (80.0, 1), (80.0, 0)]
    assert stored.price == 80.0 and not stored.available


def test_a_crawl_that_died_is_aborted_and_marks_nothing(data_dir):
    path = data_dir / "catalog.db"
    store = CatalogStore(path)
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    crawl(store, shop.id, [product("A"), product("B")])
    run = store.start_run(shop.id)
    store.upsert_product(shop.id, run, product("A", available=False), [])
    store.close()  # the process dies here: no finish_run

    store = CatalogStore(path)
    assert purchasable(store) == {"A", "B"}
    store.start_run(shop.id)
    status = store.db.execute("SELECT status FROM crawl_runs WHERE id = ?", (run,)).fetchone()[0]
    assert status == "aborted"


def test_images_are_linked_and_listed_in_order(data_dir):
    store = CatalogStore(data_dir / "catalog.db")
    images = ImageStore(data_dir / "images")
    first = images.put(image_bytes(color=(10, 10, 10)))
    second = images.put(image_bytes(color=(250, 250, 250)))
    store.remember_image("https://cdn.test/1.jpg", first)
    store.remember_image("https://cdn.test/2.jpg", second)
    assert store.image_for_url("https://cdn.test/1.jpg") == first
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    run = store.start_run(shop.id)
    store.upsert_product(shop.id, run, product("A"), [("https://cdn.test/2.jpg", second), ("https://cdn.test/1.jpg", first)])
    store.finish_run(run, complete=True, stats={})
    (stored,) = store.products()
    assert stored.images == [second.normalised, first.normalised]
    assert stored.to_json()["images"] == [str(second.normalised), str(first.normalised)]


def test_images_in_a_symlinked_images_folder_stay_inside_the_data_dir(data_dir, tmp_path):
    (tmp_path / "disk").mkdir()
    (data_dir / "images").symlink_to(tmp_path / "disk", target_is_directory=True)
    store = CatalogStore(data_dir / "catalog.db")
    image = ImageStore(data_dir / "images").put(image_bytes(color=(10, 10, 10)))
    store.remember_image("https://cdn.test/1.jpg", image)
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    run = store.start_run(shop.id)
    store.upsert_product(shop.id, run, product("A"), [("https://cdn.test/1.jpg", image)])
    store.finish_run(run, complete=True, stats={})
    (stored,) = store.products()
    # Kept relative to the data dir (so the web app can serve it), not as the other disk's absolute path.
    assert stored.images == [image.normalised]
    (row,) = store.db.execute("SELECT normalised FROM images").fetchall()
    assert row[0].startswith("images/")


def test_migrations_run_once_and_record_the_version(data_dir):
    path = data_dir / "catalog.db"
    CatalogStore(path).close()
    CatalogStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_new_database_opened_by_many_at_once_is_migrated_once(data_dir):
    # What the page met: its health and catalog requests opened a new catalog.db together, and the second
    # ran the first migration again ("table shops already exists").
    path, errors = data_dir / "catalog.db", []
    start = threading.Barrier(8)

    def open_it() -> None:
        start.wait()
        try:
            CatalogStore(path).close()
        except Exception as error:  # noqa: BLE001 — any failure is the test's finding
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
