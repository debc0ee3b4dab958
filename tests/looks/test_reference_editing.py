"""Reference editing on tiny-klein: looks right after `user add`, drawn from the person's photo and the products'
own photos, with the references each option was drawn from recorded, and every one of them reaching the model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from stylist.catalog.store import CatalogStore
from stylist.errors import StylistError
from stylist.looks import reference_editing as ref
from stylist.looks.drawing import Drawn
from stylist.looks.pipeline import Seams, style
from stylist.looks.recipe import Recipe
from stylist.models.loading import load_image_pipeline
from stylist.people.looks import get_look
from stylist.presets import get_preset
from stylist.settings import Settings
from tests.looks.fakes import MeanColourScorer, WordRetriever

KLEIN = get_preset("tiny-klein")


@pytest.fixture
def settings(catalog) -> Settings:
    return Settings(data_dir=catalog.settings.data_dir, preset="tiny-klein", device="cpu")


def look(settings, user, prompt="a red silk dress and a camel wool coat", seed=3, editor=None, **options):
    return style(settings, user.id, prompt, options=1, seed=seed, recipe=Recipe(candidates=1),
                 seams=Seams(retriever=WordRetriever(), scorer=MeanColourScorer(), editor=editor), **options)


def pixels(made) -> np.ndarray:
    return np.asarray(Image.open(made.options[0].image), dtype=np.int16)


def product(settings, product_id):
    with CatalogStore(settings) as store:
        return next(each for each in store.products(include_unavailable=True) if each.id == product_id)


def repaint(settings, product_id, rgb) -> None:
    """Give a product another picture, in place, as the shop published it: the catalog still points at the
    same file. The catalog's padded 512-pixel copy is left as it was: references are drawn from originals."""
    Image.new("RGB", (640, 960), rgb).save(product(settings, product_id).originals[0], format="JPEG")


def test_a_look_needs_no_training_and_lists_the_products_it_was_drawn_from(settings, user):
    made = look(settings, user)

    option = made.options[0]
    listed = {item["id"] for item in option.products}
    assert option.references and set(option.references) <= listed
    assert made.settings["identity"] == "reference photo" and made.settings["preset"] == "tiny-klein"
    assert Image.open(option.image).size == KLEIN.look_size == (64, 96)  # portrait, as klein's 832x1248
    stored = get_look(settings, user.id, made.look_id)
    assert stored.options[0].references == option.references
    assert stored.to_json()["options"][0]["references"] == option.references


def test_a_referenced_product_image_changes_the_look_and_an_unreferenced_one_does_not(settings, user, catalog):
    first = look(settings, user)
    referenced = first.options[0].references[0]
    unreferenced = next(product_id for product_id in catalog.ids.values()
                        if product_id not in first.options[0].references)

    repaint(settings, unreferenced, (0, 255, 0))
    assert np.array_equal(pixels(look(settings, user)), pixels(first))

    repaint(settings, referenced, (0, 255, 0))
    assert not np.array_equal(pixels(look(settings, user)), pixels(first))


def test_the_references_are_exactly_the_images_given_to_the_model(settings, user, monkeypatch):
    given = []
    real_draw = ref.draw

    def spy(models, requests, seeds, recipe, on_step=None):
        given.extend(requests)
        return real_draw(models, requests, seeds, recipe, on_step)

    monkeypatch.setattr(ref, "draw", spy)
    made = look(settings, user)

    (request,) = given
    assert list(request.product_ids) == made.options[0].references
    # The person's photo first, then one image per product while they fit, else one sheet of them all.
    fits = len(request.product_ids) <= KLEIN.max_references - 1
    assert len(request.references) == (1 + len(request.product_ids) if fits else 2)
    # Each at its own aspect ratio within the preset's reference size, sides a multiple of 16, never padded.
    person = ref.person_photo(user)
    assert all(width % 16 == 0 and height % 16 == 0 and width * height <= KLEIN.reference_pixels
               for width, height in (image.size for image in request.references))
    width, height = request.references[0].size
    assert abs(width / height - person.width / person.height) < 16 / min(width, height)


def test_an_injected_editor_draws_the_look_and_the_presets_pipeline_is_never_built(settings, user, monkeypatch):
    def refuse(preset, device):
        raise AssertionError("the preset's pipeline was built although an editor was given")

    monkeypatch.setattr(ref, "reference_models", refuse)
    given = []

    def editor(requests, seeds, recipe, on_step=None):
        given.append((requests, seeds))
        return [[Drawn(Image.new("RGB", (KLEIN.resolution,) * 2, (9, 99, 199)), seed) for seed in option]
                for option in seeds]

    made = look(settings, user, editor=editor)

    ((request,), seeds) = given[0]
    assert len(given) == 1 and seeds == [[made.options[0].seed]]
    assert list(request.product_ids) == made.options[0].references and "image 1" in request.prompt
    assert np.array_equal(pixels(made)[0, 0], [9, 99, 199])


def test_an_outfit_too_large_for_the_references_goes_in_as_one_sheet(settings, catalog):
    products = [product(settings, catalog.ids[sku]) for sku in ("T1", "B1", "C1", "S1", "G1")]
    notes: list[str] = []
    person = Image.new("RGB", (300, 500), (200, 160, 140))

    request = ref.edit_request(person, "a gallery opening", products, KLEIN, notes)

    assert len(request.references) == 2 and request.product_ids == tuple(item.id for item in products)
    assert "image 2" in request.prompt and "Black Wool Trousers" in request.prompt and notes == []
    few = ref.edit_request(person, "a gallery opening", products[:3], KLEIN, notes)
    assert len(few.references) == 4 and "from image 4" in few.prompt


