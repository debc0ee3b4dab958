"""`stylist bench gpu`: every full-size benchmark of benchmarks/ in one process, into one JSON.

The benchmark scripts stay where their issues put them (benchmarks/*.py, each with `main(argv) -> dict`);
this runs them one after the other with the settings that fit one H100 in about ten minutes, and on the
`tiny` preset with the CPU settings their own tests use, so the first GPU call is not the first call.
A benchmark that fails is recorded with its error and the others still run: one broken script should
not cost the whole paid GPU session.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stylist.errors import StylistError


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    full: tuple[str, ...]  # arguments on a GPU: full-size architectures, random weights
    tiny: tuple[str, ...]  # arguments on the CPU with tiny models: seconds, for tests


BENCHMARKS = (
    Benchmark("identity", "identity_bench.py",
              full=("--preset", "sdxl", "--device", "cuda", "--train-steps", "10", "--gen-steps", "30"),
              tiny=("--preset", "tiny", "--device", "cpu", "--train-steps", "2", "--gen-steps", "2")),
    Benchmark("looks", "looks_bench.py",
              full=("--preset", "sdxl", "--device", "cuda", "--steps", "30"),
              tiny=("--preset", "tiny", "--device", "cpu", "--steps", "2")),
    # The index is a CPU benchmark (benchmarks/results/index-*.json); here only the CLIP's embedding throughput.
    Benchmark("clip", "index_bench.py",
              full=("--sizes", "--clip-preset", "sdxl", "--device", "cuda"),
              tiny=("--sizes", "--clip-preset", "tiny", "--device", "cpu", "--clip-batch", "8", "--clip-batches", "2")),
    Benchmark("video", "video_bench.py",
              full=("--preset", "full", "--device", "cuda"),
              tiny=("--preset", "tiny", "--device", "cpu")),
)


def benchmarks_folder() -> Path:
    """benchmarks/ of the clone this package runs from (an editable install, as `make` makes)."""
    folder = Path(__file__).resolve().parents[3] / "benchmarks"
    if not (folder / BENCHMARKS[0].script).is_file():
        raise StylistError("the benchmark scripts were not found beside this installation: run `stylist bench gpu` "
                           "from a clone of the repository (make creates .venv/bin/stylist there)")
    return folder


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
    folder = benchmarks_folder()
    report: dict[str, Any] = {"benchmark": "gpu", "tiny": tiny, "machine": _machine(torch), "results": {},
                              "seconds": {}, "errors": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for bench in BENCHMARKS:
            if only and bench.name not in only:
                continue
            if on_start:
                on_start(bench.name)
            started = time.perf_counter()
            arguments = [*(bench.tiny if tiny else bench.full), "--out", str(Path(scratch) / f"{bench.name}.json")]
            try:
                report["results"][bench.name] = _load(folder / bench.script).main(arguments)
            # SystemExit too: a script's argparse refusing its arguments must not end the whole run.
            except (Exception, SystemExit) as error:  # noqa: BLE001 — recorded; the next benchmark still runs
                report["errors"][bench.name] = "".join(traceback.format_exception_only(error)).strip()
                traceback.print_exc(file=sys.stderr)
            report["seconds"][bench.name] = time.perf_counter() - started
            if torch.cuda.is_available():
                torch.cuda.empty_cache()  # the next benchmark's peak memory starts from its own weights
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _machine(torch) -> dict[str, Any]:
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    return {"gpu": gpu, "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
            "torch": torch.__version__, "cuda": torch.version.cuda}
