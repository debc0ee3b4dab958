"""The micro-world's exact classifier: reads garment, colour, skin, hair and the identity's hat back from pixels.

It knows how pictures are made (world.py), so it needs no training: each picture is matched against every
garment template (shift × category × colour, drawn as world.py draws them) over the pixels a template
fixes, and the best match gives category, colour and position. Skin and hair are read from the face and
hair regions at that position, and the identity from how much of the hat region is hat-coloured. On clean
renders it is exact; on a model's samples its match error says how much the sample looks like a figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from stylist.evaluate.microworld.world.figures import (
    BACKGROUND,
    CATEGORIES,
    COLOURS,
    HAIRS,
    HAT,
    MARKER_COLOURS,
    SHIFTS,
    SIZE,
    SKINS,
    Marker,
    garment_layers,
    pattern_mask,
    regions,
)

# A sample whose garment template matches to within this root-mean-square error (0–255 per channel) is a
# recognisable figure; clean renders score 0, pure noise about 100.
RECOGNISABLE_ERROR = 40.0
# A pixel is hat-coloured within this distance of the hat's colour; the identity wears it when most of
# the hat region is.
HAT_DISTANCE = 80.0
HAT_SHARE = 0.5


@dataclass(frozen=True)
class Reading:
    """What the classifier reads in one picture."""

    category: str
    colour: str
    skin: str
    hair: str
    shift: int
    hat: bool
    error: float  # RMS distance to the best garment template, 0–255
    pattern: str = "plain"
    marker: Marker | None = None  # part 2's hats

    @property
    def recognisable(self) -> bool:
        return self.error <= RECOGNISABLE_ERROR


@lru_cache(maxsize=2)
def _templates(patterns: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str, str, str]]]:
    """Every garment template as (pixels, known-pixel weights, (shift, category, colour, pattern)), flattened.

    Skin, hair, arms (skin or sleeve), shins (skin under a dress) and the hat region vary from person to
    person, so templates leave them out; what remains is the garment, the other clothes and the background.
    """
    pixels, weights, labels = [], [], []
    for shift in SHIFTS:
        masks = regions(shift)
        unknown = masks["hair"] | masks["face"] | masks["neck"] | masks["arms"] | masks["shins"] | masks["hat"]
        for category in CATEGORIES:
            for colour, rgb in COLOURS.items():
                for pattern in patterns:
                    image = np.empty((SIZE, SIZE, 3), dtype=np.float32)
                    image[:] = BACKGROUND
                    for mask, layer_colour in garment_layers(category, rgb, None, masks, pattern_mask(pattern, shift)):
                        if layer_colour is not None:
                            image[mask] = layer_colour
                    pixels.append(image.reshape(-1))
                    weights.append(np.repeat(~unknown, 3).astype(np.float32))
                    labels.append((shift, category, colour, pattern))
    return np.stack(pixels), np.stack(weights), labels


def _nearest(colours: np.ndarray, palette: dict[str, tuple[int, int, int]]) -> list[str]:
    names = list(palette)
    distances = np.linalg.norm(colours[:, None, :] - np.array([palette[name] for name in names])[None], axis=-1)
    return [names[index] for index in distances.argmin(axis=1)]


def classify(images: np.ndarray, patterns: tuple[str, ...] = ("plain",)) -> list[Reading]:
    """Read (N, 32, 32, 3) uint8 pictures; garments are matched in each of `patterns` (part 1's are plain)."""
    x = images.reshape(len(images), -1).astype(np.float32)
    pixels, weights, labels = _templates(tuple(patterns))
    # Weighted squared distance to every template at once: Σw(x−t)² = Σw·x² − 2Σw·t·x + Σw·t².
    squared = (x**2) @ weights.T - 2 * x @ (weights * pixels).T + (weights * pixels**2).sum(axis=1)
    mean_squared = np.maximum(squared, 0) / weights.sum(axis=1)
    best = mean_squared.argmin(axis=1)
    readings = []
    for image, index in zip(images.astype(np.float32), best, strict=True):
        shift, category, colour, pattern = labels[index]
        masks = regions(shift)
        face = masks["face"].copy()
        face[:5] = False  # the hat's brim covers the face's top row
        skin = _nearest(np.median(image[face], axis=0)[None], SKINS)[0]
        hair = _nearest(np.median(image[masks["hair"]], axis=0)[None], HAIRS)[0]
        hat_pixels = np.linalg.norm(image[masks["hat"]] - np.array(HAT), axis=-1) < HAT_DISTANCE
        readings.append(Reading(category, colour, skin, hair, shift, bool(hat_pixels.mean() > HAT_SHARE),
                                float(np.sqrt(mean_squared[len(readings), index])), pattern,
                                read_marker(image, masks)))
    return readings


def read_marker(image: np.ndarray, masks: dict[str, np.ndarray]) -> Marker | None:
    """The hat a picture wears, if most of the hat's crown is one marker colour; brimmed if most of the brim is."""
    crown = image[masks["beanie"]]
    names = list(MARKER_COLOURS)
    distances = np.linalg.norm(crown[:, None, :] - np.array([MARKER_COLOURS[name] for name in names])[None], axis=-1)
    shares = (distances < HAT_DISTANCE).mean(axis=0)
    if shares.max() <= HAT_SHARE:
        return None
    colour = names[int(shares.argmax())]
    brim = np.linalg.norm(image[masks["brim"]] - np.array(MARKER_COLOURS[colour]), axis=-1) < HAT_DISTANCE
    return Marker(colour, "brim" if brim.mean() > HAT_SHARE else "beanie")
