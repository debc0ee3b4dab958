"""A GPU owner's first run, on the CPU: `stylist models fetch` from a hub on 127.0.0.1 that serves tiny checkpoints
in each real repository's own layout (tests/helpers/real_layouts.py), then `doctor`, `user add`, `style`, `video` and
`bench gpu`'s smoke stage, each a separate process as a person runs them. Nothing points at the weights but
HF_ENDPOINT: no STYLIST_MODELS_DIR, so what the loaders read is what the fetch downloaded. After the fetch the
hub is switched off (HF_HUB_OFFLINE), so a file the weights list forgot fails the run instead of being quietly
downloaded by a loader."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import huggingface_hub.constants
import pytest
from PIL import Image

from stylist.models.locate import cached_folder
from stylist.models.weights import preset_needs
from stylist.presets import get_preset
from tests.helpers.hub_server import serve_hub


@pytest.fixture(scope="module")
def hub(real_repos):
    with serve_hub(real_repos) as endpoint:
        yield endpoint


def environment(hub: str, data_dir: Path, cache: Path) -> dict[str, str]:
    """A GPU owner's shell: the hub's address, a fresh cache and data folder, and no other way to the weights."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("STYLIST_MODEL", "HF_")) and name != "STYLIST_PRESET"}
    return env | {"HF_ENDPOINT": hub, "HF_HUB_DISABLE_XET": "1", "HF_HOME": str(cache),
                  "STYLIST_DATA_DIR": str(data_dir), "STYLIST_DEVICE": "cpu", "OMP_NUM_THREADS": "2"}


def stylist(env: dict[str, str], *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stylist", *map(str, args)], check=False, env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("preset", ["klein", "sdxl", "sd14"])
def test_fetch_doctor_style_video_and_smoke_on_each_real_layout(hub, catalog, photos, preset, tmp_path,
                                                                monkeypatch):
    env = environment(hub, catalog.settings.data_dir, tmp_path / "hf")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))  # HF_HOME's
    needs = preset_needs(get_preset(preset))

    fetched = stylist(env, "--preset", preset, "models", "fetch")
    assert fetched.returncode == 0, fetched.stderr
    sizes: dict[str, int] = {}  # sd14's IP-Adapter serves two roles (its looks' adapters, its spins'): once
    for need in needs:
        sizes[need.weights.repo] = max(sizes.get(need.weights.repo, 0), need.weights.size_bytes)
    assert fetched.stdout.strip().splitlines() == [
        (f"{preset}: {len(sizes)} models present (about {sum(sizes.values()) / 1e9:.1f} GB), every file its looks "
         "and spins read")]
    for need in needs:  # every required file came from the hub, and no decoy (fp16, .bin, single-file copies)
        weights = need.weights
        snapshot = cached_folder(weights)
        assert set(weights.required_files(snapshot)) <= hub.downloads(weights.repo), weights.repo
        for path in snapshot.rglob("*"):
            assert not path.is_file() or not path.read_bytes().startswith(b"decoy:"), path

    env["HF_HUB_OFFLINE"] = "1"
    doctor = stylist(env, "--preset", preset, "doctor", "--json")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    report = json.loads(doctor.stdout)
    assert report["ok"] and all(model["present"] and not model["missing"] for model in report["models"])
    if preset == "klein":
        klein = next(model for model in report["models"] if model["role"] == "image model")
        assert {"tokenizer/chat_template.jinja", "text_encoder/model.safetensors.index.json"} <= set(klein["required"])
        assert "text_encoder/model-00002-of-00002.safetensors" in klein["required"]

    added = stylist(env, "--preset", preset, "user", "add", "Ada", *photos, "--json")
    assert added.returncode == 0, added.stderr
    user = json.loads(added.stdout)["id"]
    # A portrait at the tiny checkpoints' scale: the real preset's frame (over a megapixel) takes hours here.
    made = stylist(env, "--preset", preset, "style", user, "a dress and a coat for a gallery opening",
                   "--options", "1", "--candidates", "1", "--seed", "3", "--size", "64x96", "--json")
    assert made.returncode == 0, made.stderr
    look = json.loads(made.stdout)
    option = look["options"][0]
    assert option["products"] and Image.open(option["image"]).size == (64, 96)
    if get_preset(preset).edits_references:
        assert option["references"]

    # sd14 spins with AnimateDiff, whose real recipe (512×768, 25 steps, 16-frame windows) takes over ten minutes
    # on the tiny checkpoint on this CPU: its CLI spin here is Wan VACE's, fetched with --video, and AnimateDiff
    # loads from its fetched files and spins in the smoke stage below, at the stage's CPU sizes.
    backend = "wan-vace"
    if get_preset(preset).video.backend != backend:
        env.pop("HF_HUB_OFFLINE")
        assert stylist(env, "--preset", preset, "models", "fetch", "--video", backend).returncode == 0
        env["HF_HUB_OFFLINE"] = "1"
    spin = stylist(env, "--preset", preset, "video", option["image"], "--out", tmp_path / "spin.mp4",
                   "--seconds", "1", "--fps", "4", "--backend", backend, "--json")
    assert spin.returncode == 0, spin.stderr
    assert json.loads(spin.stdout)["frames"] == 4 and (tmp_path / "spin.gif").is_file()

    # The smoke stage at its CPU sizes: this preset and its video backend run, the others are skipped.
    smoke = stylist(env, "--preset", "tiny", "bench", "gpu", "--only", "smoke", "--out", tmp_path / "gpu.json")
    assert smoke.returncode == 0, smoke.stderr
    stage = json.loads((tmp_path / "gpu.json").read_text())["results"]["smoke"]
    assert not stage["errors"]
    steps = stage["presets"][preset]
    if preset == "klein":
        assert steps["look"]["seconds"] > 0 and steps["look"]["references"] == 3
        assert "no training" in steps["train"]["skipped"]
    else:
        assert set(steps) == {"setup", "load", "look", "fast_look", "clip_guided", "train"}, steps
        for step in steps.values():
            assert step["seconds"] > 0 and "peak_gib" in step, step
        assert steps["train"]["steps"] == 2 and steps["train"]["finite_loss"]  # the CPU's 2 steps; a GPU's 20
    for backend in {get_preset(preset).video.backend, "wan-vace"}:
        assert stage["spins"][backend]["spin"]["seconds"] > 0 and stage["spins"][backend]["spin"]["frames"] > 0
    others = set(stage["presets"]) - {preset}
    assert all(set(stage["presets"][other]) == {"skipped"} for other in others)


