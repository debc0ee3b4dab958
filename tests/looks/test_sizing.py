"""Looks from what fits: for a slot the person gave a size for, only products in stock in that size, each named at
that size, priced and linked as that size; a product whose shop lists no sizes stays and is said; a slot left with
nothing in the size is said, never filled."""

from __future__ import annotations

import pytest

from stylist.catalog.images import ImageStore
from stylist.catalog.products import ExtractedProduct, StoredProduct, Variant
from stylist.catalog.store import CatalogStore
from stylist.looks.outfits import Match, slot_of
from stylist.looks.pipeline import Seams, style
from stylist.looks.recipe import Recipe
from stylist.looks.sizing import in_your_size
from stylist.people.sizes import set_sizes
from stylist.people.users import add_user
from stylist.settings import Settings
from tests.helpers.small_catalog import product_jpeg
from tests.looks.fakes import MeanColourScorer, WordRetriever

# (sku, title, category, {size: (in stock, price)}); a product with no sizes lists none
SHOP = [
    ("SD1", "Black Slip Dress", "dress", {"S": (True, 140.0), "M": (False, 140.0)}),
    ("SD2", "Green Wrap Dress", "dress", {"S": (False, 150.0), "Medium": (True, 165.0), "L": (True, 150.0)}),
    ("SC1", "Camel Wool Coat", "coat", {}),
    ("SB1", "Black Leather Boots", "boots", {"EU 38": (True, 200.0), "EU 39": (False, 200.0)}),
]


@pytest.fixture
def sized_shop(data_dir, photos):
    settings = Settings(data_dir=data_dir, preset="tiny", device="cpu")
    images = ImageStore(settings.images_dir)
    with CatalogStore(settings) as store:
        shop = store.register_shop("sized.test", "https://sized.test", "jsonld", {})
        run = store.start_run(shop.id)
        for number, (sku, title, category, sizes) in enumerate(SHOP):
            url = f"https://sized.test/p/{sku.lower()}"
            variants = [Variant(sku=f"{sku}-{size}", size=size, available=stocked, price=price, currency="EUR",
                                url=f"{url}?size={size}") for size, (stocked, price) in sizes.items()]
            prices = [price for stocked, price in sizes.values() if stocked] or [120.0]
            image_url = f"https://cdn.sized.test/{sku}.jpg"
            store.upsert_product(shop.id, run, ExtractedProduct(
                sku=sku, url=url, title=title, designer="Maison", price=min(prices), currency="EUR", available=True,
                image_urls=[image_url], category=category, variants=variants,
            ), [(image_url, images.put(product_jpeg((40 * number, 90, 120))))])
        store.finish_run(run, complete=True, stats={})
    return settings, add_user(settings, "Ada", photos, crop_size=64)


def look_for(settings, user, prompt="a dress, a coat and boots for a winter wedding"):
    return style(settings, user.id, prompt, options=2, seed=3,
                 seams=Seams(retriever=WordRetriever(), scorer=MeanColourScorer()), recipe=Recipe(candidates=1, steps=2))


def listed(look):
    return [product for option in look.options for product in option.products]


def test_a_size_keeps_only_what_is_in_stock_in_it_at_its_price_and_link(sized_shop):
    settings, user = sized_shop
    set_sizes(settings, user.id, {"dress": "M", "shoes": "EU 38", "outerwear": "L"})
    look = look_for(settings, user)
    dresses = [product for product in listed(look) if "Dress" in product["title"]]
    assert dresses and {product["title"] for product in dresses} == {"Green Wrap Dress"}  # the slip dress sold out in M
    assert all(product["size"] == "Medium" and product["price"] == 165.0
               and product["url"] == "https://sized.test/p/sd2?size=Medium" for product in dresses)
    boots = [product for product in listed(look) if product["title"] == "Black Leather Boots"]
    assert boots and all(product["size"] == "EU 38" for product in boots)
    coats = [product for product in listed(look) if product["title"] == "Camel Wool Coat"]
    assert coats and all(product["size"] is None and product["url"] == "https://sized.test/p/sc1" for product in coats)
    assert "the shop lists no sizes for Camel Wool Coat: check L there" in look.notes


