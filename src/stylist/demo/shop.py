"""An offline shop on 127.0.0.1 for the crawler's tests, `stylist demo` and the crawl benchmark.

Garments are drawn procedurally from a seed and published in the formats real shops use; with
`traps=True` the shop also throws at a crawler what real shops throw (see `DemoShop.trap_urls`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import html
import io
import json
import math
import random
import re
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from PIL import Image, ImageDraw

SHOP_NAME = "Maison Démo"
CURRENCY = "EUR"
PER_PAGE = 24
DAY_DATES = {1: "2024-05-01", 2: "2024-05-02"}

CATEGORIES = (
    "dress", "t-shirt", "shirt", "trousers", "skirt", "coat",
    "jacket", "shoes", "bag", "hat", "scarf", "sweater",
)  # fmt: skip
COLOURS: dict[str, tuple[int, int, int]] = {
    "Navy": (32, 45, 92),
    "Black": (28, 28, 30),
    "Ivory": (236, 230, 212),
    "Red": (190, 30, 40),
    "Camel": (193, 154, 107),
    "Olive": (107, 112, 52),
    "Burgundy": (118, 24, 48),
    "Mustard": (222, 170, 40),
    "Sky Blue": (120, 176, 222),
    "Blush Pink": (232, 168, 176),
    "Forest Green": (34, 94, 56),
    "Charcoal": (66, 68, 74),
}
PATTERNS = ("plain", "stripes", "checks", "dots")
# Invented names; "&" and the accents check that crawlers unescape HTML and decode UTF-8.
DESIGNERS = (
    "Maison Verlaine", "Ostra Studio", "Halden Row", "Atelier Nuvem",
    "Linnea Varg", "Odile Marchetti", "Brume & Fils", "Émile Sauvé",
)  # fmt: skip
# Page formats of ordinary products, cycled by index so that even a small shop shows every one.
PAGE_FORMATS = ("offer", "aggregate", "offers", "graph", "group", "microdata", "opengraph")

_NOUNS = {
    "dress": "Dress", "t-shirt": "T-Shirt", "shirt": "Shirt", "trousers": "Trousers",
    "skirt": "Skirt", "coat": "Coat", "jacket": "Jacket", "shoes": "Shoes", "bag": "Bag",
    "hat": "Hat", "scarf": "Scarf", "sweater": "Sweater",
}  # fmt: skip
_MATERIALS = {
    "dress": ("silk", "linen", "cotton", "crepe"),
    "t-shirt": ("cotton", "jersey", "linen"),
    "shirt": ("poplin", "linen", "oxford"),
    "trousers": ("wool", "twill", "denim", "linen"),
    "skirt": ("wool", "silk", "denim"),
    "coat": ("wool", "cashmere", "tweed"),
    "jacket": ("denim", "leather", "tweed", "cotton"),
    "shoes": ("leather", "suede", "canvas"),
    "bag": ("leather", "canvas", "suede"),
    "hat": ("felt", "straw", "wool"),
    "scarf": ("silk", "cashmere", "wool"),
    "sweater": ("merino", "cashmere", "cotton"),
}
_PRICE_RANGES = {
    "dress": (140, 690), "t-shirt": (35, 140), "shirt": (90, 320), "trousers": (120, 450),
    "skirt": (110, 420), "coat": (380, 1400), "jacket": (260, 980), "shoes": (180, 720),
    "bag": (220, 1600), "hat": (60, 280), "scarf": (70, 390), "sweater": (130, 560),
}  # fmt: skip
_CUTS = {
    "dress": "Fitted through the bodice, it falls to a fluid midi skirt.",
    "t-shirt": "A relaxed crew-neck cut with short sleeves.",
    "shirt": "A classic point collar, button placket and long sleeves.",
    "trousers": "High-waisted with pressed creases and a straight leg.",
    "skirt": "An A-line shape that sits on the natural waist.",
    "coat": "Cut long with notched lapels and a belted waist.",
    "jacket": "A tailored single-breasted cut with flap pockets.",
    "shoes": "Set on a low stacked heel with a rounded toe.",
    "bag": "A structured top-handle shape with a front flap.",
    "hat": "A shaped crown with a wide brim and a grosgrain band.",
    "scarf": "Generously long, to wrap twice and hang loose.",
    "sweater": "A crew-neck knit with ribbed cuffs and hem.",
}
_PATTERN_ADJECTIVES = {"plain": "", "stripes": "Striped", "checks": "Checked", "dots": "Polka-Dot"}
_PATTERN_PHRASES = {
    "plain": "",
    "stripes": " with even horizontal stripes",
    "checks": " in a gingham check",
    "dots": " scattered with polka dots",
}
_LETTER_SIZES = ("XS", "S", "M", "L", "XL")
_SHOE_SIZES = ("37", "38", "39", "40", "41", "42")
_VIEWS = ("front", "back", "detail", "rotated", "scaled")
_PIXEL_SIZES = ((600, 800), (800, 600), (700, 700), (900, 1200), (640, 960), (1000, 750))
_MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png"}

# Trap products sit at the first indices; the sitemap-only pair straddles the two sitemap files.
_TRAP_ROLES = (
    "private", "sitemap_only", "sitemap_only", "duplicate", "sold_out", "group_sold_out",
    "group_one_left", "broken_jsonld", "no_price", "flaky_503", "rate_limited_429",
    "truncated_image", "bomb_image", "near_duplicate_images",
)  # fmt: skip
_SHOPIFY_TRAP_ROLES = ("group_sold_out", "group_one_left")
_NOT_STORED = {"private", "broken_jsonld", "no_price"}  # a correct, polite crawler stores none of these
_UNLISTED = {"private", "sitemap_only"}  # not on any listing page (private: only a home-page link)
_IMAGE_FLAWS = {  # role -> (flaw, index of the flawed image)
    "truncated_image": ("truncated", 1),
    "bomb_image": ("bomb", 2),
    "near_duplicate_images": ("near_duplicate", 1),
}
_BOMB_SIDE = 30000
_SHOPIFY_PRODUCT_ID = 7_400_000_000_000
_SHOPIFY_VARIANT_ID = 41_000_000_000_000
_SHOPIFY_IMAGE_ID = 31_000_000_000_000


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageSpec:
    """One picture of a product: what is drawn and how it is encoded. Sizes are as displayed."""

    index: int
    fmt: str  # "jpeg" or "png"
    width: int
    height: int
    view: str  # one of _VIEWS
    exif_rotated: bool = False  # pixels stored turned, with an EXIF orientation tag to undo it
    flaw: str = ""  # "truncated", "bomb" or "near_duplicate" (of image 0); "" for a sound image

    @property
    def file_name(self) -> str:
        return f"{self.index}.{'jpg' if self.fmt == 'jpeg' else 'png'}"

    @property
    def valid(self) -> bool:
        return self.flaw not in ("truncated", "bomb")


@dataclass(frozen=True)
class Markup:
    """How a product page publishes its data: the format, and which of the spellings shops use."""

    format: str  # one of PAGE_FORMATS, or "broken_jsonld" / "no_price" on trap pages
    brand: str = "text"  # "text" or "object" ({"@type": "Brand"})
    image: str = "list"  # "string" (first image only), "list" or "object" (ImageObjects)
    availability: str = "https"  # "https" / "http" (schema.org URLs) or "bare" ("InStock")
    price_as_text: bool = False  # "129.00" rather than 129.0


@dataclass(frozen=True)
class Product:
    index: int
    sku: str
    slug: str
    designer: str
    title: str
    description: str
    category: str
    color: str
    pattern: str
    material: str
    price: float
    sizes: tuple[str, ...]
    in_stock: tuple[bool, ...]  # per size
    images: tuple[ImageSpec, ...]
    markup: Markup
    currency: str = CURRENCY
    role: str = ""  # the trap this product plays, "" for an ordinary one
    updated: str = DAY_DATES[1]

    @property
    def available(self) -> bool:
        return any(self.in_stock)

    @property
    def published_images(self) -> tuple[ImageSpec, ...]:
        """The images its page names: a page that gives `image` as one string names only the first."""
        return self.images[:1] if self.markup.image == "string" else self.images


@dataclass(frozen=True)
class ExpectedProduct:
    """What a correct, polite crawler must store for one product.

    `n_images_valid` counts the decodable images the product's data names (near-duplicates
    included); `n_images_distinct` leaves the near-duplicate out too.
    """

    sku: str
    title: str
    designer: str
    price: float
    currency: str
    available: bool
    canonical_url: str
    n_images_valid: int
    n_images_distinct: int


class LoggedRequest(NamedTuple):
    host: str  # the Host header, e.g. "localhost:8123"
    path: str  # path with query, as requested
    status: int


class RequestLog:
    """Every request the shop answered, in order; safe to read while the server is writing."""

    def __init__(self) -> None:
        self._items: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def append(self, item: LoggedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __iter__(self) -> Iterator[LoggedRequest]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class Response(NamedTuple):
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


# --- the catalogue -----------------------------------------------------------------------------


def make_catalogue(n: int, seed: int = 0) -> list[Product]:
    """`n` ordinary products; product i depends only on (seed, i), so a bigger shop extends a smaller."""
    return [_make_product(i, seed) for i in range(n)]


def _make_product(index: int, seed: int) -> Product:
    rng = random.Random(f"stylist-demo:{seed}:{index}")
    category = rng.choice(CATEGORIES)
    colour = rng.choice(list(COLOURS))
    pattern = rng.choice(PATTERNS)
    material = rng.choice(_MATERIALS[category])
    designer = rng.choice(DESIGNERS)
    low, high = _PRICE_RANGES[category]
    price = float(round(rng.uniform(low, high) / 5) * 5)
    sizes = _pick_sizes(rng, category)
    in_stock = [True] * len(sizes)
    if len(sizes) >= 3 and rng.random() < 0.5:
        in_stock[rng.randrange(len(sizes))] = False  # ordinary products are purchasable, not complete
    title = " ".join(w for w in (colour, _PATTERN_ADJECTIVES[pattern], material.title(), _NOUNS[category]) if w)
    sku = f"ST-{index + 1:06d}"
    description = (
        f"{_NOUNS[category]} in {colour.lower()} {material}{_PATTERN_PHRASES[pattern]}, by {designer}. "
        f"{_CUTS[category]} Made in Europe."
    )
    page_format = PAGE_FORMATS[index % len(PAGE_FORMATS)]
    single_product_jsonld = page_format in ("offer", "aggregate", "offers", "graph")
    markup = Markup(
        format=page_format,
        brand=("text", "object")[index % 2],
        image=("list", "string", "object")[(index // 3) % 3] if single_product_jsonld else "list",
        availability=("https", "http", "bare")[index % 3],
        price_as_text=(index // 2) % 2 == 0,
    )
    return Product(
        index=index,
        sku=sku,
        slug=f"{_slugify(title)}-{sku.lower()}",
        designer=designer,
        title=title,
        description=description,
        category=category,
        color=colour,
        pattern=pattern,
        material=material,
        price=price,
        sizes=sizes,
        in_stock=tuple(in_stock),
        images=_image_specs(rng, index),
        markup=markup,
    )


def _pick_sizes(rng: random.Random, category: str) -> tuple[str, ...]:
    if category in ("bag", "scarf"):
        return ("One size",)
    if category == "hat":
        return ("S", "M", "L")
    scale = _SHOE_SIZES if category == "shoes" else _LETTER_SIZES
    start = rng.randint(0, 2)
    return scale[start : start + rng.randint(3, len(scale) - start)]


def _image_specs(rng: random.Random, index: int) -> tuple[ImageSpec, ...]:
    specs = []
    for k in range(rng.randint(3, 5)):
        width, height = rng.choice(_PIXEL_SIZES)
        fmt = "png" if k and rng.random() < 0.2 else "jpeg"  # image 0 stays JPEG: thumbnails, near-dups
        specs.append(ImageSpec(k, fmt, width, height, _VIEWS[k]))
    if index % 10 == 7:
        specs[1] = replace(specs[1], fmt="jpeg", exif_rotated=True)
    return tuple(specs)


def _with_role(p: Product, role: str) -> Product:
    """The product turned into the trap `role`."""
    p = replace(p, role=role)
    if role == "sold_out":
        return replace(p, in_stock=(False,) * len(p.sizes), markup=replace(p.markup, format="offer"))
    if role in ("group_sold_out", "group_one_left"):
        sizes = p.sizes if len(p.sizes) >= 3 else ("S", "M", "L")
        in_stock = tuple(role == "group_one_left" and k == 1 for k in range(len(sizes)))
        return replace(p, sizes=sizes, in_stock=in_stock, markup=replace(p.markup, format="group", image="list"))
    if role in ("broken_jsonld", "no_price"):
        return replace(p, markup=replace(p.markup, format=role))
    if role in _IMAGE_FLAWS:
        flaw, k = _IMAGE_FLAWS[role]
        images = list(p.images)
        if flaw == "near_duplicate":
            first = images[0]
            width, height = round(first.width * 0.97), round(first.height * 0.97)
            images[k] = replace(first, index=k, width=width, height=height, flaw=flaw)
        elif flaw == "bomb":
            images[k] = ImageSpec(k, "png", _BOMB_SIDE, _BOMB_SIDE, images[k].view, flaw=flaw)
        else:
            images[k] = replace(images[k], fmt="jpeg", exif_rotated=False, flaw=flaw)
        # JSON-LD with every image listed, so the bad one is in plain sight.
        return replace(p, images=tuple(images), markup=replace(p.markup, format="offer", image="list"))
    return p


def _second_day(day_one: list[Product], seed: int) -> list[Product]:
    """Day 2: a few ordinary products disappear, sell out, change price; a few new ones appear."""
    rng = random.Random(f"stylist-demo:{seed}:day2")
    ordinary = [p for p in day_one if not p.role]
    k = min(max(3, len(ordinary) // 20), len(ordinary) // 4)
    picked = rng.sample(ordinary, 3 * k)
    gone = {p.sku for p in picked[:k]}
    sold_out = {p.sku for p in picked[k : 2 * k]}
    repriced = {p.sku for p in picked[2 * k :]}
    today = DAY_DATES[2]
    day_two = []
    for p in day_one:
        if p.sku in gone:
            continue
        if p.sku in sold_out:
            p = replace(p, in_stock=(False,) * len(p.sizes), updated=today)
        elif p.sku in repriced:
            p = replace(p, price=float(round(p.price * 0.8 / 5) * 5), updated=today)
        day_two.append(p)
    n = len(day_one)
    day_two += [replace(_make_product(i, seed), updated=today) for i in range(n, n + k)]
    return day_two


class _Day:
    """One day's catalogue with the look-ups the pages need."""

    def __init__(self, products: list[Product]) -> None:
        self.products = products
        self.by_slug = {p.slug: p for p in products}
        self.by_sku = {p.sku: p for p in products}
        self.listed = [p for p in products if p.role not in _UNLISTED]


