"""Shared fixtures: a fresh data directory per test, and small images made in memory."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image


@pytest.fixture(scope="session")
def real_repos(tmp_path_factory):
    """Tiny checkpoints in every real repository's own layout (tests/real_layouts.py), written once a session."""
    from tests.real_layouts import write_real_repos

    root = tmp_path_factory.mktemp("real-repos")
    write_real_repos(root)
    return root


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


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG of a few hundred bytes whose header declares width×height pixels."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width * 3 + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
