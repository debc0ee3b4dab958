"""A small catalog stored through CatalogStore: ten products of shop.test in flat colours, one of them sold out,
and one more that a second crawl no longer finds (a stale index still has it)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image

from stylist.catalog.images import ImageStore
from stylist.catalog.products import ExtractedProduct
from stylist.catalog.store import CatalogStore
from stylist.settings import Settings

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


def product_jpeg(rgb) -> bytes:
    """A product photo in one flat colour."""
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
    with CatalogStore(settings) as store:
        shop = store.register_shop("shop.test", "https://shop.test", "jsonld", {})
        run = store.start_run(shop.id)
        for sku, designer, title, category, colour, price, rgb in rows:
            image_url = f"https://cdn.shop.test/{sku}.jpg"
            stored = store.image_for_url(image_url) or images.put(product_jpeg(rgb))
            store.upsert_product(shop.id, run, ExtractedProduct(
                sku=sku, url=f"https://shop.test/products/{sku.lower()}", title=title, designer=designer,
                description=f"{title} by {designer}.", price=price, currency="EUR", available=sku != SOLD_OUT,
                image_urls=[image_url], category=category, color=colour,
            ), [(image_url, stored)])
        store.finish_run(run, complete=True, stats={})
