"""The one loader of image models: tiny is built in code, real presets are read from local weights.

Which files of which repository, and where on this machine they are found, is models/weights.py's. Without
them the load fails with one sentence saying how to provide them: a real preset never falls back to another
preset or to random weights, and every expected weight must be found in the checkpoint.
"""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import (
    AutoencoderKL,
    AutoencoderKLFlux2,
    DiffusionPipeline,
    EulerDiscreteScheduler,
    FlowMatchEulerDiscreteScheduler,
    Flux2KleinPipeline,
    Flux2Transformer2DModel,
    ModelMixin,
    PNDMScheduler,
    StableDiffusionPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from transformers import (
    CLIPTextModel,
    CLIPTextModelWithProjection,
    CLIPTokenizer,
    PreTrainedModel,
    Qwen2TokenizerFast,
    Qwen3ForCausalLM,
)

from stylist.errors import StylistError
from stylist.models.device import default_dtype, resolve_device
from stylist.models.locate import local_folder, model_folder, weight_bytes
from stylist.models.presets import Preset
from stylist.models.residency import RESIDENCY
from stylist.models.tiny import tiny_klein_pipeline, tiny_pipeline
from stylist.models.weights import Weights, image_model_weights

# Each family's pipeline class and the components it is assembled from, by subfolder of the hub repository.
# The SD 1.x safety checker is left out: the baseline runs like SDXL, which has none.
FAMILIES: dict[str, tuple[type[DiffusionPipeline], dict[str, type]]] = {
    "sdxl": (StableDiffusionXLPipeline, {
        "unet": UNet2DConditionModel, "vae": AutoencoderKL, "text_encoder": CLIPTextModel,
        "text_encoder_2": CLIPTextModelWithProjection, "tokenizer": CLIPTokenizer, "tokenizer_2": CLIPTokenizer,
        "scheduler": EulerDiscreteScheduler,
    }),
    "sd": (StableDiffusionPipeline, {
        "unet": UNet2DConditionModel, "vae": AutoencoderKL, "text_encoder": CLIPTextModel,
        "tokenizer": CLIPTokenizer, "scheduler": PNDMScheduler,
    }),
    "klein": (Flux2KleinPipeline, {
        "transformer": Flux2Transformer2DModel, "vae": AutoencoderKLFlux2, "text_encoder": Qwen3ForCausalLM,
        "tokenizer": Qwen2TokenizerFast, "scheduler": FlowMatchEulerDiscreteScheduler,
    }),
}
_EXTRA_ARGUMENTS = {
    "sdxl": {},
    "sd": {"safety_checker": None, "feature_extractor": None, "requires_safety_checker": False},
    # The 4B klein is step-distilled: one transformer call a step, no classifier-free guidance.
    "klein": {"is_distilled": True},
}
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
    if preset.family == "klein" and dtype == torch.float16:
        # default_dtype falls back to float16 on GPUs without bfloat16 (before Ampere); klein would draw NaNs.
        raise StylistError(f"{preset.name} runs in bfloat16 or float32, not float16, in which FLUX.2's transformer "
                           "and its Qwen3 text encoder overflow: use a GPU with bfloat16 (Ampere or newer), or "
                           "--preset sdxl on this one")
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
        pipeline = tiny_klein_pipeline() if preset.family == "klein" else tiny_pipeline(preset.family)
        if dtype != torch.float32:  # built in float32; a cast to it anyway only makes diffusers log warnings
            pipeline.to(dtype=dtype)
    else:
        pipeline_class, parts = FAMILIES[preset.family]
        weights = image_model_weights(preset)
        folder = model_folder(weights, preset)
        components = {name: load_component(part, folder, name, weights, dtype) for name, part in parts.items()}
        pipeline = pipeline_class(**components, **_EXTRA_ARGUMENTS[preset.family])
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
