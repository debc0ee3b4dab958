"""MP4 and GIF: every frame kept, the promised rate and length, H.264 yuv420p with its index up front."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from stylist.video.encode import write_gif, write_mp4
from tests.video.media import assert_spin_files, read_video


def clip(count: int, size=(32, 48)) -> list[Image.Image]:
    """A clip whose first half is one still frame (as an eased spin starts) and whose second half moves."""
    frames = []
    for index in range(count):
        pixels = np.full((size[1], size[0], 3), (40, 90, 160), np.uint8)
        if index >= count // 2:
            pixels[:, : 2 + index] = (230, 200, 40)
        frames.append(Image.fromarray(pixels))
    return frames


@pytest.mark.parametrize(("frames", "fps"), [(24, 8), (12, 8), (30, 30), (7, 7)])
def test_both_files_hold_every_frame_at_the_rate(tmp_path, frames, fps):
    images = clip(frames)
    write_mp4(images, tmp_path / "spin.mp4", fps)
    write_gif(images, tmp_path / "spin.gif", fps)
    decoded = assert_spin_files(tmp_path / "spin.mp4", tmp_path / "spin.gif", frames, fps, size=(32, 48))
    # Identical frames are all there (Pillow's GIF writer would have merged them) and the pictures survive.
    gif = read_video(tmp_path / "spin.gif")["frames"]
    assert np.array_equal(gif[0], gif[frames // 2 - 1])
    assert np.abs(gif[-1].astype(int) - np.asarray(images[-1], int)).max() < 40
    assert np.abs(decoded[-1].astype(int) - np.asarray(images[-1], int)).mean() < 8


def test_a_failed_write_leaves_no_file(tmp_path):
    with pytest.raises(ValueError, match="even"):
        write_mp4(clip(4, size=(33, 48)), tmp_path / "odd.mp4", 8)
    assert list(tmp_path.iterdir()) == []