# --- drawing -----------------------------------------------------------------------------------

Point = tuple[float, float]


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 32) -> list[Point]:
    return [(cx + rx * math.cos(2 * math.pi * i / n), cy + ry * math.sin(2 * math.pi * i / n)) for i in range(n)]


def _ring(cx: float, cy: float, outer: Point, inner: Point) -> list[Point]:
    """A loop as one polygon: round the outside, then back round the inside, joined at the bottom."""
    out, into = _ellipse(cx, cy, *outer), _ellipse(cx, cy - 0.03, *inner)
    out, into = out[8:] + out[:9], into[8:] + into[:9]  # start and end at the bottom (y grows down)
    return out + into[::-1]


# Silhouettes in a unit box (x right, y down), one or more polygons per category.
_SHAPES: dict[str, list[list[Point]]] = {
    "t-shirt": [[(0.37, 0.12), (0.2, 0.16), (0.05, 0.33), (0.15, 0.42), (0.26, 0.34), (0.26, 0.9), (0.74, 0.9),
                 (0.74, 0.34), (0.85, 0.42), (0.95, 0.33), (0.8, 0.16), (0.63, 0.12), (0.57, 0.17), (0.5, 0.19),
                 (0.43, 0.17)]],
    "shirt": [[(0.38, 0.1), (0.21, 0.14), (0.1, 0.46), (0.07, 0.84), (0.16, 0.85), (0.2, 0.52), (0.26, 0.34),
               (0.26, 0.92), (0.74, 0.92), (0.74, 0.34), (0.8, 0.52), (0.84, 0.85), (0.93, 0.84), (0.9, 0.46),
               (0.79, 0.14), (0.62, 0.1), (0.5, 0.16)]],
    "sweater": [[(0.38, 0.12), (0.21, 0.16), (0.11, 0.46), (0.09, 0.86), (0.19, 0.87), (0.22, 0.52), (0.27, 0.36),
                 (0.27, 0.88), (0.73, 0.88), (0.73, 0.36), (0.78, 0.52), (0.81, 0.87), (0.91, 0.86), (0.89, 0.46),
                 (0.79, 0.16), (0.62, 0.12), (0.56, 0.17), (0.5, 0.18), (0.44, 0.17)]],
    "coat": [[(0.38, 0.05), (0.21, 0.09), (0.11, 0.44), (0.09, 0.8), (0.18, 0.81), (0.21, 0.48), (0.25, 0.3),
              (0.22, 0.97), (0.78, 0.97), (0.75, 0.3), (0.79, 0.48), (0.82, 0.81), (0.91, 0.8), (0.89, 0.44),
              (0.79, 0.09), (0.62, 0.05), (0.5, 0.12)]],
    "jacket": [[(0.38, 0.12), (0.21, 0.16), (0.11, 0.5), (0.09, 0.84), (0.18, 0.85), (0.21, 0.52), (0.25, 0.36),
                (0.24, 0.8), (0.76, 0.8), (0.75, 0.36), (0.79, 0.52), (0.82, 0.85), (0.91, 0.84), (0.89, 0.5),
                (0.79, 0.16), (0.62, 0.12), (0.5, 0.18)]],
    "dress": [[(0.36, 0.04), (0.4, 0.04), (0.43, 0.17), (0.57, 0.17), (0.6, 0.04), (0.64, 0.04), (0.66, 0.26),
               (0.61, 0.4), (0.84, 0.95), (0.16, 0.95), (0.39, 0.4), (0.34, 0.26)]],
    "skirt": [[(0.3, 0.14), (0.7, 0.14), (0.71, 0.22), (0.88, 0.86), (0.12, 0.86), (0.29, 0.22)]],
    "trousers": [[(0.29, 0.05), (0.71, 0.05), (0.76, 0.96), (0.56, 0.96), (0.5, 0.34), (0.44, 0.96), (0.24, 0.96)]],
    "shoes": [[(0.05, 0.62), (0.08, 0.46), (0.26, 0.43), (0.33, 0.34), (0.45, 0.34), (0.56, 0.49), (0.84, 0.55),
               (0.95, 0.63), (0.95, 0.72), (0.05, 0.72)],
              [(0.05, 0.7), (0.18, 0.7), (0.17, 0.8), (0.06, 0.8)]],
    "bag": [[(0.18, 0.4), (0.82, 0.4), (0.88, 0.88), (0.12, 0.88)],
            [(0.3, 0.41), (0.33, 0.16), (0.67, 0.16), (0.7, 0.41), (0.64, 0.41), (0.61, 0.22), (0.39, 0.22),
             (0.36, 0.41)]],
    "hat": [[(0.3, 0.6), (0.33, 0.3), (0.42, 0.22), (0.58, 0.22), (0.67, 0.3), (0.7, 0.6)],
            _ellipse(0.5, 0.62, 0.46, 0.1)],
    "scarf": [_ring(0.5, 0.18, (0.23, 0.12), (0.14, 0.06)),
              [(0.36, 0.2), (0.48, 0.21), (0.47, 0.9), (0.34, 0.9)],
              [(0.5, 0.22), (0.6, 0.2), (0.69, 0.82), (0.57, 0.85)]],
}  # fmt: skip
# Seams, collars and hems drawn on the front view only, so that front and back differ.
_DETAILS: dict[str, list[list[Point]]] = {
    "t-shirt": [[(0.43, 0.17), (0.5, 0.21), (0.57, 0.17)]],
    "shirt": [[(0.38, 0.1), (0.45, 0.21), (0.5, 0.16)], [(0.62, 0.1), (0.55, 0.21), (0.5, 0.16)],
              [(0.5, 0.17), (0.5, 0.92)]],
    "sweater": [[(0.27, 0.83), (0.73, 0.83)], [(0.09, 0.82), (0.19, 0.83)], [(0.81, 0.83), (0.91, 0.82)],
                [(0.4, 0.14), (0.5, 0.21), (0.6, 0.14)]],
    "coat": [[(0.38, 0.05), (0.44, 0.3), (0.5, 0.45)], [(0.62, 0.05), (0.56, 0.3), (0.5, 0.45)],
             [(0.5, 0.45), (0.5, 0.97)], [(0.24, 0.55), (0.76, 0.55)]],
    "jacket": [[(0.38, 0.12), (0.44, 0.34), (0.5, 0.46)], [(0.62, 0.12), (0.56, 0.34), (0.5, 0.46)],
               [(0.5, 0.46), (0.5, 0.8)], [(0.3, 0.64), (0.42, 0.64)], [(0.58, 0.64), (0.7, 0.64)]],
    "dress": [[(0.39, 0.4), (0.61, 0.4)]],
    "skirt": [[(0.29, 0.22), (0.71, 0.22)], [(0.42, 0.22), (0.38, 0.86)], [(0.58, 0.22), (0.62, 0.86)]],
    "trousers": [[(0.29, 0.11), (0.71, 0.11)], [(0.5, 0.11), (0.5, 0.3)], [(0.36, 0.15), (0.35, 0.96)],
                 [(0.64, 0.15), (0.65, 0.96)]],
    "shoes": [[(0.05, 0.69), (0.95, 0.69)], [(0.4, 0.42), (0.46, 0.47)], [(0.44, 0.39), (0.5, 0.46)]],
    "bag": [[(0.18, 0.4), (0.5, 0.6), (0.82, 0.4)]],
    "hat": [[(0.31, 0.52), (0.69, 0.52)]],
    "scarf": [[(0.37, 0.86), (0.37, 0.94)], [(0.41, 0.86), (0.41, 0.94)], [(0.45, 0.86), (0.45, 0.94)],
              [(0.6, 0.8), (0.61, 0.88)], [(0.64, 0.8), (0.65, 0.88)]],
}  # fmt: skip
_BUTTONS: dict[str, list[Point]] = {
    "shirt": [(0.5, 0.3), (0.5, 0.45), (0.5, 0.6), (0.5, 0.75)],
    "coat": [(0.45, 0.63), (0.45, 0.75), (0.55, 0.63), (0.55, 0.75)],
    "jacket": [(0.5, 0.56), (0.5, 0.68)],
    "bag": [(0.5, 0.6)],
}
_BACKGROUNDS = ((246, 244, 240), (240, 242, 245), (247, 245, 250), (243, 240, 235))


