"""Sizes as shops and people write them: read into systems and values, and matched only where a table allows."""

from __future__ import annotations

import pytest

from stylist.sizes import comparable, fits, read_size


@pytest.mark.parametrize(("text", "slot", "readings"), [
    ("M", "", {("letter", "M")}), ("Medium", "", {("letter", "M")}), ("size: m", "", {("letter", "M")}),
    ("x-large", "", {("letter", "XL")}), ("2XL", "", {("letter", "XXL")}), ("2X", "", {("letter", "XXL")}),
    ("xx-large", "", {("letter", "XXL")}), ("XXXXL", "", {("letter", "4XL")}),
    ("XS/S", "", {("letter", "XS"), ("letter", "S")}), ("S-L", "", {("letter", "S"), ("letter", "M"), ("letter", "L")}),
    ("IT 40", "", {("it", "40")}), ("40 IT", "", {("it", "40")}), ("EUR 38", "", {("eu", "38")}),
    ("DE 38", "", {("eu", "38")}), ("FR 38", "", {("fr", "38")}), ("EU 38.5", "", {("eu", "38.5")}),
    ("38,5", "", {("", "38.5")}), ("42 ½", "", {("", "42.5")}), ("38 1/2", "", {("", "38.5")}),
    ("UK 10", "", {("uk", "10")}), ("US 7.5", "", {("us", "7.5")}), ("0", "", {("", "0")}), ("00", "", {("", "00")}),
    ("36/38", "dress", {("", "36"), ("", "38")}), ("32/34", "bottom", {("waist", (32, 34))}),
    ("W32 L34", "", {("waist", (32, 34))}), ("W32/L30", "", {("waist", (32, 30))}), ("32x34", "", {("waist", (32, 34))}),
    ("W32", "", {("waist", (32, None))}), ("EU 39 / UK 6", "shoes", {("eu", "39"), ("uk", "6")}),
    ("4-5 years", "", {("text", "4-5 years")}),
])
def test_sizes_are_read_into_systems_and_values(text, slot, readings):
    size = read_size(text, slot)
    assert set(size.readings) == readings and not size.one and size.text == text


@pytest.mark.parametrize("text", ["One Size", "TU", "O/S", "OS", "Taglia unica", "Unica", "Einheitsgröße", "onesize"])
def test_one_size_is_read_in_the_words_shops_use(text):
    assert read_size(text).one


@pytest.mark.parametrize(("wanted", "offered", "slot", "match"), [
    ("M", "m", "top", True), ("M", "Medium", "top", True), ("M", "S/M", "top", True), ("M", "S-L", "top", True),
    ("M", "L", "top", False),
    ("EU 38", "DE 38", "dress", True), ("DE 38", "FR 38", "dress", False),  # French clothing runs two above
    ("EU 39", "FR 39", "shoes", True), ("EU 39", "39", "shoes", True),  # one European shoe scale; 39 is European
    ("UK 8", "8", "shoes", False), ("38", "38", "dress", True), ("38", "IT 38", "dress", False),
    ("EU 38", "38", "dress", False),  # a bare clothing number states no system
    ("IT 40", "EU 40", "dress", False), ("UK 10", "US 10", "dress", False),  # no conversion across these
    ("M", "38", "dress", False), ("38", "M", "dress", False),  # letters and numbers differ by brand
    ("36", "36/38", "dress", True), ("0", "00", "dress", False),
    ("W32", "32/34", "bottom", True), ("32/32", "32/34", "bottom", False), ("W32 L34", "32/34", "bottom", True),
    ("32/34", "W32", "bottom", True), ("UK 6", "EU 39 / UK 6", "shoes", True),
    ("M", "one size", "top", True), ("EU 39", "TU", "shoes", True),
    ("4-5 years", "4-5 Years", "top", True), ("4-5 years", "6-7 years", "top", False),
])
def test_sizes_match_within_one_system_and_through_the_published_tables_only(wanted, offered, slot, match):
    assert fits(read_size(wanted, slot), read_size(offered, slot), slot) is match


def test_sizes_in_systems_nothing_converts_are_not_comparable():
    assert not comparable(read_size("M"), read_size("IT 40"), "dress")
    assert comparable(read_size("M"), read_size("L"), "dress") and comparable(read_size("EU 39"), read_size("40", "shoes"), "shoes")
