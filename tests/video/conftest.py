"""Fixtures for the video tests: a photo of a person and a folder of training pairs."""

from __future__ import annotations

import pytest
from PIL import Image
from skimage import data


@pytest.fixture(scope="session")
def astronaut() -> Image.Image:
    """scikit-image's photo of a person (512×512, her face about 92 pixels wide at (178, 69))."""
    return Image.fromarray(data.astronaut())


@pytest.fixture(scope="session")
def astronaut_png(astronaut, tmp_path_factory):
    path = tmp_path_factory.mktemp("look") / "look.png"
    astronaut.save(path)
    return path


@pytest.fixture(scope="session")
def pairs(tmp_path_factory):
    """Pose-animation pairs small enough for the tiny models: one clip of each motion, 2 s at 8 fps."""
    from stylist.video.pairs import make_pairs

    folder = tmp_path_factory.mktemp("pairs") / "pairs"
    make_pairs(folder, variants=1, seconds=2, fps=8, size=(64, 96))
    return folder
