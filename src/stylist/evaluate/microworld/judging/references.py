"""Part 2's measurements: does a product's image, or a person's photo, reach the picture?

Everything is measured on garments and identities no model trained on (wardrobe.py's held-out sets), read by
the world's exact classifier, each number beside what a model that ignores the image would score:
- garment from the product shot: colour, pattern and category right, and all three at once; with the
  product's own shot, with another product's shot (shuffled), with none, and chance (1/72 for all three);
- identity from the person's photo, with no training on that person: the picture wears the person's marker
  (their hat's colour and shape) from their own photo, from another person's (who wears another marker),
  and from no photo;
- both at once: the person of the photo wearing the product of the shot.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import torch

from stylist.evaluate.microworld.training.conditioned import ConditionedModel
from stylist.evaluate.microworld.world.classifier import Reading, classify
from stylist.evaluate.microworld.world.figures import (
    CATEGORIES,
    COLOURS,
    MARKER_COLOURS,
    MARKER_SHAPES,
    PATTERNS,
    SKINS,
    product_shot,
)
from stylist.evaluate.microworld.world.wardrobe import (
    CHANCE_GARMENT,
    HELD_OUT_GARMENTS,
    HELD_OUT_IDENTITIES,
    Examples,
    Garment,
    Identity,
    examples,
)

CHANCE = {"colour": 1 / len(COLOURS), "category": 1 / len(CATEGORIES), "pattern": 1 / len(PATTERNS),
          "all": CHANCE_GARMENT, "marker": 1 / (len(MARKER_COLOURS) * len(MARKER_SHAPES) * len(SKINS))}
EVALUATION_SEED = 5  # the held-out examples; the samples' noise uses seed 1


def reference_scores(model: ConditionedModel, samples: int = 72, steps: int | None = None,
                     ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The measurements above for `model`, and sample grids (each the conditioning images beside the samples)."""
    rng = np.random.default_rng(EVALUATION_SEED)
    draw = _sampler(model, steps)
    grids: dict[str, np.ndarray] = {}

    garments = examples("garment", samples, rng, HELD_OUT_GARMENTS, HELD_OUT_IDENTITIES)
    shuffled = replace(garments, references=[_other_shots(garments.garments, rng)])
    readings = {"with_reference": draw(garments), "shuffled": draw(shuffled),
                "none": draw(replace(garments, task="none", references=[]))}
    grids["garment"] = _grid(garments.references[0], readings["with_reference"][1])
    grids["garment-shuffled"] = _grid(shuffled.references[0], readings["shuffled"][1])
    attributes = {
        attribute: {name: _share(_right(reading, garments.garments, attribute)) for name, (reading, _) in
                    readings.items()} | {"chance": round(CHANCE[attribute], 4)}
        for attribute in ("colour", "pattern", "category", "all")
    }

    people = examples("identity", samples, rng, HELD_OUT_GARMENTS, HELD_OUT_IDENTITIES)
    others = replace(people, references=[other_photos(people, rng)])
    marker_readings = {"own_photo": draw(people), "other_photo": draw(others),
                       "none": draw(replace(people, task="none", references=[]))}
    grids["identity"] = _grid(people.references[0], marker_readings["own_photo"][1])
    grids["identity-other-photo"] = _grid(others.references[0], marker_readings["other_photo"][1])
    markers = {name: _share(_marker_right(reading, people)) for name, (reading, _) in marker_readings.items()}
    # The marker's two halves apart: where a model gets one and misses the other shows here.
    marker_parts = {part: {name: _share(np.array([_part_right(reading, identity, part) for reading, identity in
                                                  zip(readings_, people.identities, strict=True)]))
                           for name, (readings_, _) in marker_readings.items()}
                    for part in ("colour", "shape", "skin")}

    both = examples("both", samples, rng, HELD_OUT_GARMENTS, HELD_OUT_IDENTITIES)
    both_readings, both_images = draw(both)
    grids["both"] = _grid(np.concatenate(both.references, axis=2), both_images)
    garment_right, marker_right = _right(both_readings, both.garments, "all"), _marker_right(both_readings, both)

    every = [reading for reading, _ in (*readings.values(), *marker_readings.values())] + [both_readings]
    scores = {
        "garment_all_right": attributes.pop("all"),
        "garment_attributes": attributes,
        "identity_marker": markers | {"chance": round(CHANCE["marker"], 4)},
        "identity_marker_parts": marker_parts,
        "person_and_product": {"both_right": _share(garment_right & marker_right), "garment_right": _share(garment_right),
                               "marker_right": _share(marker_right),
                               "chance": round(CHANCE["all"] * CHANCE["marker"], 5)},
        "recognisable": _share(np.array([reading.recognisable for batch in every for reading in batch])),
        "samples_per_number": samples,
        "held_out": {"garments": len(HELD_OUT_GARMENTS), "identities": len(HELD_OUT_IDENTITIES)},
    }
    return scores, grids


def _sampler(model: ConditionedModel, steps: int | None):
    def draw(batch: Examples) -> tuple[list[Reading], np.ndarray]:
        generator = torch.Generator().manual_seed(1)
        images = model(batch, generator) if steps is None else model(batch, generator, num_inference_steps=steps)
        return classify(images, PATTERNS), images
    return draw


def _right(readings: list[Reading], garments: list[Garment], attribute: str) -> np.ndarray:
    """Whether each picture is a recognisable figure wearing the garment's `attribute` (or all three): noise
    is read as its nearest template, and must not count."""
    names = ("colour", "pattern", "category") if attribute == "all" else (attribute,)
    return np.array([reading.recognisable and all(getattr(reading, name) == getattr(garment, name) for name in names)
                     for reading, garment in zip(readings, garments, strict=True)])


def _marker_right(readings: list[Reading], batch: Examples) -> np.ndarray:
    """Whether each picture is the identity: a recognisable figure with their hat (colour and shape) and skin."""
    return np.array([reading.recognisable and reading.marker == identity.marker and reading.skin == identity.skin
                     for reading, identity in zip(readings, batch.identities, strict=True)])


def _part_right(reading: Reading, identity: Identity, part: str) -> bool:
    if not reading.recognisable:
        return False
    if part == "skin":
        return reading.skin == identity.skin
    return reading.marker is not None and getattr(reading.marker, part) == getattr(identity.marker, part)


def _share(values: np.ndarray) -> float:
    return round(float(np.mean(values)), 4)


def _other_shots(garments: list[Garment], rng: np.random.Generator) -> np.ndarray:
    """For each target, the shot of another held-out product."""
    shots = []
    for garment in garments:
        others = [other for other in HELD_OUT_GARMENTS if other != garment]
        other = others[rng.integers(len(others))]
        shots.append(product_shot(other.category, other.colour, other.pattern))
    return np.stack(shots)


def other_photos(batch: Examples, rng: np.random.Generator) -> np.ndarray:
    """For each target, the photo of another held-out person, who wears another marker."""
    photos = batch.references[0]
    order = []
    for index, identity in enumerate(batch.identities):
        candidates = [other for other in range(len(photos)) if batch.identities[other].marker != identity.marker]
        order.append(candidates[rng.integers(len(candidates))] if candidates else index)
    return photos[np.array(order)]


def _grid(conditions: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Each sample beside the image(s) it was conditioned on, one pair per cell: (N, 32, 32·k, 3)."""
    return np.concatenate([conditions, samples], axis=2)
