"""Every file each real preset reads, repository by repository: the one list that `stylist models fetch`
downloads, `stylist doctor` checks and the loaders open. Nothing else in stylist spells a repository's files.

A repository is fetched by glob patterns (huggingface_hub's `allow_patterns`) that take the files the loaders
read and leave the rest: the repositories also hold fp16, ONNX, OpenVINO, .bin and single-file copies of the
same weights, several times the size. It counts as complete when every required file is present, where a
weight file may come whole or in shards (`model.safetensors.index.json` and every shard its weight map names),
and a tokenizer's files are named one by one: klein's prompt goes through `apply_chat_template`, and
transformers keeps that template in `tokenizer/chat_template.jinja`, which no `*.json` pattern matches.

Where the files are on this machine, and fetching them, is models/locate.py's.

Torch-free: the doctor and the fetch command read it without loading a model library.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from stylist.errors import StylistError
from stylist.presets import FAMILIES, VIDEO_BACKENDS, Family, IPAdapterWeights, Preset

GB = 10**9


@dataclass(frozen=True)
class Weights:
    """A hub repository, the files of it stylist fetches (glob patterns) and the ones it must have to load."""

    repo: str
    fetch: tuple[str, ...]
    # Paths in the repository; a `.safetensors` path is satisfied by the file or by its index and every shard,
    # and "a|b" by either (a tokenizer read from its vocabulary files or from tokenizer.json).
    required: tuple[str, ...]
    size_bytes: int | None = None  # about how much the fetch downloads (full precision); None when unknown
    licence: str = "see the model card"
    # The command that fetches this repository with the others the run needs.
    command: str = "stylist models fetch"

    def required_files(self, folder: Path | None = None) -> list[str]:
        """Every file required, by name: a sharded weight as its index and the shards the index in `folder`
        names (as the single file while no index is there to read)."""
        names: list[str] = []
        for entry in self.required:
            choices = entry.split("|")
            path = next((choice for choice in choices if folder is not None and _found(folder, choice)), choices[0])
            shards = _shards(folder, path) if folder is not None else None
            names.extend([f"{path}.index.json", *shards] if shards is not None else [path])
        return names

    def missing(self, folder: Path) -> list[str]:
        """The required files not in `folder`; empty when it is complete."""
        return [name for name in self.required_files(folder) if not (folder / name).is_file()]

    def how_to_get(self) -> str:
        """The end of every missing-model sentence: the fetch command, or a local copy."""
        return (f"fetch it with `{self.command}` where there is network access, "
                f"or put a copy in $STYLIST_MODELS_DIR/{self.repo}")


def _found(folder: Path, path: str) -> bool:
    return (folder / path).is_file() or (folder / f"{path}.index.json").is_file()


def _shards(folder: Path, path: str) -> list[str] | None:
    """The shards a weight's index names, as repository paths; None when the weight is not sharded here."""
    if not path.endswith(".safetensors") or (folder / path).is_file():
        return None
    index = folder / f"{path}.index.json"
    if not index.is_file():
        return None
    try:
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # an unreadable index counts as none: the weight is then named as missing
    parent = path.rpartition("/")[0]
    return [f"{parent}/{shard}" if parent else shard for shard in shards] or None


# What the loaders read of each kind of folder in a repository ("" is the repository's root), as the patterns
# fetched and the paths required.
Files = tuple[tuple[str, ...], tuple[str, ...]]


def _weight(path: str) -> Files:
    """A safetensors weight, whole or in shards beside its index (large models ship that way)."""
    stem = path.removesuffix(".safetensors")
    return (path, f"{path}.index.json", f"{stem}-*-of-*.safetensors"), (path,)


def _model(folder: str, stem: str) -> Files:
    prefix = f"{folder}/" if folder else ""
    fetch, required = _weight(f"{prefix}{stem}.safetensors")
    return (f"{prefix}config.json", *fetch), (f"{prefix}config.json", *required)


def diffusers_model(folder: str = "") -> Files:
    return _model(folder, "diffusion_pytorch_model")


def transformers_model(folder: str) -> Files:
    return _model(folder, "model")


def tokenizer(folder: str, files: tuple[str, ...]) -> Files:
    """The whole tokenizer folder is fetched (a few MB); the files its class reads are required by name."""
    return (f"{folder}/*",), tuple("|".join(f"{folder}/{name}" for name in each.split("|")) for each in files)


def scheduler(folder: str = "scheduler") -> Files:
    return (f"{folder}/scheduler_config.json",), (f"{folder}/scheduler_config.json",)


# transformers' CLIPTokenizer reads the BPE vocabulary and merges (SDXL's and SD 1.x's repositories have no
# tokenizer.json), or the tokenizer.json that transformers 5's save_pretrained writes instead;
# Qwen2TokenizerFast reads tokenizer.json and the chat template klein formats every prompt with; Wan's UMT5
# tokenizer (AutoTokenizer) reads tokenizer.json, built from its sentencepiece model.
CLIP_TOKENIZER = ("vocab.json|tokenizer.json", "merges.txt|tokenizer.json", "tokenizer_config.json")
QWEN_TOKENIZER = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja")
UMT5_TOKENIZER = ("tokenizer.json", "tokenizer_config.json")

