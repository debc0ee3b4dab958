"""Clips longer than a video model's window, made as overlapping windows that share the same reference.

Each window after the first starts with the last `overlap` frames already made: Wan VACE keeps them as
given frames and continues from them, AnimateDiff draws them anew. Either way the overlap is cross-faded
from the old frames to the new, so a seam never shows as a jump, and the same reference image (the look)
and seed in every window keep the person and garment the same from window to window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from stylist.video.backends import VideoBackend


@dataclass(frozen=True)
class Window:
    first: int  # index of the window's first frame in the clip
    count: int  # frames asked of the model (may run past the clip's end; the extra are dropped)
    context: int  # leading frames shared with the previous window


def plan_windows(total: int, max_frames: int, overlap: int, window_frames: Callable[[int], int]) -> list[Window]:
    """Windows covering frames 0 … total−1, each at most max_frames long, each new one sharing `overlap` frames."""
    if not 0 <= overlap < max_frames or window_frames(max_frames) != max_frames:
        raise ValueError(f"a window of {max_frames} frames cannot overlap by {overlap} or is not a valid length")
    windows, made = [], 0
    while made < total:
        context = min(overlap, made)
        count = window_frames(min(max_frames, context + total - made))
        windows.append(Window(made - context, count, context))
        made += count - context
    return windows


def make_frames(backend: VideoBackend, reference: Image.Image, pose: Callable[[int], Image.Image], total: int, *,
                prompt: str, seed: int, on_step: Callable[[], None] | None = None) -> list[Image.Image]:
    """`total` frames of the person in `reference` following `pose(i)` for frame i (indices past the end allowed)."""
    recipe = backend.recipe
    frames: list[np.ndarray] = []
    for window in plan_windows(total, recipe.max_frames, recipe.overlap, backend.window_frames):
        context = [_image(frame) for frame in frames[window.first: window.first + window.context]]
        poses = [pose(window.first + index) for index in range(window.count)]
        made = backend.generate(reference, poses, context=context, prompt=prompt, seed=seed, on_step=on_step)
        for index in range(window.context):
            weight = (index + 1) / (window.context + 1)  # fades from the old frames into the new
            frames[window.first + index] = (1 - weight) * frames[window.first + index] + weight * made[index]
        frames.extend(made[window.context: window.context + total - len(frames)])
    return [_image(frame) for frame in frames]


def _image(frame: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(frame, 0, 1) * 255).round().astype(np.uint8))
