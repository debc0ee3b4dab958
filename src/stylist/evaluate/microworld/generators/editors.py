"""Editors with no model in them: what a score must not credit, and the floors every number is set beside.

Each takes the same input as a trained generator (an `Examples` batch, a torch generator, a step count it
ignores) and returns pictures, so the same judging runs on it:
- `PastedShot` lays the product shot's garment on a grey ground: the garment, and no person;
- `ReturnedPhoto` hands back the person's photo unchanged: the person, and no new picture;
- `Compositor` lays each product shot's garment pixels over the person's photo, where the shot has them: the
  obvious editor with no model, right only where a shot already stands where the person wears it;
- `AlwaysPlain` draws a clean figure in the right colour and category of garment, always plain: the floor of a
  model that carries what a garment is but never its print. It is told the answer (the batch's garments), so
  it is a floor, not an editor.
"""

from __future__ import annotations

import numpy as np
import torch

from stylist.evaluate.microworld.world.figures import BACKGROUND, PRODUCT_BACKGROUND, SIZE, Figure, render
from stylist.evaluate.microworld.world.off_pose import content_mask
from stylist.evaluate.microworld.world.wardrobe import Examples

# Where each task's images are: the person's photo first, then the product shot (wardrobe.examples).
PHOTO_SLOT = {"identity": 0, "both": 0}
SHOT_SLOT = {"garment": 0, "both": 1}


def _grey(count: int) -> np.ndarray:
    pictures = np.empty((count, SIZE, SIZE, 3), dtype=np.uint8)
    pictures[:] = BACKGROUND
    return pictures


def _lay_shots(pictures: np.ndarray, batch: Examples) -> np.ndarray:
    """`pictures` with the shot's garment pixels (everything that is not the shot's white) laid over them."""
    if batch.task in SHOT_SLOT:
        shots = batch.references[SHOT_SLOT[batch.task]]
        for picture, shot in zip(pictures, shots, strict=True):
            garment = content_mask(shot, PRODUCT_BACKGROUND)
            picture[garment] = shot[garment]
    return pictures


class PastedShot:
    """The product shot's garment on grey (grey alone when the task has no shot)."""

    def __call__(self, batch: Examples, generator: torch.Generator, num_inference_steps: int = 0) -> np.ndarray:
        return _lay_shots(_grey(len(batch.targets)), batch)


class ReturnedPhoto:
    """The person's photo as it was given (grey when the task has none)."""

    def __call__(self, batch: Examples, generator: torch.Generator, num_inference_steps: int = 0) -> np.ndarray:
        if batch.task in PHOTO_SLOT:
            return batch.references[PHOTO_SLOT[batch.task]].copy()
        return _grey(len(batch.targets))


class Compositor:
    """The product shots' garments laid over the person's photo (over grey when there is no photo)."""

    def __call__(self, batch: Examples, generator: torch.Generator, num_inference_steps: int = 0) -> np.ndarray:
        base = ReturnedPhoto()(batch, generator)
        return _lay_shots(base, batch)


class AlwaysPlain:
    """A clean figure in each target's garment category and colour, printed plain, with the target's person."""

    def __call__(self, batch: Examples, generator: torch.Generator, num_inference_steps: int = 0) -> np.ndarray:
        pictures = []
        for garment, identity in zip(batch.garments, batch.identities, strict=True):
            pictures.append(render(Figure(garment.category, garment.colour, identity.skin if identity else "tan",
                                          "black", 0, marker=identity.marker if identity else None)))
        return np.stack(pictures)
