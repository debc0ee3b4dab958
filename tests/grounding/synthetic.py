"""A synthetic shop: garments drawn procedurally (category × colour × pattern), each with composed texts.

Stored through the real CatalogStore and ImageStore, as a crawl would store them, so everything downstream
(export, training, index) reads it exactly as it reads a crawled shop.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from stylist.catalog.images import ImageStore
from stylist.catalog.products import ExtractedProduct
from stylist.catalog.store import CatalogStore
from stylist.settings import Settings

SHOP = "synthetic.test"
CATEGORIES = ("dress", "t-shirt", "trousers", "skirt", "coat", "hat")
COLOURS = {"red": (200, 30, 30), "green": (30, 150, 50), "blue": (30, 60, 200), "yellow": (230, 200, 30),
           "black": (25, 25, 25), "pink": (240, 120, 170)}
PATTERNS = {"plain": "plain", "stripes": "striped", "dots": "polka-dot", "checks": "checked"}
DESIGNERS = ("Maison Nord", "Atelier Sud", "Studio Est", "Casa Oeste")
SIZE = 64
PRODUCTS = 240  # 6 categories × 6 colours × 4 patterns: most combinations appear, some twice
SMALL = 24


@dataclass(frozen=True)
class Garment:
    sku: str
    category: str
    colour: str
    pattern: str
    designer: str
    price: float

    @property
    def title(self) -> str:
        adjective = "" if self.pattern == "plain" else f"{PATTERNS[self.pattern]} "
        return f"{self.colour.capitalize()} {adjective}{self.category}"

    def extracted(self, available: bool = True, price: float | None = None) -> ExtractedProduct:
        return ExtractedProduct(
            sku=self.sku, url=f"https://{SHOP}/products/{self.sku}", title=self.title, designer=self.designer,
            description=f"A {PATTERNS[self.pattern]} {self.category} in {self.colour} cotton.",
            price=self.price if price is None else price, currency="EUR", available=available,
            category=self.category, color=self.colour,
        )


def garments(count: int, seed: int = 0) -> list[Garment]:
    rng = random.Random(seed)
    return [Garment(f"G{number:04d}", rng.choice(CATEGORIES), rng.choice(list(COLOURS)), rng.choice(list(PATTERNS)),
                    rng.choice(DESIGNERS), float(rng.randrange(20, 400))) for number in range(count)]


def draw(garment: Garment, variant: int) -> Image.Image:
    """The garment's silhouette filled with its colour and pattern, a little moved and scaled per variant."""
    rng = random.Random(f"{garment.sku}-{variant}")
    shade = rng.randrange(225, 250)
    canvas = Image.new("RGB", (SIZE, SIZE), (shade, shade, shade))
    mask = Image.new("L", (SIZE, SIZE), 0)
    scale, dx, dy = rng.uniform(0.85, 1.05), rng.randrange(-4, 5), rng.randrange(-4, 5)
    points = [(SIZE / 2 + (x - 32) * scale + dx, SIZE / 2 + (y - 32) * scale + dy) for x, y in _SHAPES[garment.category]]
    ImageDraw.Draw(mask).polygon(points, fill=255)
    fill = Image.new("RGB", (SIZE, SIZE), COLOURS[garment.colour])
    pen = ImageDraw.Draw(fill)
    accent = (255, 255, 255) if garment.colour != "yellow" else (40, 40, 40)
    if garment.pattern == "stripes":
        for y in range(0, SIZE, 8):
            pen.rectangle([0, y, SIZE, y + 3], fill=accent)
    elif garment.pattern == "dots":
        for y in range(2, SIZE, 10):
            for x in range(2 + (y // 10 % 2) * 5, SIZE, 10):
                pen.ellipse([x, y, x + 4, y + 4], fill=accent)
    elif garment.pattern == "checks":
        for y in range(0, SIZE, 8):
            for x in range(0, SIZE, 8):
                if (x + y) // 8 % 2:
                    pen.rectangle([x, y, x + 7, y + 7], fill=accent)
    canvas.paste(fill, mask=mask)
    return canvas


_SHAPES = {
    "dress": [(26, 8), (38, 8), (40, 22), (50, 56), (14, 56), (24, 22)],
    "t-shirt": [(22, 12), (42, 12), (54, 22), (48, 28), (44, 24), (44, 50), (20, 50), (20, 24), (16, 28), (10, 22)],
    "trousers": [(20, 8), (44, 8), (48, 58), (37, 58), (32, 24), (27, 58), (16, 58)],
    "skirt": [(22, 20), (42, 20), (52, 46), (12, 46)],
    "coat": [(22, 4), (42, 4), (52, 14), (54, 50), (46, 50), (44, 22), (44, 60), (20, 60), (20, 22), (18, 50),
             (10, 50), (12, 14)],
    "hat": [(8, 40), (56, 40), (56, 46), (8, 46), (8, 40), (18, 40), (20, 20), (44, 20), (46, 40)],
}


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def build_catalog(data_dir: Path, items: list[Garment], images_per_product: int = 2,
                  database: str | None = None) -> None:
    """One complete crawl of the synthetic shop that sees every garment in stock (into `database` if given)."""
    crawl(data_dir, items, images_per_product=images_per_product, database=database)


def crawl(data_dir: Path, items: list[Garment], *, sold_out: set[str] = frozenset(),
          prices: dict[str, float] | None = None, images_per_product: int = 2, database: str | None = None) -> None:
    """A complete crawl that sees `items` (the rest of the shop's products become unavailable)."""
    with CatalogStore(Settings(data_dir=data_dir, database=database)) as store:
        images = ImageStore(data_dir / "images")
        shop = store.register_shop(SHOP, f"https://{SHOP}", "jsonld", {"delay": 0})
        run = store.start_run(shop.id)
        for item in items:
            stored = []
            for variant in range(images_per_product):
                url = f"https://{SHOP}/images/{item.sku}-{variant}.jpg"
                stored.append((url, images.put(jpeg(draw(item, variant)))))
            product = item.extracted(available=item.sku not in sold_out, price=(prices or {}).get(item.sku))
            store.upsert_product(shop.id, run, product, stored)
        store.finish_run(run, complete=True, stats={})


def tiny_settings(data_dir) -> Settings:
    return Settings(data_dir=data_dir, preset="tiny", device="cpu")
