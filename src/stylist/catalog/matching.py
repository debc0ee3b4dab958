"""The same product sold by several shops: matched by barcode, else brand and part number, else brand, title
and picture.

Evidence in order of strength, as price-comparison sites use it:

1. **GTIN** (EAN/UPC/JAN barcode): one number per product and size worldwide, so two listings sharing any of
   their sizes' barcodes are one product. Read as GTIN-14 (zero-padded) and kept only when its GS1 check
   digit is right, so a shop's internal number in a `gtin` field matches nothing.
2. **Brand and MPN** (the maker's part number): unique within a brand, written with dashes and spaces as
   each shop likes, so compared on letters and digits only.
3. **Brand, title and picture**: resellers retitle products ("Women's Navy Crepe Dress" for "Navy Crepe
   Dress") but use the maker's photos. Two products match when their brands are the same, their titles
   share most of their words once the brand is taken out, and two of their pictures are the same picture
   (perceptual hashes within `NEAR_DUPLICATE_DISTANCE` bits, the catalog's own test for a re-encoded copy).

Only products of different shops are matched: within one shop the crawler already keeps each product once.
A barcode or part number that two products of one shop share says nothing here, and neither does a rule
that would join more than `MAX_GROUP` products: such groups are a generic title ("T-shirt"), not a product.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import imagehash

from stylist.imaging import NEAR_DUPLICATE_DISTANCE

MIN_TITLE_OVERLAP = 0.5  # shared title words over the shorter title's words, brand words left out
MIN_MPN_LENGTH = 4  # shorter "part numbers" are sizes and colour codes
BANDS = 16  # of a picture's hash, for finding near pictures without comparing every pair (see _by_picture)
MAX_GROUP = 12  # more shops than this selling one product is a sign the key is too loose
# Words resellers add to a title that say nothing about which product it is.
FILLER = frozenset(["the", "a", "an", "and", "with", "for", "in", "of", "by", "women", "womens", "woman", "men",
                    "mens", "man", "unisex", "new", "ladies"])


@dataclass(frozen=True)
class Listing:
    """What the matcher knows of one stored product."""

    id: int
    shop: str
    designer: str
    title: str
    gtins: tuple[str, ...] = ()  # the product's and its sizes' barcodes: each size has its own
    mpn: str = ""
    phashes: tuple[str, ...] = ()
    color: str = ""


@dataclass
class Matches:
    """Groups of listings that are one product, each with the evidence that joined it."""

    groups: list[set[int]] = field(default_factory=list)
    reasons: dict[frozenset[int], str] = field(default_factory=dict)  # a matched pair: "gtin", "mpn", "picture"

    def __post_init__(self) -> None:
        self._group_of = {member: group for group in self.groups for member in group}

    def same_as(self, listing_id: int) -> list[int]:
        """The other listings of the same product, lowest id first."""
        return sorted(self._group_of.get(listing_id, set()) - {listing_id})


def match(listings: Sequence[Listing]) -> Matches:
    """The listings of `listings` that are the same product in different shops, grouped."""
    parent = {listing.id: listing.id for listing in listings}

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    reasons: dict[frozenset[int], str] = {}
    for reason, pairs in (("gtin", _by_key(listings, lambda each: {gtin14(value) for value in each.gtins})),
                          ("mpn", _by_key(listings, lambda each: {_brand_mpn(each)})),
                          ("picture", _by_picture(listings))):
        for one, other in pairs:
            if root(one) != root(other):
                parent[root(one)] = root(other)
            reasons.setdefault(frozenset((one, other)), reason)
    groups: dict[int, set[int]] = defaultdict(set)
    for listing in listings:
        groups[root(listing.id)].add(listing.id)
    return Matches([group for group in groups.values() if len(group) > 1], reasons)


def gtin14(value: str) -> str:
    """A GTIN-8/12/13/14 as 14 digits when its check digit is right, else empty."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) not in (8, 12, 13, 14) or not digits.strip("0"):
        return ""
    digits = digits.zfill(14)
    # GS1: weights 3 and 1 alternate from the right, the check digit excluded
    total = sum(int(digit) * (3 if position % 2 == 0 else 1) for position, digit in enumerate(reversed(digits[:-1])))
    return digits if (10 - total % 10) % 10 == int(digits[-1]) else ""


def _brand_mpn(listing: Listing) -> str:
    mpn = re.sub(r"[^0-9a-z]", "", _fold(listing.mpn))
    brand = _brand(listing.designer)
    return f"{brand}|{mpn}" if brand and len(mpn) >= MIN_MPN_LENGTH and any(ch.isdigit() for ch in mpn) else ""


