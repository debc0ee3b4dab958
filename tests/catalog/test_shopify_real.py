"""Crawls of real Shopify products.json payloads (../shared/real-pages/shopify) from shops without /meta.json."""

from __future__ import annotations

import asyncio
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from stylist.catalog.crawl import CrawlOptions, ShopCrawl
from stylist.catalog.images import ImageStore
from stylist.catalog.store import CatalogStore
from stylist.settings import Settings
from tests.helpers.scripted_server import ScriptedServer, html

REAL_PAGES = Path(__file__).resolve().parents[2].parent / "shared" / "real-pages"
MANIFEST = REAL_PAGES / "manifest.json"
pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason=f"{REAL_PAGES} is not there")
STOREFRONT = ('<html lang="en"><head><title>Shop</title><script>var Shopify = Shopify || {};'
              'Shopify.currency = {"active":"USD","rate":"1.0"};</script></head><body>Welcome</body></html>')


def payloads() -> list[tuple[str, dict[str, Any]]]:
    return list(json.loads(MANIFEST.read_text())["shopify"].items()) if MANIFEST.exists() else []


def jpeg(seed: int) -> bytes:
    """A picture of its own for each seed (the crawler drops near-duplicates of a product's pictures)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (64, 96), random.Random(seed).randbytes(64 * 96 * 3)).save(buffer, format="JPEG")
    return buffer.getvalue()


def shop_routes(payload: dict[str, Any], storefront: str) -> dict[str, list]:
    """The shop's feed with its images moved onto the test server (nothing outside answers in tests)."""
    routes: dict[str, list] = {}
    for product in payload["products"]:
        for number, picture in enumerate(product.get("images") or []):
            path = f"/cdn/{product['id']}/{number}.jpg"
            picture["src"] = path
            routes[path] = [(200, {"Content-Type": "image/jpeg"}, jpeg(number))]
    feed = (200, {"Content-Type": "application/json"}, json.dumps(payload).encode())
    empty = (200, {"Content-Type": "application/json"}, b'{"products": []}')
    routes.update({
        "/products.json?limit=1": [feed],
        "/products.json?limit=250&page=1": [feed],
        "/products.json?limit=250&page=2": [empty],
        "/": [html(storefront)],
    })  # no /robots.txt and no /meta.json: both answer 404
    return routes


def crawl(routes: dict[str, list], data_dir: Path):
    server = ScriptedServer(routes)
    with server.serve() as base:
        store = CatalogStore(Settings(data_dir=data_dir))
        options = CrawlOptions(delay=0.0, concurrency=4, retries=0, timeout=5.0)
        report = asyncio.run(ShopCrawl(base, store, ImageStore(data_dir / "images"), options).run())
    return report, store


@pytest.mark.parametrize(("name", "entry"), payloads(), ids=[name for name, _ in payloads()])
def test_shop_without_meta_json_is_stored_in_its_storefront_currency(name: str, entry: dict[str, Any],
                                                                      tmp_path: Path) -> None:
    payload = json.loads((REAL_PAGES / entry["file"]).read_text())
    report, store = crawl(shop_routes(payload, STOREFRONT), tmp_path)
    assert report.complete, report.reason
    assert report.adapter == "shopify"
    expected = entry["expected"]
    products = list(store.products(include_unavailable=True))
    assert [(p.sku, p.title, p.designer, p.price, p.currency, p.available) for p in products] == [
        (expected["sku_any"][0], expected["title"], expected["brand"], expected["price"], "USD", True)]
    assert len(products[0].images) >= expected["min_images"]


def test_shop_that_names_no_currency_anywhere_says_so(tmp_path: Path) -> None:
    _, entry = payloads()[0]
    payload = json.loads((REAL_PAGES / entry["file"]).read_text())
    report, _ = crawl(shop_routes(payload, "<html><body>Welcome</body></html>"), tmp_path)
    assert not report.complete
    assert report.broken == 1 and report.missing == {"currency": 1}
    assert "none could be stored" in report.reason and "names no currency" in report.reason
    assert "--render" not in report.reason
