"""Clothing and shoe sizes as shops and people write them, read into systems and values, and matched.

A size is text first: "M", "IT 40", "EU 38.5", "36/38", "32/34", "W32 L34", "EU 39 / UK 6", "one size".
`read_size` reads it into readings, each a system and a value, so that "m", "Medium" and "M" are one size,
"XS/S" fits XS and S, and "EU 39 / UK 6" fits both an EU 39 and a UK 6. Two sizes match when they share a
reading in one system. The only equivalences made across systems are the ones the published tables agree
on, from the Wikipedia articles "Shoe size" and "Clothing sizes" (the European tables of EN 13402's
predecessors): for shoes, Europe, France and Germany use one scale (Paris points), so "FR 39" is "EU 39";
for clothing, German sizes are the European ones ("DE 38" is "EU 38") while French ones run two above
(FR 40 = DE 38), so clothing keeps FR apart. Italian, British and American numbers differ from those by
offsets that depend on gender and garment, and letters map to numbers differently for every brand, so no
conversion is made for them: a near guess would put people in the wrong size.

A bare number ("38") states no system. It matches the same bare number, and, for shoes, a number from 30 up
is read as European: no other scale reaches it (UK and US shoes stop near 16).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# The looks' slots that take a size; a bag or an accessory has none.
SIZED_SLOTS = ("dress", "top", "bottom", "outerwear", "shoes")
UNSIZED_SLOTS = ("bag", "accessory")
MAX_SIZE_TEXT = 40

LETTERS = ("XXXS", "XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "4XL", "5XL", "6XL")
_LETTER_WORDS = {"extra small": "XS", "x small": "XS", "small": "S", "medium": "M", "large": "L",
                 "extra large": "XL", "x large": "XL", "2x": "XXL", "3x": "XXXL", "xxxxl": "4XL"}
# "One size" as shops write it in the languages the catalog meets.
ONE_SIZE = {"one size", "onesize", "one", "os", "o s", "o/s", "tu", "taille unique", "taglia unica", "unica",
            "talla unica", "einheitsgrosse", "einheitsgroesse", "one size fits all", "osfa", "uni", "unique", "u"}
# System words as written before or after a number.
SYSTEMS = {"eu": "eu", "eur": "eu", "de": "eu", "fr": "fr", "it": "it", "uk": "uk", "gb": "uk", "us": "us",
           "jp": "jp"}
SHOE_EU_FROM = 30  # a bare shoe size from here up can only be European
_NUMBER = r"\d{1,3}(?:[.,]\d)?"
_WITH_SYSTEM = re.compile(
    rf"^(?:(?P<before>[a-z]{{2,3}})\s*(?P<number>{_NUMBER})|(?P<number2>{_NUMBER})\s*(?P<after>[a-z]{{2,3}}))$")
_BARE = re.compile(rf"^{_NUMBER}$")
# Waist and leg in inches: "W32 L34", "W32/L34", "32x34", "W32"; "32/34" too where a slot says trousers
_WAIST_LEG = re.compile(
    r"^w\s*(?P<waist>\d{2})(?:\s*[/x ]?\s*l\s*(?P<leg>\d{2}))?$|^(?P<w>\d{2})\s*x\s*(?P<l>\d{2})$")
_PAIR = re.compile(r"^(?P<one>\d{2})\s*/\s*(?P<other>\d{2})$")

Reading = tuple[str, Any]  # (system, value): a number, a letter size, or (waist, length)


@dataclass(frozen=True)
class Size:
    """A size read: its readings, or `one` for a size that fits everyone; `text` as written."""

    text: str
    readings: frozenset[Reading] = frozenset()
    one: bool = False

    def systems(self) -> set[str]:
        return {system for system, _ in self.readings}


def read_size(text: str, slot: str = "") -> Size:
    """`text` read into readings (see the module's note); `slot` settles what "32/34" means (waist and leg
    on trousers, a double size elsewhere) and that a bare shoe size from 30 up is European."""
    original = " ".join(text.split())
    folded = _fold(original)
    if folded in ONE_SIZE:
        return Size(original, one=True)
    readings = _readings(folded, slot)
    if readings is None and "/" in folded:
        # "EU 39 / UK 6": one size in two systems; each part must read on its own
        parts = [_readings(part.strip(), slot) for part in folded.split("/")]
        read = [part for part in parts if part]
        if len(read) == len(parts) > 1:
            readings = frozenset[Reading]().union(*read)
    return Size(original, readings or frozenset({("text", folded)}))


def fits(wanted: Size, offered: Size, slot: str = "") -> bool:
    """Whether a shop's size `offered` is the person's size `wanted` for a product of `slot`."""
    if offered.one:
        return True  # made to fit everyone
    mine, theirs = _aligned(wanted.readings, slot), _aligned(offered.readings, slot)
    if mine & theirs:
        return True
    # "W32" fits every leg length of waist 32, and a shop listing waists only fits "32/34"
    return any(system == other_system == "waist" and value[0] == other[0] and None in (value[1], other[1])
               for system, value in mine for other_system, other in theirs)


def comparable(wanted: Size, offered: Size, slot: str = "") -> bool:
    """Whether the two sizes are written in a system they share, so that not fitting means another size."""
    if offered.one or wanted.one:
        return True
    return bool({system for system, _ in _aligned(wanted.readings, slot)}
                & {system for system, _ in _aligned(offered.readings, slot)})


def _readings(folded: str, slot: str) -> frozenset[Reading] | None:
    letters = _letters(folded)
    if letters:
        return frozenset(("letter", letter) for letter in letters)
    match = _WITH_SYSTEM.match(folded)
    if match:
        system, number = match["before"] or match["after"], match["number"] or match["number2"]
        if system in SYSTEMS:
            return frozenset({(SYSTEMS[system], _number(number))})
    if _BARE.match(folded):
        return frozenset({("", _number(folded))})
    match = _WAIST_LEG.match(folded)
    if match:
        waist, leg = match["waist"] or match["w"], match["leg"] or match["l"]
        return frozenset({("waist", (int(waist), int(leg) if leg else None))})
    match = _PAIR.match(folded)
    if match:
        one, other = match["one"], match["other"]
        if slot == "bottom":
            return frozenset({("waist", (int(one), int(other)))})
        return frozenset({("", _number(one)), ("", _number(other))})  # a double size: "36/38" is either
    return None


def _aligned(readings: frozenset[Reading], slot: str) -> set[Reading]:
    """Readings in the systems the published tables make one for `slot` (see the module's note)."""
    aligned = set()
    for system, value in readings:
        if slot == "shoes" and (system == "fr" or (system == "" and _at_least(value, SHOE_EU_FROM))):
            system = "eu"
        aligned.add((system, value))
    return aligned


def _at_least(value: object, low: float) -> bool:
    try:
        return float(str(value)) >= low
    except ValueError:
        return False


def _fold(text: str) -> str:
    """Lower case, accents off, the word "size" dropped, "½" and " 1/2" as ".5": how sizes compare."""
    plain = re.sub(r"\s*(?:½|1/2)$", ".5", text.strip()).replace("ß", "ss")
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"\bsize\b|\bsz\b|\btaglia\b(?! unica)|\bgrosse\b|\btaille\b(?! unique)", " ", plain)
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


def _number(text: str) -> str:
    """A size number as text, so that "00" and "0" (two US sizes) stay apart and "38,5" is "38.5"."""
    text = text.replace(",", ".")
    return text.removesuffix(".0") if "." in text else text
