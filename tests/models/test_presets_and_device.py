"""Presets name every model a run uses; devices and dtypes follow the machine."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from stylist.errors import StylistError
from stylist.models.device import default_dtype, resolve_device
from stylist.presets import PRESETS, get_preset


def test_every_public_preset_and_its_baseline():
    sdxl, sd14, tiny = get_preset("sdxl"), get_preset("sd14"), get_preset("tiny")
    assert (sdxl.family.name, sdxl.resolution) == ("sdxl", 1024)
    assert sdxl.image_model == "stabilityai/stable-diffusion-xl-base-1.0"
    assert (sd14.family.name, sd14.resolution, sd14.image_model) == ("sd", 512, "CompVis/stable-diffusion-v1-4")
    assert (tiny.family.name, tiny.resolution, tiny.random_weights) == ("sdxl", 64, True)
    assert sdxl.face_adapter.weight_name == "ip-adapter-plus-face_sdxl_vit-h.safetensors"
    assert (sdxl.clip_model, sdxl.clip_pretrained) == ("ViT-B-32", "laion2b_s34b_b79k")
    assert get_preset(sdxl.baseline) is sd14
    assert get_preset(tiny.baseline).family.name == "sd" and get_preset(tiny.baseline).random_weights
    # Only the tiny presets run on random weights; every public name resolves.
    assert {name for name in PRESETS if get_preset(name).random_weights} == {"tiny", "tiny-sd", "tiny-klein"}
    klein, tiny_klein = get_preset("klein"), get_preset("tiny-klein")
    assert (klein.family.name, klein.image_model, klein.resolution) == ("klein", "black-forest-labs/FLUX.2-klein-4B", 1024)
    assert klein.edits_references and tiny_klein.edits_references and not sdxl.edits_references
    assert klein.max_references == tiny_klein.max_references == 4 and klein.face_adapter is None
    assert get_preset(klein.baseline) is sdxl


def test_every_preset_names_its_video_models():
    sdxl, sd14, tiny = get_preset("sdxl"), get_preset("sd14"), get_preset("tiny")
    assert (sdxl.video.backend, sd14.video.backend, tiny.video.backend) == ("wan-vace", "animatediff", "wan-vace")
    assert get_preset(tiny.baseline).video.backend == "animatediff"
    assert sdxl.video.wan_vace == "Wan-AI/Wan2.1-VACE-1.3B-diffusers"
    assert sd14.video.animatediff_base == "stable-diffusion-v1-5/stable-diffusion-v1-5"
    assert sd14.video.motion_adapter == "guoyww/animatediff-motion-adapter-v1-5-2"
    assert sd14.video.pose_controlnet == "lllyasviel/control_v11p_sd15_openpose"
    assert (sd14.video.look_adapter.repo, sd14.video.look_adapter.weight_name) == (
        "h94/IP-Adapter", "ip-adapter-plus_sd15.safetensors")
    # A repository of None means built in code, which only the presets that may run on random weights do.
    for name in (*PRESETS, tiny.baseline):
        preset = get_preset(name)
        video = preset.video
        repos = (video.wan_vace, video.animatediff_base, video.motion_adapter, video.pose_controlnet,
                 video.look_adapter.repo)
        assert all(repo is None for repo in repos) if preset.random_weights else all(repos), name


def test_unknown_preset_is_one_sentence():
    with pytest.raises(StylistError, match=r"^unknown preset 'sd3': choose one of tiny, tiny-sd, tiny-klein, sd14, sdxl, klein$"):
        get_preset("sd3")


def test_presets_do_not_import_torch():
    # The web process reads presets and must not pay for (or depend on) torch.
    code = "import sys, stylist.presets; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_devices(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    assert default_dtype(torch.device("cpu")) == torch.float32
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(StylistError, match="no CUDA GPU"):
        resolve_device("cuda")
    with pytest.raises(StylistError, match="unknown device 'tpu'"):
        resolve_device("tpu")


@pytest.mark.parametrize(("bf16", "dtype"), [(True, torch.bfloat16), (False, torch.float16)])
def test_gpu_dtype(monkeypatch, bf16, dtype):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: bf16)
    assert default_dtype(torch.device("cuda")) == dtype
