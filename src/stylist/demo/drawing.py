"""The demo shop's pictures: each garment drawn in its colour and pattern, encoded as shops serve them.

The bytes depend only on the product and the view, so every day and run serve the same image.
"""

from __future__ import annotations

import functools
import io
import math
import random
import struct
import zlib
from collections.abc import Callable

from PIL import Image, ImageDraw

from stylist.demo.catalogue import BOMB_SIDE, COLOURS, ImageSpec, Product

Point = tuple[float, float]


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 32) -> list[Point]:
    return [(cx + rx * math.cos(2 * math.pi * i / n), cy + ry * math.sin(2 * math.pi * i / n)) for i in range(n)]


def _ring(cx: float, cy: float, outer: Point, inner: Point) -> list[Point]:
    """A loop as one polygon: round the outside, then back round the inside, joined at the bottom."""
    out, into = _ellipse(cx, cy, *outer), _ellipse(cx, cy - 0.03, *inner)
    out, into = out[8:] + out[:9], into[8:] + into[:9]  # start and end at the bottom (y grows down)
    return out + into[::-1]


# Silhouettes in a unit box (x right, y down), one or more polygons per category.
_SHAPES: dict[str, list[list[Point]]] = {
    "t-shirt": [[(0.37, 0.12), (0.2, 0.16), (0.05, 0.33), (0.15, 0.42), (0.26, 0.34), (0.26, 0.9), (0.74, 0.9),
                 (0.74, 0.34), (0.85, 0.42), (0.95, 0.33), (0.8, 0.16), (0.63, 0.12), (0.57, 0.17), (0.5, 0.19),
                 (0.43, 0.17)]],
    "shirt": [[(0.38, 0.1), (0.21, 0.14), (0.1, 0.46), (0.07, 0.84), (0.16, 0.85), (0.2, 0.52), (0.26, 0.34),
               (0.26, 0.92), (0.74, 0.92), (0.74, 0.34), (0.8, 0.52), (0.84, 0.85), (0.93, 0.84), (0.9, 0.46),
               (0.79, 0.14), (0.62, 0.1), (0.5, 0.16)]],
    "sweater": [[(0.38, 0.12), (0.21, 0.16), (0.11, 0.46), (0.09, 0.86), (0.19, 0.87), (0.22, 0.52), (0.27, 0.36),
                 (0.27, 0.88), (0.73, 0.88), (0.73, 0.36), (0.78, 0.52), (0.81, 0.87), (0.91, 0.86), (0.89, 0.46),
                 (0.79, 0.16), (0.62, 0.12), (0.56, 0.17), (0.5, 0.18), (0.44, 0.17)]],
    "coat": [[(0.38, 0.05), (0.21, 0.09), (0.11, 0.44), (0.09, 0.8), (0.18, 0.81), (0.21, 0.48), (0.25, 0.3),
              (0.22, 0.97), (0.78, 0.97), (0.75, 0.3), (0.79, 0.48), (0.82, 0.81), (0.91, 0.8), (0.89, 0.44),
              (0.79, 0.09), (0.62, 0.05), (0.5, 0.12)]],
    "jacket": [[(0.38, 0.12), (0.21, 0.16), (0.11, 0.5), (0.09, 0.84), (0.18, 0.85), (0.21, 0.52), (0.25, 0.36),
                (0.24, 0.8), (0.76, 0.8), (0.75, 0.36), (0.79, 0.52), (0.82, 0.85), (0.91, 0.84), (0.89, 0.5),
                (0.79, 0.16), (0.62, 0.12), (0.5, 0.18)]],
    "dress": [[(0.36, 0.04), (0.4, 0.04), (0.43, 0.17), (0.57, 0.17), (0.6, 0.04), (0.64, 0.04), (0.66, 0.26),
               (0.61, 0.4), (0.84, 0.95), (0.16, 0.95), (0.39, 0.4), (0.34, 0.26)]],
    "skirt": [[(0.3, 0.14), (0.7, 0.14), (0.71, 0.22), (0.88, 0.86), (0.12, 0.86), (0.29, 0.22)]],
    "trousers": [[(0.29, 0.05), (0.71, 0.05), (0.76, 0.96), (0.56, 0.96), (0.5, 0.34), (0.44, 0.96), (0.24, 0.96)]],
    "shoes": [[(0.05, 0.62), (0.08, 0.46), (0.26, 0.43), (0.33, 0.34), (0.45, 0.34), (0.56, 0.49), (0.84, 0.55),
               (0.95, 0.63), (0.95, 0.72), (0.05, 0.72)],
              [(0.05, 0.7), (0.18, 0.7), (0.17, 0.8), (0.06, 0.8)]],
    "bag": [[(0.18, 0.4), (0.82, 0.4), (0.88, 0.88), (0.12, 0.88)],
            [(0.3, 0.41), (0.33, 0.16), (0.67, 0.16), (0.7, 0.41), (0.64, 0.41), (0.61, 0.22), (0.39, 0.22),
             (0.36, 0.41)]],
    "hat": [[(0.3, 0.6), (0.33, 0.3), (0.42, 0.22), (0.58, 0.22), (0.67, 0.3), (0.7, 0.6)],
            _ellipse(0.5, 0.62, 0.46, 0.1)],
    "scarf": [_ring(0.5, 0.18, (0.23, 0.12), (0.14, 0.06)),
              [(0.36, 0.2), (0.48, 0.21), (0.47, 0.9), (0.34, 0.9)],
              [(0.5, 0.22), (0.6, 0.2), (0.69, 0.82), (0.57, 0.85)]],
}  # fmt: skip
# Seams, collars and hems drawn on the front view only, so that front and back differ.
_DETAILS: dict[str, list[list[Point]]] = {
    "t-shirt": [[(0.43, 0.17), (0.5, 0.21), (0.57, 0.17)]],
    "shirt": [[(0.38, 0.1), (0.45, 0.21), (0.5, 0.16)], [(0.62, 0.1), (0.55, 0.21), (0.5, 0.16)],
              [(0.5, 0.17), (0.5, 0.92)]],
    "sweater": [[(0.27, 0.83), (0.73, 0.83)], [(0.09, 0.82), (0.19, 0.83)], [(0.81, 0.83), (0.91, 0.82)],
                [(0.4, 0.14), (0.5, 0.21), (0.6, 0.14)]],
    "coat": [[(0.38, 0.05), (0.44, 0.3), (0.5, 0.45)], [(0.62, 0.05), (0.56, 0.3), (0.5, 0.45)],
             [(0.5, 0.45), (0.5, 0.97)], [(0.24, 0.55), (0.76, 0.55)]],
    "jacket": [[(0.38, 0.12), (0.44, 0.34), (0.5, 0.46)], [(0.62, 0.12), (0.56, 0.34), (0.5, 0.46)],
               [(0.5, 0.46), (0.5, 0.8)], [(0.3, 0.64), (0.42, 0.64)], [(0.58, 0.64), (0.7, 0.64)]],
    "dress": [[(0.39, 0.4), (0.61, 0.4)]],
    "skirt": [[(0.29, 0.22), (0.71, 0.22)], [(0.42, 0.22), (0.38, 0.86)], [(0.58, 0.22), (0.62, 0.86)]],
    "trousers": [[(0.29, 0.11), (0.71, 0.11)], [(0.5, 0.11), (0.5, 0.3)], [(0.36, 0.15), (0.35, 0.96)],
                 [(0.64, 0.15), (0.65, 0.96)]],
    "shoes": [[(0.05, 0.69), (0.95, 0.69)], [(0.4, 0.42), (0.46, 0.47)], [(0.44, 0.39), (0.5, 0.46)]],
    "bag": [[(0.18, 0.4), (0.5, 0.6), (0.82, 0.4)]],
    "hat": [[(0.31, 0.52), (0.69, 0.52)]],
    "scarf": [[(0.37, 0.86), (0.37, 0.94)], [(0.41, 0.86), (0.41, 0.94)], [(0.45, 0.86), (0.45, 0.94)],
              [(0.6, 0.8), (0.61, 0.88)], [(0.64, 0.8), (0.65, 0.88)]],
}  # fmt: skip
_BUTTONS: dict[str, list[Point]] = {
    "shirt": [(0.5, 0.3), (0.5, 0.45), (0.5, 0.6), (0.5, 0.75)],
    "coat": [(0.45, 0.63), (0.45, 0.75), (0.55, 0.63), (0.55, 0.75)],
    "jacket": [(0.5, 0.56), (0.5, 0.68)],
    "bag": [(0.5, 0.6)],
}
_BACKGROUNDS = ((246, 244, 240), (240, 242, 245), (247, 245, 250), (243, 240, 235))


