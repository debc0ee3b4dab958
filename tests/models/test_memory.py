"""The memory plan: where each preset's models sit on a card, from the models' sizes and the card's memory."""

from __future__ import annotations

import pytest

from stylist.models.memory import (
    GB,
    GIB,
    MAX_BATCH,
    MODEL_OFFLOAD,
    TEXT_ENCODER_OFFLOAD,
    WHOLE,
    activation_bytes,
    candidates_per_call,
    plan_memory,
)
from stylist.models.weights import MODEL_CARDS
from stylist.presets import get_preset

KLEIN = get_preset("klein")


def test_klein_s_parts_add_up_to_what_the_weights_list_downloads():
    _, download = MODEL_CARDS[KLEIN.image_model]
    assert sum(KLEIN.family.part_bytes.values()) == pytest.approx(download, rel=0.02)


@pytest.mark.parametrize(("card_gib", "placement"), [
    (80, WHOLE), (48, WHOLE), (40, WHOLE), (24, TEXT_ENCODER_OFFLOAD), (16, MODEL_OFFLOAD),
])
def test_klein_stays_whole_only_on_large_cards_and_offloads_below_about_40_gb(card_gib, placement):
    plan = plan_memory(KLEIN, card_gib * GIB)
    assert plan.placement == placement and plan.fits and plan.batch >= 1
    # Never more than the budget: the weights held and one call's candidates.
    assert plan.resident_bytes + plan.batch * plan.activation_bytes <= plan.budget_bytes
    if placement == TEXT_ENCODER_OFFLOAD:
        assert plan.weights_bytes <= plan.budget_bytes  # the encoder joins the rest for the prompts, alone


def test_a_budget_set_below_the_card_plans_for_the_budget():
    plan = plan_memory(KLEIN, 80 * GIB, budget_bytes=22 * GB)  # STYLIST_MEMORY_BUDGET_GB=22 on an H100
    assert plan.placement == TEXT_ENCODER_OFFLOAD and plan.budget_bytes == 22 * GB


def test_sdxl_stays_whole_on_a_24_gb_card_and_says_when_it_cannot_fit():
    assert plan_memory(get_preset("sdxl"), 24 * GIB).placement == WHOLE
    small = plan_memory(get_preset("sdxl"), 8 * GIB)
    assert not small.fits and "exceed" in small.why


def test_activations_grow_with_the_picture_and_the_references():
    portrait = activation_bytes(KLEIN)
    assert activation_bytes(KLEIN, (1024, 1536)) > portrait > activation_bytes(KLEIN, references=1)
    plan = plan_memory(KLEIN, 24 * GIB)
    assert candidates_per_call(KLEIN, plan, KLEIN.look_size, 1) > candidates_per_call(KLEIN, plan, KLEIN.look_size, 4)
    assert candidates_per_call(KLEIN, plan_memory(KLEIN, None), KLEIN.look_size, 4) == MAX_BATCH  # the CPU
