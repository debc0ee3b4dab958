"""The traps of real shop pages, one small page each: what extract_page makes of them."""

from __future__ import annotations

import json
from typing import Any

from stylist.catalog import extract_page
from stylist.catalog.products import Page
from stylist.catalog.shops.jsonld import JsonLdAdapter

URL = "https://shop.example.com/p/item"


def page(body: str = "", head: str = "", jsonld: tuple[Any, ...] = (), lang: str = "") -> str:
    scripts = "".join(f'<script type="application/ld+json">{json.dumps(doc)}</script>' for doc in jsonld)
    return f'<html{f" lang={lang!r}" if lang else ""}><head>{head}{scripts}</head><body>{body}</body></html>'


def one(html: str, url: str = URL) -> dict[str, Any]:
    products = extract_page(url, html)
    assert len(products) == 1, products
    return products[0]


def test_lower_case_type_and_odd_case_keys() -> None:
    doc = {"@type": "product", "Name": "Throw", "SKU": "T-9",
           "Offers": {"@type": "offer", "pricecurrency": "gbp", "PRICE": "150.00", "availability": "InStock"}}
    found = one(page(jsonld=(doc,)))
    assert (found["sku"], found["title"], found["price"], found["currency"], found["available"]) == (
        "T-9", "Throw", 150.0, "GBP", True)


def microdata(price: str, extra: str = "") -> str:
    return (f'<div itemscope itemtype="http://schema.org/Product"><h1 itemprop="name">Polo</h1>'
            f'<meta itemprop="productID" content="F4KS"><div itemprop="offers" itemscope '
            f'itemtype="http://schema.org/AggregateOffer"><span itemprop="lowPrice">{price}</span>{extra}</div></div>')


def test_currency_written_as_a_symbol() -> None:
    assert (one(page(microdata("&pound;40.00")))["price"], one(page(microdata("£40.00")))["currency"]) == (40.0, "GBP")


def test_shared_symbol_and_no_symbol_settled_by_the_page_locale() -> None:
    chile = page(microdata("$24990"), head='<meta property="og:locale" content="es_CL">')
    assert (one(chile)["price"], one(chile)["currency"]) == (24990.0, "CLP")
    assert one(page(microdata("29,99"), lang="de-AT"))["currency"] == "EUR"


def test_no_currency_anywhere_stores_nothing() -> None:
    adapter = JsonLdAdapter()
    extraction = adapter.extract(Page(URL, 200, "text/html", page(microdata("29.99"))))
    assert (extraction.products, extraction.broken, extraction.missing) == ([], 1, {"currency": 1})


def test_one_product_per_size_is_one_product_available_if_any_size_is() -> None:
    sizes = [{"@type": "Product", "name": "Boots", "sku": f"845-040-{size}", "image": f"/img/{size}.jpg",
              "offers": {"price": price, "priceCurrency": "EUR", "availability": stock}}
             for size, price, stock in (("36", 59.95, "OutOfStock"), ("37", 69.95, "InStock"), ("38", 69.95, "OutOfStock"))]
    found = one(page(jsonld=(sizes,)))
    assert (found["sku"], found["price"], found["available"], len(found["image_urls"])) == ("845-040", 69.95, True, 3)


def test_microdata_without_offer_takes_price_and_image_from_opengraph() -> None:
    head = ('<meta property="og:type" content="product"><meta property="og:image" content="//cdn.example.com/sink.jpg">'
            '<meta property="product:price:amount" content="329.99"><meta property="product:price:currency" content="USD">'
            '<meta property="og:availability" content="instock">')
    body = ('<div itemscope itemtype="https://schema.org/Product"><span itemprop="name">Sink</span>'
            '<meta itemprop="sku" content="1275464"></div>')
    found = one(page(body, head=head))
    assert (found["sku"], found["price"], found["currency"], found["image_urls"]) == (
        "1275464", 329.99, "USD", ["https://cdn.example.com/sink.jpg"])


def test_nested_offers_and_product_inside_a_review() -> None:
    product = {"@type": "Product", "name": "Coat", "sku": "C-1", "offers": {
        "@type": "AggregateOffer", "priceCurrency": "EUR", "offers": [
            {"@type": "Offer", "price": 30, "availability": "OutOfStock"},
            {"@type": "Offer", "price": 35, "availability": "InStock"}]}}
    found = one(page(jsonld=({"@type": "Review", "itemReviewed": product},)))
    assert (found["sku"], found["price"], found["available"]) == ("C-1", 35.0, True)


def test_entities_escaped_twice_and_template_placeholder_brand() -> None:
    doc = {"@type": "Product", "name": "Selfie Stick - Black &amp;amp; Silver", "sku": "S-1",
           "brand": "$metabrand", "offers": {"price": 9.99, "priceCurrency": "EUR"}}
    found = one(page(jsonld=(doc,)))
    assert (found["title"], found["designer"]) == ("Selfie Stick - Black & Silver", "")


def test_recommendation_tiles_are_neither_products_nor_broken() -> None:
    tiles = "".join(f'<div itemscope itemtype="http://schema.org/Product"><a itemprop="url" href="/p/other-{n}">'
                    f'<span itemprop="name">Other {n}</span></a></div>' for n in range(12))
    extraction = JsonLdAdapter().extract(Page(URL, 200, "text/html", page(microdata("£40.00") + tiles)))
    assert ([p.sku for p in extraction.products], extraction.broken) == (["F4KS"], 0)


PRODUCT_PAGE = """<h1>Linen shirt</h1><p><del class="price">£80.00</del> <span class="price">£49.00</span></p>
<button type="submit">Add to bag</button><a href="/p/other"><span class="price">£12.00</span></a>"""


def test_visible_page_when_there_is_no_markup() -> None:
    found = one(page(PRODUCT_PAGE, head='<meta property="og:image" content="/img/shirt.jpg">'),
                url="https://shop.example.co.uk/shirts/linen-shirt-15213589.html")
    assert (found["title"], found["price"], found["currency"], found["available"], found["sku"]) == (
        "Linen shirt", 49.0, "GBP", True, "15213589")
    assert found["image_urls"] == ["https://shop.example.co.uk/img/shirt.jpg"] and 0 < found["confidence"] < 1


def test_visible_page_says_nothing_when_unsure() -> None:
    listing = "<h1>Shirts</h1>" + "".join(
        f'<div><span class="price">£{n}.00</span><button>Add to bag</button></div>' for n in range(10, 20))
    no_button = '<h1>Linen shirt</h1><span class="price">£49.00</span>'
    assert extract_page(URL, page(listing)) == [] and extract_page(URL, page(no_button)) == []


def test_markup_wins_over_the_visible_page() -> None:
    doc = {"@type": "Product", "name": "Linen shirt", "sku": "L-1", "offers": {"price": 52, "priceCurrency": "GBP"}}
    found = one(page(PRODUCT_PAGE, jsonld=(doc,)))
    assert (found["price"], found["confidence"]) == (52.0, 1.0)


def test_visible_page_without_og_image_takes_the_pictures_named_after_the_product() -> None:
    pictures = ('<img alt="Linen shirt" data-old-hires="/img/shirt-large.jpg" src="/img/shirt.jpg">'
                '<img alt="Our logo" src="/logo.png"><img alt="Shirt" src="/img/other.jpg">')
    found = one(page(PRODUCT_PAGE + pictures), url="https://shop.example.co.uk/p/linen-shirt")
    assert found["image_urls"] == ["https://shop.example.co.uk/img/shirt-large.jpg"]
