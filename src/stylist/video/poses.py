"""The spin's pose frames: a 3D OpenPose skeleton fitted to the person, turned once about its vertical axis,
projected to the image and drawn the way OpenPose ControlNets were trained to read it.

Coordinates: metres, y up, x to the viewer's right, z towards the camera; at yaw 0 the person faces the
camera, so their right side is on the left of the picture. Keypoints keep their anatomical names as the
body turns, so right and left swap sides on screen at the back, as OpenPose labels a person seen from behind.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

# The 18 COCO keypoints in OpenPose's order.
KEYPOINTS = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
    "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "right_eye", "left_eye",
    "right_ear", "left_ear",
)
NOSE, NECK, R_SHOULDER, L_SHOULDER = 0, 1, 2, 5
FACE = (0, 14, 15, 16, 17)
# OpenPose's body colours (RGB) and limbs, as ControlNet's annotator draws them (controlnet_aux
# open_pose/util.py draw_bodypose): limb i in colour i at 60 % intensity, keypoint i in colour i.
COLORS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0),
    (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255),
    (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)
LIMBS = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
    (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)
LIMB_INTENSITY = 0.6
# The annotator's stick half-width and keypoint radius at its 512-pixel detection size; scaled with the frame.
STICK_WIDTH, KEYPOINT_RADIUS, DRAWN_AT = 4, 4, 512

# A natural standing pose of a 1.70 m person, arms relaxed a little away from the body. Keypoint: (x, y, z).
STANDING = np.array([
    (0.0, 1.57, 0.10),  # nose
    (0.0, 1.45, 0.0),  # neck
    (-0.19, 1.42, 0.0), (-0.23, 1.13, -0.02), (-0.25, 0.86, 0.04),  # right shoulder, elbow, wrist
    (0.19, 1.42, 0.0), (0.23, 1.13, -0.02), (0.25, 0.86, 0.04),  # left shoulder, elbow, wrist
    (-0.10, 0.92, 0.0), (-0.10, 0.50, 0.02), (-0.11, 0.08, 0.0),  # right hip, knee, ankle
    (0.10, 0.92, 0.0), (0.10, 0.50, 0.02), (0.11, 0.08, 0.0),  # left hip, knee, ankle
    (-0.035, 1.61, 0.08), (0.035, 1.61, 0.08),  # right eye, left eye
    (-0.075, 1.59, 0.0), (0.075, 1.59, 0.0),  # right ear, left ear
])
PERSON_HEIGHT = 1.70
# Which way each face point looks (degrees from the face's direction, positive to the person's left) and how
# far it may turn away before it is hidden (cosine of the angle to the camera): the nose still shows in
# profile, an eye hides once the head has turned past it, an ear shows from the front and in profile only.
FACE_NORMALS = {0: (0.0, -0.15), 14: (-35.0, 0.0), 15: (35.0, 0.0), 16: (-75.0, 0.0), 17: (75.0, 0.0)}
# Width of an OpenCV Haar face box on a real face (cheek to cheek), which sets the skeleton's scale.
FACE_BOX_WIDTH = 0.16
FACE_BOX_CENTRE_HEIGHT = 1.58
# Without a face the person is assumed centred, this fraction of the frame tall, feet this far down it.
DEFAULT_HEIGHT_FRACTION, DEFAULT_FEET_AT = 0.85, 0.95
# Smallest face (pixels) looked for in a look image: full-body looks show small faces.
MIN_FACE_PX = 24


@dataclass(frozen=True)
class Placement:
    """Where the skeleton stands in the frame: pixels per metre and the screen point under its feet."""

    scale: float
    ground_x: float
    ground_y: float


@dataclass(frozen=True)
class Pose2D:
    """A skeleton on screen: 18 (x, y) pixel positions and which of them OpenPose would see."""

    points: np.ndarray  # (18, 2)
    visible: np.ndarray  # (18,) bool


def spin_yaw(t: float) -> float:
    """Yaw in degrees at clip time t ∈ [0, 1): one full turn that starts and ends slowly.

    t − sin(2πt)/2π has zero speed at both ends and the same speed profile on either side of t = 1, so the
    turn loops: the frame after the last is the first one again, reached at the same pace.
    """
    return 360.0 * (t - math.sin(2 * math.pi * t) / (2 * math.pi))


def skeleton(yaw: float) -> tuple[np.ndarray, np.ndarray]:
    """The standing skeleton turned `yaw` degrees towards its left about the vertical axis, and its face points'
    visibility (non-face points are always visible)."""
    angle = math.radians(yaw)
    cos, sin = math.cos(angle), math.sin(angle)
    # Turning left (anticlockwise seen from above) carries the face from +z towards +x, the viewer's right.
    rotation = np.array([[cos, 0.0, sin], [0.0, 1.0, 0.0], [-sin, 0.0, cos]])
    points = STANDING @ rotation.T
    visible = np.ones(len(KEYPOINTS), dtype=bool)
    for index, (offset, threshold) in FACE_NORMALS.items():
        visible[index] = math.cos(angle + math.radians(offset)) > threshold
    return points, visible


def project(points: np.ndarray, visible: np.ndarray, placement: Placement) -> Pose2D:
    """Orthographic projection: a turning person keeps their size, only depth is dropped."""
    screen = np.stack([placement.ground_x + placement.scale * points[:, 0],
                       placement.ground_y - placement.scale * points[:, 1]], axis=1)
    return Pose2D(screen, visible.copy())


def render(pose: Pose2D, size: tuple[int, int]) -> Image.Image:
    """The pose drawn as ControlNet-OpenPose expects: coloured ellipses for limbs, then keypoint dots, on black."""
    width, height = size
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    factor = min(width, height) / DRAWN_AT
    stick = max(1, round(STICK_WIDTH * factor))
    radius = max(1, round(KEYPOINT_RADIUS * factor))
    for (start, end), color in zip(LIMBS, COLORS):
        if not (pose.visible[start] and pose.visible[end]):
            continue
        (x0, y0), (x1, y1) = pose.points[start], pose.points[end]
        length = math.hypot(x1 - x0, y1 - y0)
        angle = math.degrees(math.atan2(y0 - y1, x0 - x1))
        polygon = cv2.ellipse2Poly((round((x0 + x1) / 2), round((y0 + y1) / 2)), (round(length / 2), stick),
                                   round(angle), 0, 360, 1)
        cv2.fillConvexPoly(canvas, polygon, [round(channel * LIMB_INTENSITY) for channel in color])
    for (x, y), color, shown in zip(pose.points, COLORS, pose.visible):
        if shown:
            cv2.circle(canvas, (round(x), round(y)), radius, color, thickness=-1)
    return Image.fromarray(canvas)


def fit_to_person(image: Image.Image, frame: tuple[int, int]) -> Placement:
    """Place the skeleton over the person in `image` as it appears fitted (letterboxed) into `frame`.

    The largest face sets the scale and where the head is; without one the person is assumed centred and
    standing in the frame.
    """
    from stylist.people.photos import find_faces  # OpenCV only when a spin is made

    width, height = frame
    fit = min(width / image.width, height / image.height)
    left, top = (width - image.width * fit) / 2, (height - image.height * fit) / 2
    faces = find_faces(image, min_face_px=MIN_FACE_PX)
    if not faces:
        scale = DEFAULT_HEIGHT_FRACTION * height / PERSON_HEIGHT
        return Placement(scale, width / 2, DEFAULT_FEET_AT * height)
    face = faces[0]
    scale = face.w * fit / FACE_BOX_WIDTH
    centre_x = left + (face.x + face.w / 2) * fit
    centre_y = top + (face.y + face.h / 2) * fit
    return Placement(scale, centre_x, centre_y + FACE_BOX_CENTRE_HEIGHT * scale)


def spin_poses(frames: int, placement: Placement, yaw: Callable[[float], float] = spin_yaw) -> Callable[[int], Pose2D]:
    """Frame index → pose, for a clip of `frames` frames. Indices past the end wrap round, since the turn loops."""
    def pose(index: int) -> Pose2D:
        return project(*skeleton(yaw((index % frames) / frames)), placement)

    return pose


def save_pose_frames(images: Sequence[Image.Image], folder: Path) -> list[Path]:
    """The pose frames as pose-000.png, pose-001.png, … in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, image in enumerate(images):
        path = folder / f"pose-{index:03d}.png"
        image.save(path)
        paths.append(path)
    return paths
