"""The spin skeleton: its geometry through the turn, its fit to a person, and OpenPose's way of drawing it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from stylist.video.poses import (
    COLORS,
    FACE,
    KEYPOINTS,
    L_SHOULDER,
    LIMB_INTENSITY,
    NOSE,
    R_SHOULDER,
    Placement,
    fit_to_person,
    project,
    render,
    save_pose_frames,
    skeleton,
    spin_poses,
    spin_yaw,
)

FRAMES = 24
PLACEMENT = Placement(scale=380.0, ground_x=256.0, ground_y=730.0)  # a person about 650 px tall in 512×768


def pose_at(yaw: float):
    return project(*skeleton(yaw), PLACEMENT)


def shoulder_span(pose) -> float:
    return abs(pose.points[L_SHOULDER, 0] - pose.points[R_SHOULDER, 0])


def test_the_turn_covers_one_full_circle_with_an_ease_and_loops():
    yaws = [spin_yaw(index / FRAMES) for index in range(FRAMES)] + [spin_yaw(1.0)]
    steps = np.diff(yaws)
    assert yaws[0] == 0 and yaws[-1] == pytest.approx(360)
    assert (steps > 0).all()  # always turning the same way
    assert steps[0] < steps[FRAMES // 2] / 5 and steps[-1] < steps[FRAMES // 2] / 5  # slow at both ends
    # The step from the last frame back to the first is as small as the first step: no jump when the GIF loops.
    assert steps[-1] == pytest.approx(steps[0])


def test_the_shoulder_span_follows_the_turn():
    spans = {yaw: shoulder_span(pose_at(yaw)) for yaw in (0, 45, 90, 135, 180, 225, 270, 315)}
    widest = max(spans.values())
    assert spans[0] == pytest.approx(widest) and spans[180] == pytest.approx(widest)  # facing front and back
    assert spans[90] < 0.02 * widest and spans[270] < 0.02 * widest  # side on
    assert spans[45] == pytest.approx(widest * np.cos(np.radians(45)), rel=0.01)
    # And through a whole spin: widest at the first frame and half way, narrowest at a quarter and three quarters.
    pose = spin_poses(FRAMES, PLACEMENT)
    frames = [shoulder_span(pose(index)) for index in range(FRAMES)]
    assert np.argmax(frames) in (0, FRAMES // 2)
    assert min(frames) < 0.2 * max(frames)


def test_left_and_right_swap_sides_on_screen_at_the_back():
    front, back = pose_at(0), pose_at(180)
    # Facing the camera, the person's right shoulder is on the left of the picture; seen from behind, on the right.
    assert front.points[R_SHOULDER, 0] < front.points[L_SHOULDER, 0]
    assert back.points[R_SHOULDER, 0] > back.points[L_SHOULDER, 0]
    for right, left in ((3, 6), (4, 7), (8, 11), (9, 12), (10, 13)):
        assert (front.points[right, 0] < front.points[left, 0]) and (back.points[right, 0] > back.points[left, 0])


def test_face_points_vanish_while_the_face_is_turned_away():
    front, side, back = pose_at(0), pose_at(90), pose_at(180)
    assert front.visible[list(FACE)].all()
    assert not back.visible[list(FACE)].any()
    assert back.visible[[index for index in range(len(KEYPOINTS)) if index not in FACE]].all()
    # In profile (turned to their left, so their right side faces the camera): the nose, the near eye and ear.
    assert side.visible[NOSE] and side.visible[14] and side.visible[16]
    assert not side.visible[15] and not side.visible[17]


def test_the_last_frame_leads_back_into_the_first():
    pose = spin_poses(FRAMES, PLACEMENT)
    moves = [np.abs(pose(index + 1).points - pose(index).points).max() for index in range(FRAMES)]
    assert np.array_equal(pose(FRAMES).points, pose(0).points)  # the frame after the last is the first
    assert 0 < moves[-1] <= max(moves[:-1])  # and the last step is no jump


def test_rendering_uses_openpose_colours():
    front = pose_at(0)
    image = np.asarray(render(front, (512, 768)))
    assert image.shape == (768, 512, 3)
    palette = {(0, 0, 0)} | {tuple(color) for color in COLORS}
    palette |= {tuple(round(channel * LIMB_INTENSITY) for channel in color) for color in COLORS}
    used = {tuple(pixel) for pixel in np.unique(image.reshape(-1, 3), axis=0)}
    assert used <= palette  # nothing but OpenPose's colours on black, no anti-aliasing
    for index, (x, y) in enumerate(front.points):  # every keypoint dot in its own colour
        assert tuple(image[round(y), round(x)]) == COLORS[index], KEYPOINTS[index]
    # The neck–right-shoulder limb, half way along, in limb colour 0 at 60 %.
    middle = (front.points[1] + front.points[R_SHOULDER]) / 2
    assert tuple(image[round(middle[1]), round(middle[0])]) == (153, 0, 0)
    # Seen from behind no face point is drawn: no nose-red dot where the nose would be.
    back = np.asarray(render(pose_at(180), (512, 768)))
    assert (back.reshape(-1, 3) == COLORS[NOSE]).all(axis=1).sum() == 0


def test_the_skeleton_is_fitted_to_the_face(astronaut):
    size = (512, 768)
    placement = fit_to_person(astronaut, size)
    pose = project(*skeleton(0), placement)
    # The astronaut (512×512) sits in the middle of the 512×768 frame, 128 px down; her face box is about
    # (178, 69, 92, 92), so her nose lands near (224, 243) and her head is about a face-box wide.
    nose = pose.points[NOSE]
    assert abs(nose[0] - 224) < 12 and abs(nose[1] - (128 + 115)) < 20
    ears = abs(pose.points[16, 0] - pose.points[17, 0])
    assert 40 < ears < 100


def test_without_a_person_the_skeleton_stands_centred():
    blank = Image.new("RGB", (300, 200), (120, 160, 90))
    size = (512, 768)
    pose = project(*skeleton(0), fit_to_person(blank, size))
    xs, ys = pose.points[:, 0], pose.points[:, 1]
    assert abs((xs.min() + xs.max()) / 2 - 256) < 2
    assert 0 < ys.min() and ys.max() < 768  # the whole person in the frame
    assert ys.max() - ys.min() > 0.7 * 768


def test_pose_frames_are_saved_as_pngs(tmp_path):
    pose = spin_poses(4, PLACEMENT)
    images = [render(pose(index), (64, 96)) for index in range(4)]
    paths = save_pose_frames(images, tmp_path / "poses")
    assert [path.name for path in paths] == ["pose-000.png", "pose-001.png", "pose-002.png", "pose-003.png"]
    with Image.open(paths[2]) as saved:
        assert saved.format == "PNG" and np.array_equal(np.asarray(saved), np.asarray(images[2]))
