"""The offline demo shop: its pages, traps, days and ground truth agree with one another."""

from __future__ import annotations

import gzip
import hashlib
import html
import http.client
import io
import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from PIL import Image, ImageOps

from stylist.demo.catalogue import CATEGORIES, PAGE_FORMATS, PATTERNS, make_catalogue
from stylist.demo.drawing import render_image
from stylist.demo.shop import DemoShop, serve


@pytest.fixture
def shop():
    shop = DemoShop(60, seed=0)
    with serve(shop):
        yield shop


@pytest.fixture
def client():
    with httpx.Client(timeout=10) as client:
        yield client


def get(client: httpx.Client, url: str) -> httpx.Response:
    """GET with the one retry the flaky pages need (their failure is the first request only)."""
    response = client.get(url)
    return client.get(url) if response.status_code in (429, 503) else response


def hrefs(page: str, base: str) -> set[str]:
    return {urljoin(base, html.unescape(h)) for h in re.findall(r'href="([^"]*)"', page)}


def crawl_links(shop: DemoShop, client: httpx.Client) -> set[str]:
    """Every URL linked from any page reachable by links alone, the way a polite crawler walks."""
    seen, queue, linked = set(), [shop.base_url + "/"], set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = get(client, url)
        if response.status_code != 200:
            continue
        for link in hrefs(response.text, url):
            link = link.split("#")[0]
            linked.add(link)
            if link.startswith(shop.base_url) and not urlsplit(link).path.startswith("/private/"):
                queue.append(link)
    return linked


def sitemap_locs(shop: DemoShop, client: httpx.Client) -> set[str]:
    index = client.get(f"{shop.base_url}/sitemap_index.xml").text
    locs = set()
    for sitemap in re.findall(r"<loc>(.*?)</loc>", index):
        response = client.get(sitemap)
        body = response.content
        if sitemap.endswith(".gz"):
            assert body[:2] == b"\x1f\x8b" and "gzip" in response.headers["content-type"]
            body = gzip.decompress(body)
        locs |= set(re.findall(r"<loc>(.*?)</loc>", body.decode()))
    return locs


def read_product(page: str) -> dict:
    """A minimal reader of the shop's product markup, independent of the crawler's adapters."""
    found = {"canonical": re.search(r'<link rel="canonical" href="([^"]+)"', page)[1]}
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S):
        data = json.loads(block)
        for node in data.get("@graph", [data]):
            if node["@type"] in ("Product", "ProductGroup"):
                return found | read_jsonld(node)
    if 'itemtype="http://schema.org/Product"' in page:
        prop = {name: html.unescape(value) for name, value in re.findall(r'itemprop="(\w+)" content="([^"]*)"', page)}
        brand = re.search(r'itemprop="brand"[^>]*>(?:<span itemprop="name">)?([^<]+)<', page)[1]
        return found | {
            "sku": prop["sku"],
            "title": html.unescape(re.search(r'<h1 itemprop="name">([^<]+)<', page)[1]),
            "designer": html.unescape(brand),
            "price": float(prop["price"]),
            "currency": prop["priceCurrency"],
            "available": re.search(r'itemprop="availability" href="([^"]+)"', page)[1].endswith("InStock"),
            "images": re.findall(r'itemprop="image" src="([^"]+)"', page),
        }
    meta = re.findall(r'<meta property="([\w:]+)" content="([^"]*)">', page)
    og = {name: html.unescape(value) for name, value in meta}
    assert og["og:type"] == "product"
    return found | {
        "sku": og["product:retailer_item_id"],
        "title": og["og:title"],
        "designer": og["product:brand"],
        "price": float(og["product:price:amount"]),
        "currency": og["product:price:currency"],
        "available": og["product:availability"] == "in stock",
        "images": [value for name, value in meta if name == "og:image"],
    }


def read_jsonld(node: dict) -> dict:
    def image_urls(image) -> list[str]:
        images = image if isinstance(image, list) else [image]
        return [i if isinstance(i, str) else i["url"] for i in images]

    brand = node["brand"] if isinstance(node["brand"], str) else node["brand"]["name"]
    if node["@type"] == "ProductGroup":
        offers = [variant["offers"] for variant in node["hasVariant"]]
        images = image_urls(node["image"]) + [u for v in node["hasVariant"] for u in image_urls(v["image"])]
        sku = node["productGroupID"]
    else:
        offers = node["offers"] if isinstance(node["offers"], list) else [node["offers"]]
        images, sku = image_urls(node["image"]), node["sku"]
    return {
        "sku": sku,
        "title": node["name"],
        "designer": brand,
        "price": min(float(o.get("price", o.get("lowPrice"))) for o in offers),
        "currency": offers[0]["priceCurrency"],
        "available": any(o["availability"].endswith("InStock") for o in offers),
        "images": list(dict.fromkeys(images)),
    }


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return ImageOps.exif_transpose(image)


