"""Image–text pairs from the purchasable catalog, split by product into training, validation and held-out.

Each product gives several texts (designer + title, its description, short attribute phrases when the
shop states colour or category) and its normalised images. Training never sees the validation or the
held-out products; validation picks the checkpoint and stops training, so the held-out products, which
`clip eval` reports on, take no part in any choice. The split is fixed by a seed: a product's place depends
only on its SKU (the path of its page where the SKU is a URL) and the seed, not on the shop's host or port,
so it keeps its place as the catalog grows and when the same shop is served elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from stylist.catalog.export import product_text
from stylist.catalog.products import StoredProduct
from stylist.catalog.store import CatalogStore
from stylist.errors import StylistError
from stylist.settings import Settings

MAX_DESCRIPTION_WORDS = 40  # CLIP reads 77 tokens; a long description would be cut mid-sentence anyway


@dataclass(frozen=True)
class Split:
    seed: int = 0
    held_out: float = 0.2  # share of products held out, reported on only
    validation: float = 0.1  # share of products that choose the checkpoint and stop training

    def is_held_out(self, product: StoredProduct) -> bool:
        return _bucket(self.seed, product) < self.held_out

    def is_validation(self, product: StoredProduct) -> bool:
        return self.held_out <= _bucket(self.seed, product) < self.held_out + self.validation


@dataclass
class CatalogPairs:
    train: list[StoredProduct]
    validation: list[StoredProduct]
    held_out: list[StoredProduct]


def product_texts(product: StoredProduct) -> list[str]:
    """The texts a product is trained with, most specific first, without repeats."""
    name = product_text(product)
    texts = [name]
    description = " ".join(product.description.split()[:MAX_DESCRIPTION_WORDS])
    if description:
        texts.append(description)
    attributes = " ".join(part for part in (product.color.strip(), product.category.strip()) if part)
    if attributes:
        texts.append(attributes)
        if product.designer.strip():
            texts.append(f"{attributes} by {product.designer.strip()}")
    return list(dict.fromkeys(text for text in texts if text))


def catalog_pairs(settings: Settings, split: Split) -> CatalogPairs:
    """Purchasable products with at least one image on disk, split into training and held-out products."""
    with CatalogStore(settings) as store:
        products = [product for product in store.products() if any(path.exists() for path in product.images)]
    # In the shops' own terms, not the order a concurrent crawl stored them in: the same catalog trains the
    # same way on every run.
    products.sort(key=lambda product: (urlsplit(product.url).path, product.sku))
    if not products:
        raise StylistError("the catalog has no purchasable products with images: crawl a shop first "
                           "(stylist catalog crawl URL)")
    for product in products:
        product.images = [path for path in product.images if path.exists()]
    if len(products) < 4:
        raise StylistError(f"the catalog has only {len(products)} purchasable products with images: "
                           "crawl more (at least 4) to train, validate and evaluate the CLIP")
    held_out = [product for product in products if split.is_held_out(product)]
    if not held_out:
        # A catalog too small for its share to catch any: hold out the product closest to the threshold.
        held_out = [min(products, key=lambda product: _bucket(split.seed, product))]
    held_out_ids = {product.id for product in held_out}
    rest = [product for product in products if product.id not in held_out_ids]
    validation = [product for product in rest if split.is_validation(product)]
    if not validation:
        validation = [min(rest, key=lambda product: _bucket(split.seed, product))]
    validation_ids = {product.id for product in validation}
    train = [product for product in rest if product.id not in validation_ids]
    return CatalogPairs(train, validation, held_out)


def _bucket(seed: int, product: StoredProduct) -> float:
    # Where the SKU is the product's page address (shops that name none), only its path counts.
    address = urlsplit(product.sku)
    identity = urlunsplit(("", "", address.path, address.query, "")) if address.scheme and address.netloc else product.sku
    digest = hashlib.sha256(f"{seed}\0{identity}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
