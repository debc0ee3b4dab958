"""`stylist doctor`: before the first GPU run, what this machine has and what the preset still needs.

For the device: its name, memory and the dtypes it runs. For each model the preset loads: whether every file
its loader reads is already here (checked on disk only, never over the network), about how large the
download is, its licence, and the exact command that fetches it. It sits beside cli.py because it asks every
part which files it reads (models, grounding, looks, video), so that the fetch commands are the loaders' own.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from stylist.settings import PRESETS, Settings


@dataclass(frozen=True)
class ModelCheck:
    name: str  # the hub repository, or "built in code"
    role: str  # what the preset uses it for
    present: bool
    size_bytes: int | None  # about how much the fetch downloads; 0 when built in code, None when unknown
    licence: str
    fetch: str | None  # the command that gets it; None when present or built in code


def check_models(preset) -> list[ModelCheck]:
    """Every model `preset` loads, in the order a look and a spin need them."""
    from stylist.grounding.fashion_clip import clip_weights
    from stylist.looks.generate import fast_lora_weights
    from stylist.models.face_adapter import adapter_weights
    from stylist.models.loading import image_model_weights, local_folder
    from stylist.models.presets import MODEL_CARDS, download_bytes
    from stylist.video.backends import video_weights

    adapters = [adapter for adapter in (preset.face_adapter, preset.product_adapter) if adapter is not None]
    needs = [("image model", image_model_weights(preset)),
             ("face and product adapters", adapter_weights(adapters) if adapters and adapters[0].repo else None),
             ("fast first look (LCM-LoRA)", fast_lora_weights(preset)),
             ("fashion CLIP backbone", clip_weights(preset)),
             *((f"spin: {role}", weights) for role, weights in video_weights(preset).items())]
    if preset.random_weights:
        return [ModelCheck("built in code", f"{preset.name}: every model, seeded miniatures", True, 0,
                           "the project's own (Apache-2.0)", None)]
    checks = []
    for role, weights in needs:
        if weights is None:
            continue
        present = local_folder(weights) is not None
        card = MODEL_CARDS.get(weights.repo)
        checks.append(ModelCheck(weights.repo, role, present, download_bytes(weights.repo, weights.files),
                                 card.licence if card else "see the model card",
                                 None if present else weights.fetch_command()))
    return checks


def device_report(device: str) -> dict:
    """The device a run would use: its name, memory and which half precisions it runs."""
    import torch

    from stylist.models.device import resolve_device

    resolved = resolve_device(device)
    if resolved.type == "cuda":
        free, total = torch.cuda.mem_get_info(resolved)
        return {"type": "cuda", "name": torch.cuda.get_device_name(resolved), "memory_bytes": total,
                "free_bytes": free, "bf16": torch.cuda.is_bf16_supported(), "fp16": True,
                "capability": ".".join(map(str, torch.cuda.get_device_capability(resolved)))}
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"type": "cpu", "name": f"{os.cpu_count()} CPU cores", "memory_bytes": memory, "free_bytes": None,
            "bf16": False, "fp16": False}


def models_disk() -> dict:
    """Free space where downloads land: $STYLIST_MODELS_DIR, else the Hugging Face cache."""
    import huggingface_hub.constants

    folder = Path(os.environ.get("STYLIST_MODELS_DIR") or huggingface_hub.constants.HF_HUB_CACHE).expanduser()
    existing = next((each for each in (folder, *folder.parents) if each.exists()), Path("/"))
    return {"path": str(folder), "free_bytes": shutil.disk_usage(existing).free}


@click.command()
@click.option("--preset", "preset_name", type=click.Choice(PRESETS), help="Check this preset [the run's].")
@click.option("--json", "as_json", is_flag=True, help="Print {preset, device, disk, models, ok} as JSON.")
@click.pass_obj
def doctor(settings: Settings, preset_name: str | None, as_json: bool) -> None:
    """Say what the preset needs on this machine: the device, and each model present or how to fetch it."""
    from stylist.models.presets import get_preset

    preset = get_preset(preset_name or settings.preset)
    models = check_models(preset)
    report = {"preset": preset.name, "device": device_report(settings.device), "disk": models_disk(),
              "models": [asdict(model) for model in models], "ok": all(model.present for model in models)}
    if as_json:
        click.echo(json.dumps(report))
    else:
        device = report["device"]
        click.echo(f"{preset.name} on {device['name']} ({device['memory_bytes'] / 1e9:.0f} GB"
                   f"{', bf16' if device['bf16'] else ''}); {report['disk']['free_bytes'] / 1e9:.0f} GB free in "
                   f"{report['disk']['path']}")
        for model in models:
            size = f"{model.size_bytes / 1e9:.1f} GB" if model.size_bytes else "size unknown" if model.size_bytes is None else ""
            state = "present" if model.present else f"MISSING ({size}): {model.fetch}"
            click.echo(f"  {model.role}: {model.name} [{model.licence}] {state}")
    if not report["ok"]:
        raise SystemExit(1)
