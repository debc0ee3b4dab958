"""Test photos cut from skimage's astronaut (a real photo of a person), and the bad inputs photo intake must
refuse with the words it must use: the photo fixtures of tests/conftest.py are made of these."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

ASTRONAUT = Image.fromarray(data.astronaut())  # 512×512; her face box is about (177, 67, 94, 94)
EXIF_ORIENTATION = 0x0112


def variant(box: tuple[int, int, int, int], scale: float = 1.0, tint=(1.0, 1.0, 1.0), mirror: bool = False) -> Image.Image:
    """A crop of the astronaut, rescaled and colour-shifted, so that variants are not near-duplicates."""
    image = ASTRONAUT.crop(box)
    if scale != 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    image = Image.fromarray(np.clip(np.asarray(image, dtype=float) * np.array(tint), 0, 255).astype(np.uint8))
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirror else image


# What the sideways photo shows once EXIF orientation is applied.
SIDEWAYS_UPRIGHT = variant((0, 40, 440, 512), 1.2, (1.0, 1.05, 0.95))


def save(image: Image.Image, path: Path, **options) -> Path:
    image.save(path, **options)
    return path


def save_sideways(path: Path) -> Path:
    """SIDEWAYS_UPRIGHT as a phone stores it: pixels turned 90° anticlockwise, EXIF orientation 6 to turn them back."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    return save(SIDEWAYS_UPRIGHT.transpose(Image.Transpose.ROTATE_90), path, exif=exif, quality=95)


# Each kind of bad input, and words its refusal must contain.
BAD_PHOTOS = {
    "missing.jpg": "does not exist",
    "album": "folder",
    "empty.jpg": "empty",
    "notes.jpg": "not a readable image",
    "corrupt.png": "not a readable image",
    "truncated.jpg": "truncated",
    "bomb.png": "too many pixels",
    "old.bmp": "BMP is not accepted",
    "scan.tiff": "TIFF is not accepted",
    "animated.gif": "GIF is not accepted",
    "small.jpg": "at least 384",
    "far.jpg": "no face at least 80 pixels wide",
    "coffee.jpg": "no face",
}