def test_catalogue_is_deterministic_and_varied():
    products = make_catalogue(200, seed=0)
    assert make_catalogue(30, seed=0) == products[:30]  # a bigger shop extends a smaller one
    assert make_catalogue(30, seed=1) != products[:30]
    assert {p.category for p in products} == set(CATEGORIES)
    assert {p.pattern for p in products} == set(PATTERNS)
    assert len({p.sku for p in products}) == len({p.slug for p in products}) == 200
    assert all(3 <= len(p.images) <= 5 and p.description and p.price > 0 for p in products)
    assert {(s.width, s.height) for p in products for s in p.images} >= {(600, 800), (800, 600)}
    assert {s.fmt for p in products for s in p.images} == {"jpeg", "png"}
    striped = next(p for p in products if p.pattern == "stripes" and p.category == "coat")
    assert "Striped" in striped.title and striped.title.endswith("Coat")
    views = [render_image(products[0], spec) for spec in products[0].images]
    assert len(set(views)) == len(views)  # every picture of a product is a different view


def test_robots_and_sitemaps(shop, client):
    robots = client.get(f"{shop.base_url}/robots.txt").text
    assert "User-agent: *\nDisallow: /private/" in robots
    assert f"Sitemap: {shop.base_url}/sitemap_index.xml" in robots
    locs = sitemap_locs(shop, client)
    # Every product of the day, including the private one that robots.txt forbids.
    assert locs == {shop.canonical_url(p) for p in shop.products()}
    traps = shop.trap_urls()
    assert {traps["sitemap_only_1"], traps["sitemap_only_2"], traps["private"]} <= locs


def test_links_reach_everything_but_the_sitemap_only_products(shop, client):
    linked = crawl_links(shop, client)
    traps = shop.trap_urls()
    assert traps["private"] in linked and traps["dead_link"] in linked and traps["about"] in linked
    assert traps["sitemap_only_1"] not in linked and traps["sitemap_only_2"] not in linked
    assert {traps["duplicate"], traps["duplicate_utm"], traps["duplicate_sku"]} <= linked
    assert f"{shop.base_url}/c/all?page=3" in linked  # 24 per page
    pages = {link.split("?")[0] for link in linked}
    for product in shop.expected().values():
        sitemap_only = product.canonical_url in (traps["sitemap_only_1"], traps["sitemap_only_2"])
        assert (product.canonical_url in pages) != sitemap_only
    assert not [r for r in shop.requests if r.path.startswith("/private/")]
    assert client.get(traps["dead_link"]).status_code == 404


def test_duplicate_urls_share_canonical_and_sku(shop, client):
    traps = shop.trap_urls()
    pages = [client.get(traps[key]) for key in ("duplicate", "duplicate_utm", "duplicate_sku")]
    assert [page.status_code for page in pages] == [200, 200, 200]
    read = [read_product(page.text) for page in pages]
    assert read[0] == read[1] == read[2] and read[0]["canonical"] == traps["duplicate"]


def test_first_request_failures_then_success(shop, client):
    traps = shop.trap_urls()
    first = client.get(traps["flaky_503"])
    assert first.status_code == 503 and client.get(traps["flaky_503"]).status_code == 200
    limited = client.get(traps["rate_limited_429"])
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert client.get(traps["rate_limited_429"]).status_code == 200
    path = urlsplit(traps["flaky_503"]).path
    assert [r.status for r in shop.requests if r.path == path] == [503, 200]


def test_pages_without_product_data(shop, client):
    traps = shop.trap_urls()
    about = client.get(traps["about"]).text
    assert '"Product"' not in about and "og:type" not in about
    broken = client.get(traps["broken_jsonld"]).text
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', broken, re.S)
    with pytest.raises(ValueError):
        json.loads(scripts[-1])
    assert "itemscope" not in broken and "product:price" not in broken
    no_price = json.loads(re.findall(r'ld\+json">(.*?)</script>', client.get(traps["no_price"]).text, re.S)[-1])
    assert no_price["@type"] == "Product" and no_price["offers"]["priceCurrency"] == "EUR"
    assert "price" not in no_price["offers"] and "lowPrice" not in no_price["offers"]
    stored = {p.canonical_url for p in shop.expected().values()}
    assert not {traps["broken_jsonld"], traps["no_price"], traps["private"]} & stored