# The files each tokenizer class of the family table reads.
TOKENIZER_FILES = {"CLIPTokenizer": CLIP_TOKENIZER, "Qwen2TokenizerFast": QWEN_TOKENIZER}


def family_folders(family: Family) -> tuple[Files, ...]:
    """The folders of a family's repository that the loader assembles its pipeline from, read off the family
    table's components: a model's config and weights, a tokenizer's files, a scheduler's config."""
    folders = []
    for name, (library, class_name) in family.components.items():
        if "Tokenizer" in class_name:
            if class_name not in TOKENIZER_FILES:
                raise ValueError(f"the {family.name} family's {class_name} reads files stylist does not know: add "
                                 "them to TOKENIZER_FILES in stylist/models/weights.py")
            folders.append(tokenizer(name, TOKENIZER_FILES[class_name]))
        elif class_name.endswith("Scheduler"):
            folders.append(scheduler(name))
        else:
            folders.append(diffusers_model(name) if library == "diffusers" else transformers_model(name))
    return tuple(folders)


# The folders of each diffusers pipeline repository that its loader assembles the pipeline from: the image
# families', and the video backends' (video/backends.py assembles those).
PIPELINE_FOLDERS = {name: family_folders(family) for name, family in FAMILIES.items()} | {
    "wan-vace": (diffusers_model("transformer"), diffusers_model("vae"), transformers_model("text_encoder"),
                 tokenizer("tokenizer", UMT5_TOKENIZER), scheduler()),
    # The SD 1.5 that AnimateDiff animates: its motion pipeline brings its own scheduler.
    "animatediff": (diffusers_model("unet"), diffusers_model("vae"), transformers_model("text_encoder"),
                    tokenizer("tokenizer", CLIP_TOKENIZER)),
}

# Each repository's licence as its model card states it (presets.py says more), and about how many bytes the
# files fetched weigh, from the repositories' file listings.
MODEL_CARDS = {
    "stabilityai/stable-diffusion-xl-base-1.0": ("CreativeML Open RAIL++-M", int(13.9 * GB)),
    "CompVis/stable-diffusion-v1-4": ("CreativeML OpenRAIL-M", int(4.3 * GB)),
    "black-forest-labs/FLUX.2-klein-4B": ("Apache-2.0", 16 * GB),
    "latent-consistency/lcm-lora-sdxl": ("OpenRAIL++-M", int(0.39 * GB)),
    "latent-consistency/lcm-lora-sdv1-5": ("OpenRAIL++-M", int(0.13 * GB)),
    "laion/CLIP-ViT-B-32-laion2B-s34B-b79K": ("MIT", int(0.61 * GB)),
    "Wan-AI/Wan2.1-VACE-1.3B-diffusers": ("Apache-2.0", 15 * GB),
    "stable-diffusion-v1-5/stable-diffusion-v1-5": ("CreativeML OpenRAIL-M", int(4.3 * GB)),
    "guoyww/animatediff-motion-adapter-v1-5-2": ("Apache-2.0", int(1.8 * GB)),
    "lllyasviel/control_v11p_sd15_openpose": ("CreativeML OpenRAIL-M", int(1.45 * GB)),
    # The ViT-H image encoder every adapter shares; each adapter file read adds its own size (below).
    "h94/IP-Adapter": ("Apache-2.0", int(2.53 * GB)),
}
ADAPTER_FILE_BYTES = {
    "ip-adapter-plus-face_sdxl_vit-h.safetensors": int(0.85 * GB),
    "ip-adapter-plus_sdxl_vit-h.safetensors": int(0.85 * GB),
    "ip-adapter-plus-face_sd15.safetensors": int(0.1 * GB),
    "ip-adapter-plus_sd15.safetensors": int(0.1 * GB),
}

# The open_clip pretrained tags the presets use and the hub repository open_clip reads each from (its
# `hf_hub`; tests/models checks this against open_clip's own table), and the file read there.
OPEN_CLIP_REPOS = {("ViT-B-32", "laion2b_s34b_b79k"): "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"}
OPEN_CLIP_FILE = "open_clip_model.safetensors"
# The LCM-LoRA file, as latent-consistency publishes it (kohya-style keys, which diffusers converts).
LCM_LORA_FILE = "pytorch_lora_weights.safetensors"


def _weights(repo: str, parts: tuple[Files, ...], command: str, extra_bytes: int = 0) -> Weights:
    """One repository's entry from the files of its folders, with its licence and size."""
    fetch = tuple(dict.fromkeys(pattern for patterns, _ in parts for pattern in patterns))
    required = tuple(dict.fromkeys(path for _, paths in parts for path in paths))
    licence, size = MODEL_CARDS.get(repo, ("see the model card", None))
    return Weights(repo, fetch, required, None if size is None else size + extra_bytes, licence, command)


def fetch_command(preset: Preset, video: str | None = None) -> str:
    """`stylist models fetch` for this preset (and a video backend other than its own)."""
    other = f" --video {video}" if video and video != preset.video.backend else ""
    return f"stylist --preset {preset.name} models fetch{other}"


