"""The micro-world: 32×32 people drawn from a few flat colours, wearing one garment (category × colour), with captions.

Every picture is made of named regions (hair, face, torso, skirt, legs, ...) filled with colours from small
palettes, so the world's classifier (classifier.py) can read back exactly what was drawn. One identity,
"sks person", wears a large cyan hat, a colour nothing else in the world uses: whether a sample carries the
identity is then one unmistakable region of the picture, not a detail a 32-pixel model can blur away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 32
BACKGROUND = (232, 232, 228)
CATEGORIES = ("shirt", "dress", "trousers")
COLOURS = {
    "red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 160, 50),
    "yellow": (240, 210, 20), "purple": (140, 40, 170), "orange": (245, 130, 20),
}
SKINS = {"light": (245, 205, 170), "tan": (205, 150, 110), "brown": (150, 95, 60), "dark": (95, 60, 40)}
HAIRS = {"black": (25, 20, 20), "brown": (115, 65, 30), "blonde": (225, 195, 110), "grey": (170, 170, 175)}
HAT = (0, 190, 200)  # the identity's hat: cyan, used by no garment, skin or hair
# Part 2 (references.py): garments with a pattern printed in dark ink, and many identities, each known by a
# marker of its own, a hat of one of these colours (none a garment, skin or hair colour) in one of two shapes.
PATTERNS = ("plain", "stripes", "dots", "checks")
INK = (30, 30, 30)
MARKER_COLOURS = {"cyan": HAT, "pink": (255, 110, 200), "mint": (150, 255, 170)}
MARKER_SHAPES = ("brim", "beanie")
PRODUCT_BACKGROUND = (255, 255, 255)  # a shop's product shot: the garment alone on white
# What a figure wears where the garment is not: grey tops above trousers, dark trousers below shirts, shoes.
TOP = (150, 150, 150)
BOTTOMS = (60, 60, 72)
SHOES = (40, 30, 30)
# Figures stand at the centre, shifted sideways by up to this many pixels.
SHIFTS = tuple(range(-2, 3))

IDENTIFIER = "sks"
CLASS_PROMPT = "a photo of a person"
INSTANCE_PROMPT = f"a photo of {IDENTIFIER} person"
# The identity: a tan-skinned, brown-haired person in a hat (the hair is under the hat).
IDENTITY_SKIN, IDENTITY_HAIR = "tan", "brown"


@dataclass(frozen=True)
class Marker:
    """What tells one of part 2's identities from another: the colour and shape of their hat."""

    colour: str
    shape: str


@dataclass(frozen=True)
class Figure:
    """One picture's content: everything the renderer draws and the classifier reads back."""

    category: str
    colour: str
    skin: str
    hair: str
    shift: int = 0
    hat: bool = False  # only the identity wears the hat
    pattern: str = "plain"
    marker: Marker | None = None  # part 2's identities: a hat of their own colour and shape

    def caption(self, subject: str = "a person") -> str:
        return f"a photo of {subject} wearing a {self.colour} {self.category}"


def regions(shift: int) -> dict[str, np.ndarray]:
    """Boolean 32×32 masks of a figure's body parts, for a figure shifted `shift` pixels to the right."""
    c = SIZE // 2 + shift

    def box(top: int, bottom: int, left: int, right: int) -> np.ndarray:
        mask = np.zeros((SIZE, SIZE), dtype=bool)
        mask[top:bottom, c + left : c + right] = True
        return mask

    skirt = np.zeros((SIZE, SIZE), dtype=bool)
    for row in range(20, 27):
        half = 5 + (row - 20) // 2  # flares from 10 to 16 pixels wide
        skirt[row, c - half : c + half] = True
    legs = box(20, 30, -4, -1) | box(20, 30, 1, 4)
    return {
        "hair": box(1, 4, -3, 3),
        "face": box(4, 10, -3, 3),
        "neck": box(10, 11, -1, 1),
        "torso": box(11, 20, -5, 5),
        "arms": box(11, 19, -7, -5) | box(11, 19, 5, 7),
        "sleeves": box(11, 14, -7, -5) | box(11, 14, 5, 7),
        "skirt": skirt,
        "legs": legs,
        "shins": legs & box(27, 30, -8, 8),  # what a dress leaves bare
        "feet": box(30, 31, -4, -1) | box(30, 31, 1, 4),
        "hat": box(0, 3, -4, 4) | box(3, 5, -7, 7),
        "beanie": box(0, 5, -4, 4),  # the brimmed hat without its brim
        "brim": box(3, 5, -7, -4) | box(3, 5, 4, 7),
    }


