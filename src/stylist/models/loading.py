"""The one loader of image models: tiny is built in code, real presets are read from local weights.

A real preset's weights come from the first of:
1. the folder in `STYLIST_MODEL_<REPO>`, the hub id in capitals with every other character as `_`
   (`STYLIST_MODEL_STABILITYAI_STABLE_DIFFUSION_XL_BASE_1_0`, `STYLIST_MODEL_H94_IP_ADAPTER`);
2. `$STYLIST_MODELS_DIR/<hub id>`, as `hf download <hub id> --local-dir ...` lays it out;
3. the Hugging Face hub cache, downloading only the files needed into it, unless `HF_HUB_OFFLINE` is set,
   in which case nothing is downloaded.
Only full-precision safetensors are fetched: the repositories also hold fp16, ONNX, OpenVINO, .bin and
single-file copies of the same weights, several times the size.
Without them the load fails with one sentence saying how to provide them: a real preset never falls back
to another preset or to random weights, and every expected weight must be found in the checkpoint.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import huggingface_hub
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
from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer, PreTrainedModel, Qwen2TokenizerFast
from transformers import Qwen3ForCausalLM

from stylist.errors import StylistError
from stylist.models.device import default_dtype, resolve_device
from stylist.models.presets import Preset
from stylist.models.residency import RESIDENCY
from stylist.models.tiny import tiny_klein_pipeline, tiny_pipeline

# Each family's pipeline class and the components it is assembled from, by subfolder of the hub repository.
# The SD 1.x safety checker is left out: the baseline runs like SDXL, which has none.
_FAMILIES: dict[str, tuple[type[DiffusionPipeline], dict[str, type]]] = {
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
# The files of a diffusers pipeline repository that these components read (glob patterns).
def pipeline_files(parts: dict[str, type], sharded: bool = False) -> tuple[str, ...]:
    """Glob patterns of the files these components read, and no more: repositories also carry fp16
    copies, a safety checker and extra VAEs that would add gigabytes to a download."""
    weights = []
    for name, part in parts.items():
        stem = "diffusion_pytorch_model" if issubclass(part, ModelMixin) else "model"
        if issubclass(part, (ModelMixin, PreTrainedModel)):
            weights.append(f"{name}/{stem}.safetensors")
            if sharded:  # large models (FLUX.2 klein's) may come in shards beside an index json
                weights.append(f"{name}/{stem}-*-of-*.safetensors")
    return ("model_index.json", "*/*.json", "*/*.txt", *weights)


@dataclass(frozen=True)
class Weights:
    """A hub repository and the files of it that stylist reads, as glob patterns."""

    repo: str
    files: tuple[str, ...]

    def fetch_command(self) -> str:
        """The command that downloads just the files needed into the Hugging Face cache."""
        include = " ".join(f"'{pattern}'" for pattern in self.files)
        return f"hf download {self.repo} --include {include}"

    def how_to_get(self) -> str:
        """The end of every missing-model sentence: a download of just the files needed, or a local copy."""
        return (f"download it with `{self.fetch_command()}` where there is network access, "
                f"or put a copy in $STYLIST_MODELS_DIR/{self.repo}")


def load_image_pipeline(
    preset: Preset,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    *,
    cached: bool = True,
) -> DiffusionPipeline:
    """The preset's text-to-image pipeline on `device` in `dtype` (both default to what suits the machine).

    The run resolves its preset once (`get_preset(settings.preset)`) and hands it down. A cached pipeline
    is shared with every other caller in the process: pass `cached=False` for a private copy that may be
    changed, such as the one a trainer adds LoRA layers to.
    """
    device = resolve_device(device or "auto")
    dtype = dtype or default_dtype(device)
    if not cached:
        return _build(preset, device, dtype)
    # One process loads each (preset, device, dtype) once, held by the residency manager between jobs.
    return RESIDENCY.load(("image pipeline", preset.name, str(device), dtype), lambda: _build(preset, device, dtype),
                          device=str(device))


def _build(preset: Preset, device: torch.device, dtype: torch.dtype) -> DiffusionPipeline:
    if preset.random_weights:
        pipeline = tiny_klein_pipeline() if preset.family == "klein" else tiny_pipeline(preset.family)
        if dtype != torch.float32:  # built in float32; a cast to it anyway only makes diffusers log warnings
            pipeline.to(dtype=dtype)
    else:
        pipeline_class, parts = _FAMILIES[preset.family]
        weights = image_model_weights(preset)
        folder = model_folder(weights, preset)
        components = {name: load_component(part, folder, name, weights, dtype) for name, part in parts.items()}
        pipeline = pipeline_class(**components, **_EXTRA_ARGUMENTS[preset.family])
    pipeline.to(device)
    # Progress reaches users through callback_on_step_end, not through a bar the pipeline draws itself.
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def image_model_weights(preset: Preset) -> Weights | None:
    """The files of the preset's image model that `load_image_pipeline` reads; None when built in code."""
    if preset.random_weights:
        return None
    _, parts = _FAMILIES[preset.family]
    return Weights(preset.image_model, pipeline_files(parts, sharded=preset.family == "klein"))


