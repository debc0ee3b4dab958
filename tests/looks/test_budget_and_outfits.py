"""Budget phrases and outfit composition: pure functions, no models."""

from __future__ import annotations

from collections import Counter

import pytest

from stylist.catalog.budget import Budget, parse_budget
from stylist.catalog.products import StoredProduct
from stylist.looks.outfits import Match, compose_outfits, crowded, slot_of


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
    matches = [Match(item, 1 - item.id / 10) for item in items]
    outfits = compose_outfits(matches, 3)

    # One pair of shoes and two coats for three options: each is in one option at most (half of three).
    assert [sorted(outfit.ids) for outfit in outfits] == [[1, 5, 7], [2, 6], [3, 4]]
    assert crowded(outfits) == []


def test_a_product_is_in_at_most_half_the_options_unless_the_catalog_is_too_small():
    items = [product(1, "dress"), product(2, "dress"), product(3, "shoes"), product(4, "bag"), product(5, "bag")]
    outfits = compose_outfits([Match(item, 1 - item.id / 10) for item in items], 4)
    uses = Counter(id_ for outfit in outfits for id_ in outfit.ids)
    assert max(uses.values()) <= 2 and uses[3] == 2
    assert crowded(outfits) == []

    # One dress for four options: the base has to repeat, and the look is told which product.
    alone = compose_outfits([Match(product(1, "dress"), 1.0), Match(product(3, "shoes"), 0.5)], 4)
    plan = [alone[number % len(alone)] for number in range(4)]
    assert [sorted(outfit.ids) for outfit in alone] == [[1, 3], [1]]
    assert [(item.id, count) for item, count in crowded(plan)] == [(1, 4)]


def test_outfits_stay_within_the_budget_and_stop_when_they_would_repeat():
    items = [product(1, "dress", 250), product(2, "coat", 100), product(3, "coat", 40), product(4, "shoes", 30)]
    outfits = compose_outfits([Match(item, 1 - item.id / 10) for item in items], 4, budget=300)

    assert all(outfit.price <= 300 for outfit in outfits)
    assert [sorted(outfit.ids) for outfit in outfits] == [[1, 3], [1, 4]]
    assert compose_outfits([Match(product(1, "dress", 500), 1.0)], 2, budget=300) == []
