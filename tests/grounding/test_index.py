"""The product index: only purchasable products within budget, best first, in step with the catalog however stale."""

from __future__ import annotations

import random

import numpy as np
import pytest

from stylist.catalog.store import CatalogStore
from stylist.errors import StylistError
from stylist.grounding import index as product_index
from stylist.grounding.fashion_clip import FashionClip, catalog_image
from stylist.grounding.index import rebuild_index, search
from stylist.grounding.train import default_config, train_clip
from tests.grounding.synthetic import PRODUCTS, SHOP, crawl, garments, tiny_settings

QUERIES = ["red striped dress", "black hat", "green checked coat", "pink polka-dot skirt", "blue trousers",
           "yellow t-shirt", "Maison Nord coat"]


def purchasable(settings) -> dict[int, object]:
    with CatalogStore(settings) as store:
        return {product.id: product for product in store.products()}


def test_search_answers_best_first_with_purchasable_products(trained_copy):
    settings = tiny_settings(trained_copy)
    report = rebuild_index(settings)
    assert (report.products, report.embedded, report.kind) == (PRODUCTS, PRODUCTS, "exact")
    again = rebuild_index(settings)
    assert (again.embedded, again.reused) == (0, PRODUCTS)  # nothing changed: nothing embedded again
    hits = search(settings, "red striped dress", k=10)
    assert len(hits) == 10
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    # The trained model puts what was asked for at the top.
    assert "red" in hits[0].product.title.lower()
    assert sum("red" in hit.product.title.lower() for hit in hits[:5]) >= 4
    json_hit = hits[0].to_json()
    assert json_hit["score"] == hits[0].score and json_hit["id"] == hits[0].product.id


def test_search_by_image_finds_what_the_image_shows(trained_copy):
    settings = tiny_settings(trained_copy)
    products = list(purchasable(settings).values())[:20]
    same = 0
    for product in products:
        (top,) = search(settings, catalog_image(product.images[0]), k=1)
        # A 20-epoch tiny model knows colours well (cuts less so): the colour in the photo comes first.
        same += top.product.color == product.color
    assert same >= 18


def test_filters_budget_shop_and_category(trained_copy):
    settings = tiny_settings(trained_copy)
    for budget in (30.0, 100.0, 250.0):
        hits = search(settings, "a dress", k=20, budget=budget)
        assert hits and all(hit.product.price <= budget for hit in hits)
    cheap = search(settings, "a coat", k=PRODUCTS, budget=0)
    assert cheap == []  # nothing costs nothing
    hats = search(settings, "something red", k=5, category="HAT")
    assert len(hats) == 5 and {hit.product.category for hit in hats} == {"hat"}
    assert search(settings, "red", k=3, shops=[SHOP]) and search(settings, "red", k=3, shops=["other.test"]) == []
    with pytest.raises(StylistError, match="k must be"):
        search(settings, "red", k=0)
    with pytest.raises(StylistError, match="empty"):
        search(settings, "  ")


def test_a_stale_index_never_returns_what_cannot_be_bought(trained_copy, monkeypatch):
    settings = tiny_settings(trained_copy)
    rebuild_index(settings)
    items = garments(PRODUCTS, seed=0)
    rng = random.Random(7)
    sold_out = {item.sku for item in rng.sample(items, 60)}
    gone = {item.sku for item in rng.sample(items, 30)}
    # Keep the old index in use, as if the catalog's change had not been noticed.
    monkeypatch.setattr(product_index, "catalog_version", lambda store: product_index._load(
        product_index.index_path(settings)).catalog)
    crawl(trained_copy, [item for item in items if item.sku not in gone], sold_out=sold_out)
    # An incomplete crawl raises prices: budgets follow the price now in the catalog.
    with CatalogStore(settings) as store:
        shop = store.shop(SHOP)
        run = store.start_run(shop.id)
        raised = items[:40]
        for item in raised:
            store.upsert_product(shop.id, run, item.extracted(price=999.0), [])
        store.finish_run(run, complete=False, stats={}, reason="test")
    now = purchasable(settings)
    assert len(now) < PRODUCTS - 60
    for query in QUERIES:
        for budget in (None, 100.0, 300.0):
            hits = search(settings, query, k=25, budget=budget)
            assert hits
            for hit in hits:
                assert hit.product.id in now and hit.product.available
                assert hit.product.sku not in sold_out | gone
                if budget is not None:
                    assert hit.product.price <= budget and hit.product.sku not in {item.sku for item in raised}


