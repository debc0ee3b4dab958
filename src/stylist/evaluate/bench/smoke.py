"""The real-weights smoke stage of `stylist bench gpu`: every path a user runs, once, on the real weights.

The other stages measure the full-size architectures with random weights; this one loads the weights that are
on this machine through the loaders the CLI and the worker use (models/loading.py, the IP-Adapters of
models/face_adapter.py, the LCM-LoRA of looks/adapter_drawing.py, the fashion CLIP, video/backends.py), so that the
first GPU session also finds a file that does not load, a key that does not match or a dtype that overflows.
For each image preset (sdxl, klein, sd14):
- `load`: the looks models (the image pipeline with its face and product adapters; klein's editing pipeline);
- `look`: one option, one candidate, at the preset's steps, conditioned on a product board (klein: on the
  person's photo and two product photos);
- `fast_look`: the same with `--fast`, which loads the real LCM-LoRA (klein has none: its look is 4 steps);
- `clip_guided`: one image with `--clip-guidance`, the base fashion CLIP steering it (not on klein);
- `train`: `stylist user train` for TRAIN_STEPS steps with the preset's recipe and one class image drawn
  first (klein needs no training);
and for each video backend (Wan VACE, which sdxl and klein spin with; AnimateDiff, sd14's): `load` and one
`spin` of SPIN_SECONDS at SPIN_FPS in SPIN_STEPS denoising steps. Each records its seconds and the peak GPU
memory over it, weights included. Models are dropped between presets, so each preset's peaks are its own.

What is missing is recorded, not failed: `{"skipped": "<repository> is missing: <the command that fetches
it>"}`, the same sentence `stylist doctor` gives. A step that fails is recorded with its error and the others
still run; the stage lists them in "errors", and `stylist bench gpu` exits non-zero. With every model present
it should take under 10 minutes on one H100 (an estimate: no GPU has run it yet): few steps, one image each,
most of the time reading about 60 GB of weights.

The CPU test runs the same code on tiny checkpoints saved in the real repositories' layouts; `resolution`
(the photos' crops, the looks' portrait frame, klein's references, training) and `spin_size` bring the
sizes down to the tiny checkpoints'.
"""

from __future__ import annotations

import gc
import math
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from stylist.catalog.products import StoredProduct
from stylist.demo.job import PHOTOS
from stylist.evaluate.bench.looks import make_products
from stylist.evaluate.bench.measure import machine, peak_gib, reset_peak, save, synchronize
from stylist.evaluate.bench.video import LOOK, spin
from stylist.grounding.fashion_clip import FashionClip
from stylist.identity.dreambooth import train_identity
from stylist.identity.dreambooth_config import DreamBoothConfig, default_config
from stylist.imaging import load_image
from stylist.looks import adapter_drawing as gen
from stylist.looks import reference_editing as ref
from stylist.looks.guidance import ClipGuidance, FashionClipPixels
from stylist.looks.recipe import SIZE_MULTIPLE, Recipe
from stylist.models.device import resolve_device
from stylist.models.locate import local_folder
from stylist.models.residency import RESIDENCY
from stylist.models.weights import (
    Weights,
    clip_weights,
    fast_lora_weights,
    image_model_weights,
    preset_adapter_weights,
    video_weights,
)
from stylist.people.users import User, add_user
from stylist.presets import Preset, get_preset
from stylist.settings import Settings
from stylist.video.backends import load_backend

IMAGE_PRESETS = ("sdxl", "klein", "sd14")
# Each video backend, and the preset whose spins use it.
SPINS = (("wan-vace", "sdxl"), ("animatediff", "sd14"))
TRAIN_STEPS = 20
SPIN_SECONDS, SPIN_FPS, SPIN_STEPS = 1.0, 8, 4
CLIP_GUIDANCE = 0.5  # the scale the tests guide with; seconds and memory do not depend on it
SCENE = "a Harry Potter themed Halloween party"


def missing(needs: Iterable[Weights | None]) -> dict[str, str] | None:
    """`{"skipped": ...}` naming each needed model that is not on this machine and its fetch command; None when
    every one is here (checked on disk only, as `stylist doctor` checks)."""
    absent = [weights for weights in needs if weights is not None and local_folder(weights) is None]
    if not absent:
        return None
    return {"skipped": "; ".join(f"{weights.repo} is missing: {weights.command}" for weights in absent)}


