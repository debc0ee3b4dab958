"""Part 3 of the micro-world: off-pose references, the figure gate, the editors that copy, and the judged report."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from stylist.evaluate.microworld.generators.adapter_tokens import AdapterTokensGenerator
from stylist.evaluate.microworld.generators.reference_tokens import ReferenceGenerator
from stylist.evaluate.microworld.judging.gate import gate
from stylist.evaluate.microworld.judging.intervals import Outcomes, clustered_interval
from stylist.evaluate.microworld.judging.looks import HELD_OUT_DRESSES, judged_off_pose_looks
from stylist.evaluate.microworld.judging.off_pose import (
    Batches,
    arm_numbers,
    held_out_batches,
    judge_editors,
    judge_generator,
    sampler,
)
from stylist.evaluate.microworld.off_pose_run import OffPosePlan, look_people, off_pose_report
from stylist.evaluate.microworld.training.conditioned import train_conditioned
from stylist.evaluate.microworld.world.classifier import classify
from stylist.evaluate.microworld.world.figures import (
    BACKGROUND,
    COLOURS,
    PATTERNS,
    PRODUCT_BACKGROUND,
    SIZE,
    Figure,
    product_shot,
    render,
)
from stylist.evaluate.microworld.world.off_pose import (
    SHOT_SCALES,
    SHOT_SHIFTS,
    content_box,
    content_mask,
    displaced_photo,
    displaced_shot,
    displacement,
)
from stylist.evaluate.microworld.world.wardrobe import (
    GARMENTS,
    HELD_OUT_GARMENTS,
    HELD_OUT_IDENTITIES,
    Examples,
    Garment,
    examples,
    stratified_pairs,
)


def _centre(picture: np.ndarray, ground: tuple[int, int, int]) -> np.ndarray:
    rows, columns = np.nonzero(content_mask(picture, ground))
    return np.array([columns.mean(), rows.mean()])


def test_displaced_shots_are_moved_scaled_and_whole_and_never_the_worn_geometry():
    rng = np.random.default_rng(0)
    moves = []
    for garment in GARMENTS:
        canonical = product_shot(garment.category, garment.colour, garment.pattern)
        shot = displaced_shot(garment.category, garment.colour, garment.pattern, rng)
        top, bottom, left, right = content_box(shot, PRODUCT_BACKGROUND)
        assert top >= 1 and left >= 1 and bottom <= SIZE - 1 and right <= SIZE - 1  # whole inside the frame
        moves.append(np.linalg.norm(_centre(shot, PRODUCT_BACKGROUND) - _centre(canonical, PRODUCT_BACKGROUND)))
        # The garment's own colour is still the colour the shot shows most.
        pixels = shot[content_mask(shot, PRODUCT_BACKGROUND)].astype(float)
        counts = {name: (np.linalg.norm(pixels - rgb, axis=-1) < 40).sum() for name, rgb in COLOURS.items()}
        assert max(counts, key=counts.get) == garment.colour
    assert min(moves) > 3 and max(moves) < 13
    # The transforms drawn: scales, moves and mirrors over their whole ranges.
    shot = product_shot("dress", "red", "dots")
    drawn = [displacement(shot, PRODUCT_BACKGROUND, SHOT_SCALES, SHOT_SHIFTS, rng) for _ in range(200)]
    scales, lengths = [move.scale for move in drawn], [np.hypot(move.dx, move.dy) for move in drawn]
    assert 0.75 <= min(scales) < 0.8 and 1.2 < max(scales) <= 1.25
    assert 4 <= min(lengths) < 5 and 11 < max(lengths) <= 12
    assert 0.35 < np.mean([move.mirrored for move in drawn]) < 0.65


def test_off_pose_photos_stand_elsewhere_and_each_task_keeps_its_images():
    rng = np.random.default_rng(1)
    batch = examples("both", 40, rng, off_pose=True)
    for target, photo, shot, garment in zip(batch.targets, *batch.references, batch.garments, strict=True):
        assert classify(target[None], PATTERNS)[0].pattern == garment.pattern
        overlap = content_mask(target, BACKGROUND) & content_mask(photo, BACKGROUND)
        assert overlap.sum() < 0.9 * content_mask(target, BACKGROUND).sum()  # not the target's pose
        assert np.abs(shot.astype(int) - product_shot(garment.category, garment.colour, garment.pattern)).mean() > 5
    aligned = examples("both", 4, np.random.default_rng(1))
    assert np.array_equal(aligned.references[1][0], product_shot(*_values(aligned.garments[0])))
    photo, moved = displaced_photo(render(Figure("shirt", "red", "tan", "black", 0)), np.random.default_rng(2))
    assert 0.7 <= moved.scale <= 0.9 and 3 <= np.hypot(moved.dx, moved.dy) <= 8 and photo.shape == (SIZE, SIZE, 3)


def _values(garment: Garment) -> tuple[str, str, str]:
    return garment.category, garment.colour, garment.pattern


def test_stratified_pairs_judge_every_held_out_product_and_person_equally():
    for task in ("garment", "identity", "both"):
        pairs = stratified_pairs(task, repeats=2)
        assert len(pairs) == 144
        products = [garment for garment, _ in pairs]
        assert {products.count(garment) for garment in HELD_OUT_GARMENTS} == {12}
        if task != "garment":
            people = [person for _, person in pairs]
            assert {people.count(person) for person in HELD_OUT_IDENTITIES} == {24}


def test_the_gate_passes_drawn_figures_and_stops_pastes_returns_blanks_and_noise():
    figures = [Figure(g.category, g.colour, p.skin, "black", shift, pattern=g.pattern, marker=p.marker)
               for g, p, shift in zip(HELD_OUT_GARMENTS, HELD_OUT_IDENTITIES * 2, [-2, -1, 0, 1, 2, 0] * 2, strict=True)]
    drawn = np.stack([render(figure) for figure in figures])
    shots = np.stack([product_shot(*_values(g)) for g in HELD_OUT_GARMENTS])
    assert gate(drawn, classify(drawn, PATTERNS), [shots]).passed.all()
    # The same figures handed back as the image given: copies.
    copied = gate(drawn, classify(drawn, PATTERNS), [drawn])
    assert not copied.passed.any() and copied.copy.all() and copied.same_position.all()
    # A shot pasted on grey in place, a blank grey picture, and noise.
    pasted = np.where(content_mask(shots, PRODUCT_BACKGROUND)[..., None], shots, np.array(BACKGROUND, np.uint8))
    blank = np.full_like(drawn, BACKGROUND)
    noise = np.random.default_rng(0).integers(0, 256, drawn.shape, dtype=np.uint8)
    for pictures in (pasted, blank, noise):
        assert not gate(pictures, classify(pictures, PATTERNS), [shots]).passed.any()


def _aligned_batches() -> Batches:
    """Part 2's geometry (shots in place), where an editor that copies would score without the gate."""
    rng = np.random.default_rng(3)
    garment = examples("garment", 0, rng, HELD_OUT_GARMENTS, HELD_OUT_IDENTITIES, pairs=stratified_pairs("garment"))
    identity = examples("identity", 0, rng, HELD_OUT_GARMENTS, HELD_OUT_IDENTITIES, pairs=stratified_pairs("identity"))
    # The person's photo in the target's own pose: what returning it unchanged would be credited for.
    identity = replace(identity, references=[identity.targets.copy()])
    both = examples("both", 0, rng, HELD_OUT_GARMENTS, HELD_OUT_IDENTITIES, pairs=stratified_pairs("both"))
    return Batches(garment, garment, list(garment.garments), identity, identity, both)


