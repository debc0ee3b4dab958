"""A product's variants (sizes, colours, each with its own stock) as every adapter reads them.

Real pages and feeds are read in place from ../shared/real-pages, with the sizes and stock a person reads on
each; small hand-written pages cover what no real page shows.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stylist.catalog.products import ExtractedProduct, Page, Variant
from stylist.catalog.shops import detect_adapter, make_adapter
from stylist.catalog.shops.jsonld import JsonLdAdapter
from stylist.catalog.shops.luisaviaroma import LuisaviaromaAdapter
from stylist.catalog.shops.shopify import ShopifyAdapter
from tests.helpers.fixture_pages import LVR_DRESS, fixture
from tests.helpers.real_pages import MANIFEST, REAL_PAGES, page_url

SHOP = "https://shop.example.com/products/coat"
on_real_pages = pytest.mark.skipif(not MANIFEST.exists(), reason=f"{REAL_PAGES} is not there")


def entries(section: str) -> dict[str, dict[str, Any]]:
    return json.loads(MANIFEST.read_text())[section] if MANIFEST.exists() else {}


def real_product(name: str) -> ExtractedProduct:
    """The one product the catalog reads from a real page, through the adapter `auto` picks for it."""
    entry = entries("pages")[name]
    url = page_url(name, entry)
    page = Page(url=url, status=200, content_type="text/html",
                text=(REAL_PAGES / entry["file"]).read_text(encoding="utf-8"))
    [product] = make_adapter(detect_adapter(url, None)).extract(page).products
    return product


def shopify_product(name: str) -> ExtractedProduct:
    """The one product of a real products.json payload, the shop's currency read from its /meta.json first."""
    payload = (REAL_PAGES / entries("shopify")[name]["file"]).read_text()
    adapter = ShopifyAdapter()
    adapter.extract(Page("https://shop.example.com/meta.json", 200, "application/json", '{"currency": "USD"}'))
    page = Page("https://shop.example.com/products.json?limit=250&page=1", 200, "application/json", payload)
    [product] = adapter.extract(page).products
    return product


def stock(product: ExtractedProduct) -> list[tuple[str, bool]]:
    return [(variant.size, variant.available) for variant in product.variants]


def in_stock(product: ExtractedProduct) -> list[str]:
    return [variant.size for variant in product.variants if variant.available]


def jsonld_page(*docs: Any, body: str = "", url: str = SHOP) -> Page:
    scripts = "".join(f'<script type="application/ld+json">{json.dumps(doc)}</script>' for doc in docs)
    return Page(url=url, status=200, content_type="text/html",
                text=f"<html><head>{scripts}</head><body>{body}</body></html>")


def only(page: Page) -> ExtractedProduct:
    [product] = JsonLdAdapter().extract(page).products
    return product


def coat(**fields: Any) -> dict[str, Any]:
    """A one-offer JSON-LD Product (no variants of its own); `fields` override or add properties."""
    return {"@context": "https://schema.org", "@type": "Product", "name": "Wool coat", "sku": "C-1",
            "offers": {"@type": "Offer", "price": "200", "priceCurrency": "EUR",
                       "availability": "https://schema.org/InStock"}, **fields}


# --- schema.org ProductGroup -------------------------------------------------------------------------

@on_real_pages
def test_google_nested_product_group_lists_its_three_variants() -> None:
    product = real_product("google-productgroup-nested-coat")
    assert product.variants == [
        Variant("44E01-M11000", "small", "Green", True, 39.99, "USD",
                "https://www.example.com/coat?size=small&color=green"),
        Variant("44E01-K11000", "small", "light blue", True, 39.99, "USD",
                "https://www.example.com/coat?size=small&color=lightblue"),
        # BackOrder can be bought now
        Variant("44E01-X1100000", "large", "light blue", True, 49.99, "USD",
                "https://www.example.com/coat?size=large&color=lightblue"),
    ]
    assert (product.sku, product.price, product.available) == ("44E01", 39.99, True)


