"""The one residency manager: models held with their sizes, the least recently used dropped under a budget, and
loaded again when asked for."""

from __future__ import annotations

import torch

from stylist.models.loading import load_image_pipeline
from stylist.models.residency import RESIDENCY, Residency, model_bytes
from stylist.presets import get_preset

KB = 4 * 256  # a Linear(256, 1) without bias holds 256 float32 weights


def linear() -> torch.nn.Module:
    return torch.nn.Linear(256, 1, bias=False)


def test_the_least_recently_used_model_is_dropped_to_make_room_and_built_again_on_demand():
    residency = Residency({"cpu": 2 * KB})
    built: list[str] = []

    def build(name):
        def make():
            built.append(name)
            return linear()
        return make

    first = residency.load("a", build("a"))
    residency.load("b", build("b"))
    assert residency.load("a", build("a")) is first  # held: not built again, and now the most recent
    residency.load("c", build("c"))  # over budget: "b", the least recently used, goes

    assert [key for key, _, _ in residency.resident()] == ["a", "c"] and residency.used_bytes("cpu") == 2 * KB
    residency.load("b", build("b"))
    assert built == ["a", "b", "c", "b"] and [key for key, _, _ in residency.resident()] == ["c", "b"]


def test_a_new_stamp_builds_the_model_again_and_devices_keep_their_own_budgets():
    residency = Residency({"cpu": None, "cuda": KB})
    old = residency.load("clip", linear, stamp="v1")
    assert residency.load("clip", linear, stamp="v1") is old
    assert residency.load("clip", linear, stamp="v2") is not old
    for number in range(5):
        residency.load(number, linear)  # the CPU's budget is unbounded here
    assert len(residency.resident()) == 6


def test_a_pipeline_counts_every_component_and_the_process_manager_holds_the_cached_ones():
    pipeline = load_image_pipeline(get_preset("tiny"), "cpu")
    parts = [part for part in pipeline.components.values() if isinstance(part, torch.nn.Module)]
    assert model_bytes(pipeline) == sum(model_bytes(part) for part in parts) > 0
    held = {key: size for key, _, size in RESIDENCY.resident()}
    assert held[("image pipeline", "tiny", "cpu", torch.float32)] == model_bytes(pipeline)


def test_room_is_made_before_a_model_is_built_never_after():
    residency = Residency({"cuda": 2 * KB})
    residency.load("look", linear, device="cuda")
    residency.load("spin", linear, device="cuda")
    seen: list[list] = []

    def build():  # what the device holds while the new model is being put on it
        seen.append([key for key, _, _ in residency.resident()])
        return linear()

    residency.load("klein", build, device="cuda", expected_bytes=lambda: KB)
    assert seen == [["spin"]] and residency.used_bytes("cuda") == 2 * KB


def test_release_empties_one_device_kind_for_a_training_job():
    residency = Residency({"cpu": None, "cuda": None})
    residency.load("look", linear, device="cuda:0")
    residency.load("index", linear, device="cpu")
    residency.release("cuda:0")
    assert [key for key, _, _ in residency.resident()] == ["index"]
