"""Fine-tuned attention adapters of a video model: written by `video finetune`, loaded into a backend for spins.

A folder holds `video_adapter.safetensors` (PEFT LoRA weights of the attention projections) and
`video_adapter.json` (which backend and preset they belong to, and the LoRA's shape), so that weights
trained for one model are never loaded into another.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from peft import LoraConfig, set_peft_model_state_dict
from peft.utils import get_peft_model_state_dict
from safetensors.torch import load_file, save_file

from stylist.errors import StylistError
from stylist.files import replacing, write_atomic
from stylist.settings import Settings

WEIGHTS_FILE = "video_adapter.safetensors"
INFO_FILE = "video_adapter.json"
ADAPTER_NAME = "spin-finetune"


@dataclass(frozen=True)
class AdapterInfo:
    backend: str
    preset: str
    rank: int
    alpha: float
    targets: str  # regular expression over module names, as PEFT matches `target_modules`

    def lora_config(self) -> LoraConfig:
        return LoraConfig(r=self.rank, lora_alpha=self.alpha, target_modules=self.targets, init_lora_weights="gaussian")


def default_adapter_folder(settings: Settings, backend: str) -> Path:
    """Where `video finetune` saves and spins look for the adapter of this preset and backend."""
    return settings.data_dir / "models" / "video" / f"{settings.preset}-{backend}"


def add_adapter(model: torch.nn.Module, info: AdapterInfo) -> list[torch.nn.Parameter]:
    """Fresh LoRA layers on the model's attention projections; everything else is frozen. Returns what trains."""
    model.requires_grad_(False)
    model.add_adapter(info.lora_config(), adapter_name=ADAPTER_NAME)
    return [parameter for name, parameter in model.named_parameters() if "lora_" in name]


def save_adapter(model: torch.nn.Module, info: AdapterInfo, folder: Path) -> Path:
    """Write the adapter; each file appears whole (written aside, then moved), weights last, so a spin in
    another process never reads half an adapter."""
    folder.mkdir(parents=True, exist_ok=True)
    state = get_peft_model_state_dict(model, adapter_name=ADAPTER_NAME)
    with replacing(folder / WEIGHTS_FILE) as weights:
        save_file({key: value.detach().float().cpu().contiguous() for key, value in state.items()}, weights)
        write_atomic(folder / INFO_FILE, json.dumps(asdict(info), indent=2) + "\n")
    return folder


def read_info(folder: Path) -> AdapterInfo:
    try:
        return AdapterInfo(**json.loads((folder / INFO_FILE).read_text()))
    except FileNotFoundError:
        raise StylistError(f"{folder} holds no video adapter ({INFO_FILE} is missing): "
                           "make one with `stylist video finetune`") from None
    except (ValueError, TypeError) as error:
        raise StylistError(f"{folder / INFO_FILE} is not a video adapter description: {error}") from None


def load_adapter(model: torch.nn.Module, folder: Path, backend: str, preset: str) -> None:
    """Attach the adapter in `folder` to `model`, refusing one made for another backend or preset, or one incomplete."""
    info = read_info(folder)
    if (info.backend, info.preset) != (backend, preset):
        raise StylistError(f"the video adapter in {folder} was trained for {info.backend} on the {info.preset} "
                           f"preset, not {backend} on {preset}")
    try:
        state = load_file(folder / WEIGHTS_FILE)
    except (OSError, ValueError) as error:
        raise StylistError(f"{folder / WEIGHTS_FILE} cannot be read: {error}") from None
    model.add_adapter(info.lora_config(), adapter_name=ADAPTER_NAME)
    result = set_peft_model_state_dict(model, state, adapter_name=ADAPTER_NAME)
    expected = get_peft_model_state_dict(model, adapter_name=ADAPTER_NAME)
    missing = sorted(set(expected) - set(state))
    if result.unexpected_keys or missing:
        remove_adapter(model)
        raise StylistError(f"the video adapter in {folder} does not fit the {backend} model "
                           f"({len(missing)} weights missing, {len(result.unexpected_keys)} unexpected): "
                           "train it again with `stylist video finetune`")


def version(folder: Path) -> tuple[Path, int]:
    """Which adapter a folder holds now: its path and its weights' modification time."""
    folder = folder.resolve()
    try:
        return folder, (folder / WEIGHTS_FILE).stat().st_mtime_ns
    except FileNotFoundError:
        raise StylistError(f"{folder} holds no video adapter ({WEIGHTS_FILE} is missing): "
                           "make one with `stylist video finetune`") from None


def remove_adapter(model: torch.nn.Module) -> None:
    if ADAPTER_NAME in getattr(model, "peft_config", {}):
        model.delete_adapters(ADAPTER_NAME)
