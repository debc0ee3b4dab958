"""extract_page on real shop pages (../shared/real-pages), checked against the values a person read from each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stylist.catalog import extract_page
from tests.helpers.real_pages import MANIFEST, REAL_PAGES, page_url

pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason=f"{REAL_PAGES} is not there")


def manifest_pages() -> list[tuple[str, dict[str, Any]]]:
    if not MANIFEST.exists():
        return []
    return list(json.loads(MANIFEST.read_text())["pages"].items())


def read(name: str, entry: dict[str, Any]) -> list[dict[str, Any]]:
    return extract_page(page_url(name, entry), (REAL_PAGES / entry["file"]).read_text(encoding="utf-8"))


def normalised(title: str) -> str:
    return " ".join(title.split()).casefold()


def sku_matches(sku: str, expected: dict[str, Any]) -> bool:
    accepted = expected.get("sku_any") or []
    if not accepted:
        return bool(sku) or expected.get("sku_required") is False
    if sku in accepted:
        return True
    # one product for several sizes may be keyed by the stem its sizes' SKUs share
    return bool(expected.get("sku_prefix_ok")) and len(sku) >= 6 and any(a.startswith(sku) for a in accepted)


def title_matches(title: str, expected: dict[str, Any]) -> bool:
    want, mode = expected["title"], expected.get("title_match", "exact")
    if mode == "contains":
        return normalised(want) in normalised(title)
    return normalised(title) == normalised(want)


def problems(products: list[dict[str, Any]], expected: dict[str, Any]) -> list[str]:
    """What is wrong with the page's products, as sentences; empty when they match the manifest."""
    count = expected.get("products_on_page", 1)
    allowed = count if isinstance(count, list) else [count]
    if not (len(products) in allowed or (len(allowed) == 2 and allowed[0] <= len(products) <= allowed[1])):
        return [f"{len(products)} products, expected {count}"]
    if not products:
        return []
    product = products[0]
    found = []
    if not title_matches(product["title"], expected):
        found.append(f"title {product['title']!r}, expected {expected['title']!r}")
    if not sku_matches(product["sku"], expected):
        found.append(f"sku {product['sku']!r}, expected one of {expected.get('sku_any')}")
    if product["price"] != pytest.approx(expected["price"]):
        found.append(f"price {product['price']!r}, expected {expected['price']!r}")
    if product["currency"] != expected["currency"]:
        found.append(f"currency {product['currency']!r}, expected {expected['currency']!r}")
    if product["available"] is not expected["available"]:
        found.append(f"available {product['available']!r}, expected {expected['available']!r}")
    if len(product["image_urls"]) < expected.get("min_images", 0):
        found.append(f"{len(product['image_urls'])} images, expected at least {expected['min_images']}")
    if product["designer"].startswith(("$", "{{")):
        found.append(f"designer is a template placeholder {product['designer']!r}")
    return found


PRODUCT_PAGES = [(name, entry) for name, entry in manifest_pages() if entry.get("expect_product")]
INFORMATIONAL = [(name, entry) for name, entry in manifest_pages() if entry.get("expect_product") is None]


@pytest.mark.parametrize(("name", "entry"), PRODUCT_PAGES, ids=[name for name, _ in PRODUCT_PAGES])
def test_product_page_matches_manifest(name: str, entry: dict[str, Any]) -> None:
    assert problems(read(name, entry), entry["expected"]) == []


@pytest.mark.parametrize(("name", "entry"), INFORMATIONAL, ids=[name for name, _ in INFORMATIONAL])
def test_informational_page_is_read_without_error(name: str, entry: dict[str, Any]) -> None:
    products = read(name, entry)
    # storing nothing is right for these pages; what is stored must at least be whole
    for product in products:
        assert product["title"] and product["sku"] and product["price"] is not None and product["currency"]


def test_the_check_fails_on_a_wrong_price() -> None:
    name, entry = PRODUCT_PAGES[0]
    products = read(name, entry)
    products[0]["price"] = products[0]["price"] + 1
    assert problems(products, entry["expected"]) == [
        f"price {products[0]['price']!r}, expected {entry['expected']['price']!r}"]


def test_a_page_that_is_not_html_at_all_gives_nothing() -> None:
    assert extract_page("https://shop.example/p/1", "\x00\x01 not a page {") == []
