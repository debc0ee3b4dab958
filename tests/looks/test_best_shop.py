"""Each product from its best shop: the same product in several shops is offered once, from the cheapest that
has it in the person's size, the others listed in `also_at`."""

from __future__ import annotations

import pytest

from stylist.catalog.images import ImageStore
from stylist.catalog.products import ExtractedProduct, Variant
from stylist.catalog.store import CatalogStore
from stylist.looks.pipeline import Seams, style
from stylist.looks.recipe import Recipe
from stylist.people.sizes import set_sizes
from stylist.people.users import add_user
from stylist.settings import Settings
from tests.helpers.small_catalog import product_jpeg
from tests.looks.fakes import MeanColourScorer, WordRetriever

GTIN = "4006381333931"
# shop: (title, price, {size: in stock}); all three sell one dress (one barcode), under their own titles
SHOPS = {
    "atelier.test": ("Wrap Dress", 240.0, {"S": True, "M": False}),
    "outlet.test": ("Women's wrap dress in green", 180.0, {"S": False, "M": False}),
    "boutique.test": ("Green Wrap Dress", 210.0, {"S": True, "M": True}),
}


@pytest.fixture
def three_shops(data_dir, photos):
    settings = Settings(data_dir=data_dir, preset="tiny", device="cpu")
    images = ImageStore(settings.images_dir)
    with CatalogStore(settings) as store:
        for number, (host, (title, price, sizes)) in enumerate(SHOPS.items()):
            shop = store.register_shop(host, f"https://{host}", "jsonld", {})
            run = store.start_run(shop.id)
            url = f"https://{host}/p/wrap-dress"
            image_url = f"https://cdn.{host}/dress.jpg"
            store.upsert_product(shop.id, run, ExtractedProduct(
                sku=f"WD-{number}", url=url, title=title, designer="Ostra Studio", price=price, currency="EUR",
                available=any(sizes.values()) or number == 1, category="dress", gtin=GTIN, image_urls=[image_url],
                variants=[Variant(size=size, available=ok, price=price, currency="EUR", url=f"{url}?size={size}")
                          for size, ok in sizes.items()],
            ), [(image_url, images.put(product_jpeg((60 + 40 * number, 120, 90))))])
            store.finish_run(run, complete=True, stats={})
    return settings, add_user(settings, "Ada", photos, crop_size=64)


def dresses(settings, user):
    look = style(settings, user.id, "a wrap dress", options=1, seed=2,
                 seams=Seams(retriever=WordRetriever(), scorer=MeanColourScorer()), recipe=Recipe(candidates=1, steps=1))
    return [product for option in look.options for product in option.products], look


def test_the_same_product_is_offered_once_from_the_cheapest_shop_that_has_it_in_your_size(three_shops):
    settings, user = three_shops
    with CatalogStore(settings) as store:
        ids = {product.shop: product.id for product in store.products(include_unavailable=True)}
        assert store.same_products().same_as(ids["atelier.test"]) == sorted(ids[host] for host in SHOPS
                                                                             if host != "atelier.test")
    # no size: the cheapest shop where it is purchasable at all
    [dress], _ = dresses(settings, user)
    assert (dress["url"], dress["price"]) == ("https://outlet.test/p/wrap-dress", 180.0)
    assert {(other["shop"], other["price"], other["available"]) for other in dress["also_at"]} == {
        ("atelier.test", 240.0, True), ("boutique.test", 210.0, True)}

    # M: only the boutique has it, so it is offered there, at M's page; the others are listed as without it
    set_sizes(settings, user.id, {"dress": "M"})
    [dress], look = dresses(settings, user)
    assert (dress["url"], dress["price"], dress["size"]) == ("https://boutique.test/p/wrap-dress?size=M", 210.0, "M")
    assert {(other["shop"], other["available"]) for other in dress["also_at"]} == {
        ("atelier.test", False), ("outlet.test", False)}
    assert not any("in your size" in note for note in look.notes)

    # S: the atelier and the boutique have it; the boutique is cheaper
    set_sizes(settings, user.id, {"dress": "S"})
    [dress], _ = dresses(settings, user)
    assert dress["url"] == "https://boutique.test/p/wrap-dress?size=S"
    assert {(other["shop"], other["url"], other["available"]) for other in dress["also_at"]} == {
        ("atelier.test", "https://atelier.test/p/wrap-dress?size=S", True),
        ("outlet.test", "https://outlet.test/p/wrap-dress", False)}
