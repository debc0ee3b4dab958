"""Shared fixtures: a fresh data directory per test, and small images made in memory."""

from __future__ import annotations

import io

import pytest
from PIL import Image


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "data"
    path.mkdir()
    return path


def image_bytes(size=(64, 48), color=(200, 30, 30), fmt="JPEG", **save_args) -> bytes:
    buffer = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" and save_args.pop("alpha", False) else "RGB"
    Image.new(mode, size, color if mode == "RGB" else (*color, 0)).save(buffer, format=fmt, **save_args)
    return buffer.getvalue()
