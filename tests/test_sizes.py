"""Sizes as shops and people write them: read into a system and values, and matched only where a table allows."""

from __future__ import annotations

import pytest

from stylist.sizes import fits, read_size


@pytest.mark.parametrize(("text", "system", "values"), [
    ("M", "letter", {"M"}), ("Medium", "letter", {"M"}), ("size: m", "letter", {"M"}),
    ("x-large", "letter", {"XL"}),
    ("2XL", "letter", {"XXL"}), ("xx-large", "letter", {"XXL"}), ("XS/S", "letter", {"XS", "S"}),
    ("S-L", "letter", {"S", "M", "L"}), ("4XL", "letter", {"4XL"}),
    ("IT 40", "it", {40.0}), ("40 IT", "it", {40.0}), ("FR 38", "eu", {38.0}), ("DE 38", "eu", {38.0}),
    ("EU 38.5", "eu", {38.5}), ("38,5", "", {38.5}), ("42 ½", "", {42.5}), ("UK 10", "uk", {10.0}),
    ("US 7.5", "us", {7.5}),
    ("10", "", {10.0}), ("32/34", "waist", {(32, 34)}), ("W32 L34", "waist", {(32, 34)}), ("W32/L30", "waist", {(32, 30)}),
    ("W32", "waist", {(32, None)}), ("One Size", "one", set()), ("TU", "one", set()), ("Taglia unica", "one", set()),
    ("Einheitsgröße", "one", set()), ("4-5 years", "text", {"4-5 years"}),
])
def test_sizes_are_read_into_a_system_and_values(text, system, values):
    size = read_size(text)
    assert (size.system, set(size.values)) == (system, values)
    assert size.text == text


@pytest.mark.parametrize(("wanted", "offered", "match"), [
    ("M", "m", True), ("M", "Medium", True), ("M", "S/M", True), ("M", "S-L", True), ("M", "L", False),
    ("EU 38", "FR 38", True), ("EU 38", "38", True), ("38", "IT 38", True),  # a bare number states no system
    ("IT 40", "EU 40", False), ("IT 40", "EU 36", False), ("UK 10", "US 10", False),  # no conversion across these
    ("M", "38", False), ("38", "M", False),  # letters and numbers differ by brand
    ("W32", "32/34", True), ("32/32", "32/34", False), ("W32 L34", "32/34", True), ("32/34", "W32", True),
    ("M", "one size", True), ("EU 39", "TU", True),
    ("4-5 years", "4-5 Years", True), ("4-5 years", "6-7 years", False),
])
def test_sizes_match_within_one_system_and_through_the_published_table_only(wanted, offered, match):
    assert fits(read_size(wanted), read_size(offered)) is match
