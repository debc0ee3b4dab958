"""The product numbers a page shows people: after a label ("SKU:", "Art.-Nr.", "Product code -") or in an
element named for one (`class="product-code"`), and the page's visible text to look other ids up in.

Shops print their own number for people to quote on the phone or in a return, so where the markup carries
an id that the page never shows (a listing id, an internal id), the shown number is the product's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from stylist.catalog.reading.identity import path_codes

# A product number as shops print it: letters and digits, perhaps joined by . / _ - ("004.028.13",
# "PU_106160/01", "1002/710"), at least one digit among them.
NUMBER = r"[A-Za-z0-9](?:[A-Za-z0-9]|[./_-](?=[A-Za-z0-9]))*"
# Labels under which shops print their own number, in the languages of the shops read so far.
SHOP_LABELS = (
    r"sku", r"item\s*(?:#|no\b\.?|nr\b\.?|number|code)", r"item(?=\s*:)", r"article\s*(?:#|no\b\.?|number)",
    r"art\.?\s*-?\s*nr\b\.?", r"artikel\s*-?\s*(?:nummer|nr\b\.?)", r"bestell\s*-?\s*(?:nummer|nr\b\.?)",
    r"r[ée]f[ée]rence", r"r[ée]f\b\.?", r"product\s*(?:code|#|no\b\.?|number|id)", r"c[óo]digo", r"cod\.",
    r"cat(?:alogue)?\b\.?\s*(?:no\b\.?|number)", r"id\s+(?:do\s+|del\s+)?produ(?:to|cto)",
    r"style(?:\s*(?:#|no\b\.?|number))?",
)
# A model number is most often the maker's, which several shops share: a weaker claim than the shop's own.
# Only "Model No." and the like: a bare "Model" is as often the person wearing the clothes ("Model: 178cm").
MODEL_LABELS = (r"model\s*(?:#|no\b\.?|nr\b\.?|number)",)
SEPARATORS = r"[\s:#\-–—]*"
# Words in class, id and data-* values that name an element holding the shop's number.
NUMBER_MARKS = ("sku", "productcode", "prdcode", "productreference", "productnumber", "itemnumber",
                "articlenumber", "artikelnummer", "catnumber", "stylenumber")
HIDDEN_TAGS = {"head", "script", "style", "noscript", "template", "svg", "select", "option", "button"}
MIN_LENGTH = 3
MAX_LENGTH = 40


def _labelled(labels: tuple[str, ...]) -> re.Pattern[str]:
    # a label starts a word and is not the start of a longer word ("skus", "styles")
    return re.compile(rf"(?<!\w)(?:{'|'.join(labels)})(?![^\W\d_]){SEPARATORS}(?P<number>{NUMBER})",
                      re.IGNORECASE)


SHOP_NUMBER = _labelled(SHOP_LABELS)
MODEL_NUMBER = _labelled(MODEL_LABELS)
LONE_NUMBER = re.compile(NUMBER)


@dataclass
class ShownNumbers:
    """What a page shows of product numbers, in page order."""

    shop: list[str] = field(default_factory=list)  # under the shop's labels or in elements named for them
    model: list[str] = field(default_factory=list)  # under "Model No.": the maker's number, like an MPN
    text: str = ""  # the page's visible text, links left out


def read_shown_numbers(tree: HtmlElement) -> ShownNumbers:
    """The numbers the page shows outside links: a number inside a link belongs to the page it links to."""
    body = next(tree.iter("body"), tree)
    pieces = list(_visible_pieces(body))
    text = " ".join(" ".join(pieces).split())
    shop = [match["number"] for match in SHOP_NUMBER.finditer(text) if _is_number(match["number"])]
    shop += [number for number in map(_named_number, body.iter()) if number]
    model = [match["number"] for match in MODEL_NUMBER.finditer(text) if _is_number(match["number"])]
    return ShownNumbers(shop=list(dict.fromkeys(shop)), model=list(dict.fromkeys(model)), text=text)


def page_sku(sku: str, variant_skus: Iterable[str], shown: ShownNumbers, urls: Iterable[str]) -> str:
    """The page's own product number: the markup's SKU (perhaps empty) unless the page gives evidence for
    another.

    The markup's SKU is written as the page prints it where the two differ only in separators, and stays
    as it is where the page shows it at all or numbers the product's sizes after it. A SKU the page never
    shows yields to the one number the page shows under a product-number label (an empty SKU to the first
    of several), else to a code in the page's canonical or own URL that the page shows. A labelled number
    that extends the SKU or is one of its variants' is a size's own number, not evidence of another id.
    """
    printed = next((number for number in shown.shop if compact(number) == compact(sku)), "")
    if printed or shown_as(shown, sku):
        return printed or sku
    variants = {compact(variant) for variant in variant_skus if variant}
    if sku and variants and all(variant.startswith(compact(sku)) for variant in variants):
        return sku  # the markup numbers this product's own sizes after it: the id is this product's
    others = [number for number in shown.shop if compact(number) not in variants
              and not (sku and compact(number).startswith(compact(sku)))]
    if others and (not sku or len(others) == 1):
        return others[0]
    if others:
        return sku
    codes = (code for url in urls if url for code in path_codes(url) if compact(code) != compact(sku))
    return next(filter(None, (shown_as(shown, code) for code in codes)), sku)


def shown_as(shown: ShownNumbers, identifier: str) -> str:
    """`identifier` as the page shows it to people, as a word of its own ("ld2041" shown "LD2041"); empty
    when the page does not show it."""
    if not identifier:
        return ""
    found = re.search(rf"(?<![\w./-]){re.escape(identifier)}(?!\w|[./-]\w)", shown.text, re.IGNORECASE)
    return found.group() if found else ""


def compact(identifier: str) -> str:
    """An identifier without the separators shops print it with: "466/7999" and "4667999" are one number."""
    return "".join(ch for ch in identifier.casefold() if ch.isalnum())


def _visible_pieces(element: HtmlElement) -> Iterator[str]:
    """The text of `element` as people read it, each element's text apart from the next one's."""
    if not isinstance(element.tag, str) or element.tag in HIDDEN_TAGS or element.tag == "a":
        return
    if element.text:
        yield element.text
    for child in element:
        yield from _visible_pieces(child)
        if child.tail:
            yield child.tail


def _named_number(element: HtmlElement) -> str:
    """The number in an element whose class, id or data-* attributes name it as the product's number."""
    if not isinstance(element.tag, str) or element.tag in HIDDEN_TAGS:
        return ""
    marks = " ".join(value for name, value in element.attrib.items()
                     if name in ("class", "id", "itemprop") or name.startswith("data-"))
    words = {"".join(ch for ch in word if ch.isalnum()).lower() for word in re.split(r"[\s_]+", marks)}
    if not any(mark in word for word in words for mark in NUMBER_MARKS if "price" not in word):
        return ""
    if any(ancestor.tag == "a" for ancestor in element.iterancestors()):
        return ""
    text = " ".join(element.text_content().split())
    return text if LONE_NUMBER.fullmatch(text) and _is_number(text) else ""


def _is_number(text: str) -> bool:
    return MIN_LENGTH <= len(text) <= MAX_LENGTH and any(ch.isdigit() for ch in text)
