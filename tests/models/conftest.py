"""Fixtures for the model tests: a machine with no model weights and no way to download them."""

from __future__ import annotations

import huggingface_hub.constants
import pytest
from PIL import Image
from skimage import data


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """HF_HUB_OFFLINE set, an empty Hugging Face cache and an empty STYLIST_MODELS_DIR, which is returned."""
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("STYLIST_MODELS_DIR", str(models_dir))
    # huggingface_hub reads its cache location once, at import; the loader looks it up at each call.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    for variable in ("STYLIST_MODEL_STABILITYAI_STABLE_DIFFUSION_XL_BASE_1_0",
                     "STYLIST_MODEL_COMPVIS_STABLE_DIFFUSION_V1_4", "STYLIST_MODEL_H94_IP_ADAPTER"):
        monkeypatch.delenv(variable, raising=False)
    return models_dir


@pytest.fixture(scope="session")
def faces() -> tuple[Image.Image, Image.Image]:
    """Two different face crops from scikit-image's photos of people: the astronaut and the camera man."""
    astronaut = Image.fromarray(data.astronaut()).crop((150, 20, 310, 180))
    cameraman = Image.fromarray(data.camera()).convert("RGB").crop((170, 50, 310, 190))
    return astronaut, cameraman
