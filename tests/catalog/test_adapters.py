"""The extraction adapters on pages shaped like real shops' pages: one test per format and per trap."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stylist.catalog.products import ExtractedProduct, Extraction, Page, Variant
from stylist.catalog.reading.fields import parse_availability, parse_currency, parse_price
from stylist.catalog.shops import ADAPTERS, detect_adapter, make_adapter
from stylist.catalog.shops.jsonld import JsonLdAdapter
from stylist.catalog.shops.luisaviaroma import LuisaviaromaAdapter
from stylist.catalog.shops.shopify import ShopifyAdapter
from tests.helpers.fixture_pages import LVR_DRESS, fixture

SHOP = "https://shop.example.com/products/item"
LVR_SNEAKER = "https://www.luisaviaroma.com/en-us/p/nike/men/sneakers/74I-4OZ226"


def html(url: str = SHOP, *, head: str = "", jsonld: tuple[Any, ...] = ()) -> Page:
    scripts = "".join(f'<script type="application/ld+json">{json.dumps(doc)}</script>' for doc in jsonld)
    return Page(url=url, status=200, content_type="text/html",
                text=f"<html><head>{head}{scripts}</head><body></body></html>")


def product(**fields: Any) -> dict[str, Any]:
    """A complete JSON-LD Product; `fields` override or add properties (None removes one)."""
    doc = {"@context": "https://schema.org", "@type": "Product", "name": "Tee", "sku": "T-1",
           "offers": {"@type": "Offer", "price": "20.00", "priceCurrency": "EUR",
                      "availability": "https://schema.org/InStock"}}
    doc.update(fields)
    return {key: value for key, value in doc.items() if value is not None}


def only(extraction: Extraction) -> ExtractedProduct:
    assert extraction.broken == 0 and extraction.links == []
    assert len(extraction.products) == 1
    return extraction.products[0]


# --- JSON-LD formats -----------------------------------------------------------------------------

def test_single_offer() -> None:
    page = fixture("jsonld_offer.html", "https://shop.example.com/products/silk-slip-dress?variant=3")
    assert only(JsonLdAdapter().extract(page)) == ExtractedProduct(
        sku="AN-1042",
        url="https://shop.example.com/products/silk-slip-dress",  # canonical link, made absolute
        title="Silk slip dress",
        designer="Atelier Nord",
        description="Bias-cut silk & satin slip dress. Adjustable straps.",
        price=1250.0,
        currency="EUR",
        available=True,
        image_urls=["https://shop.example.com/media/slip-dress-front.jpg"],
        category="Dresses",
        color="Champagne",
        mpn="SS24-DR-1042",  # the maker's part number, for finding the dress in other shops
    )


def test_aggregate_offer_price_is_its_low_price() -> None:
    found = only(JsonLdAdapter().extract(fixture("jsonld_aggregate_offer.html", SHOP)))
    assert (found.sku, found.designer, found.price, found.currency, found.available) == (
        "MCN-77", "Fjell", 89.9, "GBP", True)
    assert found.image_urls == ["https://cdn.example.net/mcn-77/1.jpg", "https://cdn.example.net/mcn-77/2.jpg"]


def test_aggregate_offer_without_low_price_uses_price() -> None:
    offer = {"@type": "AggregateOffer", "price": "75", "priceCurrency": "EUR"}
    assert only(JsonLdAdapter().extract(html(jsonld=(product(offers=offer),)))).price == 75.0


def test_offer_list_takes_cheapest_offer_in_stock() -> None:
    # 99 is sold out; 129 is a priceSpecification next to a strikethrough price of 180
    found = only(JsonLdAdapter().extract(fixture("jsonld_offer_list.html", SHOP)))
    assert (found.sku, found.designer, found.price, found.currency, found.available) == (
        "558120", "Sorel Studio", 129.0, "USD", True)
    assert found.image_urls == ["https://img.example.org/boot-1.jpg", "https://img.example.org/boot-2.jpg"]


def test_offer_list_all_sold_out_takes_cheapest_and_is_unavailable() -> None:
    offers = [{"price": "60", "priceCurrency": "EUR", "availability": "OutOfStock"},
              {"price": "50", "priceCurrency": "EUR", "availability": "SoldOut"}]
    found = only(JsonLdAdapter().extract(html(jsonld=(product(offers=offers),))))
    assert (found.price, found.available) == (50.0, False)


def test_graph_with_references_and_type_list() -> None:
    page = fixture("jsonld_graph.html", "https://maison-ete.fr/p/veste-lin?ref=home")
    assert only(JsonLdAdapter().extract(page)) == ExtractedProduct(
        sku="VL-300",
        url="https://www.maison-ete.fr/p/veste-lin",  # its own url: same shop, with or without www
        title="Veste en lin",
        designer="Maison Été",  # brand given as an @id reference to another graph node
        price=1250.0,  # "1.250,00"
        currency="EUR",
        available=True,  # LimitedAvailability
        image_urls=["https://cdn.maison-ete.fr/vl-300.jpg"],
    )  # and the related product (isRelatedTo) is not this page's product


def test_item_page_wrapping_product() -> None:
    found = only(JsonLdAdapter().extract(fixture("jsonld_itempage.html", "https://oskar.example.com/coat")))
    assert found == ExtractedProduct(
        sku="4006381333931",  # gtin13, nothing better given
        url="https://oskar.example.com/coat",  # its url points to another host: the page's URL instead
        title="Double-breasted wool coat",
        designer="Oskar Tailors",  # manufacturer, no brand given
        price=450.0,  # "€ 450" in a priceSpecification
        currency="CHF",
        available=True,  # PreOrder
        image_urls=["https://oskar.example.com/coat.jpg"],
        gtin="4006381333931",
    )


TRENCH = "https://www.north-row.com/products/cotton-trench"
OVERSHIRT = "https://ostra-studio.com/products/linen-overshirt"
TOTE = "https://ostra-studio.com/products/cotton-tote"


def test_product_group_is_one_product() -> None:
    found = only(JsonLdAdapter().extract(fixture("jsonld_product_group.html", SHOP)))
    assert found == ExtractedProduct(
        sku="NR-TRENCH",
        url="https://www.north-row.com/products/cotton-trench",
        title="Cotton trench coat",
        designer="North Row",
        description="Water-repellent cotton gabardine trench.",
        price=420.0,  # M at 380 is sold out
        currency="USD",
        available=True,
        image_urls=["https://cdn.north-row.com/trench/main.jpg", "https://cdn.north-row.com/trench/s-back.jpg",
                    "https://cdn.north-row.com/trench/m-detail.jpg"],
        color="Stone",  # every variant's colour
        variants=[Variant("NR-TRENCH-S", "S", "Stone", True, 420.0, "USD", TRENCH),
                  Variant("NR-TRENCH-M", "M", "Stone", False, 380.0, "USD", TRENCH),
                  Variant("NR-TRENCH-L", "L", "Stone", True, 440.0, "USD", TRENCH)],
    )


def test_product_group_in_graph_folds_variants_referenced_either_way() -> None:
    group = {"@type": "ProductGroup", "@id": "https://shop.example.com/p/knit#group", "name": "Knit",
             "brand": "Wool & Co", "hasVariant": [{"@id": "#knit-s"}]}
    small = {"@type": "Product", "@id": "#knit-s", "sku": "K-S", "name": "Knit S", "color": "Red",
             "offers": {"price": 80, "priceCurrency": "EUR", "availability": "OutOfStock"}}
    large = {"@type": "Product", "sku": "K-L", "name": "Knit L", "color": "Blue",
             "isVariantOf": {"@id": "https://shop.example.com/p/knit#group"},
             "offers": {"price": 90, "priceCurrency": "EUR", "availability": "InStock"}}
    found = only(JsonLdAdapter().extract(html(jsonld=({"@graph": [group, small, large]},))))
    assert (found.sku, found.title, found.designer, found.price, found.available, found.color) == (
        "https://shop.example.com/p/knit#group", "Knit", "Wool & Co", 90.0, True, "")


def test_product_group_with_nothing_in_stock() -> None:
    variants = [{"@type": "Product", "sku": s, "offers": {"price": p, "priceCurrency": "EUR",
                                                           "availability": "OutOfStock"}}
                for s, p in (("A", 30), ("B", 25))]
    group = {"@type": "ProductGroup", "productGroupID": "G-1", "name": "Cap", "hasVariant": variants}
    found = only(JsonLdAdapter().extract(html(jsonld=(group,))))
    assert (found.sku, found.price, found.available) == ("G-1", 25.0, False)


# --- JSON-LD traps ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fields", [
    {"brand": "Acme"},
    {"brand": {"@type": "Brand", "name": "Acme"}},
    {"brand": ["Acme", "Acme Kids"]},
    {"brand": [{"@type": "Brand", "name": "Acme"}]},
    {"manufacturer": {"@type": "Organization", "name": "Acme"}},
    {"brand": {"@type": "Brand", "name": ""}, "manufacturer": "Acme"},
])
def test_brand_shapes(fields: dict[str, Any]) -> None:
    assert only(JsonLdAdapter().extract(html(jsonld=(product(**fields),)))).designer == "Acme"


@pytest.mark.parametrize(("image", "expected"), [
    ("/img/a.jpg", ["https://shop.example.com/img/a.jpg"]),
    ("//cdn.example.net/a.jpg", ["https://cdn.example.net/a.jpg"]),
    (["a.jpg", "https://cdn.example.net/b.jpg"],
     ["https://shop.example.com/products/a.jpg", "https://cdn.example.net/b.jpg"]),
    ({"@type": "ImageObject", "url": "https://cdn.example.net/a.jpg"}, ["https://cdn.example.net/a.jpg"]),
    ({"@type": "ImageObject", "contentUrl": "/a.jpg"}, ["https://shop.example.com/a.jpg"]),
    ([{"@type": "ImageObject", "url": "https://cdn.example.net/a.jpg"},
      {"@type": "ImageObject", "url": "https://cdn.example.net/b.jpg"}],
     ["https://cdn.example.net/a.jpg", "https://cdn.example.net/b.jpg"]),
])
def test_image_shapes(image: Any, expected: list[str]) -> None:
    assert only(JsonLdAdapter().extract(html(jsonld=(product(image=image),)))).image_urls == expected


@pytest.mark.parametrize(("availability", "available"), [
    ("https://schema.org/InStock", True),
    ("http://schema.org/InStock", True),
    ("schema:InStock", True),
    ("InStock", True),
    ("instock", True),
    ("in stock", True),
    ("https://schema.org/LimitedAvailability", True),
    ("https://schema.org/OnlineOnly", True),
    ("https://schema.org/PreOrder", True),
    ("BackOrder", True),
    (None, True),  # no availability on a priced offer: on sale
    ("https://schema.org/OutOfStock", False),
    ("http://schema.org/SoldOut", False),
    ("Discontinued", False),
])
def test_availability_spellings(availability: str | None, available: bool) -> None:
    offer = {"price": "20", "priceCurrency": "EUR", "availability": availability}
    offer = {key: value for key, value in offer.items() if value is not None}
    assert only(JsonLdAdapter().extract(html(jsonld=(product(offers=offer),)))).available is available


@pytest.mark.parametrize(("fields", "sku"), [
    ({"sku": "S-1", "productID": "P-1", "mpn": "M-1"}, "S-1"),
    ({"sku": None, "productID": "P-1", "productGroupID": "G-1"}, "P-1"),
    ({"sku": None, "productGroupID": "G-1", "mpn": "M-1"}, "G-1"),
    ({"sku": None, "offers": {"sku": "O-1", "price": 5, "priceCurrency": "EUR"}, "mpn": "M-1"}, "O-1"),
    ({"sku": None, "mpn": "M-1", "gtin13": "4006381333931"}, "M-1"),
    ({"sku": None, "gtin13": 4006381333931}, "4006381333931"),
])
def test_sku_fallbacks(fields: dict[str, Any], sku: str) -> None:
    assert only(JsonLdAdapter().extract(html(jsonld=(product(**fields),)))).sku == sku


@pytest.mark.parametrize(("text", "price"), [
    ("1,250.00", 1250.0),
    ("1.250,00", 1250.0),
    ("€ 99", 99.0),
    ("99", 99.0),
    (99, 99.0),
    (12.5, 12.5),
    ("12,50", 12.5),
    ("1,250", 1250.0),
    ("1 250,00 €", 1250.0),
    ("CHF 1'250.50", 1250.5),
    ("$1,234,567.89", 1234567.89),
    ("1.234.567", 1234567.0),
    ("99.00 - 120.00", 99.0),
    ("-5.00", -5.0),
    ("", None),
    ("on request", None),
    (None, None),
    (True, None),
])
def test_price_formats(text: Any, price: float | None) -> None:
    assert parse_price(text) == price


def test_price_as_number_or_text_and_currency_upper_cased() -> None:
    offer = {"price": "1.250,00", "priceCurrency": "sek"}
    found = only(JsonLdAdapter().extract(html(jsonld=(product(offers=offer),))))
    assert (found.price, found.currency) == (1250.0, "SEK")


@pytest.mark.parametrize(("value", "currency"), [
    ("eur", "EUR"), (" USD ", "USD"), ("€", ""), ("EURO", ""), (None, ""),
])
def test_currency_codes(value: Any, currency: str) -> None:
    assert parse_currency(value) == currency


@pytest.mark.parametrize(("value", "available"), [
    ("https://schema.org/BackOrder", True), ("presale", True), ("out of stock", False), ("out_of_stock", False),
    ("oos", False), ("InStoreOnly", False), ("", None), ("https://schema.org/Whatever", None), (True, True),
])
def test_availability_words(value: Any, available: bool | None) -> None:
    assert parse_availability(value) is available


@pytest.mark.parametrize(("head", "url", "expected"), [
    ('<link rel="canonical" href="/p/tee">', "https://elsewhere.example.com/tee",
     "https://shop.example.com/p/tee"),
    ("", "https://www.shop.example.com/p/tee", "https://www.shop.example.com/p/tee"),
    ("", "https://elsewhere.example.com/tee", SHOP),
    ("", None, SHOP),
])
def test_canonical_url(head: str, url: str | None, expected: str) -> None:
    assert only(JsonLdAdapter().extract(html(head=head, jsonld=(product(url=url),)))).url == expected


def test_canonical_link_names_no_product_on_a_page_of_several() -> None:
    head = '<link rel="canonical" href="https://shop.example.com/sets/summer">'
    documents = (product(sku="A", url="/p/a"), product(sku="B"))
    extraction = JsonLdAdapter().extract(html(head=head, jsonld=documents))
    assert [(p.sku, p.url) for p in extraction.products] == [("A", "https://shop.example.com/p/a"), ("B", SHOP)]


def test_category_and_color() -> None:
    found = only(JsonLdAdapter().extract(html(jsonld=(product(category={"@type": "Thing", "name": "Knitwear"},
                                                              color=["Navy", "Blue"]),))))
    assert (found.category, found.color) == ("Knitwear", "Navy")


def test_page_without_product_data() -> None:
    assert JsonLdAdapter().extract(fixture("no_product.html", "https://shop.example.com/about")) == Extraction()


def test_non_html_pages_yield_nothing() -> None:
    page = fixture("shopify_products_page1.json", SHOP, content_type="application/json")
    assert JsonLdAdapter().extract(page) == Extraction()
    assert JsonLdAdapter().extract(Page(SHOP, 200, "text/html", "  ")) == Extraction()


def test_malformed_script_does_not_hide_valid_product() -> None:
    # a broken breadcrumb script is not a product; the broken product script is counted
    extraction = JsonLdAdapter().extract(fixture("jsonld_broken_script.html", SHOP))
    assert [p.sku for p in extraction.products] == ["TOTE-9"]
    assert extraction.broken == 1


@pytest.mark.parametrize("fields", [
    {"name": None},
    {"offers": {"priceCurrency": "EUR", "availability": "InStock"}},
    {"offers": {"price": "20", "availability": "InStock"}},
    {"offers": {"price": "-20", "priceCurrency": "EUR"}},
])
def test_incomplete_product_is_broken_not_emitted(fields: dict[str, Any]) -> None:
    assert JsonLdAdapter().extract(html(jsonld=(product(**fields),))) == Extraction(broken=1)


@pytest.mark.parametrize(("url", "fields", "sku"), [
    # the product number in the URL beats a manufacturer's number; with neither, the URL stands for the SKU
    ("https://shop.example.com/coats/wool-coat-p400138908.html?colour=2", {"mpn": "M-1"}, "400138908"),
    ("https://shop.example.com/itm/302474151804", {"mpn": "M-1"}, "302474151804"),
    ("https://shop.example.com/products/item", {"mpn": "M-1"}, "M-1"),
    ("https://shop.example.com/products/item?x=1", {}, "https://shop.example.com/products/item"),
])
def test_product_without_sku_takes_its_page_identity(url: str, fields: dict[str, Any], sku: str) -> None:
    found = only(JsonLdAdapter().extract(html(url, jsonld=(product(sku=None, **fields),))))
    assert found.sku == sku


def test_same_sku_twice_on_a_page_is_one_product() -> None:
    extraction = JsonLdAdapter().extract(html(jsonld=(product(), product(name="Tee again"))))
    assert [(p.sku, p.title) for p in extraction.products] == [("T-1", "Tee")]


# --- microdata and OpenGraph -----------------------------------------------------------------------

def test_microdata_product() -> None:
    page = fixture("microdata_product.html", "https://lykke.example.dk/skirts/pms-12")
    assert only(JsonLdAdapter().extract(page)) == ExtractedProduct(
        sku="PMS-12",
        url="https://lykke.example.dk/skirts/pms-12",
        title="Pleated midi skirt",
        designer="Lykke",
        description="Knife pleats, recycled polyester.",
        price=1250.0,
        currency="DKK",
        available=True,
        image_urls=["https://lykke.example.dk/img/pms-12-a.jpg", "https://lykke.example.dk/img/pms-12-b.jpg"],
        color="Sage",
    )


def test_opengraph_product() -> None:
    page = fixture("opengraph_product.html", "https://tanks.example/ribbed-tank")
    assert only(JsonLdAdapter().extract(page)) == ExtractedProduct(
        sku="RT-5",
        url="https://www.tanks.example/ribbed-tank?utm_source=x",  # og:url, same shop
        title="Ribbed tank top",
        designer="Tanks & Co",
        description="Stretch cotton rib.",
        price=29.95,
        currency="USD",
        available=True,
        image_urls=["https://cdn.tanks.example/rt-1.jpg", "https://cdn.tanks.example/rt-2.jpg"],
        category="Tops",
        color="Black",
    )


def test_jsonld_wins_over_opengraph() -> None:
    head = ('<meta property="og:type" content="product"><meta property="og:title" content="Other">'
            '<meta property="product:retailer_item_id" content="OG-1">')
    assert only(JsonLdAdapter().extract(html(head=head, jsonld=(product(),)))).sku == "T-1"


def test_opengraph_used_when_jsonld_product_is_broken() -> None:
    head = ('<meta property="og:type" content="product"><meta property="og:title" content="Tee">'
            '<meta property="product:retailer_item_id" content="T-1">'
            '<meta property="product:price:amount" content="20">'
            '<meta property="product:price:currency" content="EUR">')
    extraction = JsonLdAdapter().extract(html(head=head, jsonld=(product(offers=None),)))
    assert ([p.sku for p in extraction.products], extraction.broken) == (["T-1"], 0)


# --- Luisaviaroma ----------------------------------------------------------------------------------

def test_lvr_product_from_embedded_state() -> None:
    found = only(LuisaviaromaAdapter().extract(fixture("lvr_product.html", LVR_DRESS + "?lvrid=_p")))
    assert found == ExtractedProduct(
        sku="70I-B41020",
        url=LVR_DRESS,
        title="Printed off shoulder cotton poplin dress",
        designer="Dolce & Gabbana",
        description="Off-shoulder dress in printed cotton poplin – elasticated neckline, midi length.",
        price=1260.0,  # the state's final price, not JSON-LD's list price
        currency="EUR",  # not in the state: from JSON-LD
        available=True,
        image_urls=["https://images.lvrcdn.com/Big70I/B41/020_8bb728d9-d59b-4c14-ae0d-d7d7e9597df5.JPG",
                    "https://images.lvrcdn.com/Big70I/B41/020_1c2d3e4f-0000-4c14-ae0d-d7d7e9597df5.JPG"],
        category="women/dresses",  # from the URL
        color="WHITE",
        # the state's sizes, each with its own stock
        variants=[Variant("3", "38", "", True, 1260.0, "EUR", LVR_DRESS),
                  Variant("4", "40", "", False, 1260.0, "EUR", LVR_DRESS)],
    )


def test_lvr_sold_out_when_no_size_is_on_sale() -> None:
    page = fixture("lvr_product.html", LVR_DRESS)
    sizes_start = page.text.index('"Availability":[')
    sizes_end = page.text.index(',"PhotosByColor"')
    page.text = page.text[:sizes_start] + '"Availability":[]' + page.text[sizes_end:]
    found = only(LuisaviaromaAdapter().extract(page))
    assert (found.price, found.available) == (1260.0, False)


def test_lvr_without_state_reads_jsonld() -> None:
    found = only(LuisaviaromaAdapter().extract(fixture("lvr_product_jsonld_only.html", LVR_SNEAKER)))
    assert found == ExtractedProduct(
        sku="74I-4OZ226",
        url=LVR_SNEAKER,
        title="Air Force 1 '07 Sneakers",
        designer="NIKE",
        price=120.0,
        currency="USD",
        available=False,
        image_urls=["https://images.lvrcdn.com/Big74I/4OZ/226_a.JPG",
                    "https://images.lvrcdn.com/Big74I/4OZ/226_b.JPG"],
        category="men/sneakers",
        color="White",
    )


def test_lvr_unreadable_state_falls_back_to_jsonld() -> None:
    page = fixture("lvr_product.html", LVR_DRESS)
    page.text = page.text.replace('{"PageTitle"', '{PageTitle', 1)
    found = only(LuisaviaromaAdapter().extract(page))
    assert (found.sku, found.title, found.price, found.designer) == (
        "70I-B41020", "Printed Off Shoulder Cotton Poplin Dress", 1800.0, "DOLCE & GABBANA")


def test_lvr_listing_page_yields_nothing_and_is_not_broken() -> None:
    page = fixture("lvr_listing.html", "https://www.luisaviaroma.com/en-it/shop/women/clothing?lvrid=_gw_i1")
    assert LuisaviaromaAdapter().extract(page) == Extraction()


def test_lvr_product_page_without_product_is_broken() -> None:
    assert LuisaviaromaAdapter().extract(html(LVR_DRESS)) == Extraction(broken=1)


# --- Shopify ---------------------------------------------------------------------------------------

def shopify_page(name: str, url: str) -> Page:
    return fixture(name, url, content_type="application/json")


def test_shopify_seeds() -> None:
    assert ShopifyAdapter().seeds("https://ostra-studio.com/collections/all") == [
        "https://ostra-studio.com/meta.json", "https://ostra-studio.com/",
        "https://ostra-studio.com/products.json?limit=250&page=1"]


def test_shopify_meta_then_products() -> None:
    adapter = ShopifyAdapter()
    meta = adapter.extract(shopify_page("shopify_meta.json", "https://ostra-studio.com/meta.json"))
    assert meta == Extraction(links=["https://ostra-studio.com/products.json?limit=250&page=1"])

    page = shopify_page("shopify_products_page1.json", "https://ostra-studio.com/products.json?limit=250&page=1")
    extraction = adapter.extract(page)
    assert extraction.broken == 0
    assert extraction.links == ["https://ostra-studio.com/products.json?limit=250&page=2"]
    assert extraction.products == [
        ExtractedProduct(
            sku="7390012211",
            url="https://ostra-studio.com/products/linen-overshirt",
            title="Linen Overshirt",
            designer="Ostra Studio",
            description="Relaxed & airy linen overshirt. 100% linen",
            price=190.0,  # cheapest variant in stock
            currency="EUR",
            available=True,
            image_urls=["https://cdn.shopify.com/s/files/1/0482/files/overshirt-front.jpg?v=1708416780",
                        "https://cdn.shopify.com/s/files/1/0482/files/overshirt-back.jpg?v=1708416780"],
            category="Shirts",
            color="Ecru",
            variants=[Variant("OS-LO-S-EC", "S", "Ecru", False, 180.0, "EUR", f"{OVERSHIRT}?variant=4101"),
                      Variant("OS-LO-M-EC", "M", "Ecru", True, 195.0, "EUR", f"{OVERSHIRT}?variant=4102"),
                      Variant("OS-LO-L-NA", "L", "Navy", True, 190.0, "EUR", f"{OVERSHIRT}?variant=4103")],
        ),
        ExtractedProduct(
            sku="7390012299",
            url="https://ostra-studio.com/products/cotton-tote",
            title="Cotton Tote",
            designer="Ostra Studio",
            price=45.0,
            currency="EUR",
            available=False,
            category="Bags",
            # "Title" is Shopify's name for a product without options: its values are no sizes
            variants=[Variant("OS-TOTE", "", "", False, 45.0, "EUR", f"{TOTE}?variant=4201"),
                      Variant("OS-TOTE-L", "", "", False, 55.0, "EUR", f"{TOTE}?variant=4202")],
        ),
    ]


def test_shopify_empty_page_ends_pagination() -> None:
    page = shopify_page("shopify_products_page2.json", "https://ostra-studio.com/products.json?limit=250&page=2")
    assert ShopifyAdapter().extract(page) == Extraction()


def test_shopify_without_currency_counts_products_broken() -> None:
    page = shopify_page("shopify_products_page1.json", "https://ostra-studio.com/products.json?limit=250&page=1")
    extraction = ShopifyAdapter().extract(page)
    assert (extraction.products, extraction.broken) == ([], 2)
    assert extraction.links == ["https://ostra-studio.com/products.json?limit=250&page=2"]


def test_shopify_currency_written_in_the_feed() -> None:
    page = shopify_page("shopify_products_page1.json", "https://ostra-studio.com/products.json?limit=250&page=1")
    page.text = page.text.replace('"price": "195.00"', '"price": "195.00", "price_currency": "DKK"')
    assert {p.currency for p in ShopifyAdapter().extract(page).products} == {"DKK"}


@pytest.mark.parametrize(("storefront", "currency"), [
    ('<script>Shopify.currency = {"active":"USD","rate":"1.0"};</script>', "USD"),
    ('<meta property="og:price:currency" content="cad">', "CAD"),
    ('<html lang="en-AU"><body></body></html>', "AUD"),
    ("<html><body>Welcome</body></html>", ""),
])
def test_shopify_currency_from_the_storefront_without_meta_json(storefront: str, currency: str) -> None:
    adapter = ShopifyAdapter()
    assert adapter.extract(Page("https://kicks.example.com/", 200, "text/html", storefront)) == Extraction()
    page = shopify_page("shopify_products_page1.json", "https://kicks.example.com/products.json?limit=250&page=1")
    extraction = adapter.extract(page)
    assert {p.currency for p in extraction.products} == ({currency} if currency else set())
    assert extraction.broken == (0 if currency else 2)


def test_shopify_ignores_html_pages() -> None:
    assert ShopifyAdapter().extract(html("https://ostra-studio.com/")) == Extraction()


# --- choosing an adapter ---------------------------------------------------------------------------

def test_make_adapter_gives_fresh_instances() -> None:
    assert set(ADAPTERS) == {"jsonld", "shopify", "luisaviaroma"}
    first, second = make_adapter("shopify"), make_adapter("shopify")
    assert isinstance(first, ShopifyAdapter) and first is not second
    with pytest.raises(ValueError, match="jsonld, shopify, luisaviaroma"):
        make_adapter("magento")


@pytest.mark.parametrize(("root", "probe", "name"), [
    ("https://www.luisaviaroma.com/en-it/shop/women", None, "luisaviaroma"),
    ("https://ostra-studio.com/", Page("https://ostra-studio.com/products.json", 200, "application/json",
                                       '{"products": []}'), "shopify"),
    ("https://shop.example.com/", Page("https://shop.example.com/products.json", 404, "text/html",
                                       "nope"), "jsonld"),
    ("https://shop.example.com/", Page("https://shop.example.com/products.json", 200, "text/html",
                                       "<html></html>"), "jsonld"),
    ("https://shop.example.com/", Page("https://shop.example.com/products.json", 200, "application/json",
                                       '{"items": []}'), "jsonld"),
    ("https://notluisaviaroma.com/", None, "jsonld"),
])
def test_detect_adapter(root: str, probe: Page | None, name: str) -> None:
    assert detect_adapter(root, probe) == name