def test_references_come_from_the_shops_own_photographs_unpadded(settings, catalog):
    dress = product(settings, catalog.ids["D1"])
    Image.new("RGB", (900, 1350), (200, 30, 40)).save(dress.originals[0], format="JPEG")
    person = Image.new("RGB", (300, 500), (200, 160, 140))

    request = ref.edit_request(person, "a party", [dress], KLEIN, [])

    # The original's 2:3, shrunk to the reference size, not the catalog's 512² copy padded with grey.
    garment = np.asarray(request.references[1], dtype=np.int16)
    assert request.references[1].size == (96, 144) and np.abs(garment - (200, 30, 40)).max() < 12
    assert request.references[0].size == (96, 160)  # the person at 3:5, nothing added around them


def test_a_product_whose_original_is_gone_is_drawn_from_its_catalog_copy(settings, catalog):
    dress = product(settings, catalog.ids["D1"])
    dress.originals[0].unlink()
    notes: list[str] = []

    request = ref.edit_request(Image.new("RGB", (300, 500)), "a party", [dress], KLEIN, notes)

    assert request.product_ids == (dress.id,) and notes == [] and request.references[1].size == (128, 128)


def test_an_unreadable_product_image_is_left_out_with_a_note(settings, user, catalog):
    broken = product(settings, catalog.ids["D1"])
    broken.originals[0].write_bytes(b"not an image")

    made = look(settings, user, prompt="a red silk dress")

    assert broken.id not in made.options[0].references
    assert any("Red Silk Dress" in note and "could not be read" in note for note in made.notes)


def test_the_clearest_photo_is_the_one_showing_most_of_the_person(user):
    chosen = ref.person_photo(user)
    shares = []
    for photo in user.photos:
        with Image.open(photo.file) as image:
            shares.append(photo.face.w * photo.face.h / (image.width * image.height))
    best = user.photos[int(np.argmin(shares))]
    with Image.open(best.file) as expected:
        assert chosen.size == expected.size


def test_clip_guidance_is_refused_on_klein_in_one_sentence(settings, user):
    with pytest.raises(StylistError, match="leave out --clip-guidance"):
        style(settings, user.id, "a coat", options=1, recipe=Recipe(clip_guidance=0.5),
              seams=Seams(retriever=WordRetriever(), scorer=MeanColourScorer()))


def test_the_real_klein_without_weights_says_what_to_fetch(offline):
    with pytest.raises(StylistError) as error:
        load_image_pipeline(get_preset("klein"), "cpu")
    message = str(error.value)
    assert message.startswith("the klein preset needs black-forest-labs/FLUX.2-klein-4B: fetch it with "
                              "`stylist --preset klein models fetch`")
    assert "\n" not in message


def test_training_on_a_reference_editing_preset_is_refused_with_what_to_run_instead():
    from stylist.identity.dreambooth_config import default_config

    with pytest.raises(StylistError, match=r"needs no training.*style USER_ID"):
        default_config(KLEIN)


def test_an_options_prompt_is_encoded_once_for_all_its_candidates(settings, user, monkeypatch):
    models = ref.reference_models(KLEIN, "cpu")
    encoded: list = []
    real_encode = models.pipeline.encode_prompt

    def spy(prompt=None, **arguments):
        encoded.append((prompt, arguments.get("num_images_per_prompt")))
        return real_encode(prompt=prompt, **arguments)

    monkeypatch.setattr(models.pipeline, "encode_prompt", spy)
    request = ref.edit_request(ref.person_photo(user), "a party", [], KLEIN, [])
    [candidates] = ref.draw(models, [request], [[1, 2, 3]], Recipe(steps=1))
    assert [candidate.seed for candidate in candidates] == [1, 2, 3]
    # One encoding of the text, before drawing; the call repeats that embedding for its three candidates.
    assert encoded == [(request.prompt, None), (None, 3)]


def test_candidates_drawn_one_call_each_when_the_plan_has_room_for_one_are_the_same_pictures(settings, user):
    from dataclasses import replace

    from stylist.models.memory import TEXT_ENCODER_OFFLOAD, activation_bytes

    models = ref.reference_models(KLEIN, "cpu")
    request = ref.edit_request(ref.person_photo(user), "a party", [], KLEIN, [])
    together = ref.draw(models, [request], [[1, 2, 3]], Recipe(steps=1))
    # A budget with room for one candidate at a time beside the models, the text encoder offloaded.
    room = activation_bytes(KLEIN, KLEIN.look_size, len(request.references))
    tight = ref.ReferenceModels(KLEIN, models.pipeline, replace(models.plan, placement=TEXT_ENCODER_OFFLOAD,
                                                                 budget_bytes=room, resident_bytes=0))
    totals: list[int] = []
    one_by_one = ref.draw(tight, [request], [[1, 2, 3]], Recipe(steps=1), on_step=lambda done, total: totals.append(total))

    assert totals == [3, 3, 3]  # three calls of one step each
    for a, b in zip(together[0], one_by_one[0], strict=True):
        assert a.seed == b.seed and a.image.size == KLEIN.look_size
        np.testing.assert_allclose(np.asarray(a.image, float), np.asarray(b.image, float), atol=2)


def test_the_residency_manager_counts_every_model_unless_each_is_offloaded(settings):
    from dataclasses import replace

    from stylist.models.memory import MODEL_OFFLOAD
    from stylist.models.residency import model_bytes

    models = ref.reference_models(KLEIN, "cpu")
    parts = [model_bytes(part) for part in models.pipeline.components.values() if isinstance(part, torch.nn.Module)]
    assert model_bytes(models) == sum(parts)
    offloaded = ref.ReferenceModels(KLEIN, models.pipeline, replace(models.plan, placement=MODEL_OFFLOAD))
    assert model_bytes(offloaded) == max(parts) < sum(parts)
