"""The same product in several shops: by barcode, by brand and part number, by brand, title and picture; never
two products of one shop, never a crowd behind a generic key."""

from __future__ import annotations

from stylist.catalog.matching import Listing, gtin14, match

PICTURE = "f0" * 32  # a 256-bit perceptual hash as the catalog stores it
NEAR = "f0" * 31 + "f3"  # two bits away: the same picture re-encoded
OTHER = "0f" * 32  # another picture


def test_gtins_are_read_with_their_check_digit():
    assert gtin14("4006381333931") == "04006381333931"  # EAN-13
    assert gtin14("0 12345 67890 5") == "00012345678905"  # UPC-A as printed
    assert gtin14("96385074") == "00000096385074"  # EAN-8
    assert gtin14("4006381333932") == gtin14("123") == gtin14("00000000") == ""  # wrong check digit, too short, zero


def test_listings_are_matched_by_the_strongest_evidence_they_share():
    listings = [
        Listing(1, "a.test", "Ostra Studio", "Navy Crepe Dress", gtins=("4006381333931",)),
        Listing(2, "b.test", "OSTRA STUDIO", "Women's crepe dress, navy", gtins=("04006381333931", "4006381333948")),
        Listing(3, "a.test", "Halden Row", "Poplin Shirt", mpn="HR-1234-X"),
        Listing(4, "c.test", "Halden Row", "Ivory shirt in poplin", mpn="hr 1234 x"),
        Listing(5, "a.test", "Émile Sauvé", "Burgundy Leather Boots", phashes=(PICTURE,)),
        Listing(6, "d.test", "Emile Sauve", "Leather Boots Burgundy - new season", phashes=(OTHER, NEAR)),
    ]
    found = match(listings)
    assert sorted(map(sorted, found.groups)) == [[1, 2], [3, 4], [5, 6]]
    assert found.reasons[frozenset((1, 2))] == "gtin" and found.reasons[frozenset((3, 4))] == "mpn"
    assert found.reasons[frozenset((5, 6))] == "picture"
    assert found.same_as(2) == [1] and found.same_as(99) == []


def test_what_tells_products_apart_keeps_them_apart():
    listings = [
        # the same picture and title, other brands: a reseller's lookalike is not the product
        Listing(1, "a.test", "Maison Verlaine", "Red Silk Dress", phashes=(PICTURE,)),
        Listing(2, "b.test", "Ostra Studio", "Red Silk Dress", phashes=(PICTURE,)),
        # one brand, one picture, titles that share little: a photo reused for another product
        Listing(3, "a.test", "Linnea Varg", "Olive Tweed Jacket", phashes=(OTHER,)),
        Listing(4, "b.test", "Linnea Varg", "Black Suede Loafers", phashes=(OTHER,)),
        # one brand and title, other pictures
        Listing(5, "a.test", "Brume & Fils", "Wool Scarf", phashes=(PICTURE,)),
        Listing(6, "b.test", "Brume and Fils", "Wool Scarf", phashes=(OTHER,)),
        # one shop's two products with one barcode: a shop's error, not a match
        Listing(7, "a.test", "Odile", "Bag", gtins=("96385074",)),
        Listing(8, "a.test", "Odile", "Bag L", gtins=("96385074",)),
        # a part number too short to be one
        Listing(9, "a.test", "Odile", "Belt", mpn="12"),
        Listing(10, "b.test", "Odile", "Hat", mpn="12"),
    ]
    assert match(listings).groups == []


def test_a_key_shared_by_a_crowd_is_no_evidence():
    crowd = [Listing(n, f"shop{n}.test", "Basics", "T-shirt", mpn="TEE-0001") for n in range(20)]
    assert match(crowd).groups == []


def test_what_two_listings_state_differently_keeps_them_apart_and_a_picture_match_takes_the_best_one():
    listings = [
        # alike pictures and titles, but other colours, other barcodes, other part numbers
        Listing(1, "a.test", "Linnea Varg", "Blush Pink Striped Leather Shoes", phashes=(PICTURE,), color="Blush Pink"),
        Listing(2, "b.test", "Linnea Varg", "Sky Blue Striped Leather Shoes", phashes=(NEAR,), color="Sky Blue"),
        Listing(3, "a.test", "Ostra Studio", "Black Silk Scarf", phashes=(PICTURE,), gtins=("4006381333931",)),
        Listing(4, "b.test", "Ostra Studio", "Black Cashmere Scarf", phashes=(PICTURE,), gtins=("96385074",)),
        Listing(5, "a.test", "Halden Row", "Black Wool Hat", phashes=(OTHER,), mpn="HR-1100198"),
        Listing(6, "b.test", "Halden Row", "Black Felt Hat", phashes=(OTHER,), mpn="HR-1100288"),
    ]
    assert match(listings).groups == []
    # one reseller's listing alike two of the maker's: it is the one whose title it shares most
    hats = [Listing(1, "maker.test", "Halden Row", "Black Straw Hat", phashes=(PICTURE,), color="Black"),
            Listing(2, "maker.test", "Halden Row", "Black Wool Hat", phashes=(PICTURE,), color="Black"),
            Listing(3, "resell.test", "Halden Row", "Women's black wool hat", phashes=(NEAR,), color="black")]
    assert [sorted(group) for group in match(hats).groups] == [[2, 3]]