@on_real_pages
def test_google_variants_pointing_to_their_group_take_its_stock() -> None:
    product = real_product("google-productgroup-isvariantof-coat")
    # no SKUs and no availability on the page: told apart by size and colour, in stock as the product is
    assert [(v.sku, v.size, v.color, v.available, v.price) for v in product.variants] == [
        ("", "small", "green", True, 39.99), ("", "small", "light blue", True, 39.99),
        ("", "large", "light blue", True, 49.99)]
    assert product.variants[2].url == "https://www.example.com/coat?size=large&color=lightblue"


def test_product_group_variant_sizes_as_size_specifications() -> None:
    def variant(sku: str, size: Any, **fields: Any) -> dict[str, Any]:
        # each repeats its group's ID, which names none of them
        return {"@type": "Product", "productGroupID": "TR", **({"sku": sku} if sku else {}), "name": "Trench",
                "size": size, **fields}

    group = {"@context": "https://schema.org", "@type": "ProductGroup", "productGroupID": "TR", "name": "Trench",
             "url": SHOP, "offers": {"@type": "Offer", "price": "300", "priceCurrency": "GBP"},
             "hasVariant": [
                 variant("TR-S", {"@type": "SizeSpecification", "name": "UK 8", "sizeSystem": "UK"},
                         offers={"@type": "Offer", "price": "280", "priceCurrency": "GBP",
                                 "availability": "https://schema.org/OutOfStock"}),
                 variant("", {"@type": "SizeSpecification", "name": "UK 10"}),  # says nothing: the group's
                 variant("TR-L", "UK 12", offers={"@type": "Offer", "price": 310, "availability": "InStock"}),
                 variant("TR-L", "UK 12"),  # written twice
             ]}
    product = only(jsonld_page(group))
    assert (product.price, product.currency, product.available) == (300.0, "GBP", True)
    assert product.variants == [Variant("TR-S", "UK 8", "", False, 280.0, "GBP", SHOP),
                                Variant("", "UK 10", "", True, 300.0, "GBP", SHOP),
                                Variant("TR-L", "UK 12", "", True, 310.0, "GBP", SHOP)]


# --- sibling Product nodes, one per size -------------------------------------------------------------

@on_real_pages
def test_zara_boots_siblings_take_their_sizes_from_the_picker() -> None:
    product = real_product("zara-over-knee-boots")
    sizes = [str(size) for size in range(35, 43)]
    assert [v.sku for v in product.variants] == [f"84518927-040-{size}" for size in sizes]
    assert [v.size for v in product.variants] == sizes
    assert in_stock(product) == ["36", "39"]
    assert {(v.price, v.currency, v.url) for v in product.variants} == {(69.95, "EUR", product.url)}
    assert (product.sku, product.price, product.available) == ("84518927-040", 69.95, True)


@on_real_pages
def test_zara_dress_siblings_and_picker_agree_on_the_sold_out_size() -> None:
    product = real_product("zara-strappy-dress")
    assert [v.sku for v in product.variants] == [f"83341420-808-{n}" for n in range(1, 6)]
    assert stock(product) == [("XS", True), ("S", True), ("M", True), ("L", True), ("XL", False)]


@on_real_pages
def test_zara_tshirt_with_more_nodes_than_picker_sizes_takes_the_picker_alone() -> None:
    # 14 nodes (2 colours x 7 sizes) against the 7 sizes of the colour shown: no way to pair them
    product = real_product("zara-ribbed-tshirt")
    assert stock(product) == [(size, True) for size in (
        "6-9 mois (74 cm)", "9-12 mois (80 cm)", "12-18 mois (86 cm)", "18-24 mois (92 cm)", "2-3 ans (98 cm)",
        "3-4 ans (104 cm)", "4-5 ans (110 cm)")]
    assert product.variants[0].sku == "62233508"  # the picker's own data-sku


def test_siblings_that_name_their_size_need_no_picker() -> None:
    nodes = [coat(sku=f"C-1-{size}", size=size, offers={"@type": "Offer", "price": "200", "priceCurrency": "EUR",
                                                         "availability": availability})
             for size, availability in (("S", "OutOfStock"), ("M", "InStock"))]
    product = only(jsonld_page(*nodes, body=PICKER_SELECT))
    assert (product.sku, stock(product)) == ("C-1", [("S", False), ("M", True)])


