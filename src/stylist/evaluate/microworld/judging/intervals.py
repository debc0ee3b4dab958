"""95% intervals for shares whose samples are not independent: clustered over products and over people.

Every sample of a micro-world number belongs to a held-out product and (for the tasks with a photo) a held-out
person, and samples of one product or one person succeed or fail together: 72 samples of 12 products are not
72 independent draws. The two-way cluster bootstrap resamples the products and the people with replacement,
weighs each sample by how often its product and its person were drawn, and takes the 2.5th and 97.5th
percentiles of the weighted share (Cameron, Gelbach & Miller 2011, the pigeonhole bootstrap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BOOTSTRAP_DRAWS = 2000
NO_CLUSTER = -1  # a sample with no person (or no product) belongs to one shared cluster on that side


@dataclass(frozen=True)
class Outcomes:
    """One number's samples: whether each was right, and the product and person each was about."""

    right: np.ndarray  # (N,) bool
    products: np.ndarray  # (N,) int, an index into the held-out products, or NO_CLUSTER
    people: np.ndarray  # (N,) int, an index into the held-out people, or NO_CLUSTER

    @property
    def share(self) -> float:
        return round(float(self.right.mean()), 4)

    @staticmethod
    def pooled(parts: list[Outcomes]) -> Outcomes:
        return Outcomes(*(np.concatenate([getattr(part, name) for part in parts])
                          for name in ("right", "products", "people")))


def clustered_interval(outcomes: Outcomes, draws: int = BOOTSTRAP_DRAWS, seed: int = 0) -> list[float]:
    """[low, high], the 95% two-way cluster bootstrap interval of `outcomes`' share."""
    rng = np.random.default_rng(seed)
    product_ids, product_index = np.unique(outcomes.products, return_inverse=True)
    person_ids, person_index = np.unique(outcomes.people, return_inverse=True)
    # How often each product (person) is drawn in each bootstrap world: multinomial counts over the clusters.
    product_weights = rng.multinomial(len(product_ids), [1 / len(product_ids)] * len(product_ids), size=draws)
    person_weights = rng.multinomial(len(person_ids), [1 / len(person_ids)] * len(person_ids), size=draws)
    weights = product_weights[:, product_index] * person_weights[:, person_index]  # (draws, N)
    totals = weights.sum(axis=1)
    shares = (weights @ outcomes.right.astype(np.float64))[totals > 0] / totals[totals > 0]
    low, high = np.percentile(shares, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]