def _mix(rgb: tuple[int, int, int], target: int, amount: float) -> tuple[int, int, int]:
    r, g, b = (round(c + (target - c) * amount) for c in rgb)
    return (r, g, b)


def _draw(
    category: str, rgb: tuple[int, int, int], pattern: str, sku: str, view: str, size: tuple[int, int]
) -> Image.Image:
    """The garment's silhouette in its colour and pattern on a light background, seen from `view`."""
    width, height = size
    shape = random.Random(f"shape:{sku}")  # small per-product proportions, so two coats differ
    stretch_x, stretch_y = shape.uniform(0.9, 1.05), shape.uniform(0.93, 1.04)
    background = shape.choice(_BACKGROUNDS)
    tilt = math.radians(shape.choice((-1, 1)) * shape.uniform(5, 9)) if view == "rotated" else 0.0

    side = min(width, height) * 0.86
    zoom, focus, centre = {
        "detail": (2.3, (0.5, 0.35), (width / 2, height / 2)),
        "scaled": (0.62, (0.5, 0.5), (width * 0.42, height * 0.55)),
    }.get(view, (1.0, (0.5, 0.5), (width / 2, height / 2)))
    scale = side * zoom

    def place(point: Point) -> Point:
        u, v = point
        if view == "back":
            u = 1 - u
        return (centre[0] + (u - focus[0]) * scale * stretch_x, centre[1] + (v - focus[1]) * scale * stretch_y)

    # The tilted view turns the geometry rather than the bitmap: rotating pixels costs ten times more.
    cos, sin = math.cos(tilt), math.sin(tilt)

    def turn(point: Point) -> Point:
        x, y = point[0] - centre[0], point[1] - centre[1]
        return (centre[0] + x * cos - y * sin, centre[1] + x * sin + y * cos)

    def to_px(point: Point) -> Point:
        return turn(place(point))

    placed = [[place(pt) for pt in poly] for poly in _SHAPES[category]]
    polygons = [[turn(pt) for pt in poly] for poly in placed]
    mask = Image.new("L", size, 0)
    mask_draw = ImageDraw.Draw(mask)
    for poly in polygons:
        mask_draw.polygon(poly, fill=255)

    cloth = Image.new("RGB", size, rgb)
    luminance = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    accent = _mix(rgb, 0, 0.45) if luminance > 150 else _mix(rgb, 255, 0.55)
    xs = [x for poly in placed for x, _ in poly]
    ys = [y for poly in placed for _, y in poly]
    box = (max(min(xs), -scale), max(min(ys), -scale), min(max(xs), width + scale), min(max(ys), height + scale))
    _draw_pattern(ImageDraw.Draw(cloth), pattern, box, max(5, round(scale / 16)), accent, turn)
    if view == "back":
        # A contrasting back yoke: without it a symmetric garment's back view would be its front view
        # mirrored, which a perceptual hash rightly calls a near-duplicate.
        top = box[1] + (box[3] - box[1]) * 0.12
        yoke = [turn(pt) for pt in ((box[0], top), (box[2], top), (box[2], top + scale * 0.22), (box[0], top + scale * 0.22))]
        ImageDraw.Draw(cloth).polygon(yoke, fill=accent)

    image = Image.new("RGB", size, background)
    image.paste(cloth, mask=mask)
    draw = ImageDraw.Draw(image)
    edge = _mix(rgb, 0, 0.55)
    line = max(2, round(scale / 180))
    for poly in polygons:
        draw.polygon(poly, outline=edge, width=line)
    if view == "back":
        x, y = to_px((0.5, 0.2))
        draw.rectangle((x - scale * 0.03, y - scale * 0.02, x + scale * 0.03, y + scale * 0.02), fill=(250, 250, 250))
    else:
        for detail in _DETAILS.get(category, []):
            draw.line([to_px(pt) for pt in detail], fill=edge, width=line)
        radius = scale * 0.012
        for pt in _BUTTONS.get(category, []):
            x, y = to_px(pt)
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=edge)
    return image


