"""What an upload must be before photo intake sees it: few enough files, each small enough and an image by content.

Intake (people.photos) then decodes each photo through `load_image`, re-encodes it without metadata under
a server-made name, and refuses photos without a usable face. This module only sorts what is wrong with the
request itself into the HTTP answers the API promises: 400 (how many), 413 (too large), 415 (not an image).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image
from werkzeug.datastructures import FileStorage

from stylist.imaging import PHOTO_FORMATS
from stylist.people.photos import MAX_PHOTOS, MIN_PHOTOS, Upload


class UploadRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def read_uploads(files: list[FileStorage], max_bytes: int, max_pixels: int) -> list[Upload]:
    if not MIN_PHOTOS <= len(files) <= MAX_PHOTOS:
        raise UploadRefused(400, f"send {MIN_PHOTOS} or {MAX_PHOTOS} photos of yourself as `photos`, got {len(files)}")
    uploads = []
    for number, file in enumerate(files, start=1):
        # The name is only used in messages; what is stored gets a server-made name.
        name = (file.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:100] or f"photo {number}"
        data = file.stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise UploadRefused(413, f"{name} is over the {max_bytes / 1e6:.0f} MB limit for a photo")
        _check_content(name, data, max_pixels)
        uploads.append(Upload(name, data))
    return uploads


def _check_content(name: str, data: bytes, max_pixels: int) -> None:
    """Refuse a file that is not a JPEG, PNG or WebP by its bytes, or declares too many pixels, from its header only."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRefused(413, f"{name} declares too many pixels") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise UploadRefused(415, f"{name} is not an image (send JPEG, PNG or WebP photos)") from exc
    if kind not in PHOTO_FORMATS:
        raise UploadRefused(415, f"{name} is a {kind} file; send JPEG, PNG or WebP photos")
    if width * height > max_pixels:
        raise UploadRefused(413, f"{name} is {width}×{height} pixels, over the {max_pixels / 1e6:.0f} MP limit")
