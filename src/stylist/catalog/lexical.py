"""Lexical search over the catalog: ranked full-text search over designer, title, description, colour and category.

On SQLite the index is FTS5 (`product_text`, ranked by BM25), on PostgreSQL a weighted tsvector column
(`products.search`, ranked by ts_rank); both follow the products table through triggers (the catalog's
baseline migration), so they are current after every upsert. A query word the catalog never uses is read as a typo of its nearest catalog
words ("blak dres" finds black dresses). Colours and categories named in a query lift the products that
have them above those that only share other words, and a budget in it ("under €200") keeps only products
within it. No model is involved: the web process searches with this alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Float, Integer, Subquery, func, select, text

from stylist.catalog.budget import Budget, parse_budget
from stylist.catalog.products import StoredProduct
from stylist.catalog.store import PURCHASABLE, CatalogStore
from stylist.catalog.tables import products, shops
from stylist.catalog.vocabulary import WORD as _WORD
from stylist.catalog.vocabulary import fill_if_empty
from stylist.catalog.vocabulary import vocabulary as words_near
from stylist.databases import reading

# BM25 weights of designer, title, description, colour and category: the shop's own colour and category
# fields and the title say what a garment is; a description also mentions what it goes with.
COLUMN_WEIGHTS = (1.0, 3.0, 1.0, 4.0, 4.0)
# The same on PostgreSQL, whose ts_rank takes one weight per class {D, C, B, A}, at most 1: designer and
# description are D, title B, colour and category A (C is unused).
CLASS_WEIGHTS = "{0.25, 0, 0.75, 1}"
# A named colour or category the product has outweighs any BM25 difference: such products come first (a category
# counts twice, see SearchQuery.named).
NAMED_LIFT = 100.0
# BM25 candidates read before the lifts reorder them.
FETCH = 500
# Words that say nothing about a product; a query made only of them finds nothing.
STOP_WORDS = frozenset(
    "a an and any at by for from i in is it me my of on or some something the this that to with".split())
# Colour words recognised even where a shop fills no colour field (they are found in titles then).
COLOUR_WORDS = (
    "black", "white", "ivory", "cream", "beige", "camel", "brown", "tan", "grey", "gray", "charcoal", "navy",
    "blue", "sky blue", "teal", "turquoise", "green", "olive", "khaki", "forest green", "mint", "yellow",
    "mustard", "gold", "orange", "coral", "red", "burgundy", "wine", "pink", "blush pink", "rose", "purple",
    "lilac", "lavender", "silver", "multicolour",
)  # fmt: skip


@dataclass(frozen=True)
class SearchQuery:
    """A query as the catalog understands it."""

    words: tuple[str, ...]  # the query's words, typos corrected to catalog words
    terms: tuple[str, ...]  # what the index is asked for (catalog words, or a prefix as "word*")
    colours: tuple[str, ...]  # colours it names, that the catalog has
    categories: tuple[str, ...]  # categories it names, that the catalog has
    budget: Budget | None  # stated in the text ("under €200")
    unknown: tuple[str, ...] = ()  # words no product uses, nor a near spelling of one ("harry", "potter")

    def named(self, product: StoredProduct) -> int:
        """How far the product is what the query names: 2 for the named category, 1 for the named colour.
        What a garment is outweighs its colour: for "black dress" a red dress comes before a black scarf."""
        text = f"{product.color} {product.category} {product.title}".casefold()
        colour = any(_has_phrase(text, colour) for colour in self.colours)
        category = any(_has_phrase(text, category) for category in self.categories)
        return int(colour) + 2 * int(category)


@dataclass(frozen=True)
class LexicalHit:
    product: StoredProduct
    score: float  # BM25 (higher is better), plus NAMED_LIFT for a named colour it has and twice that for a category


def understand(store: CatalogStore, query: str) -> SearchQuery:
    """The query's words (typos corrected against the catalog's vocabulary), its colours, categories and budget."""
    budget, wanted = parse_budget(query)
    plain = _plain(wanted)
    fill_if_empty(store.engine)
    with reading(store.engine) as db:
        vocabulary = words_near(db, [word for word in re.findall(_WORD, plain) if word not in STOP_WORDS])
        colours = set(db.scalars(select(func.lower(products.c.color)).where(products.c.color != "").distinct()))
        categories = set(db.scalars(select(func.lower(products.c.category)).where(products.c.category != "")
                                    .distinct()))
    corrected: dict[str, str] = {}
    terms: list[str] = []
    unknown: list[str] = []
    for word in re.findall(_WORD, plain):
        if word in STOP_WORDS:
            continue
        known = [word] if word in vocabulary else _nearest(word, vocabulary)
        corrected[word] = known[0] if known else word
        if not known:
            unknown.append(word)
        terms.extend(known or ([f"{word}*"] if len(word) >= 3 else []))
    # Colours and categories are read in the corrected text with its hyphens, so "t-shirt" is not a "shirt".
    said = re.sub(_WORD, lambda found: corrected.get(found.group(), found.group()), plain)
    words = tuple(re.findall(_WORD, said))
    named_colours = [colour for colour in {*COLOUR_WORDS, *colours} if _has_phrase(said, colour)]
    named_categories = [category for category in categories
                        if any(_has_phrase(said, form) for form in (category, f"{category}s", f"{category}es"))]
    return SearchQuery(words, tuple(dict.fromkeys(terms)), tuple(sorted(named_colours)),
                       tuple(sorted(named_categories)), budget, tuple(dict.fromkeys(unknown)))


def lexical_search(store: CatalogStore, query: str | SearchQuery, k: int = 10, *,
                   budget: float | None = None) -> list[LexicalHit]:
    """Purchasable products for the query, best first: BM25 (ts_rank on PostgreSQL) over their words, lifted by the colours and
    categories the query names, within `budget` and the budget the query states."""
    understood = understand(store, query) if isinstance(query, str) else query
    if not understood.terms:
        return []
    cap, currency = budget, None
    if understood.budget is not None:
        cap = understood.budget.amount if cap is None else min(cap, understood.budget.amount)
        currency = understood.budget.currency
    with reading(store.engine) as db:
        matches = (_matches_postgres if db.dialect.name == "postgresql" else _matches_sqlite)(understood.terms)
        ranked = (select(matches.c.id, matches.c.score).join(products, products.c.id == matches.c.id)
                  .join(shops, shops.c.id == products.c.shop_id).where(PURCHASABLE)
                  .order_by(matches.c.score.desc(), matches.c.id).limit(FETCH))
        if cap is not None:
            ranked = ranked.where(products.c.price <= cap)
        if currency is not None:
            ranked = ranked.where(func.upper(products.c.currency) == currency)
        rows = db.execute(ranked).all()
    found = {product.id: product for product in store.products(ids=[id_ for id_, _ in rows])}
    hits = [LexicalHit(found[id_], score + NAMED_LIFT * understood.named(found[id_]))
            for id_, score in rows if id_ in found]
    return sorted(hits, key=lambda hit: -hit.score)[:k]


def _matches_sqlite(terms: tuple[str, ...]) -> Subquery:
    """Products having any of the terms (id) with their BM25 score turned so that higher is better (score)."""
    match = " OR ".join(f'"{term[:-1]}" *' if term.endswith("*") else f'"{term}"' for term in terms)
    weights = ", ".join(map(str, COLUMN_WEIGHTS))
    return (text(f"SELECT rowid AS id, -bm25(product_text, {weights}) AS score FROM product_text "
                 "WHERE product_text MATCH :match").bindparams(match=match)
            .columns(id=Integer, score=Float).subquery("matches"))


def _matches_postgres(terms: tuple[str, ...]) -> Subquery:
    """Products having any of the terms (id) with their ts_rank (score)."""
    # Terms are letters and digits only (_WORD), so quoting them is all a tsquery needs.
    query = " | ".join(f"'{term[:-1]}':*" if term.endswith("*") else f"'{term}'" for term in terms)
    return (text("SELECT id, ts_rank(CAST(:weights AS real[]), search, query) AS score "
                 "FROM products, to_tsquery('simple', :query) AS query WHERE search @@ query")
            .bindparams(weights=CLASS_WEIGHTS, query=query).columns(id=Integer, score=Float).subquery("matches"))


def _plain(text: str) -> str:
    """Case and diacritics folded away, as the index's tokenizer (remove_diacritics 2) folds them."""
    return "".join(char for char in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(char))