def _mix(rgb: tuple[int, int, int], target: int, amount: float) -> tuple[int, int, int]:
    r, g, b = (round(c + (target - c) * amount) for c in rgb)
    return (r, g, b)


def _draw(
    category: str, rgb: tuple[int, int, int], pattern: str, sku: str, view: str, size: tuple[int, int]
) -> Image.Image:
    """The garment's silhouette in its colour and pattern on a light background, seen from `view`."""
    width, height = size
    shape = random.Random(f"shape:{sku}")  # small per-product proportions, so two coats differ
    stretch_x, stretch_y = shape.uniform(0.9, 1.05), shape.uniform(0.93, 1.04)
    background = shape.choice(_BACKGROUNDS)
    tilt = math.radians(shape.choice((-1, 1)) * shape.uniform(5, 9)) if view == "rotated" else 0.0

    side = min(width, height) * 0.86
    zoom, focus, centre = {
        "detail": (2.3, (0.5, 0.35), (width / 2, height / 2)),
        "scaled": (0.62, (0.5, 0.5), (width * 0.42, height * 0.55)),
    }.get(view, (1.0, (0.5, 0.5), (width / 2, height / 2)))
    scale = side * zoom

    def place(point: Point) -> Point:
        u, v = point
        if view == "back":
            u = 1 - u
        return (centre[0] + (u - focus[0]) * scale * stretch_x, centre[1] + (v - focus[1]) * scale * stretch_y)

    # The tilted view turns the geometry rather than the bitmap: rotating pixels costs ten times more.
    cos, sin = math.cos(tilt), math.sin(tilt)

    def turn(point: Point) -> Point:
        x, y = point[0] - centre[0], point[1] - centre[1]
        return (centre[0] + x * cos - y * sin, centre[1] + x * sin + y * cos)

    def to_px(point: Point) -> Point:
        return turn(place(point))

    placed = [[place(pt) for pt in poly] for poly in _SHAPES[category]]
    polygons = [[turn(pt) for pt in poly] for poly in placed]
    mask = Image.new("L", size, 0)
    mask_draw = ImageDraw.Draw(mask)
    for poly in polygons:
        mask_draw.polygon(poly, fill=255)

    cloth = Image.new("RGB", size, rgb)
    luminance = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    accent = _mix(rgb, 0, 0.45) if luminance > 150 else _mix(rgb, 255, 0.55)
    xs = [x for poly in placed for x, _ in poly]
    ys = [y for poly in placed for _, y in poly]
    box = (max(min(xs), -scale), max(min(ys), -scale), min(max(xs), width + scale), min(max(ys), height + scale))
    _draw_pattern(ImageDraw.Draw(cloth), pattern, box, max(5, round(scale / 16)), accent, turn)
    if view == "back":
        # A contrasting back yoke: without it a symmetric garment's back view would be its front view
        # mirrored, which a perceptual hash rightly calls a near-duplicate.
        top = box[1] + (box[3] - box[1]) * 0.12
        yoke = [turn(pt) for pt in ((box[0], top), (box[2], top), (box[2], top + scale * 0.22), (box[0], top + scale * 0.22))]
        ImageDraw.Draw(cloth).polygon(yoke, fill=accent)

    image = Image.new("RGB", size, background)
    image.paste(cloth, mask=mask)
    draw = ImageDraw.Draw(image)
    edge = _mix(rgb, 0, 0.55)
    line = max(2, round(scale / 180))
    for poly in polygons:
        draw.polygon(poly, outline=edge, width=line)
    if view == "back":
        x, y = to_px((0.5, 0.2))
        draw.rectangle((x - scale * 0.03, y - scale * 0.02, x + scale * 0.03, y + scale * 0.02), fill=(250, 250, 250))
    else:
        for detail in _DETAILS.get(category, []):
            draw.line([to_px(pt) for pt in detail], fill=edge, width=line)
        radius = scale * 0.012
        for pt in _BUTTONS.get(category, []):
            x, y = to_px(pt)
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=edge)
    return image


