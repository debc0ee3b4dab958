"""Clothing and shoe sizes as shops and people write them, read into a system and a value, and matched.

A size is text first: "M", "IT 40", "EU 38.5", "32/34", "W32 L34", "one size". `read_size` reads it into a
`Size` (a system and a set of values) so that "m", "Medium" and "M" are one size and "XS/S" fits both XS
and S. Two sizes match only within one system, with one exception taken from a published table: the
women's and men's clothing and shoe tables of the Wikipedia article "Clothing sizes" (and "Shoe size")
give France, Germany and the rest of continental Europe the same numbers, so "EU 38", "FR 38" and "DE 38"
are one size. No other conversion is made: Italian, British and American numbers differ from European ones
by offsets that depend on gender and garment, and letters map to numbers differently for every brand, so
matching across them would put people in the wrong size. A bare number ("38") states no system, which is
how most shops write the sizes of the country they sell in; it matches the same number in any system.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The looks' slots that take a size; a bag or an accessory has none.
SIZED_SLOTS = ("dress", "top", "bottom", "outerwear", "shoes")
UNSIZED_SLOTS = ("bag", "accessory")
MAX_SIZE_TEXT = 40

LETTERS = ("XXXS", "XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "4XL", "5XL", "6XL")
_LETTER_WORDS = {"extra small": "XS", "x small": "XS", "small": "S", "medium": "M", "large": "L",
                 "extra large": "XL", "x large": "XL"}
# "One size" as shops write it in the languages the catalog meets.
ONE_SIZE = {"one size", "onesize", "os", "o s", "tu", "taille unique", "taglia unica", "talla unica",
            "einheitsgrosse", "einheitsgroesse", "one fits all", "osfa", "uni", "unique", "u", "one"}
# System words, as written before or after a number; FR and DE are European numbers (see the module's note).
NUMBER_SYSTEMS = {"", "eu", "it", "uk", "us", "jp"}
SYSTEMS = {"eu": "eu", "fr": "eu", "de": "eu", "it": "it", "uk": "uk", "gb": "uk", "us": "us", "jp": "jp"}
_NUMBER = r"\d{1,3}(?:[.,]\d)?"
_SYSTEM_FIRST = re.compile(rf"^(?P<system>[a-z]{{2}})\s*(?P<number>{_NUMBER})$")
_SYSTEM_AFTER = re.compile(rf"^(?P<number>{_NUMBER})\s*(?P<system>[a-z]{{2}})$")
_BARE = re.compile(rf"^{_NUMBER}$")
# Waist and leg in inches: "32/34", "32x34", "W32 L34", "W32/L34", "W32"
_WAIST_LEG = re.compile(r"^w?\s*(?P<waist>\d{2})\s*(?:(?:/|x|\s)\s*l?\s*(?P<leg>\d{2}))?$")


@dataclass(frozen=True)
class Size:
    """A size read: `system` is "letter", "one", "waist", a number system ("eu", "it", "uk", "us", "jp"),
    "" for a number with no system, or "text" for what could not be read (then `values` holds the text)."""

    system: str
    values: frozenset
    text: str


def read_size(text: str) -> Size:
    """`text` read into a system and values; unreadable text is kept as folded text, which only matches itself."""
    original = " ".join(text.split())
    folded = _fold(original)
    if folded in ONE_SIZE:
        return Size("one", frozenset(), original)
    letters = _letters(folded)
    if letters:
        return Size("letter", frozenset(letters), original)
    for pattern in (_SYSTEM_FIRST, _SYSTEM_AFTER):
        match = pattern.match(folded)
        if match and match["system"] in SYSTEMS:
            return Size(SYSTEMS[match["system"]], frozenset({_number(match["number"])}), original)
    if _BARE.match(folded):
        return Size("", frozenset({_number(folded)}), original)
    match = _WAIST_LEG.match(folded)
    if match and (match["leg"] or folded.startswith("w")):
        return Size("waist", frozenset({(int(match["waist"]), int(match["leg"]) if match["leg"] else None)}),
                    original)
    return Size("text", frozenset({folded}), original)


def fits(wanted: Size, offered: Size) -> bool:
    """Whether a shop's size `offered` is the person's size `wanted`."""
    if offered.system == "one":
        return True  # made to fit everyone
    if wanted.system == "waist" == offered.system:
        # "W32" fits every leg length of waist 32
        return any(waist == other_waist and (leg is None or other_leg is None or leg == other_leg)
                   for waist, leg in wanted.values for other_waist, other_leg in offered.values)
    systems = {wanted.system, offered.system}
    if "" in systems and systems <= NUMBER_SYSTEMS:
        return bool(wanted.values & offered.values)  # a bare number matches that number in any system
    return wanted.system == offered.system and bool(wanted.values & offered.values)


def _fold(text: str) -> str:
    """Lower case, accents off, the word "size" dropped: how sizes compare."""
    plain = re.sub(r"\s*½", ".5", text).replace("ß", "ss")
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"\bsize\b|\bsz\b", " ", plain)
    plain = re.sub(r"\b(x+|extra)[-.](?=[a-z])", r"\1 ", plain)  # "x-large", "extra-small"
    return " ".join(plain.split()).strip(" :")


def _letters(folded: str) -> list[str]:
    """The letter sizes a text names: "m", "medium", "xs/s", "s-m", "2xl", "xx large"; empty if it names none."""
    found = []
    for part in re.split(r"\s*[/-]\s*|\s+(?:to|bis)\s+", folded):
        part = _LETTER_WORDS.get(part, part)
        if match := re.fullmatch(r"(\d)xl", part):  # "2xl" is XXL, "4xl" stays 4XL
            part = "x" * (int(match[1]) - 1) + "xl" if int(match[1]) <= 3 else part
        if match := re.fullmatch(r"(x+) ?(large|small)", part):
            part = match[1] + match[2][0]
        part = part.upper()
        if part not in LETTERS:
            return []
        found.append(part)
    if len(found) == 2:  # a range such as "S-L" covers the sizes between
        low, high = sorted(LETTERS.index(letter) for letter in found)
        found = list(LETTERS[low:high + 1])
    return found


def _number(text: str) -> float:
    return float(text.replace(",", "."))
