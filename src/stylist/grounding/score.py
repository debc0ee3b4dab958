"""Scores for the looks pipeline: how well each generated image matches the prompt and each product.

Looks are ranked by `prompt`, and each look names the products it shows by `products`. Product vectors
are the same fused (image + text) embeddings the index holds, so a product found by search scores alike here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from PIL import Image

from stylist.catalog.products import StoredProduct
from stylist.grounding.fashion_clip import FashionClip


@dataclass
class ImageScores:
    prompt: torch.Tensor  # (n_images,): cosine similarity of each image and the prompt
    products: torch.Tensor  # (n_images, n_products): cosine similarity of each image and each product


def score_images(clip: FashionClip, images: Sequence[Image.Image], prompt: str,
                 products: Sequence[StoredProduct]) -> ImageScores:
    image_vectors = clip.embed_images(images)
    prompt_vector = clip.embed_texts([prompt])[0]
    product_vectors = clip.embed_products(products) if products else torch.empty(0, clip.dim)
    return ImageScores(prompt=image_vectors @ prompt_vector, products=image_vectors @ product_vectors.T)
