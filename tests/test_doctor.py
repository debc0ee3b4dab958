"""`stylist doctor` on a machine without weights: every model of a real preset named, with its fetch command."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from stylist.cli import main_group
from stylist.doctor import check_models
from stylist.errors import StylistError
from stylist.people.users import add_user
from stylist.presets import get_preset
from stylist.settings import Settings


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


def test_the_doctor_says_a_real_preset_needs_a_gpu_and_what_runs_here_instead(offline, tmp_path):
    report = json.loads(doctor(tmp_path, "--preset", "klein", "--json").output)
    assert report["device"]["runs_preset"] is False and "klein needs a CUDA GPU" in report["device"]["note"]
    assert "--preset tiny-klein" in report["device"]["note"]
    assert "this device: klein needs a CUDA GPU" in doctor(tmp_path, "--preset", "klein").output
    tiny = json.loads(doctor(tmp_path, "--preset", "tiny-klein", "--json").output)
    assert tiny["device"]["runs_preset"] is True and tiny["device"]["note"] is None


def refusal(tmp_path, *args) -> str:
    """The one sentence the CLI refuses `args` with (main() prints it as `error: ...`)."""
    result = CliRunner().invoke(main_group, ["--data-dir", str(tmp_path / "data"), "--device", "cpu", *map(str, args)])
    assert isinstance(result.exception, StylistError), (result.output, result.exception)
    return str(result.exception)


@pytest.mark.parametrize(("command", "doing"), [
    (("demo", "--out", "OUT"), "the demo"),
    (("worker",), "a worker"),
    (("serve", "--port", "TAKEN"), "serving with a worker"),
])
def test_every_missing_model_is_named_at_once_before_any_work_starts(offline, tmp_path, command, doing):
    with socket.socket() as taken:  # were the check gone, serve would stop at the port instead of serving on
        taken.bind(("127.0.0.1", 0))
        command = [{"OUT": str(tmp_path / "out"), "TAKEN": str(taken.getsockname()[1])}.get(arg, arg)
                   for arg in command]
        line = refusal(tmp_path, "--preset", "klein", *command)
    assert line.startswith(f"{doing} on the klein preset cannot start: 3 models are not on this machine: "
                           "black-forest-labs/FLUX.2-klein-4B (image model, about 16.0 GB); ")
    assert "laion/CLIP-ViT-B-32-laion2B-s34B-b79K" in line and "Wan-AI/Wan2.1-VACE-1.3B-diffusers" in line
    assert line.endswith("`stylist --preset klein doctor` lists their files and `stylist --preset klein models "
                         "fetch` gets them where there is network access")
    assert not (tmp_path / "out").exists()  # the demo did not start its crawl


def test_a_look_names_the_models_it_reads_and_a_partial_copys_missing_file(offline, tmp_path, photos):
    # A stored person, so that what is refused is the models.
    user = add_user(Settings(data_dir=tmp_path / "data", preset="klein", device="cpu"), "Ada", photos, crop_size=64).id
    folder = offline / "black-forest-labs" / "FLUX.2-klein-4B"
    (folder / "model_index.json").parent.mkdir(parents=True)
    (folder / "model_index.json").write_text("{}")
    line = refusal(tmp_path, "--preset", "klein", "style", user, "a dress")
    assert line.startswith("a look on the klein preset cannot start: 2 models are")
    assert f"black-forest-labs/FLUX.2-klein-4B (image model: the copy in {folder} lacks " in line
    assert "laion/CLIP-ViT-B-32-laion2B-s34B-b79K (fashion CLIP backbone, about 0.6 GB)" in line
    assert "Wan-AI" not in line  # a look spins nothing


def test_the_clip_commands_refuse_before_trying_the_network(offline, tmp_path):
    for command in (("search", "a red coat"), ("index",), ("eval",), ("train",)):
        line = refusal(tmp_path, "--preset", "klein", "clip", *command)
        assert line.startswith("the fashion CLIP on the klein preset cannot start: a model is not on this machine: "
                               "laion/CLIP-ViT-B-32-laion2B-s34B-b79K (fashion CLIP backbone, about 0.6 GB)"), command