def _nearest(word: str, vocabulary: dict[str, int]) -> list[str]:
    """The catalog words closest to a word it does not use, most used first: one edit away, or two for words
    of seven letters or more that start alike ("dresses"); none for words of one or two letters."""
    if len(word) <= 2:
        return []
    most = 1 if len(word) <= 6 else 2
    found: dict[int, list[str]] = {}
    for term in vocabulary:
        # A stop word is no reading of a typo: "hat" is not "that", which every description uses.
        if abs(len(term) - len(word)) <= most and not term.isdigit() and term not in STOP_WORDS:
            distance = _edits(word, term, most)
            if distance == 1 or (distance <= most and term[0] == word[0]):
                found.setdefault(distance, []).append(term)
    if not found:
        return []
    return sorted(found[min(found)], key=lambda term: -vocabulary[term])[:3]


def _edits(a: str, b: str, most: int) -> int:
    """Optimal-string-alignment distance (insertions, deletions, substitutions, swaps of neighbours),
    or most + 1 as soon as it must exceed `most`."""
    previous2, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > most:
            return most + 1
        previous2, previous = previous, current
    return previous[-1]


def _has_phrase(text: str, phrase: str) -> bool:
    # Hyphens belong to words here, so that "shirt" is not found in "t-shirt".
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None