def test_siblings_whose_stock_contradicts_the_picker_are_not_paired_with_it() -> None:
    nodes = [coat(sku=f"C-1-{n}", offers={"@type": "Offer", "price": "200", "priceCurrency": "EUR",
                                          "availability": availability})
             for n, availability in enumerate(("InStock", "OutOfStock", "InStock"))]
    picker = ('<fieldset class="size-selector"><label class="size" data-name="S"></label>'
              '<label class="size" data-name="M"></label><label class="size disabled" data-name="L"></label>'
              '</fieldset>')
    product = only(jsonld_page(*nodes, body=picker))
    assert [(v.sku, v.size, v.available) for v in product.variants] == [
        ("", "S", True), ("", "M", True), ("", "L", False)]


# --- one Product, one Offer per size ------------------------------------------------------------------

@on_real_pages
@pytest.mark.parametrize(("name", "sizes", "available"), [
    ("zalando-hadley-dress", ["6", "8", "10", "12", "14"], ["10", "12"]),
    ("zalando-versace-jeans", ["29", "30", "31", "32", "33", "34", "36", "38"],
     ["29", "30", "31", "32", "33", "34", "38"]),
    ("zalando-gangsta-coat", ["XS", "S", "M", "L", "XL"], ["XS", "S", "M", "L", "XL"]),
])
def test_zalando_offers_are_sizes_named_by_the_page_state(name: str, sizes: list[str], available: list[str]) -> None:
    product = real_product(name)
    assert [v.size for v in product.variants] == sizes
    assert in_stock(product) == available
    assert all(v.sku.startswith(product.sku) and v.url == product.url for v in product.variants)


@on_real_pages
def test_zalando_offers_keep_their_own_prices() -> None:
    product = real_product("zalando-superdry-jacket")
    assert [(v.sku, v.size, v.price) for v in product.variants] == [
        ("SU221U09P-E110XXS000", "XXS", 74.95), ("SU221U09P-E1100XS000", "XS", 99.99),
        ("SU221U09P-E11000S000", "S", 74.95), ("SU221U09P-E11000M000", "M", 74.95),
        ("SU221U09P-E11000L000", "L", 99.99), ("SU221U09P-E1100XL000", "XL", 99.99)]
    assert (product.price, in_stock(product)) == (74.95, ["XXS", "XS", "S", "M", "L", "XL"])


def test_offers_name_their_size_or_their_item_does() -> None:
    offers = [{"@type": "Offer", "sku": "C-1-S", "size": "S", "price": "200", "availability": "OutOfStock",
               "url": "/products/coat?size=s"},
              {"@type": "Offer", "sku": "C-1-M", "price": "210", "priceCurrency": "EUR", "availability": "InStock",
               "itemOffered": {"@type": "Product", "size": {"@type": "SizeSpecification", "name": "M"},
                               "color": "Navy"}},
              {"@type": "Offer", "sku": "C-1-L", "name": "L", "price": "220", "priceCurrency": "EUR"}]
    product = only(jsonld_page(coat(offers=offers)))
    assert product.variants == [
        Variant("C-1-S", "S", "", False, 200.0, "EUR", "https://shop.example.com/products/coat?size=s"),
        Variant("C-1-M", "M", "Navy", True, 210.0, "EUR", SHOP),
        Variant("C-1-L", "L", "", True, 220.0, "EUR", SHOP),  # says nothing: in stock as its product is
    ]


def test_offer_skus_are_sized_from_any_json_script_of_the_page() -> None:
    offers = [{"@type": "Offer", "sku": sku, "price": "200", "priceCurrency": "EUR"} for sku in ("C-1-a", "C-1-b")]
    state = {"product": {"variants": [{"sku": "C-1-b", "size": {"label": "40"}}, {"sku": "C-1-a", "size": "38"},
                                      {"sku": "other", "size": "44"}]}}
    body = f'<script type="application/json">{json.dumps(state)}</script>'
    assert stock(only(jsonld_page(coat(offers=offers), body=body))) == [("38", True), ("40", True)]


