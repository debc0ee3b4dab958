"""What both drawing paths share: the task `style` hands a path, the drawn candidates it hands back, the seed
plan, and the product board.

The two paths stand side by side on this floor and never import each other: adapter_drawing.py (SDXL, SD 1.x:
a trained identity or the face adapter, and the product adapter) and reference_editing.py (klein: the person's
and the products' own photos as references, no training).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from stylist.catalog.products import StoredProduct
from stylist.imaging import NEUTRAL_BACKGROUND, load_image, pad_to_square
from stylist.looks.outfits import Outfit
from stylist.looks.recipe import Recipe
from stylist.people.users import User
from stylist.presets import Preset


@dataclass(frozen=True)
class Drawn:
    """One candidate picture of an option, and the seed its noise came from."""

    image: Image.Image
    seed: int


@dataclass(frozen=True)
class DrawTask:
    """What a drawing path draws: for `user`, each outfit of `plan` in `scene`, one candidate per seed of its
    row in `seeds`, as `recipe` says, with `preset`'s models on `device`."""

    preset: Preset
    device: str
    user: User
    scene: str
    plan: tuple[Outfit, ...]
    seeds: list[list[int]]
    recipe: Recipe


@dataclass(frozen=True)
class DrawnOptions:
    """What a drawing path hands back: each option's candidates, the products whose own pictures each option
    was drawn from, and what carried the person ("reference photo", "dreambooth", "face adapter")."""

    candidates: list[list[Drawn]]
    references: list[list[int]]
    identity: str


def seed_plan(look_seed: int, options: int, candidates: int) -> list[list[int]]:
    """Each option's candidates' seeds, drawn from the look's seed, so that looks of neighbouring seeds share no
    candidate and a look's seed gives the same candidates again."""
    drawn = np.random.SeedSequence(look_seed).generate_state(options * candidates, dtype=np.uint32) >> 1
    return [[int(each) for each in drawn[number * candidates:(number + 1) * candidates]] for number in range(options)]


def product_board(products: Sequence[StoredProduct], size: int = 512) -> Image.Image:
    """The outfit's first product images in a grid on the catalog's neutral background: one image for the
    product adapter, however many products an outfit has, so that outfits batch together; klein reads the same
    sheet when an outfit's products do not all fit beside the person's photo."""
    if not products:
        return Image.new("RGB", (size, size), NEUTRAL_BACKGROUND)
    columns = math.ceil(math.sqrt(len(products)))
    rows = math.ceil(len(products) / columns)
    cell = size // max(columns, rows)
    board = Image.new("RGB", (size, size), NEUTRAL_BACKGROUND)
    top = (size - rows * cell) // 2
    for index, product in enumerate(products):
        picture = pad_to_square(load_image(product.picture().read_bytes()), cell)
        row, column = divmod(index, columns)
        left = (size - min(columns, len(products) - row * columns) * cell) // 2
        board.paste(picture, (left + column * cell, top + row * cell))
    return board


def describe(product: StoredProduct) -> str:
    """How a prompt names a product: designer and title, and its colour where they do not say it."""
    words = f"{product.designer} {product.title}".strip()
    if product.color and product.color.lower() not in words.lower():
        words = f"{words} in {product.color.lower()}"
    return words
