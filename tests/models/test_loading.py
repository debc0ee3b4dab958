"""The one loader: tiny in code, real presets only from complete local weights, each loaded once per process."""

from __future__ import annotations

import shutil

import pytest
import torch
from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
from safetensors.torch import load_file, save_file

from stylist.errors import StylistError
from stylist.models.loading import load_image_pipeline
from stylist.models.tiny import tiny_pipeline
from stylist.presets import get_preset

SDXL_REPO = "stabilityai/stable-diffusion-xl-base-1.0"


@pytest.fixture(scope="module")
def saved_tiny(tmp_path_factory):
    """The tiny SDXL pipeline saved as a hub repository is laid out, standing in for the real SDXL weights."""
    folder = tmp_path_factory.mktemp("saved") / "tiny-sdxl"
    tiny_pipeline("sdxl").save_pretrained(folder)
    return folder


def test_tiny_is_built_once_per_process():
    pipeline = load_image_pipeline(get_preset("tiny"), "cpu")
    assert isinstance(pipeline, StableDiffusionXLPipeline)
    assert load_image_pipeline(get_preset("tiny"), "cpu") is pipeline
    assert load_image_pipeline(get_preset("tiny"), "cpu", cached=False) is not pipeline
    assert isinstance(load_image_pipeline(get_preset("tiny-sd"), "cpu"), StableDiffusionPipeline)


@pytest.mark.parametrize(("preset", "repo"), [("sdxl", SDXL_REPO), ("sd14", "CompVis/stable-diffusion-v1-4")])
def test_real_presets_without_weights_fail_in_one_sentence(offline, preset, repo):
    with pytest.raises(StylistError) as error:
        load_image_pipeline(get_preset(preset), "cpu")
    assert str(error.value) == (
        f"the {preset} preset needs {repo}: fetch it with `stylist --preset {preset} models fetch` where there is "
        f"network access, or put a copy in $STYLIST_MODELS_DIR/{repo}"
    )


def test_a_variable_pointing_nowhere_is_refused(offline, monkeypatch, tmp_path):
    monkeypatch.setenv("STYLIST_MODEL_STABILITYAI_STABLE_DIFFUSION_XL_BASE_1_0", str(tmp_path / "nowhere"))
    with pytest.raises(StylistError, match=r"^STYLIST_MODEL_STABILITYAI_STABLE_DIFFUSION_XL_BASE_1_0 points to .*nowh"):
        load_image_pipeline(get_preset("sdxl"), "cpu")


def test_a_complete_local_copy_loads_through_the_real_preset_path(offline, saved_tiny, monkeypatch):
    shutil.copytree(saved_tiny, offline / SDXL_REPO)
    pipeline = load_image_pipeline(get_preset("sdxl"), "cpu", cached=False)
    assert isinstance(pipeline, StableDiffusionXLPipeline)
    assert torch.equal(pipeline.unet.conv_in.weight, tiny_pipeline("sdxl").unet.conv_in.weight)
    # A folder named by the model's own variable wins over STYLIST_MODELS_DIR.
    monkeypatch.setenv("STYLIST_MODEL_STABILITYAI_STABLE_DIFFUSION_XL_BASE_1_0", str(saved_tiny))
    shutil.rmtree(offline / SDXL_REPO)
    assert isinstance(load_image_pipeline(get_preset("sdxl"), "cpu", cached=False), StableDiffusionXLPipeline)


def test_offline_the_hugging_face_cache_is_used(offline, saved_tiny, tmp_path):
    # The layout `hf download` leaves in the cache: refs/main names the snapshot folder holding the files.
    commit = "0" * 40
    cache = tmp_path / "hub-cache" / "models--stabilityai--stable-diffusion-xl-base-1.0"
    shutil.copytree(saved_tiny, cache / "snapshots" / commit)
    (cache / "refs").mkdir()
    (cache / "refs" / "main").write_text(commit)
    assert isinstance(load_image_pipeline(get_preset("sdxl"), "cpu", cached=False), StableDiffusionXLPipeline)


@pytest.mark.parametrize(("component", "file"), [("unet", "diffusion_pytorch_model.safetensors"),
                                                  ("text_encoder_2", "model.safetensors")])
def test_a_checkpoint_missing_a_weight_is_refused(offline, saved_tiny, component, file):
    copy = offline / SDXL_REPO
    shutil.copytree(saved_tiny, copy)
    weights = load_file(copy / component / file)
    removed = sorted(weights)[0]
    del weights[removed]
    save_file(weights, copy / component / file, metadata={"format": "pt"})
    expected = rf"^the copy of {SDXL_REPO} in .* is incomplete \({component} lacks 1 weights, such as {removed}\): "
    with pytest.raises(StylistError, match=expected):
        load_image_pipeline(get_preset("sdxl"), "cpu", cached=False)


def test_a_checkpoint_missing_a_component_is_refused(offline, saved_tiny):
    copy = offline / SDXL_REPO
    shutil.copytree(saved_tiny, copy, ignore=shutil.ignore_patterns("vae"))
    with pytest.raises(StylistError, match=rf"^the copy of {SDXL_REPO} in .* lacks vae/config.json and 1 more files: fetch it with `stylist --preset sdxl"):
        load_image_pipeline(get_preset("sdxl"), "cpu", cached=False)


def test_klein_refuses_float16_in_one_sentence():
    # What a GPU without bfloat16 (a T4, a V100) would get by default: FLUX.2 and Qwen3 overflow in float16.
    with pytest.raises(StylistError, match=r"^tiny-klein runs in bfloat16 or float32, not float16, .* --preset sdxl"):
        load_image_pipeline(get_preset("tiny-klein"), "cpu", torch.float16, cached=False)


def test_the_size_a_real_preset_will_take_is_read_from_its_files_before_it_is_built(offline, saved_tiny):
    from stylist.models.loading import expected_bytes
    from stylist.models.residency import model_bytes

    assert expected_bytes(get_preset("sdxl"), torch.float32) is None  # nothing on this machine yet
    shutil.copytree(saved_tiny, offline / SDXL_REPO)
    pipeline = load_image_pipeline(get_preset("sdxl"), "cpu", cached=False)
    # The checkpoint's tensors, at the dtype asked for; the loaded models add only a few computed buffers.
    assert expected_bytes(get_preset("sdxl"), torch.float32) == pytest.approx(model_bytes(pipeline), rel=0.02)
    assert expected_bytes(get_preset("sdxl"), torch.bfloat16) * 2 == expected_bytes(get_preset("sdxl"), torch.float32)
