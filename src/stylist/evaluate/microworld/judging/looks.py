"""The looks pipeline, judged: `stylist style` itself (retrieve → outfits → generate → rank → look) run on a
micro-world shop with a micro-world reference model, and each option's picture read by the exact classifier.

Per option: does the picture wear the product the option lists (its colour, pattern and category all right),
against the product of the look's next option (another dress, drawn in the same look), and chance (1 in the
shop's 24 products); and does it wear the person's marker (their hat), from the photo alone. Beside them, the
same model with the same seeds given the clean pictures (the photo as rendered, the product's own shot)
instead of the ones the pipeline hands it, so that what the pipeline's image handling costs shows apart from
what the model does.

What is real: the catalog (CatalogStore and ImageStore), the user record (people/users.py), the retriever
(`grounding_retriever`: the catalog's FTS5 lexical index fused with the fashion CLIP's vector index; with no
trained CLIP in the shop's data dir that is the `tiny-klein` preset's untrained tiny CLIP, so the lexical
half is what finds the garments named), outfit composition, the klein path's references and edit requests,
ranking (the same untrained CLIP, so between one option's candidates it chooses arbitrarily, if
deterministically), and the stored look. What is not (`INJECTED`, also in the report):
- the drawing: `style`'s `editor` is the micro-world model (`MicroEditor`), since tiny-klein's own pipeline
  has random weights that no CPU here can train;
- the user's intake: the photos are stored through `store_user` with the face box the world knows (the hat
  and the face), since intake's Haar cascades find no face in a figure 32 pixels tall.

The shop sells only dresses (6 colours × 4 patterns): a micro-world figure wears one garment, and an outfit of
a dress is one garment, so every outfit the pipeline composes can be drawn. Pictures are the world's with
each pixel a 2×2 block (`enlarge`), 64 px, the preset's resolution, and come back by averaging each block
(`shrink`), exactly for pictures stored losslessly (the looks' own PNGs). The pipeline's own image handling
is not lossless, and is measured rather than bypassed (`reference_error`): the image store keeps each
product's picture as the shop published it, as a full-chroma JPEG, which the klein path fits within the
preset's reference area at its own aspect (64 px here, unchanged), so a product reaches the model about 0.3
levels in 255 off on average; people's photos are full-chroma JPEGs too (about 0.6 off).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from stylist.catalog.store import CatalogStore
from stylist.evaluate.microworld.generators.editors import Compositor
from stylist.evaluate.microworld.judging.gate import gate
from stylist.evaluate.microworld.judging.intervals import Outcomes
from stylist.evaluate.microworld.judging.retrieval import Listing, write_catalog
from stylist.evaluate.microworld.world.classifier import classify
from stylist.evaluate.microworld.world.figures import (
    COLOURS,
    HAIRS,
    PATTERNS,
    SHIFTS,
    SIZE,
    Figure,
    product_shot,
    regions,
    render,
)
from stylist.evaluate.microworld.world.off_pose import displaced_photo, displaced_shot
from stylist.evaluate.microworld.world.wardrobe import (
    GARMENTS,
    HELD_OUT_GARMENTS,
    HELD_OUT_IDENTITIES,
    Examples,
    Garment,
    Identity,
)
from stylist.imaging import load_image
from stylist.looks.drawing import Drawn
from stylist.looks.pipeline import Seams, style
from stylist.looks.recipe import Recipe
from stylist.looks.reference_editing import EditRequest
from stylist.people.photos import AcceptedPhoto, Box, IntakeResult, crop_face
from stylist.people.users import User, store_user
from stylist.presets import get_preset
from stylist.settings import Settings

PRESET = "tiny-klein"
SCALE = 2  # a stored picture's pixels per world pixel, a side: 32 px figures become the preset's 64 px
DRESSES = tuple(garment for garment in GARMENTS if garment.category == "dress")  # 24
# Part 3's shop: the dresses no model trained on (one of each print: red stripes, green plain, yellow checks,
# orange dots), so that every option is a product the model never saw.
HELD_OUT_DRESSES = tuple(garment for garment in HELD_OUT_GARMENTS if garment.category == "dress")  # 4
# Occasions the shop's texts never mention, one naming a colour and one a pattern: retrieval then puts those
# dresses first, and the options of that look differ only in what the prompt does not name.
LOOK_PROMPTS = ("a dress for a garden party", "a red dress for a wedding", "a striped dress for the office",
                "a dress for a summer evening")
PATTERN_WORDS = {"plain": "plain", "stripes": "striped", "dots": "polka-dot", "checks": "checked"}
PHOTOS = 3
INJECTED = [
    ("editor: the micro-world reference model draws the klein path's candidates, in place of tiny-klein's "
     "Flux2KleinPipeline, whose weights are random and cannot be trained on these CPUs"),
    ("user intake: the photos are stored through people.users.store_user with the face box the world knows, "
     "since intake's Haar cascades find no face in a 32-pixel figure"),
]


def enlarge(pixels: np.ndarray) -> np.ndarray:
    """(…, H, W, 3) pictures with each pixel a SCALE×SCALE block: what PIL's NEAREST resize to SCALE× gives."""
    return pixels.repeat(SCALE, axis=-3).repeat(SCALE, axis=-2)


