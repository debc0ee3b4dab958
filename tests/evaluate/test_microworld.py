"""The micro-world: its renderer and exact classifier, its model, its trainers, and `stylist eval microworld`."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from stylist.evaluate.microworld.command import microworld, summary
from stylist.evaluate.microworld.generators.text_to_image import new_pipeline, to_latents, to_pictures
from stylist.evaluate.microworld.judging.fidelity import CHANCE, class_scores, fidelity_scores
from stylist.evaluate.microworld.judging.retrieval import LISTINGS, RENDERS, listings, retrieval_scores
from stylist.evaluate.microworld.report import Plan, grid_image
from stylist.evaluate.microworld.training.dreambooth import RECIPE, copy_of, train_subject
from stylist.evaluate.microworld.training.text_to_image import train_base
from stylist.evaluate.microworld.world.classifier import classify
from stylist.evaluate.microworld.world.figures import (
    CATEGORIES,
    CLASS_PROMPT,
    COLOURS,
    HAT,
    Figure,
    class_data,
    identity_photos,
    render,
)
from stylist.identity.identifier import IdentifierEmbedding

BASE_STEPS = 300


def test_classifier_reads_every_clean_render_exactly():
    data = class_data(600, seed=3)
    readings = classify(data.images)
    for reading, figure in zip(readings, data.figures, strict=True):
        assert (reading.category, reading.colour, reading.skin, reading.hair, reading.shift, reading.hat) == (
            figure.category, figure.colour, figure.skin, figure.hair, figure.shift, False)
        assert reading.error == pytest.approx(0, abs=0.5) and reading.recognisable
    photos, figures = identity_photos()
    for reading, figure in zip(classify(photos), figures, strict=True):
        assert reading.hat and (reading.category, reading.colour, reading.skin) == (
            figure.category, figure.colour, figure.skin)


def test_classifier_tolerates_noise_and_rejects_noise_alone():
    data = class_data(300, seed=4)
    rng = np.random.default_rng(0)
    noisy = np.clip(data.images + rng.normal(0, 25, data.images.shape), 0, 255).astype(np.uint8)
    readings = classify(noisy)
    assert np.mean([r.colour == f.colour and r.category == f.category for r, f in zip(readings, data.figures)]) > 0.99
    static = rng.integers(0, 256, (50, 32, 32, 3), dtype=np.uint8)
    assert not any(reading.recognisable or reading.hat for reading in classify(static))


def test_every_garment_is_a_different_picture_and_the_hat_a_colour_nothing_else_uses():
    pictures = {render(Figure(category, colour, "tan", "black")).tobytes()
                for category in CATEGORIES for colour in COLOURS}
    assert len(pictures) == len(CATEGORIES) * len(COLOURS)
    plain = class_data(200, seed=5).images.reshape(-1, 3)
    assert not (plain == np.array(HAT, dtype=np.uint8)).all(axis=1).any()
    captions = class_data(200, seed=5).captions
    assert CLASS_PROMPT in captions and any("wearing a" in caption for caption in captions)


def test_scores_count_right_answers_and_diversity():
    data = class_data(90, seed=6)
    readings = classify(data.images)
    pairs = [(figure.category, figure.colour) for figure in data.figures]
    assert fidelity_scores(readings, pairs).colour_accuracy == 1.0
    wrong = [(category, "red" if colour != "red" else "blue") for category, colour in pairs]
    assert fidelity_scores(readings, wrong).colour_accuracy == 0.0
    diverse, same = class_scores(readings), class_scores([readings[0]] * 90)
    assert same.diversity_bits == 0 and diverse.diversity_bits > 5 and diverse.hat_share == 0


def test_latents_hold_the_picture_exactly():
    images = class_data(8, seed=7).images
    latents = to_latents(images)
    assert latents.shape == (8, 12, 16, 16)
    assert np.array_equal(to_pictures(latents), images)


def test_sampling_is_repeatable_and_training_changes_it():
    pipeline = new_pipeline(seed=0)
    prompts = ["a photo of a person wearing a red dress"] * 2
    first = pipeline(prompts, torch.Generator().manual_seed(0), num_inference_steps=2)
    assert first.shape == (2, 32, 32, 3) and first.dtype == np.uint8
    assert np.array_equal(first, pipeline(prompts, torch.Generator().manual_seed(0), num_inference_steps=2))
    run = train_base(pipeline, class_data(64, seed=8), steps=3)
    assert run.steps == 3 and len(run.losses) == 3
    assert not np.array_equal(first, pipeline(prompts, torch.Generator().manual_seed(0), num_inference_steps=2))


def test_judged_training_keeps_the_best_checkpoint_and_trains_on_after_judging():
    pipeline = new_pipeline(seed=0)
    seen, scores = [], iter([1.0, 0.0, 0.5])

    def judge(model):
        seen.append({name: value.clone() for name, value in model.unet.state_dict().items()})
        return next(scores)

    run = train_base(pipeline, class_data(64, seed=8), steps=6, judge=judge, judge_every=2)
    assert run.judged == [(2, 1.0), (4, 0.0), (6, 0.5)] and run.kept_step == 2
    # Judging does not disturb training: later checkpoints moved on from the first.
    assert any(not torch.equal(seen[0][name], value) for name, value in seen[2].items())
    assert all(torch.equal(seen[0][name], value) for name, value in pipeline.unet.state_dict().items())
    # The last checkpoint is judged even when the run ends between two judgements.
    assert train_base(new_pipeline(seed=0), class_data(64, seed=8), steps=3, judge=lambda model: 0.0,
                      judge_every=2).judged == [(2, 0.0), (3, 0.0)]


def test_dreambooth_changes_only_its_copy_and_trains_what_the_config_says():
    base = new_pipeline(seed=0)
    before = {name: value.clone() for name, value in base.unet.state_dict().items()}
    photos, _ = identity_photos()
    model = copy_of(base)
    config = RECIPE.with_overrides(steps=2, batch_size=1)
    run = train_subject(model, photos, photos, config)
    assert run.steps == 2 and all(np.isfinite(run.losses))
    assert all(torch.equal(before[name], value) for name, value in base.unet.state_dict().items())
    assert any(not torch.equal(before[name], value) for name, value in model.unet.state_dict().items())
    assert any("lora" in name for name, _ in model.text_encoder.named_parameters())
    # Pivotal tuning: the copy's identifier has an embedding of its own, the base's encoder is untouched.
    assert isinstance(model.text_encoder.get_input_embeddings(), IdentifierEmbedding)
    assert not isinstance(base.text_encoder.get_input_embeddings(), IdentifierEmbedding)


def test_grid_places_samples_in_rows():
    images = np.zeros((5, 32, 32, 3), dtype=np.uint8)
    images[4] = 200
    grid = np.asarray(grid_image(images, columns=2))
    assert grid.shape == (3 * 128, 2 * 128, 3)
    assert (grid[256:, :128] == 200).all() and (grid[256:, 128:] == 255).all()


def test_the_shop_lists_every_garment_in_renders_of_its_own():
    products = listings(seed=0)
    assert len(products) == len(CATEGORIES) * len(COLOURS) * LISTINGS
    assert all(len(product.images) == RENDERS and product.images[0].shape == (32, 32, 3) for product in products)
    readings = classify(np.stack([image for product in products for image in product.images]))
    garments = [(product.category, product.colour) for product in products for _ in range(RENDERS)]
    assert [(reading.category, reading.colour) for reading in readings] == garments
    assert products[0].texts["title"] == f"{products[0].colour.capitalize()} {products[0].category}"


def test_fashion_clip_learns_the_garments_beyond_chance_and_both_broken_trainers():
    scores = retrieval_scores(seed=0)
    r1 = scores["trained"]["r1"]
    assert scores["chance"] == pytest.approx(1 / scores["held_out_products"], abs=1e-3)
    assert r1 >= 3 * scores["chance"]
    assert r1 > scores["untrained"]["r1"] and r1 > scores["shuffled"]["r1"]
    assert scores["trained"]["mrr"] > max(scores["untrained"]["mrr"], scores["shuffled"]["mrr"])
    assert r1 <= scores["ceiling"] < 1


# The suite's short version: 300 steps at the feasibility run's batch. That is enough to learn what people
# look like, not yet which words mean which colours (the model was at chance on colour after 300 steps and
# the feasibility run needed about 1,000): prompt fidelity is the full benchmark's to show
# (benchmarks/microworld_bench.py), this test shows that the trainer learns and the report is whole. The
# checkpoint is judged once, at the end: before colour binds, the judge's score is noise, and choosing an
# earlier checkpoint by it would only pick a less-trained model.
SHORT = Plan(base_seconds=None, base_steps=BASE_STEPS, shuffled_seconds=None, shuffled_steps=20, subject_seconds=None,
             subject_steps=8, class_images=2000, per_prompt=2, samples=8, class_prior_images=8, sampling_steps=10,
             judge_every=BASE_STEPS, reference_steps=4, adapter_steps=4, reference_samples=8, reference_sampling_steps=4,
             looks=1, retrieval_epochs=2,  # retrieval's learning has its own test below
             off_pose_steps=2, off_pose_seeds=(0,), off_pose_adapter_seeds=(0,))


# Longer than the suite's 5-minute limit when the cores are shared with other jobs.
@pytest.mark.timeout(1200)
def test_short_microworld_run_learns_figures_and_reports_every_baseline(tmp_path, monkeypatch):
    monkeypatch.setattr("stylist.evaluate.microworld.report.plan_for", lambda minutes: SHORT)
    result = CliRunner().invoke(microworld, ["--minutes", "3", "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report == json.loads((tmp_path / "report.json").read_text())
    fidelity = report["prompt_fidelity"]
    # Learning, not noise: the untrained model draws nothing the classifier recognises as a person.
    assert fidelity["recognisable"]["trained"] >= 0.2 > fidelity["recognisable"]["untrained"]
    assert fidelity["runs"]["trained"]["steps"] == BASE_STEPS
    for measure in ("colour_accuracy", "category_accuracy"):
        assert set(fidelity[measure]) == {"trained", "untrained", "shuffled_captions", "chance"}
    assert fidelity["colour_accuracy"]["chance"] == pytest.approx(CHANCE["colour"], abs=1e-3)
    assert set(report["subject"]["identity_share_sks"]) == {"with_prior", "without_prior", "frozen_identifier",
                                                             "attention_lora", "base_model"}
    assert [step for step, _ in fidelity["runs"]["trained"]["judged"]] == [BASE_STEPS]
    assert fidelity["runs"]["trained"]["kept_step"] == BASE_STEPS
    assert all(run["steps"] == 8 for run in report["subject"]["runs"].values())
    for grid in ("trained", "untrained", "shuffled-captions", "identity-photos", "with-prior-sks", "base-model-class"):
        assert (tmp_path / f"{grid}.png").is_file()
    assert set(report["retrieval"]) >= {"trained", "untrained", "shuffled", "chance"}
    # Part 4, as CONTRACT.md spells it, for both mechanisms (the short run trains 4 steps: only its shape is checked).
    references = report["references"]
    for path in (references, references["ip_adapter"]):
        assert set(path["garment_all_right"]) >= {"with_reference", "shuffled", "none", "chance", "untrained"}
        assert set(path["identity_marker"]) >= {"own_photo", "other_photo"}
        assert path["run"]["steps"] == 4 and path["samples_per_number"] == 8
    assert set(references["looks"]) >= {"wears_own_product", "wears_other_options_product", "chance", "injected"}
    for grid in ("reference-tokens-garment", "reference-tokens-both", "ip-adapter-identity-other-photo"):
        assert (tmp_path / f"{grid}.png").is_file()
    # Part 5 (2 steps: its shape only; test_microworld_off_pose.py tests what it measures).
    off_pose = references["off_pose"]
    assert set(off_pose["garment_all_right"]) >= {"with_reference", "shuffled", "none", "chance"}
    assert off_pose["seeds"] == [0] and off_pose["runs"][0]["steps"] == 2
    assert (tmp_path / "off-pose-garment.png").is_file()
    text = summary(report)
    assert "colour accuracy" in text and "without prior" in text and "R@1" in text and "garment from its shot" in text
    assert "off-pose references through the figure gate" in text and "copying editors" in text


def test_training_needs_a_budget_and_the_command_a_sensible_one():
    with pytest.raises(ValueError, match="time budget"):
        train_base(new_pipeline(), class_data(8, seed=9))
    result = CliRunner().invoke(microworld, ["--minutes", "0"])
    assert result.exit_code == 2 and "--minutes" in result.output
