"""What every benchmark needs: the machine it ran on, GPU clocks and peak memory, and its JSON written out."""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path
from typing import Any

import diffusers
import torch
import transformers

from stylist.settings import DEVICES


def machine(device: torch.device, libraries: dict[str, str], busy: bool = False) -> dict[str, Any]:
    """The GPU, CPU and library versions; `busy` adds torch's threads and the load, which slow a CPU run."""
    gpu = torch.cuda.get_device_properties(device) if device.type == "cuda" else None
    found: dict[str, Any] = {
        "gpu": gpu.name if gpu else None,
        "gpu_memory_gib": round(gpu.total_memory / 2**30, 1) if gpu else None,
        "cuda": torch.version.cuda if gpu else None,
        "cpu_cores": os.cpu_count(),
    }
    if busy:
        found |= {"torch_threads": torch.get_num_threads(), "load_average": os.getloadavg()[0]}
    return found | {
        "platform": platform.platform(), "python": platform.python_version(),
        "torch": torch.__version__, "diffusers": diffusers.__version__, "transformers": transformers.__version__,
    } | libraries


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_gib(device: torch.device) -> float | None:
    return round(torch.cuda.max_memory_allocated(device) / 2**30, 2) if device.type == "cuda" else None


def save(results: dict[str, Any], out: Path | None) -> dict[str, Any]:
    """Write the results to `out` as JSON (when given) and return them."""
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def print_results(results: dict[str, Any]) -> dict[str, Any]:
    """What a benchmark's command line prints: the results it wrote."""
    print(json.dumps(results, indent=2))
    return results


def command_line(doc: str, presets: Any) -> argparse.ArgumentParser:
    """A benchmark script's parser: its docstring's first line, `--preset`, `--device` and `--out`, and no
    default of its own, so that `run`'s defaults hold for whatever is not given."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0], argument_default=argparse.SUPPRESS)
    parser.add_argument("--preset", choices=sorted(presets))
    parser.add_argument("--device", choices=DEVICES)
    parser.add_argument("--out", type=Path, required=True)
    return parser
