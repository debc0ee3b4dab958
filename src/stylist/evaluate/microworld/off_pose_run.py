"""Part 3's run: train on off-pose references for a number of steps, for several seeds, and judge every model.

Each (arm, seed) is one job: a generator trained from scratch (`train_conditioned`, off pose, a step budget, so
the same on any machine however loaded), judged on the held-out products and people (judging/off_pose.py), and,
for the reference-token arm, `stylist style` judged on the held-out dress shop (judging/looks.py) for three
held-out people. Jobs are independent, so `off_pose_report` takes the `map` to run them with: the built-in one
runs them in turn, a process pool's runs them side by side (benchmarks/microworld_bench.py).

Arms: `reference_tokens` (klein's mechanism) and `adapter_tokens` (IP-Adapter's, on the same backbone, for the
same steps: generators/adapter_tokens.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import torch

from stylist.evaluate.microworld.generators.adapter_tokens import AdapterTokensGenerator
from stylist.evaluate.microworld.generators.reference_tokens import ReferenceGenerator
from stylist.evaluate.microworld.judging.looks import judged_off_pose_looks
from stylist.evaluate.microworld.judging.off_pose import (
    Batches,
    Judged,
    arm_numbers,
    combine,
    held_out_batches,
    judge_editors,
    judge_generator,
    sampler,
)
from stylist.evaluate.microworld.training.conditioned import train_conditioned
from stylist.evaluate.microworld.world.wardrobe import HELD_OUT_IDENTITIES

SEEDS = (0, 1, 2)
LOOK_PEOPLE = 3  # held-out people judged through `stylist style` per seed
# Guidance on the images when judging (generators/reference_tokens.py), off by default. At 4,500 steps a scale of 3
# lifted the whole garment from 0.15 to 0.20 and the person from 0.21 to 0.28 (benchmarks/results/microworld-
# guidance-cpu-2core.json); at 9,000 steps it still lifts the garment but takes seed 0's person from 0.81 to 0.47,
# the hat's shape back to chance (results/microworld-off-pose-9000-steps-cpu-2core.json against its
# -guidance-3- twin): guiding away from the model with no image, which draws no hat, does not tell two hats apart.
IMAGE_GUIDANCE = 1.0


@dataclass(frozen=True)
class OffPosePlan:
    """Steps per training run, which seeds each arm trains, and how much is judged."""

    steps: int
    seeds: tuple[int, ...] = SEEDS
    adapter_seeds: tuple[int, ...] = SEEDS  # the IP-Adapter arm: the same steps; () leaves it out
    repeats: int = 1  # 72 × repeats samples per number
    sampling_steps: int | None = None  # None: the generator's own (20)
    look_people: int = LOOK_PEOPLE
    guidance: float = IMAGE_GUIDANCE  # both arms sample alike

    def to_json(self) -> dict[str, Any]:
        return {"steps": self.steps, "seeds": list(self.seeds), "adapter_seeds": list(self.adapter_seeds),
                "repeats": self.repeats, "sampling_steps": self.sampling_steps, "look_people": self.look_people,
                "guidance": self.guidance}


@dataclass
class SeedResult:
    arm: str
    seed: int
    judged: Judged
    run: dict[str, Any]
    looks: dict[str, Any] | None = None
    grids: dict = field(default_factory=dict)


def look_people(seed: int, count: int = LOOK_PEOPLE) -> list:
    """`count` held-out people for seed `seed`, going round all six over the seeds."""
    return [HELD_OUT_IDENTITIES[(seed * count + index) % len(HELD_OUT_IDENTITIES)] for index in range(count)]


def new_generator(arm: str, seed: int) -> ReferenceGenerator:
    return ReferenceGenerator(seed) if arm == "reference_tokens" else AdapterTokensGenerator(seed)


def train_and_judge(job: tuple[str, int], plan: OffPosePlan, batches: Batches, threads: int | None = None,
                    weights: Path | None = None, trained: Path | None = None) -> SeedResult:
    """One arm, one seed: train from scratch off pose for `plan.steps` steps, then judge. With `weights`, the
    trained weights and the run's record are saved there (`<arm>-<seed>.pt`, `.json`); with `trained`, they
    are loaded from there instead of training (to judge the same models again)."""
    arm, seed = job
    if threads:
        torch.set_num_threads(threads)
    model = new_generator(arm, seed)
    if trained is not None:
        for module, state in zip(model.modules(), torch.load(trained / f"{arm}-{seed}.pt"), strict=True):
            module.load_state_dict(state)
            module.eval()
        run_json = json.loads((trained / f"{arm}-{seed}.json").read_text(encoding="utf-8"))
        if run_json["steps"] != plan.steps:
            raise ValueError(f"{trained / f'{arm}-{seed}.pt'} was trained for {run_json['steps']} steps, not {plan.steps}")
    else:
        run_json = train_conditioned(model, steps=plan.steps, seed=seed, off_pose=True).to_json()
    if weights is not None:
        weights.mkdir(parents=True, exist_ok=True)
        torch.save([module.state_dict() for module in model.modules()], weights / f"{arm}-{seed}.pt")
        (weights / f"{arm}-{seed}.json").write_text(json.dumps(run_json), encoding="utf-8")
    draw = partial(model, guidance=plan.guidance)
    judged = judge_generator(sampler(draw, plan.sampling_steps), batches)
    looks = (judged_off_pose_looks(draw, seed, look_people(seed, plan.look_people), steps=plan.sampling_steps)
             if arm == "reference_tokens" else None)
    return SeedResult(arm, seed, judged, run_json | {"seed": seed, "trainable_parameters": sum(
        parameter.numel() for module in model.modules() for parameter in module.parameters()
        if parameter.requires_grad)}, looks, judged.grids)


def off_pose_report(plan: OffPosePlan, grids: dict[str, Any], stage: Callable[[str], None],
                    map_jobs: Callable[[Callable[[tuple[str, int]], SeedResult], Iterable[tuple[str, int]]],
                                       Iterator[SeedResult]] = map, threads: int | None = None,
                    weights: Path | None = None, trained: Path | None = None) -> dict[str, Any]:
    """`references.off_pose`: the reference-token arm over `plan.seeds` beside the copying editors, the floors
    and its judged looks, and the IP-Adapter arm (same steps, same backbone) under `ip_adapter`."""
    batches = held_out_batches(plan.repeats)
    jobs = [("reference_tokens", seed) for seed in plan.seeds] + [("adapter_tokens", seed) for seed in plan.adapter_seeds]
    stage(f"training and judging {len(jobs)} off-pose generators ({plan.steps} steps each)")
    results = list(map_jobs(partial(train_and_judge, plan=plan, batches=batches, threads=threads, weights=weights,
                                     trained=trained), jobs))
    stage("judging the no-model editors")
    editors = judge_editors(batches)
    tokens = [result for result in results if result.arm == "reference_tokens"]
    report = combine(list(plan.seeds), [result.judged for result in tokens], editors,
                     [result.looks for result in tokens if result.looks is not None],
                     [result.run for result in tokens])
    adapters = [result for result in results if result.arm == "adapter_tokens"]
    if adapters:
        report["ip_adapter"] = arm_numbers(list(plan.adapter_seeds), [result.judged for result in adapters],
                                           [result.run for result in adapters]) | {
            "mechanism": "adapter_tokens", "projection": "IPAdapterPlusImageProjection (Resampler, 16 tokens)"}
    report["mechanism"] = "reference_tokens"
    report["plan"] = plan.to_json()
    grids.update({f"off-pose-{name}": images for name, images in tokens[0].grids.items()})
    grids.update({f"off-pose-editor-{name}": images for name, images in editors.grids.items()})
    if adapters:
        grids.update({f"off-pose-ip-adapter-{name}": images for name, images in adapters[0].grids.items()})
    return report
