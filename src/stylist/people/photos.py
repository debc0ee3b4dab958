"""Photo intake: a person's 3–4 photos checked, made upright, stripped of metadata, and cropped to the face.

Photos come from strangers' phones, so each is opened through `load_image` (byte, format and pixel
limits, truncation, EXIF orientation) before anything looks at its pixels. Faces are found with the Haar
cascades inside opencv-python-headless 4.x, so intake needs no model download.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image

from stylist.errors import StylistError
from stylist.imaging import MAX_BYTES, PHOTO_FORMATS, ImageRejected, is_near_duplicate, load_image, perceptual_hash

# DreamBooth learns a likeness from a handful of varied photos; fewer than three underfit it, and the
# product asks for at most four.
MIN_PHOTOS, MAX_PHOTOS = 3, 4
# Below this even the SD 1.x baseline's 512-pixel crop would be mostly upscaled blur.
MIN_SHORT_SIDE = 384
# Width of the cascade's face box (brows to mouth). Smaller faces carry too little detail to learn, and
# on textures upscaled 2× the cascades' false faces measure 50–80 pixels, so this also keeps those out.
MIN_FACE_PX = 80
# A crop enlarged more than this to reach the training resolution looks soft, and DreamBooth learns the softness.
MAX_UPSCALE = 2.0
# Crop side in face-box widths: the box spans brows to mouth, so three widths hold hair, chin and
# shoulders, the head-and-shoulders framing DreamBooth face datasets use.
CROP_FACE_WIDTHS = 3.0
# The face's centre sits this far down the crop, leaving more room below it for neck and shoulders.
FACE_CENTRE_FROM_TOP = 0.4
# Room above the face in a body square, in face heights: the hair, and a little air above it.
BODY_HEADROOM = 0.6
# Cascades run on a copy no larger than this; on a full 12 MP phone photo they take seconds.
DETECT_MAX_SIDE = 1024
# Another face at least this fraction of the largest one's width may be who the model learns instead.
OTHER_FACE_FRACTION = 0.5


class Box(NamedTuple):
    """A face's box in an image's pixels."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Upload:
    """A photo that arrived as bytes (a web upload) rather than as a file on disk."""

    name: str
    data: bytes


PhotoSource = str | Path | Upload


@dataclass
class AcceptedPhoto:
    name: str  # as the person gave it (their path or upload name), for messages
    image: Image.Image  # upright RGB pixels, no metadata
    face: Box  # in `image`'s pixels; the crop is centred on it, and other sizes can be cut from it later
    crop: Image.Image  # crop_size × crop_size


@dataclass(frozen=True)
class Rejection:
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass
class IntakeResult:
    photos: list[AcceptedPhoto]  # at least MIN_PHOTOS, in the order given
    rejected: list[Rejection]  # photos that were not used, each with why
    warnings: list[str]  # everything the person should hear, rejected photos included


class PhotosRefused(StylistError):
    """The request as a whole is refused; `rejected` holds each bad photo's reason for the web API."""

    def __init__(self, message: str, rejected: Sequence[Rejection] = ()):
        super().__init__(message)
        self.rejected = list(rejected)


def intake_photos(sources: Sequence[PhotoSource], crop_size: int,
                  refused: Sequence[Rejection] = ()) -> IntakeResult:
    """Check each photo and crop its face to crop_size×crop_size, or raise PhotosRefused with every reason.

    `refused` are photos already turned away before intake (a web upload that is not an image): they count
    among the photos given, and their reasons are named with the others'. A near-duplicate of an earlier
    photo counts once: it teaches nothing new.
    """
    given = len(sources) + len(refused)
    if not MIN_PHOTOS <= given <= MAX_PHOTOS:
        raise PhotosRefused(f"{MIN_PHOTOS} or {MAX_PHOTOS} photos of yourself are needed, got {given}")
    photos: list[AcceptedPhoto] = []
    hashes: list[str] = []
    rejected: list[Rejection] = list(refused)
    warnings: list[str] = []
    for source in sources:
        name = _display_name(source)
        try:
            photo, photo_warnings = _accept(name, _read(source), crop_size)
        except ImageRejected as exc:
            rejected.append(Rejection(name, str(exc)))
            continue
        phash = perceptual_hash(photo.image)
        twin = next((earlier for earlier, other in zip(photos, hashes) if is_near_duplicate(phash, [other])), None)
        if twin is not None:
            rejected.append(Rejection(name, f"it looks like a near-duplicate of {twin.name}, so it counts once; "
                                            "varied photos (angle, light, clothes) teach a better likeness"))
            continue
        photos.append(photo)
        hashes.append(phash)
        warnings.extend(photo_warnings)
    if len(photos) < MIN_PHOTOS:
        reasons = "; ".join(str(rejection) for rejection in rejected)
        raise PhotosRefused(
            f"only {len(photos)} of {given} photos {'is' if len(photos) == 1 else 'are'} usable "
            f"(at least {MIN_PHOTOS} are needed): {reasons}",
            rejected,
        )
    not_used = [f"{rejection.name} was not used: {rejection.reason}" for rejection in rejected]
    return IntakeResult(photos, rejected, not_used + warnings)


