"""The crawler against the offline fixture shop: every trap, a second day, a shop that goes down."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from stylist.catalog.crawl import CrawlOptions, ShopCrawl
from stylist.catalog.images import ImageStore
from stylist.catalog.store import CatalogStore
from stylist.demo.shop import DemoShop, serve
from stylist.settings import Settings


def crawl(shop_url, data_dir, **options):
    store = CatalogStore(Settings(data_dir=data_dir))
    options = CrawlOptions(**{"delay": 0.0, "concurrency": 8, **options})
    report = asyncio.run(ShopCrawl(shop_url, store, ImageStore(data_dir / "images"), options).run())
    return report, store


def stored(store):
    return {p.sku: p for p in store.products(include_unavailable=True)}


def purchasable(store):
    return {p.sku for p in store.products()}


def assert_matches(store, expected):
    products = stored(store)
    assert set(products) == set(expected)
    for sku, want in expected.items():
        got = products[sku]
        assert (got.title, got.designer, got.price, got.currency) == (want.title, want.designer, want.price, want.currency), sku
        assert got.available == want.available, sku
        assert got.url == want.canonical_url, sku
        assert len(got.images) == want.n_images_distinct, sku
        # every size with its own stock, whichever way the page publishes them (a sold-out product has none)
        assert [(v.size, v.available) for v in got.variants] == [(size, ok and want.available)
                                                                 for size, ok in want.sizes], sku


@pytest.fixture
def shop():
    shop = DemoShop(n_products=40, seed=3, traps=True)
    with serve(shop):
        yield shop


def test_first_crawl_stores_exactly_the_shops_products(shop, data_dir):
    report, store = crawl(shop.base_url, data_dir)
    assert report.complete, report.reason
    assert report.adapter == "jsonld"
    expected = shop.expected(1)
    assert_matches(store, expected)
    assert report.new == len(expected)
    assert purchasable(store) == {sku for sku, want in expected.items() if want.available}

    paths = [request.path for request in shop.requests]
    assert not any(path.startswith("/private/") for path in paths), "robots.txt must be obeyed"
    traps = shop.trap_urls()
    flaky = urlsplit(traps["flaky_503"]).path
    assert [r.status for r in shop.requests if r.path == flaky] == [503, 200]
    assert report.dead_links >= 1 and report.failed_pages == 0
    assert report.images_rejected == 2  # the truncated JPEG and the decompression bomb
    assert report.broken >= 2  # broken JSON-LD, a product without a price
    # The photo stored sideways with an EXIF orientation tag is kept upright.
    exif = store.image_for_url(traps["exif_image"])
    spec = next(spec for p in shop.products(1) for spec in p.images if shop.image_url(p, spec) == traps["exif_image"])
    assert (exif.width, exif.height) == (spec.width, spec.height) and spec.width != spec.height
    # Each image was downloaded once, although duplicate URLs lead to the same products.
    image_paths = [r.path for r in shop.requests if r.host.startswith("localhost")]
    assert len(image_paths) == len(set(image_paths))


def test_second_day_settles_what_changed(shop, data_dir):
    crawl(shop.base_url, data_dir)
    before = stored(CatalogStore(Settings(data_dir=data_dir)))
    day_one_images = {r.path for r in shop.requests if r.host.startswith("localhost")}
    shop.day = 2
    shop.requests.clear()
    report, store = crawl(shop.base_url, data_dir)
    assert report.complete, report.reason

    day_one, day_two = shop.expected(1), shop.expected(2)
    assert purchasable(store) == {sku for sku, want in day_two.items() if want.available}
    gone = set(day_one) - set(day_two)
    sold_out = {sku for sku in day_two if sku in day_one and day_one[sku].available and not day_two[sku].available}
    assert gone and sold_out
    assert report.unavailable == len(gone) + len(sold_out)
    assert report.new == len(set(day_two) - set(day_one))
    after = stored(store)
    assert gone <= set(after), "history stays: vanished products are kept, not purchasable"
    for sku in day_two:
        if sku in day_one and day_two[sku].price != day_one[sku].price:
            assert after[sku].price == day_two[sku].price
            history = [row["price"] for row in store.price_history(after[sku].id)]
            assert history == [day_one[sku].price, day_two[sku].price]
            assert after[sku].first_seen == before[sku].first_seen
    # Images already stored are not downloaded again; only the rejected ones are tried anew.
    traps = shop.trap_urls()
    rejected = {urlsplit(traps["truncated_image"]).path, urlsplit(traps["bomb_image"]).path}
    again = {r.path for r in shop.requests if r.host.startswith("localhost")} & day_one_images
    assert again == rejected


def test_a_shop_that_is_down_makes_nothing_less_available(shop, data_dir):
    crawl(shop.base_url, data_dir)
    was = purchasable(CatalogStore(Settings(data_dir=data_dir)))
    shop.day = 2
    shop.fail_all = True
    report, store = crawl(shop.base_url, data_dir, retries=1)
    assert not report.complete
    assert "no answer" in report.reason
    assert report.unavailable == 0
    assert purchasable(store) == was


def test_a_page_limit_makes_the_crawl_incomplete(shop, data_dir):
    crawl(shop.base_url, data_dir)
    was = purchasable(CatalogStore(Settings(data_dir=data_dir)))
    shop.day = 2
    report, store = crawl(shop.base_url, data_dir, max_pages=5)
    assert not report.complete and report.stopped_by_user_limit
    assert report.pages == 5
    assert purchasable(store) == was


def test_shopify_store():
    shop = DemoShop(n_products=30, seed=1, traps=True, shopify=True)
    with serve(shop):
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            report, store = crawl(shop.base_url, Path(tmp))
            assert report.complete, report.reason
            assert report.adapter == "shopify"
            expected = shop.expected(1)
            products = stored(store)
            assert set(products) == set(expected)
            for sku, want in expected.items():
                assert (products[sku].title, products[sku].price, products[sku].available) == (want.title, want.price, want.available)
            paths = [r.path for r in shop.requests]
            assert not any(p.startswith("/cart") for p in paths)


def test_follows_the_start_url_to_the_host_it_redirects_to(data_dir):
    from tests.helpers.scripted_server import ScriptedServer, html

    product = ('<script type="application/ld+json">{"@type": "Product", "name": "Moved Coat", "sku": "M-1", '
               '"offers": {"price": "99", "priceCurrency": "EUR", "availability": "InStock"}}</script>')
    server = ScriptedServer({
        "/robots.txt": [(200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")],
        "/": [html('<a href="/coat">coat</a>')],
        "/coat": [html(product)],
    })
    with server.serve() as base:
        port = urlsplit(base).port
        # localhost is the bare domain here; everything on it redirects to the "www" host 127.0.0.1.
        server.routes[f"//localhost:{port}/"] = [(301, {"Location": f"{base}/"}, b"")]
        report, store = crawl(f"http://localhost:{port}/", data_dir)
    assert report.complete and report.shop == f"127.0.0.1:{port}"
    assert {p.sku for p in store.products()} == {"M-1"}


def test_one_crawl_per_shop_at_a_time(shop, data_dir):
    from stylist.catalog.crawl import shop_lock
    from stylist.errors import StylistError

    host = urlsplit(shop.base_url).netloc
    with shop_lock(data_dir / "locks", host):
        with pytest.raises(StylistError, match=r"another crawl of .* is running"):
            crawl(shop.base_url, data_dir)
    report, _ = crawl(shop.base_url, data_dir)  # released with its holder
    assert report.complete


def test_a_site_without_products_is_not_kept_as_a_shop(data_dir):
    from tests.helpers.scripted_server import ScriptedServer, html

    server = ScriptedServer({"/": [html('<h1>My blog</h1><a href="/post">post</a>')], "/post": [html("<p>hello</p>")]})
    with server.serve() as base:
        report, store = crawl(base, data_dir)
    assert not report.complete and "no product data was found" in report.reason and "--render" in report.reason
    assert store.shops() == []


def test_a_shop_that_never_answered_is_not_registered(data_dir):
    report, store = crawl("http://127.0.0.1:9", data_dir, retries=0)
    assert not report.complete and "no answer" in report.reason
    assert store.shops() == []


def test_refresh_settings_leave_out_the_page_limit():
    assert "max_pages" not in CrawlOptions(max_pages=3, delay=0.1).settings()
    assert CrawlOptions(max_pages=3, delay=0.1).settings()["delay"] == 0.1