def test_offers_that_nothing_tells_apart_are_not_variants() -> None:
    sellers = [{"@type": "Offer", "price": price, "priceCurrency": "EUR"} for price in ("200", "190")]
    assert only(jsonld_page(coat(offers=sellers))).variants == []


@on_real_pages
@pytest.mark.parametrize("name", [
    "rejuvenation-keystick-sconce",  # one Offer with its own SKU: the product itself
    "ikea-soft-toy", "currys-selfie-stick", "johnlewis-faux-fur-throw", "farah-jude-polo-shirt",
    "namshi-adidas-tshirt", "eduscho-maternity-dress", "etsy-pumpkin-doormat", "costco-afa-sink",
    "schemaorg-kenmore-microwave-rdfa", "bestseller-leather-shirt",
])
def test_pages_without_sizes_yield_no_variants(name: str) -> None:
    assert real_product(name).variants == []


# --- the visible size picker --------------------------------------------------------------------------

PICKER_SELECT = """
<nav><a href="/women/size-s"><span data-size="S" class="menu-size">S</span></a></nav>
<form><label for="pick">Size</label><select id="pick" name="attribute">
  <option value="">Choose a size</option>
  <option value="11" data-sku="C-1-XS">Size: XS - Sold out</option>
  <option value="12">Size: S</option>
  <option value="13" disabled>Size: M</option>
  <option value="14">Size: L - Only 2 left</option>
  <option value="15">Size: XL (Sold out)</option>
</select></form>
<div class="size-guide"><span data-size="XXL">XXL</span></div>
"""


def test_select_picker_reads_sizes_and_their_stock() -> None:
    product = only(jsonld_page(coat(), body=PICKER_SELECT))
    assert product.variants == [Variant("C-1-XS", "XS", "", False, 200.0, "EUR", SHOP),
                                Variant("", "S", "", True, 200.0, "EUR", SHOP),
                                Variant("", "M", "", False, 200.0, "EUR", SHOP),
                                Variant("", "L", "", True, 200.0, "EUR", SHOP),
                                Variant("", "XL", "", False, 200.0, "EUR", SHOP)]


def test_radio_picker_with_labels_placeholders_and_templates() -> None:
    body = """
    <ul class="sizes">
      <li><input type="radio" name="size" id="s1" value="1"><label for="s1">36</label></li>
      <li class="is-sold-out"><input type="radio" name="size" id="s2" value="2"><label for="s2">37</label></li>
      <li><input type="radio" name="size" id="s3" value="3" aria-disabled="true"><label for="s3">38</label></li>
      <li><input type="radio" name="size" id="s4" value="{{size}}"><label for="s4">{{size}}</label></li>
      <li><input type="radio" name="size" id="s5" value="5"><label for="s5">Select size</label></li>
      <li><label><input type="radio" name="size" value="39">39 (sold out)</label></li>
      <li><label><input type="radio" name="size" value="40-41">40-41 cm (74 cm)</label></li>
    </ul>"""
    assert stock(only(jsonld_page(coat(), body=body))) == [
        ("36", True), ("37", False), ("38", False), ("39", False), ("40-41 cm (74 cm)", True)]


def test_data_size_buttons_in_a_size_block_follow_the_products_stock() -> None:
    body = """
    <div aria-label="Choose your size"><div class="row">
      <button data-size="One size" data-sku="C-1-OS"></button>
    </div></div>"""
    sold_out = coat(offers={"@type": "Offer", "price": "200", "priceCurrency": "EUR", "availability": "OutOfStock"})
    assert [(v.sku, v.size, v.available) for v in only(jsonld_page(sold_out, body=body)).variants] == [
        ("C-1-OS", "One size", False)]


def test_size_menus_repeated_in_other_products_tiles_are_not_the_pages_picker() -> None:
    tile = '<div class="tile"><div class="sizesMenu">{}</div></div>'
    body = "".join(tile.format("".join(f'<span data-size="{size}">{size}</span>' for size in sizes))
                   for sizes in (("S", "M"), ("M", "L", "XL"), ("S", "M")))
    assert only(jsonld_page(coat(), body=body)).variants == []


