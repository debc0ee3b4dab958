"""The looks pipeline judged in the micro-world: `style` on the dress shop, drawn by a micro-world model."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stylist.catalog.store import CatalogStore
from stylist.evaluate.microworld.generators.reference_tokens import ReferenceGenerator
from stylist.evaluate.microworld.judging.looks import (
    DRESSES,
    SCALE,
    MicroEditor,
    as_examples,
    enlarge,
    face_box,
    judged_looks,
    register_shopper,
    shopper_photos,
    shrink,
    write_shop,
)
from stylist.evaluate.microworld.world.classifier import classify
from stylist.evaluate.microworld.world.figures import PATTERNS, SIZE, Figure, product_shot, regions, render
from stylist.evaluate.microworld.world.wardrobe import GARMENTS, HELD_OUT_IDENTITIES, PROMPTS, Examples
from stylist.imaging import load_image, pad_to_square
from stylist.looks import reference_editing as ref
from stylist.looks.recipe import Recipe
from stylist.looks.reference_editing import EditRequest
from stylist.presets import get_preset
from stylist.settings import Settings

SHOTS = np.stack([product_shot(g.category, g.colour, g.pattern) for g in GARMENTS]).astype(np.float32)


class NearestCopyingModel:
    """A perfect image-conditioned model (as test_microworld_references.CopyingModel), reading the product as
    the nearest of the world's product shots: the pictures the pipeline hands over are resampled, not exact.
    For the identity task (no product), a garment no shop sells."""

    def __call__(self, batch: Examples, generator: torch.Generator, num_inference_steps: int = 1) -> np.ndarray:
        pictures = []
        for index in range(len(batch.targets)):
            if batch.task == "both":
                distances = ((SHOTS - batch.references[1][index].astype(np.float32)) ** 2).sum(axis=(1, 2, 3))
                garment = GARMENTS[int(distances.argmin())]
            else:
                garment = GARMENTS[0]
            marker = classify(batch.references[0][index:index + 1], PATTERNS)[0].marker
            pictures.append(render(Figure(garment.category, garment.colour, "tan", "black", 0,
                                          pattern=garment.pattern, marker=marker)))
        return np.stack(pictures)


def test_a_perfect_model_wears_each_options_own_product_and_the_persons_marker():
    report = judged_looks(NearestCopyingModel(), looks=2)

    assert report["options"] == 8 and report["prompts"] == ["a dress for a garden party", "a red dress for a wedding"]
    assert report["wears_own_product"] == 1.0 and report["wears_other_options_product"] == 0.0
    assert report["marker_right"] == report["marker_colour_right"] == report["recognisable"] == 1.0
    assert report["from_clean_images"] == {"wears_own_product": 1.0, "wears_other_options_product": 0.0,
                                           "marker_right": 1.0, "marker_colour_right": 1.0}
    assert report["chance"] == pytest.approx(1 / 24, abs=1e-4)
    assert [entry.split(":")[0] for entry in report["injected"]] == ["editor", "user intake"]
    # The pipeline's image handling (JPEG at full chroma for the shop's originals and the person's photos) is
    # small: halved chroma, as before, put products 2.2 and photos 2.8 levels off.
    assert 0 < report["reference_error"]["product"] < 0.5 and 0 < report["reference_error"]["photo"] < 1


def test_an_untrained_reference_model_runs_through_style():
    report = judged_looks(ReferenceGenerator(0), looks=1, steps=2)

    assert report["options"] == 4
    for name in ("wears_own_product", "wears_other_options_product", "marker_right", "marker_colour_right",
                 "recognisable"):
        assert 0.0 <= report[name] <= 1.0
    assert all(0.0 <= value <= 1.0 for value in report["from_clean_images"].values())


def test_enlarged_pictures_come_back_exactly_and_pass_the_presets_padding_unchanged():
    pictures = np.stack([*SHOTS.astype(np.uint8)[::7], *(render(Figure("dress", "red", "tan", "black", shift,
                                                                         pattern=pattern))
                                                         for shift in (-2, 2) for pattern in PATTERNS)])
    side = get_preset("tiny-klein").resolution
    assert side == SIZE * SCALE
    for picture in pictures:
        big = enlarge(picture)
        nearest = Image.fromarray(picture).resize((side, side), Image.Resampling.NEAREST)
        assert np.array_equal(big, np.asarray(nearest))
        assert np.array_equal(shrink(big), picture)
        assert np.array_equal(np.asarray(pad_to_square(Image.fromarray(big), side)), big)
        # What a look stores (PNG) and the judge reads back is the model's picture, exactly.
        buffer = io.BytesIO()
        Image.fromarray(big).save(buffer, format="PNG")
        assert np.array_equal(shrink(np.asarray(load_image(buffer.getvalue()))), picture)


def test_the_shops_pictures_and_the_persons_photo_reach_the_model_recognisably():
    """Through the real image store, user record and klein references: not exact (JPEG), but every product is
    still the nearest shot to what the model gets, and the marker reads."""
    preset = get_preset("tiny-klein")
    identity = HELD_OUT_IDENTITIES[1]
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), preset="tiny-klein", device="cpu")
        garments = write_shop(settings)
        photos = shopper_photos(identity, np.random.default_rng(0))
        user = register_shopper(settings, photos)
        assert sorted(garments.values(), key=DRESSES.index) == list(DRESSES)
        with CatalogStore(settings) as store:
            products = list(store.products())
        person = ref.person_photo(user)
        notes: list[str] = []
        for product in products:
            request = ref.edit_request(person, "a garden party", [product], preset, notes)
            batch = as_examples(request)
            photo, shot = batch.references[0][0], batch.references[1][0]
            garment = garments[product.id]
            distances = ((SHOTS - shot.astype(np.float32)) ** 2).sum(axis=(1, 2, 3))
            assert GARMENTS[int(distances.argmin())] == garment
            assert np.abs(shot.astype(int) - product_shot(garment.category, garment.colour, garment.pattern)).mean() < 0.5
        assert notes == []
        assert np.abs(photo.astype(int) - photos[0][0]).mean() < 1
        assert classify(photo[None], PATTERNS)[0].marker == identity.marker
        assert [tuple(photo.face) for photo in user.photos] == [tuple(box) for _, box in photos]


def test_the_face_box_frames_the_hat_and_the_face_wherever_the_figure_stands():
    for shift in (-2, 0, 2):
        box = face_box(shift)
        masks = regions(shift)
        rows, columns = np.nonzero(enlarge((masks["hat"] | masks["face"])[..., None])[..., 0])
        assert (box.x, box.y) == (columns.min(), rows.min())
        assert (box.x + box.w, box.y + box.h) == (columns.max() + 1, rows.max() + 1)


def test_the_editor_gives_the_person_first_then_the_product_with_the_tasks_own_prompt():
    photo = render(Figure("shirt", "blue", "tan", "black", 1, marker=HELD_OUT_IDENTITIES[0].marker))
    shot = product_shot("dress", "red", "dots")
    images = tuple(Image.fromarray(enlarge(picture)) for picture in (photo, shot))

    both = as_examples(EditRequest("The person in image 1, wearing …", images, (7,)))
    assert both.task == "both" and both.prompts == [PROMPTS["both"]]
    assert np.array_equal(both.references[0][0], photo) and np.array_equal(both.references[1][0], shot)
    alone = as_examples(EditRequest("The person in image 1", images[:1], ()))
    assert alone.task == "identity" and alone.prompts == [PROMPTS["identity"]]
    with pytest.raises(ValueError, match="at most one product"):
        as_examples(EditRequest("…", images + images[1:], (7, 8)))
    with pytest.raises(ValueError, match="64 px a side"):
        as_examples(EditRequest("…", (Image.fromarray(photo),), ()))


def test_every_candidate_is_drawn_from_its_own_seed_and_steps_reach_the_model():
    model = ReferenceGenerator(0)
    calls = []

    def spy(batch, generator, num_inference_steps=None):
        calls.append(num_inference_steps)
        return model(batch, generator, num_inference_steps=num_inference_steps or 2)

    shot = Image.fromarray(enlarge(product_shot("dress", "red", "dots")))
    photo = Image.fromarray(enlarge(render(Figure("shirt", "blue", "tan", "black", 0))))
    request = EditRequest("…", (photo, shot), (1,))
    editor = MicroEditor(spy, steps=2)
    steps: list[tuple[int, int]] = []
    together = editor([request, request], [[5, 6], [6]], Recipe(), lambda done, total: steps.append((done, total)))
    alone = editor([request], [[6]], Recipe())

    assert [[each.seed for each in option] for option in together] == [[5, 6], [6]]
    assert np.array_equal(np.asarray(together[0][1].image), np.asarray(alone[0][0].image))
    assert np.array_equal(np.asarray(together[1][0].image), np.asarray(alone[0][0].image))
    assert not np.array_equal(np.asarray(together[0][0].image), np.asarray(together[0][1].image))
    assert steps == [(1, 3), (2, 3), (3, 3)] and set(calls) == {2}
    editor([request], [[6]], Recipe(steps=3))
    assert calls[-1] == 3
