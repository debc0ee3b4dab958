"""The catalog store on SQLite and on PostgreSQL: what a crawl settles, price history, images, and a new
database migrated once by however many openers."""

import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select, text

from stylist.catalog.images import ImageStore
from stylist.catalog.products import ExtractedProduct
from stylist.catalog.store import CatalogStore
from stylist.catalog.tables import crawl_runs, images
from stylist.databases import engine_for, newest_revision, reading
from stylist.errors import StylistError
from stylist.settings import Settings
from tests.helpers.images import image_bytes
from tests.helpers.postgres_server import free_port


@pytest.fixture
def settings(data_dir, database) -> Settings:
    """A data dir whose catalog is in catalog.db, or in a PostgreSQL database (`database`)."""
    return Settings(data_dir=data_dir, database=database)


def revisions(settings: Settings) -> list[str]:
    """The catalog's Alembic revisions recorded in its database."""
    with reading(engine_for(settings, "catalog")) as db:
        return list(db.scalars(text("SELECT version_num FROM alembic_version")))


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


def test_only_complete_crawls_settle_availability(settings):
    store = CatalogStore(settings)
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


def test_products_behind_unanswered_pages_keep_their_state(settings):
    store = CatalogStore(settings)
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    crawl(store, shop.id, [product("A"), product("B")])
    _, unavailable = crawl(store, shop.id, [product("A")], kept_urls=["https://shop.test/products/B"])
    assert unavailable == 0
    assert purchasable(store) == {"A", "B"}


def test_repeat_sightings_and_unchanged_products(settings):
    store = CatalogStore(settings)
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    crawl(store, shop.id, [product("A")])
    outcomes, _ = crawl(store, shop.id, [product("A"), product("A")])
    assert outcomes == ["unchanged", "repeat"]


def test_price_history_records_changes_only(settings):
    store = CatalogStore(settings)
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    for price, available in [(100.0, True), (100.0, True), (80.0, True), (80.0, False)]:
        crawl(store, shop.id, [product("A", price=price, available=available)])
    (stored,) = store.products(include_unavailable=True)
    history = [(row["price"], row["available"]) for row in store.price_history(stored.id)]
    assert history == [(100.0, 1), (80.0, 1), (80.0, 0)]
    assert stored.price == 80.0 and not stored.available


def test_a_crawl_that_died_is_aborted_and_marks_nothing(settings):
    store = CatalogStore(settings)
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    crawl(store, shop.id, [product("A"), product("B")])
    run = store.start_run(shop.id)
    store.upsert_product(shop.id, run, product("A", available=False), [])
    store.close()  # the process dies here: no finish_run

    store = CatalogStore(settings)
    assert purchasable(store) == {"A", "B"}
    store.start_run(shop.id)
    with reading(store.engine) as db:
        status = db.scalar(select(crawl_runs.c.status).where(crawl_runs.c.id == run))
    assert status == "aborted"


def test_images_are_linked_and_listed_in_order(settings):
    store = CatalogStore(settings)
    images = ImageStore(settings.images_dir)
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


def test_images_in_a_symlinked_images_folder_stay_inside_the_data_dir(settings, tmp_path):
    (tmp_path / "disk").mkdir()
    settings.images_dir.symlink_to(tmp_path / "disk", target_is_directory=True)
    store = CatalogStore(settings)
    image = ImageStore(settings.images_dir).put(image_bytes(color=(10, 10, 10)))
    store.remember_image("https://cdn.test/1.jpg", image)
    shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
    run = store.start_run(shop.id)
    store.upsert_product(shop.id, run, product("A"), [("https://cdn.test/1.jpg", image)])
    store.finish_run(run, complete=True, stats={})
    (stored,) = store.products()
    # Kept relative to the data dir (so the web app can serve it), not as the other disk's absolute path.
    assert stored.images == [image.normalised]
    with reading(store.engine) as db:
        assert db.scalar(select(images.c.normalised)).startswith("images/")


def test_migrations_run_once_and_record_the_revision(settings):
    CatalogStore(settings).close()
    CatalogStore(settings).close()
    assert revisions(settings) == [newest_revision("catalog")]
    if not settings.on_postgres:
        assert sqlite3.connect(settings.catalog_db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_new_database_opened_by_many_at_once_is_migrated_once(settings):
    # What the page met: its health and catalog requests opened a new catalog.db together, and the second
    # ran the first migration again ("table shops already exists").
    errors = []
    start = threading.Barrier(8)

    def open_it() -> None:
        start.wait()
        try:
            CatalogStore(settings).close()
        except Exception as error:  # noqa: BLE001 — any failure is the test's finding
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert revisions(settings) == [newest_revision("catalog")]


def test_a_new_database_opened_by_two_processes_at_once_is_migrated_once(settings):
    # Two processes (the web server and a crawl) share no lock in memory: the database's own must do.
    start = time.time() + 2.0
    opener = ("import sys, time; from pathlib import Path; from stylist.settings import Settings; "
              "from stylist.catalog.store import CatalogStore; "
              f"time.sleep(max(0.0, {start} - time.time())); "
              "CatalogStore(Settings(data_dir=Path(sys.argv[1]), database=sys.argv[2] or None)).close()")
    processes = [subprocess.Popen([sys.executable, "-c", opener, str(settings.data_dir), settings.database or ""],
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    failures = [process.communicate(timeout=120)[1] for process in processes if process.wait(timeout=120) != 0]
    assert failures == []
    assert revisions(settings) == [newest_revision("catalog")]
    with CatalogStore(settings) as store:
        assert store.shops() == []


def test_a_catalog_it_cannot_use_is_one_clear_error(data_dir):
    (data_dir / "catalog.db").write_text("my notes, not a database\n" * 100)
    with pytest.raises(StylistError, match=r"cannot use the catalog database .*catalog\.db"):
        CatalogStore(Settings(data_dir=data_dir))
    unreachable = Settings(data_dir=data_dir, database=f"postgresql://stylist:s3cret@127.0.0.1:{free_port()}/shop")
    with pytest.raises(StylistError, match=r"cannot use the catalog database postgresql://stylist:\*\*\*@") as error:
        CatalogStore(unreachable)
    assert "s3cret" not in str(error.value)