def _draw_pattern(
    draw: ImageDraw.ImageDraw,
    pattern: str,
    box: tuple[float, float, float, float],
    step: int,
    colour: tuple[int, int, int],
    turn: Callable[[Point], Point],
) -> None:
    """Stripes, checks or dots over the garment's box, turned with the garment."""
    x0, y0, x1, y1 = box

    def band(left: float, top: float, right: float, bottom: float) -> None:
        draw.polygon([turn((left, top)), turn((right, top)), turn((right, bottom)), turn((left, bottom))], fill=colour)

    if pattern in ("stripes", "checks"):
        thickness = step if pattern == "stripes" else step / 2
        for k in range(math.ceil((y1 - y0) / (2 * step)) + 1):
            band(x0, y0 + k * 2 * step, x1, y0 + k * 2 * step + thickness)
    if pattern == "checks":
        for k in range(math.ceil((x1 - x0) / (2 * step)) + 1):
            band(x0 + k * 2 * step, y0, x0 + k * 2 * step + step / 2, y1)
    if pattern == "dots":
        radius = step * 0.45
        for row in range(math.ceil((y1 - y0) / (2 * step)) + 1):
            for col in range(math.ceil((x1 - x0) / (2 * step)) + 1):
                x, y = turn((x0 + step / 2 + (row % 2) * step + col * 2 * step, y0 + step / 2 + row * 2 * step))
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)


def render_image(product: Product, spec: ImageSpec) -> bytes:
    """The bytes served for one image: they depend only on the garment, so every day and run agree."""
    if spec.flaw == "bomb":
        return _bomb_png()
    return _render(product.sku, product.category, product.color, product.pattern, spec, product.images[0])


