"""The page's own product number: the markup's SKU where the page bears it out, else what the page shows
people (a labelled number, a code its canonical URL carries), never another product's id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stylist.catalog import extract_page
from stylist.catalog.reading.identity import path_codes

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "skus"
URL = "https://shop.example.com/products/item"


def read(name: str, url: str) -> list[dict[str, Any]]:
    return extract_page(url, (PAGES / name).read_text(encoding="utf-8"))


def one(html: str, url: str = URL) -> dict[str, Any]:
    products = extract_page(url, html)
    assert len(products) == 1, products
    return products[0]


def page(body: str, *, sku: str | None = "4821", variants: tuple[str, ...] = ()) -> str:
    """A product page with JSON-LD (`sku` None: without any) and `body` as what people see."""
    offers = ([{"@type": "Offer", "sku": v, "price": "20", "priceCurrency": "EUR"} for v in variants]
              or {"@type": "Offer", "price": "20", "priceCurrency": "EUR"})
    doc = {"@type": "Product", "name": "Tee", **({"sku": sku} if sku else {}), "offers": offers}
    script = f'<script type="application/ld+json">{json.dumps(doc)}</script>' if sku is not None else ""
    return f"<html><head>{script}</head><body><h1>Tee</h1>{body}</body></html>"


# --- pages shaped like real shops' pages -------------------------------------------------------------

def test_a_post_id_in_the_markup_yields_to_the_sku_the_page_shows() -> None:
    products = read("listing_id_in_markup.html", "https://shop.example.com/product/linen-wrap-dress-ld2041/")
    assert [(p["sku"], p["title"], p["price"], p["currency"]) for p in products] == [
        ("LD2041", "Linen Wrap Dress", 89.0, "GBP")]


def test_a_page_without_markup_takes_its_article_number_not_a_tile_s() -> None:
    products = read("no_markup_art_nr.html", "https://www.modehaus.example.de/damen/kleider/leinenkleid-mara")
    assert [(p["sku"], p["title"], p["price"], p["currency"]) for p in products] == [
        ("12345", "Leinenkleid Mara", 29.95, "EUR")]


def test_a_recommended_product_s_jsonld_is_not_the_page_s_product() -> None:
    products = read("recommended_product_jsonld.html", "https://shop.example.com/products/waxed-canvas-tote")
    assert [(p["sku"], p["title"], p["price"]) for p in products] == [("WT-3301", "Waxed Canvas Tote", 85.0)]


def test_the_code_the_canonical_url_carries_and_the_page_prints_beats_an_entity_id() -> None:
    products = read("canonical_carries_code.html", "https://shop.example.com/catalog/product/view/id/48213/")
    assert [(p["sku"], p["url"]) for p in products] == [("LS20417", "https://shop.example.com/linen-shirt-ls20417.html")]


# --- the evidence each rule needs --------------------------------------------------------------------

@pytest.mark.parametrize(("body", "sku"), [
    ("<p>Product code: 141677</p>", "141677"),
    ("<ul><li><strong>Product Code - </strong>39139301</li></ul>", "39139301"),
    ("<h4>Bestellnummer:</h4><div>106606</div>", "106606"),
    ("<p>Réf. : VE900</p>", "VE900"),
    ("<span>Item No.</span> <span>PU_106160/01</span>", "PU_106160/01"),
    ('<p>Black - <span data-qa-qualifier="product-reference">1002/710</span></p>', "1002/710"),
])
def test_a_labelled_number_beats_a_markup_id_the_page_never_shows(body: str, sku: str) -> None:
    assert one(page(body))["sku"] == sku


@pytest.mark.parametrize("body", [
    "<p>4821</p><p>SKU: A-77</p>",  # the page shows the markup's id too
    "<p>SKU: A-77</p><p>Style No. B-88</p>",  # two numbers: nothing says which is the product's
    '<a href="/products/other"><span>SKU: A-77</span></a>',  # a tile's number belongs to the page it links to
    "<p>Model No. X-900</p>",  # a maker's model number is no evidence against the shop's id
    "<p>Model: 178cm, wears size M</p><p>Style: Relaxed fit</p>",  # neither is a product number
])
def test_the_markup_sku_stays_without_evidence_against_it(body: str) -> None:
    assert one(page(body))["sku"] == "4821"


def test_a_number_written_with_separators_is_kept_as_the_page_writes_it() -> None:
    body = '<span itemprop="sku" content="4667999" data-test="product-name-catNumber">466/7999</span>'
    assert one(page(body, sku="4667999"))["sku"] == "466/7999"


def test_a_selected_size_s_number_does_not_replace_its_product_s() -> None:
    body = "<p>SKU: C-1-38</p>"
    assert one(page(body, sku="C-1", variants=("C-1-36", "C-1-38")))["sku"] == "C-1"


def test_markup_that_numbers_its_sizes_after_its_sku_keeps_it() -> None:
    # the sizes' SKUs extend the markup's: the id is this product's, whatever reference the page prints
    body = "<p>Ref. 1002/710</p>"
    assert one(page(body, sku="C-1", variants=("C-1-36", "C-1-38")))["sku"] == "C-1"


def test_a_variant_sku_in_the_markup_yields_to_the_product_sku_the_page_shows() -> None:
    assert one(page("<p>SKU MKI6IKW1N4</p>", sku="MKI6IKW1N4-1"))["sku"] == "MKI6IKW1N4"


def test_without_a_shop_number_the_model_number_comes_before_the_address() -> None:
    html = page('<p class="price">€20.00</p><button>Add to cart</button><p>Model No. RX-2200</p>', sku=None)
    assert one(html)["sku"] == "RX-2200"
    assert one(html, url="https://shop.example.com/tee-400138908.html")["sku"] == "400138908"


@pytest.mark.parametrize(("url", "codes"), [
    ("https://shop.example.com/linen-shirt-ls20417.html", ["ls20417"]),
    ("https://www.argos.example/product/4667999", ["4667999", "4667999"]),
    ("https://shop.example.com/summer-dress-2023", []),  # four digits alone are as often a year
    ("https://shop.example.com/phone-case-128gb", []),  # a capacity, not a code
])
def test_path_codes(url: str, codes: list[str]) -> None:
    assert path_codes(url) == codes
