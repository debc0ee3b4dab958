"""Long clips in overlapping windows: the plan covers every frame, and the tiny Wan VACE continues from kept frames."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from stylist.presets import get_preset
from stylist.video.backends import load_backend
from stylist.video.poses import Placement, render, spin_poses
from stylist.video.windows import Window, make_frames, plan_windows


def four_k_plus_one(wanted: int) -> int:
    return 1 + 4 * math.ceil(max(0, wanted - 1) / 4)


def test_animatediff_windows_for_the_default_spin():
    assert plan_windows(24, 16, 4, lambda n: n) == [Window(0, 16, 0), Window(12, 12, 4)]


def test_one_wan_window_holds_the_default_spin_rounded_to_4k_plus_1():
    assert plan_windows(24, 81, 5, four_k_plus_one) == [Window(0, 25, 0)]


@pytest.mark.parametrize("total", [1, 5, 9, 10, 23, 24, 81, 82, 240])
@pytest.mark.parametrize(("max_frames", "overlap", "lengths"), [(9, 5, four_k_plus_one), (16, 4, lambda n: n),
                                                                (81, 5, four_k_plus_one)])
def test_windows_cover_every_frame_in_order(total, max_frames, overlap, lengths):
    windows = plan_windows(total, max_frames, overlap, lengths)
    covered = 0
    for window in windows:
        assert window.count <= max_frames and lengths(window.count) == window.count
        assert window.first == covered - window.context and window.context <= overlap
        assert window.count > window.context  # every window adds frames
        covered = window.first + window.count
    assert covered >= total and windows[0].context == 0


def test_a_window_longer_than_the_model_allows_is_refused():
    with pytest.raises(ValueError):
        plan_windows(24, 10, 4, four_k_plus_one)  # 10 is no 1 + 4k length
    with pytest.raises(ValueError):
        plan_windows(24, 9, 9, four_k_plus_one)  # an overlap as long as the window never moves on


def test_tiny_wan_makes_a_long_clip_in_windows_that_continue_from_kept_frames(tmp_path, astronaut):
    backend = load_backend(get_preset("tiny"), "cpu", "wan-vace",
                           cached=False)
    backend.recipe = replace(backend.recipe, max_frames=9)  # a small frame limit, so 12 frames take two windows
    size = backend.recipe.size
    pose = spin_poses(12, Placement(scale=24.0, ground_x=16.0, ground_y=46.0))
    calls = []
    generate = backend.generate

    def spy(reference, poses, *, context, **options):
        made = generate(reference, poses, context=context, **options)
        calls.append({"poses": len(poses), "context": [np.asarray(image) for image in context], "made": made})
        return made

    backend.generate = spy
    frames = make_frames(backend, astronaut, lambda index: render(pose(index % 12), size), 12, prompt="a turn", seed=3)

    assert len(frames) == 12 and all(frame.size == size for frame in frames)
    assert [call["poses"] for call in calls] == [9, 9]
    # The second window was handed the first window's last five frames as frames to keep...
    first = [np.asarray(image, float) for image in calls[0]["made"]]
    kept = calls[1]["context"]
    assert len(kept) == 5
    for index, image in enumerate(kept):
        assert np.abs(image - np.clip(first[4 + index], 0, 1) * 255).max() <= 1
    # ...and the overlap fades from the first window's frames into the second's.
    second = calls[1]["made"]
    blended = np.asarray(frames[6], float) / 255
    weight = 3 / 6
    assert np.abs(blended - ((1 - weight) * first[6] + weight * second[2])).max() < 2 / 255
    # Frames after the overlap are the second window's own.
    assert np.abs(np.asarray(frames[11], float) / 255 - second[7]).max() < 1 / 255