def pipeline_weights(repo: str, family: str, command: str) -> Weights:
    """A diffusers pipeline repository: the folders its loader reads, and model_index.json (a few hundred bytes
    that the loaders do not need, fetched so that the cached folder is a pipeline diffusers itself can open)."""
    return _weights(repo, ((("model_index.json",), ()), *PIPELINE_FOLDERS[family]), command)


def image_model_weights(preset: Preset) -> Weights | None:
    """The preset's image model; None when built in code."""
    if preset.random_weights:
        return None
    return pipeline_weights(preset.image_model, preset.family.name, fetch_command(preset))


def adapter_weights(adapters: list[IPAdapterWeights], command: str) -> Weights:
    """IP-Adapters of one repository: each adapter file and the image encoder they share."""
    encoder = adapters[0].image_encoder_folder
    files = [((path,), (path,)) for path in dict.fromkeys(f"{a.subfolder}/{a.weight_name}" for a in adapters)]
    extra = sum(ADAPTER_FILE_BYTES.get(adapter.weight_name, 0) for adapter in adapters)
    return _weights(adapters[0].repo, (transformers_model(encoder), *files), command, extra)


def preset_adapter_weights(preset: Preset) -> Weights | None:
    """The looks' face and product adapters; None for presets without them or with adapters built in code."""
    adapters = [adapter for adapter in (preset.face_adapter, preset.product_adapter) if adapter is not None]
    if not adapters or adapters[0].repo is None:
        return None
    return adapter_weights(adapters, fetch_command(preset))


def fast_lora_weights(preset: Preset) -> Weights | None:
    """The LCM-LoRA the fast first look reads; None for presets that use a few-step sampler instead."""
    if not preset.fast_lora:
        return None
    return _weights(preset.fast_lora, (((LCM_LORA_FILE,), (LCM_LORA_FILE,)),), fetch_command(preset))


def clip_weights(preset: Preset) -> Weights | None:
    """The fashion CLIP's pretrained backbone; None when it starts from random weights (tiny)."""
    if preset.clip_pretrained is None:
        return None
    repo = OPEN_CLIP_REPOS.get((preset.clip_model, preset.clip_pretrained))
    if repo is None:
        raise StylistError(f"stylist knows no hub copy of {preset.clip_model} {preset.clip_pretrained}: "
                           "add it to OPEN_CLIP_REPOS in stylist/models/weights.py")
    return _weights(repo, (((OPEN_CLIP_FILE,), (OPEN_CLIP_FILE,)),), fetch_command(preset))


def video_weights(preset: Preset, backend: str | None = None) -> dict[str, Weights]:
    """The models of the preset's video backend (or `backend`), by role; empty when built in code."""
    backend = backend or preset.video.backend
    if backend not in VIDEO_BACKENDS:
        raise StylistError(f"unknown video backend {backend!r}: choose one of {', '.join(VIDEO_BACKENDS)}")
    if preset.random_weights:
        return {}
    models, command = preset.video, fetch_command(preset, backend)
    if backend == "wan-vace":
        return {"video model": pipeline_weights(models.wan_vace, "wan-vace", command)}
    return {"animated image model": pipeline_weights(models.animatediff_base, "animatediff", command),
            "motion adapter": _weights(models.motion_adapter, (diffusers_model(),), command),
            "pose ControlNet": _weights(models.pose_controlnet, (diffusers_model(),), command),
            "look adapter": adapter_weights([models.look_adapter], command)}


@dataclass(frozen=True)
class Need:
    """One repository a run reads, and what for."""

    role: str
    weights: Weights


def look_needs(preset: Preset, fast: bool = True) -> list[Need]:
    """Every repository a look of `preset` reads (`fast`: with the fast first look's LoRA)."""
    needs = [("image model", image_model_weights(preset)),
             ("face and product adapters", preset_adapter_weights(preset)),
             ("fast first look (LCM-LoRA)", fast_lora_weights(preset) if fast else None),
             ("fashion CLIP backbone", clip_weights(preset))]
    return [Need(role, weights) for role, weights in needs if weights is not None]


def image_model_needs(preset: Preset) -> list[Need]:
    """What training an identity reads: the image model (its class images are drawn with it too)."""
    weights = image_model_weights(preset)
    return [Need("image model", weights)] if weights is not None else []


def clip_needs(preset: Preset) -> list[Need]:
    """What the fashion CLIP's commands read: its pretrained backbone."""
    weights = clip_weights(preset)
    return [Need("fashion CLIP backbone", weights)] if weights is not None else []


def spin_needs(preset: Preset, video: str | None = None) -> list[Need]:
    """Every repository a spin of `preset` (with its backend, or `video`) reads."""
    return [Need(f"spin: {role}", weights) for role, weights in video_weights(preset, video).items()]


def preset_needs(preset: Preset, video: str | None = None) -> list[Need]:
    """Every repository a run of `preset` reads, in the order a look and a spin need them."""
    return look_needs(preset) + spin_needs(preset, video)
