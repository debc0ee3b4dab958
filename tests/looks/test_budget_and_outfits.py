"""Budget phrases and outfit composition: pure functions, no models."""

from __future__ import annotations

import pytest

from stylist.catalog.store import StoredProduct
from stylist.looks.budget import Budget, parse_budget
from stylist.looks.outfits import Candidate, compose_outfits, slot_of


@pytest.mark.parametrize(("prompt", "budget", "rest"), [
    ("a Harry Potter costume under €300", Budget(300, "EUR"), "a Harry Potter costume"),
    ("summer wedding guest, below $150", Budget(150, "USD"), "summer wedding guest"),
    ("office look max 200 EUR", Budget(200, "EUR"), "office look"),
    ("a coat for less than 99.90 euros, warm", Budget(99.9, "EUR"), "a coat, warm"),
    ("budget: £80 party outfit", Budget(80, "GBP"), "party outfit"),
    ("gala gown up to 1,299.50 dollars", Budget(1299.5, "USD"), "gala gown"),
    ("a dress under 300", Budget(300, None), "a dress"),
    ("a red dress for a party", None, "a red dress for a party"),
])
def test_budget_phrases(prompt, budget, rest):
    assert parse_budget(prompt) == (budget, rest)


def product(pid, category, price=100.0, title=None):
    return StoredProduct(id=pid, shop="shop.test", sku=str(pid), url=f"https://shop.test/{pid}", designer="D",
                         title=title or category.title(), description="", category=category, color="", price=price,
                         currency="EUR", available=True, first_seen="", last_seen="")


@pytest.mark.parametrize(("category", "title", "slot"), [
    ("dress", "Silk Dress", "dress"), ("", "Shirt Dress", "dress"), ("", "Dress Shoes", "shoes"),
    ("t-shirt", "Cotton T-Shirt", "top"), ("trousers", "Wool Trousers", "bottom"), ("coat", "Tweed Coat", "outerwear"),
    ("bag", "Leather Tote", "bag"), ("scarf", "Silk Scarf", "accessory"), ("", "Elder Wand Replica", "accessory"),
    ("", "Mystery Object", "accessory"),
])
def test_slots_come_from_product_words(category, title, slot):
    assert slot_of(product(1, category, title=title)) == slot


def test_outfits_differ_and_fill_one_product_per_slot():
    items = [product(1, "dress"), product(2, "dress"), product(3, "shirt"), product(4, "trousers"),
             product(5, "coat"), product(6, "coat"), product(7, "shoes")]
    candidates = [Candidate(item, 1 - item.id / 10) for item in items]
    outfits = compose_outfits(candidates, 3)

    assert [sorted(outfit.ids) for outfit in outfits] == [[1, 5, 7], [2, 6, 7], [3, 4, 5, 7]]
    assert len({outfit.ids for outfit in outfits}) == 3


def test_outfits_stay_within_the_budget_and_stop_when_they_would_repeat():
    items = [product(1, "dress", 250), product(2, "coat", 100), product(3, "coat", 40), product(4, "shoes", 30)]
    outfits = compose_outfits([Candidate(item, 1 - item.id / 10) for item in items], 4, budget=300)

    assert all(outfit.price <= 300 for outfit in outfits)
    assert [sorted(outfit.ids) for outfit in outfits] == [[1, 3], [1, 4]]
    assert compose_outfits([Candidate(product(1, "dress", 500), 1.0)], 2, budget=300) == []