def test_elements_named_like_sizes_outside_a_size_block_are_not_a_picker() -> None:
    body = '<ul class="menu"><li data-name="Coats">Coats</li><li data-name="Dresses">Dresses</li></ul>'
    assert only(jsonld_page(coat(), body=body)).variants == []


@on_real_pages
def test_john_lewis_picker_shows_every_size_disabled() -> None:
    product = real_product("johnlewis-gant-boots")
    assert (product.available, stock(product)) == (False, [(str(size), False) for size in range(7, 13)])


@on_real_pages
def test_spartoo_picker_sizes_without_their_caption_and_stock_note() -> None:
    # the page's own <select> ("Tamanho: XS - Em Stock"); the complementary products' selects, the
    # size-guide tables and the header's size links are not this product's
    assert stock(real_product("spartoo-tommy-jeans-tshirt")) == [
        (size, True) for size in ("XS", "S", "M", "L", "XL", "XXL")]


@on_real_pages
def test_kiabi_size_menus_of_recommended_products_are_not_its_sizes() -> None:
    assert real_product("kiabi-sports-bra").variants == []


def test_variants_of_one_syntax_fill_the_gap_of_another() -> None:
    microdata = """
    <div itemscope itemtype="https://schema.org/Product"><span itemprop="name">Wool coat</span>
      <meta itemprop="sku" content="C-1">
      <div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><meta itemprop="sku" content="C-1-S">
        <meta itemprop="size" content="S"><meta itemprop="price" content="200">
        <link itemprop="availability" href="https://schema.org/OutOfStock"></div>
      <div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><meta itemprop="sku" content="C-1-M">
        <meta itemprop="size" content="M"><meta itemprop="price" content="200"></div>
    </div>"""
    product = only(jsonld_page(coat(), body=microdata))
    assert (product.price, product.available) == (200.0, True)  # JSON-LD's one offer, as before
    assert [(v.sku, v.size, v.available, v.currency) for v in product.variants] == [
        ("C-1-S", "S", False, "EUR"), ("C-1-M", "M", True, "EUR")]


# --- Shopify ------------------------------------------------------------------------------------------