def _draw_pattern(
    draw: ImageDraw.ImageDraw,
    pattern: str,
    box: tuple[float, float, float, float],
    step: int,
    colour: tuple[int, int, int],
    turn: Callable[[Point], Point],
) -> None:
    """Stripes, checks or dots over the garment's box, turned with the garment."""
    x0, y0, x1, y1 = box

    def band(left: float, top: float, right: float, bottom: float) -> None:
        draw.polygon([turn((left, top)), turn((right, top)), turn((right, bottom)), turn((left, bottom))], fill=colour)

    if pattern in ("stripes", "checks"):
        thickness = step if pattern == "stripes" else step / 2
        for k in range(math.ceil((y1 - y0) / (2 * step)) + 1):
            band(x0, y0 + k * 2 * step, x1, y0 + k * 2 * step + thickness)
    if pattern == "checks":
        for k in range(math.ceil((x1 - x0) / (2 * step)) + 1):
            band(x0 + k * 2 * step, y0, x0 + k * 2 * step + step / 2, y1)
    if pattern == "dots":
        radius = step * 0.45
        for row in range(math.ceil((y1 - y0) / (2 * step)) + 1):
            for col in range(math.ceil((x1 - x0) / (2 * step)) + 1):
                x, y = turn((x0 + step / 2 + (row % 2) * step + col * 2 * step, y0 + step / 2 + row * 2 * step))
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)


