"""The demo shop crawled for real into a catalog, and what each of its products is (the lexical and hybrid search
tests)."""

from __future__ import annotations

import asyncio
import random

from stylist.catalog.crawl import CrawlOptions, crawl_shops
from stylist.catalog.images import ImageStore
from stylist.catalog.store import CatalogStore
from stylist.demo.catalogue import COLOURS as DEMO_COLOURS
from stylist.demo.catalogue import NOUNS
from stylist.demo.shop import DemoShop, serve
from stylist.settings import Settings

TOP = 5


def misspell(word: str, rng: random.Random) -> str:
    """One typing slip in a word of four letters or more: a letter dropped, doubled, or swapped with the next."""
    if len(word) < 4 or not word.isalpha():
        return word
    at = rng.randrange(1, len(word) - 1)
    slip = rng.choice(("drop", "double", "swap"))
    if slip == "drop":
        return word[:at] + word[at + 1:]
    if slip == "double":
        return word[:at] + word[at] + word[at:]
    return word[:at] + word[at + 1] + word[at] + word[at + 2:]


def crawl_demo_shop(folder, products: int = 60, database: str | None = None):
    """The demo shop served on 127.0.0.1 and crawled for real into folder/catalog.db (or `database`)."""
    with serve(DemoShop(n_products=products, seed=3, traps=False)) as url, \
            CatalogStore(Settings(data_dir=folder, database=database)) as store:
        report = asyncio.run(crawl_shops([url], store, ImageStore(folder / "images"),
                                         CrawlOptions(delay=0.0, concurrency=4)))[0]
    assert report.complete, report.reason
    return folder


def demo_truth(store: CatalogStore) -> dict[int, tuple[str, str]]:
    """Each product's colour and garment, read from the demo catalogue's own words in its title."""
    truth = {}
    for product in store.products():
        colour = max((name for name in DEMO_COLOURS if product.title.startswith(name)), key=len)
        category = next(noun for noun in NOUNS.values() if product.title.endswith(noun))
        truth[product.id] = (colour, category)
    return truth