def shrink(pixels: np.ndarray) -> np.ndarray:
    """(…, H, W, 3) uint8 pictures with each SCALE×SCALE block averaged: the exact inverse of `enlarge`, and on
    a resampled JPEG the least noisy way back (half the error of taking every SCALE-th pixel)."""
    *lead, height, width, channels = pixels.shape
    blocks = pixels.reshape(*lead, height // SCALE, SCALE, width // SCALE, SCALE, channels).astype(np.float32)
    return blocks.mean(axis=(-4, -2)).round().astype(np.uint8)


def product_texts(garment: Garment) -> dict[str, str]:
    """A shop's words for a dress: "Red striped dress", with its colour, category and a description."""
    if garment.pattern == "plain":
        title, printed = f"Plain {garment.colour} {garment.category}", "plain"
    else:
        title = f"{garment.colour.capitalize()} {PATTERN_WORDS[garment.pattern]} {garment.category}"
        printed = f"printed with {'polka dots' if garment.pattern == 'dots' else garment.pattern}"
    return {"title": title, "description": f"A {garment.category} in {garment.colour}, {printed}.",
            "category": garment.category, "color": garment.colour}


def write_shop(settings: Settings, dresses: Sequence[Garment] = DRESSES,
               rng: np.random.Generator | None = None) -> dict[int, Garment]:
    """The dress shop, one complete crawl in `settings.data_dir`, each product's picture its product shot
    enlarged (moved off pose when given `rng`: world/off_pose.py); returns which garment each product id is."""
    def shot(garment: Garment) -> np.ndarray:
        if rng is None:
            return product_shot(garment.category, garment.colour, garment.pattern)
        return displaced_shot(garment.category, garment.colour, garment.pattern, rng)

    listings = [Listing(f"{g.category}-{g.colour}-{g.pattern}", g.category, g.colour, (enlarge(shot(g)),))
                for g in dresses]
    write_catalog(settings.data_dir, listings, [product_texts(garment) for garment in dresses])
    by_sku = {listing.sku: garment for listing, garment in zip(listings, dresses, strict=True)}
    with CatalogStore(settings) as store:
        return {product.id: by_sku[product.sku] for product in store.products()}


def face_box(shift: int) -> Box:
    """Where a figure shifted `shift` pixels has its head, in the stored photo's pixels: the hat and the face,
    what a face detector would frame on a person. Its size does not depend on the shift."""
    masks = regions(shift)
    return box_of(masks["hat"] | masks["face"])


def box_of(mask: np.ndarray) -> Box:
    """The box around a (32, 32) mask, in the stored picture's pixels."""
    rows, columns = np.nonzero(mask)
    return Box(int(columns.min()) * SCALE, int(rows.min()) * SCALE, int(np.ptp(columns) + 1) * SCALE,
               int(np.ptp(rows) + 1) * SCALE)


def shopper_photos(identity: Identity, rng: np.random.Generator, off_pose: bool = False) -> list[tuple[np.ndarray, Box]]:
    """PHOTOS renders of `identity` with their face boxes, each in another garment that is not a dress, so that
    no photo shows what a look should wear. `off_pose` makes them snapshots (world/off_pose.py): smaller, maybe
    mirrored, moved; the face box moves with the head."""
    others = [garment for garment in GARMENTS if garment.category != "dress"]
    photos = []
    for index in rng.choice(len(others), PHOTOS, replace=False):
        garment, shift = others[index], int(rng.choice(SHIFTS))
        figure = Figure(garment.category, garment.colour, identity.skin, list(HAIRS)[rng.integers(len(HAIRS))], shift,
                        pattern=garment.pattern, marker=identity.marker)
        if off_pose:
            photo, moved = displaced_photo(render(figure), rng)
            masks = regions(shift)
            photos.append((photo, box_of(moved.mask(masks["hat"] | masks["face"]))))
        else:
            photos.append((render(figure), face_box(shift)))
    return photos


def register_shopper(settings: Settings, photos: Sequence[tuple[np.ndarray, Box]]) -> User:
    """A user of these renders with their face boxes, enlarged and stored as intake stores a person's photos.
    The klein path's `person_photo` is the photo whose face is the smallest share."""
    side = get_preset(settings.preset).resolution
    accepted = []
    for number, (pixels, face) in enumerate(photos, start=1):
        image = Image.fromarray(enlarge(pixels))
        accepted.append(AcceptedPhoto(f"photo-{number}.png", image, face, crop_face(image, face, side)))
    return store_user(settings, "micro-world shopper", IntakeResult(accepted, [], []), crop_size=side)


class MicroEditor:
    """The micro-world reference model as `style`'s editor (looks.reference_editing.Editor).

    Each request's references (the person's photo first, then the products' pictures) are shrunk back to the
    world's 32 px and given as one example of the task their number says: "identity" for the photo alone,
    "both" for the photo and one product. The request's prompt is klein's instruction, words the micro
    model's text encoder never learnt, so the task's own prompt (wardrobe.PROMPTS) replaces it. Every
    candidate is drawn alone from a generator of its own seed, as `draw` promises. Steps: the recipe's, else
    `steps`, else the model's own default (klein's 4 are for a distilled model; this one is not). `given`
    keeps each request's example, in order, so that what reached the model can be measured.
    """

    def __init__(self, model: Callable[..., np.ndarray], steps: int | None = None) -> None:
        self.model = model
        self.steps = steps
        self.given: list[Examples] = []

    def __call__(self, requests: Sequence[EditRequest], seeds: Sequence[Sequence[int]], recipe: Recipe,
                 on_step: Callable[[int, int], None] | None = None) -> list[list[Drawn]]:
        steps = recipe.steps or self.steps
        total, done = sum(len(option_seeds) for option_seeds in seeds), 0
        found = []
        for request, option_seeds in zip(requests, seeds, strict=True):
            batch = as_examples(request)
            self.given.append(batch)
            candidates = []
            for seed in option_seeds:
                candidates.append(Drawn(Image.fromarray(enlarge(self.draw(batch, seed, steps)[0])), seed))
                done += 1
                if on_step is not None:
                    on_step(done, total)
            found.append(candidates)
        return found

    def draw(self, batch: Examples, seed: int, steps: int | None = None) -> np.ndarray:
        """The model's pictures for `batch`, from a CPU generator of `seed`."""
        generator = torch.Generator("cpu").manual_seed(seed)
        steps = steps or self.steps
        return self.model(batch, generator) if steps is None else self.model(batch, generator,
                                                                              num_inference_steps=steps)


def as_examples(request: EditRequest) -> Examples:
    """One edit request as the micro model's input. What the pictures show is not known here, only the
    pictures, so the example's garments and identities are left empty (the model reads neither)."""
    if not 1 <= len(request.references) <= 2:
        raise ValueError(f"a micro-world figure wears one garment, so a request has the person's photo and at most "
                         f"one product, not {len(request.references) - 1}")
    if any(image.size != (SIZE * SCALE, SIZE * SCALE) for image in request.references):
        raise ValueError(f"references must be {SIZE * SCALE} px a side, as the {PRESET} preset pads them")
    references = [shrink(np.asarray(image.convert("RGB")))[None] for image in request.references]
    return Examples(_TASKS[len(references)], np.zeros((1, SIZE, SIZE, 3), np.uint8), references, [], [])


_TASKS = {1: "identity", 2: "both"}


def judged_looks(model: Callable[..., np.ndarray], seed: int = 0, looks: int = len(LOOK_PROMPTS), options: int = 4,
                 steps: int | None = None) -> dict[str, Any]:
    """Run `style` `looks` times (LOOK_PROMPTS in turn, seeds from `seed`) for a held-out identity on the dress
    shop, drawn by `model` (a micro-world conditioned model, e.g. reference_model.ReferenceGenerator, with
    `steps` sampling steps or its own default), and judge every option's stored picture (see the module's
    docstring)."""
    if options < 2:
        raise ValueError("judging needs at least 2 options a look: each is compared with the next one's product")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    identity = HELD_OUT_IDENTITIES[seed % len(HELD_OUT_IDENTITIES)]
    photos = shopper_photos(identity, rng)
    editor = MicroEditor(model, steps)
    piped: dict[str, list[bool]] = {"own": [], "own_held_out": [], "other": [], "marker": [], "marker_colour": [],
                                     "recognisable": []}
    clean: dict[str, list[bool]] = {"own": [], "own_held_out": [], "other": [], "marker": [], "marker_colour": [],
                                     "recognisable": []}
    errors: dict[str, list[float]] = {"photo": [], "product": []}
    with tempfile.TemporaryDirectory(prefix="stylist-microworld-looks-") as folder:
        settings = Settings(data_dir=Path(folder), preset=PRESET, device="cpu")
        garments = write_shop(settings)
        user = register_shopper(settings, photos)
        for number in range(looks):
            drawn_before = len(editor.given)
            look = style(settings, user.id, LOOK_PROMPTS[number % len(LOOK_PROMPTS)], options=options,
                         seed=seed * 1000 + number, seams=Seams(editor=editor))
            listed = [_only_product(option.products, garments) for option in look.options]
            pictures = np.stack([shrink(np.asarray(load_image(option.image.read_bytes()))) for option in look.options])
            _judge(pictures, listed, identity, piped)
            # The same model, seeds and tasks on the clean pictures: the photo as rendered, the product's shot.
            shots = [product_shot(garment.category, garment.colour, garment.pattern) for garment in listed]
            direct = [editor.draw(Examples("both", np.zeros((1, SIZE, SIZE, 3), np.uint8),
                                           [photos[0][0][None], shot[None]], [], []), option.seed)[0]
                      for option, shot in zip(look.options, shots, strict=True)]
            _judge(np.stack(direct), listed, identity, clean)
            for given, shot in zip(editor.given[drawn_before:], shots, strict=True):
                errors["photo"].append(_error(given.references[0][0], photos[0][0]))
                errors["product"].append(_error(given.references[1][0], shot))
    return {
        "options": len(piped["own"]),
        "wears_own_product": _share(piped["own"]),
        "wears_other_options_product": _share(piped["other"]),
        # The 5 dresses no model trained on, apart: the shop sells all 24, most of them training garments.
        "wears_own_product_held_out": _share(piped["own_held_out"]) if piped["own_held_out"] else None,
        "held_out_options": len(piped["own_held_out"]),
        "chance": round(1 / len(DRESSES), 4),
        "marker_right": _share(piped["marker"]),
        "marker_colour_right": _share(piped["marker_colour"]),  # the hat's colour, whatever its shape
        "recognisable": _share(piped["recognisable"]),
        "from_clean_images": {"wears_own_product": _share(clean["own"]),
                              "wears_other_options_product": _share(clean["other"]),
                              "marker_right": _share(clean["marker"]),
                              "marker_colour_right": _share(clean["marker_colour"])},
        # Mean absolute difference, in levels of 255, between what the model was given and the clean picture.
        "reference_error": {name: round(float(np.mean(values)), 3) for name, values in errors.items()},
        "prompts": [LOOK_PROMPTS[number % len(LOOK_PROMPTS)] for number in range(looks)],
        "identity": {"skin": identity.skin, "marker": f"{identity.marker.colour} {identity.marker.shape}"},
        "shop": {"products": len(DRESSES), "colours": len(COLOURS), "patterns": len(PATTERNS)},
        "injected": INJECTED,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _judge(pictures: np.ndarray, listed: list[Garment], identity: Identity, into: dict[str, list[bool]]) -> None:
    """Each picture against its own option's product, the next option's, and the person's marker; a picture
    the classifier does not read as a figure wears nothing (noise is read as its nearest template)."""
    if len(listed) < 2:
        raise RuntimeError("a look of one option has no other option's product to compare with")
    for index, reading in enumerate(classify(pictures, PATTERNS)):
        worn = Garment(reading.category, reading.colour, reading.pattern) if reading.recognisable else None
        into["own"].append(worn == listed[index])
        into["own_held_out"].extend([worn == listed[index]] if listed[index] in HELD_OUT_GARMENTS else [])
        into["other"].append(worn == listed[(index + 1) % len(listed)])
        into["marker"].append(reading.recognisable and reading.marker == identity.marker)
        into["marker_colour"].append(reading.marker is not None and reading.marker.colour == identity.marker.colour)
        into["recognisable"].append(reading.recognisable)


def _only_product(products: list[dict], garments: dict[int, Garment]) -> Garment:
    """The one dress an option lists: the shop sells nothing else, so any other count is a bug."""
    if len(products) != 1:
        raise RuntimeError(f"an option of the dress shop lists {len(products)} products, not one")
    return garments[products[0]["id"]]


def _error(given: np.ndarray, clean: np.ndarray) -> float:
    return float(np.abs(given.astype(np.float32) - clean.astype(np.float32)).mean())


def _share(values: list[bool]) -> float:
    return round(float(np.mean(values)), 4)


def judged_off_pose_looks(model: Callable[..., np.ndarray], seed: int, people: Sequence[Identity],
                          options: int = len(HELD_OUT_DRESSES), steps: int | None = None) -> dict[str, Any]:
    """Part 3's `stylist style`, judged: a shop of the held-out dresses only, its pictures off pose, and for
    each of `people` (held-out identities) a user of off-pose snapshots and one look of `options` options,
    drawn by `model` and, from the same requests, by the no-model compositor. Every option's picture must pass
    the figure gate (given the images its request gave) to wear anything. Returns shares, and the per-option
    `outcomes` (with their products and people) for intervals and pooling over seeds."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    editors = {"model": MicroEditor(model, steps), "compositor": MicroEditor(Compositor())}
    found: dict[str, list[Outcomes]] = {}
    with tempfile.TemporaryDirectory(prefix="stylist-microworld-looks-") as folder:
        settings = Settings(data_dir=Path(folder), preset=PRESET, device="cpu")
        garments = write_shop(settings, HELD_OUT_DRESSES, rng)
        for number, identity in enumerate(people):
            user = register_shopper(settings, shopper_photos(identity, rng, off_pose=True))
            prompt = LOOK_PROMPTS[number % len(LOOK_PROMPTS)]
            for name, editor in editors.items():
                drawn_before = len(editor.given)
                look = style(settings, user.id, prompt, options=options, seed=seed * 1000 + number,
                             seams=Seams(editor=editor))
                listed = [_only_product(option.products, garments) for option in look.options]
                pictures = np.stack([shrink(np.asarray(load_image(option.image.read_bytes())))
                                     for option in look.options])
                given = editor.given[drawn_before:]
                references = [np.concatenate([batch.references[slot] for batch in given])
                              for slot in range(len(given[0].references))]
                for key, outcomes in _gated_judgement(pictures, references, listed, identity).items():
                    found.setdefault(f"{name}_{key}", []).append(outcomes)
    outcomes = {key: Outcomes.pooled(parts) for key, parts in found.items()}
    return {"seed": seed, "options": len(outcomes["model_own"].right),
            "people": [f"{person.skin} skin, {person.marker.colour} {person.marker.shape}" for person in people],
            "products": sorted({f"{g.colour} {g.pattern} {g.category}" for g in garments.values()}),
            "wears_own_product": outcomes["model_own"].share,
            "compositor_wears_own_product": outcomes["compositor_own"].share,
            "injected": INJECTED, "seconds": round(time.perf_counter() - started, 1), "outcomes": outcomes}


def _gated_judgement(pictures: np.ndarray, references: list[np.ndarray], listed: list[Garment],
                     identity: Identity) -> dict[str, Outcomes]:
    """Each option's picture, through the figure gate, against its own product, the next option's, and the
    person (their hat and skin)."""
    if len(listed) < 2:
        raise RuntimeError("a look of one option has no other option's product to compare with")
    readings = classify(pictures, PATTERNS)
    passed = gate(pictures, readings, references).passed
    worn = [Garment(reading.category, reading.colour, reading.pattern) if ok and reading.recognisable else None
            for reading, ok in zip(readings, passed, strict=True)]
    products = np.array([HELD_OUT_GARMENTS.index(garment) for garment in listed])
    people = np.full(len(listed), HELD_OUT_IDENTITIES.index(identity))

    def outcomes(right: list[bool]) -> Outcomes:
        return Outcomes(np.array(right), products, people)

    return {"own": outcomes([garment == listed[index] for index, garment in enumerate(worn)]),
            "other": outcomes([garment == listed[(index + 1) % len(listed)] for index, garment in enumerate(worn)]),
            "person": outcomes([bool(ok) and reading.marker == identity.marker and reading.skin == identity.skin
                                for reading, ok in zip(readings, passed, strict=True)]),
            "passed": outcomes([bool(ok) for ok in passed])}