@pytest.mark.parametrize("batches", [_aligned_batches, held_out_batches], ids=["aligned", "off-pose"])
def test_copying_editors_score_nothing_through_the_gate(batches):
    judged = judge_editors(batches())
    assert judged.outcomes["pasted-shot_garment"].share == 0 and judged.outcomes["returned-photo_identity"].share == 0
    # The floor of a model that draws what a garment is and never its print: the share of plain products.
    assert judged.outcomes["always-plain_garment"].share == pytest.approx(0.25)
    if batches is _aligned_batches:
        # In place, the copies are what the classifier reads: only the gate stops them. Shots laid over a
        # photo of someone standing within 2 pixels make a figure wearing the garment: the compositor scores.
        assert judged.outcomes["pasted-shot_garment_ungated"].share == 1
        assert judged.outcomes["returned-photo_identity_ungated"].share == 1
        assert judged.outcomes["compositor_garment_right"].share > 0.2
    else:  # off pose, a shot laid over the photo is not where the person wears it
        assert judged.outcomes["compositor_garment_right"].share <= 0.1


class Recogniser:
    """A perfect model for off-pose references: it knows every image it can be given (by its bytes) and draws, on
    a figure of its own, the garment of the shot and the person of the photo; with no image, a plain red shirt."""

    def __init__(self, batches: Batches) -> None:
        self.shots: dict[bytes, Garment] = {}
        self.photos: dict[bytes, object] = {}
        for garments, shots in ((batches.garment.garments, batches.garment.references[0]),
                                (batches.shown, batches.shuffled.references[0]),
                                (batches.both.garments, batches.both.references[1])):
            self.shots |= {shot.tobytes(): garment for shot, garment in zip(shots, garments, strict=True)}
        for batch in (batches.identity, batches.both):
            self.photos |= {photo.tobytes(): person
                            for photo, person in zip(batch.references[0], batch.identities, strict=True)}

    def __call__(self, batch: Examples, generator: torch.Generator, num_inference_steps: int = 1) -> np.ndarray:
        pictures = []
        for index in range(len(batch.targets)):
            given = [images[index].tobytes() for images in batch.references]
            garment = next((self.shots[image] for image in given if image in self.shots), Garment("shirt", "red", "plain"))
            person = next((self.photos[image] for image in given if image in self.photos), None)
            pictures.append(render(Figure(garment.category, garment.colour, person.skin if person else "tan", "black",
                                          index % 3 - 1, pattern=garment.pattern,
                                          marker=person.marker if person else None)))
        return np.stack(pictures)


