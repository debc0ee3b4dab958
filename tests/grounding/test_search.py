"""Hybrid search: the catalog's lexical index and the fashion CLIP fused, in `clip search` and the looks'
retrieval; a CLIP that knows nothing yet (the tiny preset, untrained) does not bury the named garment."""

from __future__ import annotations

import json
import random

from click.testing import CliRunner

from stylist.catalog.store import CatalogStore
from stylist.cli import main_group
from stylist.grounding.index import search
from stylist.grounding.search import hybrid_search
from stylist.looks.retrieve import grounding_retriever
from tests.grounding.synthetic import build_catalog, garments, tiny_settings
from tests.helpers.demo_catalog import TOP, crawl_demo_shop, demo_truth, misspell


def rates(settings, truth: dict[int, tuple[str, str]]) -> tuple[float, float, float]:
    """Top-5 hit rates of "<colour> <category>": hybrid, the CLIP alone, hybrid misspelt."""
    rng = random.Random(0)
    hybrid = vector = misspelt = 0
    for product_id, (colour, category) in truth.items():
        query = f"{colour} {category}".lower()
        hybrid += product_id in [hit.product.id for hit in hybrid_search(settings, query, TOP)]
        vector += product_id in [hit.product.id for hit in search(settings, query, TOP)]
        slipped = " ".join(misspell(word, rng) for word in query.split())
        misspelt += product_id in [hit.product.id for hit in hybrid_search(settings, slipped, TOP)]
    return hybrid / len(truth), vector / len(truth), misspelt / len(truth)


def test_colour_and_category_queries_find_the_garment_where_the_clip_alone_does_not(tmp_path):
    # A 90-product shop, as in the issue: about two or three garments per colour and category.
    items = garments(90, seed=1)
    build_catalog(tmp_path, items, images_per_product=1)
    settings = tiny_settings(tmp_path)
    with CatalogStore(settings) as store:
        ids = {product.sku: product.id for product in store.products()}
    hybrid, vector, misspelt = rates(settings, {ids[item.sku]: (item.colour, item.category) for item in items})
    print(f"synthetic shop, untrained tiny CLIP: hybrid {hybrid:.2f}, CLIP alone {vector:.2f}, misspelt {misspelt:.2f}")
    assert hybrid >= 0.9 and misspelt >= 0.75 and hybrid > vector + 0.3


def test_colour_and_category_queries_on_the_demo_shop(tmp_path):
    crawl_demo_shop(tmp_path)
    settings = tiny_settings(tmp_path)
    with CatalogStore(settings) as store:
        truth = demo_truth(store)
    hybrid, vector, misspelt = rates(settings, truth)
    print(f"demo shop, untrained tiny CLIP: hybrid {hybrid:.2f}, CLIP alone {vector:.2f}, misspelt {misspelt:.2f}")
    assert hybrid >= 0.9 and misspelt >= 0.75


def test_clip_search_and_the_looks_retrieval_are_hybrid(synthetic_catalog):
    settings = tiny_settings(synthetic_catalog)
    result = CliRunner().invoke(main_group, ["--data-dir", str(synthetic_catalog), "--preset", "tiny", "--device", "cpu",
                                             "clip", "search", "blak dres under 300 EUR", "--k", "5", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    found = [json.loads(line) for line in result.output.splitlines()]
    assert len(found) == 5 and all(product["price"] <= 300 for product in found)
    assert all(product["title"].startswith("Black") and product["title"].endswith("dress") for product in found[:2])
    assert [product["score"] for product in found] == sorted((product["score"] for product in found), reverse=True)

    candidates = grounding_retriever(settings, "a red coat", 10, budget=None)
    assert candidates[0].product.color == "red" and candidates[0].product.category == "coat"
    assert all(candidate.product.price <= 100 for candidate in grounding_retriever(settings, "a red coat", 10, budget=100))
