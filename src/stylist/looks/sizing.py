"""In stock in your size: the retrieved products a person can buy in the size they gave for the product's slot.

A product whose shop lists sizes is kept only when one of them is the person's size (stylist.sizes.fits) and in
stock; it is then shown at that size's price and linked to that size's page where the shop has one. A product
whose shop lists no sizes stays, and the look's notes say so; so does a slot the person gave no size for. A
slot left with nothing in the person's size is said in the notes, never filled with other sizes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from stylist.catalog.products import StoredProduct, Variant
from stylist.looks.outfits import Match, slot_of
from stylist.sizes import SIZED_SLOTS, comparable, fits, read_size


@dataclass
class Sized:
    matches: list[Match]
    worn: Mapping[str, str] = field(default_factory=dict)
    sizes: dict[int, str] = field(default_factory=dict)  # product id: the shop's text for the person's size
    unsized: set[int] = field(default_factory=set)  # kept though their shop lists no sizes
    notes: list[str] = field(default_factory=list)  # slots left with nothing in the person's size

    def listed_notes(self, products: Sequence[StoredProduct]) -> list[str]:
        """What the look says of the products it lists without a size: the shop lists none, or the person
        gave none for that slot (said only to someone who gave sizes for other slots)."""
        if not self.worn:
            return []
        notes = []
        for slot in SIZED_SLOTS:
            of_slot = list(dict.fromkeys(product.title for product in products if slot_of(product) == slot))
            if not of_slot:
                continue
            if slot not in self.worn:
                notes.append(f"no {slot} size given, so {', '.join(of_slot)} may be sold out in yours")
                continue
            unsized = list(dict.fromkeys(product.title for product in products
                                         if slot_of(product) == slot and product.id in self.unsized))
            if unsized:
                notes.append(f"the shop lists no sizes for {', '.join(unsized)}: check {self.worn[slot]} there")
        return notes


def in_your_size(matches: Sequence[Match], worn: Mapping[str, str]) -> Sized:
    """The matches that fit `worn` ({slot: size}), each at its size's price and link, with the notes."""
    if not worn:
        return Sized(list(matches))
    sized = Sized([], worn)
    found: dict[str, int] = {}  # slot: products retrieved for it
    other_systems: dict[str, list[str]] = {}  # slot: products whose sizes cannot be compared with the person's
    for match in matches:
        product, slot = match.product, slot_of(match.product)
        if slot not in worn or slot not in SIZED_SLOTS:
            sized.matches.append(match)
            continue
        found[slot] = found.get(slot, 0) + 1
        if not any(variant.size for variant in product.variants):
            sized.unsized.add(product.id)
            sized.matches.append(match)
            continue
        variant = variant_in_size(product, worn[slot], slot)
        if variant is not None:
            sized.sizes[product.id] = variant.size
            sized.matches.append(Match(at_variant(product, variant), match.score))
        elif not any(comparable(read_size(worn[slot], slot), read_size(each.size, slot), slot)
                     for each in product.variants if each.size):
            other_systems.setdefault(slot, []).append(product.title)
    for slot in SIZED_SLOTS:
        if not found.get(slot) or any(slot_of(each.product) == slot for each in sized.matches):
            continue
        if other_systems.get(slot):
            titles = ", ".join(dict.fromkeys(other_systems[slot]))
            sized.notes.append(f"no {slot} in stock in your size {worn[slot]}: {titles} list sizes in another "
                               f"system, which cannot be compared with {worn[slot]}")
        else:
            sized.notes.append(f"no {slot} in stock in your size {worn[slot]}: {found[slot]} matched the prompt, "
                               "none in that size")
    return sized


def variant_in_size(product: StoredProduct, size: str, slot: str) -> Variant | None:
    """The product's variant in stock in `size`: in the product's own colour (the one pictured) first, then in
    the shop's exact words, then the cheapest."""
    wanted = read_size(size, slot)
    matching = [variant for variant in product.variants
                if variant.available and variant.size and fits(wanted, read_size(variant.size, slot), slot)]

    def preference(variant: Variant) -> tuple:
        other_colour = bool(variant.color and product.color and variant.color.casefold() != product.color.casefold())
        exact = read_size(variant.size, slot).readings == wanted.readings
        return other_colour, not exact, variant.price if variant.price is not None else float("inf")

    return min(matching, key=preference, default=None)


def at_variant(product: StoredProduct, variant: Variant) -> StoredProduct:
    """The product as bought in `variant`: its price (budgets and totals count what the person pays) and link."""
    priced = variant.price is not None and (variant.currency or product.currency) == product.currency
    return replace(product, price=variant.price if priced else product.price, url=variant.url or product.url)
