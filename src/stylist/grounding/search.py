"""Hybrid product search: the catalog's lexical index and the fashion CLIP's vector index, fused by rank.

Each ranks the purchasable products its own way; a product's fused score is the sum, over the two lists,
of 1 / (RRF_K + its rank there) (reciprocal rank fusion: no scale to calibrate between BM25 and cosines).
Products of the colours and categories the query names come first, as in the lexical search, so that a
CLIP that knows little yet (a small catalog, the tiny preset) cannot bury the garment a shopper named;
among them, and after them, the fused rank decides. A budget in the query filters both lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from stylist.catalog.lexical import lexical_search, understand
from stylist.catalog.products import StoredProduct
from stylist.catalog.store import CatalogStore
from stylist.grounding.fashion_clip import FashionClip
from stylist.grounding.index import Hit, passes, search
from stylist.settings import Settings

RRF_K = 60
# How far down each list is read, at least: the fused top k needs more than k of each.
DEPTH = 50


def hybrid_search(settings: Settings, query: str, k: int = 10, *, budget: float | None = None,
                  shops: Sequence[str] | None = None, category: str | None = None,
                  clip: FashionClip | None = None) -> list[Hit]:
    """Purchasable products for a text, best first, by the lexical and the vector index together; a Hit's
    score is its fused reciprocal-rank score plus one for each named colour or category it has."""
    depth = max(DEPTH, 4 * k)
    with CatalogStore(settings) as store:
        understood = understand(store, query)
        cap = budget
        if understood.budget is not None:
            cap = understood.budget.amount if cap is None else min(cap, understood.budget.amount)
        wanted_shops = {shop.casefold() for shop in shops} if shops else None
        wanted_category = category.strip().casefold() if category else None
        lexical = [hit.product for hit in lexical_search(store, understood, depth, budget=cap)
                   if passes(hit.product, None, wanted_shops, wanted_category)]
    vector = [hit.product for hit in search(settings, query, depth, budget=cap, shops=shops, category=category,
                                            clip=clip)]
    if understood.budget is not None and understood.budget.currency:
        vector = [product for product in vector if product.currency.upper() == understood.budget.currency]
    fused: dict[int, float] = defaultdict(float)
    products: dict[int, StoredProduct] = {}
    for ranked in (lexical, vector):
        for rank, product in enumerate(ranked, start=1):
            fused[product.id] += 1.0 / (RRF_K + rank)
            products[product.id] = product
    # Each named kind adds 1, more than any fused score (at most 2 / (RRF_K + 1)): the score keeps the order.
    scored = [Hit(product, understood.named(product) + fused[id_]) for id_, product in products.items()]
    return sorted(scored, key=lambda hit: -hit.score)[:k]
