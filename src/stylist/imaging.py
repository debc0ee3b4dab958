"""The one way stylist opens an image: validated before decoding, EXIF-oriented, RGB, fully loaded.

Shop images and users' photos both come from strangers, so every check happens before Pillow spends
memory on the pixels: a byte limit, a format allow-list, a pixel limit against decompression bombs,
and a full decode so truncated files are refused instead of half-read.
"""

from __future__ import annotations

import io
import math
import warnings

import imagehash
from PIL import Image, ImageOps

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "MPO"})  # MPO: how Pillow reads many phone JPEGs
PHOTO_FORMATS = ALLOWED_FORMATS - {"GIF"}  # a person's photo is never a GIF; shops do use them for products
MAX_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 MP: larger than any phone photo or shop image we need
NEUTRAL_BACKGROUND = (240, 240, 240)
# A 256-bit pHash: the common 64-bit one calls a garment's front and its slightly turned view duplicates.
HASH_SIZE = 16
NEAR_DUPLICATE_DISTANCE = 12  # of 256 bits: re-encodes and small resizes measure 0–4, other views 20 and up


class ImageRejected(ValueError):
    """The bytes are not an image we accept; the message says why in a few words."""


def load_image(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    formats: frozenset[str] = ALLOWED_FORMATS,
) -> Image.Image:
    """Decode `data` into an upright RGB image, or raise ImageRejected with the reason."""
    if not data:
        raise ImageRejected("the file is empty")
    if len(data) > max_bytes:
        raise ImageRejected(f"the file is {len(data) / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
    try:
        # Opening only reads the header, so format and size are known before any pixel is decoded.
        image: Image.Image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ImageRejected("the image declares too many pixels (a decompression bomb)") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageRejected("the file is not a readable image") from exc
    if image.format not in formats:
        raise ImageRejected(f"the format {image.format or 'unknown'} is not accepted (use JPEG, PNG or WebP)")
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(f"the image declares {width}×{height} pixels, over the {max_pixels // 1_000_000} MP limit")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            image = ImageOps.exif_transpose(image)
    except Image.DecompressionBombWarning as exc:
        raise ImageRejected("the image declares too many pixels (a decompression bomb)") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageRejected("the image is truncated or corrupt") from exc
    return to_rgb(image)


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB with any transparency flattened onto the neutral background (garments cut out on alpha)."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, NEUTRAL_BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def pad_to_square(image: Image.Image, size: int = 512, background=NEUTRAL_BACKGROUND) -> Image.Image:
    """Fit the whole image into size×size, keeping its aspect ratio, padded (never cropped)."""
    fitted = ImageOps.contain(image, (size, size), method=Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (size, size), background)
    canvas.paste(fitted, ((size - fitted.width) // 2, (size - fitted.height) // 2))
    return canvas


def fit_within(image: Image.Image, max_pixels: int, multiple: int = 16, min_side: int = 0) -> Image.Image:
    """The image at its own aspect ratio, no larger than `max_pixels` and with both sides a multiple of
    `multiple`: shrunk when larger, never enlarged (upscaling adds tokens, not detail) except as far as
    `min_side` asks, then trimmed by under `multiple` pixels a side, centred, to reach the multiple.
    Reference-editing models read references this way (FLUX.2: within 1 MP, sides a multiple of 16, at least
    64); padding would spend tokens on grey."""
    scale = min(1.0, (max_pixels / (image.width * image.height)) ** 0.5)
    scale = max(scale, min_side / min(image.size))
    width = max(multiple, math.ceil(min_side / multiple) * multiple, int(image.width * scale) // multiple * multiple)
    height = max(multiple, math.ceil(min_side / multiple) * multiple, int(image.height * scale) // multiple * multiple)
    if (width, height) == image.size:
        return image
    return ImageOps.fit(image, (width, height), method=Image.Resampling.LANCZOS)


def perceptual_hash(image: Image.Image) -> str:
    return str(imagehash.phash(image, hash_size=HASH_SIZE))


def is_near_duplicate(phash: str, others: list[str], max_distance: int = NEAR_DUPLICATE_DISTANCE) -> bool:
    """Whether `phash` is within `max_distance` bits of any of `others` (the same picture resized or re-encoded)."""
    mine = imagehash.hex_to_hash(phash)
    return any(mine - imagehash.hex_to_hash(other) <= max_distance for other in others)
