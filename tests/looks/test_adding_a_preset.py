"""A preset is one row of the preset table: a new one, with its own sampler and frame, runs a whole look without
a line of code changed anywhere else (the README's "Where to add" list says the same)."""

from __future__ import annotations

from dataclasses import replace

from PIL import Image

from stylist.looks.pipeline import Seams, style
from stylist.looks.recipe import Recipe
from stylist.presets import PRESETS, get_preset
from stylist.settings import Settings
from tests.looks.fakes import MeanColourScorer, WordRetriever


def test_a_preset_added_as_a_table_row_draws_a_look_with_its_own_sampler_and_frame(monkeypatch, catalog, user):
    row = replace(get_preset("tiny-klein"), name="tiny-klein-quick", steps=2, guidance=1.0, look_size=(48, 80))
    monkeypatch.setitem(PRESETS, row.name, row)
    monkeypatch.setenv("STYLIST_PRESET", row.name)
    settings = Settings.from_env(data_dir=str(catalog.settings.data_dir), device="cpu")
    drawing = []

    look = style(settings, user.id, "a red silk dress", options=1, seed=5, recipe=Recipe(candidates=1),
                 seams=Seams(retriever=WordRetriever(), scorer=MeanColourScorer()),
                 on_progress=lambda progress: drawing.append(progress.total) if progress.stage == "generate" else None)

    assert look.settings["preset"] == "tiny-klein-quick" and look.settings["identity"] == "reference photo"
    assert [total for total in drawing if total] == [2, 2]  # its two steps, not the family's four
    assert Image.open(look.options[0].image).size == (48, 80)
    assert look.options[0].references  # drawn from the products' own photos, as its family does