def _by_key(listings: Sequence[Listing], keys: Callable[[Listing], set[str]]) -> Iterable[tuple[int, int]]:
    """Pairs of listings of different shops that share a key, from keys no shop repeats and no crowd shares."""
    by_key: dict[str, list[Listing]] = defaultdict(list)
    for listing in listings:
        for value in keys(listing) - {""}:
            by_key[value].append(listing)
    for members in by_key.values():
        shops = [member.shop for member in members]
        if len(members) < 2 or len(set(shops)) != len(shops) or len(members) > MAX_GROUP:
            continue
        yield from ((members[0].id, member.id) for member in members[1:])


def _by_picture(listings: Sequence[Listing]) -> Iterable[tuple[int, int]]:
    """Pairs of the same brand, in different shops, with most title words in common and one picture alike,
    where nothing they state tells them apart (another barcode, part number or colour), each the other's
    best such match in its shop: a maker's black wool hat and black straw hat may both look like a reseller's
    "black wool hat", which is one of them.

    Only pairs whose pictures share a band of their hash are compared: a hash split into more bands than
    `NEAR_DUPLICATE_DISTANCE` bits can spoil leaves two near pictures at least one equal band, so nothing
    near is missed and a big catalog is not compared pair by pair.
    """
    buckets: dict[tuple[str, int, str], list[Listing]] = defaultdict(list)
    for listing in listings:
        brand = _brand(listing.designer)
        for value in listing.phashes if brand else ():
            width = max(1, len(value) // BANDS)
            for band in range(BANDS):
                buckets[(brand, band, value[band * width:(band + 1) * width])].append(listing)
    seen: set[frozenset[int]] = set()
    # listing id, other shop: (how alike, the other listing's id)
    best: dict[tuple[int, str], tuple[tuple[float, int], int]] = {}
    for (brand, _, _), members in buckets.items():
        for number, one in enumerate(members):
            for other in members[number + 1:]:
                pair = frozenset((one.id, other.id))
                if one.shop == other.shop or pair in seen:
                    continue
                seen.add(pair)
                overlap = _overlap(_title_words(one.title, brand), _title_words(other.title, brand))
                distance = _picture_distance(one.phashes, other.phashes)
                if overlap < MIN_TITLE_OVERLAP or distance > NEAR_DUPLICATE_DISTANCE or _told_apart(one, other):
                    continue
                likeness = (overlap, -distance)
                for mine, theirs in ((one, other), (other, one)):
                    key = (mine.id, theirs.shop)
                    if key not in best or best[key][0] < likeness:
                        best[key] = (likeness, theirs.id)
    by_id = {listing.id: listing for listing in listings}
    for (one_id, _), (_, other_id) in best.items():
        if one_id < other_id and best.get((other_id, by_id[one_id].shop), (None, None))[1] == one_id:
            yield one_id, other_id


def _told_apart(one: Listing, other: Listing) -> bool:
    """Whether the two state something that differs: barcodes that share none, part numbers, colours."""
    mine, theirs = {gtin14(value) for value in one.gtins} - {""}, {gtin14(value) for value in other.gtins} - {""}
    if mine and theirs and not mine & theirs:
        return True
    if _brand_mpn(one) and _brand_mpn(other) and _brand_mpn(one) != _brand_mpn(other):
        return True
    colours = _fold(one.color).strip(), _fold(other.color).strip()
    return all(colours) and colours[0] != colours[1]


def _picture_distance(ones: Sequence[str], others: Sequence[str]) -> int:
    """Bits between the two listings' most alike pictures."""
    return min((imagehash.hex_to_hash(one) - imagehash.hex_to_hash(other) for one in ones for other in others),
               default=10**6)


def _overlap(one: set[str], other: set[str]) -> float:
    if not one or not other:
        return 0.0
    return len(one & other) / min(len(one), len(other))


def _title_words(title: str, brand: str) -> set[str]:
    brand_words = set(brand.split())
    return {word for word in re.findall(r"[0-9a-z]+", _fold(title))
            if word not in FILLER and word not in brand_words and len(word) > 1}


def _brand(designer: str) -> str:
    """A brand as words without accents, case or punctuation: "Émile Sauvé" and "EMILE SAUVE" are one."""
    return " ".join(re.findall(r"[0-9a-z]+", _fold(designer).replace("&", " and ")))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().casefold()
