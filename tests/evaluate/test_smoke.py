"""The real-weights smoke stage on the CPU: tiny checkpoints saved in each real repository's layout, read back
through the real presets' loaders (not the tiny builders), and every step run on them."""

from __future__ import annotations

import json
from pathlib import Path

import open_clip
import pytest
import torch
from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
from peft import LoraConfig, get_peft_model_state_dict
from safetensors.torch import save_file

from stylist.evaluate.bench import run_benchmarks
from stylist.grounding.fashion_clip import CLIP_WEIGHTS, clip_weights
from stylist.looks.generate import LCM_WEIGHTS
from stylist.models.presets import SD_FACE_ADAPTER, SD_PRODUCT_ADAPTER, VIDEO_MODELS, get_preset
from stylist.models.residency import RESIDENCY
from stylist.models.tiny import tiny_klein_pipeline, tiny_pipeline, write_face_adapter
from stylist.video.tiny import TINY_ANIMATEDIFF, TINY_WAN, build_animatediff, build_wan_vace
from tests.models.conftest import offline  # noqa: F401  (a machine without model weights)


def write_lcm_lora(pipeline, folder: Path) -> None:
    """A LoRA on the UNet's attention, saved as diffusers' training scripts save one (the LCM-LoRA's file name)."""
    from diffusers.utils import convert_state_dict_to_diffusers

    pipeline.unet.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights="gaussian",
                                         target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(pipeline.unet))
    type(pipeline).save_lora_weights(folder, unet_lora_layers=layers, weight_name=LCM_WEIGHTS)


def hub_tokenizer(folder: Path, keep_fast: bool) -> None:
    """The saved tokenizer's vocabulary and merges as vocab.json and merges.txt, as the hub repositories hold them;
    without `keep_fast`, tokenizer.json goes, as the CLIP-tokenizer repositories (SDXL, SD 1.x) have none and
    transformers builds the tokenizer from those two files."""
    model = json.loads((folder / "tokenizer.json").read_text())["model"]
    (folder / "vocab.json").write_text(json.dumps(model["vocab"]))
    merges = [merge if isinstance(merge, str) else " ".join(merge) for merge in model["merges"]]
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    if not keep_fast:
        (folder / "tokenizer.json").unlink()


def save_pipeline(pipeline, folder: Path) -> None:
    pipeline.save_pretrained(folder)
    for tokenizer in folder.glob("tokenizer*/"):
        hub_tokenizer(tokenizer, keep_fast=not isinstance(pipeline, (StableDiffusionPipeline,
                                                                      StableDiffusionXLPipeline)))


def save_tiny_weights(models: Path) -> None:
    """Every repository the real presets read, as `$STYLIST_MODELS_DIR/<hub id>/`, holding tiny random weights
    in that repository's own layout: diffusers pipeline folders, root-level models, IP-Adapter files beside
    their image encoder, an LCM-LoRA file, open_clip's safetensors."""
    sdxl, sd14, klein = get_preset("sdxl"), get_preset("sd14"), get_preset("klein")
    for preset, family in ((sdxl, "sdxl"), (sd14, "sd")):
        pipeline = tiny_pipeline(family)
        save_pipeline(pipeline, models / preset.image_model)
        adapters = models / preset.face_adapter.repo
        write_face_adapter(pipeline.unet, preset.face_adapter, adapters, seed=0)
        write_face_adapter(pipeline.unet, preset.product_adapter, adapters, seed=1)
        write_lcm_lora(pipeline, models / preset.fast_lora)
    save_pipeline(tiny_klein_pipeline(), models / klein.image_model)
    # The spin's models: Wan VACE, and AnimateDiff's SD 1.5, motion adapter, ControlNet and look adapter.
    save_pipeline(build_wan_vace(TINY_WAN), models / VIDEO_MODELS.wan_vace)
    animatediff = build_animatediff(TINY_ANIMATEDIFF)
    save_pipeline(tiny_pipeline("sd"), models / VIDEO_MODELS.animatediff_base)
    animatediff.motion_adapter.save_pretrained(models / VIDEO_MODELS.motion_adapter)
    animatediff.controlnet.save_pretrained(models / VIDEO_MODELS.pose_controlnet)
    assert VIDEO_MODELS.look_adapter in (SD_FACE_ADAPTER, SD_PRODUCT_ADAPTER)  # written with sd14's above
    # The fashion CLIP's backbone: open_clip's own architecture (its config is open_clip's, not the folder's), so
    # full-size, in half precision to halve the file.
    backbone = open_clip.create_model(sdxl.clip_model, pretrained=None)
    state = {name: tensor.half().contiguous() for name, tensor in backbone.state_dict().items()}
    clip = models / clip_weights(sdxl).repo
    clip.mkdir(parents=True)
    save_file(state, clip / CLIP_WEIGHTS)


