"""Shopify shops: every product from the public /products.json feed, the shop's currency from /meta.json.

The feed is complete and cheap (250 products a request), so this adapter neither walks HTML links nor
reads sitemaps. The feed carries no currency; /meta.json does, so it is fetched first, and the storefront
page after it, which settles the currency for shops that serve no /meta.json.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from extruct.utils import parse_html
from w3lib.url import add_or_replace_parameter

from stylist.catalog.products import ExtractedProduct, Extraction, Page, Variant
from stylist.catalog.reading.currencies import page_currency
from stylist.catalog.reading.fields import (
    absolute_url,
    clean_text,
    distinct_variants,
    first_text,
    keep_complete,
    origin,
    parse_currency,
    parse_price,
    unique,
)
from stylist.catalog.reading.size_words import says_size
from stylist.catalog.shops.base import Adapter

# `Shopify.currency = {"active":"USD","rate":"1.0"};` in every storefront's theme scripts
SHOPIFY_CURRENCY = re.compile(r'Shopify\.currency\s*=\s*\{[^}]*?"active"\s*:\s*"([A-Za-z]{3})"')
PAGE_SIZE = 250  # the most Shopify serves per page
COLOR_OPTION_NAMES = {"color", "colour"}
# Shopify's one option of a product that has none, and the value its one variant then has
NO_OPTION_NAME = "title"
NO_OPTION_VALUE = "default title"


def products_page_url(shop_origin: str, number: int) -> str:
    return f"{shop_origin}/products.json?limit={PAGE_SIZE}&page={number}"


class ShopifyAdapter(Adapter):
    """Reads /meta.json (the currency) and then /products.json page after page until a page is empty."""

    name = "shopify"
    follow_html_links = False
    use_sitemaps = False

    def __init__(self) -> None:
        self.currency = ""  # the shop's currency, once /meta.json has been read

    def seeds(self, root_url: str) -> list[str]:
        # meta.json and the storefront first so the currency is known when the products arrive; the
        # first products page is a seed too because a shop without meta.json (404) still has its products.
        shop = origin(root_url)
        return [f"{shop}/meta.json", f"{shop}/", products_page_url(shop, 1)]

    def extract(self, page: Page) -> Extraction:
        path = urlsplit(page.url).path
        data = _json_object(page.text)
        if data is None:
            # the storefront (or a password/error page in place of the feed): only its currency is of use
            if not self.currency and page.content_type in ("text/html", "application/xhtml+xml"):
                self.currency = storefront_currency(page.text, page.url)
            return Extraction()
        if path.endswith("/meta.json"):
            self.currency = parse_currency(data.get("currency")) or self.currency
            return Extraction(links=[products_page_url(origin(page.url), 1)])
        if path.endswith("/products.json"):
            return self._products_page(page, data)
        return Extraction()

    def _products_page(self, page: Page, data: dict[str, Any]) -> Extraction:
        items = [item for item in data.get("products") or [] if isinstance(item, dict)]
        if not items:
            return Extraction()  # past the last page
        currency = self.currency or _feed_currency(data, items)
        result = keep_complete((_read_product(item, page.url, currency) for item in items), page.url)
        result.links = [add_or_replace_parameter(page.url, "page", str(_page_number(page.url) + 1))]
        return result


def storefront_currency(html: str, page_url: str) -> str:
    """The currency a Shopify storefront page sells in: its `Shopify.currency` script, price meta tags,
    or the page's locale."""
    active = SHOPIFY_CURRENCY.search(html)
    if active:
        return parse_currency(active.group(1))
    tree = parse_html(html.encode("utf-8"), encoding="utf-8")
    tagged = [meta.get("content") for meta in tree.iter("meta")
              if (meta.get("property") or meta.get("itemprop") or meta.get("name") or "").lower()
              in ("og:price:currency", "product:price:currency", "pricecurrency", "shop-currency")]
    return next(filter(None, map(parse_currency, tagged)), "") or page_currency(tree, page_url)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _page_number(url: str) -> int:
    value = parse_qs(urlsplit(url).query).get("page", ["1"])[0]
    return int(value) if value.isdigit() else 1


