"""The figure gate: a picture counts only if it shows a figure that was drawn, not an image that was handed back.

The classifier reads any picture as its nearest garment template, and part 2 found that a product shot pasted
on grey is read as the whole garment right, and a person's photo returned unchanged as the person. So before a
picture is credited with anything, it must pass all of:
- **a figure:** the best garment template fits within `FIGURE_ERROR` (tighter than the classifier's 40, which a
  blank grey picture nearly passes);
- **a face:** the face region at the read position is a skin tone (within `FACE_DISTANCE` of one);
- **a head:** above it, hair of a hair colour or a marker hat;
- **not a copy:** the picture is more than `COPY_LEVELS` (mean absolute difference, levels of 255) from every
  image it was given.
Beside the verdict, the copy rates every number is reported with: how far each picture is from its nearest
reference, and whether its content stands where a reference's does (`SAME_POSITION_IOU` overlap of the
non-ground pixels), which an editor that pastes in place does and a model drawing its own figure does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from stylist.evaluate.microworld.world.classifier import Reading
from stylist.evaluate.microworld.world.figures import BACKGROUND, HAIRS, SKINS, regions
from stylist.evaluate.microworld.world.off_pose import content_mask

FIGURE_ERROR = 30.0
FACE_DISTANCE = 40.0
HAIR_DISTANCE = 60.0
COPY_LEVELS = 6.0
SAME_POSITION_IOU = 0.8


@dataclass(frozen=True)
class Gated:
    """The gate's verdict on a batch of pictures, each check apart, and the copy rates."""

    figure: np.ndarray  # (N,) bool: the template fits tightly
    face: np.ndarray
    head: np.ndarray
    copy: np.ndarray  # within COPY_LEVELS of an image it was given
    nearest_reference: np.ndarray  # (N,) float: levels to the nearest image given (inf with none)
    same_position: np.ndarray  # (N,) bool: content where a given image's content is

    @property
    def passed(self) -> np.ndarray:
        return self.figure & self.face & self.head & ~self.copy

    def to_json(self) -> dict[str, Any]:
        finite = self.nearest_reference[np.isfinite(self.nearest_reference)]
        return {"passed": _share(self.passed), "figure": _share(self.figure), "face": _share(self.face),
                "head": _share(self.head), "copy": _share(self.copy), "same_position": _share(self.same_position),
                "nearest_reference_levels": round(float(finite.mean()), 2) if len(finite) else None}


def gate(pictures: np.ndarray, readings: list[Reading], references: list[np.ndarray]) -> Gated:
    """The gate on (N, 32, 32, 3) uint8 `pictures` as the classifier read them, each given the images at its
    index of `references` (one (N, 32, 32, 3) array per image slot; empty for pictures made from text alone)."""
    figure, face, head = [], [], []
    for picture, reading in zip(pictures.astype(np.float32), readings, strict=True):
        masks = regions(reading.shift)
        skin_pixels = masks["face"].copy()
        skin_pixels[:5] = False  # the hat's brim may cover the face's top row
        figure.append(reading.error <= FIGURE_ERROR)
        face.append(_distance(np.median(picture[skin_pixels], axis=0), SKINS) <= FACE_DISTANCE)
        head.append(reading.marker is not None
                    or _distance(np.median(picture[masks["hair"]], axis=0), HAIRS) <= HAIR_DISTANCE)
    nearest = np.full(len(pictures), np.inf)
    same = np.zeros(len(pictures), dtype=bool)
    drawn = [content_mask(picture, BACKGROUND) for picture in pictures]
    for given in references:
        levels = np.abs(pictures.astype(np.float32) - given.astype(np.float32)).mean(axis=(1, 2, 3))
        nearest = np.minimum(nearest, levels)
        for index, image in enumerate(given):
            same[index] |= _overlap(drawn[index], content_mask(image, _ground(image))) >= SAME_POSITION_IOU
    return Gated(np.array(figure), np.array(face), np.array(head), nearest <= COPY_LEVELS, nearest, same)


def _distance(colour: np.ndarray, palette: dict[str, tuple[int, int, int]]) -> float:
    return float(np.linalg.norm(np.array(list(palette.values()), np.float32) - colour, axis=-1).min())


def _ground(image: np.ndarray) -> tuple[int, int, int]:
    """A picture's ground colour: the median of its border (white for a product shot, grey for a photo)."""
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    return tuple(int(value) for value in np.median(border, axis=0))  # type: ignore[return-value]


def _overlap(first: np.ndarray, second: np.ndarray) -> float:
    union = (first | second).sum()
    return float((first & second).sum() / union) if union else 0.0


def _share(values: np.ndarray) -> float:
    return round(float(np.mean(values)), 4) if len(values) else 0.0
