"""The demo shop's invented catalogue: products drawn from a seed, the traps some of them play, and day two.

Product i depends only on (seed, i), so every run, test and benchmark sees the same shop.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

SHOP_NAME = "Maison Démo"
CURRENCY = "EUR"
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

NOUNS = {
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

# Trap products sit at the first indices; the sitemap-only pair straddles the two sitemap files.
TRAP_ROLES = (
    "private", "sitemap_only", "sitemap_only", "duplicate", "sold_out", "group_sold_out",
    "group_one_left", "broken_jsonld", "no_price", "flaky_503", "rate_limited_429",
    "truncated_image", "bomb_image", "near_duplicate_images",
)  # fmt: skip
SHOPIFY_TRAP_ROLES = ("group_sold_out", "group_one_left")
NOT_STORED = {"private", "broken_jsonld", "no_price"}  # a correct, polite crawler stores none of these
_UNLISTED = {"private", "sitemap_only"}  # not on any listing page (private: only a home-page link)
_IMAGE_FLAWS = {  # role -> (flaw, index of the flawed image)
    "truncated_image": ("truncated", 1),
    "bomb_image": ("bomb", 2),
    "near_duplicate_images": ("near_duplicate", 1),
}
BOMB_SIDE = 30000


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
    gtin: str = ""  # the maker's barcode (EAN-13) and part number, as its page publishes them
    mpn: str = ""
    drawn_as: str = ""  # the SKU its pictures are drawn for: a reseller's copy shows the maker's photos

    @property
    def picture_key(self) -> str:
        return self.drawn_as or self.sku

    @property
    def available(self) -> bool:
        return any(self.in_stock)

    @property
    def published_images(self) -> tuple[ImageSpec, ...]:
        """The images its page names: a page that gives `image` as one string names only the first."""
        return self.images[:1] if self.markup.image == "string" else self.images


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
    title = " ".join(w for w in (colour, _PATTERN_ADJECTIVES[pattern], material.title(), NOUNS[category]) if w)
    sku = f"ST-{index + 1:06d}"
    description = (
        f"{NOUNS[category]} in {colour.lower()} {material}{_PATTERN_PHRASES[pattern]}, by {designer}. "
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
        gtin=_ean13(f"{seed}:{index}"),
        mpn=f"{''.join(word[0] for word in designer.split() if word[0].isalpha()).upper()}-{seed}{index:05d}",
    )


def _ean13(key: str) -> str:
    """A made-up EAN-13 (GS1 prefix 20: numbers for use inside one company) with its check digit."""
    body = "20" + str(int.from_bytes(key.encode(), "big") * 2654435761 % 10**10).zfill(10)
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)


# How resellers retitle the products they buy in: the same words around, the maker's order changed.
_RESALE_TITLES = ("{designer} {title}", "Women's {lower}", "{title} - new season", "{noun}: {lower}")


def resold(products: list[Product], seed: int, share: float) -> list[Product]:
    """A reseller's copies of `share` of `products`: its own SKUs, titles, prices and page formats, the maker's
    photos, and the maker's barcode on half of them, its part number on a quarter, neither on the rest (found
    by brand, title and picture). Depends only on the products and `seed`."""
    rng = random.Random(f"stylist-demo-reseller:{seed}")
    ordinary = [p for p in products if not p.role]
    chosen = rng.sample(ordinary, round(len(ordinary) * share))
    copies = []
    for number, p in enumerate(chosen):
        sku = f"RS{seed}-{number + 1:05d}"
        title = rng.choice(_RESALE_TITLES).format(designer=p.designer, title=p.title, lower=p.title.lower(),
                                                  noun=NOUNS[p.category])
        evidence = number % 4  # 0, 1: barcode; 2: part number; 3: neither
        copies.append(replace(
            p, index=10_000 + number, sku=sku, slug=f"{_slugify(title)}-{sku.lower()}", title=title,
            price=float(round(p.price * rng.uniform(0.8, 1.2) / 5) * 5), drawn_as=p.picture_key,
            gtin=p.gtin if evidence < 2 else "", mpn=p.mpn if evidence == 2 else "",
            markup=replace(p.markup, format=PAGE_FORMATS[number % len(PAGE_FORMATS)]),
        ))
    return copies


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


def with_role(p: Product, role: str) -> Product:
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
            images[k] = ImageSpec(k, "png", BOMB_SIDE, BOMB_SIDE, images[k].view, flaw=flaw)
        else:
            images[k] = replace(images[k], fmt="jpeg", exif_rotated=False, flaw=flaw)
        # JSON-LD with every image listed, so the bad one is in plain sight.
        return replace(p, images=tuple(images), markup=replace(p.markup, format="offer", image="list"))
    return p


def second_day(day_one: list[Product], seed: int) -> list[Product]:
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


class Day:
    """One day's catalogue with the look-ups the pages need."""

    def __init__(self, products: list[Product]) -> None:
        self.products = products
        self.by_slug = {p.slug: p for p in products}
        self.by_sku = {p.sku: p for p in products}
        self.listed = [p for p in products if p.role not in _UNLISTED]


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
