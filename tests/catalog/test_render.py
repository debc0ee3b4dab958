"""`--render`: a shop whose product data only exists after its JavaScript ran, crawled through Chromium."""

import asyncio
import json
import os
from pathlib import Path

import pytest

from stylist.catalog.crawl import CrawlOptions, ShopCrawl
from stylist.catalog.images import ImageStore
from stylist.catalog.store import CatalogStore
from stylist.settings import Settings
from tests.helpers.images import image_bytes
from tests.helpers.scripted_server import ScriptedServer, html

CHROMIUM = Path(os.environ.get("STYLIST_CHROMIUM", "/usr/bin/chromium"))
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"), reason="Chromium is not installed"),
]

PRODUCT = {
    "@context": "https://schema.org", "@type": "Product", "name": "Rendered Velvet Cape", "sku": "JS-1",
    "brand": "Nightshade", "image": "/img/cape.jpg",
    "offers": {"@type": "Offer", "price": "310.00", "priceCurrency": "EUR", "availability": "https://schema.org/InStock"},
}
# The page ships no product data; its script writes the JSON-LD and the link to the second product.
APP = """<!doctype html><title>shop</title><div id=app>loading</div><script>
const data = %s;
const s = document.createElement('script'); s.type = 'application/ld+json'; s.textContent = JSON.stringify(data);
document.head.appendChild(s);
document.getElementById('app').innerHTML = '<h1>' + data.name + '</h1>';
</script>"""


def test_render_reads_products_that_javascript_builds(data_dir):
    server = ScriptedServer({
        "/robots.txt": [(200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")],
        "/": [html(APP % json.dumps(PRODUCT))],
        "/img/cape.jpg": [(200, {"Content-Type": "image/jpeg"}, image_bytes(size=(300, 400)))],
    })
    store = CatalogStore(Settings(data_dir=data_dir))
    with server.serve() as base:
        plain = asyncio.run(ShopCrawl(base, store, ImageStore(data_dir / "images"),
                                      CrawlOptions(delay=0, adapter="jsonld")).run())
        assert plain.new == 0  # without a browser the page has no product
        rendered = asyncio.run(ShopCrawl(base, store, ImageStore(data_dir / "images"),
                                         CrawlOptions(delay=0, adapter="jsonld", render=True)).run())
    assert rendered.complete and rendered.new == 1
    (product,) = store.products()
    assert (product.sku, product.title, product.designer, product.price) == ("JS-1", "Rendered Velvet Cape", "Nightshade", 310.0)
    assert len(product.images) == 1
