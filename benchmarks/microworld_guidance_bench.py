"""Does guidance on the images lift part 3's trained models? Saved off-pose weights judged again at several scales.

Classifier-free guidance on the images: each sampling step's velocity is pushed away from the model's own
velocity with no image (the `none` task, one step in seven of training) by a factor, the way guided samplers
sharpen what a condition carries. No training happens here: the reference-token models saved by

    .venv/bin/python benchmarks/microworld_bench.py --off-pose-only --off-pose-steps 4500 --weights /tmp/mw-weights ...

are judged as `references.off_pose` judges them (held-out products and people, off pose, through the figure
gate, 72 samples per number), at every `--scales` value (1 is no guidance, the default's numbers):

    .venv/bin/python benchmarks/microworld_guidance_bench.py --trained /tmp/mw-weights --scales 1 2 3 \
        --out benchmarks/results/microworld-guidance-cpu-2core.json

Each (seed, scale) is judged in a one-thread process of its own, `--workers` at a time (1: in this one); a
scale other than 1 costs twice the sampling of no guidance.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import torch

from stylist.evaluate.microworld.judging.off_pose import Judged, arm_numbers, held_out_batches, judge_generator, sampler
from stylist.evaluate.microworld.off_pose_run import new_generator

sys.path.insert(0, str(Path(__file__).parent))
from microworld_bench import _commit  # the benchmarks folder is no package: found by the path above

KEYS = ("garment_all_right", "identity_marker", "garment_attributes", "identity_parts", "garment_patterns",
        "person_and_product", "shuffled_follows_shown", "print_strength")


def judge(job: tuple[Path, int, float, int | None]) -> tuple[int, float, Judged]:
    trained, seed, scale, steps = job
    model = new_generator("reference_tokens", seed)
    for module, state in zip(model.modules(), torch.load(trained / f"reference_tokens-{seed}.pt"), strict=True):
        module.load_state_dict(state)
    return seed, scale, judge_generator(sampler(model, steps, guidance=scale), held_out_batches())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trained", type=Path, required=True, help="the folder microworld_bench.py --weights wrote")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0, 3.0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sampling-steps", type=int, help="[the generator's own, 20]")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    missing = [seed for seed in range(args.seeds) if not (args.trained / f"reference_tokens-{seed}.pt").exists()]
    if missing:
        parser.error(f"{args.trained} has no reference_tokens-{missing[0]}.pt: train it with microworld_bench.py --weights")
    started = time.perf_counter()
    jobs = [(args.trained, seed, scale, args.sampling_steps) for scale in args.scales for seed in range(args.seeds)]
    if args.workers > 1:
        # Spawned, as microworld_bench.py's pool: a forked torch can hang on the parent's thread pool.
        with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=torch.set_num_threads, initargs=(1,)) as pool:
            judged = list(pool.map(judge, jobs))
    else:
        judged = [judge(job) for job in jobs]
    seeds = list(range(args.seeds))
    by_scale = []
    for scale in args.scales:
        per_seed = [result for seed, at, result in judged if at == scale]
        numbers = arm_numbers(seeds, per_seed, [json.loads((args.trained / f"reference_tokens-{seed}.json").read_text(
            encoding="utf-8")) for seed in seeds])
        by_scale.append({"guidance": scale, **{key: numbers[key] for key in KEYS},
                         "through_the_gate": numbers["gate"]["garment"]["passed"],
                         "intervals": {name: numbers["intervals"][name]
                                       for name in ("garment_with_reference", "identity_own_photo")},
                         "per_seed": {name: numbers["per_seed"][name]
                                      for name in ("garment_with_reference", "identity_own_photo")},
                         "per_seed_parts": {name: numbers["per_seed"][name] for name in (
                             "garment_colour", "garment_category", "garment_pattern", "identity_hat_colour",
                             "identity_hat_shape", "identity_skin")}})
    results = {"benchmark": "microworld_guidance", "seeds": seeds, "steps": numbers["runs"][0]["steps"],
               "scales": by_scale, "seconds": round(time.perf_counter() - started), "commit": _commit(),
               "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                           "platform": platform.platform(), "torch": torch.__version__, "gpu": None}}
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
