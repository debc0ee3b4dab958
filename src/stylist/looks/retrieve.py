"""Retrieve: purchasable products for a prompt, found by the fashion CLIP and checked against the catalog now.

The index may be older than the latest crawl, so every hit is looked up again in catalog.db at the moment
the look is made: a product that stopped being purchasable is dropped, and price and images are today's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from stylist.catalog.budget import Budget
from stylist.catalog.products import StoredProduct
from stylist.catalog.store import CatalogStore, has_catalog
from stylist.looks.outfits import Match
from stylist.settings import Settings


class Retriever(Protocol):
    """Products for a text query, best first: what `grounding.search.hybrid_search` does, injectable for tests."""

    def __call__(self, settings: Settings, query: str, k: int, *, budget: float | None) -> Sequence[Match]: ...


def grounding_retriever(settings: Settings, query: str, k: int, *, budget: float | None) -> list[Match]:
    """The catalog's lexical index and the fashion-CLIP index, fused (stylist.grounding.search.hybrid_search);
    nothing from an empty catalog, so that a look can still be made from the prompt alone."""
    from stylist.grounding.search import hybrid_search

    if not has_catalog(settings):
        return []
    with CatalogStore(settings) as store:
        if not sum(shop["purchasable"] for shop in store.stats()):
            return []
    return [Match(hit.product, hit.score) for hit in hybrid_search(settings, query, k, budget=budget)]


def purchasable_now(settings: Settings, matches: Sequence[Match], budget: Budget | None) -> list[Match]:
    """The matches that are purchasable in catalog.db now and have an image, with today's record, within
    the budget and in its currency.

    A budget in a named currency keeps only products priced in it: the catalog stores no exchange rates.
    Each product is kept once, with its best score.
    """
    current = _purchasable(settings, [match.product.id for match in matches])
    kept: dict[int, Match] = {}
    for match in matches:
        product = current.get(match.product.id)
        if product is None or not product.images:
            continue
        if budget is not None and not budget.allows(product.price, product.currency):
            continue
        if product.id not in kept or kept[product.id].score < match.score:
            kept[product.id] = Match(product, match.score)
    return sorted(kept.values(), key=lambda each: -each.score)


def shop_twins(settings: Settings, product_ids: Sequence[int]) -> dict[int, list[StoredProduct]]:
    """For each product, the same product in other shops (catalog/matching.py) that is purchasable now and
    has an image; products without twins are left out."""
    if not product_ids or not has_catalog(settings):
        return {}
    with CatalogStore(settings) as store:
        matches = store.same_products()
        wanted = {product_id: matches.same_as(product_id) for product_id in product_ids}
        twin_ids = {twin for twins in wanted.values() for twin in twins}
        found = {product.id: product for product in store.products(ids=twin_ids) if product.images} if twin_ids else {}
    return {product_id: [found[twin] for twin in twins if twin in found]
            for product_id, twins in wanted.items() if any(twin in found for twin in twins)}


def still_purchasable(settings: Settings, product_ids: Sequence[int]) -> set[int]:
    """Which of these products are purchasable now: generation takes a while, and a crawl may finish meanwhile."""
    return set(_purchasable(settings, product_ids))


def _purchasable(settings: Settings, product_ids: Sequence[int]) -> dict[int, StoredProduct]:
    if not product_ids or not has_catalog(settings):
        return {}
    with CatalogStore(settings) as store:
        return {product.id: product for product in store.products(ids=product_ids)}
