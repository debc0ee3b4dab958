"""A small catalog stored through CatalogStore, a user cut from the astronaut photo, and a retriever and a
scorer the tests control (grounding's own are used where a test says so)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from PIL import Image

from stylist.catalog.images import ImageStore
from stylist.catalog.products import ExtractedProduct
from stylist.catalog.store import CatalogStore
from stylist.looks.outfits import Match
from stylist.people.users import add_user
from stylist.settings import Settings
from tests.models.conftest import offline  # noqa: F401  (a machine without model weights)
from tests.people.conftest import save, variant

# (sku, designer, title, category, colour, price, RGB); the last two are the traps.
PRODUCTS = [
    ("D1", "Maison Verlaine", "Red Silk Dress", "dress", "Red", 180.0, (190, 30, 40)),
    ("D2", "Ostra Studio", "Navy Crepe Dress", "dress", "Navy", 240.0, (32, 45, 92)),
    ("T1", "Halden Row", "Ivory Poplin Shirt", "shirt", "Ivory", 90.0, (236, 230, 212)),
    ("B1", "Halden Row", "Black Wool Trousers", "trousers", "Black", 120.0, (28, 28, 30)),
    ("C1", "Atelier Nuvem", "Camel Wool Coat", "coat", "Camel", 420.0, (193, 154, 107)),
    ("C2", "Linnea Varg", "Olive Tweed Jacket", "jacket", "Olive", 160.0, (107, 112, 52)),
    ("S1", "Émile Sauvé", "Burgundy Leather Boots", "shoes", "Burgundy", 150.0, (118, 24, 48)),
    ("S2", "Brume & Fils", "Black Suede Loafers", "shoes", "Black", 95.0, (40, 40, 40)),
    ("G1", "Odile Marchetti", "Mustard Leather Bag", "bag", "Mustard", 130.0, (222, 170, 40)),
    ("H1", "Brume & Fils", "Forest Green Wool Scarf", "scarf", "Forest Green", 45.0, (34, 94, 56)),
    ("X1", "Maison Verlaine", "Sold Out Red Gown", "dress", "Red", 99.0, (200, 20, 20)),      # out of stock
]
SOLD_OUT = "X1"
GONE = "G9"  # purchasable in the first crawl, missing from the second: a stale index still has it


def _jpeg(rgb) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 128), rgb).save(buffer, format="JPEG")
    return buffer.getvalue()


@dataclass
class Catalog:
    settings: Settings
    ids: dict[str, int] = field(default_factory=dict)  # sku → product id


def crawl(settings: Settings, rows) -> None:
    """One complete crawl of shop.test that saw exactly `rows` (PRODUCTS' layout)."""
    images = ImageStore(settings.images_dir)
    with CatalogStore(settings.catalog_db, settings.images_dir) as store:
        shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
        run = store.start_run(shop.id)
        for sku, designer, title, category, colour, price, rgb in rows:
            image_url = f"https://cdn.shop.test/{sku}.jpg"
            stored = store.image_for_url(image_url) or images.put(_jpeg(rgb))
            store.upsert_product(shop.id, run, ExtractedProduct(
                sku=sku, url=f"https://shop.test/products/{sku.lower()}", title=title, designer=designer,
                description=f"{title} by {designer}.", price=price, currency="EUR", available=sku != SOLD_OUT,
                image_urls=[image_url], category=category, color=colour,
            ), [(image_url, stored)])
        store.finish_run(run, complete=True, stats={})


@pytest.fixture
def catalog(data_dir) -> Catalog:
    settings = Settings(data_dir=data_dir, preset="tiny", device="cpu")
    crawl(settings, [*PRODUCTS, (GONE, "Ostra Studio", "Grey Wool Coat", "coat", "Grey", 80.0, (120, 120, 120))])
    crawl(settings, PRODUCTS)
    with CatalogStore(settings.catalog_db, settings.images_dir) as store:
        ids = {product.sku: product.id for product in store.products(include_unavailable=True)}
    return Catalog(settings, ids)


class WordRetriever:
    """A stale index over every product ever stored (sold-out and vanished ones too): products sharing more
    words with the query come first. Records the budget it was given."""

    def __init__(self) -> None:
        self.budgets: list[float | None] = []

    def __call__(self, settings, query, k, *, budget):
        self.budgets.append(budget)
        words = set(query.lower().split())
        with CatalogStore(settings.catalog_db, settings.images_dir) as store:
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


@pytest.fixture(scope="session")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    return [
        save(variant((0, 0, 480, 480)), folder / "front.jpg", quality=92),
        save(variant((100, 0, 420, 400), 1.5, (1.1, 1.0, 0.9)), folder / "closer.png"),
        save(variant((20, 0, 512, 460), 1.1, (0.9, 1.0, 1.1), mirror=True), folder / "mirrored.webp", quality=90),
    ]


@pytest.fixture
def user(catalog, photos):
    return add_user(catalog.settings, "Ada", photos, crop_size=64)