@functools.lru_cache(maxsize=256)  # bounded: a crawl of the 5,000-product shop fetches ~20,000 images
def _render(sku: str, category: str, colour: str, pattern: str, spec: ImageSpec, first: ImageSpec) -> bytes:
    if spec.flaw == "near_duplicate":
        original = Image.open(io.BytesIO(_render(sku, category, colour, pattern, first, first)))
        return _encode(original.resize((spec.width, spec.height), Image.Resampling.LANCZOS), "jpeg", quality=70)
    image = _draw(category, COLOURS[colour], pattern, sku, spec.view, (spec.width, spec.height))
    if spec.exif_rotated:
        exif = Image.Exif()
        exif[0x0112] = 6  # "rotate 90° clockwise to display": the pixels are stored turned the other way
        buffer = io.BytesIO()
        image.rotate(90, expand=True).save(buffer, "JPEG", quality=88, exif=exif)
        return buffer.getvalue()
    data = _encode(image, spec.fmt)
    return data[: len(data) // 2] if spec.flaw == "truncated" else data


def _encode(image: Image.Image, fmt: str, quality: int = 88) -> bytes:
    buffer = io.BytesIO()
    if fmt == "jpeg":
        image.save(buffer, "JPEG", quality=quality)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _bomb_png() -> bytes:
    """A valid 1-bit PNG of 30000×30000 pixels, ~110 KB on disk, ~900 MB once decoded by Pillow."""
    row_bytes = (_BOMB_SIDE + 7) // 8 + 1  # a filter byte, then the packed pixels
    compressor = zlib.compressobj(9)
    remaining, zeros, parts = row_bytes * _BOMB_SIDE, bytes(1 << 23), []
    while remaining:
        parts.append(compressor.compress(zeros[: min(remaining, len(zeros))]))
        remaining -= min(remaining, len(zeros))
    parts.append(compressor.flush())

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", _BOMB_SIDE, _BOMB_SIDE, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


# --- markup ------------------------------------------------------------------------------------


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _size_code(size: str) -> str:
    return "OS" if size == "One size" else size


def _money(price: float) -> str:
    return f"€{price:,.2f}"


def _availability(in_stock: bool, spelling: str) -> str:
    word = "InStock" if in_stock else "OutOfStock"
    return {"https": f"https://schema.org/{word}", "http": f"http://schema.org/{word}", "bare": word}[spelling]


def _script(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def _jsonld(p: Product, canonical: str, image_urls: list[str], base: str) -> dict[str, Any]:
    """The JSON-LD document of a page in one of the JSON-LD formats."""
    m = p.markup

    def price(value: float) -> float | str:
        return f"{value:.2f}" if m.price_as_text else value

    if m.image == "string":
        image: Any = image_urls[0]
    elif m.image == "object":
        image = [
            {"@type": "ImageObject", "url": url, "width": spec.width, "height": spec.height}
            for url, spec in zip(image_urls, p.published_images)
        ]
    else:
        image = image_urls
    common = {
        "name": p.title,
        "description": p.description,
        "brand": p.designer if m.brand == "text" else {"@type": "Brand", "name": p.designer},
        "image": image,
        "color": p.color,
        "category": _NOUNS[p.category],
        "url": canonical,
    }
    offer = {
        "@type": "Offer",
        "url": canonical,
        "price": price(p.price),
        "priceCurrency": p.currency,
        "availability": _availability(p.available, m.availability),
        "itemCondition": "https://schema.org/NewCondition",
    }
    if m.format == "group":
        variants = [
            {
                "@type": "Product",
                "sku": f"{p.sku}-{_size_code(size)}",
                "name": f"{p.title} - {size}",
                "size": size,
                "image": image_urls[k % len(image_urls)],
                "offers": {**offer, "url": f"{canonical}?size={_size_code(size)}",
                           "availability": _availability(in_stock, m.availability)},
            }
            for k, (size, in_stock) in enumerate(zip(p.sizes, p.in_stock))
        ]  # fmt: skip
        return {
            "@context": "https://schema.org",
            "@type": "ProductGroup",
            "productGroupID": p.sku,
            **common,
            "variesBy": ["https://schema.org/size"],
            "hasVariant": variants,
        }
    product: dict[str, Any] = {"@context": "https://schema.org", "@type": "Product", "sku": p.sku, **common}
    if m.format == "aggregate":
        product["offers"] = {
            "@type": "AggregateOffer",
            "lowPrice": price(p.price),
            "highPrice": price(float(round(p.price * 1.15 / 5) * 5)),
            "priceCurrency": p.currency,
            "offerCount": len(p.sizes),
            "availability": _availability(p.available, m.availability),
        }
    elif m.format == "offers":
        product["offers"] = [
            {**offer, "sku": f"{p.sku}-{_size_code(size)}", "name": size,
             "url": f"{canonical}?size={_size_code(size)}", "availability": _availability(in_stock, m.availability)}
            for size, in_stock in zip(p.sizes, p.in_stock)
        ]  # fmt: skip
    elif m.format == "no_price":
        product["offers"] = {key: value for key, value in offer.items() if key != "price"}
    else:
        product["offers"] = offer
    if m.format != "graph":
        return product
    del product["@context"]
    product["@id"] = f"{canonical}#product"
    crumbs = [("Home", f"{base}/"), (_NOUNS[p.category], f"{base}/c/{p.category}"), (p.title, canonical)]
    return {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": f"{canonical}#webpage", "url": canonical, "name": p.title,
             "breadcrumb": {"@id": f"{canonical}#breadcrumb"}, "mainEntity": {"@id": f"{canonical}#product"}},
            product,
            {"@type": "BreadcrumbList", "@id": f"{canonical}#breadcrumb",
             "itemListElement": [{"@type": "ListItem", "position": i + 1, "name": name, "item": url}
                                 for i, (name, url) in enumerate(crumbs)]},
        ],
    }  # fmt: skip


_CSS = """
body{font-family:Georgia,serif;margin:0;color:#222;background:#faf8f5}
header,footer{padding:1rem 2rem;display:flex;gap:1rem;flex-wrap:wrap;align-items:baseline}
header{border-bottom:1px solid #ddd}footer{border-top:1px solid #ddd;color:#777;margin-top:2rem}
header .logo{font-size:1.5rem;font-weight:bold;margin-right:1.5rem;text-decoration:none}
a{color:inherit}main{padding:1rem 2rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:1.4rem}
.card{display:block;text-decoration:none}.card img{width:100%;aspect-ratio:3/4;object-fit:contain;background:#fff}
.card span{display:block}.designer{text-transform:uppercase;letter-spacing:.08em;font-size:.8rem}
.gallery img{height:320px;margin:0 .5rem .5rem 0;background:#fff}.price{font-weight:bold}
.pages a{margin-right:.6rem}
"""


# --- the shop ----------------------------------------------------------------------------------


