"""Fixtures for the model tests: two different faces (a machine without weights is `offline`, in tests/conftest.py)."""

from __future__ import annotations

import pytest
from PIL import Image
from skimage import data


@pytest.fixture(scope="session")
def faces() -> tuple[Image.Image, Image.Image]:
    """Two different face crops from scikit-image's photos of people: the astronaut and the camera man."""
    astronaut = Image.fromarray(data.astronaut()).crop((150, 20, 310, 180))
    cameraman = Image.fromarray(data.camera()).convert("RGB").crop((170, 50, 310, 190))
    return astronaut, cameraman
