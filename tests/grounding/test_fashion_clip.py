"""The fashion CLIP model: embeddings, saving and loading (never silently random), caching, image scores."""

from __future__ import annotations

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from stylist.catalog.store import CatalogStore
from stylist.errors import StylistError
from stylist.grounding.fashion_clip import FashionClip, catalog_image, model_dir
from stylist.grounding.score import score_images
from stylist.presets import get_preset
from stylist.settings import Settings
from tests.grounding.synthetic import Garment, draw, tiny_settings

TEXTS = ["red striped dress", "a black hat", "Maison Nord Blue checked coat"]


def perturbed(model: FashionClip, seed: int = 1) -> FashionClip:
    """The model with every weight moved, as training would move it."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.05 * torch.randn(parameter.shape, generator=generator))
    return model


def test_embeddings_are_unit_float32_rows_on_the_cpu(data_dir):
    model = FashionClip.load(tiny_settings(data_dir))
    texts = model.embed_texts(TEXTS)
    images = model.embed_images([draw(Garment("A", "dress", "red", "stripes", "X", 1.0), 0)] * 2)
    for vectors, rows in ((texts, 3), (images, 2)):
        assert vectors.shape == (rows, model.dim) and vectors.dtype == torch.float32 and vectors.device.type == "cpu"
        torch.testing.assert_close(vectors.norm(dim=-1), torch.ones(rows))
    assert model.embed_texts([]).shape == (0, model.dim)
    # The tiny base model is the same in every process: its weights come from a fixed seed.
    other = FashionClip.base(get_preset("tiny"))
    torch.testing.assert_close(other.embed_texts(TEXTS), texts)


def test_saved_and_reloaded_models_embed_identically(data_dir):
    settings = tiny_settings(data_dir)
    model = perturbed(FashionClip.base(get_preset("tiny")))
    image = draw(Garment("A", "coat", "blue", "checks", "X", 1.0), 1)
    path = model.save(model_dir(settings), {"note": "test"})
    loaded = FashionClip.load(settings)
    assert loaded.source == str(path)
    torch.testing.assert_close(loaded.embed_texts(TEXTS), model.embed_texts(TEXTS), rtol=0, atol=0)
    torch.testing.assert_close(loaded.embed_images([image]), model.embed_images([image]), rtol=0, atol=0)
    # The fine-tuned weights change what the model says; "base" still gives the base model.
    base = FashionClip.load(settings, which="base")
    assert not torch.allclose(base.embed_texts(TEXTS), loaded.embed_texts(TEXTS))


def test_loading_is_cached_until_the_model_on_disk_changes(data_dir):
    settings = tiny_settings(data_dir)
    first = FashionClip.load(settings)
    assert FashionClip.load(settings) is first and first.source == "base"
    perturbed(FashionClip.base(get_preset("tiny"))).save(model_dir(settings))
    trained = FashionClip.load(settings)
    assert trained is not first and trained.source.endswith("model.safetensors")
    assert FashionClip.load(settings) is trained
    perturbed(FashionClip.base(get_preset("tiny")), seed=2).save(model_dir(settings))
    again = FashionClip.load(settings)
    assert again is not trained and not torch.allclose(again.embed_texts(TEXTS), trained.embed_texts(TEXTS))


def test_a_saved_model_lacking_weights_is_refused(data_dir):
    settings = tiny_settings(data_dir)
    path = FashionClip.base(get_preset("tiny")).save(model_dir(settings))
    with safe_open(str(path), framework="pt") as file:
        metadata = file.metadata()
    state = load_file(str(path))
    del state["image_adapter.up.weight"]
    save_file(state, str(path), metadata=metadata)
    with pytest.raises(StylistError, match=r"incomplete.*image_adapter\.up\.weight.*stylist clip train"):
        FashionClip.load(settings)
    path.write_bytes(b"not a safetensors file")
    with pytest.raises(StylistError, match="cannot be read"):
        FashionClip.load(settings)


def test_real_presets_never_run_on_random_weights(data_dir, tmp_path, monkeypatch):
    repo = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
    settings = Settings(data_dir=data_dir, preset="sdxl", device="cpu")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("STYLIST_MODELS_DIR", raising=False)
    with pytest.raises(StylistError, match=rf"{repo}.*stylist --preset sdxl models fetch"):
        FashionClip.load(settings)
    # A local copy with only some of the weights is refused, naming a missing one.
    folder = tmp_path / "clip"
    folder.mkdir()
    save_file({"logit_scale": torch.tensor(4.6)}, str(folder / "open_clip_model.safetensors"))
    monkeypatch.setenv("STYLIST_MODEL_LAION_CLIP_VIT_B_32_LAION2B_S34B_B79K", str(folder))
    with pytest.raises(StylistError, match=r"incomplete \(it lacks \d+ weights, such as"):
        FashionClip.load(settings)


def test_image_scores_tie_images_to_prompts_and_products(trained_catalog):
    data_dir, _ = trained_catalog
    settings = tiny_settings(data_dir)
    clip = FashionClip.load(settings)
    with CatalogStore(settings) as store:
        # One product of each colour: colour is what a 20-epoch tiny model tells apart best.
        products = list({product.color: product for product in store.products()}.values())
    images = [catalog_image(product.images[1]) for product in products]
    scores = score_images(clip, images, products[0].title, products)
    assert scores.prompt.shape == (6,) and scores.products.shape == (6, 6)
    assert bool(((scores.prompt >= -1) & (scores.prompt <= 1 + 1e-6)).all())
    # Each product's own (second) photo is closest to that product.
    assert scores.products.argmax(dim=1).tolist() == list(range(6))
    assert score_images(clip, images[:2], "x", []).products.shape == (2, 0)
