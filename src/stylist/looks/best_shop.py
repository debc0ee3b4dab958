"""The best shop for each product of a look: the same product sold by several shops (catalog/matching.py) is
offered once, from the cheapest shop that has it in the person's size, with the others listed as `also_at`.

Retrieval finds whichever listing of a product the prompt reaches; its twins in other shops join it at its
score before sizes are checked, so a product sold out in the person's size at one shop is still offered
where it is in stock. Prices are compared within one currency only: the catalog keeps no exchange rates, so
a twin priced in another currency is listed in `also_at` but never chosen over the listing retrieval found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from stylist.catalog.products import StoredProduct
from stylist.looks.outfits import Match


@dataclass
class Twins:
    """Retrieved matches with their twins, and which product group each listing belongs to."""

    matches: list[Match]
    group_of: dict[int, int] = field(default_factory=dict)  # listing id: its group (the retrieved listing's id)
    members: dict[int, list[StoredProduct]] = field(default_factory=dict)  # group: every listing in it


def with_twins(matches: Sequence[Match], twins: Mapping[int, Sequence[StoredProduct]]) -> Twins:
    """`matches` and, after each, its twins in other shops at its score; a listing is in one group only."""
    found = Twins([])
    for match in matches:
        group = match.product.id
        if group in found.group_of:
            continue  # a twin of a better match: it is already there
        members = [match.product, *(twin for twin in twins.get(group, ()) if twin.id not in found.group_of)]
        found.members[group] = members
        for member in members:
            found.group_of[member.id] = group
            found.matches.append(Match(member, match.score))
    return found


@dataclass
class ShopChoice:
    matches: list[Match]
    also_at: dict[int, list[dict]] = field(default_factory=dict)  # chosen listing id: the other shops


def cheapest_shops(sized: Sequence[Match], twins: Twins) -> ShopChoice:
    """One listing per group among `sized` (the matches left after the size check, at their size's price
    and link), best score first: the cheapest in the retrieved listing's currency, with the group's other
    listings as `also_at` (available: whether that shop has it in the person's size, or at all when no size
    applies)."""
    kept: dict[int, list[Match]] = {}
    for match in sized:
        kept.setdefault(twins.group_of.get(match.product.id, match.product.id), []).append(match)
    choice = ShopChoice([])
    for group, offers in kept.items():
        members = twins.members.get(group, [offers[0].product])
        currency = members[0].currency
        best = min(offers, key=lambda each: (each.product.currency != currency, each.product.price is None,
                                             each.product.price or 0.0))
        choice.matches.append(best)
        sized_offers = {each.product.id: each.product for each in offers}
        choice.also_at[best.product.id] = [
            {"shop": shown.shop, "price": shown.price, "currency": shown.currency, "url": shown.url,
             "available": member.id in sized_offers}
            for member in members if member.id != best.product.id
            for shown in [sized_offers.get(member.id, member)]]
    choice.matches.sort(key=lambda each: -each.score)
    return choice
