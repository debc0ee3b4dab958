"""The catalog's lexical search: "<colour> <category>" finds that garment, misspelt or not, on the demo shop
(crawled over HTTP on 127.0.0.1) and on a synthetic shop; the index follows upserts and old catalogs. On SQLite
(FTS5) and on PostgreSQL (tsvector) alike, and the two find the same products."""

from __future__ import annotations

import random
import sqlite3
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from stylist.catalog.lexical import SearchQuery, _nearest, lexical_search, understand
from stylist.catalog.products import ExtractedProduct
from stylist.catalog.schema import MIGRATIONS
from stylist.catalog.store import CatalogStore
from stylist.databases import engine_for, reading, writing
from stylist.settings import Settings
from tests.catalog.downgrade import before_alembic, undo
from tests.grounding import synthetic
from tests.helpers.demo_catalog import TOP, crawl_demo_shop, demo_truth, misspell


def hit_rates(store: CatalogStore, truth: dict[int, tuple[str, str]], seed: int = 0) -> tuple[float, float]:
    """How often "<colour> <category>", as typed and misspelt, finds the product in the top 5."""
    rng = random.Random(seed)
    found = misspelt_found = 0
    for product_id, (colour, category) in truth.items():
        query = f"{colour} {category}".lower()
        found += product_id in [hit.product.id for hit in lexical_search(store, query, TOP)]
        slipped = " ".join(misspell(word, rng) for word in query.split())
        misspelt_found += product_id in [hit.product.id for hit in lexical_search(store, slipped, TOP)]
    return found / len(truth), misspelt_found / len(truth)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_catalog(request, tmp_path_factory) -> Settings:
    """The demo shop crawled once per module into catalog.db, or into a PostgreSQL database."""
    database = None if request.param == "sqlite" else request.getfixturevalue("postgres_server").new_database()
    folder = crawl_demo_shop(tmp_path_factory.mktemp("demo-lexical"), database=database)
    return Settings(data_dir=folder, database=database)


def test_colour_and_category_find_the_garment_in_the_demo_shop(demo_catalog):
    with CatalogStore(demo_catalog) as store:
        truth = demo_truth(store)
        exact, misspelt = hit_rates(store, truth)
    print(f"demo shop, {len(truth)} products: top-{TOP} {exact:.2f}, misspelt {misspelt:.2f}")
    assert exact >= 0.9 and misspelt >= 0.75


def test_colour_and_category_find_the_garment_in_a_synthetic_shop(tmp_path, database):
    items = synthetic.garments(90, seed=1)
    synthetic.build_catalog(tmp_path, items, images_per_product=1, database=database)
    with CatalogStore(Settings(data_dir=tmp_path, database=database)) as store:
        ids = {product.sku: product.id for product in store.products()}
        truth = {ids[item.sku]: (item.colour, item.category) for item in items}
        exact, misspelt = hit_rates(store, truth)
    print(f"synthetic shop, {len(truth)} products: top-{TOP} {exact:.2f}, misspelt {misspelt:.2f}")
    assert exact >= 0.9 and misspelt >= 0.75


def test_a_query_is_understood_typos_colours_categories_and_budget(demo_catalog):
    with CatalogStore(demo_catalog) as store:
        query = understand(store, "Blak T-shirt undr 300 under €200")
        assert "black" in query.words and query.colours == ("black",) and query.categories == ("t-shirt",)
        assert query.budget is not None and query.budget.amount == 200
        cheap = lexical_search(store, "dress under €300", 50)
        assert cheap and all(hit.product.price <= 300 for hit in cheap)
        assert lexical_search(store, "dress", 50, budget=1.0) == []
        assert lexical_search(store, "", 5) == [] and lexical_search(store, "zzzzqqq", 5) == []
        # The designer, with or without its accents.
        assert lexical_search(store, "emile sauve", 1)[0].product.designer == "Émile Sauvé"


def test_the_index_follows_upserts_and_sold_out_products(tmp_path, database):
    items = synthetic.garments(6, seed=2)
    synthetic.build_catalog(tmp_path, items, images_per_product=1, database=database)
    renamed = synthetic.Garment(items[0].sku, "coat", "pink", "plain", "Maison Zéphyr", 99.0)
    synthetic.crawl(tmp_path, [renamed, *items[1:]], sold_out={items[1].sku}, images_per_product=1,
                    database=database)
    with CatalogStore(Settings(data_dir=tmp_path, database=database)) as store:
        assert [hit.product.sku for hit in lexical_search(store, "zephyr", 5)] == [items[0].sku]
        assert all(hit.product.sku != items[1].sku for hit in lexical_search(store, items[1].title, 10))
        # The old words of the renamed product are gone from the index, not only hidden.
        first = next(product.id for product in store.products() if product.sku == items[0].sku)
        word = items[0].designer.split()[-1].lower()
        with reading(store.engine) as db:
            if database:
                old = list(db.scalars(text("SELECT id FROM products WHERE search @@ to_tsquery('simple', :word)"),
                                      {"word": word}))
            else:
                old = list(db.scalars(text("SELECT rowid FROM product_text WHERE product_text MATCH :match"),
                                      {"match": f'designer:"{word}"'}))
        assert first not in old and old


