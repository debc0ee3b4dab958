"""Helpers the page readers and the shop adapters share: prices, currencies, availability, URLs and text as shops
write them."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar
from urllib.parse import urljoin, urlsplit

from price_parser import Price
from w3lib.html import replace_entities, replace_tags
from w3lib.url import safe_url_string

from stylist.catalog.products import ExtractedProduct, Extraction

logger = logging.getLogger(__name__)

# Normalised availability words (see `parse_availability`). Pre-orders and back-orders can be bought now,
# so they count as purchasable; a shop-only item cannot be bought through the link we store.
PURCHASABLE = {"instock", "limitedavailability", "onlineonly", "preorder", "presale", "backorder",
               "availablefororder"}
NOT_PURCHASABLE = {"outofstock", "soldout", "discontinued", "instoreonly", "oos"}


def parse_price(value: Any) -> float | None:
    """A price from a number or from text such as "1,250.00", "1.250,00", "€ 99", "&pound;40" or "1 250,00"."""
    return parse_money(value)[0]


def parse_money(value: Any) -> tuple[float | None, str]:
    """A price and the currency symbol or code written with it ("£40.00" → (40.0, "£")).

    A plain decimal number is read as schema.org prescribes (a dot is the decimal mark, so "2.449" is
    2.449); any other text goes through price-parser, which knows the world's separators and symbols.
    """
    if isinstance(value, bool):
        return None, ""
    if isinstance(value, (int, float)):
        return (float(value) if math.isfinite(value) else None), ""
    if not isinstance(value, str):
        return None, ""
    text = clean_text(value)
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        return (number if math.isfinite(number) else None), ""
    found = Price.fromstring(text)
    if found.amount is None:
        return None, ""
    digit = next((i for i, ch in enumerate(text) if ch.isdigit()), 0)
    sign = -1.0 if "-" in text[:digit] else 1.0  # price-parser drops the sign; a negative price is broken data
    return sign * float(found.amount), found.currency or ""


def parse_currency(value: Any) -> str:
    """An ISO 4217 code ("eur" → "EUR"); empty when the value is missing or not a code (e.g. "€")."""
    code = first_text(value).upper()
    return code if len(code) == 3 and code.isascii() and code.isalpha() else ""


def parse_availability(value: Any) -> bool | None:
    """Whether an availability value means the item can be bought now; None when absent or unknown.

    Accepts schema.org URLs in any scheme ("https://schema.org/InStock", "http://schema.org/InStock"),
    prefixed names ("schema:InStock"), bare names in any case, and OpenGraph/feed words ("in stock",
    "out_of_stock", "oos").
    """
    if isinstance(value, bool):
        return value
    word = first_text(value).rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    word = "".join(ch for ch in word.lower() if ch.isalnum())
    if word in PURCHASABLE:
        return True
    if word in NOT_PURCHASABLE:
        return False
    return None


def first_text(value: Any) -> str:
    """The first text in a structured-data value: a string, a number, a list, or a thing with a name."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, list):
        return next((text for text in map(first_text, value) if text), "")
    if isinstance(value, dict):
        return first_text(value.get("name") or value.get("@value"))
    return ""


def clean_text(value: str) -> str:
    """Plain text from a description that may hold HTML tags and entities, whitespace collapsed."""
    return " ".join(replace_entities(replace_tags(value, " ")).split())


def absolute_url(base: str, url: str) -> str:
    """`url` resolved against `base` ("//cdn…" takes the page's scheme); empty unless it is http(s)."""
    url = url.strip()
    if not url:
        return ""
    resolved = urljoin(base, url)
    return safe_url_string(resolved) if urlsplit(resolved).scheme in ("http", "https") else ""


def origin(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on the same host, ignoring a leading "www."."""
    def host(value: str) -> str:
        return (urlsplit(value).hostname or "").removeprefix("www.")

    return host(url) == host(other) != ""


def unique(values: Iterable[str]) -> list[str]:
    """Non-empty values without repeats, first occurrence kept in place."""
    return list(dict.fromkeys(value for value in values if value))


class Named(Protocol):
    """A variant, read or settled: what tells it apart from its siblings."""

    sku: str
    size: str
    color: str


V = TypeVar("V", bound=Named)


def distinct_variants(variants: Iterable[V]) -> list[V]:
    """Variants in the shop's order without repeats (by SKU, else by size and colour), the first one kept.

    A variant with neither SKU nor size nor colour tells nothing apart, so it is left out.
    """
    seen: dict[object, V] = {}
    for variant in variants:
        key = variant.sku or (variant.size, variant.color)
        if key != ("", "") and key not in seen:
            seen[key] = variant
    return list(seen.values())


def keep_complete(records: Iterable[ExtractedProduct], page_url: str) -> Extraction:
    """Complete records, one per SKU (the first wins); incomplete ones are only counted as broken."""
    result = Extraction()
    seen: set[str] = set()
    for record in records:
        if problems := record.problems():
            logger.debug("%s: dropped product %r, missing %s", page_url, record.sku or record.title,
                         ", ".join(problems))
            result.broken += 1
            for problem in problems:
                result.missing[problem] = result.missing.get(problem, 0) + 1
        elif record.sku not in seen:
            seen.add(record.sku)
            result.products.append(record)
    return result
