"""Why the micro-world's reference-token model draws no dots: one measured hypothesis, the noise levels it trains on.

Part 2's model drew plain garments always, stripes often, checks seldom and dots never. One candidate cause is
where training spends its noise levels: FLUX's logit-normal draws few low levels, where a 1-pixel print is
decided last, and at 32 pixels the SD3 paper's resolution rule would move them lower, not higher. This trains
the same reference-token generator, seed and steps twice, part 2's aligned task, and compares:
- `now`: logit-normal noise levels centred on 0.5 and a uniform sampler (the trainer as it is);
- `low`: the logit moved by −1.1 (SD3's timestep shift of 1/3) in training and in the sampler;
- `ink`: noise levels as `now`, and the loss on the print's ink pixels weighted 8 times (the print is a ninth
  to a half of a garment's pixels, and the garments a fifth of the picture's: a 1-pixel dot is a small share
  of the error the model is trained to lower);
- `fold2`: as `now`, with tokens of 2×2 pixels instead of 4×4 (256 tokens a picture instead of 64): a print of
  period 3 falls on a token grid of period 4 in 9 ways, and of period 2 in far fewer.
Each model draws the 12 held-out garments 6 times from their own shot; the report gives every print's share
drawn whole (colour, print, category) and how strongly dots are drawn where the target's dots are (the
garment's luminance off the ink minus on it, in levels: a clean render is 63–127) against the best of the nine
dot phases (a dot grid drawn out of place scores there and not at the true phase).

    .venv/bin/python benchmarks/microworld_prints_bench.py --steps 1800 --out benchmarks/results/microworld-prints-cpu-2core.json

Each variant runs in its own process (`--variant now|low|ink|fold2` runs one and prints its JSON). A variant run
again at other `--steps` is kept beside the first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import FlowMatchEulerDiscreteScheduler

from stylist.evaluate.microworld.generators.reference_tokens import ReferenceGenerator, fold
from stylist.evaluate.microworld.training.conditioned import train_conditioned
from stylist.evaluate.microworld.world.classifier import classify
from stylist.evaluate.microworld.world.figures import INK, PATTERNS, garment_mask, pattern_mask, regions
from stylist.evaluate.microworld.world.wardrobe import HELD_OUT_GARMENTS, Examples, examples

LOGIT_MEANS = {"now": 0.0, "low": -1.1, "ink": 0.0, "fold2": 0.0}
INK_WEIGHT = 8.0
FOLDS = {"fold2": 2}  # the others fold 4×4 pixels into a token, as the generator does


class ShiftedNoise(ReferenceGenerator):
    """The reference-token generator with its training noise levels' logit moved by `mean`, and a sampler
    whose steps are moved the same way."""

    def __init__(self, seed: int, mean: float, ink_weight: float = 1.0, token_pixels: int = 4) -> None:
        super().__init__(seed, token_pixels)
        self.mean, self.ink_weight = mean, ink_weight
        self.scheduler = FlowMatchEulerDiscreteScheduler(shift=float(np.exp(mean)))

    def loss(self, batch: Examples, generator: torch.Generator) -> torch.Tensor:
        clean = fold(batch.targets, self.token_pixels)
        noise = torch.randn(clean.shape, generator=generator)
        sigma = torch.sigmoid(torch.randn(len(clean), generator=generator) + self.mean)
        noisy = (1 - sigma.view(-1, 1, 1, 1)) * clean + sigma.view(-1, 1, 1, 1) * noise
        error = (self.predict(noisy, sigma, *self.condition(batch)) - (noise - clean)) ** 2
        if self.ink_weight == 1:
            return error.mean()
        # The target's ink pixels (the world paints the print in exactly INK), weighted in pixel space.
        ink = torch.from_numpy(np.all(batch.targets == np.array(INK, np.uint8), axis=-1))[:, None].float()
        weights = 1 + (self.ink_weight - 1) * ink
        return (F.pixel_shuffle(error, self.token_pixels) * weights).mean()


def run_variant(variant: str, steps: int) -> dict[str, Any]:
    torch.set_num_threads(1)
    model = ShiftedNoise(0, LOGIT_MEANS[variant], INK_WEIGHT if variant == "ink" else 1.0, FOLDS.get(variant, 4))
    started = time.perf_counter()
    run = train_conditioned(model, steps=steps, seed=0)
    seconds = time.perf_counter() - started
    garments = [garment for garment in HELD_OUT_GARMENTS for _ in range(6)]
    batch = examples("garment", 0, np.random.default_rng(5), pairs=[(garment, None) for garment in garments])
    pictures = model(batch, torch.Generator().manual_seed(1))
    readings = classify(pictures, PATTERNS)
    per_pattern = {}
    for pattern in PATTERNS:
        rows = [index for index, garment in enumerate(garments) if garment.pattern == pattern]
        per_pattern[pattern] = round(float(np.mean([
            readings[index].recognisable and (readings[index].category, readings[index].colour,
                                              readings[index].pattern) == (garments[index].category,
                                                                           garments[index].colour, pattern)
            for index in rows])), 4)
    true_phase, best_phase = [], []
    for picture, reading, garment in zip(pictures, readings, garments, strict=True):
        if garment.pattern != "dots":
            continue
        worn = garment_mask(garment.category, regions(reading.shift))
        luminance = picture.astype(float).mean(axis=-1)
        dots = pattern_mask("dots", reading.shift)
        phases = [np.roll(np.roll(dots, dy, 0), dx, 1) & worn for dy in range(3) for dx in range(3)]
        contrasts = [luminance[worn & ~ink].mean() - luminance[ink].mean() for ink in phases]
        true_phase.append(contrasts[0])
        best_phase.append(max(contrasts))
    return {"variant": variant, "logit_mean": LOGIT_MEANS[variant], "ink_weight": model.ink_weight, "fold": model.token_pixels, "steps": steps, "seconds": round(seconds),
            "final_loss": run.to_json()["final_loss"], "whole_garment_by_print": per_pattern,
            "whole_garment": round(float(np.mean(list(per_pattern.values()))), 4),
            "dot_contrast_true_phase": round(float(np.mean(true_phase)), 1),
            "dot_contrast_best_phase": round(float(np.mean(best_phase)), 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1800)
    parser.add_argument("--variant", choices=sorted(LOGIT_MEANS), help="run one variant and print its JSON")
    parser.add_argument("--variants", nargs="+", choices=sorted(LOGIT_MEANS), default=sorted(LOGIT_MEANS))
    parser.add_argument("--out", type=Path, help="the report as JSON; variants already in it are kept")
    args = parser.parse_args(argv)
    if args.variant:
        result = run_variant(args.variant, args.steps)
        print(json.dumps(result))
        return result
    started = time.perf_counter()
    # Side by side, one process and one torch thread each: the same steps, so the same weights however loaded.
    processes = [subprocess.Popen([sys.executable, __file__, "--variant", variant, "--steps", str(args.steps)],
                                  stdout=subprocess.PIPE, text=True) for variant in args.variants]
    variants = [json.loads(process.communicate()[0]) for process in processes]
    if args.out and args.out.exists():  # variants measured before, and not again now at these steps, stay
        kept = json.loads(args.out.read_text(encoding="utf-8"))["variants"]
        variants = [old for old in kept if old["variant"] not in args.variants or old["steps"] != args.steps] + variants
    results = {"benchmark": "microworld_prints", "variants": variants,
               "seconds_last_run": round(time.perf_counter() - started),
               "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                           "platform": platform.platform(), "torch": torch.__version__, "gpu": None}}
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