def test_a_catalog_from_before_the_index_is_indexed_when_opened(tmp_path):
    synthetic.build_catalog(tmp_path, synthetic.garments(4, seed=3), images_per_product=1)
    db = sqlite3.connect(tmp_path / "catalog.db")
    db.executescript("DROP TRIGGER product_text_insert; DROP TRIGGER product_text_delete; "
                     "DROP TRIGGER product_text_update; DROP TABLE product_terms; DROP TABLE product_text;")
    undo(db, MIGRATIONS[3:])  # the migrations after the index's (3) are undone too
    before_alembic(db)  # catalogs from before Alembic knew only their user_version
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with CatalogStore(Settings(data_dir=tmp_path)) as store:
        assert len(lexical_search(store, "cotton", 10)) == 4


def test_a_typo_is_never_read_as_a_stop_word():
    # "hat" in a shop without hats used to search for "that", which every description uses.
    assert _nearest("hat", {"that": 40, "coat": 5}) == []
    assert _nearest("hta", {"that": 40, "hat": 2}) == ["hat"]


def test_what_a_garment_is_outweighs_its_colour():
    # "blak dres" on the demo shop, which sells no black dress, put a black scarf, bag, skirt and coat first.
    query = SearchQuery(("black", "dress"), ("black", "dress"), ("black",), ("dress",), None)
    black_dress, red_dress, black_scarf = (SimpleNamespace(color=colour, category=kind, title=f"{colour} {kind}")
                                           for colour, kind in (("Black", "dress"), ("Red", "dress"), ("Black", "scarf")))
    assert query.named(black_dress) > query.named(red_dress) > query.named(black_scarf) > 0


# Queries on the demo shop, among them misspelt words, a designer without its accents and a budget.
SAME_ON_BOTH = ["black dress", "blak dres", "red coat", "navy trosers", "wool", "emile sauve", "silk scarf",
                "linen shirt under €100", "jacket", "bootz", "zzzzqqq"]


def test_postgresql_finds_the_products_sqlite_finds(tmp_path_factory, postgres_server):
    found = {}
    for database in (None, postgres_server.new_database()):
        folder = crawl_demo_shop(tmp_path_factory.mktemp("demo-both"), database=database)
        settings = Settings(data_dir=folder, database=database)
        with CatalogStore(settings) as store:
            by_sku = {query: {hit.product.sku for hit in lexical_search(store, query, 500)} for query in SAME_ON_BOTH}
            found[settings.on_postgres] = (by_sku, {query: understand(store, query).words for query in SAME_ON_BOTH})
    (sqlite_hits, sqlite_words), (postgres_hits, postgres_words) = found[False], found[True]
    assert postgres_words == sqlite_words  # typos corrected to the same catalog words
    assert postgres_hits == sqlite_hits
    assert sqlite_hits["blak dres"] == sqlite_hits["black dress"] and sqlite_hits["black dress"]
    assert sqlite_hits["emile sauve"] and not sqlite_hits["zzzzqqq"]


def test_on_postgresql_typos_are_matched_through_the_trigram_word_list_which_crawls_keep_current(
        tmp_path_factory, postgres_server):
    database = postgres_server.new_database()
    settings = Settings(data_dir=crawl_demo_shop(tmp_path_factory.mktemp("words"), database=database),
                        database=database)
    engine = engine_for(settings, "catalog")
    with reading(engine) as db:
        words = dict(db.execute(text("SELECT word, ndoc FROM product_words")).all())
    assert words["trousers"] >= 1 and words["black"] >= 1  # filled at the end of the crawl
    with CatalogStore(settings) as store:
        assert understand(store, "navy trosers").words == ("navy", "trousers")
        with writing(engine) as db:
            db.execute(text("DELETE FROM product_words"))  # as a copied catalog starts
        assert understand(store, "blak dres").words == ("black", "dress")  # filled again when found empty
        with reading(engine) as db:
            assert db.execute(text("SELECT count(*) FROM product_words")).scalar() == len(words)  # and kept
        # A word of a product stored since the last refresh is known at once: the search index is asked.
        shop = store.shops()[0]
        run = store.start_run(shop.id)
        store.upsert_product(shop.id, run, ExtractedProduct(
            url=f"{shop.root_url}p/zanzibar", sku="NEW-1", title="Zanzibarine Kaftan", price=50.0, currency="EUR",
            available=True), [])
        assert understand(store, "zanzibarine").words == ("zanzibarine",)