def test_expected_matches_the_pages(shop, client):
    expected = shop.expected()
    assert len(expected) == 60 - 3  # not the private, broken and priceless pages
    by_sku = {p.sku: p for p in shop.products()}
    for sku, want in expected.items():
        page = get(client, want.canonical_url).text
        got = read_product(page)
        assert got["canonical"] == want.canonical_url
        assert (got["sku"], got["title"], got["designer"]) == (sku, want.title, want.designer)
        assert (got["price"], got["currency"], got["available"]) == (want.price, want.currency, want.available)
        specs = by_sku[sku].published_images
        assert [urljoin("http:", u) for u in got["images"]] == [shop.image_url(by_sku[sku], s) for s in specs]
        assert want.n_images_valid == sum(s.valid for s in specs)
    # The formats and spellings real shops use all appear.
    assert {p.markup.format for p in shop.products()} >= set(PAGE_FORMATS)
    pages = " ".join(client.get(shop.canonical_url(p)).text for p in shop.products()[14:40])
    spellings = (
        '"https://schema.org/InStock"', '"http://schema.org/InStock"', '"InStock"', '"ImageObject"',
        '"@type": "Brand"', '"brand": "', '"@graph"', '"AggregateOffer"', '"lowPrice"', '"image": "',
    )  # fmt: skip
    for spelling in spellings:
        assert spelling in pages, spelling
    roles = ("sold_out", "group_sold_out", "group_one_left")
    in_stock = [expected[p.sku].available for role in roles for p in shop.products() if p.role == role]
    assert in_stock == [False, False, True]


def test_images_decode_except_the_deliberately_bad(shop, client):
    traps = shop.trap_urls()
    bad = {traps["truncated_image"], traps["bomb_image"]}
    for product in shop.products()[:24]:
        for spec in product.images:
            url = shop.image_url(product, spec)
            assert url.startswith("http://localhost:")  # another host than the pages
            response = client.get(url)
            assert response.status_code == 200 and response.headers["content-type"] == f"image/{spec.fmt}"
            if url in bad:
                continue
            image = decode(response.content)
            assert image.size == (spec.width, spec.height) and image.mode == "RGB"
    with pytest.raises(OSError):
        decode(client.get(traps["truncated_image"]).content)
    bomb = client.get(traps["bomb_image"]).content
    assert len(bomb) < 200_000
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(bomb))
    rotated = Image.open(io.BytesIO(client.get(traps["exif_image"]).content))
    assert rotated.getexif()[0x0112] == 6 and ImageOps.exif_transpose(rotated).size == rotated.size[::-1]
    a, b = (decode(client.get(traps[key]).content) for key in ("near_duplicate_a", "near_duplicate_b"))
    assert a.size != b.size
    difference = [abs(x - y) for x, y in zip(a.resize(b.size).convert("L").tobytes(), b.convert("L").tobytes())]
    assert sum(difference) / len(difference) < 4  # the same picture, re-encoded


def test_image_bytes_are_the_same_on_every_day_and_run(shop, client):
    product = shop.products()[20]
    urls = [shop.image_url(product, spec) for spec in product.images]
    day_one = [hashlib.sha256(client.get(url).content).hexdigest() for url in urls]
    shop.day = 2
    assert [hashlib.sha256(client.get(url).content).hexdigest() for url in urls] == day_one
    script = (
        "import hashlib; from stylist.demo.catalogue import make_catalogue\n"
        "from stylist.demo.drawing import render_image\n"
        "p = make_catalogue(21, 0)[20]\n"
        "print(' '.join(hashlib.sha256(render_image(p, s)).hexdigest() for s in p.images))"
    )
    other_run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert other_run.stdout.split() == day_one


def test_day_two_changes(shop, client):
    before, after = shop.expected(1), shop.expected(2)
    gone, new = before.keys() - after.keys(), after.keys() - before.keys()
    sold_out = {s for s in before.keys() & after.keys() if before[s].available and not after[s].available}
    repriced = {s for s in before.keys() & after.keys() if before[s].price != after[s].price}
    assert gone and new and sold_out and repriced
    assert {p.sku for p in shop.products(1) if p.role and p.sku in before} <= after.keys()  # traps stay
    shop.day = 2
    linked = crawl_links(shop, client)
    locs = sitemap_locs(shop, client)
    for sku in gone:
        url = before[sku].canonical_url
        assert client.get(url).status_code == 404 and client.get(f"{shop.base_url}/p/{sku}").status_code == 404
        assert url not in linked and url not in locs
    for sku in new:
        assert after[sku].canonical_url in linked and after[sku].canonical_url in locs
    for sku in sold_out | repriced:
        got = read_product(get(client, after[sku].canonical_url).text)
        assert (got["price"], got["available"]) == (after[sku].price, after[sku].available)


