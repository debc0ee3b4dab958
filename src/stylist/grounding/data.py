"""Image–text pairs from the purchasable catalog, and the held-out split of products that training never sees.

Each product gives several texts (designer + title, its description, short attribute phrases when the
shop states colour or category) and its normalised images. The split is by product and fixed by a seed:
a product's place depends only on its shop, SKU and the seed, so it keeps its place as the catalog grows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from stylist.catalog.export import product_text
from stylist.catalog.store import CatalogStore, StoredProduct
from stylist.errors import StylistError
from stylist.settings import Settings

MAX_DESCRIPTION_WORDS = 40  # CLIP reads 77 tokens; a long description would be cut mid-sentence anyway


@dataclass(frozen=True)
class Split:
    seed: int = 0
    held_out: float = 0.2  # share of products held out

    def is_held_out(self, product: StoredProduct) -> bool:
        return _bucket(self.seed, product) < self.held_out


@dataclass
class CatalogPairs:
    train: list[StoredProduct]
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
    with CatalogStore(settings.catalog_db, settings.images_dir) as store:
        products = [product for product in store.products() if any(path.exists() for path in product.images)]
    if not products:
        raise StylistError("the catalog has no purchasable products with images: crawl a shop first "
                           "(stylist catalog crawl URL)")
    for product in products:
        product.images = [path for path in product.images if path.exists()]
    held_out = [product for product in products if split.is_held_out(product)]
    if not held_out:
        # A catalog too small for its share to catch any: hold out the product closest to the threshold.
        held_out = [min(products, key=lambda product: _bucket(split.seed, product))]
    held_out_ids = {product.id for product in held_out}
    train = [product for product in products if product.id not in held_out_ids]
    if len(train) < 2:
        raise StylistError(f"the catalog has only {len(products)} purchasable products with images: "
                           "crawl more (at least 3) to train and evaluate the CLIP")
    return CatalogPairs(train, held_out)


def _bucket(seed: int, product: StoredProduct) -> float:
    digest = hashlib.sha256(f"{seed}\0{product.shop}\0{product.sku}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