def render_image(product: Product, spec: ImageSpec) -> bytes:
    """The bytes served for one image: they depend only on the garment, so every day and run agree."""
    if spec.flaw == "bomb":
        return _bomb_png()
    return _render(product.picture_key, product.category, product.color, product.pattern, spec, product.images[0])


@functools.lru_cache(maxsize=256)  # bounded: a crawl of the 5,000-product shop fetches ~20,000 images
def _render(sku: str, category: str, colour: str, pattern: str, spec: ImageSpec, first: ImageSpec) -> bytes:
    if spec.flaw == "near_duplicate":
        original = Image.open(io.BytesIO(_render(sku, category, colour, pattern, first, first)))
        return _encode(original.resize((spec.width, spec.height), Image.Resampling.LANCZOS), "jpeg", quality=70)
    image = _draw(category, COLOURS[colour], pattern, sku, spec.view, (spec.width, spec.height))
    if spec.exif_rotated:
        exif = Image.Exif()
        exif[0x0112] = 6  # "rotate 90° clockwise to display": the pixels are stored turned the other way
        buffer = io.BytesIO()
        image.rotate(90, expand=True).save(buffer, "JPEG", quality=88, exif=exif)
        return buffer.getvalue()
    data = _encode(image, spec.fmt)
    return data[: len(data) // 2] if spec.flaw == "truncated" else data


def _encode(image: Image.Image, fmt: str, quality: int = 88) -> bytes:
    buffer = io.BytesIO()
    if fmt == "jpeg":
        image.save(buffer, "JPEG", quality=quality)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _bomb_png() -> bytes:
    """A valid 1-bit PNG of 30000×30000 pixels, ~110 KB on disk, ~900 MB once decoded by Pillow."""
    row_bytes = (BOMB_SIDE + 7) // 8 + 1  # a filter byte, then the packed pixels
    compressor = zlib.compressobj(9)
    remaining, zeros, parts = row_bytes * BOMB_SIDE, bytes(1 << 23), []
    while remaining:
        parts.append(compressor.compress(zeros[: min(remaining, len(zeros))]))
        remaining -= min(remaining, len(zeros))
    parts.append(compressor.flush())

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", BOMB_SIDE, BOMB_SIDE, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")