def find_faces(image: Image.Image, min_face_px: int = MIN_FACE_PX) -> list[Box]:
    """Faces at least `min_face_px` wide, largest first, in `image`'s pixels."""
    scale = min(1.0, DETECT_MAX_SIDE / max(image.size))
    gray = np.asarray(image.convert("L"))
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(gray)
    min_side = max(1, round(min_face_px * scale))
    for cascade_name, mirrored in _CASCADES:
        found = np.asarray(_cascade(cascade_name).detectMultiScale(
            cv2.flip(gray, 1) if mirrored else gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side)
        ))  # an array of boxes, or an empty tuple when there is none
        if len(found):
            if mirrored:
                found[:, 0] = gray.shape[1] - found[:, 0] - found[:, 2]
            boxes = [Box(*(round(value / scale) for value in row)) for row in found.tolist()]
            return sorted(boxes, key=lambda box: box.w * box.h, reverse=True)
    return []


def crop_box(image_size: tuple[int, int], face: Box) -> tuple[float, float, float, float]:
    """The head-and-shoulders square around `face`, shifted (never padded) to lie inside the image.

    Shifting puts the face off-centre near an edge, which is better than padding: padded borders would be
    learned as part of the person's look.
    """
    width, height = image_size
    side = min(CROP_FACE_WIDTHS * face.w, width, height)
    left = face.x + face.w / 2 - side / 2
    top = face.y + face.h / 2 - FACE_CENTRE_FROM_TOP * side
    left = min(max(left, 0.0), width - side)
    top = min(max(top, 0.0), height - side)
    return left, top, left + side, top + side


def body_box(image_size: tuple[int, int], face: Box) -> tuple[float, float, float, float]:
    """The largest square of the photo that keeps the face, with the head near its top: as much of the
    person's body, clothes and build as a square shows, shifted (never padded) to lie inside the image."""
    width, height = image_size
    side = min(width, height)
    left = min(max(face.x + face.w / 2 - side / 2, 0.0), width - side)
    top = min(max(face.y - BODY_HEADROOM * face.h, 0.0), height - side)
    return left, top, left + side, top + side


def crop_body(image: Image.Image, face: Box, size: int) -> Image.Image:
    """The body square of `image` (body_box), resized to size×size."""
    return image.resize((size, size), Image.Resampling.LANCZOS, box=body_box(image.size, face))


def crop_face(image: Image.Image, face: Box, size: int) -> Image.Image:
    """The face-centred square crop of `image`, resized to size×size."""
    return image.resize((size, size), Image.Resampling.LANCZOS, box=crop_box(image.size, face))


# The default frontal cascade reports parts of the astronaut's suit as faces larger than her real one;
# alt2 does not, so it goes first. The profile cascade knows one direction only, hence the mirrored pass.
_CASCADES = (
    ("haarcascade_frontalface_alt2.xml", False),
    ("haarcascade_profileface.xml", False),
    ("haarcascade_profileface.xml", True),
)


@cache
def _cascade(name: str) -> cv2.CascadeClassifier:
    # OpenCV's stubs lack cv2.data, the module of the wheel that says where the cascades lie.
    cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / name))  # type: ignore[attr-defined]
    if cascade.empty():
        raise RuntimeError(f"OpenCV's {name} did not load; is opencv-python-headless 4.x installed?")
    return cascade


def _display_name(source: PhotoSource) -> str:
    name = source.name if isinstance(source, Upload) else str(source)
    # A name goes into one-line error messages, so control characters (a newline in an upload's name) are escaped.
    return name if name.isprintable() else ascii(name)


def _read(source: PhotoSource) -> bytes:
    if isinstance(source, Upload):
        return source.data
    try:
        with open(source, "rb") as file:
            # Reading one byte past the limit is enough to refuse a huge file without loading all of it.
            data = file.read(MAX_BYTES + 1)
    except FileNotFoundError as exc:
        raise ImageRejected("the file does not exist") from exc
    except IsADirectoryError as exc:
        raise ImageRejected("it is a folder, not a photo") from exc
    except OSError as exc:
        raise ImageRejected(f"the file cannot be read ({exc.strerror or exc})") from exc
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"the file is over the {MAX_BYTES / 1e6:.0f} MB limit")
    return data


def _accept(name: str, data: bytes, crop_size: int) -> tuple[AcceptedPhoto, list[str]]:
    image = load_image(data, formats=PHOTO_FORMATS)
    if min(image.size) < MIN_SHORT_SIDE:
        raise ImageRejected(
            f"the photo is {image.width}×{image.height} pixels; it needs at least {MIN_SHORT_SIDE} on its shorter side"
        )
    # Rebuilt from the pixels alone, so no EXIF (GPS, camera serial), ICC or text chunk survives into storage.
    image = Image.fromarray(np.asarray(image))
    faces = find_faces(image)
    if not faces:
        raise ImageRejected(f"no face at least {MIN_FACE_PX} pixels wide was found; use a photo facing the camera")
    face = faces[0]
    warnings = []
    others = [box for box in faces[1:] if box.w >= OTHER_FACE_FRACTION * face.w]
    if others:
        warnings.append(f"{name} shows {len(others) + 1} faces; the largest is taken to be you")
    left, _, right, _ = crop_box(image.size, face)
    upscale = crop_size / (right - left)
    if upscale > MAX_UPSCALE:
        warnings.append(
            f"{name}: the face is small ({face.w} pixels wide), so its {crop_size}-pixel crop is enlarged "
            f"{upscale:.1f}×; a closer photo gives a sharper likeness"
        )
    return AcceptedPhoto(name, image, face, crop_face(image, face, crop_size)), warnings
