"""Train the micro-world's text-to-image model from scratch on the class data, for a given number of seconds.

UNet and text encoder learn together with the DreamBooth trainer's own loss (identity/dreambooth.py: noise at a
random timestep, predict it, min-SNR-weighted), on batches of pictures each with its own caption. A tenth
of the captions is dropped to "" so that classifier-free guidance has an unconditional model to push from.
The learning rate warms up, then follows a cosine over the time budget, and the weights kept are an
exponential moving average. With a `judge` (a score read from the model's samples), the average is judged
every `judge_every` steps and the best checkpoint is kept: a feasibility run scored worse at its last
checkpoint than at an earlier one, and category accuracy here rose and fell by 0.2 between checkpoints.

`shuffle_captions` pairs every picture with another picture's caption: the broken trainer whose scores
say what learning nothing about the prompt looks like.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from diffusers.training_utils import EMAModel

from stylist.evaluate.microworld.generators.text_to_image import MicroPipeline, noise_scheduler, to_latents
from stylist.evaluate.microworld.world.figures import ClassData
from stylist.identity.dreambooth import training_loss
from stylist.identity.dreambooth_config import DreamBoothConfig
from stylist.identity.train_data import Batch, Prompts

BATCH_SIZE = 32
LEARNING_RATE = 1e-3
WARMUP_STEPS = 50
FINAL_LR_SHARE = 0.05  # the cosine ends at this share of the peak learning rate
UNCONDITIONAL_SHARE = 0.1
# training_loss reads only the loss settings from a DreamBooth config: min-SNR-γ 5 (Hang et al. 2023),
# which converges faster than plain ε-MSE, and no prior rows.
LOSS_SETTINGS = DreamBoothConfig(snr_gamma=5.0, prior_preservation=False)


@dataclass(frozen=True)
class TrainingRun:
    steps: int
    seconds: float
    losses: list[float]
    shuffled_captions: bool
    judged: list[tuple[int, float]] = field(default_factory=list)  # (step, judge's score) at each checkpoint
    kept_step: int | None = None  # the checkpoint whose weights were kept; None: the last


def train_base(pipeline: MicroPipeline, data: ClassData, *, seconds: float | None = None, steps: int | None = None,
               shuffle_captions: bool = False, seed: int = 0,
               on_step: Callable[[int, float], None] | None = None,
               judge: Callable[[MicroPipeline], float] | None = None, judge_every: int = 250) -> TrainingRun:
    """Train `pipeline`'s UNet and text encoder in place for `seconds` of wall-clock time or `steps` steps,
    whichever ends first; the learning-rate schedule follows whichever is further along.

    With `judge`, the averaged weights are scored every `judge_every` steps and at the end (higher is
    better), and the best-scored weights are the ones left in `pipeline`."""
    if seconds is None and steps is None:
        raise ValueError("give a time budget, a number of steps, or both")
    generator = torch.Generator().manual_seed(seed)
    latents = to_latents(data.images)
    token_ids = pipeline.token_ids(data.captions)
    if shuffle_captions:
        token_ids = token_ids[torch.randperm(len(token_ids), generator=generator)]
    unconditional_ids = pipeline.token_ids([""])
    scheduler = noise_scheduler()
    models = [pipeline.unet, pipeline.text_encoder]
    for model in models:
        model.requires_grad_(True)
        model.train()
    # The token embeddings stay as drawn: random 64-dimensional vectors already tell the world's twenty words
    # apart, and updating all 49,408 rows (two thirds of the weights) would cost a third of every step.
    pipeline.text_encoder.get_input_embeddings().requires_grad_(False)
    parameters = [parameter for model in models for parameter in model.parameters() if parameter.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=LEARNING_RATE, weight_decay=1e-2)
    average = EMAModel(parameters, decay=0.999, use_ema_warmup=True, power=2 / 3)

    started, step, losses = time.perf_counter(), 0, []
    judged: list[tuple[int, float]] = []
    best: tuple[int, float, list[torch.Tensor]] | None = None
    while (done := share_done(time.perf_counter() - started, seconds, step, steps)) < 1:
        step += 1
        # A time budget fixes no number of steps, so the schedule follows the share of the budget spent.
        cosine = FINAL_LR_SHARE + (1 - FINAL_LR_SHARE) * 0.5 * (1 + math.cos(math.pi * done))
        for group in optimizer.param_groups:
            group["lr"] = LEARNING_RATE * min(1.0, step / WARMUP_STEPS) * cosine
        rows = torch.randint(len(latents), (BATCH_SIZE,), generator=generator)
        ids = token_ids[rows].clone()
        ids[torch.rand(BATCH_SIZE, generator=generator) < UNCONDITIONAL_SHARE] = unconditional_ids
        prompts = Prompts(hidden=pipeline.text_encoder(ids)[0], pooled=None)
        batch = Batch(latents=latents[rows], prompt_rows=torch.arange(BATCH_SIZE), time_ids=None, instances=BATCH_SIZE)
        loss = training_loss(pipeline.unet, batch, prompts, scheduler, LOSS_SETTINGS, generator).total
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        average.step(parameters)
        losses.append(loss.item())
        if on_step:
            on_step(step, losses[-1])
        if judge and step % judge_every == 0:
            best = _judge(judge, pipeline, models, average, parameters, step, judged, best)
    if judge and (not judged or judged[-1][0] != step):
        best = _judge(judge, pipeline, models, average, parameters, step, judged, best)
    average.copy_to(parameters)
    if best is not None and best[0] != step:
        for parameter, kept in zip(parameters, best[2], strict=True):
            parameter.data.copy_(kept)
    for model in models:
        model.requires_grad_(False)
        model.eval()
    return TrainingRun(step, round(time.perf_counter() - started, 1), losses, shuffle_captions, judged,
                       best[0] if best else None)


def _judge(judge: Callable[[MicroPipeline], float], pipeline: MicroPipeline, models: list[torch.nn.Module],
           average: EMAModel, parameters: list[torch.nn.Parameter], step: int, judged: list[tuple[int, float]],
           best: tuple[int, float, list[torch.Tensor]] | None) -> tuple[int, float, list[torch.Tensor]] | None:
    """Score the averaged weights, then put the training weights back; returns the best checkpoint so far."""
    average.store(parameters)
    average.copy_to(parameters)
    score = judge(pipeline)
    judged.append((step, round(score, 4)))
    if best is None or score > best[1]:
        best = (step, score, [parameter.detach().clone() for parameter in parameters])
    average.restore(parameters)
    for model in models:
        model.train()
    return best


def share_done(elapsed: float, seconds: float | None, step: int, steps: int | None) -> float:
    """How far a run bounded by `seconds`, `steps` or both is: whichever budget is further spent (1 = done)."""
    return max(elapsed / seconds if seconds else 0.0, step / steps if steps else 0.0)
