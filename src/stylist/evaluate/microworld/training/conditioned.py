"""Train an image-conditioned micro-world model (reference_model.py or image_adapter.py) from scratch.

Every step is one task's batch (wardrobe.py: the garment, identity, both and none tasks, in turn), drawn
fresh from the training garments and identities: the model never sees the held-out ones it is measured on.
The schedule is part 1's (train.py): warm-up, a cosine over the time or step budget, whichever is further
along, and an exponential moving average of the weights, which is what is kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from diffusers.training_utils import EMAModel

from stylist.evaluate.microworld.training.text_to_image import FINAL_LR_SHARE, WARMUP_STEPS, share_done
from stylist.evaluate.microworld.world.wardrobe import Examples, examples

BATCH_SIZE = 16  # half of part 1's: at a fixed time on the CPU, twice the steps learnt more (docs/microworld.md)
LEARNING_RATE = 1e-3
# The image tasks come three times as often as the text-only one: they are what is learnt here.
TASK_CYCLE = ("garment", "both", "identity", "garment", "both", "identity", "none")


class ConditionedModel(Protocol):
    def modules(self) -> list[torch.nn.Module]: ...

    def loss(self, batch: Examples, generator: torch.Generator) -> torch.Tensor: ...

    def __call__(self, batch: Examples, generator: torch.Generator, num_inference_steps: int = ...) -> np.ndarray: ...


@dataclass(frozen=True)
class ReferenceRun:
    steps: int
    seconds: float
    losses: list[float]

    def to_json(self) -> dict[str, float]:
        return {"steps": self.steps, "seconds": self.seconds,
                "first_loss": round(float(np.mean(self.losses[:20])), 4),
                "final_loss": round(float(np.mean(self.losses[-20:])), 4)}


def train_conditioned(model: ConditionedModel, *, seconds: float | None = None, steps: int | None = None,
                      seed: int = 0, batch_size: int = BATCH_SIZE, off_pose: bool = False,
                      on_step: Callable[[int, float], None] | None = None) -> ReferenceRun:
    """Train `model` in place for `seconds` or `steps`, whichever ends first; leaves it in eval mode with the
    averaged weights. `off_pose` gives it references moved away from the target's geometry (world/off_pose.py).
    A step budget alone gives the same weights on any machine, however loaded; a time budget does not."""
    if seconds is None and steps is None:
        raise ValueError("give a time budget, a number of steps, or both")
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    modules = model.modules()
    for module in modules:
        module.train()
    parameters = [parameter for module in modules for parameter in module.parameters() if parameter.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=LEARNING_RATE, weight_decay=1e-2)
    average = EMAModel(parameters, decay=0.999, use_ema_warmup=True, power=2 / 3)
    started, step, losses = time.perf_counter(), 0, []
    while (done := share_done(time.perf_counter() - started, seconds, step, steps)) < 1:
        cosine = FINAL_LR_SHARE + (1 - FINAL_LR_SHARE) * 0.5 * (1 + math.cos(math.pi * done))
        for group in optimizer.param_groups:
            group["lr"] = LEARNING_RATE * min(1.0, (step + 1) / WARMUP_STEPS) * cosine
        batch = examples(TASK_CYCLE[step % len(TASK_CYCLE)], batch_size, rng, off_pose=off_pose)
        loss = model.loss(batch, generator)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        average.step(parameters)
        step += 1
        losses.append(loss.item())
        if on_step:
            on_step(step, losses[-1])
    average.copy_to(parameters)
    for module in modules:
        module.eval()
    return ReferenceRun(step, round(time.perf_counter() - started, 1), losses)

