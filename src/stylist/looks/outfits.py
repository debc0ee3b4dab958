"""Outfits: distinct sets of retrieved products, one per slot (dress or top + bottom, outerwear, shoes, bag,
accessory), so that the options of a look differ from each other rather than repeat the best match.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from stylist.catalog.products import StoredProduct

# Slot words, matched as whole words in the product's category, then its title, then its description: the
# category is the shop's own word, the description may mention other garments ("wear it with jeans").
SLOT_WORDS: dict[str, tuple[str, ...]] = {
    "dress": ("dress", "dresses", "gown", "jumpsuit", "playsuit", "robe", "costume", "onesie", "kimono", "romper"),
    "top": ("top", "tops", "t-shirt", "tee", "shirt", "shirts", "blouse", "sweater", "jumper", "cardigan", "hoodie",
            "sweatshirt", "polo", "vest", "tank", "camisole", "bodysuit", "knit", "knitwear", "turtleneck"),
    "bottom": ("trousers", "pants", "jeans", "skirt", "skirts", "shorts", "leggings", "chinos", "joggers"),
    "outerwear": ("coat", "coats", "jacket", "jackets", "blazer", "parka", "trench", "cape", "cloak", "gilet",
                  "puffer", "overcoat", "raincoat", "poncho", "outerwear"),
    "shoes": ("shoes", "shoe", "boots", "boot", "sneakers", "trainers", "heels", "pumps", "sandals", "loafers",
              "flats", "mules", "slippers", "footwear", "brogues", "espadrilles"),
    "bag": ("bag", "bags", "handbag", "tote", "clutch", "backpack", "satchel", "purse", "pouch", "crossbody"),
    "accessory": ("hat", "cap", "beanie", "scarf", "belt", "gloves", "sunglasses", "glasses", "tie", "necklace",
                  "earrings", "bracelet", "ring", "watch", "jewellery", "jewelry", "wand", "mask", "socks",
                  "accessory", "accessories", "headband", "beret"),
}
# Words for a whole outfit: a prompt that asks for one names no single slot.
WHOLE_OUTFIT_WORDS = frozenset({"costume", "onesie"})
# The order products are listed and named in a generation prompt: what covers most of the body first.
SLOTS = ("dress", "top", "bottom", "outerwear", "shoes", "bag", "accessory")
_PATTERNS = {slot: re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
             for slot, words in SLOT_WORDS.items()}


@dataclass(frozen=True)
class Match:
    """A retrieved product and how well it matches the prompt (higher is better; the hybrid search's fused score)."""

    product: StoredProduct
    score: float


@dataclass(frozen=True)
class Outfit:
    products: tuple[StoredProduct, ...]  # in SLOTS order, at most one per slot

    @property
    def price(self) -> float:
        return sum(product.price or 0.0 for product in self.products)

    @property
    def ids(self) -> frozenset[int]:
        return frozenset(product.id for product in self.products)


def slot_of(product: StoredProduct) -> str:
    """The slot a product fills, from its own words; a product nothing names is worn as an accessory."""
    for text in (product.category, product.title, product.description):
        # "Dress shoes" are shoes and a "shirt dress" a dress: the last slot word of a phrase is its noun.
        found = [(match.start(), slot) for slot, pattern in _PATTERNS.items() for match in pattern.finditer(text or "")]
        if found:
            return max(found)[1]
    return "accessory"


def named_garments(text: str) -> dict[str, str]:
    """The slots a prompt names, each with the prompt's own word for it ("a coat and shoes": outerwear is
    "coat", shoes "shoes"), in SLOTS order. As in `slot_of`, a slot word right before another is not a
    garment but what kind of one ("dress shoes", "a knit dress", "a tie-dye top"); a word for a whole outfit
    ("costume") names no slot: any garments may make it."""
    matches = sorted((match.start(), match.end(), slot, match.group().lower()) for slot, pattern in _PATTERNS.items()
                     for match in pattern.finditer(text) if match.group().lower() not in WHOLE_OUTFIT_WORDS)
    found: dict[str, str] = {}
    for (_, end, slot, word), following in zip(matches, [*matches[1:], None], strict=False):
        if text[end:end + 1] == "-" or (following is not None and re.fullmatch(r"[\s-]*", text[end:following[0]])):
            continue  # a modifier: of the next garment word, or joined to the next word ("tie-dye")
        found.setdefault(slot, word)
    return {slot: found[slot] for slot in SLOTS if slot in found}


def compose_outfits(matches: Sequence[Match], count: int, budget: float | None = None) -> list[Outfit]:
    """Up to `count` outfits from `matches` (best first), each within `budget` in total.

    Every outfit takes, per slot, the best product no earlier outfit used, so options differ as far as the
    catalog allows. A product is in at most half the outfits (`spread_limit`): a slot that has run out of
    fresh products reuses its best affordable one under that limit, or is left out. Only the base (a dress,
    or a top with a bottom) goes over the limit, when the catalog has too few of them (`crowded` names
    those products, for the look's notes). The base alternates between a dress and a top with a bottom by
    which of the two has the better fresh product. A slot whose products would break the budget is left out
    of that outfit. Outfits repeating an earlier one's products are dropped, so fewer than `count` come
    back when the catalog cannot make more.
    """
    by_slot: dict[str, list[Match]] = {slot: [] for slot in SLOTS}
    for match in sorted(matches, key=lambda each: -each.score):
        by_slot[slot_of(match.product)].append(match)
    limit = spread_limit(count)
    uses: Counter[int] = Counter()
    outfits: list[Outfit] = []
    for _ in range(count):
        remaining = float("inf") if budget is None else budget
        chosen: dict[str, StoredProduct] = {}
        base, extras = _slots_to_fill(by_slot, set(uses))
        # The base first, fresh if it can be, then under the limit, then whatever the catalog has; then fresh
        # products in the other slots before reused ones, so the budget goes to what makes this outfit differ.
        for slots, limits in ((base, (1, limit, float("inf"))), (extras, (1,)), (extras, (limit,))):
            for slot in slots:
                product = None if slot in chosen else _pick(by_slot[slot], uses, remaining, limits)
                if product is not None:
                    chosen[slot] = product
                    remaining -= product.price or 0.0
        if not chosen:
            break
        outfit = Outfit(tuple(chosen[slot] for slot in SLOTS if slot in chosen))
        uses.update(outfit.ids)
        if all(outfit.ids != earlier.ids for earlier in outfits):
            outfits.append(outfit)
    return outfits


def spread_limit(options: int) -> int:
    """How many of a look's options one product may be in: half of them, and at least one."""
    return max(1, options // 2)


def crowded(plan: Sequence[Outfit]) -> list[tuple[StoredProduct, int]]:
    """The products in more of the plan's options than `spread_limit` allows, each with how many: what a
    catalog too small for the look repeats."""
    uses = Counter(product.id for outfit in plan for product in outfit.products)
    products = {product.id: product for outfit in plan for product in outfit.products}
    return [(products[id_], count) for id_, count in uses.items() if count > spread_limit(len(plan))]


def _slots_to_fill(by_slot: dict[str, list[Match]], used: set[int]) -> tuple[list[str], list[str]]:
    """The slots of the next outfit: its base (a dress, or a top and a bottom) and the others."""
    def best_fresh(slot: str) -> float:
        fresh = [each.score for each in by_slot[slot] if each.product.id not in used]
        return max(fresh, default=max((each.score for each in by_slot[slot]), default=float("-inf")) - 1)

    separates = [slot for slot in ("top", "bottom") if by_slot[slot]]
    if by_slot["dress"] and (not separates or best_fresh("dress") >= max(map(best_fresh, separates))):
        base = ["dress"]
    else:
        base = separates
    return base, [slot for slot in ("outerwear", "shoes", "bag", "accessory") if by_slot[slot]]


def _pick(matches: list[Match], uses: Counter[int], remaining: float,
          limits: Sequence[float]) -> StoredProduct | None:
    """The best affordable product used fewer times than the first limit that finds one."""
    affordable = [each.product for each in matches if (each.product.price or 0.0) <= remaining]
    for limit in limits:
        for product in affordable:
            if uses[product.id] < limit:
                return product
    return None
