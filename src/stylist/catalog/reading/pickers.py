"""The size picker a product page shows people, for pages whose markup names no sizes.

Three shapes cover most shops: a `<select>` of sizes, radio buttons named for the size, and buttons or labels
carrying `data-size`/`data-name` inside a block named for sizes. Pages also carry size menus that are not the
product's own: a choice that links to another page is a menu entry, and pickers of one shape repeated with
different sizes are the tiles of other products, so neither is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from lxml.html import HtmlElement

from stylist.catalog.reading.fields import clean_text
from stylist.catalog.reading.records import VariantRecord, is_placeholder
from stylist.catalog.reading.size_words import is_size_prompt, says_size
from stylist.catalog.reading.visible import SOLD_OUT_WORDS

# Attributes in which code and captions name what an element is for.
NAMING_ATTRIBUTES = ("name", "id", "class", "aria-label", "data-cy", "data-testid")
# Class fragments (letters only, lower case) that mark a choice that cannot be bought now.
DISABLED_MARKS = ("disabled", "unavailable", "soldout", "outofstock", "backsoon", "notavailable", "nostock")
SIZE_ATTRIBUTES = ("data-size", "data-name")
NEAR = 4  # ancestors within which a data-size element's block must say that it holds sizes
LONG_LABEL = 30  # a longer label holds more than a size (stock notes, prices): the radio's value is read
NOTE_SEPARATOR = " - "  # "M - Sold out": what follows the size is a note on it
# What a picker writes beside a size that cannot be bought now: an offer to be told when it is back.
WAITING_WORDS = ("notify me", "email me", "unavailable", "back soon", "coming soon", "not available")
# Notes on stock that still leave the size for sale: "L (only 1 left)", "M (low stock)".
STOCK_NOTES = ("left", "only", "last", "low stock", "few")


@dataclass
class Choice:
    """One size as the picker shows it, before the picker's shared caption is taken off."""

    element: HtmlElement  # where the size is written
    text: str
    owners: list[HtmlElement]  # the element and its wrappers: any of them may show it disabled
    sku: str = ""


@dataclass
class Picker:
    """One set of size choices found on the page."""

    signature: tuple[str, str]  # its shape and name, the same for every tile of a listing
    choices: list[VariantRecord]
    position: int  # in document order


def read_picker(tree: HtmlElement) -> list[VariantRecord]:
    """The sizes of the page's own picker, first in the page, each unavailable where shown disabled."""
    position = {el: index for index, el in enumerate(tree.iter())}
    labels = {label.get("for"): label for label in tree.iter("label") if label.get("for")}
    found = [*_selects(tree, labels), *_radio_groups(tree, labels), *_blocks(tree)]
    pickers = [Picker(signature, sizes, position[choices[0].element])
               for signature, choices in found if (sizes := _sizes(choices))]
    lists: dict[tuple[str, str], set[tuple[str, ...]]] = {}
    for picker in pickers:
        lists.setdefault(picker.signature, set()).add(tuple(v.size for v in picker.choices))
    own = [picker for picker in pickers if len(lists[picker.signature]) == 1]
    return min(own, key=lambda picker: picker.position).choices if own else []


def with_picker(variants: list[VariantRecord], picker: list[VariantRecord]) -> list[VariantRecord]:
    """The markup's variants named by the picker's sizes when both list the same sizes in the same order,
    else the picker's sizes alone; variants the markup already names are kept as they are.

    Markup that names colours but no sizes keeps its colours: a picker shows the sizes of one colour only.
    """
    if not picker or any(v.size or v.color for v in variants):
        return variants
    if not _line_up(variants, picker):
        return picker
    return [replace(variant, size=shown.size, available=shown.available if variant.available is None
                    else variant.available) for variant, shown in zip(variants, picker, strict=True)]


def _line_up(variants: list[VariantRecord], picker: list[VariantRecord]) -> bool:
    """Whether the markup's variants and the picker's sizes are one list: as many, with stock that agrees.

    A picker that disables some sizes disables every sold-out one, so an enabled size against a sold-out
    variant shows the two lists in different orders, as does a disabled size against one in stock.
    """
    if len(variants) != len(picker):
        return False
    marks_sold_out = any(shown.available is False for shown in picker)
    return not any((variant.available is True and shown.available is False)
                   or (marks_sold_out and variant.available is False and shown.available is None)
                   for variant, shown in zip(variants, picker, strict=True))


def _selects(tree: HtmlElement, labels: dict[str, HtmlElement]) -> Iterator[tuple[tuple[str, str], list[Choice]]]:
    for select in tree.iter("select"):
        label = labels.get(select.get("id") or "")
        caption = clean_text(label.text_content()) if label is not None else ""
        if not says_size(caption, *_names(select)):
            continue
        # an option with an empty value is the prompt ("Choose a size"), not a size
        choices = [Choice(option, clean_text(option.text_content()), _wrappers(option, select),
                          option.get("data-sku") or "")
                   for option in select.iter("option") if option.get("value") != ""]
        yield ("select", select.get("name") or select.get("id") or ""), choices


def _radio_groups(tree: HtmlElement,
                  labels: dict[str, HtmlElement]) -> Iterator[tuple[tuple[str, str], list[Choice]]]:
    groups: dict[tuple[int, str], list[HtmlElement]] = {}
    for radio in tree.iter("input"):
        if (radio.get("type") or "").lower() == "radio" and radio.get("name"):
            form = next(radio.iterancestors("form"), None)
            groups.setdefault((id(form), radio.get("name")), []).append(radio)
    for (_, name), radios in groups.items():
        block = _common_ancestor(radios)
        if not says_size(name, *_names(radios[0]), *_names(block)):
            continue
        choices = []
        for radio in radios:
            label = next(radio.iterancestors("label"), None)
            if label is None:
                label = labels.get(radio.get("id") or "")
            owners = [*_wrappers(radio, block), *([label] if label is not None else [])]
            choices.append(Choice(radio, _radio_text(radio, label), owners,
                                  _attribute(owners, ("data-sku",))))
        yield ("radio", name), choices


