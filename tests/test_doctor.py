"""`stylist doctor` on a machine without weights: every model of a real preset named, with its fetch command."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from stylist.cli import main_group
from stylist.doctor import check_models
from stylist.models.presets import get_preset
from tests.models.conftest import offline  # noqa: F401  (no weights, no network)


def doctor(tmp_path, *args):
    return CliRunner().invoke(main_group, ["--data-dir", str(tmp_path / "data"), "--device", "cpu", "doctor", *args])


@pytest.mark.parametrize(("preset", "repos"), [
    ("sdxl", {"stabilityai/stable-diffusion-xl-base-1.0", "h94/IP-Adapter", "latent-consistency/lcm-lora-sdxl",
              "laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "Wan-AI/Wan2.1-VACE-1.3B-diffusers"}),
    ("klein", {"black-forest-labs/FLUX.2-klein-4B", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
               "Wan-AI/Wan2.1-VACE-1.3B-diffusers"}),
    ("sd14", {"CompVis/stable-diffusion-v1-4", "h94/IP-Adapter", "latent-consistency/lcm-lora-sdv1-5",
              "laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "stable-diffusion-v1-5/stable-diffusion-v1-5",
              "guoyww/animatediff-motion-adapter-v1-5-2", "lllyasviel/control_v11p_sd15_openpose"}),
])
def test_every_missing_model_is_named_with_its_size_licence_and_fetch_command(offline, tmp_path, preset, repos):
    result = doctor(tmp_path, "--preset", preset, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["preset"] == preset and report["ok"] is False and report["device"]["type"] == "cpu"
    assert report["device"]["memory_bytes"] > 0 and report["disk"]["free_bytes"] > 0
    assert {model["name"] for model in report["models"]} == repos
    for model in report["models"]:
        assert set(model) == {"name", "role", "present", "size_bytes", "licence", "fetch", "required", "missing"}
        assert model["present"] is False and model["size_bytes"] > 10**8 and model["licence"]
        assert model["fetch"].startswith(f"stylist --preset {preset} models fetch")
        assert model["missing"] == model["required"] and model["required"]
    if preset == "klein":
        klein = next(model for model in report["models"] if model["name"] == "black-forest-labs/FLUX.2-klein-4B")
        assert "tokenizer/chat_template.jinja" in klein["required"]


def test_a_model_copied_into_the_models_dir_is_present(offline, tmp_path):
    klein = get_preset("klein")
    missing = {check.name: check for check in check_models(klein)}["black-forest-labs/FLUX.2-klein-4B"]
    folder = offline / "black-forest-labs" / "FLUX.2-klein-4B"
    # The files the loader reads, the text encoder in shards beside their index, as large models ship.
    for name in ("model_index.json", "transformer/config.json", "transformer/diffusion_pytorch_model.safetensors",
                 "vae/config.json", "vae/diffusion_pytorch_model.safetensors", "text_encoder/config.json",
                 "text_encoder/model-00001-of-00002.safetensors", "text_encoder/model-00002-of-00002.safetensors",
                 "tokenizer/tokenizer.json", "tokenizer/tokenizer_config.json", "tokenizer/chat_template.jinja",
                 "scheduler/scheduler_config.json"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"")
    shards = {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    (folder / "text_encoder" / "model.safetensors.index.json").write_text(json.dumps(shards))
    found = {check.name: check for check in check_models(klein)}["black-forest-labs/FLUX.2-klein-4B"]
    assert not missing.present and found.present and found.fetch is None and not found.missing
    assert "text_encoder/model-00002-of-00002.safetensors" in found.required

    def gaps() -> list[str]:
        return {check.name: check for check in check_models(klein)}["black-forest-labs/FLUX.2-klein-4B"].missing

    (folder / "tokenizer" / "chat_template.jinja").unlink()  # the template klein formats every prompt with
    assert gaps() == ["tokenizer/chat_template.jinja"]
    (folder / "tokenizer" / "chat_template.jinja").write_text("")
    (folder / "text_encoder" / "model-00002-of-00002.safetensors").unlink()  # a shard the index names
    assert gaps() == ["text_encoder/model-00002-of-00002.safetensors"]


def test_a_tiny_preset_needs_nothing_and_says_so(tmp_path):
    result = doctor(tmp_path, "--preset", "tiny-klein")
    assert result.exit_code == 0, result.output
    assert "built in code" in result.output and "MISSING" not in result.output


def test_the_doctor_names_its_memory_plan_here_and_on_a_24_and_an_80_gb_card(offline, tmp_path):
    result = doctor(tmp_path, "--preset", "klein", "--json")
    plans = json.loads(result.output)["memory_plan"]

    assert set(plans) == {"this device", "24 GB card", "80 GB card"}
    assert plans["this device"]["placement"] == "whole" and plans["this device"]["memory_bytes"] is None  # the CPU
    assert plans["24 GB card"]["placement"] == "text encoder offload" and plans["24 GB card"]["fits"]
    assert plans["80 GB card"]["placement"] == "whole" and plans["80 GB card"]["batch"] >= 2
    assert all(plan["estimate"] for plan in plans.values())
    text = doctor(tmp_path, "--preset", "klein").output
    assert "memory plan, 24 GB card: text encoder offload" in text