def test_the_index_follows_crawls_and_training_by_itself(trained_copy):
    settings = tiny_settings(trained_copy)
    search(settings, "red dress", k=1)  # builds it
    items = garments(PRODUCTS + 5, seed=0)
    new = items[PRODUCTS:]
    crawl(trained_copy, items[:-8] + new[-3:], sold_out={items[0].sku})  # 3 of 5 new, some gone
    everything = search(settings, "anything", k=1000)
    skus = {hit.product.sku for hit in everything}
    assert skus == {product.sku for product in purchasable(settings).values()}
    assert {item.sku for item in new[-3:]} <= skus and items[0].sku not in skus
    index = product_index._load(product_index.index_path(settings))
    assert index.faiss.ntotal == len(skus)
    # A new model makes the old vectors useless: everything is embedded again.
    train_clip(settings, default_config("tiny").with_overrides(epochs=1))
    search(settings, "red dress", k=1)
    assert product_index._load(product_index.index_path(settings)).model == FashionClip.load(settings).signature
    report = rebuild_index(settings)
    assert report.embedded == 0


def test_large_catalogs_get_an_approximate_index(trained_copy, monkeypatch):
    settings = tiny_settings(trained_copy)
    monkeypatch.setattr(product_index, "APPROXIMATE_FROM", 100)
    monkeypatch.setattr(product_index, "IVF_NPROBE", 4)
    assert rebuild_index(settings).kind == "ivf"
    index = product_index._load(product_index.index_path(settings))
    assert index.faiss.nlist == 15 and index.faiss.ntotal == PRODUCTS
    # Nearly the same answers as an exact search over the same vectors.
    with np.load(product_index.index_path(settings)) as data:
        vectors, ids = data["vectors"], data["ids"]
    queries = FashionClip.load(settings).embed_texts(QUERIES).numpy()
    for query, vector in zip(QUERIES, queries):
        exact = set(ids[np.argsort(-(vectors @ vector))[:10]].tolist())
        hits = search(settings, query, k=10)
        assert len({hit.product.id for hit in hits} & exact) >= 9
    # A narrow filter makes the search look further, until it has k answers or has seen every product.
    hats = search(settings, "red", k=12, category="hat", budget=200)
    assert len(hats) == 12 and all(hit.product.category == "hat" and hit.product.price <= 200 for hit in hats)
    every_cheap_hat = {p.id for p in purchasable(settings).values() if p.category == "hat" and p.price <= 60}
    found = search(settings, "blue", k=PRODUCTS, category="hat", budget=60)
    assert {hit.product.id for hit in found} == every_cheap_hat


def test_an_empty_catalog_is_a_clear_error(data_dir):
    with pytest.raises(StylistError, match="no purchasable products"):
        search(tiny_settings(data_dir), "red dress")


def test_the_store_reads_back_just_the_products_asked_for(small_copy):
    # CatalogStore.products(ids=...), added for the index's query-time check: still purchasable ones only.
    settings = tiny_settings(small_copy)
    items = garments(24, seed=1)
    crawl(small_copy, items, sold_out={items[0].sku})
    with CatalogStore(settings) as store:
        everything = {product.sku: product.id for product in store.products(include_unavailable=True)}
        wanted = [everything[items[0].sku], everything[items[1].sku], everything[items[2].sku], 10_000]
        assert [product.sku for product in store.products(ids=wanted)] == [items[1].sku, items[2].sku]
        assert len(list(store.products(ids=wanted, include_unavailable=True))) == 3
        assert list(store.products(ids=[])) == []
