"""The person in a look: their DreamBooth-LoRA once trained, the face adapter before; one pipeline serves
every user, swapping LoRAs without leaving anything of the previous person behind."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import Image

from stylist.identity.dreambooth import train_identity
from stylist.identity.dreambooth_config import default_config
from stylist.looks import adapter_drawing as gen
from stylist.looks.pipeline import Seams, style
from stylist.looks.recipe import Recipe
from stylist.models.residency import RESIDENCY
from stylist.people.users import add_user
from stylist.presets import get_preset
from tests.looks.fakes import MeanColourScorer, WordRetriever


def look(catalog, user, seed=5):
    made = style(catalog.settings, user.id, "a coat", options=1, recipe=Recipe(candidates=1, steps=2), seed=seed,
                 seams=Seams(retriever=WordRetriever(), scorer=MeanColourScorer()))
    return made, np.asarray(Image.open(made.options[0].image))


def test_a_trained_identity_replaces_the_face_adapter_and_users_do_not_mix(catalog, user, photos):
    config = default_config("tiny").with_overrides(steps=2, prior_preservation=False, checkpoint_every=0,
                                                   validation_every=0)
    train_identity(catalog.settings, user.id, config)
    other = add_user(catalog.settings, "Bob", photos, crop_size=64)
    models = gen.look_models(get_preset("tiny"), "cpu")

    bob_before, bob_image = look(catalog, other)
    assert bob_before.settings["identity"] == "face adapter" and models.identity is None

    ada, ada_image = look(catalog, user)
    assert ada.settings["identity"] == "dreambooth" and models.identity == f"identity-{user.id}"
    assert gen.use_identity(models, user).subject == "sks person"
    assert models.pipeline.get_active_adapters() == [f"identity-{user.id}"]

    encoder = models.pipeline.image_encoder
    _, bob_again = look(catalog, other)
    assert models.identity is None
    assert models.pipeline.image_encoder is encoder  # the adapters' image encoder is not read again
    np.testing.assert_array_equal(bob_image, bob_again)
    _, ada_again = look(catalog, user)
    np.testing.assert_array_equal(ada_image, ada_again)


def test_a_fully_fine_tuned_unet_is_never_left_behind_for_the_next_user(catalog, user, photos):
    # tiny-sd trains the whole UNet, as the DreamBooth paper does: it cannot be unloaded, only replaced.
    settings = replace(catalog.settings, preset="tiny-sd")
    config = default_config("tiny-sd").with_overrides(steps=2, prior_preservation=False, checkpoint_every=0,
                                                      validation_every=0)
    train_identity(settings, user.id, config)
    other = add_user(settings, "Bob", photos, crop_size=64)
    tiny_sd = replace(catalog, settings=settings)

    _, bob_image = look(tiny_sd, other)
    ada, _ = look(tiny_sd, user)
    assert ada.settings["identity"] == "dreambooth"
    _, bob_again = look(tiny_sd, other)
    np.testing.assert_array_equal(bob_image, bob_again)


def test_switching_people_with_text_encoder_loras_leaves_nothing_behind(catalog, user, photos):
    # A long-running worker serves Ada, then Bob, then Ada again, each trained with LoRA on the text encoders too.
    config = default_config("tiny").with_overrides(steps=2, prior_preservation=False, checkpoint_every=0,
                                                   validation_every=0, train_text_encoder=True)
    other = add_user(catalog.settings, "Bob", photos, crop_size=64)
    train_identity(catalog.settings, user.id, config)
    train_identity(catalog.settings, other.id, config)
    RESIDENCY.clear()  # a fresh worker: Bob's look first, on the base model
    _, bob_first = look(catalog, other)

    _, ada_first = look(catalog, user)
    _, bob_after_ada = look(catalog, other)
    _, ada_again = look(catalog, user)

    np.testing.assert_array_equal(bob_first, bob_after_ada)  # Bob's look carries nothing of Ada's
    np.testing.assert_array_equal(ada_first, ada_again)  # and Ada's comes back whole
    models = gen.look_models(get_preset("tiny"), "cpu")
    encoders = [models.pipeline.text_encoder, models.pipeline.text_encoder_2]
    assert all(set(getattr(encoder, "peft_config", {})) <= {f"identity-{user.id}"} for encoder in encoders)
