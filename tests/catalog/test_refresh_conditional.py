"""Cheap refreshes: pages asked conditionally, a 304 counting as seen, sitemap lastmod, images not fetched
again, and never a product lost to a 304 the store cannot back."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from sqlalchemy import delete

from stylist.catalog.crawl import CrawlOptions, ShopCrawl
from stylist.catalog.images import ImageStore
from stylist.catalog.sitemaps import parse_sitemap
from stylist.catalog.store import CatalogStore
from stylist.catalog.tables import products
from stylist.databases import writing
from stylist.demo.shop import DemoShop, serve
from stylist.settings import Settings


def crawl(shop_url, data_dir, **options):
    store = CatalogStore(Settings(data_dir=data_dir))
    options = CrawlOptions(**{"delay": 0.0, "concurrency": 8, "image_workers": False, **options})
    report = asyncio.run(ShopCrawl(shop_url, store, ImageStore(data_dir / "images"), options).run())
    return report, store


def purchasable(store):
    return {p.sku for p in store.products()}


def available(expected):
    return {sku for sku, want in expected.items() if want.available}


def page_requests(shop):
    """Requests for the shop's pages: not robots.txt, not the adapter's Shopify probe, not images."""
    return [r for r in shop.requests
            if r.host == shop.base_url.split("://", 1)[1] and r.path not in ("/robots.txt", "/products.json?limit=1")]


def snapshot(store):
    return {p.sku: (p.title, p.price, p.available, [(v.size, v.available) for v in p.variants], len(p.images))
            for p in store.products(include_unavailable=True)}


@pytest.fixture
def plain_shop():
    shop = DemoShop(n_products=30, seed=4, traps=False)
    with serve(shop):
        yield shop


@pytest.fixture
def trap_shop():
    shop = DemoShop(n_products=40, seed=3, traps=True)
    with serve(shop):
        yield shop


def test_a_refresh_of_an_unchanged_shop_asks_every_page_conditionally(plain_shop, data_dir):
    full, store = crawl(plain_shop.base_url, data_dir)
    assert full.complete, full.reason
    before = snapshot(store)
    plain_shop.requests.clear()

    refresh, store = crawl(plain_shop.base_url, data_dir)
    assert refresh.complete, refresh.reason
    assert purchasable(store) == available(plain_shop.expected(1))
    assert snapshot(store) == before, "sizes, prices and images stay as they were"
    assert refresh.unchanged == len(before) and refresh.new == refresh.updated == refresh.unavailable == 0
    assert refresh.unchanged_pages == refresh.pages == full.pages and refresh.not_asked == 0
    assert refresh.bytes_fetched <= 0.03 * full.bytes_fetched, (refresh.bytes_fetched, full.bytes_fetched)
    asked = page_requests(plain_shop)
    assert asked and all(r.if_none_match and r.if_modified_since for r in asked), [r for r in asked if not r.if_none_match]
    assert {r.status for r in asked} == {304}
    assert not any(r.host.startswith("localhost") for r in plain_shop.requests), "no image is fetched again"


def test_a_refresh_of_a_changed_shop_lands_what_a_full_crawl_would(trap_shop, data_dir, tmp_path):
    crawl(trap_shop.base_url, data_dir)
    trap_shop.day = 2
    refresh, store = crawl(trap_shop.base_url, data_dir)
    assert refresh.complete, refresh.reason
    assert refresh.unchanged_pages > 0 and refresh.new == len(set(trap_shop.expected(2)) - set(trap_shop.expected(1)))

    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    full, fresh = crawl(trap_shop.base_url, fresh_dir)
    assert full.complete, full.reason
    assert purchasable(store) == purchasable(fresh) == available(trap_shop.expected(2))
    refreshed, crawled = snapshot(store), snapshot(fresh)
    assert {sku: refreshed[sku] for sku in crawled} == crawled
    gone = set(trap_shop.expected(1)) - set(trap_shop.expected(2))
    assert gone and not any(refreshed[sku][2] for sku in gone), "vanished products are kept, not purchasable"


def test_a_304_for_a_page_never_seen_is_not_trusted(plain_shop, data_dir):
    plain_shop.blind_304 = True  # every product page first answers 304 to a request that named no version
    report, store = crawl(plain_shop.base_url, data_dir)
    assert report.complete, report.reason
    assert purchasable(store) == available(plain_shop.expected(1))
    product_pages = [r for r in page_requests(plain_shop) if r.path.startswith("/products/")]
    assert 304 in {r.status for r in product_pages} and report.unchanged_pages == 0


def test_a_refresh_reads_again_the_pages_of_products_the_store_lost(plain_shop, data_dir):
    _, store = crawl(plain_shop.base_url, data_dir)
    lost = sorted(purchasable(store))[:5]
    with writing(store.engine) as db:
        db.execute(delete(products).where(products.c.sku.in_(lost)))
    plain_shop.blind_304 = True
    plain_shop.requests.clear()

    report, store = crawl(plain_shop.base_url, data_dir)
    assert report.complete, report.reason
    assert purchasable(store) == available(plain_shop.expected(1))
    assert report.new == len(lost)
    read_again = {r.path for r in page_requests(plain_shop) if r.status == 200}
    assert len([path for path in read_again if path.startswith("/products/")]) == len(lost)


def test_trusted_lastmod_leaves_unchanged_pages_unasked_and_changes_land(plain_shop, data_dir):
    crawl(plain_shop.base_url, data_dir, trust_lastmod=True)
    plain_shop.requests.clear()
    refresh, store = crawl(plain_shop.base_url, data_dir, trust_lastmod=True)
    assert refresh.complete and refresh.not_asked > 0
    assert purchasable(store) == available(plain_shop.expected(1))
    # every page is either asked or counted as not asked (the home page is asked twice: where does it lead?)
    assert len(page_requests(plain_shop)) - 1 + refresh.not_asked == refresh.pages
    assert refresh.unchanged_pages == refresh.pages

    plain_shop.day = 2
    changed, store = crawl(plain_shop.base_url, data_dir, trust_lastmod=True)
    assert changed.complete, changed.reason
    assert purchasable(store) == available(plain_shop.expected(2))


def test_a_shopify_refresh_replays_its_feed_pages():
    shop = DemoShop(n_products=30, seed=1, traps=True, shopify=True)
    with serve(shop):
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            crawl(shop.base_url, Path(tmp))
            refresh, store = crawl(shop.base_url, Path(tmp))
            assert refresh.complete and refresh.unchanged_pages > 0, refresh.reason
            assert purchasable(store) == available(shop.expected(1))
            shop.day = 2
            changed, store = crawl(shop.base_url, Path(tmp))
            assert changed.complete, changed.reason
            assert purchasable(store) == available(shop.expected(2))


def test_sitemaps_keep_each_entrys_lastmod():
    sitemap = parse_sitemap(
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc> https://shop.example/a </loc><lastmod>2024-05-01</lastmod></url>"
        b"<url><loc>https://shop.example/b</loc></url></urlset>")
    assert sitemap.pages == ["https://shop.example/a", "https://shop.example/b"]
    assert sitemap.lastmod == {"https://shop.example/a": "2024-05-01"}


def test_refresh_prints_pages_unchanged_and_bytes_fetched(plain_shop, data_dir):
    env = {**os.environ, "STYLIST_DATA_DIR": str(data_dir)}

    def stylist(*args):
        result = subprocess.run([sys.executable, "-m", "stylist", *args], env=env, capture_output=True, text=True, check=False,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    stylist("catalog", "crawl", plain_shop.base_url, "--delay", "0")
    line = stylist("catalog", "refresh")
    assert "pages unchanged" in line and "fetched" in line
    assert f"{len(plain_shop.expected(1))} unchanged" in line
