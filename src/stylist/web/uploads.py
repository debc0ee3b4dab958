"""What an upload must be before photo intake sees it: few enough files, each small enough and an image by content.

Intake (people.photos) then decodes each photo through `load_image`, re-encodes it without metadata under
a server-made name, and refuses photos without a usable face. This module sorts what is wrong with each file
itself into the HTTP answers the API promises, 413 (too large) and 415 (not an image), without stopping at
the first bad file: every file is judged, so that one answer names every refusal.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

from PIL import Image
from werkzeug.datastructures import FileStorage

from stylist.imaging import PHOTO_FORMATS
from stylist.people.photos import MAX_PHOTOS, MIN_PHOTOS, Rejection, Upload


class UploadRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Uploads:
    photos: list[Upload] = field(default_factory=list)  # files that are images within the limits
    refused: list[Rejection] = field(default_factory=list)  # the others, each with why
    status: int | None = None  # 413 or 415 for the first refused file: the answer if too few photos are left


def read_uploads(files: list[FileStorage], max_bytes: int, max_pixels: int) -> Uploads:
    if not MIN_PHOTOS <= len(files) <= MAX_PHOTOS:
        raise UploadRefused(400, f"send {MIN_PHOTOS} or {MAX_PHOTOS} photos of yourself as `photos`, got {len(files)}")
    uploads = Uploads()
    seen: set[str] = set()
    for number, file in enumerate(files, start=1):
        # The name is only used in messages; what is stored gets a server-made name.
        name = distinct_name((file.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:100] or f"photo {number}",
                             seen)
        data = file.stream.read(max_bytes + 1)
        try:
            if len(data) > max_bytes:
                raise UploadRefused(413, f"it is over the {max_bytes / 1e6:.0f} MB limit for a photo")
            _check_content(data, max_pixels)
        except UploadRefused as exc:
            uploads.refused.append(Rejection(name, str(exc)))
            uploads.status = uploads.status or exc.status
            continue
        uploads.photos.append(Upload(name, data))
    return uploads


def distinct_name(name: str, seen: set[str]) -> str:
    """`name`, or "IMG_1 (2).jpg" for the second of that name, so that each refusal names one file (two phones'
    photos are often both IMG_0001.jpg); the page names its files by the same rule."""
    stem, dot, extension = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    candidate, copy = name, 1
    while candidate in seen:
        copy += 1
        candidate = f"{stem} ({copy}){dot}{extension}"
    seen.add(candidate)
    return candidate


def _check_content(data: bytes, max_pixels: int) -> None:
    """Refuse a file that is not a JPEG, PNG or WebP by its bytes, or declares too many pixels, from its header only."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRefused(413, "it declares too many pixels") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise UploadRefused(415, "it is not an image (send JPEG, PNG or WebP photos)") from exc
    if kind not in PHOTO_FORMATS:
        raise UploadRefused(415, f"it is a {kind} file; send JPEG, PNG or WebP photos")
    if width * height > max_pixels:
        raise UploadRefused(413, f"it is {width}×{height} pixels, over the {max_pixels / 1e6:.0f} MP limit")
