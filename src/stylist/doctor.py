"""`stylist doctor`: before the first GPU run, what this machine has and what the preset still needs.

For the device: its name, memory and the dtypes it runs, and the memory plan (models/memory.py): where the
image model's weights would sit on it, and on a 24 GB and an 80 GB card. For each model the preset loads (models/weights.py,
the list the loaders read): whether every file its loader reads is already here, by name (checked on disk
only, never over the network), about how large the download is, its licence, and `stylist models fetch`,
which gets what is missing.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

from stylist.models.memory import plans
from stylist.presets import VIDEO_BACKENDS, cpu_counterpart, get_preset, preset_names
from stylist.settings import Settings


@dataclass(frozen=True)
class ModelCheck:
    name: str  # the hub repository, or "built in code"
    role: str  # what the preset uses it for
    present: bool
    size_bytes: int | None  # about how much the fetch downloads; 0 when built in code, None when unknown
    licence: str
    fetch: str | None  # the command that gets it; None when present or built in code
    required: list[str]  # every file the loaders read, by name (a sharded weight as its index and shards)
    missing: list[str]  # those not on this machine


def check_models(preset, video: str | None = None) -> list[ModelCheck]:
    """Every model `preset` loads, in the order a look and a spin need them (`video`: another spin backend)."""
    from stylist.models.locate import best_folder
    from stylist.models.weights import preset_needs

    if preset.random_weights:
        return [ModelCheck("built in code", f"{preset.name}: every model, seeded miniatures", True, 0,
                           "the project's own (Apache-2.0)", None, [], [])]
    checks = []
    for need in preset_needs(preset, video):
        weights = need.weights
        folder = best_folder(weights)
        missing = weights.missing(folder) if folder else weights.required_files()
        checks.append(ModelCheck(weights.repo, need.role, not missing, weights.size_bytes, weights.licence,
                                 weights.command if missing else None, weights.required_files(folder), missing))
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


def model_lines(models: list[ModelCheck]) -> list[str]:
    """One line a model: its role, repository, licence, and present or what is missing and how to fetch it."""
    lines = []
    for model in models:
        size = f"{model.size_bytes / 1e9:.1f} GB" if model.size_bytes else "size unknown"
        gaps = ", ".join(model.missing[:3]) + (f" and {len(model.missing) - 3} more" if len(model.missing) > 3 else "")
        state = "present" if model.present else f"MISSING {gaps} ({size}): {model.fetch}"
        lines.append(f"{model.role}: {model.name} [{model.licence}] {state}")
    return lines


def plan_lines(found: dict[str, dict]) -> list[str]:
    """One line a card: where the image model's weights sit and how many candidates a call draws."""
    lines = []
    for card, plan in found.items():
        held = f"{plan['resident_bytes'] / 1e9:.1f} of {plan['weights_bytes'] / 1e9:.1f} GB held on the device, "
        state = "" if plan["fits"] else "DOES NOT FIT: "
        lines.append(f"memory plan, {card}: {state}{plan['placement']} ({held if plan['memory_bytes'] else ''}"
                     f"{plan['batch']} a call; estimated): {plan['why']}")
    return lines


def device_note(preset, device: dict, plan: dict) -> str | None:
    """Why this device cannot run `preset`'s looks (a real model on a CPU, a card too small), else None."""
    if preset.random_weights:
        return None
    if device["type"] != "cuda":
        return (f"{preset.name} needs a CUDA GPU: on {device['name']} one look would take hours; "
                f"--preset {cpu_counterpart(preset).name} runs the same path here on seeded miniatures")
    if not plan["fits"]:
        return f"{preset.name} does not fit this card: {plan['why']}"
    return None


@click.command()
@click.option("--preset", "preset_name", type=click.Choice(preset_names()), help="Check this preset [the run's].")
@click.option("--video", type=click.Choice(VIDEO_BACKENDS), help="Check this spin backend [the preset's].")
@click.option("--json", "as_json", is_flag=True, help="Print {preset, device, disk, models, memory_plan, ok} as JSON.")
@click.pass_obj
def doctor(settings: Settings, preset_name: str | None, video: str | None, as_json: bool) -> None:
    """Say what the preset needs on this machine: the device, and each model present or how to fetch it."""
    preset = get_preset(preset_name or settings.preset)
    models = check_models(preset, video)
    device = device_report(settings.device)
    report: dict[str, Any] = {"preset": preset.name, "device": device, "disk": models_disk(),
              "models": [asdict(model) for model in models],
              "memory_plan": plans(preset, "cuda" if device["type"] == "cuda" else "cpu"),
              "ok": all(model.present for model in models)}
    # The models' check decides `ok`; whether this device can run them is said beside it.
    note = device_note(preset, device, report["memory_plan"]["this device"])
    device |= {"runs_preset": note is None, "note": note}
    if as_json:
        click.echo(json.dumps(report))
    else:
        click.echo(f"{preset.name} on {device['name']} ({device['memory_bytes'] / 1e9:.0f} GB"
                   f"{', bf16' if device['bf16'] else ''}); {report['disk']['free_bytes'] / 1e9:.0f} GB free in "
                   f"{report['disk']['path']}")
        for line in model_lines(models):
            click.echo(f"  {line}")
        for line in plan_lines(report["memory_plan"]):
            click.echo(f"  {line}")
        if note:
            click.echo(f"  this device: {note}")
    if not report["ok"]:
        raise SystemExit(1)