@on_real_pages
@pytest.mark.parametrize(("name", "count", "available"), [
    ("atmos-air-force-1", 13, ["7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "11.5", "12", "13", "14"]),
    ("kith-jordan-12-td", 27, ["4C", "5C", "6C", "7C", "8C", "9C", "10C"]),
    ("undefeated-clarks-wallabee", 17, ["12", "13"]),
])
def test_shopify_variants_of_real_feeds(name: str, count: int, available: list[str]) -> None:
    product = shopify_product(name)
    payload = json.loads((REAL_PAGES / entries("shopify")[name]["file"]).read_text())["products"][0]
    assert [v.size for v in product.variants] == payload["options"][0]["values"]
    assert (len(product.variants), in_stock(product)) == (count, available)
    first = payload["variants"][0]
    assert product.variants[0] == Variant(
        sku=first["sku"], size=first["option1"], available=first["available"], price=float(first["price"]),
        currency="USD", url=f"https://shop.example.com/products/{payload['handle']}?variant={first['id']}")


def shopify_feed(*products: dict[str, Any]) -> list[ExtractedProduct]:
    adapter = ShopifyAdapter()
    adapter.extract(Page("https://shop.example.com/meta.json", 200, "application/json", '{"currency": "EUR"}'))
    page = Page("https://shop.example.com/products.json?limit=250&page=1", 200, "application/json",
                json.dumps({"products": list(products)}))
    return adapter.extract(page).products


def feed_item(options: list[dict[str, Any]], variants: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": 1, "title": "Jeans", "handle": "jeans", "options": options, "variants": variants}


def test_shopify_size_option_found_by_name_in_any_language_and_colour_read_too() -> None:
    item = feed_item([{"name": "Farbe", "position": 1}, {"name": "Colour", "position": 2},
                      {"name": "Taille", "position": 3}],
                     [{"id": 11, "sku": "", "option1": "x", "option2": "Indigo", "option3": "W30", "price": "80"},
                      {"id": 12, "sku": "J-32", "option1": "x", "option2": "Indigo", "option3": "W32",
                       "available": False, "price": "85"}])
    [product] = shopify_feed(item)
    assert product.variants == [
        Variant("11", "W30", "Indigo", True, 80.0, "EUR", "https://shop.example.com/products/jeans?variant=11"),
        Variant("J-32", "W32", "Indigo", False, 85.0, "EUR", "https://shop.example.com/products/jeans?variant=12")]


@pytest.mark.parametrize(("options", "size"), [
    ([{"name": "Waist"}], "30"),  # the product's only option, not a colour: its size
    ([{"name": "Shoe size"}, {"name": "Width"}], "30"),
    ([{"name": "Material"}, {"name": "Width"}], ""),  # two options, neither named size
    ([{"name": "Title"}], ""),
])
def test_shopify_size_option_when_none_is_named_size(options: list[dict[str, Any]], size: str) -> None:
    variants = [{"id": 11, "sku": "J-30", "option1": "30", "option2": "Wide", "price": "80"},
                {"id": 12, "sku": "J-31", "option1": "31", "option2": "Wide", "price": "80"}]
    [product] = shopify_feed(feed_item(options, variants))
    assert product.variants[0].size == size


def test_shopify_product_without_options_has_no_variants() -> None:
    item = feed_item([{"name": "Title", "values": ["Default Title"]}],
                     [{"id": 11, "title": "Default Title", "sku": "BAG", "option1": "Default Title", "price": "40"}])
    [product] = shopify_feed(item)
    assert product.variants == []


# --- Luisaviaroma -------------------------------------------------------------------------------------

def test_luisaviaroma_sizes_from_the_page_state() -> None:
    page = fixture("lvr_product.html", LVR_DRESS)
    product = LuisaviaromaAdapter().extract(page).products[0]
    assert product.variants == [Variant("3", "38", "", True, 1260.0, "EUR", LVR_DRESS),
                                Variant("4", "40", "", False, 1260.0, "EUR", LVR_DRESS)]  # QuantitiesTotal 0


def test_luisaviaroma_size_without_id_and_with_its_own_price() -> None:
    page = fixture("lvr_product.html", LVR_DRESS)
    start, end = page.text.index('"Availability":['), page.text.index(',"PhotosByColor"')
    sizes = [{"SizeValue": "IT 40", "Pricing": {"Prices": [{"FinalPrice": 990}]}, "QuantitiesTotal": {"Available": 2}},
             {"SizeValue": "IT 42", "SizeId": 7}]
    page.text = page.text[:start] + f'"Availability":{json.dumps(sizes)}' + page.text[end:]
    product = LuisaviaromaAdapter().extract(page).products[0]
    assert (product.price, product.available) == (1260.0, True)  # the state's final price, as before
    assert [(v.sku, v.size, v.available, v.price) for v in product.variants] == [
        ("", "IT 40", True, 990.0), ("7", "IT 42", True, 1260.0)]


def test_luisaviaroma_sold_out_state_lists_no_sizes() -> None:
    page = fixture("lvr_product.html", LVR_DRESS)
    start, end = page.text.index('"Availability":['), page.text.index(',"PhotosByColor"')
    page.text = page.text[:start] + '"Availability":[]' + page.text[end:]
    product = LuisaviaromaAdapter().extract(page).products[0]
    assert (product.available, product.variants) == (False, [])


def test_picker_notes_beside_a_size_say_whether_it_can_be_bought() -> None:
    choices = "".join(f'<option value="{n}">{text}</option>' for n, text in enumerate(
        ["S - Notify me", "M - Email me when available", "L (only 1 left)", "XL (unavailable)", "XXL"], start=1))
    body = f'<label for="size">Size</label><select id="size" name="size"><option value="">Choose</option>{choices}</select>'
    found = only(jsonld_page(coat(), body=body))
    assert stock(found) == [("S", False), ("M", False), ("L", True), ("XL", False), ("XXL", True)]
