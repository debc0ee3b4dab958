"""Part 2's world: products to wear (category × colour × pattern), shown in shop shots, and many identities,
each a person with a hat of their own, shown in photos.

What a model learns from here is to carry content from an image into the picture, in four tasks whose
prompts name no colour, pattern or hat, so that only the images can carry them:
- `garment`: a person wearing the garment of the product shot given as image 1;
- `identity`: the person of the photo given as image 1, in a garment of the model's choosing;
- `both`: the person of image 1 wearing the garment of image 2;
- `none`: a person, no image (the baseline every other task is measured against).
Some garments and some identities never appear in training, and all of part 2's measurements use them: a
model that only remembers what it saw cannot score there.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from stylist.evaluate.microworld.world.figures import (
    CATEGORIES,
    COLOURS,
    HAIRS,
    MARKER_COLOURS,
    MARKER_SHAPES,
    PATTERNS,
    SHIFTS,
    SKINS,
    Figure,
    Marker,
    product_shot,
    render,
)
from stylist.evaluate.microworld.world.off_pose import displaced_photo, displaced_shot

PROMPTS = {
    "garment": "a photo of a person wearing the garment in image 1",
    "identity": "a photo of the person in image 1",
    "both": "a photo of the person in image 1 wearing the garment in image 2",
    "none": "a photo of a person",
}
TASKS = tuple(PROMPTS)


@dataclass(frozen=True)
class Garment:
    category: str
    colour: str
    pattern: str


@dataclass(frozen=True)
class Identity:
    skin: str
    marker: Marker


GARMENTS = tuple(Garment(*values) for values in product(CATEGORIES, COLOURS, PATTERNS))  # 72
IDENTITIES = tuple(Identity(skin, Marker(colour, shape))
                   for skin, colour, shape in product(SKINS, MARKER_COLOURS, MARKER_SHAPES))  # 24
CHANCE_GARMENT = 1 / len(GARMENTS)


def _held_out_garments() -> tuple[Garment, ...]:
    """12 garments no model trains on, balanced: each category 4 times, each colour twice, each pattern 3 times,
    and each of them seen in other garments in training (what is new is the combination, as with a shop's new
    product). Balanced, so that a model that always drew one thing would score no better than chance."""
    colours = list(COLOURS)
    return tuple(Garment(CATEGORIES[index % 3], colours[index // 2], PATTERNS[index % 4]) for index in range(12))


def _held_out_identities() -> tuple[Identity, ...]:
    """One identity per marker (6), each a (skin, marker) pair no model trains on; every marker and every skin
    is worn by other people in training, so only the photo tells which hat and which skin to draw."""
    skins = list(SKINS)
    markers = [Marker(colour, shape) for colour, shape in product(MARKER_COLOURS, MARKER_SHAPES)]
    return tuple(Identity(skins[index % len(skins)], marker) for index, marker in enumerate(markers))


HELD_OUT_GARMENTS = _held_out_garments()
HELD_OUT_IDENTITIES = _held_out_identities()
TRAIN_GARMENTS = tuple(garment for garment in GARMENTS if garment not in HELD_OUT_GARMENTS)
TRAIN_IDENTITIES = tuple(identity for identity in IDENTITIES if identity not in HELD_OUT_IDENTITIES)


@dataclass
class Examples:
    """One task's pictures to generate, and the images that condition each (image 1, image 2, ...)."""

    task: str
    targets: np.ndarray  # (N, 32, 32, 3) uint8
    references: list[np.ndarray]  # one (N, 32, 32, 3) uint8 array per image slot; empty for `none`
    garments: list[Garment]  # what each target wears
    identities: list[Identity | None]  # who each target is (None: a person without a hat)

    @property
    def prompts(self) -> list[str]:
        return [PROMPTS[self.task]] * len(self.targets)


def examples(task: str, count: int, rng: np.random.Generator, garments: tuple[Garment, ...] = TRAIN_GARMENTS,
             identities: tuple[Identity, ...] = TRAIN_IDENTITIES, *, off_pose: bool = False,
             pairs: list[tuple[Garment, Identity | None]] | None = None) -> Examples:
    """`count` examples of `task`, drawing garments and identities from the given sets (or taking `pairs`, what
    each target wears and who wears it, as given). `off_pose` moves every reference away from the target's
    geometry (off_pose.py): a shop's shot, a person's snapshot, not the target's own pixels."""
    if pairs is None:
        chosen = [garments[index] for index in rng.integers(len(garments), size=count)]
        who: list[Identity | None] = (
            [identities[index] for index in rng.integers(len(identities), size=count)]
            if task in ("identity", "both") else [None] * count)
    else:
        chosen, who = [garment for garment, _ in pairs], [identity for _, identity in pairs]
    targets, photos, shots = [], [], []
    for garment, identity in zip(chosen, who, strict=True):
        target = _figure(garment, identity, rng)
        targets.append(render(target))
        if off_pose:
            shots.append(displaced_shot(garment.category, garment.colour, garment.pattern, rng))
        else:
            shots.append(product_shot(garment.category, garment.colour, garment.pattern))
        if identity is not None:
            # Off pose, the photo also stands elsewhere than the target before it is moved.
            away = target.shift if off_pose else None
            photo = render(_figure(_other(garment, garments, rng), identity, rng, avoid_shift=away))
            photos.append(displaced_photo(photo, rng)[0] if off_pose else photo)
    references = {"garment": [shots], "identity": [photos], "both": [photos, shots], "none": []}[task]
    return Examples(task, np.stack(targets), [np.stack(images) for images in references], chosen, who)


def stratified_pairs(task: str, repeats: int = 1) -> list[tuple[Garment, Identity | None]]:
    """Every held-out product and person equally often: for `garment`, each product `repeats` × 6 times; for
    `identity`, each person `repeats` × 12 times (the target's garment going round the held-out products); for
    `both` and `none`, every (product, person) pair `repeats` times. 72 × `repeats` pairs each."""
    garments, people = HELD_OUT_GARMENTS, HELD_OUT_IDENTITIES
    crossed = [(garment, person) for garment in garments for person in people] * repeats
    if task == "garment":
        return [(garment, None) for garment, _ in crossed]
    if task == "identity":
        return [(garments[(index + people.index(person)) % len(garments)], person)
                for index, (_, person) in enumerate(sorted(crossed, key=lambda pair: people.index(pair[1])))]
    return crossed


def _figure(garment: Garment, identity: Identity | None, rng: np.random.Generator,
            avoid_shift: int | None = None) -> Figure:
    """A person wearing `garment`: `identity`'s skin and hat, or anyone's skin and hair and no hat; standing
    anywhere but at `avoid_shift`."""
    skin = identity.skin if identity else list(SKINS)[rng.integers(len(SKINS))]
    hair = list(HAIRS)[rng.integers(len(HAIRS))]
    shifts = [shift for shift in SHIFTS if shift != avoid_shift]
    return Figure(garment.category, garment.colour, skin, hair, int(rng.choice(shifts)), pattern=garment.pattern,
                  marker=identity.marker if identity else None)


def _other(garment: Garment, garments: tuple[Garment, ...], rng: np.random.Generator) -> Garment:
    """Another garment of the same set for a person's photo, so that the photo cannot tell what the target
    wears (and training photos show no held-out garment)."""
    while (other := garments[rng.integers(len(garments))]) == garment:
        pass
    return other