def test_a_perfect_model_scores_full_marks_and_its_baselines_none():
    batches = held_out_batches()
    judged = judge_generator(sampler(Recogniser(batches)), batches)
    numbers = arm_numbers([0], [judged], [{}])
    assert numbers["garment_all_right"]["with_reference"] == 1 and numbers["garment_all_right"]["shuffled"] == 0
    assert numbers["shuffled_follows_shown"] == 1
    assert numbers["garment_all_right"]["none"] == pytest.approx(1 / 12, abs=1e-3)  # the red plain shirt held out
    assert numbers["identity_marker"] == {"own_photo": 1, "other_photo": 0, "none": 0,
                                          "chance": pytest.approx(1 / 24, abs=1e-4)}
    assert numbers["person_and_product"]["both_right"] == 1
    assert set(numbers["garment_patterns"].values()) == {1}
    assert numbers["print_strength"] == {"plain": 0, "stripes": 1, "dots": 1, "checks": 1}
    assert set(numbers["garment_attributes"].values()) == set(numbers["identity_parts"].values()) == {1}
    assert numbers["intervals"]["garment_with_reference"] == [1, 1]
    assert numbers["gate"]["garment"]["passed"] == 1 and numbers["gate"]["garment"]["same_position"] == 0


def test_clustered_intervals_widen_when_products_succeed_or_fail_together():
    products, people = np.repeat(np.arange(12), 6), np.full(72, -1)
    independent = Outcomes(np.random.default_rng(0).random(72) < 0.5, products, people)
    clustered = Outcomes(np.repeat(np.arange(12) % 2 == 0, 6), products, people)  # whole products right or wrong
    narrow, wide = clustered_interval(independent), clustered_interval(clustered)
    assert narrow[0] < independent.share < narrow[1] and wide[0] < clustered.share < wide[1]
    assert wide[1] - wide[0] > 1.5 * (narrow[1] - narrow[0])
    assert clustered_interval(Outcomes(np.ones(72, bool), products, people)) == [1, 1]


