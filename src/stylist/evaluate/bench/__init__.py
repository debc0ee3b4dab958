"""`stylist bench gpu`: every full-size benchmark in one process, into one JSON.

Each benchmark is a module of this package with `run(**settings) -> dict` (identity, looks, klein, clip,
video; the scripts in the repository's benchmarks/ are their command lines), and `smoke`, which runs every
path once on the real weights present on the machine (smoke.py). This runs them one after the other with
the settings that fit one H100 in about ten minutes for the random-weight ones and under ten more for the
smoke stage (estimates; where one command may run at most 10 minutes, as on the lent device machines, run
them as two calls: `--only identity --only looks --only klein --only clip --only video`, then `--only
smoke`), and on the `tiny` preset with the CPU settings their own tests use (tiny-klein for
klein), so the first GPU call is not the first call. A benchmark that fails is recorded with its error and
the others still run: one broken benchmark should not cost the whole paid GPU session. A benchmark that
goes on past a failed step (smoke) lists its failures in its result's "errors", and they count as its error.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stylist.errors import StylistError


@dataclass(frozen=True)
class Benchmark:
    name: str  # also the module of this package whose `run` it calls
    full: Mapping[str, Any]  # `run`'s settings on a GPU: full-size architectures, random weights
    tiny: Mapping[str, Any]  # on the CPU with tiny models: seconds, for tests


BENCHMARKS = (
    Benchmark("identity",
              full=dict(preset="sdxl", device="cuda", train_steps=10, gen_steps=30),
              tiny=dict(preset="tiny", device="cpu", train_steps=2, gen_steps=2)),
    Benchmark("looks",
              full=dict(preset="sdxl", device="cuda", steps=30),
              tiny=dict(preset="tiny", device="cpu", steps=2, fast_steps=1, compile="off")),
    # Reference editing on FLUX.2 klein 4B: 1, 2 and 4 references, 4 steps, with and without torch.compile.
    Benchmark("klein",
              full=dict(preset="klein", device="cuda"),
              tiny=dict(preset="tiny-klein", device="cpu", steps=2, compile="off")),
    # The product index is a CPU benchmark (benchmarks/index_bench.py); here only the CLIP's embedding throughput.
    Benchmark("clip",
              full=dict(preset="sdxl", device="cuda"),
              tiny=dict(preset="tiny", device="cpu", batch=8, batches=2)),
    Benchmark("video",
              full=dict(preset="full", device="cuda"),
              tiny=dict(preset="tiny", device="cpu")),
    # The real weights that are on this machine, through the real loaders: each path once (skipped when missing).
    # On the CPU, drawn and trained at tiny checkpoints' sizes (the test saves such checkpoints in the real layouts).
    Benchmark("smoke",
              full=dict(device="cuda"),
              tiny=dict(device="cpu", look_steps=2, train_steps=2, spin_steps=1, spin_fps=4, resolution=64,
                        spin_size=(32, 48))),
)


def run_benchmarks(out: Path, tiny: bool, only: tuple[str, ...] = (),
                   on_start: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the benchmarks (all, or those named in `only`) and write their results to `out` as one JSON."""
    unknown = set(only) - {bench.name for bench in BENCHMARKS}
    if unknown:
        raise StylistError(f"no benchmark named {', '.join(sorted(unknown))}; "
                           f"choose from {', '.join(b.name for b in BENCHMARKS)}")
    import torch

    if not tiny and not torch.cuda.is_available():
        raise StylistError("the full-size benchmarks need a CUDA GPU; `stylist --preset tiny bench gpu` runs "
                           "the same code on tiny models on the CPU")
    report: dict[str, Any] = {"benchmark": "gpu", "tiny": tiny, "machine": _machine(torch), "results": {},
                              "seconds": {}, "errors": {}}
    for bench in BENCHMARKS:
        if only and bench.name not in only:
            continue
        if on_start:
            on_start(bench.name)
        started = time.perf_counter()
        try:
            # Imported here, one at a time: each brings its own libraries (diffusers, open_clip, PyAV).
            module = importlib.import_module(f"{__name__}.{bench.name}")
            report["results"][bench.name] = result = module.run(**(bench.tiny if tiny else bench.full))
            if result.get("errors"):  # steps that failed inside a benchmark that went on (smoke's)
                report["errors"][bench.name] = "; ".join(f"{step}: {error}" for step, error in result["errors"].items())
        except Exception as error:  # noqa: BLE001 — recorded; the next benchmark still runs
            report["errors"][bench.name] = "".join(traceback.format_exception_only(error)).strip()
            traceback.print_exc(file=sys.stderr)
        report["seconds"][bench.name] = time.perf_counter() - started
        if torch.cuda.is_available():
            torch.cuda.empty_cache()  # the next benchmark's peak memory starts from its own weights
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def _machine(torch) -> dict[str, Any]:
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    return {"gpu": gpu, "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
            "torch": torch.__version__, "cuda": torch.version.cuda}
