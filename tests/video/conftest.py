"""Fixtures for the video tests: a photo of a person, a folder of training pairs, one torch thread."""

from __future__ import annotations

import pytest
import torch
from PIL import Image
from skimage import data


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The tiny models' operations are too small to share out: with other work on the machine, two threads
    waiting on each other made a tiny AnimateDiff step ten times slower than one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