def test_fail_all_leaves_only_robots(shop, client):
    shop.fail_all = True
    assert client.get(f"{shop.base_url}/robots.txt").status_code == 200
    some_product = next(iter(shop.expected().values())).canonical_url
    image = shop.trap_urls()["exif_image"]
    for url in (f"{shop.base_url}/", f"{shop.base_url}/sitemap_index.xml", some_product, image):
        assert client.get(url).status_code == 503
    shop.fail_all = False
    assert client.get(some_product).status_code == 200


def test_concurrent_clients_and_keep_alive(shop):
    urls = [f"{shop.base_url}/c/all?page={k % 3 + 1}" for k in range(8)] + [
        p.canonical_url for p in list(shop.expected().values())[20:28]
    ]

    def browse(_: int) -> list[int]:
        with httpx.Client(timeout=10) as client:
            return [client.get(url).status_code for url in urls]

    with ThreadPoolExecutor(16) as pool:
        assert all(status == 200 for statuses in pool.map(browse, range(16)) for status in statuses)
    connection = http.client.HTTPConnection(urlsplit(shop.base_url).netloc, timeout=10)
    connection.request("GET", "/about")
    first = connection.getresponse()
    first.read()
    socket_after_first = connection.sock
    connection.request("GET", "/robots.txt")
    assert connection.getresponse().status == 200 and first.status == 200
    assert socket_after_first is not None and connection.sock is socket_after_first  # one connection, two answers
    connection.close()


@pytest.mark.serial  # a wall-clock limit of a second: a busy core misses it
def test_five_thousand_products_start_at_once():
    started = time.perf_counter()
    shop = DemoShop(5000, seed=0, traps=False)
    with serve(shop) as url, httpx.Client() as client:
        assert client.get(f"{url}/").status_code == 200
        assert client.get(f"{url}/c/all?page=209").status_code == 200
        assert client.get(shop.canonical_url(shop.products()[4999])).status_code == 200
        elapsed = time.perf_counter() - started
        assert "Disallow: /private/" not in client.get(f"{url}/robots.txt").text
    assert elapsed < 1.0
    assert len(shop.expected()) == 5000 and shop.trap_urls() == {}


def test_shopify_store(client):
    shop = DemoShop(60, seed=0, shopify=True)
    with serve(shop) as base:
        assert client.get(f"{base}/meta.json").json()["currency"] == "EUR"
        assert "Disallow: /cart" in client.get(f"{base}/robots.txt").text
        first = client.get(f"{base}/products.json?limit=250&page=1")
        assert first.status_code == 429 and first.headers["retry-after"] == "1"
        products = client.get(f"{base}/products.json?limit=250&page=1").json()["products"]
        assert client.get(f"{base}/products.json?limit=250&page=2").json() == {"products": []}
        paged = [p for k in (1, 2, 3) for p in client.get(f"{base}/products.json?limit=25&page={k}").json()["products"]]
        assert paged == products and len(products) == 60
        expected = shop.expected()
        assert set(expected) == {str(p["id"]) for p in products}
        for product in products:
            want = expected[str(product["id"])]
            variant = product["variants"][0]
            assert {"id", "title", "price", "available", "sku", "option1"} <= variant.keys()
            assert isinstance(variant["price"], str) and product["options"][0]["name"] == "Size"
            assert (product["title"], product["vendor"]) == (want.title, want.designer)
            assert float(variant["price"]) == want.price
            assert any(v["available"] for v in product["variants"]) == want.available
            assert len(product["images"]) == want.n_images_valid
            assert f"{base}/products/{product['handle']}" == want.canonical_url
        page = client.get(expected[str(products[5]["id"])].canonical_url)
        assert page.status_code == 200 and f'<link rel="canonical" href="{base}/products/' in page.text
        assert [p.available for p in expected.values()][:2] == [False, True]  # all sold out; one size left
        shop.day = 2
        day_two = {str(p["id"]) for p in client.get(f"{base}/products.json?limit=250").json()["products"]}
        assert day_two == set(shop.expected(2))
        for sku in set(expected) - day_two:
            assert client.get(expected[sku].canonical_url).status_code == 404
