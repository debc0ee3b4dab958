"""The whole pipeline on tiny with a retriever and a scorer the tests control."""

from __future__ import annotations

import numpy as np
import pytest

from stylist.errors import StylistError
from stylist.looks.pipeline import style
from stylist.looks.store import get_look
from tests.looks.conftest import GONE, SOLD_OUT, EmptyRetriever, MeanColourScorer, WordRetriever

STEPS = 2


def make(catalog, user, prompt="an autumn city look", **options):
    options = {"options": 3, "seed": 7, "steps": STEPS, "retriever": WordRetriever(), "scorer": MeanColourScorer(),
               **options}
    return style(catalog.settings, user.id, prompt, **options)


def test_a_look_end_to_end(catalog, user):
    look = make(catalog, user, "a wool coat and a dress for a gallery opening")
    assert len(look.options) == 3 and look.notes == []
    for option in look.options:
        assert option.image.is_file() and option.image.is_relative_to(user.folder / "looks" / look.look_id)
        assert option.products and all(product["url"].startswith("https://shop.test/products/")
                                       for product in option.products)
    stored = get_look(catalog.settings, look.look_id)
    assert stored.to_json() == look.to_json()
