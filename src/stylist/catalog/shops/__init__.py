"""The shop adapters by name, and the choice `--adapter auto` makes for a shop.

`auto` decides on facts the crawler has before crawling: the host (Luisaviaroma) and a probe of
/products.json (Shopify). Every other shop gets the JSON-LD adapter, which on purpose knows no single
shop: a Luisaviaroma page read through it still yields its JSON-LD product, only without the sizes and
photos of the embedded state, and Luisaviaroma is recognised by its host anyway.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from stylist.catalog.products import Page
from stylist.catalog.shops.base import Adapter
from stylist.catalog.shops.jsonld import JsonLdAdapter
from stylist.catalog.shops.luisaviaroma import LuisaviaromaAdapter
from stylist.catalog.shops.shopify import ShopifyAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    "jsonld": JsonLdAdapter,
    "shopify": ShopifyAdapter,
    "luisaviaroma": LuisaviaromaAdapter,
}


def make_adapter(name: str) -> Adapter:
    """A fresh adapter (one per crawl of one shop, as adapters remember shop-wide facts)."""
    try:
        return ADAPTERS[name]()
    except KeyError:
        raise ValueError(f"unknown shop adapter {name!r}; choose one of {', '.join(ADAPTERS)}") from None


def detect_adapter(root_url: str, products_json: Page | None) -> str:
    """The adapter name for a shop: `products_json` is the crawler's fetch of <origin>/products.json."""
    host = (urlsplit(root_url).hostname or "").lower()
    if host == "luisaviaroma.com" or host.endswith(".luisaviaroma.com"):
        return "luisaviaroma"
    probe = products_json
    if probe is not None and 200 <= probe.status < 300 and _lists_products(probe.text):
        return "shopify"
    return "jsonld"


def _lists_products(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("products"), list)
