"""Frames to files: an H.264 MP4 for players and a GIF for anywhere, both with every frame at the given rate.

Both go through PyAV (its wheel carries libx264). Pillow's GIF writer is not used: it silently merges
identical consecutive frames, which the slow start of an eased spin produces.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from stylist.files import replacing

# Visually lossless for these clips; libx264's default of 23 smears the thin pose-driven edges of garments.
CRF = 18
GIF_CLOCK = 100  # GIF delays count hundredths of a second


def write_mp4(frames: Sequence[Image.Image], path: Path, fps: int) -> Path:
    """H.264 (yuv420p, so every player shows it) with the index in front (faststart) so browsers play while loading."""
    width, height = _size(frames)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as partial:
        with av.open(str(partial), "w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"crf": str(CRF)}
            for index, image in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(np.asarray(image.convert("RGB")), format="rgb24")
                frame.pts = index
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
    return path


def write_gif(frames: Sequence[Image.Image], path: Path, fps: int) -> Path:
    """A looping GIF with one 256-colour palette for the whole clip, so colours do not flicker between frames.

    GIF delays are whole hundredths of a second, so each frame starts at its own time rounded to that clock
    (at 8 fps the delays alternate 12 and 13) and the last one is held until the clip's full length.
    """
    width, height = _size(frames)
    palette = _palette(frames)
    argb = np.concatenate([np.full((256, 1), 255, np.uint8), _palette_rgb(palette)], axis=1)
    starts = [round(index * GIF_CLOCK / fps) for index in range(len(frames) + 1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as partial:
        with av.open(str(partial), "w", format="gif", options={"final_delay": str(starts[-1] - starts[-2])}) as container:
            stream = container.add_stream("gif", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "pal8"
            stream.time_base = stream.codec_context.time_base = Fraction(1, GIF_CLOCK)
            for image, start in zip(frames, starts):
                indices = np.asarray(image.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE))
                frame = av.VideoFrame.from_ndarray((indices, argb), format="pal8")
                frame.pts, frame.time_base = start, stream.time_base
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
    return path


def _size(frames: Sequence[Image.Image]) -> tuple[int, int]:
    if not frames:
        raise ValueError("a video needs at least one frame")
    width, height = frames[0].size
    if width % 2 or height % 2:
        raise ValueError(f"yuv420p needs even sides, got {width}×{height}")
    return width, height


def _palette(frames: Sequence[Image.Image], samples: int = 16) -> Image.Image:
    """A median-cut palette of a strip of frames spread over the clip."""
    count = min(samples, len(frames))
    chosen = [frames[round(i * (len(frames) - 1) / max(1, count - 1))] for i in range(count)]
    width, height = chosen[0].size
    strip = Image.new("RGB", (width * len(chosen), height))
    for index, image in enumerate(chosen):
        strip.paste(image.convert("RGB"), (index * width, 0))
    return strip.quantize(colors=256, method=Image.Quantize.MEDIANCUT)


def _palette_rgb(palette: Image.Image) -> np.ndarray:
    colors = np.zeros((256, 3), np.uint8)
    values = np.asarray(palette.getpalette()[: 256 * 3], np.uint8).reshape(-1, 3)
    colors[: len(values)] = values
    return colors
