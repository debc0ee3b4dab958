"""What a finished video file must be, read back with PyAV: frames, rate, length, codec, layout."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def read_video(path: Path) -> dict:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
        return {"frames": frames, "fps": stream.average_rate, "seconds": container.duration / av.time_base,
                "codec": stream.codec_context.name, "pix_fmt": stream.codec_context.pix_fmt,
                "size": (stream.codec_context.width, stream.codec_context.height)}


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order (faststart puts moov before mdat)."""
    data, boxes, offset = Path(path).read_bytes(), [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset: offset + 4], "big")
        boxes.append(data[offset + 4: offset + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[offset + 8: offset + 16], "big")
        if size < 8:
            break
        offset += size
    return boxes


def gif_delays(path: Path) -> list[int]:
    """Each GIF frame's delay in milliseconds, from its graphic control block (Pillow only reads here)."""
    from PIL import Image

    delays = []
    with Image.open(path) as gif:
        for index in range(gif.n_frames):
            gif.seek(index)
            delays.append(gif.info["duration"])
    return delays


def assert_spin_files(mp4: Path, gif: Path, frames: int, fps: int, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """Both files hold exactly `frames` frames at `fps` lasting frames/fps; returns the MP4's frames."""
    video = read_video(mp4)
    assert len(video["frames"]) == frames
    assert video["fps"] == fps
    assert abs(video["seconds"] - frames / fps) < 1e-3
    assert (video["codec"], video["pix_fmt"]) == ("h264", "yuv420p")
    if size is not None:
        assert video["size"] == size
    boxes = top_level_boxes(mp4)
    assert boxes.index("moov") < boxes.index("mdat")
    animation = read_video(gif)
    assert animation["codec"] == "gif" and len(animation["frames"]) == frames
    delays = gif_delays(gif)
    assert len(delays) == frames and sum(delays) == round(1000 * frames / fps)
    return video["frames"]