def test_the_adapter_arm_learns_on_the_same_backbone_and_uses_its_images():
    model = AdapterTokensGenerator(0)
    assert type(model.transformer) is type(ReferenceGenerator(0).transformer)
    assert model.transformer.config == ReferenceGenerator(0).transformer.config
    run = train_conditioned(model, steps=35, seed=3, off_pose=True)
    assert np.mean(run.losses[-7:]) < 0.8 * np.mean(run.losses[:7])
    batch = examples("garment", 2, np.random.default_rng(0), off_pose=True)
    other = replace(batch, references=[batch.references[0][::-1]])
    first, second = (model(b, torch.Generator().manual_seed(1), num_inference_steps=2) for b in (batch, other))
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("make", [ReferenceGenerator, AdapterTokensGenerator])
def test_guidance_on_the_images_runs_from_the_imageless_picture_past_the_given_one(make):
    model = make(0)
    batch = examples("garment", 2, np.random.default_rng(0), off_pose=True)
    draw = sampler(model, 3)
    given = draw(batch)
    assert np.array_equal(sampler(model, 3, guidance=1.0)(batch), given)
    # Scale 0 is the model with no image at all; a scale above 1 is neither that nor the unguided picture.
    assert np.array_equal(sampler(model, 3, guidance=0.0)(batch), draw(replace(batch, task="none", references=[])))
    guided = sampler(model, 3, guidance=3.0)(batch)
    assert not np.array_equal(guided, given) and not np.array_equal(guided, draw(replace(batch, task="none",
                                                                                      references=[])))


def test_looks_off_pose_judge_distinct_held_out_dresses_and_people_and_the_compositor():
    assert len(HELD_OUT_DRESSES) == 4 and {garment.pattern for garment in HELD_OUT_DRESSES} == set(PATTERNS)
    people = look_people(1)
    report = judged_off_pose_looks(ReferenceGenerator(0), seed=1, people=people, steps=2)
    model = report["outcomes"]["model_own"]
    assert report["options"] == 12 and len(set(model.people.tolist())) == 3
    for look in range(3):  # every look lists the four dresses, each once
        assert sorted(model.products[4 * look: 4 * look + 4].tolist()) == sorted(
            HELD_OUT_GARMENTS.index(garment) for garment in HELD_OUT_DRESSES)
    # Untrained pictures are noise, and the compositor pastes: the gate credits neither.
    assert report["wears_own_product"] == 0 and report["compositor_wears_own_product"] == 0
    assert look_people(0) + look_people(1) == list(HELD_OUT_IDENTITIES)


@pytest.mark.timeout(600)
def test_the_off_pose_report_has_every_key_the_contract_adds():
    plan = OffPosePlan(steps=3, seeds=(0,), adapter_seeds=(0,), sampling_steps=2, look_people=1)
    grids: dict = {}
    report = off_pose_report(plan, grids, lambda stage: None)
    assert set(report["garment_all_right"]) >= {"with_reference", "shuffled", "none", "chance"}
    assert set(report["identity_marker"]) >= {"own_photo", "other_photo"}
    assert set(report["copying_editors"]) >= {"pasted_shot_garment_all_right", "returned_photo_identity_marker"}
    assert set(report["looks"]) >= {"wears_own_product", "compositor_wears_own_product"}
    assert set(report["floors"]) >= {"chance", "always_plain", "shuffled_follows_shown", "compositor_garment_all_right"}
    assert report["seeds"] == [0] and report["runs"][0]["steps"] == 3 and "gate" in report
    assert report["intervals"]["garment_with_reference"][0] <= report["garment_all_right"]["with_reference"]
    assert set(report["ip_adapter"]["garment_all_right"]) >= {"with_reference", "shuffled", "none"}
    assert {"off-pose-garment", "off-pose-editor-pasted-shot", "off-pose-ip-adapter-identity"} <= set(grids)