def pattern_mask(pattern: str, shift: int) -> np.ndarray:
    """Where a garment of `pattern` is printed in ink, for a figure shifted `shift` pixels (the print moves
    with the figure, so a product shot and a person wearing it share it)."""
    rows, columns = np.mgrid[0:SIZE, 0:SIZE]
    x = columns - (SIZE // 2 + shift) + 30  # kept positive for the modulo
    if pattern == "plain":
        return np.zeros((SIZE, SIZE), dtype=bool)
    if pattern == "stripes":
        return rows % 3 == 0
    if pattern == "dots":
        return (rows % 3 == 1) & (x % 3 == 1)
    if pattern == "checks":
        return (rows // 2 + x // 2) % 2 == 0
    raise ValueError(f"unknown pattern {pattern!r}")


def garment_mask(category: str, masks: dict[str, np.ndarray]) -> np.ndarray:
    """The pixels the garment itself covers (a dress leaves its wearer's shins bare)."""
    if category == "shirt":
        return masks["torso"] | masks["sleeves"]
    if category == "dress":
        return (masks["torso"] | masks["skirt"]) & ~masks["shins"]
    return masks["legs"] & ~masks["feet"]


def garment_layers(category: str, colour: tuple[int, int, int], skin: tuple[int, int, int] | None,
                   masks: dict[str, np.ndarray], ink: np.ndarray | None = None,
                   ) -> list[tuple[np.ndarray, tuple[int, int, int] | None]]:
    """The body below the neck as (mask, colour) layers, painted in order; `skin` None leaves bare skin unknown,
    and `ink` (a pattern's mask) prints the garment."""
    if category == "shirt":
        layers = [(masks["arms"], skin), (masks["torso"] | masks["sleeves"], colour), (masks["legs"], BOTTOMS),
                  (masks["feet"], SHOES)]
    elif category == "dress":
        layers = [(masks["arms"], skin), (masks["legs"], skin), (masks["torso"] | masks["skirt"], colour),
                  (masks["shins"], skin), (masks["feet"], SHOES)]
    else:
        layers = [(masks["arms"], skin), (masks["torso"], TOP), (masks["legs"], colour), (masks["feet"], SHOES)]
    if ink is not None and ink.any():
        layers.append((garment_mask(category, masks) & ink, INK))
    return layers


def render(figure: Figure) -> np.ndarray:
    """The figure as a (32, 32, 3) uint8 picture."""
    masks = regions(figure.shift)
    skin = SKINS[figure.skin]
    image = np.empty((SIZE, SIZE, 3), dtype=np.uint8)
    image[:] = BACKGROUND
    layers = [(masks["hair"], HAIRS[figure.hair]), (masks["face"] | masks["neck"], skin)]
    layers += garment_layers(figure.category, COLOURS[figure.colour], skin, masks,
                             pattern_mask(figure.pattern, figure.shift))
    if figure.hat:
        layers.append((masks["hat"], HAT))
    if figure.marker is not None:
        hat = masks["beanie"] | (masks["brim"] if figure.marker.shape == "brim" else False)
        layers.append((hat, MARKER_COLOURS[figure.marker.colour]))
    for mask, colour in layers:
        image[mask] = colour
    return image


def product_shot(category: str, colour: str, pattern: str) -> np.ndarray:
    """A shop's picture of the garment alone, centred on white, as a (32, 32, 3) uint8 picture."""
    masks = regions(0)
    image = np.empty((SIZE, SIZE, 3), dtype=np.uint8)
    image[:] = PRODUCT_BACKGROUND
    garment = garment_mask(category, masks)
    image[garment] = COLOURS[colour]
    image[garment & pattern_mask(pattern, 0)] = INK
    return image


def random_figures(count: int, rng: np.random.Generator, hat: bool = False) -> list[Figure]:
    """`count` figures with every attribute drawn uniformly; with `hat`, the identity's own skin, hair and hat."""
    figures = []
    for _ in range(count):
        figures.append(Figure(
            category=CATEGORIES[rng.integers(len(CATEGORIES))],
            colour=list(COLOURS)[rng.integers(len(COLOURS))],
            skin=IDENTITY_SKIN if hat else list(SKINS)[rng.integers(len(SKINS))],
            hair=IDENTITY_HAIR if hat else list(HAIRS)[rng.integers(len(HAIRS))],
            shift=SHIFTS[rng.integers(len(SHIFTS))],
            hat=hat,
        ))
    return figures


@dataclass
class ClassData:
    """The class data a text-to-image model learns from: pictures, their figures, and one caption each."""

    images: np.ndarray  # (N, 32, 32, 3) uint8
    figures: list[Figure]
    captions: list[str]


def class_data(count: int, seed: int, bare_share: float = 0.1) -> ClassData:
    """`count` people without the hat. A `bare_share` of the captions is the class prompt alone, so that
    "a photo of a person" (DreamBooth's class prompt) is a prompt the model has learnt, with every garment."""
    rng = np.random.default_rng(seed)
    figures = random_figures(count, rng)
    captions = [CLASS_PROMPT if rng.random() < bare_share else figure.caption() for figure in figures]
    return ClassData(np.stack([render(figure) for figure in figures]), figures, captions)


def identity_photos(count: int = 4, seed: int = 1) -> tuple[np.ndarray, list[Figure]]:
    """The identity's photos for DreamBooth: the hat, their skin, and a different garment in each."""
    rng = np.random.default_rng(seed)
    figures = []
    pairs = rng.permutation(len(CATEGORIES) * len(COLOURS))[:count]
    for pair in pairs:
        category, colour = CATEGORIES[pair % len(CATEGORIES)], list(COLOURS)[pair // len(CATEGORIES)]
        figures.append(Figure(category, colour, IDENTITY_SKIN, IDENTITY_HAIR, int(rng.choice(SHIFTS)), hat=True))
    return np.stack([render(figure) for figure in figures]), figures


def prompt_grid() -> list[tuple[str, str]]:
    """Every (category, colour) pair, the prompts prompt fidelity is measured on."""
    return [(category, colour) for category in CATEGORIES for colour in COLOURS]