@pytest.fixture
def models_dir(offline):  # noqa: F811
    save_tiny_weights(offline)
    yield offline
    RESIDENCY.clear()  # the models loaded from this folder go with it


def test_the_smoke_stage_loads_each_real_layout_and_runs_every_step(models_dir, tmp_path):
    out = tmp_path / "gpu.json"
    report = run_benchmarks(out, tiny=True, only=("smoke",))
    smoke = json.loads(out.read_text())["results"]["smoke"]
    assert not report["errors"], report["errors"]
    assert not smoke["errors"]
    for name in ("sdxl", "sd14"):
        steps = smoke["presets"][name]
        assert set(steps) == {"setup", "load", "look", "fast_look", "clip_guided", "train"}, (name, steps)
        for step in steps.values():
            assert step["seconds"] > 0 and "peak_gib" in step, (name, step)
        assert steps["train"]["steps"] == 2 and steps["train"]["finite_loss"]  # the CPU's 2 steps; a GPU's 20
    klein = smoke["presets"]["klein"]
    assert klein["look"]["seconds"] > 0 and klein["look"]["references"] == 3
    assert "no training" in klein["train"]["skipped"]
    for backend in ("wan-vace", "animatediff"):
        assert smoke["spins"][backend]["spin"]["seconds"] > 0 and smoke["spins"][backend]["spin"]["frames"] > 0


def test_missing_weights_are_skipped_with_their_fetch_command(offline, tmp_path):  # noqa: F811
    from stylist.evaluate.bench import smoke

    results = smoke.run(device="cpu", out=tmp_path / "smoke.json")
    assert not results["errors"]
    sdxl = results["presets"]["sdxl"]["skipped"]
    assert "stabilityai/stable-diffusion-xl-base-1.0 is missing: hf download stabilityai/" in sdxl
    assert "h94/IP-Adapter is missing" in sdxl
    assert "black-forest-labs/FLUX.2-klein-4B is missing" in results["presets"]["klein"]["skipped"]
    assert "Wan-AI/Wan2.1-VACE-1.3B-diffusers is missing" in results["spins"]["wan-vace"]["skipped"]
    # Nothing was loaded or run: every preset and every backend is only a skip.
    assert all(set(entry) == {"skipped"} for entry in [*results["presets"].values(), *results["spins"].values()])


def test_a_failed_step_fails_the_benchmark_call_and_keeps_the_others(monkeypatch, tmp_path):
    from stylist.evaluate.bench import smoke

    monkeypatch.setattr(smoke, "run", lambda **_: {"presets": {"sdxl": {"look": {"error": "boom"}}},
                                                  "errors": {"sdxl.look": "boom"}})
    report = run_benchmarks(tmp_path / "gpu.json", tiny=True, only=("smoke",))
    assert report["errors"] == {"smoke": "sdxl.look: boom"}
    assert report["results"]["smoke"]["presets"]["sdxl"]["look"] == {"error": "boom"}
