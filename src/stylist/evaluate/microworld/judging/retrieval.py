"""Part 3 of the micro-world: the fashion CLIP trained from scratch on the world's garments, held-out R@1 against chance.

The garments (category × colour) become products of a shop stored through the real CatalogStore and
ImageStore, each shown in several renders on different people of the world (skin, hair, position), so the
CLIP is trained and scored by grounding's own trainer and evaluation exactly as on a crawled shop. Beside
the trained model: the untrained one (the trainer's starting model), the same trainer on shuffled texts
(every product's texts given to another product: pictures seen, words meaningless), and chance.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from stylist.catalog.images import ImageStore
from stylist.catalog.products import ExtractedProduct
from stylist.catalog.store import CatalogStore
from stylist.evaluate.microworld.world.figures import CATEGORIES, COLOURS, HAIRS, SHIFTS, SKINS, Figure, render
from stylist.settings import Settings

SHOP = "microworld.test"
# Several listings of each of the 18 garments, so that about 14 products are held out (chance 1/14);
# with one listing each, 4 would be, and a perfect model would score only 4× chance.
LISTINGS = 4
RENDERS = 3  # images per product: the same garment on three people of the world


@dataclass(frozen=True)
class Listing:
    """One product of the micro-world's shop: a garment, its texts, and its renders."""

    sku: str
    category: str
    colour: str
    images: tuple[np.ndarray, ...]

    @property
    def texts(self) -> dict[str, str]:
        return {"title": f"{self.colour.capitalize()} {self.category}",
                "description": f"A {self.category} in {self.colour}.", "category": self.category, "color": self.colour}


def listings(seed: int = 0) -> list[Listing]:
    """LISTINGS products per (category, colour), each rendered RENDERS times with the world's variation."""
    rng = np.random.default_rng(seed)
    products = []
    for category in CATEGORIES:
        for colour in COLOURS:
            for listing in range(LISTINGS):
                figures = [Figure(category, colour, list(SKINS)[rng.integers(len(SKINS))],
                                  list(HAIRS)[rng.integers(len(HAIRS))], SHIFTS[rng.integers(len(SHIFTS))])
                           for _ in range(RENDERS)]
                products.append(Listing(f"{category}-{colour}-{listing}", category, colour,
                                        tuple(render(figure) for figure in figures)))
    return products


def write_catalog(data_dir: Path, products: list[Listing], texts: list[dict[str, str]] | None = None) -> None:
    """One complete crawl of the shop; `texts` (one per product) replaces the products' own texts."""
    texts = texts or [product.texts for product in products]
    data_dir.mkdir(parents=True, exist_ok=True)
    with CatalogStore(Settings(data_dir=data_dir)) as store:
        images = ImageStore(data_dir / "images")
        shop = store.register_shop(SHOP, f"https://{SHOP}", "jsonld", {"delay": 0})
        run = store.start_run(shop.id)
        for product, text in zip(products, texts, strict=True):
            stored = [(f"https://{SHOP}/images/{product.sku}-{number}.png", images.put(_png(image)))
                      for number, image in enumerate(product.images)]
            store.upsert_product(shop.id, run, ExtractedProduct(
                sku=product.sku, url=f"https://{SHOP}/products/{product.sku}", price=20.0, currency="EUR",
                available=True, **text), stored)
        store.finish_run(run, complete=True, stats={})


def _png(image: np.ndarray) -> bytes:
    """The picture as a shop would send it. The image store keeps JPEG copies (the original and a 512-px square),
    so the world's flat colours reach the CLIP a few levels off and its one-pixel edges softened."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def retrieval_scores(seed: int = 0, epochs: int | None = None) -> dict[str, Any]:
    """Train the tiny fashion CLIP on the shop and on its shuffled-text twin; score both on the true held-out products."""
    from stylist.grounding.data import Split, catalog_pairs
    from stylist.grounding.fashion_clip import FashionClip
    from stylist.grounding.retrieval_metrics import evaluate_model
    from stylist.grounding.train import default_config, train_clip
    from stylist.settings import Settings

    config = default_config("tiny").with_overrides(epochs=epochs, seed=seed)
    products = listings(seed)
    shuffled_texts = [products[index].texts for index in np.random.default_rng(seed + 1).permutation(len(products))]
    with tempfile.TemporaryDirectory(prefix="stylist-microworld-clip-") as folder:
        true_settings = Settings(data_dir=Path(folder) / "shop", preset="tiny", device="cpu")
        shuffled_settings = Settings(data_dir=Path(folder) / "shuffled", preset="tiny", device="cpu")
        write_catalog(true_settings.data_dir, products)
        write_catalog(shuffled_settings.data_dir, products, shuffled_texts)
        # The split depends only on SKU and seed: both shops hold out the same products.
        held_out = catalog_pairs(true_settings, Split(config.seed, config.held_out, config.validation)).held_out
        trained_run = train_clip(true_settings, config)
        shuffled_run = train_clip(shuffled_settings, config)
        trained = evaluate_model(FashionClip.load(true_settings), held_out)
        shuffled = evaluate_model(FashionClip.load(shuffled_settings), held_out)
    titles = [product.title for product in held_out]
    return {
        "trained": _rounded(trained.to_json()),
        "untrained": _rounded(trained_run.start.to_json()),
        "shuffled": _rounded(shuffled.to_json()),
        "chance": round(1 / len(held_out), 4),
        # Listings of one garment share a title, so their queries are the same vector and only one of them
        # can rank its own image first: the best R@1 any model can reach.
        "ceiling": round(len(set(titles)) / len(titles), 4),
        "held_out_products": len(held_out),
        "runs": {name: {"steps": run.steps, "best_step": run.best_step, "train_products": run.train_products,
                        "final_loss": round(run.losses[-1], 4), "seconds": round(run.seconds, 1)}
                 for name, run in (("trained", trained_run), ("shuffled", shuffled_run))},
    }


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 4) for name, value in scores.items()}
