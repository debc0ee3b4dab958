"""How faithful a look is to what it was drawn from: the products it lists, the person's face, and whether
that face was drawn or pasted from one of the person's photos.

Every score takes its embedder as an argument (see metrics.py for the real ones and their licences), so the
same functions run on tiny random models, toy embedders in tests and the real models on a GPU.

Garment regions are a heuristic, not a parser: human parsers good enough to find garments (SCHP, trained on
LIP/ATR, and most others) are licensed for research only, so the region of a slot is a fixed box measured in
face heights below the face the intake detector finds, from the proportions of a standing adult (about 7.5
heads tall), or in shares of the picture when no face is found. It is right for a full-length, upright,
centred figure, which is what looks are asked for, and wrong for anything else: read it beside the
whole-image score, never instead of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from stylist.evaluate.metrics import ImageEmbedder, look_faces, subject_fidelity
from stylist.people.photos import Box

# Where a slot's garment sits: (top, bottom) in face heights below the top of the face box, and its width in
# face heights, centred on the face. A standing adult is ~7.5 heads: shoulders at ~1.3, waist ~3, hips ~3.7,
# knees ~5.5, ankles ~7. The cascade's box spans brows to mouth, a little less than a head.
SLOT_REGIONS = {
    "top": (1.2, 4.0, 3.6),
    "outerwear": (1.1, 5.0, 4.0),
    "dress": (1.2, 6.5, 3.8),
    "bottom": (3.4, 7.6, 3.0),
    "shoes": (7.0, 8.6, 3.0),
    "bag": (2.5, 6.0, 5.0),
}
# Without a face, a full-length picture is taken to be 8.6 face heights tall with the face's top at 0.2 of one,
# centred: the same proportions as above, scaled to the picture.
FIGURE_HEIGHT = 8.6
# Faces in a full-length look are smaller than in a selfie: a 1024-pixel look shows one 60-120 pixels wide.
LOOK_MIN_FACE_PX = 40
# Faces are compared as grey thumbnails this many pixels a side, by correlation: coarse enough that the few
# pixels a detector's box moves between two copies of one face do not matter.
THUMBNAIL = 16
# Above this correlation a look's face is a copy of a photo's. Measured on scikit-image's astronaut: the same
# face re-encoded as JPEG 0.94, pasted at 0.6 scale 0.98, cut from a 8%-smaller detector box 0.89; ten other
# people's faces (LFW) -0.34 to 0.50, the face mirrored 0.58.
COPY_PASTE_SIMILARITY = 0.85


def garment_region(look: Image.Image, slot: str, face: Box | None = None) -> Image.Image:
    """The part of `look` where a garment of `slot` sits (heuristic: see the module's docstring).

    Slots without a place on the body (accessories) and boxes that fall off the picture give the whole look.
    """
    if slot not in SLOT_REGIONS:
        return look
    width, height = look.size
    if face is not None:
        unit, top, centre = float(face.h), float(face.y), face.x + face.w / 2
    else:
        unit = height / FIGURE_HEIGHT
        top, centre = 0.2 * unit, width / 2
    start, end, span = SLOT_REGIONS[slot]
    box = (max(0.0, centre - span * unit / 2), max(0.0, top + start * unit),
           min(float(width), centre + span * unit / 2), min(float(height), top + end * unit))
    if box[2] - box[0] < 8 or box[3] - box[1] < 8:
        return look
    return look.crop(tuple(round(value) for value in box))


@dataclass(frozen=True)
class ProductFidelity:
    """One option's similarity to the pictures of its products, as the mean over those products."""

    whole: float  # each product's picture against the whole look
    region: float  # against the region where that product's slot sits


def product_fidelity(embed: ImageEmbedder, look: Image.Image, products: Sequence[tuple[str, Image.Image]],
                     face: Box | None = None) -> ProductFidelity:
    """Image-to-image similarity (CLIP-I or DINO, by the embedder) between `look` and each (slot, picture).

    `face` is the look's face box if one was found: it places the garment regions.
    """
    if not products:
        raise ValueError("product_fidelity needs at least one product picture")
    pictures = [picture.convert("RGB") for _, picture in products]
    whole = subject_fidelity(embed, [look], pictures)
    regions = [subject_fidelity(embed, [garment_region(look, slot, face)], [picture])
               for (slot, _), picture in zip(products, pictures, strict=True)]
    return ProductFidelity(whole=whole, region=sum(regions) / len(regions))


@dataclass(frozen=True)
class CopyPaste:
    similarity: float  # the highest perceptual similarity of a look's face to a photo's face; nan without faces
    copied: float  # share of looks whose face is a copy (looks without a face count as not copied)


def copy_paste(looks: Sequence[Image.Image], person_crops: Sequence[Image.Image],
               threshold: float = COPY_PASTE_SIMILARITY, min_face_px: int = LOOK_MIN_FACE_PX) -> CopyPaste:
    """Whether the faces of `looks` are pasted from the person's photos rather than drawn.

    A reference-editing model can return the reference's face pixel for pixel, which scores as a perfect
    likeness while the face ignores the new pose, light and expression. Faces are cut the way intake cut
    `person_crops` (head and shoulders around the detector's box), so a pasted face lines up with its photo
    and their grey thumbnails correlate almost perfectly; a face drawn anew, even of the same person, does not.
    """
    photos = [_thumbnail(crop) for crop in person_crops]
    scores = []
    for face in look_faces(looks, size=person_crops[0].width if person_crops else 112, min_face_px=min_face_px):
        if face is not None and photos:
            mine = _thumbnail(face)
            scores.append(max(float(mine @ other) for other in photos))
    similarity = max(scores) if scores else float("nan")
    copied = sum(score >= threshold for score in scores) / len(looks) if looks else 0.0
    return CopyPaste(similarity=similarity, copied=copied)


def _thumbnail(face: Image.Image) -> np.ndarray:
    """The grey thumbnail as a unit vector with zero mean: dot products of two are their correlation."""
    pixels = np.asarray(face.convert("L").resize((THUMBNAIL, THUMBNAIL), Image.Resampling.BOX), np.float64).ravel()
    pixels = pixels - pixels.mean()
    return pixels / max(float(np.linalg.norm(pixels)), 1e-9)