def local_folder(weights: Weights) -> Path | None:
    """Where the weights already are on this machine, with every file the loader reads, or None; never
    downloads. `stylist doctor` asks this of every model a preset loads."""
    variable = model_variable(weights.repo)
    candidates = []
    if os.environ.get(variable):
        candidates.append(Path(os.environ[variable]).expanduser())
    if os.environ.get("STYLIST_MODELS_DIR"):
        candidates.append(Path(os.environ["STYLIST_MODELS_DIR"]).expanduser() / weights.repo)
    try:
        candidates.append(Path(huggingface_hub.snapshot_download(weights.repo, allow_patterns=list(weights.files),
                                                                 local_files_only=True)))
    except (OSError, ValueError):
        pass  # not in the Hugging Face cache
    return next((folder for folder in candidates if folder.is_dir() and _complete(folder, weights.files)), None)


def _complete(folder: Path, patterns: tuple[str, ...]) -> bool:
    """Every weight file the loader reads is there: each pattern matches, where a sharded pattern
    (`model-*-of-*.safetensors`) and its single-file twin stand in for each other."""
    def found(pattern: str) -> bool:
        return any(folder.glob(pattern))

    for pattern in patterns:
        if "-*-of-*" in pattern:
            continue  # checked with its single-file twin below
        twin = pattern.replace(".safetensors", "-*-of-*.safetensors")
        if not found(pattern) and not (twin in patterns and found(twin)):
            return False
    return True


def model_folder(weights: Weights, preset: Preset) -> Path:
    """The local folder holding the weights, found or downloaded as the module docstring says."""
    variable = model_variable(weights.repo)
    if os.environ.get(variable):
        folder = Path(os.environ[variable]).expanduser()
        if not folder.is_dir():
            raise StylistError(f"{variable} points to {folder}, which is not a folder: "
                               f"point it at a copy of {weights.repo}")
        return folder
    if os.environ.get("STYLIST_MODELS_DIR"):
        folder = Path(os.environ["STYLIST_MODELS_DIR"]).expanduser() / weights.repo
        if folder.is_dir():
            return folder
    try:
        return Path(huggingface_hub.snapshot_download(weights.repo, allow_patterns=list(weights.files),
                                                      local_files_only=_offline()))
    except OSError as error:
        raise StylistError(f"the {preset.name} preset needs {weights.repo}: {weights.how_to_get()}") from error


def model_variable(repo: str) -> str:
    """The environment variable that may name a folder holding `repo`."""
    return "STYLIST_MODEL_" + re.sub(r"[^A-Z0-9]+", "_", repo.upper())


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


def _offline() -> bool:
    """HF_HUB_OFFLINE, read now: huggingface_hub reads it only once, when it is imported."""
    value = os.environ.get("HF_HUB_OFFLINE", "").strip().upper()
    return value in {"1", "ON", "YES", "TRUE"} or huggingface_hub.constants.HF_HUB_OFFLINE
