"""The one loader of image models: tiny is built in code, real presets are read from local weights.

Which files of which repository, and where on this machine they are found, is models/weights.py's. Without
them the load fails with one sentence saying how to provide them: a real preset never falls back to another
preset or to random weights, and every expected weight must be found in the checkpoint.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import torch
from diffusers import DiffusionPipeline, ModelMixin
from transformers import PreTrainedModel

from stylist.errors import StylistError
from stylist.models.device import default_dtype, resolve_device
from stylist.models.locate import local_folder, model_folder, weight_bytes
from stylist.models.residency import RESIDENCY
from stylist.models.tiny import tiny_pipeline
from stylist.models.weights import Weights, image_model_weights
from stylist.presets import Family, Preset


def family_classes(family: Family) -> tuple[type[DiffusionPipeline], dict[str, type]]:
    """The family's pipeline class and its components' classes by subfolder, imported from the libraries the
    family table names them in (diffusers' own model_index.json way)."""
    pipeline = getattr(importlib.import_module("diffusers"), family.pipeline)
    parts = {name: getattr(importlib.import_module(library), class_name)
             for name, (library, class_name) in family.components.items()}
    return pipeline, parts


def load_image_pipeline(
    preset: Preset,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    *,
    cached: bool = True,
    model_offload: bool = False,
) -> DiffusionPipeline:
    """The preset's text-to-image pipeline on `device` in `dtype` (both default to what suits the machine).

    The run resolves its preset once (`get_preset(settings.preset)`) and hands it down. A cached pipeline
    is shared with every other caller in the process: pass `cached=False` for a private copy that may be
    changed, such as the one a trainer adds LoRA layers to. `model_offload` (private copies on a GPU) keeps
    the models in the CPU's memory and brings each to the device only while it runs (the memory plan's
    "model offload").
    """
    device = resolve_device(device or "auto")
    dtype = dtype or default_dtype(device)
    if dtype == torch.float16 and preset.family.float16_overflows:
        # default_dtype falls back to float16 on GPUs without bfloat16 (before Ampere); klein would draw NaNs.
        raise StylistError(f"{preset.name} runs in bfloat16 or float32, not float16, in which "
                           f"{preset.family.float16_overflows} overflow: use a GPU with bfloat16 (Ampere or newer), "
                           "or --preset sdxl on this one")
    if not cached:
        return _build(preset, device, dtype, model_offload)
    # One process loads each (preset, device, dtype) once, held by the residency manager between jobs.
    return RESIDENCY.load(("image pipeline", preset.name, str(device), dtype), lambda: _build(preset, device, dtype),
                          device=str(device), expected_bytes=lambda: expected_bytes(preset, dtype))


def expected_bytes(preset: Preset, dtype: torch.dtype) -> int | None:
    """What the preset's image model will take on the device, from its files' headers, so that the residency
    manager makes room before building it; None when built in code or not on this machine yet."""
    weights = image_model_weights(preset)
    folder = local_folder(weights) if weights is not None else None
    return weight_bytes(weights, folder, dtype.itemsize) if folder is not None else None


def _build(preset: Preset, device: torch.device, dtype: torch.dtype, model_offload: bool = False) -> DiffusionPipeline:
    if preset.random_weights:
        pipeline = tiny_pipeline(preset.family)
        if dtype != torch.float32:  # built in float32; a cast to it anyway only makes diffusers log warnings
            pipeline.to(dtype=dtype)
    else:
        pipeline_class, parts = family_classes(preset.family)
        weights = image_model_weights(preset)
        folder = model_folder(weights, preset)
        components = {name: load_component(part, folder, name, weights, dtype) for name, part in parts.items()}
        pipeline = pipeline_class(**components, **preset.family.extra_arguments)
    if model_offload and device.type == "cuda":
        pipeline.enable_model_cpu_offload(device=device)
    else:
        pipeline.to(device)
    # Progress reaches users through callback_on_step_end, not through a bar the pipeline draws itself.
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def load_component(part: type, folder: Path, subfolder: str, weights: Weights, dtype: torch.dtype) -> object:
    """One model, tokenizer or scheduler from `folder/subfolder`, models in `dtype` and checked to be complete."""
    try:
        if issubclass(part, (ModelMixin, PreTrainedModel)):
            return _load_checked(part, folder, subfolder, weights, dtype)
        return part.from_pretrained(folder, subfolder=subfolder)
    except OSError as error:
        raise StylistError(f"the copy of {weights.repo} in {folder} has no loadable {subfolder}: "
                           f"{weights.how_to_get()}") from error


def _load_checked(model_class: type, folder: Path, subfolder: str, weights: Weights,
                  dtype: torch.dtype) -> torch.nn.Module:
    """Load a diffusers or transformers model and fail unless the checkpoint held every weight it expects.

    Both libraries only log missing weights and initialise them at random, which would quietly ship a
    broken model. Unexpected extra weights are allowed: older checkpoints carry buffers (CLIP's
    position_ids) that current classes compute instead.
    """
    precision = {"torch_dtype": dtype} if issubclass(model_class, ModelMixin) else {"dtype": dtype}
    model, info = model_class.from_pretrained(folder, subfolder=subfolder, output_loading_info=True, **precision)
    wrong = sorted(info["missing_keys"]) + sorted(str(key) for key in info["mismatched_keys"])
    if wrong:
        raise StylistError(
            f"the copy of {weights.repo} in {folder} is incomplete ({subfolder} lacks {len(wrong)} weights, "
            f"such as {wrong[0]}): {weights.how_to_get()}"
        )
    return model