def _feed_currency(data: dict[str, Any], items: list[dict[str, Any]]) -> str:
    """A currency written in the feed itself: at its top, or as a variant's `price_currency`."""
    variants = [v for item in items for v in item.get("variants") or [] if isinstance(v, dict)]
    candidates = [data.get("currency"), *(variant.get("price_currency") for variant in variants)]
    return next(filter(None, map(parse_currency, candidates)), "")


def _read_product(item: dict[str, Any], page_url: str, currency: str) -> ExtractedProduct:
    variants = [v for v in item.get("variants") or [] if isinstance(v, dict)]
    # (price, in stock) per variant; a variant that does not say is taken as in stock
    offers = [(parse_price(v.get("price")), v.get("available", True) is not False) for v in variants]
    priced = [(price, available) for price, available in offers if price is not None]
    in_stock = [price for price, available in priced if available]
    handle = first_text(item.get("handle"))
    images = [image for image in item.get("images") or [] if isinstance(image, dict)]
    url = f"{origin(page_url)}/products/{handle}" if handle else ""
    product = ExtractedProduct(
        sku=first_text(item.get("id")),
        url=url,
        title=first_text(item.get("title")),
        designer=first_text(item.get("vendor")),
        description=clean_text(first_text(item.get("body_html"))),
        price=min(in_stock or [price for price, _ in priced], default=None),
        currency=currency,
        available=any(available for _, available in offers),
        image_urls=unique(absolute_url(page_url, first_text(image.get("src"))) for image in images),
        category=first_text(item.get("product_type")),
        color=_color(item.get("options")),
        # each size's barcode: the same product in another shop shares them (catalog/matching.py)
        gtin=" ".join(unique(first_text(variant.get("barcode")) for variant in variants)),
    )
    product.variants = _variants(variants, item.get("options"), product)
    return product


def _variants(variants: list[dict[str, Any]], options: Any, product: ExtractedProduct) -> list[Variant]:
    """Each variant with its size and colour read from the product's options; none for a product whose only
    variant is Shopify's "Default Title" (it has no sizes or colours)."""
    if len(variants) == 1 and first_text(variants[0].get("title")).lower() == NO_OPTION_VALUE:
        return []
    size_key, color_key = _option_keys(options)
    result = []
    for variant in variants:
        price = parse_price(variant.get("price"))
        number = first_text(variant.get("id"))
        result.append(Variant(
            sku=first_text(variant.get("sku")) or number,
            size=first_text(variant.get(size_key)) if size_key else "",
            color=first_text(variant.get(color_key)) if color_key else "",
            available=variant.get("available", product.available) is not False,
            price=product.price if price is None else price,
            currency=product.currency,
            url=f"{product.url}?variant={number}" if product.url and number else product.url,
        ))
    return distinct_variants(result)


def _option_keys(options: Any) -> tuple[str, str]:
    """The variant keys ("option1".."option3") holding the size and the colour; empty where none does.

    The size is the option named for it, or else the product's only option when that is neither a colour
    nor Shopify's stand-in "Title" (shops name a lone size option "Waist" or "EU"; among several options an
    unnamed one may as well be a material).
    """
    named = [(first_text(option.get("name")).lower(), _option_key(option, index))
             for index, option in enumerate(options if isinstance(options, list) else [], start=1)
             if isinstance(option, dict)]
    colors = [key for name, key in named if name in COLOR_OPTION_NAMES]
    sizes = [key for name, key in named if says_size(name)]
    if not sizes and len(named) == 1 and named[0][0] not in COLOR_OPTION_NAMES | {NO_OPTION_NAME}:
        sizes = [named[0][1]]
    return (sizes[0] if sizes else ""), (colors[0] if colors else "")


def _option_key(option: dict[str, Any], index: int) -> str:
    position = option.get("position")
    return f"option{position if isinstance(position, int) and 1 <= position <= 3 else index}"


def _color(options: Any) -> str:
    """The first value of the product's Color/Colour option, if it has one."""
    for option in options if isinstance(options, list) else []:
        if isinstance(option, dict) and first_text(option.get("name")).lower() in COLOR_OPTION_NAMES:
            return first_text(option.get("values"))
    return ""