def test_a_slot_with_nothing_in_the_size_is_said_not_filled(sized_shop):
    settings, user = sized_shop
    set_sizes(settings, user.id, {"dress": "XS", "shoes": "EU 39"})
    look = look_for(settings, user)
    titles = {product["title"] for product in listed(look)}
    assert not {"Black Slip Dress", "Green Wrap Dress", "Black Leather Boots"} & titles
    assert "no dress in stock in your size XS: 2 matched the prompt, none in that size" in look.notes
    assert "no shoes in stock in your size EU 39: 1 matched the prompt, none in that size" in look.notes
    assert any(note.startswith("no outerwear size given") for note in look.notes)


def test_without_sizes_products_are_shown_in_any_size_and_name_none(sized_shop):
    settings, user = sized_shop
    look = look_for(settings, user)
    assert listed(look) and all(product["size"] is None for product in listed(look))
    assert "Black Slip Dress" in {product["title"] for product in listed(look)}
    assert not any("size" in note for note in look.notes)


def test_on_a_crawled_shop_with_sizes_nothing_out_of_stock_in_the_persons_size_is_shown(data_dir, photos):
    """The demo shop publishes sizes every way shops do (ProductGroup variants, offers per size, size pickers,
    the Shopify feed), with sizes sold out; crawled for real, no look shows a product sold out in the size."""
    import asyncio

    from stylist.catalog.crawl import CrawlOptions, crawl_shops
    from stylist.demo.shop import DemoShop, serve

    settings = Settings(data_dir=data_dir, preset="tiny", device="cpu")
    shops = [DemoShop(n_products=40, seed=1, traps=False), DemoShop(n_products=20, seed=2, traps=False, shopify=True)]
    with CatalogStore(settings) as store:
        for shop in shops:
            with serve(shop) as url:
                [report] = asyncio.run(crawl_shops([url], store, ImageStore(settings.images_dir),
                                                   CrawlOptions(delay=0.0, concurrency=4)))
            assert report.complete, report.reason
    truth = {(product.designer, product.title): dict(zip(product.sizes, product.in_stock, strict=True))
             for shop in shops for product in shop.products()}
    user = add_user(settings, "Ada", photos, crop_size=64)
    worn = {"dress": "M", "top": "M", "bottom": "S", "outerwear": "L", "shoes": "39"}
    set_sizes(settings, user.id, worn)
    with CatalogStore(settings) as store:
        slots = {product.id: slot_of(product) for product in store.products(include_unavailable=True)}
    sized = 0
    for prompt in ("a dress and shoes", "a shirt, trousers and a coat", "a t-shirt and sneakers"):
        look = style(settings, user.id, prompt, options=3, seed=1,
                     seams=Seams(retriever=WordRetriever(), scorer=MeanColourScorer()), recipe=Recipe(candidates=1, steps=1))
        for product in listed(look):
            stock = truth[(product["designer"], product["title"])]
            if slots[product["id"]] in worn:  # every demo product lists its sizes
                sized += 1
                assert product["size"] == worn[slots[product["id"]]] and stock[product["size"]], (product, stock)
    assert sized >= 6


def stored(product_id: int, title: str, category: str, color: str, variants: list[Variant]) -> StoredProduct:
    return StoredProduct(id=product_id, shop="shop.test", sku=f"P{product_id}", url=f"https://shop.test/p/{product_id}",
                         designer="Maison", title=title, description="", category=category, color=color, price=100.0,
                         currency="EUR", available=True, first_seen="", last_seen="", variants=variants)


def test_sizes_in_another_system_are_said_as_such_and_the_pictured_colour_is_chosen():
    italian = stored(1, "Silk Dress", "dress", "Red", [Variant(size="IT 40", available=True),
                                                       Variant(size="IT 42", available=True)])
    sized = in_your_size([Match(italian, 1.0)], {"dress": "M"})
    assert sized.matches == []
    assert sized.notes == [("no dress in stock in your size M: Silk Dress list sizes in another system, which "
                            "cannot be compared with M")]
    two_colours = stored(2, "Wool Coat", "coat", "Navy", [
        Variant(size="M", color="Black", available=True, price=90.0, url="https://shop.test/p/2?c=black&s=M"),
        Variant(size="M", color="Navy", available=True, price=120.0, url="https://shop.test/p/2?c=navy&s=M")])
    [kept] = in_your_size([Match(two_colours, 1.0)], {"outerwear": "Medium"}).matches
    assert (kept.product.url, kept.product.price) == ("https://shop.test/p/2?c=navy&s=M", 120.0)
