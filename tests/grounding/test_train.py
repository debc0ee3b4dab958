"""The trainer learns: a tiny CLIP from scratch beats chance by far on held-out products; resume, early stop, SigLIP."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from safetensors.torch import load_file

from stylist.errors import StylistError
from stylist.grounding.data import Split, catalog_pairs
from stylist.grounding.fashion_clip import FashionClip, model_dir
from stylist.grounding.retrieval_metrics import evaluate_clip
from stylist.grounding.train import default_config, train_clip
from stylist.settings import Settings
from tests.grounding.synthetic import build_catalog, garments, tiny_settings

SMALL_RUN = dict(batch_size=8, steps=12, eval_every=4)


def test_a_tiny_clip_learns_text_to_image_retrieval_from_scratch(trained_catalog):
    data_dir, result = trained_catalog
    chance = 1 / result.held_out_products
    assert result.held_out_products >= 30 and result.validation_products >= 15
    assert result.train_products + result.validation_products + result.held_out_products == 240
    # Far above chance on products it never saw, and far above where it started.
    assert result.best.r1 >= 5 * chance, result.best
    assert result.best.r5 > result.start.r5 + 0.3 and result.best.mrr > 2 * result.start.mrr
    first, last = result.losses[:5], result.losses[-5:]
    assert sum(last) / 5 < 0.8 * sum(first) / 5
    # `clip eval` scores the saved model: the best check's numbers, beside the base model's.
    scores = evaluate_clip(tiny_settings(data_dir))
    assert scores["queries"] == result.held_out_products
    assert scores["finetuned"]["r1"] == pytest.approx(result.best.r1, abs=1e-6)
    assert scores["base"]["r5"] == pytest.approx(result.start.r5, abs=1e-6)
    assert scores["finetuned"]["r5"] > scores["base"]["r5"] and scores["finetuned"]["mrr"] > scores["base"]["mrr"]


def test_held_out_products_are_never_trained_on_and_keep_their_place(synthetic_catalog, tmp_path):
    split = Split(seed=0, held_out=0.2)
    pairs = catalog_pairs(tiny_settings(synthetic_catalog), split)
    train_ids, held_ids = {p.id for p in pairs.train}, {p.id for p in pairs.held_out}
    validation_ids = {p.id for p in pairs.validation}
    assert not train_ids & held_ids and len(held_ids) > 0
    # Validation, which picks the checkpoint, is apart from both.
    assert validation_ids and not validation_ids & (train_ids | held_ids)
    # The same shop served on another host or port splits the same way.
    moved = [replace(product, shop="shop.example:9999") for product in pairs.held_out + pairs.validation]
    assert [split.is_held_out(p) for p in moved] == [True] * len(pairs.held_out) + [False] * len(pairs.validation)
    assert all(split.is_validation(p) for p in moved[len(pairs.held_out):])
    # Another seed holds out other products; a grown catalog keeps each old product on its side.
    other = catalog_pairs(tiny_settings(synthetic_catalog), Split(seed=1, held_out=0.2))
    assert {p.id for p in other.held_out} != held_ids
    grown = tmp_path / "grown"
    grown.mkdir()
    build_catalog(grown, garments(300, seed=0), images_per_product=1)
    bigger = catalog_pairs(tiny_settings(grown), split)
    old_skus = {p.sku for p in pairs.held_out}
    assert old_skus <= {p.sku for p in bigger.held_out}
    assert not old_skus & {p.sku for p in bigger.train}


def test_resume_ends_where_an_uninterrupted_run_ends(small_copy, tmp_path):
    settings = tiny_settings(small_copy)
    config = default_config("tiny").with_overrides(**SMALL_RUN)
    whole = train_clip(settings, config)
    uninterrupted = load_file(str(whole.weights))

    class Killed(Exception):
        pass

    def die_after_the_second_check(progress):
        if progress.details.get("step") == 8 and "validation_r5" in progress.details:
            raise Killed

    with pytest.raises(Killed):
        train_clip(settings, config, on_progress=die_after_the_second_check)
    assert (model_dir(settings) / "training" / "checkpoint.pt").exists()
    with pytest.raises(StylistError, match="other settings"):
        train_clip(settings, config.with_overrides(learning_rate=1e-4), resume=True)
    resumed = train_clip(settings, config, resume=True)
    assert resumed.losses == pytest.approx(whole.losses, rel=1e-5)
    weights = load_file(str(resumed.weights))
    assert weights.keys() == uninterrupted.keys()
    for name, tensor in weights.items():
        torch.testing.assert_close(tensor, uninterrupted[name], rtol=1e-5, atol=1e-6, msg=name)
    assert not (model_dir(settings) / "training").exists()  # a finished run leaves no checkpoint
    with pytest.raises(StylistError, match="no interrupted CLIP training"):
        train_clip(settings, config, resume=True)


def test_early_stopping_keeps_the_starting_model_when_nothing_improves(small_copy):
    settings = tiny_settings(small_copy)
    config = default_config("tiny").with_overrides(batch_size=8, steps=20, eval_every=2, patience=2,
                                                   learning_rate=1e-12, adapter_learning_rate=1e-12)
    result = train_clip(settings, config)
    assert result.stopped_early and result.steps == 4 and result.best_step == 0
    base = FashionClip.load(settings, which="base")
    saved = FashionClip.load(settings)
    assert saved.source.endswith("model.safetensors")
    texts = ["red dress", "blue checked coat"]
    torch.testing.assert_close(saved.embed_texts(texts), base.embed_texts(texts))


def test_training_counts_steps_and_epochs_are_passes():
    tiny = default_config("tiny")
    # The 90-product shop: 67 training products at batch 64 made one step an "epoch", so 30 epochs
    # were 30 steps. Steps are counted now; --epochs N is N passes, the remainder not skipped.
    assert tiny.total_steps(67) == 300
    assert tiny.with_overrides(epochs=30).total_steps(67) == 60
    assert tiny.with_overrides(epochs=3).total_steps(10) == 3  # a batch larger than the shop takes all of it


def test_siglip_loss_trains_and_reloads(small_copy):
    settings = tiny_settings(small_copy)
    config = default_config("tiny").with_overrides(batch_size=8, epochs=3, loss="siglip")
    result = train_clip(settings, config)
    assert all(torch.isfinite(torch.tensor(result.losses)))
    assert result.losses[-1] < result.losses[0]
    saved = FashionClip.load(settings)
    assert saved.config.loss == "siglip" and saved.logit_bias is not None
    assert "logit_bias" in load_file(str(result.weights))


def test_training_needs_a_catalog(data_dir):
    with pytest.raises(StylistError, match="crawl a shop first"):
        train_clip(tiny_settings(data_dir))
    build_catalog(data_dir, garments(2, seed=3), images_per_product=1)
    with pytest.raises(StylistError, match="only 2 purchasable products"):
        train_clip(tiny_settings(data_dir))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_training_on_the_gpu_uses_mixed_precision_and_saves_fp32(small_copy):
    settings = Settings(data_dir=small_copy, preset="tiny", device="cuda")
    result = train_clip(settings, default_config("tiny").with_overrides(batch_size=8, epochs=2))
    assert all(torch.isfinite(torch.tensor(result.losses)))
    assert all(tensor.dtype == torch.float32 for tensor in load_file(str(result.weights)).values())
    assert FashionClip.load(settings).embed_texts(["red dress"]).device.type == "cpu"