class DemoShop:
    """A shop's catalogue on one of two days, its pages, and the ground truth a crawler should store.

    Serve it with `serve(shop)`. Settable while serving: `day` (1 or 2), `fail_all` (every
    request but robots.txt answers 503, as when the shop is down) and `latency` (seconds each answer
    waits before it starts, as a real shop's time to first byte; 0 by default).
    """

    def __init__(
        self, n_products: int = 60, seed: int = 0, day: int = 1, traps: bool = True, shopify: bool = False
    ) -> None:
        roles = _SHOPIFY_TRAP_ROLES if shopify else _TRAP_ROLES
        if traps and n_products < len(roles) + 10:
            raise ValueError(f"a shop with traps needs at least {len(roles) + 10} products, not {n_products}")
        self.n_products, self.seed, self.traps, self.shopify = n_products, seed, traps, shopify
        first = make_catalogue(n_products, seed)
        if traps:
            first[: len(roles)] = [_with_role(p, role) for p, role in zip(first, roles)]
        self._days = {1: _Day(first), 2: _Day(_second_day(first, seed))}
        # Images outlive their pages, as on a CDN: every product of either day keeps its pictures.
        self._pictures = {p.sku: p for d in self._days.values() for p in d.products}
        self.base_url = ""  # pages, e.g. http://127.0.0.1:8123; set by serve()
        self.image_base_url = ""  # images: the same server under another host name, e.g. http://localhost:8123
        self.fail_all = False
        self.latency = 0.0
        self.requests = RequestLog()
        self._failed_once: set[str] = set()
        self._lock = threading.Lock()
        self.day = day

    @property
    def day(self) -> int:
        return self._day

    @day.setter
    def day(self, day: int) -> None:
        if day not in self._days:
            raise ValueError(f"the demo shop has days 1 and 2, not {day}")
        self._day = day

    # Ground truth.

    def products(self, day: int | None = None) -> list[Product]:
        """Every product of the day, traps included (see `Product.role`)."""
        return list(self._days[day or self.day].products)

    def expected(self, day: int | None = None) -> dict[str, ExpectedProduct]:
        """What a correct, polite crawler must store after crawling the shop on `day` (default: today)."""
        found = {}
        for p in self._days[day or self.day].products:
            if p.role in _NOT_STORED:
                continue
            images = p.images if self.shopify else p.published_images  # products.json lists every image
            sku = str(_SHOPIFY_PRODUCT_ID + p.index) if self.shopify else p.sku
            found[sku] = ExpectedProduct(
                sku=sku,
                title=p.title,
                designer=p.designer,
                price=p.price,
                currency=p.currency,
                available=p.available,
                canonical_url=self.canonical_url(p),
                n_images_valid=sum(spec.valid for spec in images),
                n_images_distinct=sum(spec.valid and spec.flaw != "near_duplicate" for spec in images),
            )
        return found

    def canonical_url(self, p: Product) -> str:
        folder = "private" if p.role == "private" else "products"
        return f"{self.base_url}/{folder}/{p.slug}"

    def image_url(self, p: Product, spec: ImageSpec) -> str:
        return f"{self.image_base_url}/img/{p.sku}/{spec.file_name}"

    def trap_urls(self) -> dict[str, str]:
        """Where each trap of day 1 lives, by name (absolute URLs, so call it while serving)."""
        if not self.traps:
            return {}
        base = self.base_url
        by_role = {}
        for p in self._days[1].products:
            by_role.setdefault(p.role, []).append(p)
        if self.shopify:
            return {
                "products_json_429": f"{base}/products.json?page=1",
                "cart": f"{base}/cart",
                "sorted_collection": f"{base}/collections/all?sort_by=price-ascending",
                "group_sold_out": self.canonical_url(by_role["group_sold_out"][0]),
                "group_one_left": self.canonical_url(by_role["group_one_left"][0]),
            }
        urls = {role: self.canonical_url(found[0]) for role, found in by_role.items() if role}
        del urls["sitemap_only"]
        for k, p in enumerate(by_role["sitemap_only"], 1):
            urls[f"sitemap_only_{k}"] = self.canonical_url(p)
        duplicate = by_role["duplicate"][0]
        urls["duplicate_utm"] = f"{base}/products/{duplicate.slug}?utm_source=newsletter"
        urls["duplicate_sku"] = f"{base}/p/{duplicate.sku}"
        for role in ("truncated_image", "bomb_image"):  # the bad image itself, not its product's page
            p = by_role[role][0]
            urls[role] = self.image_url(p, next(s for s in p.images if s.flaw))
        twins = by_role["near_duplicate_images"][0]
        urls["near_duplicate_a"] = self.image_url(twins, twins.images[0])
        urls["near_duplicate_b"] = self.image_url(twins, next(s for s in twins.images if s.flaw))
        rotated = next(p for p in self._days[1].listed if not p.role and any(s.exif_rotated for s in p.images))
        urls["exif_image"] = self.image_url(rotated, next(s for s in rotated.images if s.exif_rotated))
        urls["about"] = f"{base}/about"
        urls["dead_link"] = f"{base}/products/gone-forever"
        return urls

    # Answering requests.

    def handle(self, host: str, target: str) -> Response:
        """The answer to GET `target` (path and query) sent to `host`; logged in `requests`."""
        parts = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if self.fail_all and parts.path != "/robots.txt":
            response = _page(503, "Service unavailable", "<p>We are down for maintenance.</p>")
        else:
            route = self._shopify_route if self.shopify else self._route
            response = route(parts.path.strip("/").split("/"), query)
        self.requests.append(LoggedRequest(host, target, response.status))
        return response

    def _route(self, parts: list[str], query: dict[str, str]) -> Response:
        today = self._days[self.day]
        match parts:
            case [""]:
                return self._home(today)
            case ["robots.txt"]:
                return _text(self._robots())
            case ["about"]:
                about = "<h1>About us</h1><p>An independent boutique of invented designers.</p>"
                return _page(200, "About", about, nav=self._nav(today), footer=self._footer(), base=self.base_url)
            case ["sitemap_index.xml"]:
                return _xml(self._sitemap_index())
            case ["sitemaps", "products-1.xml"]:
                return _xml(self._sitemap([p for p in today.products if p.index % 2 == 0]))
            case ["sitemaps", "products-2.xml.gz"]:
                data = gzip.compress(self._sitemap([p for p in today.products if p.index % 2 == 1]), mtime=0)
                return Response(200, "application/x-gzip", data)
            case ["c", category]:
                return self._category(today, category, query.get("page", "1"))
            case ["products", slug]:
                return self._product(today.by_slug.get(slug), private=False)
            case ["p", sku]:
                return self._product(today.by_sku.get(sku), private=False)
            case ["private", slug]:
                return self._product(today.by_slug.get(slug), private=True)
            case ["img", sku, name]:
                return self._image(sku, name)
        return _not_found()

    def _shopify_route(self, parts: list[str], query: dict[str, str]) -> Response:
        today = self._days[self.day]
        match parts:
            case [""] | ["collections", "all"]:
                cards = "".join(self._card(p, f"/products/{p.slug}") for p in today.products)
                # Both links are forbidden by robots.txt, as on every Shopify store.
                links = '<a href="/cart">Cart</a> <a href="/collections/all?sort_by=price-ascending">By price</a>'
                body = f"<nav>{links}</nav><h1>All products</h1><div class=grid>{cards}</div>"
                return _page(200, SHOP_NAME, body, base=self.base_url)
            case ["robots.txt"]:
                return _text(
                    "User-agent: *\nDisallow: /admin\nDisallow: /cart\nDisallow: /checkout\nDisallow: /checkouts/\n"
                    f"Disallow: /account\nDisallow: /collections/*sort_by*\n\nSitemap: {self.base_url}/sitemap.xml\n"
                )
            case ["meta.json"]:
                return _json(self._shopify_meta(today))
            case ["products.json"]:
                return self._products_json(today, query)
            case ["sitemap.xml"]:
                return _xml(self._sitemap(today.products))
            case ["products", handle]:
                p = today.by_slug.get(handle)
                return self._shopify_product_page(p) if p else _not_found()
            case ["cart"]:
                return _page(200, "Cart", "<p>Your cart is empty.</p>")
            case ["img", sku, name]:
                return self._image(sku, name)
        return _not_found()

    # Pages of the JSON-LD shop.

    def _robots(self) -> str:
        sitemap = f"Sitemap: {self.base_url}/sitemap_index.xml\n"
        if not self.traps:
            return f"User-agent: *\nDisallow:\n\n{sitemap}"
        return f"User-agent: BadBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n\n{sitemap}"

    def _nav(self, today: _Day) -> str:
        present = {p.category for p in today.listed}
        links = "".join(f'<a href="/c/{c}">{_NOUNS[c]}</a>' for c in CATEGORIES if c in present)
        return f'<a href="/c/all">New in</a>{links}'

    def _footer(self) -> str:
        links = '<a href="/about">About</a>'
        if self.traps:  # links a crawler must not follow off the shop
            links += '<a href="https://www.instagram.com/maison.demo">Instagram</a>'
            links += '<a href="mailto:hello@maison-demo.example">Contact</a><a href="#top">Top</a>'
        return links

    def _card(self, p: Product, href: str) -> str:
        thumb = self.image_url(p, p.images[0])
        price = _money(p.price) if p.available else "Sold out"
        return (
            f'<a class=card href="{html.escape(href)}"><img src="{thumb}" alt="{html.escape(p.title)}" loading=lazy>'
            f"<span class=designer>{html.escape(p.designer)}</span><span>{html.escape(p.title)}</span>"
            f"<span class=price>{price}</span></a>"
        )

    def _home(self, today: _Day) -> Response:
        featured = []
        for p in today.listed[:8]:
            # The newsletter link is one of the three URLs of the duplicate product.
            href = f"/products/{p.slug}?utm_source=newsletter" if p.role == "duplicate" else f"/products/{p.slug}"
            featured.append(self._card(p, href))
        body = f"<h1>New season</h1><div class=grid>{''.join(featured)}</div>"
        private = [p for p in today.products if p.role == "private"]
        if private:
            body += f'<p><a href="/private/{private[0].slug}">Private sale preview</a></p>'
        return _page(200, SHOP_NAME, body, nav=self._nav(today), footer=self._footer(), base=self.base_url)

    def _category(self, today: _Day, category: str, page_text: str) -> Response:
        if category != "all" and category not in CATEGORIES:
            return _not_found()
        products = [p for p in today.listed if category in ("all", p.category)]
        pages = max(1, math.ceil(len(products) / PER_PAGE))
        if not page_text.isdigit() or not 1 <= int(page_text) <= pages or not products:
            return _not_found()
        page = int(page_text)
        cards = []
        for p in products[(page - 1) * PER_PAGE : page * PER_PAGE]:
            href = f"/p/{p.sku}" if p.role == "duplicate" and category != "all" else f"/products/{p.slug}"
            cards.append(self._card(p, href))
        if self.traps and category == "all" and page == 1:
            cards.append('<a class=card href="/products/gone-forever"><span>Archive: the 2019 trench</span></a>')
        links = "".join(f'<a href="/c/{category}?page={k}">{k}</a>' for k in range(1, pages + 1))
        if page < pages:
            links += f'<a rel=next href="/c/{category}?page={page + 1}">Next</a>'
        name = "New in" if category == "all" else _NOUNS[category]
        body = f"<h1>{name}</h1><div class=grid>{''.join(cards)}</div><p class=pages>{links}</p>"
        title = f"{name} — page {page}" if page > 1 else name
        return _page(200, title, body, nav=self._nav(today), footer=self._footer(), base=self.base_url)

    def _product(self, p: Product | None, private: bool) -> Response:
        if p is None or (p.role == "private") != private:
            return _not_found()
        if p.role in ("flaky_503", "rate_limited_429"):
            with self._lock:
                first_time = p.sku not in self._failed_once
                self._failed_once.add(p.sku)
            if first_time and p.role == "flaky_503":
                return _page(503, "Service unavailable", "<p>Please try again.</p>")
            if first_time:
                return _page(429, "Too many requests", "<p>Slow down.</p>", headers=(("Retry-After", "1"),))
        return self._product_page(p)

    def _product_page(self, p: Product) -> Response:
        canonical = self.canonical_url(p)
        specs = p.published_images
        urls = [self.image_url(p, spec) for spec in specs]
        m = p.markup
        head = [
            f'<link rel="canonical" href="{canonical}">',
            f'<meta property="og:title" content="{html.escape(p.title)}">',
        ]
        sizes = "".join(f"<li>{size}{'' if ok else ' — sold out'}</li>" for size, ok in zip(p.sizes, p.in_stock))
        gallery = "".join(f'<img src="{url}" alt="{html.escape(p.title)}">' for url in urls)
        shown_price = "Price on request" if m.format in ("no_price", "broken_jsonld") else _money(p.price)
        plain = (
            f'<p><a href="/">Home</a> / <a href="/c/{p.category}">{_NOUNS[p.category]}</a></p>'
            f"<p class=designer>{html.escape(p.designer)}</p><h1>{html.escape(p.title)}</h1>"
            f"<p class=price>{shown_price}</p><p>{'In stock' if p.available else 'Sold out'}</p>"
            f"<div class=gallery>{gallery}</div><p>{html.escape(p.description)}</p><ul>{sizes}</ul>"
        )
        if m.format == "microdata":
            body = self._microdata(p, specs)
        elif m.format == "opengraph":
            head += _opengraph(p, canonical, urls)
            body = plain
        elif m.format == "broken_jsonld":
            # Cut short by a template error: no JSON parser, lenient or not, can read it.
            text = _script(_jsonld(replace(p, markup=replace(m, format="offer")), canonical, urls, self.base_url))
            head.append(text[: len(text) // 2] + "\n<!-- Liquid error: product.json -->\n</script>")
            body = plain
        else:
            head.append(_script(_jsonld(p, canonical, urls, self.base_url)))
            body = plain
        return _page(200, p.title, body, head="".join(head), nav=self._nav(self._days[self.day]),
                     footer=self._footer(), base=self.base_url)  # fmt: skip

    def _microdata(self, p: Product, specs: tuple[ImageSpec, ...]) -> str:
        m = p.markup
        designer = html.escape(p.designer)
        if m.brand == "text":
            brand = f'<p class=designer itemprop="brand">{designer}</p>'
        else:
            brand = (
                '<p class=designer itemprop="brand" itemscope itemtype="http://schema.org/Brand">'
                f'<span itemprop="name">{designer}</span></p>'
            )
        # Protocol-relative image URLs, as some shops write them: a crawler must resolve them.
        relative = [self.image_url(p, spec).removeprefix("http:") for spec in specs]
        gallery = "".join(f'<img itemprop="image" src="{url}" alt="{html.escape(p.title)}">' for url in relative)
        availability = f"http://schema.org/{'InStock' if p.available else 'OutOfStock'}"
        return (
            '<section itemscope itemtype="http://schema.org/Product">'
            f'{brand}<h1 itemprop="name">{html.escape(p.title)}</h1><meta itemprop="sku" content="{p.sku}">'
            f'<div class=gallery>{gallery}</div><p itemprop="description">{html.escape(p.description)}</p>'
            '<div itemprop="offers" itemscope itemtype="http://schema.org/Offer">'
            f'<p class=price><span itemprop="priceCurrency" content="{p.currency}">€</span>'
            f'<span itemprop="price" content="{p.price:.2f}">{p.price:,.2f}</span></p>'
            f'<link itemprop="availability" href="{availability}">{"In stock" if p.available else "Sold out"}'
            "</div></section>"
        )

    def _sitemap_index(self) -> bytes:
        files = ("products-1.xml", "products-2.xml.gz")
        entries = "".join(
            f"<sitemap><loc>{self.base_url}/sitemaps/{name}</loc><lastmod>{DAY_DATES[self.day]}</lastmod></sitemap>"
            for name in files
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n'
        ).encode()

    def _sitemap(self, products: list[Product]) -> bytes:
        # The private product is listed too: a polite crawler checks sitemap URLs against robots.txt.
        entries = "".join(
            f"<url><loc>{html.escape(self.canonical_url(p))}</loc><lastmod>{p.updated}</lastmod></url>\n"
            for p in products
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>\n'
        ).encode()

    def _image(self, sku: str, name: str) -> Response:
        p = self._pictures.get(sku)
        spec = next((s for s in p.images if s.file_name == name), None) if p else None
        if p is None or spec is None:
            return _not_found()
        cache = (("Cache-Control", "public, max-age=31536000"),)
        return Response(200, _MEDIA_TYPES[spec.fmt], render_image(p, spec), cache)

    # The Shopify store.

    def _shopify_meta(self, today: _Day) -> dict[str, Any]:
        return {
            "id": 61_000_000_000,
            "name": SHOP_NAME,
            "city": "Paris",
            "province": "",
            "country": "FR",
            "currency": CURRENCY,
            "domain": self.base_url.removeprefix("http://"),
            "url": self.base_url,
            "myshopify_domain": "maison-demo.myshopify.com",
            "description": "An independent boutique of invented designers.",
            "ships_to_countries": ["FR", "DE", "IT", "NL"],
            "money_format": "€{{amount}}",
            "published_collections_count": len(CATEGORIES),
            "published_products_count": len(today.products),
        }

    def _products_json(self, today: _Day, query: dict[str, str]) -> Response:
        limit = min(int(query["limit"]), 250) if query.get("limit", "").isdigit() else 30  # Shopify's caps
        page = int(query["page"]) if query.get("page", "").isdigit() and int(query["page"]) > 0 else 1
        if self.traps and page == 1:
            with self._lock:
                first_time = "products.json" not in self._failed_once
                self._failed_once.add("products.json")
            if first_time:  # Shopify rate-limits bursts on its JSON endpoints
                return Response(429, "application/json", b'{"errors":"Too Many Requests"}', (("Retry-After", "1"),))
        chosen = today.products[(page - 1) * limit : page * limit]
        return _json({"products": [self._shopify_product(p) for p in chosen]})

    def _shopify_product(self, p: Product) -> dict[str, Any]:
        product_id = _SHOPIFY_PRODUCT_ID + p.index
        stamp = f"{p.updated}T09:00:00+02:00"
        variants = [
            {
                "id": _SHOPIFY_VARIANT_ID + p.index * 10 + k,
                "title": size,
                "option1": size,
                "option2": None,
                "option3": None,
                "sku": f"{p.sku}-{_size_code(size)}",
                "requires_shipping": True,
                "taxable": True,
                "featured_image": None,
                "available": in_stock,
                "price": f"{p.price:.2f}",
                "grams": 600,
                "compare_at_price": None,
                "position": k + 1,
                "product_id": product_id,
                "created_at": stamp,
                "updated_at": stamp,
            }
            for k, (size, in_stock) in enumerate(zip(p.sizes, p.in_stock))
        ]
        images = [
            {
                "id": _SHOPIFY_IMAGE_ID + p.index * 10 + spec.index,
                "created_at": stamp,
                "position": spec.index + 1,
                "updated_at": stamp,
                "product_id": product_id,
                "variant_ids": [],
                "src": f"{self.image_url(p, spec)}?v=1714550400",
                "width": spec.width,
                "height": spec.height,
            }
            for spec in p.images
        ]
        return {
            "id": product_id,
            "title": p.title,
            "handle": p.slug,
            "body_html": f"<p>{html.escape(p.description)}</p>",
            "published_at": stamp,
            "created_at": stamp,
            "updated_at": stamp,
            "vendor": p.designer,
            "product_type": _NOUNS[p.category],
            "tags": [p.category, p.color.lower(), p.pattern],
            "variants": variants,
            "images": images,
            "options": [{"name": "Size", "position": 1, "values": list(p.sizes)}],
        }

    def _shopify_product_page(self, p: Product) -> Response:
        canonical = self.canonical_url(p)
        urls = [self.image_url(p, spec) for spec in p.images]
        # Like Shopify themes: one Offer per variant, the product's own id as productID.
        data = {
            "@context": "http://schema.org/",
            "@type": "Product",
            "name": p.title,
            "url": canonical,
            "productID": str(_SHOPIFY_PRODUCT_ID + p.index),
            "image": urls,
            "description": p.description,
            "brand": {"@type": "Brand", "name": p.designer},
            "offers": [
                {"@type": "Offer", "sku": f"{p.sku}-{_size_code(size)}", "price": f"{p.price:.2f}",
                 "priceCurrency": p.currency, "url": f"{canonical}?variant={_SHOPIFY_VARIANT_ID + p.index * 10 + k}",
                 "availability": _availability(in_stock, "http")}
                for k, (size, in_stock) in enumerate(zip(p.sizes, p.in_stock))
            ],
        }  # fmt: skip
        gallery = "".join(f'<img src="{url}" alt="{html.escape(p.title)}">' for url in urls)
        body = (
            f"<p class=designer>{html.escape(p.designer)}</p><h1>{html.escape(p.title)}</h1>"
            f"<p class=price>{_money(p.price)}</p><div class=gallery>{gallery}</div>"
        )
        head = f'<link rel="canonical" href="{canonical}">{_script(data)}'
        return _page(200, p.title, body, head=head, base=self.base_url)


def _opengraph(p: Product, canonical: str, image_urls: list[str]) -> list[str]:
    tags = [
        ("og:type", "product"),
        ("og:url", canonical),
        ("og:description", p.description),
        ("og:site_name", SHOP_NAME),
        *(("og:image", url) for url in image_urls),
        ("product:brand", p.designer),
        ("product:price:amount", f"{p.price:.2f}"),
        ("product:price:currency", p.currency),
        ("product:availability", "in stock" if p.available else "out of stock"),
        ("product:retailer_item_id", p.sku),
    ]
    return [f'<meta property="{name}" content="{html.escape(value)}">' for name, value in tags]


def _page(
    status: int,
    title: str,
    body: str,
    head: str = "",
    nav: str = "",
    footer: str = "",
    base: str = "",
    headers: tuple[tuple[str, str], ...] = (),
) -> Response:
    organisation = _script(
        {"@context": "https://schema.org", "@type": "Organization", "name": SHOP_NAME, "url": f"{base}/"}
    )
    document = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · {SHOP_NAME}</title>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style>{organisation}{head}'
        f'</head><body id=top><header><a class=logo href="/">{SHOP_NAME}</a>{nav}</header><main>{body}</main>'
        f"<footer>{footer}</footer></body></html>\n"
    )
    return Response(status, "text/html; charset=utf-8", document.encode(), headers)


def _not_found() -> Response:
    return _page(404, "Not found", "<h1>Not found</h1><p>This page does not exist any more.</p>")


def _text(text: str) -> Response:
    return Response(200, "text/plain; charset=utf-8", text.encode())


def _xml(data: bytes) -> Response:
    return Response(200, "application/xml", data)


def _json(data: Any) -> Response:
    return Response(200, "application/json; charset=utf-8", json.dumps(data, ensure_ascii=False).encode())


# --- serving -----------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections when a crawler opens 16 at once
    shop: DemoShop


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer carries Content-Length
    timeout = 30  # an idle keep-alive connection gives its thread back
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle would hold the second
    server: _Server

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        if self.server.shop.latency:
            time.sleep(self.server.shop.latency)
        response = self.server.shop.handle(self.headers.get("Host", ""), self.path)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # `shop.requests` is the log


@contextlib.contextmanager
def serve(shop: DemoShop, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `shop` from a daemon thread on `host`:`port` (0: a free port); yield its base URL."""
    server = _Server((host, port), _Handler)
    server.shop = shop
    port = server.server_address[1]
    page_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    # Images come from the same server under the other name of this machine, as shops use CDNs.
    image_host = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(page_host, page_host)
    shop.base_url, shop.image_base_url = f"http://{page_host}:{port}", f"http://{image_host}:{port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield shop.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m stylist.demo.shop", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123, help="0 picks a free port")
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--day", type=int, default=1, choices=(1, 2))
    parser.add_argument("--shopify", action="store_true", help="serve a Shopify-style store")
    parser.add_argument("--no-traps", dest="traps", action="store_false", help="a well-behaved shop")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer (a real shop's time to first byte)")
    args = parser.parse_args(argv)
    shop = DemoShop(args.products, seed=args.seed, day=args.day, traps=args.traps, shopify=args.shopify)
    shop.latency = args.latency
    with serve(shop, args.host, args.port) as url:
        print(f"{url}  ({args.products} products, day {args.day}; Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
