"""What a prompt asks of the catalog, and what the catalog cannot give it, said in the look's notes.

A prompt that names garments ("a smart winter coat and shoes") is answered with those garments only: a shirt
is no answer to it, however near the fashion CLIP finds one. A named garment that nothing purchasable fits is
said with why ("no coat within €200.00: the cheapest is €385.00"). A prompt whose describing words the
catalog mostly never uses (a theme: "a Harry Potter themed party") is told which words found nothing. An
empty catalog is said as such, rather than blamed on the prompt.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from stylist.catalog.budget import Budget
from stylist.catalog.lexical import STOP_WORDS, SearchQuery, lexical_search, understand
from stylist.catalog.products import StoredProduct
from stylist.catalog.store import CatalogStore, has_catalog
from stylist.looks.outfits import Match, named_garments, slot_of
from stylist.money import amount_text
from stylist.settings import Settings

EMPTY_CATALOG = "the catalog has no purchasable products yet: these looks come from the prompt alone"
# Words that ask for a look rather than describe one: no theme the catalog could be missing.
REQUEST_WORDS = frozenset(
    "want wear wearing need look looks outfit outfits next new please style styled like idea ideas".split())


@dataclass
class Fit:
    """The retrieved products that answer the prompt, and what the look's notes say about the rest."""

    matches: list[Match]
    notes: list[str] = field(default_factory=list)
    catalog_empty: bool = False


def fit_prompt(settings: Settings, prompt: str, matches: Sequence[Match], budget: Budget | None) -> Fit:
    """Keep the matches of the garments `prompt` names (all of them when it names none), topped up from the
    catalog where retrieval found none of a named garment that is there to buy; note each named garment
    nothing purchasable fits, and a theme the catalog does not describe."""
    if not has_catalog(settings):
        return Fit(list(matches), [EMPTY_CATALOG], catalog_empty=True)
    with CatalogStore(settings) as store:
        if not sum(shop["purchasable"] for shop in store.stats()):
            return Fit(list(matches), [EMPTY_CATALOG], catalog_empty=True)
        query, garments = understand(store, prompt), named_garments(prompt)
        # A named garment the catalog lacks is said below, with why; the theme note is for the other words.
        notes = [note] if (note := theme_note(query, set(garments.values()))) else []
        if not garments:
            return Fit(list(matches), notes)
        kept = [match for match in matches
                if any(fits(match.product, slot, word) for slot, word in garments.items())]
        floor = min((match.score for match in matches), default=0.0) - 1.0
        for slot, word in garments.items():
            if any(fits(match.product, slot, word) for match in kept):
                continue
            found, missing = _from_catalog(store, query, slot, word, budget)
            # Below everything retrieval found: they answer the garment, not the rest of the prompt.
            kept += [Match(product, floor - rank / 1000) for rank, product in enumerate(found)]
            notes += [missing] if missing else []
    return Fit(kept, notes)


def fits(product: StoredProduct, slot: str, word: str) -> bool:
    """Whether `product` is the garment a prompt names with `word` in `slot`: any product of the slot, but an
    accessory only of its own kind (a scarf is no answer to "a hat")."""
    if slot_of(product) != slot:
        return False
    if slot != "accessory":
        return True
    words = set(re.findall(r"[a-z]+", f"{product.category} {product.title}".lower()))
    stem = word[:-3] + "f" if word.endswith("ves") else word.removesuffix("es") if word.endswith("ses") else word
    return bool(words & {word, stem, stem.removesuffix("s"), f"{stem}s", f"{stem}es", f"{stem[:-1]}ves"})


def theme_note(query: SearchQuery, garment_words: Collection[str] = ()) -> str | None:
    """A note when at least half of the prompt's describing words are ones no product uses, naming them (the
    garments it names aside: a missing garment has its own note)."""
    describing = [word for word in query.words if _describing(word)]
    unknown = [word for word in query.unknown if _describing(word) and word not in garment_words]
    if not unknown or 2 * len(unknown) < len(describing):
        return None
    return "nothing in the catalog is described with " + ", ".join(f"“{word}”" for word in unknown)


def _describing(word: str) -> bool:
    return len(word) >= 3 and not word.isdigit() and word not in STOP_WORDS and word not in REQUEST_WORDS


def _from_catalog(store: CatalogStore, query: SearchQuery, slot: str, word: str,
                  budget: Budget | None) -> tuple[list[StoredProduct], str | None]:
    """The purchasable products of `slot` within `budget`, best for the prompt first, or a note saying why
    there are none ("no coat within €200.00: the cheapest is €385.00")."""
    of_slot = [product for product in store.products() if product.images and fits(product, slot, word)]
    if not of_slot:
        return [], f"no {word} for sale in the catalog"
    affordable = [product for product in of_slot if budget is None or budget.allows(product.price, product.currency)]
    if not affordable:  # so there is a budget
        priced = [product for product in of_slot if product.price is not None and budget.in_currency(product.currency)]
        cheapest = min(priced, key=lambda product: product.price, default=None)
        because = f": the cheapest is {amount_text(cheapest.price, cheapest.currency)}" if cheapest else ""
        return [], f"no {word} within {amount_text(budget.amount, budget.currency)}{because}"
    ranked = {hit.product.id: rank for rank, hit in enumerate(lexical_search(store, query, len(affordable)))}
    return sorted(affordable, key=lambda product: (ranked.get(product.id, len(ranked)), product.price or 0.0)), None
