"""Rank: score candidate images with the fashion CLIP against the prompt and the outfit's products; keep the
best candidate of each outfit. The scorer is injected, so the ranking itself is tested with one a test controls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from PIL import Image

from stylist.catalog.products import StoredProduct

# A candidate's score: how well it shows the prompt, and how well it shows the outfit's products (the mean
# similarity to each of them), weighted equally; a look from the prompt alone is scored on the prompt.
PROMPT_WEIGHT = 0.5


class Scorer(Protocol):
    """Cosine similarities of images to a prompt ([n_images]) and to products ([n_images, n_products])."""

    def score(self, images: Sequence[Image.Image], prompt: str,
              products: Sequence[StoredProduct]) -> tuple[torch.Tensor, torch.Tensor]: ...


class ClipScorer:
    """The fashion CLIP's scores (stylist.grounding.score.score_images)."""

    def __init__(self, clip) -> None:
        self.clip = clip

    def score(self, images: Sequence[Image.Image], prompt: str,
              products: Sequence[StoredProduct]) -> tuple[torch.Tensor, torch.Tensor]:
        from stylist.grounding.score import score_images

        scores = score_images(self.clip, images, prompt, products)
        return scores.prompt, scores.products


@dataclass(frozen=True)
class Ranked:
    index: int  # of the best candidate in the list scored
    score: float
    scores: list[float]  # every candidate's, in order


def combined_scores(prompt_scores: torch.Tensor, product_scores: torch.Tensor) -> torch.Tensor:
    if product_scores.numel() == 0:
        return prompt_scores.float()
    return PROMPT_WEIGHT * prompt_scores.float() + (1 - PROMPT_WEIGHT) * product_scores.float().mean(dim=1)


def best_candidate(scorer: Scorer, images: Sequence[Image.Image], prompt: str,
                   products: Sequence[StoredProduct]) -> Ranked:
    """The best of one outfit's candidate images; ties go to the earlier candidate (the lower seed)."""
    prompt_scores, product_scores = scorer.score(images, prompt, products)
    scores = combined_scores(prompt_scores, product_scores.reshape(len(images), len(products)))
    index = int(torch.argmax(scores))  # the first maximum
    return Ranked(index, float(scores[index]), [float(score) for score in scores])
