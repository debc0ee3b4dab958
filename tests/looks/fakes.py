"""A retriever and a scorer the looks tests control, in place of grounding's own."""

from __future__ import annotations

from stylist.catalog.store import CatalogStore
from stylist.looks.outfits import Match


class WordRetriever:
    """A stale index over every product ever stored (sold-out and vanished ones too): products sharing more
    words with the query come first. Records the budget it was given."""

    def __init__(self) -> None:
        self.budgets: list[float | None] = []

    def __call__(self, settings, query, k, *, budget):
        self.budgets.append(budget)
        words = set(query.lower().split())
        with CatalogStore(settings) as store:
            every = list(store.products(include_unavailable=True))
        scored = [Match(product, len(words & set(f"{product.title} {product.category}".lower().split()))
                        + 1 / (1 + product.id)) for product in every]
        return sorted(scored, key=lambda each: -each.score)[:k]


class EmptyRetriever:
    def __call__(self, settings, query, k, *, budget):
        return []


class MeanColourScorer:
    """Scores images by how much of a colour channel they have: a score the test can predict from pixels."""

    def __init__(self, channel: int = 0) -> None:
        self.channel = channel
        self.calls: list[tuple[int, str, int]] = []

    def score(self, images, prompt, products):
        import numpy as np
        import torch

        self.calls.append((len(images), prompt, len(products)))
        prompt_scores = torch.tensor([float(np.asarray(image)[..., self.channel].mean()) / 255 for image in images])
        return prompt_scores, torch.zeros(len(images), len(products))
