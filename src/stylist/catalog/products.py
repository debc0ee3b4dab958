"""The catalog's plain values, passed between the crawler, the extraction adapters, the store and whoever reads
the catalog: pages, products as a page describes them and as the store keeps them, and their variants."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Page:
    """One fetched response, as the adapters see it."""

    url: str  # final URL after redirects
    status: int
    content_type: str  # lower-cased media type without parameters, e.g. "text/html"
    text: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Variant:
    """One buyable form of a product as the shop lists it: a size, a colour, or both.

    `size` and `color` are the shop's own text ("M", "IT 40", "32/34"), empty when the shop does not name
    them; `sku`, `price`, `currency` and `url` are the variant's own where the shop gives them, else empty.
    `available` is whether this variant can be bought now (a variant that does not say counts as in stock
    when its product does).
    """

    sku: str = ""
    size: str = ""
    color: str = ""
    available: bool = False
    price: float | None = None
    currency: str = ""
    url: str = ""

    def key(self) -> str:
        """What tells this variant apart from its siblings within one product."""
        return self.sku or f"{self.size}\x1f{self.color}"

    def to_json(self) -> dict:
        return {"sku": self.sku, "size": self.size, "color": self.color, "available": self.available,
                "price": self.price, "currency": self.currency, "url": self.url}


@dataclass
class ExtractedProduct:
    """A product as one adapter read it from one page, before it is stored.

    `sku` and `url` (canonical) identify it within its shop. `available` is True when at least one
    offer (or variant) is in stock. Prices are decimals as strings were parsed, in `currency` (ISO 4217).
    """

    sku: str
    url: str
    title: str
    designer: str = ""
    description: str = ""
    price: float | None = None
    currency: str = ""
    available: bool = False
    image_urls: list[str] = field(default_factory=list)
    category: str = ""
    color: str = ""
    availability_stated: bool = True  # False: the page did not say, and `available` is the catalog's default
    confidence: float = 1.0  # below 1 for products read from the visible page rather than its markup
    # sizes and colours as the shop lists them, each with its own stock; empty when the shop lists none
    variants: list[Variant] = field(default_factory=list)
    # the maker's identifiers, as the shop publishes them: a GTIN (EAN/UPC barcode) and a part number (MPN)
    gtin: str = ""
    mpn: str = ""

    def problems(self) -> list[str]:
        """Why this record must not be stored; empty when it is complete enough to keep."""
        missing = []
        if not self.sku:
            missing.append("sku")
        if not self.url:
            missing.append("url")
        if not self.title:
            missing.append("title")
        if self.price is None or self.price < 0:
            missing.append("price")
        if not self.currency:
            missing.append("currency")
        return missing


@dataclass
class Extraction:
    """What an adapter found on a page: products and extra URLs to visit (pagination of JSON APIs)."""

    products: list[ExtractedProduct] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    broken: int = 0  # product records found but rejected as incomplete or malformed
    # what the rejected records lacked ({"currency": 3}), for a crawl verdict that says why nothing was stored
    missing: dict[str, int] = field(default_factory=dict, compare=False)


@dataclass
class StoredProduct:
    id: int
    shop: str
    sku: str
    url: str
    designer: str
    title: str
    description: str
    category: str
    color: str
    price: float | None
    currency: str
    available: bool  # purchasable: in stock and seen in the shop's latest complete crawl
    first_seen: str
    last_seen: str
    images: list[Path] = field(default_factory=list)  # normalised 512×512 copies, in the shop's order
    # The same pictures as the shop published them (upright RGB, full size): what reference editing reads.
    originals: list[Path] = field(default_factory=list)
    # Sizes and colours as the shop lists them; `available` is per variant and purchasable now (never
    # when the product is not). Empty when the shop lists none.
    variants: list[Variant] = field(default_factory=list)
    gtin: str = ""  # the maker's barcode and part number, where the shop publishes them
    mpn: str = ""

    def picture(self) -> Path:
        """The first picture as the shop published it, or its catalog copy where the original is gone from the
        disk; IndexError for a product without pictures."""
        if self.originals and self.originals[0].is_file():
            return self.originals[0]
        return self.images[0]

    def to_json(self) -> dict:
        return {
            "id": self.id, "shop": self.shop, "sku": self.sku, "url": self.url, "designer": self.designer,
            "title": self.title, "description": self.description, "price": self.price,
            "currency": self.currency, "available": self.available,
            "images": [str(path) for path in self.images],
            "first_seen": self.first_seen, "last_seen": self.last_seen,
            "variants": [variant.to_json() for variant in self.variants],
        }


@dataclass
class RememberedPage:
    """What one page of a shop answered when it was last fetched, for the next crawl to ask it conditionally.

    `url` is the canonical URL the crawl asked for and `final_url` where it ended after redirects. `skus`
    are the products it yielded and `links` what it led to, as (canonical URL, kind, sitemap lastmod):
    a page that answers 304 Not Modified yields them again without being read. `lastmod` is the sitemap's
    lastmod for the page when it was fetched. A page kept without validators is read in full next time.
    """

    url: str
    final_url: str
    etag: str = ""
    last_modified: str = ""
    lastmod: str = ""
    fetched_at: str = ""
    skus: list[str] = field(default_factory=list)
    links: list[tuple[str, str, str]] = field(default_factory=list)

    def validators(self) -> dict[str, str]:
        """The headers that ask the shop whether the page changed since it was fetched; empty when it cannot be
        asked."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers
