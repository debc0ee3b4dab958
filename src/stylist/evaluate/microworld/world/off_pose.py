"""Off-pose references: product shots and person photos displaced from where the picture to be made has them.

Part 2's product shot was the garment's worn mask at the canonical place, and the figure to be drawn stood at
most 2 pixels away: a model could score by copying pixels in place. Here every reference is moved before it is
given, uncorrelated with the target's position, as a shop's shot and a person's snapshot are:
- a **product shot** is scaled by 0.75–1.25 about the garment's centre, mirrored half the time, and moved 4–12
  pixels in a random direction (kept whole inside the frame);
- a **person's photo** shows them at another shift than the target, in another garment, scaled by 0.7–0.9
  (a snapshot from further away), mirrored half the time, and moved 3–8 pixels (kept whole).
The print scales with the garment, so a shot's dots, stripes or checks are no longer on the target's pixel
grid: the model has to recognise the print and draw it on its own figure, not copy it.

Pictures are transformed at 4× with bilinear sampling and reduced by averaging, as a resized shop photo is:
edges and prints come out antialiased, not as nearest-neighbour blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from stylist.evaluate.microworld.world.figures import BACKGROUND, PRODUCT_BACKGROUND, SIZE, product_shot

OVERSAMPLE = 4
SHOT_SCALES = (0.75, 1.25)
SHOT_SHIFTS = (4.0, 12.0)
PHOTO_SCALES = (0.7, 0.9)
PHOTO_SHIFTS = (3.0, 8.0)
# A pixel belongs to the content, not the ground, when it is this far from the ground's colour.
CONTENT_DISTANCE = 24.0


@dataclass(frozen=True)
class Displacement:
    """A similarity transform of a 32-pixel picture: scale about `centre`, mirror, then move by (dx, dy)."""

    scale: float
    mirrored: bool
    dx: float
    dy: float
    centre: tuple[float, float]  # (x, y) the content's centre, in pixels

    def apply(self, picture: np.ndarray, ground: tuple[int, int, int]) -> np.ndarray:
        """`picture` (32, 32, 3) uint8 transformed, uncovered pixels filled with `ground`."""
        big = Image.fromarray(picture).resize((SIZE * OVERSAMPLE,) * 2, Image.NEAREST)
        cx, cy = (value * OVERSAMPLE for value in self.centre)
        # PIL maps each output pixel (x, y) back to the input: x_in = a·x + b·y + c, y_in = d·x + e·y + f.
        sign = -1.0 if self.mirrored else 1.0
        a, e = sign / self.scale, 1.0 / self.scale
        c = cx - a * (cx + self.dx * OVERSAMPLE)
        f = cy - e * (cy + self.dy * OVERSAMPLE)
        moved = big.transform(big.size, Image.AFFINE, (a, 0.0, c, 0.0, e, f), resample=Image.BILINEAR,
                              fillcolor=ground)
        return np.asarray(moved.resize((SIZE, SIZE), Image.BOX))

    def mask(self, mask: np.ndarray) -> np.ndarray:
        """Where a boolean (32, 32) mask lands under the transform (more than half covered)."""
        ink = np.where(mask[..., None], 255, 0).astype(np.uint8).repeat(3, axis=-1)
        return self.apply(ink, (0, 0, 0))[..., 0] > 127


def content_box(picture: np.ndarray, ground: tuple[int, int, int]) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), exclusive ends, of the pixels that are not `ground`."""
    rows, columns = np.nonzero(content_mask(picture, ground))
    return int(rows.min()), int(rows.max()) + 1, int(columns.min()), int(columns.max()) + 1


def content_mask(picture: np.ndarray, ground: tuple[int, int, int]) -> np.ndarray:
    return np.linalg.norm(picture.astype(np.float32) - np.array(ground, np.float32), axis=-1) > CONTENT_DISTANCE


def displacement(picture: np.ndarray, ground: tuple[int, int, int], scales: tuple[float, float],
                 shifts: tuple[float, float], rng: np.random.Generator) -> Displacement:
    """A random transform of `picture`'s content that keeps it whole inside the frame: a scale in `scales`, a
    mirror half the time, and a move of a length in `shifts` in a random direction (directions that would push
    the content out are drawn again; the shortest move is the fallback)."""
    top, bottom, left, right = content_box(picture, ground)
    centre = ((left + right) / 2, (top + bottom) / 2)
    scale, mirrored = float(rng.uniform(*scales)), bool(rng.random() < 0.5)
    half_width, half_height = (right - left) * scale / 2, (bottom - top) * scale / 2
    # How far the content's centre may move each way and stay inside the frame (one pixel of margin).
    room_x = (centre[0] - half_width - 1, SIZE - 1 - centre[0] - half_width)
    room_y = (centre[1] - half_height - 1, SIZE - 1 - centre[1] - half_height)
    for _ in range(64):
        length, angle = float(rng.uniform(*shifts)), float(rng.uniform(0, 2 * np.pi))
        dx, dy = length * np.cos(angle), length * np.sin(angle)
        if -room_x[0] <= dx <= room_x[1] and -room_y[0] <= dy <= room_y[1]:
            return Displacement(scale, mirrored, dx, dy, centre)
    # No direction fits at this length: move as far as `shifts`' shortest, along the roomiest axis.
    dx = shifts[0] if room_x[1] >= room_x[0] else -shifts[0]
    return Displacement(scale, mirrored, dx, 0.0, centre)


def displaced_shot(category: str, colour: str, pattern: str, rng: np.random.Generator) -> np.ndarray:
    """The garment's product shot, scaled, mirrored and moved as a shop's own photo would be."""
    shot = product_shot(category, colour, pattern)
    return displacement(shot, PRODUCT_BACKGROUND, SHOT_SCALES, SHOT_SHIFTS, rng).apply(shot, PRODUCT_BACKGROUND)


def displaced_photo(photo: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Displacement]:
    """A person's render as a snapshot: smaller, maybe mirrored, and moved; with the transform, so that what
    the world knows of the photo (where the face is) can be moved with it."""
    moved = displacement(photo, BACKGROUND, PHOTO_SCALES, PHOTO_SHIFTS, rng)
    return moved.apply(photo, BACKGROUND), moved
