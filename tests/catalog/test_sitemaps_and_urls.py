import gzip

import pytest

from stylist.catalog.sitemaps import parse_sitemap
from stylist.catalog.urls import canonical, in_scope, page_links, shop_url
from stylist.errors import StylistError

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://shop.test/products/a</loc></url>
  <url><loc> https://shop.test/products/b </loc></url>
</urlset>"""
INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://shop.test/s1.xml</loc></sitemap><sitemap><loc>https://shop.test/s2.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_urlset_plain_and_gzipped():
    for content in (URLSET, gzip.compress(URLSET)):
        assert parse_sitemap(content).pages == ["https://shop.test/products/a", "https://shop.test/products/b"]


def test_sitemap_index():
    sitemap = parse_sitemap(INDEX)
    assert sitemap.sitemaps == ["https://shop.test/s1.xml", "https://shop.test/s2.xml.gz"] and not sitemap.pages


@pytest.mark.parametrize("content", [b"<html>not a sitemap</html>", b"<urlset", b"\x1f\x8bbroken gzip"])
def test_bad_sitemaps_raise(content):
    with pytest.raises(ValueError):
        parse_sitemap(content)


def test_external_entities_are_not_resolved():
    evil = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&e;</loc></url></urlset>"""
    assert all("root:" not in page for page in parse_sitemap(evil).pages)


def test_canonical_drops_tracking_and_fragments():
    assert canonical("https://shop.test/p/a?utm_source=x&color=red#reviews") == "https://shop.test/p/a?color=red"
    assert canonical("https://shop.test/p/a?b=2&a=1") == canonical("https://shop.test/p/a?a=1&b=2")


def test_scope_is_the_host_and_pages_only():
    assert in_scope("https://shop.test/p/a", "shop.test")
    assert not in_scope("https://other.test/p/a", "shop.test")
    assert not in_scope("https://shop.test/img/a.jpg", "shop.test")
    assert not in_scope("ftp://shop.test/p/a", "shop.test")


def test_page_links_resolve_against_base():
    html = '<base href="https://shop.test/en/"><a href="p/a">a</a><a href="#top">x</a><a href="mailto:x@y">m</a>'
    assert page_links(html, "https://shop.test/") == ["https://shop.test/en/p/a"]


@pytest.mark.parametrize("typed, expected", [
    ("shop.example", "https://shop.example"),
    ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
    ("localhost:8000/shop", "https://localhost:8000/shop"),
    ("https://www.luisaviaroma.com/en-it/shop/women", "https://www.luisaviaroma.com/en-it/shop/women"),
])
def test_shop_urls_as_people_type_them(typed, expected):
    assert shop_url(typed) == expected


@pytest.mark.parametrize("typed, message", [
    ("http//127.0.0.1:8123", "did you mean http://"),
    ("htp://shop.example", "only http:// and https://"),
    ("not-a-url", "not a shop URL"),
    ("http://shop.example:port", "not a shop URL"),
])
def test_shop_urls_that_cannot_be_crawled(typed, message):
    with pytest.raises(StylistError, match=message):
        shop_url(typed)