def test_without_the_chat_template_klein_is_incomplete_and_its_look_says_so(hub, catalog, photos, tmp_path):
    """What the first real look met: the template left out of the fetch. doctor names it, and the look refuses
    in one line naming it, where it used to load and then fail on its first prompt inside transformers."""
    env = environment(hub, catalog.settings.data_dir, tmp_path / "hf")
    assert stylist(env, "--preset", "klein", "models", "fetch").returncode == 0
    # The earlier list fetched "*/*.json" and "*/*.txt" of the tokenizer: the cache as it left a GPU owner's.
    [template] = (tmp_path / "hf" / "hub").glob("models--black-forest-labs--FLUX.2-klein-4B/snapshots/*/tokenizer/"
                                                  "chat_template.jinja")
    template.unlink()
    env["HF_HUB_OFFLINE"] = "1"
    doctor = stylist(env, "--preset", "klein", "doctor", "--json")
    model = next(model for model in json.loads(doctor.stdout)["models"] if model["role"] == "image model")
    assert doctor.returncode == 1 and model["missing"] == ["tokenizer/chat_template.jinja"]
    assert model["fetch"] == "stylist --preset klein models fetch"

    user = json.loads(stylist(env, "--preset", "klein", "user", "add", "Ada", *photos, "--json").stdout)["id"]
    made = stylist(env, "--preset", "klein", "style", user, "a dress", "--options", "1", "--candidates", "1")
    assert made.returncode == 1
    [line] = made.stderr.strip().splitlines()
    assert line.startswith("error: a look on the klein preset cannot start: a model is not on this machine: "
                           "black-forest-labs/FLUX.2-klein-4B (image model: the copy in ")
    assert line.endswith("lacks tokenizer/chat_template.jinja); `stylist --preset klein doctor` lists their files "
                         "and `stylist --preset klein models fetch` gets them where there is network access")