def _radio_text(radio: HtmlElement, label: HtmlElement | None) -> str:
    named = _attribute([radio, *([label] if label is not None else [])], SIZE_ATTRIBUTES)
    if named:
        return named
    shown = clean_text(label.text_content()) if label is not None else ""
    return shown if 0 < len(shown) <= LONG_LABEL else (radio.get("value") or "").strip()


def _blocks(tree: HtmlElement) -> Iterator[tuple[tuple[str, str], list[Choice]]]:
    """Elements carrying `data-size`/`data-name` in a block named for sizes, grouped by that block."""
    groups: dict[HtmlElement, list[Choice]] = {}
    for element in tree.iter():
        if not isinstance(element.tag, str) or not any(element.get(name) for name in SIZE_ATTRIBUTES):
            continue
        # a radio's label, or an option, belongs to the picker read as radios or as a select
        if element.tag in ("option", "select") or element.xpath(".//input[@type='radio'] | .//select"):
            continue
        block = _size_block(element)
        if block is not None:
            groups.setdefault(block, []).append(Choice(element, _attribute([element], SIZE_ATTRIBUTES),
                                                       _wrappers(element, block), element.get("data-sku") or ""))
    for block, choices in groups.items():
        yield (block.tag, " ".join((block.get("class") or "").split())), choices


def _size_block(element: HtmlElement) -> HtmlElement | None:
    """The nearest wrapper named for sizes; the element's parent when only the element itself is."""
    for ancestor in list(element.iterancestors())[:NEAR]:
        if says_size(*_names(ancestor)):
            return ancestor
    return element.getparent() if says_size(*_names(element)) else None


def _sizes(choices: list[Choice]) -> list[VariantRecord]:
    """The sizes the choices name, unavailable where disabled or noted sold out; prompts, templates and
    links to other pages left out."""
    kept = [choice for choice in choices if not _links_away(choice.element)]
    split = [_size_and_note(choice.text) for choice in kept]
    caption = _shared_caption([size for size, _ in split])
    sizes = []
    for choice, (size, note) in zip(kept, split, strict=True):
        size = size.removeprefix(caption).strip()
        if not any(ch.isalnum() for ch in size) or is_placeholder(size) or "{{" in size or is_size_prompt(size):
            continue
        disabled = _says_sold_out(note) or any(_disabled(owner) for owner in choice.owners)
        sizes.append(VariantRecord(sku=choice.sku, size=size, available=False if disabled else None))
    return sizes


def _size_and_note(text: str) -> tuple[str, str]:
    """A choice's size and the note written after it: "M - Only 2 left", "M (sold out)".

    A bracket is part of many sizes ("6-9 mois (74 cm)"), so only one that says sold out is a note.
    """
    size, separator, note = text.partition(NOTE_SEPARATOR)
    if separator:
        return size, note
    head, bracket, tail = text.rpartition("(")
    if bracket and text.endswith(")") and (_says_sold_out(tail) or any(word in tail.lower() for word in STOCK_NOTES)):
        return head.strip(), tail
    return text, ""


def _says_sold_out(note: str) -> bool:
    return any(word in note.lower() for word in (*SOLD_OUT_WORDS, *WAITING_WORDS))


def _shared_caption(texts: list[str]) -> str:
    """A "Size:" every choice starts with: the picker's caption written into each option, not a size."""
    heads = {text.partition(":")[0] for text in texts if ":" in text}
    if len(heads) != 1 or not all(":" in text for text in texts):
        return ""
    head = heads.pop()
    return "" if any(ch.isdigit() for ch in head) else head + ":"


def _disabled(element: HtmlElement) -> bool:
    if element.get("disabled") is not None or (element.get("aria-disabled") or "").lower() == "true":
        return True
    marks = ["".join(ch for ch in token.lower() if ch.isalpha()) for token in (element.get("class") or "").split()]
    return any(mark in token for token in marks for mark in DISABLED_MARKS)


def _links_away(element: HtmlElement) -> bool:
    """Whether the choice is, or sits in, a link to another page (a menu entry, a size guide)."""
    for link in [element, *element.iterancestors("a")]:
        href = (link.get("href") or "").strip().lower() if link.tag == "a" else ""
        if href and not href.startswith(("#", "javascript:")):
            return True
    return False


def _names(element: HtmlElement) -> list[str]:
    return [element.get(name) or "" for name in NAMING_ATTRIBUTES]


def _attribute(elements: list[HtmlElement], names: tuple[str, ...]) -> str:
    return next((value.strip() for element in elements for name in names
                 if (value := element.get(name) or "").strip()), "")


def _wrappers(element: HtmlElement, block: HtmlElement) -> list[HtmlElement]:
    """The element and its ancestors inside `block`: the wrappers that belong to this choice alone."""
    wrappers = [element]
    for ancestor in element.iterancestors():
        if ancestor is block:
            break
        wrappers.append(ancestor)
    return wrappers


def _common_ancestor(elements: list[HtmlElement]) -> HtmlElement:
    """The innermost element holding all of them (a lone element's parent)."""
    first = elements[0]
    candidates = list(first.iterancestors())
    others = [set(other.iterancestors()) for other in elements[1:]]
    return next((a for a in candidates if all(a in ancestors for ancestors in others)), first.getparent())
