"""Where the weights list's repositories are on this machine, whether a copy is complete, and fetching them.

A repository's files are found in the first of:
1. the folder in `STYLIST_MODEL_<REPO>`, the hub id in capitals with every other character as `_`
   (`STYLIST_MODEL_STABILITYAI_STABLE_DIFFUSION_XL_BASE_1_0`, `STYLIST_MODEL_H94_IP_ADAPTER`);
2. `$STYLIST_MODELS_DIR/<hub id>`, as `hf download <hub id> --local-dir ...` lays it out;
3. the Hugging Face hub cache, where `stylist models fetch` puts them; a loader downloads what is missing into
   it, unless `HF_HUB_OFFLINE` is set (the commands check with `require_local` first, and refuse instead).
Torch-free, like the list (models/weights.py).
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from pathlib import Path

import huggingface_hub
import huggingface_hub.constants
from huggingface_hub.file_download import repo_folder_name

from stylist.errors import StylistError
from stylist.models.weights import Need, Weights
from stylist.presets import Preset


def model_variable(repo: str) -> str:
    """The environment variable that may name a folder holding `repo`."""
    return "STYLIST_MODEL_" + re.sub(r"[^A-Z0-9]+", "_", repo.upper())


def candidate_folders(weights: Weights) -> list[Path]:
    """Where the weights may already be on this machine, in the order they are looked for; never downloads."""
    candidates = []
    variable = model_variable(weights.repo)
    if os.environ.get(variable):
        candidates.append(Path(os.environ[variable]).expanduser())
    if os.environ.get("STYLIST_MODELS_DIR"):
        candidates.append(Path(os.environ["STYLIST_MODELS_DIR"]).expanduser() / weights.repo)
    cached = cached_folder(weights)
    if cached is not None:
        candidates.append(cached)
    return candidates


def cached_folder(weights: Weights) -> Path | None:
    """The repository's snapshot of `main` in the Hugging Face cache, complete or not; None when there is none.

    Read from the cache's own layout (refs/main names the snapshot folder) rather than through
    `snapshot_download(local_files_only=True)`, which refuses an incomplete snapshot without naming its gaps."""
    repo = Path(_cache()) / repo_folder_name(repo_id=weights.repo, repo_type="model")
    try:
        snapshot = repo / "snapshots" / (repo / "refs" / "main").read_text().strip()
    except OSError:
        return None
    return snapshot if snapshot.is_dir() else None


def best_folder(weights: Weights) -> Path | None:
    """The folder this machine would load from: the first holding every required file, else the first there
    at all (whose gaps can then be named), else None. `stylist doctor` reports this one."""
    found = [folder for folder in candidate_folders(weights) if folder.is_dir()]
    return next((folder for folder in found if not weights.missing(folder)), found[0] if found else None)


def local_folder(weights: Weights) -> Path | None:
    """The first folder on this machine holding every required file, or None."""
    folder = best_folder(weights)
    return folder if folder is not None and not weights.missing(folder) else None


def require_local(preset: Preset, needs: list[Need], doing: str) -> None:
    """Refuse before any work starts when a model that `doing` reads has no complete copy here, naming every one
    at once: found one by one as each loader ran, the last would be named after minutes of crawling or
    drawing. Fetching is its own step (`models fetch`: resumable, tens of gigabytes), never a side effect."""
    absent = []
    for need in needs:
        folder = best_folder(need.weights)
        gaps = need.weights.missing(folder) if folder else []
        if folder is None:
            size = f", about {need.weights.size_bytes / 1e9:.1f} GB" if need.weights.size_bytes else ""
            absent.append(f"{need.weights.repo} ({need.role}{size})")
        elif gaps:
            more = f" and {len(gaps) - 1} more files" if len(gaps) > 1 else ""
            absent.append(f"{need.weights.repo} ({need.role}: the copy in {folder} lacks {gaps[0]}{more})")
    if absent:
        models = "a model is" if len(absent) == 1 else f"{len(absent)} models are"
        raise StylistError(f"{doing} on the {preset.name} preset cannot start: {models} not on this machine: "
                           f"{'; '.join(absent)}; `stylist --preset {preset.name} doctor` lists their files and "
                           f"`stylist --preset {preset.name} models fetch` gets them where there is network access")


def model_folder(weights: Weights, preset: Preset) -> Path:
    """The local folder holding every required file: the first complete one found (the same one `stylist
    doctor` reports), else the hub cache after downloading what is missing, unless HF_HUB_OFFLINE is set.

    A copy that lacks a required file is refused here, naming it, rather than left to fail inside a library
    (klein without its chat template loads, then fails on its first prompt)."""
    variable = model_variable(weights.repo)
    if os.environ.get(variable) and not Path(os.environ[variable]).expanduser().is_dir():
        raise StylistError(f"{variable} points to {os.environ[variable]}, which is not a folder: "
                           f"point it at a copy of {weights.repo}")
    folder = best_folder(weights)
    if folder is not None and not weights.missing(folder):
        return folder
    if offline() or os.environ.get(variable):
        if folder is None:
            raise StylistError(f"the {preset.name} preset needs {weights.repo}: {weights.how_to_get()}")
    else:
        try:
            folder = download(weights)
        except Exception as error:  # the hub's and the network's errors alike: one sentence
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise StylistError(f"the {preset.name} preset needs {weights.repo}, which could not be fetched "
                               f"({reason}): {weights.how_to_get()}") from error
    gaps = weights.missing(folder)
    if not gaps:
        return folder
    more = f" and {len(gaps) - 1} more files" if len(gaps) > 1 else ""
    raise StylistError(f"the copy of {weights.repo} in {folder} lacks {gaps[0]}{more}: {weights.how_to_get()}")


def download(weights: Weights) -> Path:
    """The repository's files into the Hugging Face cache (resuming what is there); its snapshot folder."""
    return Path(huggingface_hub.snapshot_download(weights.repo, allow_patterns=list(weights.fetch),
                                                  cache_dir=_cache()))


def _cache() -> str:
    """The hub cache, read now (huggingface_hub reads HF_HUB_CACHE once, when it is imported)."""
    return huggingface_hub.constants.HF_HUB_CACHE


def offline() -> bool:
    """HF_HUB_OFFLINE, read now: huggingface_hub reads it only once, when it is imported."""
    value = os.environ.get("HF_HUB_OFFLINE", "").strip().upper()
    return value in {"1", "ON", "YES", "TRUE"} or huggingface_hub.constants.HF_HUB_OFFLINE


def weight_bytes(weights: Weights, folder: Path, itemsize: int) -> int:
    """The bytes the weights in `folder` take once loaded at `itemsize` bytes a number, read from the
    safetensors headers (shapes only, no tensor is read): what a device must hold before they are built."""
    numbers = 0
    for name in weights.required_files(folder):
        if name.endswith(".safetensors") and (folder / name).is_file():
            header = _safetensors_header(folder / name)
            numbers += sum(math.prod(entry["shape"]) for key, entry in header.items() if key != "__metadata__")
    return itemsize * numbers


def _safetensors_header(path: Path) -> dict:
    """A safetensors file's header: an 8-byte little-endian length, then that much JSON."""
    with path.open("rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        return json.loads(file.read(length))
