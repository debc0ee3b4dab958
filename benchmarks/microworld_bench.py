"""Micro-world benchmark: the full `stylist eval microworld` run, its report and sample grids kept in the repository.

    .venv/bin/python benchmarks/microworld_bench.py --minutes 45 --threads 2 \
        --out benchmarks/results/microworld-cpu-2core.json --grids benchmarks/results/microworld

The machine's load average is recorded at the start and the end: the trainers run for a time budget (the
text-to-image model up to 2,500 steps, keeping its best judged checkpoint), so on a shared machine they
take fewer steps, and the report's step counts say how many they got.
`--threads 1` is faster per step than torch's default where other processes compete for the cores.
`--retrieval-only` runs part 3 (the fashion CLIP, about a minute) alone and writes its result into the
existing `--out` report, whose other parts stay as they were measured; `--references-only` does the same
for part 4 (the image-conditioned generators), with the time `--minutes` would give them in a whole run.
`--off-pose-only` runs part 5 (off-pose references through the figure gate, three seeds, both arms) alone
and writes it into `--out` under `references.off_pose`:

    .venv/bin/python benchmarks/microworld_bench.py --off-pose-only --off-pose-steps 3000 --workers 2 \
        --out benchmarks/results/microworld-cpu-2core.json --grids benchmarks/results/microworld

`--workers N` trains N of its six runs at a time, each in a process of one torch thread: its steps, not its
time, are fixed, so running side by side changes how long it takes, not what it learns.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import torch

from stylist.evaluate.microworld.judging.retrieval import retrieval_scores
from stylist.evaluate.microworld.off_pose_run import IMAGE_GUIDANCE, off_pose_report
from stylist.evaluate.microworld.report import Plan, plan_for, reference_report, run_microworld, write_grids
from stylist.files import recorded_path


def machine() -> dict[str, Any]:
    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "torch": torch.__version__, "gpu": None,
            "load_average_at_start": [round(load, 2) for load in os.getloadavg()]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=55.0, help="time for the whole run")
    parser.add_argument("--base-steps", type=int, help="cap the text-to-image run (and its shuffled twin) at this many steps")
    parser.add_argument("--subject-steps", type=int, help="DreamBooth steps per run")
    parser.add_argument("--threads", type=int, help="torch CPU threads [torch's default]")
    parser.add_argument("--out", type=Path, required=True, help="the report as JSON")
    parser.add_argument("--grids", type=Path, help="folder for the sample grids (PNG)")
    parser.add_argument("--retrieval-only", action="store_true", help="run part 3 alone and merge it into --out")
    parser.add_argument("--references-only", action="store_true", help="run part 4 alone and merge it into --out")
    parser.add_argument("--off-pose-only", action="store_true", help="run part 5 alone and merge it into --out")
    parser.add_argument("--off-pose-steps", type=int, help="steps per off-pose training run [from --minutes]")
    parser.add_argument("--workers", type=int, default=1, help="off-pose runs trained at once, one process each")
    parser.add_argument("--seeds", type=int, default=3, help="off-pose training seeds of the reference-token arm")
    parser.add_argument("--adapter-seeds", type=int, help="off-pose training seeds of the IP-Adapter arm [--seeds]")
    parser.add_argument("--weights", type=Path, help="keep the off-pose generators' trained weights here")
    parser.add_argument("--trained", type=Path, help="judge the off-pose generators saved here by --weights, untrained")
    parser.add_argument("--sampling-steps", type=int, help="sampling steps of parts 4 and 5 [each generator's own]")
    parser.add_argument("--guidance", type=float, default=IMAGE_GUIDANCE, help="guidance on the images when the off-pose part samples "
                        "(1: none) [%(default)s]")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.retrieval_only:
        return merge_retrieval(args.out)
    plan = plan_for(args.minutes)
    seeds = tuple(range(args.seeds))
    plan = Plan(**plan.to_json() | {"off_pose_steps": args.off_pose_steps or plan.off_pose_steps,
                                    "off_pose_seeds": seeds,
                                    "off_pose_adapter_seeds": tuple(range(args.adapter_seeds if args.adapter_seeds
                                                                          is not None else args.seeds)),
                                    "reference_sampling_steps": args.sampling_steps,
                                    "off_pose_guidance": args.guidance})
    if args.off_pose_only:
        return merge_off_pose(args.out, plan, args.grids, args.workers, args.weights, args.trained)
    if args.references_only:  # part 4 alone: part 5 has a flag of its own
        return merge_references(args.out, Plan(**plan.to_json() | {"off_pose_steps": None}), args.grids)
    if args.base_steps:
        plan = Plan(**plan.to_json() | {"base_steps": args.base_steps, "shuffled_steps": args.base_steps})
    if args.subject_steps:
        plan = Plan(**plan.to_json() | {"subject_steps": args.subject_steps})
    about = machine()
    report = run_microworld(plan, args.grids, on_stage=lambda stage: print(f"{stage} ...", file=sys.stderr, flush=True))
    about["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    results = {"benchmark": "microworld", **report, "machine": report["machine"] | about,
               "settings": {**vars(args), "out": recorded_path(args.out),
                            "grids": recorded_path(args.grids) if args.grids else None}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def merge_retrieval(out: Path) -> dict[str, Any]:
    """Part 3 measured now, with the machine and load it ran under, in place of the report's old part 3."""
    results = json.loads(out.read_text(encoding="utf-8"))
    about = machine() | {"torch_threads": torch.get_num_threads()}
    started = time.perf_counter()
    retrieval = retrieval_scores()
    about["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    results["retrieval"] = retrieval | {"seconds": round(time.perf_counter() - started, 1), "machine": about,
                                        "measured_alone": "benchmarks/microworld_bench.py --retrieval-only"}
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def merge_references(out: Path, plan: Plan, grids: Path | None) -> dict[str, Any]:
    """Part 4 measured now, with `plan`'s budgets for it, in place of the report's old part 4."""
    results = json.loads(out.read_text(encoding="utf-8"))
    about = machine() | {"torch_threads": torch.get_num_threads()}
    started = time.perf_counter()
    pictures: dict[str, Any] = {}
    references = reference_report(plan, pictures, lambda stage: print(f"{stage} ...", file=sys.stderr, flush=True))
    about["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    results["references"] = references | {
        "seconds": round(time.perf_counter() - started, 1), "machine": about,
        "plan": {name: value for name, value in plan.to_json().items() if name.startswith(("reference", "adapter"))},
        "measured_alone": "benchmarks/microworld_bench.py --references-only"}
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if grids is not None:
        write_grids(pictures, grids)
    return results


