"""Test photos cut from skimage's astronaut (a real photo of a person), and bad inputs of every kind: photo
intake's tests use them, and identity's and evaluation's tests import them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from tests.conftest import png_bomb

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


# Made once per session: tests only read these files.
@pytest.fixture(scope="session")
def good_photos(tmp_path_factory) -> list[Path]:
    """Four photos of one person in three formats, none a near-duplicate, the last one sideways with EXIF."""
    folder = tmp_path_factory.mktemp("good")
    return [
        save(variant((0, 0, 480, 480)), folder / "front.jpg", quality=92),
        save(variant((100, 0, 420, 400), 1.5, (1.1, 1.0, 0.9)), folder / "closer.png"),
        save(variant((20, 0, 512, 460), 1.1, (0.9, 1.0, 1.1), mirror=True), folder / "mirrored.webp", quality=90),
        save_sideways(folder / "sideways.jpg"),
    ]


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


@pytest.fixture(scope="session")
def bad_photos(tmp_path_factory) -> Path:
    """A folder holding every file named in BAD_PHOTOS except missing.jpg."""
    folder = tmp_path_factory.mktemp("bad")
    whole = save(variant((0, 0, 480, 480)), folder / "whole.jpg").read_bytes()
    (folder / "album").mkdir()
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("my holiday notes, not a photo\n" * 20)
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (folder / "bomb.png").write_bytes(png_bomb(30_000, 30_000))
    save(variant((0, 0, 480, 480)), folder / "old.bmp")
    save(variant((0, 0, 480, 480)), folder / "scan.tiff")
    save(variant((0, 0, 480, 480)), folder / "animated.gif")
    save(ASTRONAUT.resize((300, 300)), folder / "small.jpg")
    far = Image.new("RGB", (800, 800), (90, 120, 60))
    far.paste(ASTRONAUT.resize((256, 256)), (300, 300))  # her face is now about 47 pixels wide
    save(far, folder / "far.jpg")
    save(Image.fromarray(data.coffee()), folder / "coffee.jpg")
    return folder