class Steps:
    """Runs and records the stage's steps: seconds and peak memory of each, or its error; errors listed."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.errors: dict[str, str] = {}

    def run(self, name: str, call: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
        print(f"smoke: {name} ...", file=sys.stderr)
        reset_peak(self.device)
        synchronize(self.device)
        start = time.perf_counter()
        try:
            found = call() or {}
        except Exception as error:  # noqa: BLE001 — recorded; the next step still runs
            traceback.print_exc(file=sys.stderr)
            self.errors[name] = "".join(traceback.format_exception_only(error)).strip()
            return {"error": self.errors[name]}
        synchronize(self.device)
        return {"seconds": round(time.perf_counter() - start, 3), "peak_gib": peak_gib(self.device)} | found


def release(device: torch.device) -> None:
    """Drop every model held, so that the next preset's peaks are its own."""
    RESIDENCY.clear()
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def image_preset(name: str, device: torch.device, folder: Path, steps: Steps, resolution: int | None,
                 look_steps: int | None, train_steps: int) -> dict[str, Any]:
    """The load, look, fast look, CLIP-guided image and training steps of one image preset."""
    preset = get_preset(name)
    skipped = missing([image_model_weights(preset), preset_adapter_weights(preset)])
    if skipped:
        return skipped
    if resolution is not None:  # the CPU's sizes, at the tiny checkpoints' scale: crops, frame and references
        preset = replace(preset, resolution=resolution, reference_pixels=resolution * resolution,
                         look_size=(resolution, resolution * 3 // 2 // SIZE_MULTIPLE * SIZE_MULTIPLE))
    settings = Settings(data_dir=folder / name, preset=name, device=str(device))
    made: dict[str, Any] = {}

    def setup() -> None:  # the demo's person and two products; a failure here is one step's, not the stage's
        made["user"] = add_user(settings, "Smoke", sorted(PHOTOS.glob("*.jpg")), crop_size=preset.resolution)
        made["products"] = make_products(folder)[:2]

    results: dict[str, Any] = {"setup": steps.run(f"{name}.setup", setup)}
    if "error" in results["setup"]:
        return results
    user, products = made["user"], made["products"]
    if preset.edits_references:
        _references(preset, device, user, products, steps, look_steps, f"{name}.", results)
        results["fast_look"] = {"skipped": f"{name} has no fast mode: its look is already {preset.steps} steps"}
        results["clip_guided"] = {"skipped": f"{name} takes no CLIP guidance: it draws from the products' photos"}
        results["train"] = {"skipped": f"{name} needs no training"}
    else:
        _looks(preset, device, settings, user, products, steps, look_steps, f"{name}.", results)
        release(device)
        config = default_config(preset).with_overrides(
            steps=train_steps, num_class_images=1, class_inference_steps=look_steps or 4, checkpoint_every=0,
            validation_every=0)
        results["train"] = steps.run(f"{name}.train", lambda: _train(settings, user, config))
    return results


def _looks(preset: Preset, device: torch.device, settings: Settings, user: User, products: list[StoredProduct],
           steps: Steps, look_steps: int | None, prefix: str, results: dict[str, Any]) -> None:
    """The SDXL-path looks (sdxl, sd14): plain, fast and CLIP-guided, one option of one candidate each."""
    loaded: dict[str, Any] = {}

    def load() -> None:
        loaded["models"] = gen.look_models(preset, str(device))
        loaded["identity"] = gen.use_identity(loaded["models"], user)

    results["load"] = steps.run(f"{prefix}load", load)
    if "error" in results["load"]:
        return
    models, identity = loaded["models"], loaded["identity"]
    outfit = [gen.OutfitPrompt(f"a photo of {identity.subject}, {SCENE}, wearing "
                               + ", ".join(product.title for product in products), tuple(products))]

    def draw(recipe: Recipe, guidance: ClipGuidance | None = None) -> dict[str, Any]:
        counted: list[int] = []  # one image: the total of denoising steps is the sampler's steps
        found = gen.generate(models, identity, outfit, [[0]], recipe, guidance=guidance,
                             on_step=lambda done, total: counted.append(total))
        image = found[0][0].image
        return {"steps": counted[-1], "width": image.width, "height": image.height}

    results["look"] = steps.run(f"{prefix}look", lambda: draw(Recipe(steps=look_steps, candidates=1)))
    fast = missing([fast_lora_weights(preset)])
    results["fast_look"] = fast or steps.run(f"{prefix}fast_look", lambda: draw(Recipe(fast=True, steps=look_steps)))
    clip = missing([clip_weights(preset)])
    if clip:
        results["clip_guided"] = clip
        return

    def guided() -> dict[str, Any]:
        scorer = FashionClipPixels(FashionClip.load(settings, which="base"))
        recipe = Recipe(steps=look_steps, candidates=1, clip_guidance=CLIP_GUIDANCE)
        return draw(recipe, ClipGuidance(scorer, recipe.clip_guidance)) | {"scale": CLIP_GUIDANCE}

    results["clip_guided"] = steps.run(f"{prefix}clip_guided", guided)


def _references(preset: Preset, device: torch.device, user: User, products: list[StoredProduct], steps: Steps,
                look_steps: int | None, prefix: str, results: dict[str, Any]) -> None:
    """klein's look: the person's photo and two products' photos as references, one candidate."""
    loaded: dict[str, Any] = {}

    def load() -> None:
        models = ref.reference_models(get_preset(preset.name), str(device))
        loaded["models"] = replace(models, preset=preset)  # drawn at `preset`'s sizes, placed as loaded

    results["load"] = steps.run(f"{prefix}load", load)
    if "error" in results["load"]:
        return

    def look() -> dict[str, Any]:
        notes: list[str] = []
        request = ref.edit_request(ref.person_photo(user), SCENE, products, preset, notes)
        found = ref.draw(loaded["models"], [request], [[0]], Recipe(steps=look_steps, candidates=1))
        image = found[0][0].image
        return {"steps": look_steps or preset.steps, "references": len(request.references), "width": image.width,
                "height": image.height}

    results["look"] = steps.run(f"{prefix}look", look)


def _train(settings: Settings, user: User, config: DreamBoothConfig) -> dict[str, Any]:
    rates: list[float] = []

    def progress(update) -> None:
        if update.stage == "training" and update.rate:
            rates.append(update.rate)

    result = train_identity(settings, user.id, config, on_progress=progress)
    return {"steps": result.steps, "unet": config.unet, "resolution": config.resolution,
            "seconds_per_step": round(1 / rates[-1], 4) if rates else None,
            "final_loss": round(result.final_loss, 5), "finite_loss": all(map(math.isfinite, result.losses))}


def video_backend(name: str, preset_name: str, device: torch.device, folder: Path, steps: Steps,
                  spin_steps: int, seconds: float, fps: int, spin_size: tuple[int, int] | None) -> dict[str, Any]:
    """Load one video backend from its real weights and make one spin of the demo's first photo."""
    preset = get_preset(preset_name)
    skipped = missing(video_weights(preset, name).values())
    if skipped:
        return skipped
    loaded: dict[str, Any] = {}

    def load() -> None:
        loaded["backend"] = load_backend(preset, str(device), name, cached=False)

    results: dict[str, Any] = {"load": steps.run(f"{name}.load", load)}
    if "backend" in loaded:
        backend = loaded.pop("backend")
        backend.recipe = replace(backend.recipe, steps=spin_steps, size=spin_size or backend.recipe.size)
        look = load_image(resources.files("stylist").joinpath(LOOK).read_bytes())

        def one_spin() -> dict[str, Any]:
            model_steps = spin(backend, look, seconds, fps, folder)
            width, height = backend.recipe.size
            return {"seconds_of_video": seconds, "fps": fps, "frames": round(seconds * fps), "width": width,
                    "height": height, "steps": spin_steps, "model_steps": model_steps}

        results["spin"] = steps.run(f"{name}.spin", one_spin)
    return results


def run(*, device: str = "auto", presets: tuple[str, ...] = IMAGE_PRESETS,
        backends: tuple[str, ...] = tuple(name for name, _ in SPINS), look_steps: int | None = None,
        train_steps: int = TRAIN_STEPS, spin_steps: int = SPIN_STEPS, spin_seconds: float = SPIN_SECONDS,
        spin_fps: int = SPIN_FPS, resolution: int | None = None, spin_size: tuple[int, int] | None = None,
        out: Path | None = None) -> dict[str, Any]:
    """Smoke-test each of `presets` and `backends` whose weights are here (`look_steps`: each preset's own unless
    given); write to `out` if given."""
    torch_device = resolve_device(device)
    settings = {"device": device, "presets": list(presets), "backends": list(backends), "look_steps": look_steps,
                "train_steps": train_steps, "spin_steps": spin_steps, "spin_seconds": spin_seconds,
                "spin_fps": spin_fps, "resolution": resolution, "spin_size": list(spin_size) if spin_size else None}
    steps = Steps(torch_device)
    results: dict[str, Any] = {"benchmark": "smoke", "machine": machine(torch_device, {}), "settings": settings,
                               "presets": {}, "spins": {}}
    with tempfile.TemporaryDirectory() as folder:
        release(torch_device)
        for name in presets:
            results["presets"][name] = image_preset(name, torch_device, Path(folder), steps, resolution, look_steps,
                                                    train_steps)
            release(torch_device)
        for name, preset in SPINS:
            if name in backends:
                results["spins"][name] = video_backend(name, preset, torch_device, Path(folder), steps, spin_steps,
                                                       spin_seconds, spin_fps, spin_size)
                release(torch_device)
    results["errors"] = steps.errors
    return save(results, out)