def merge_off_pose(out: Path, plan: Plan, grids: Path | None, workers: int, weights: Path | None,
                   trained: Path | None) -> dict[str, Any]:
    """Part 5 measured now, its runs `workers` at a time, in place of the report's old `references.off_pose`."""
    off_pose = plan.off_pose()
    assert off_pose is not None
    results = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"benchmark": "microworld"}
    about = machine() | {"torch_threads_per_run": 1 if workers > 1 else torch.get_num_threads(), "workers": workers}
    started = time.perf_counter()
    pictures: dict[str, Any] = {}

    def stage(name: str) -> None:
        print(f"{name} ... ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)

    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            report = off_pose_report(off_pose, pictures, stage, pool.map, threads=1, weights=weights, trained=trained)
    else:
        report = off_pose_report(off_pose, pictures, stage, weights=weights, trained=trained)
    about["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    results.setdefault("references", {})["off_pose"] = report | {
        "seconds": round(time.perf_counter() - started, 1), "machine": about,
        "commit": _commit(), "measured_alone": "benchmarks/microworld_bench.py --off-pose-only",
        "judged_from_saved_weights": trained is not None}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if grids is not None:
        write_grids(pictures, grids)
    return results


def _commit() -> str | None:
    """The commit the run's code is at, so that its numbers can be traced to the code that made them."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


if __name__ == "__main__":
    main()
