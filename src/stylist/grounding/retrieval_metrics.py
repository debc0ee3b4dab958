"""Text→image retrieval on held-out products: R@1, R@5, R@10 and MRR, as FashionCLIP and Marqo-FashionCLIP report.

Each held-out product is one query (its designer + title) and one gallery image (its first); a query is
answered when its own product's image ranks high among all held-out images.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import torch

from stylist.catalog.export import product_text
from stylist.catalog.products import StoredProduct
from stylist.grounding.data import Split, catalog_pairs
from stylist.grounding.fashion_clip import CONFIG_FILE, WEIGHTS_FILE, FashionClip, catalog_image, model_dir
from stylist.settings import Settings


@dataclass(frozen=True)
class Retrieval:
    r1: float
    r5: float
    r10: float
    mrr: float

    def to_json(self) -> dict:
        return {"r1": self.r1, "r5": self.r5, "r10": self.r10, "mrr": self.mrr}


def retrieval(text_vectors: torch.Tensor, image_vectors: torch.Tensor) -> Retrieval:
    """Query i's answer is image i; ties count against the query (a constant model scores chance, not 1)."""
    similarity = text_vectors.float() @ image_vectors.float().T
    correct = similarity.diagonal().unsqueeze(1)
    ranks = (similarity >= correct).sum(dim=1).float()  # 1 = the right image ranks first
    return Retrieval(
        r1=(ranks <= 1).float().mean().item(), r5=(ranks <= 5).float().mean().item(),
        r10=(ranks <= 10).float().mean().item(), mrr=(1 / ranks).mean().item(),
    )


def evaluate_model(clip: FashionClip, products: list[StoredProduct]) -> Retrieval:
    loaded = [(product, catalog_image(product.images[0])) for product in products]
    loaded = [(product, image) for product, image in loaded if image is not None]
    texts = clip.embed_texts([product_text(product) for product, _ in loaded])
    return retrieval(texts, clip.embed_images([image for _, image in loaded]))


def trained_split(settings: Settings) -> Split:
    """The split the saved model was trained with (its held-out products are the ones it never saw)."""
    info = model_dir(settings) / CONFIG_FILE
    if info.exists():
        return Split(**json.loads(info.read_text())["split"])
    return Split()


def evaluate_clip(settings: Settings) -> dict:
    """{"queries", "base", "finetuned"} for the settings' preset; "finetuned" is None before any training."""
    pairs = catalog_pairs(settings, trained_split(settings))
    held_out = pairs.held_out
    result = {"queries": len(held_out), "base": evaluate_model(FashionClip.load(settings, which="base"), held_out).to_json(),
              "finetuned": None}
    if (model_dir(settings) / WEIGHTS_FILE).exists():
        result["finetuned"] = evaluate_model(FashionClip.load(settings), held_out).to_json()
    return result
