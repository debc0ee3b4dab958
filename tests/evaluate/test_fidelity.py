"""Fidelity metrics on synthetic looks whose answer is known: a product drawn in scores above one that is not,
its region above the whole picture, and a pasted face is flagged where a drawn one is not."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from stylist.evaluate.fidelity import (
    COPY_PASTE_SIMILARITY,
    copy_paste,
    garment_region,
    product_fidelity,
)
from stylist.people.photos import Box, crop_face, find_faces

RED, BLUE, GREY, BACKDROP = (200, 30, 40), (30, 40, 200), (128, 128, 128), (90, 160, 90)


def embed_colour(images):
    """A toy embedder with known geometry: each image's mean colour, centred on grey."""
    return torch.stack([torch.tensor(np.asarray(image.convert("RGB"), dtype=np.float32).reshape(-1, 3).mean(0))
                        - 128 for image in images])


def figure(top_colour) -> Image.Image:
    """A green-backed full-length 'look' with a garment of `top_colour` where a top sits below a face box."""
    look = Image.new("RGB", (256, 512), BACKDROP)
    face = Box(108, 20, 40, 40)
    region = garment_region(look, "top", face)
    left, upper = round(108 + 20 - 3.6 * 40 / 2), round(20 + 1.2 * 40)
    look.paste(Image.new("RGB", region.size, top_colour), (left, upper))
    return look


def test_a_look_wearing_the_product_scores_above_one_without_it():
    product = [("top", Image.new("RGB", (64, 64), RED))]
    face = Box(108, 20, 40, 40)
    wearing, not_wearing = figure(RED), figure(BLUE)
    worn = product_fidelity(embed_colour, wearing, product, face)
    other = product_fidelity(embed_colour, not_wearing, product, face)
    assert worn.whole > other.whole and worn.region > other.region
    # The region is the garment alone: a perfect match, where the whole picture is diluted by the backdrop.
    assert worn.region == pytest.approx(1.0, abs=1e-4) and worn.region > worn.whole
    with pytest.raises(ValueError):
        product_fidelity(embed_colour, wearing, [])


def test_garment_regions_sit_where_the_slots_are_worn():
    look = Image.new("RGB", (300, 900))
    face = Box(130, 50, 40, 40)
    top, shoes = garment_region(look, "top", face), garment_region(look, "shoes", face)
    assert top.size[1] < look.size[1] and shoes.size[1] < top.size[1]
    # Without a face the same proportions are scaled to the picture; accessories have no place: the whole look.
    assert garment_region(look, "bottom").size[1] < look.size[1]
    assert garment_region(look, "accessory", face).size == look.size
    # A face at the bottom edge puts the shoes off the picture: the whole look rather than an empty crop.
    assert garment_region(look, "shoes", Box(130, 880, 10, 10)).size == look.size


def test_a_pasted_face_is_flagged_and_a_drawn_one_is_not():
    astronaut = Image.fromarray(data.astronaut())
    crop = crop_face(astronaut, find_faces(astronaut)[0], 112)  # the person's photo, as intake cut it
    other_person = Image.fromarray(data.lfw_subset()[0] * 255).convert("RGB").resize((112, 112))
    pasted = copy_paste([astronaut], [crop])
    assert pasted.copied == 1.0 and pasted.similarity >= COPY_PASTE_SIMILARITY
    drawn = copy_paste([astronaut], [other_person])
    assert drawn.copied == 0.0 and drawn.similarity < COPY_PASTE_SIMILARITY
    # A look without a face copies nothing, and has no similarity to report.
    faceless = copy_paste([Image.new("RGB", (256, 256), GREY)], [crop])
    assert faceless.copied == 0.0 and np.isnan(faceless.similarity)
