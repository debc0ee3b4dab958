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
from stylist.evaluate.microworld.classifier import classify
from stylist.evaluate.microworld.retrieval import Listing, write_catalog
from stylist.evaluate.microworld.wardrobe import (
    GARMENTS,
    HELD_OUT_GARMENTS,
    HELD_OUT_IDENTITIES,
    Examples,
    Garment,
    Identity,
)
from stylist.evaluate.microworld.world import (
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


def write_shop(settings: Settings) -> dict[int, Garment]:
    """The dress shop, one complete crawl in `settings.data_dir`, each product's picture its product shot
    enlarged; returns which garment each product id is."""
    listings = [Listing(f"{g.category}-{g.colour}-{g.pattern}", g.category, g.colour,
                        (enlarge(product_shot(g.category, g.colour, g.pattern)),)) for g in DRESSES]
    write_catalog(settings.data_dir, listings, [product_texts(garment) for garment in DRESSES])
    by_sku = {listing.sku: garment for listing, garment in zip(listings, DRESSES, strict=True)}
    with CatalogStore(settings) as store:
        return {product.id: by_sku[product.sku] for product in store.products()}


def face_box(shift: int) -> Box:
    """Where a figure shifted `shift` pixels has its head, in the stored photo's pixels: the hat and the face,
    what a face detector would frame on a person. Its size does not depend on the shift."""
    masks = regions(shift)
    rows, columns = np.nonzero(masks["hat"] | masks["face"])
    return Box(int(columns.min()) * SCALE, int(rows.min()) * SCALE, int(np.ptp(columns) + 1) * SCALE,
               int(np.ptp(rows) + 1) * SCALE)


def shopper_photos(identity: Identity, rng: np.random.Generator) -> list[tuple[np.ndarray, int]]:
    """PHOTOS renders of `identity` (with their shifts), each in another garment that is not a dress, so that
    no photo shows what a look should wear."""
    others = [garment for garment in GARMENTS if garment.category != "dress"]
    photos = []
    for index in rng.choice(len(others), PHOTOS, replace=False):
        garment, shift = others[index], int(rng.choice(SHIFTS))
        figure = Figure(garment.category, garment.colour, identity.skin, list(HAIRS)[rng.integers(len(HAIRS))], shift,
                        pattern=garment.pattern, marker=identity.marker)
        photos.append((render(figure), shift))
    return photos


def register_shopper(settings: Settings, photos: Sequence[tuple[np.ndarray, int]]) -> User:
    """A user of these renders, enlarged and stored as intake stores a person's photos. Every face box is the
    same size, so the klein path's `person_photo` (the photo whose face is the smallest share) is the first."""
    side = get_preset(settings.preset).resolution
    accepted = []
    for number, (pixels, shift) in enumerate(photos, start=1):
        image, face = Image.fromarray(enlarge(pixels)), face_box(shift)
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
