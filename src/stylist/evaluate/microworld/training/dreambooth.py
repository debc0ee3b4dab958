"""DreamBooth on the micro-world's identity, through the project's DreamBooth trainer (identity/dreambooth.py).

`train_identity` works on users added by photo intake, whose face detector finds no face in a 32-pixel
figure, so this drives the same trainer's parts in the same order: `add_trainable_weights` (LoRA on the
attention projections or the whole UNet, LoRA on the text encoder when asked), `make_optimizer`, the
trainer's prompt tokenising and encoding, and `training_loss`, which is the DreamBooth paper's instance
loss + prior weight × class loss on batches of instance rows then class rows. Class images are drawn by
the base model from the class prompt, as `class_images` draws them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from stylist.evaluate.microworld.generators.text_to_image import (
    SAMPLING_STEPS,
    MicroPipeline,
    new_pipeline,
    noise_scheduler,
    to_latents,
)
from stylist.evaluate.microworld.world.figures import IDENTIFIER, SIZE
from stylist.identity.dreambooth import add_trainable_weights, make_optimizer, trainable_parameters, training_loss
from stylist.identity.dreambooth_config import DreamBoothConfig
from stylist.identity.train_data import Batch, encode_prompts, tokenize

# The recipe that learns the hat here; report.py also runs it without prior preservation, without pivotal
# tuning, and as the attention-only LoRA that a feasibility run found too weak. The whole UNet is tuned, as
# the DreamBooth paper does (the trainer's "full" mode); the text encoder gets a LoRA, and the identifier's
# own embedding trains (pivotal tuning, identity/identifier.py). Without that embedding, a base model
# trained to read its prompts well drew the hat as often for "a person" as for "sks person": every caption
# it learnt from says "a photo of a person ...", so it learnt to pay no heed to the word where "sks" now
# stands. Prior weight 2 and lr 1e-4 for 600 steps kept the class samples free of the hat (0.04, against
# 0.25 at prior weight 1 and 0.33-0.42 at lr 2e-4 and 300 steps, in a sweep from one base checkpoint).
RECIPE = DreamBoothConfig(
    identifier=IDENTIFIER, unet="full", train_text_encoder=True, identifier_lr=1e-4, rank=8, resolution=SIZE,
    batch_size=4, prior_preservation=True, prior_weight=2.0, num_class_images=64, class_inference_steps=SAMPLING_STEPS,
    steps=600, learning_rate=1e-4, weight_decay=1e-2, mixed_precision="no", gradient_checkpointing=False,
    checkpoint_every=0, validation_every=0,
)


@dataclass(frozen=True)
class SubjectRun:
    steps: int
    seconds: float
    losses: list[float]
    config: DreamBoothConfig


def copy_of(pipeline: MicroPipeline) -> MicroPipeline:
    """A separate model with the same weights, so that each DreamBooth run starts from the same base."""
    copy = new_pipeline()
    copy.unet.load_state_dict(pipeline.unet.state_dict())
    copy.text_encoder.load_state_dict(pipeline.text_encoder.state_dict())
    return copy


def draw_class_images(pipeline: MicroPipeline, config: DreamBoothConfig, seed: int = 0) -> np.ndarray:
    """The prior: the base model's own pictures for the class prompt."""
    return pipeline([config.class_prompt] * config.num_class_images, torch.Generator().manual_seed(seed),
                    num_inference_steps=config.class_inference_steps)


def train_subject(pipeline: MicroPipeline, photos: np.ndarray, class_pictures: np.ndarray | None,
                  config: DreamBoothConfig, seconds: float | None = None) -> SubjectRun:
    """Personalise `pipeline` in place on `photos` for `config.steps` steps, or fewer if `seconds` run out.

    `class_pictures` are used when `config.prior_preservation` is on.
    """
    torch.manual_seed(config.seed)  # peft draws the LoRA's first weights from torch's global generator
    trained = add_trainable_weights(pipeline, config)
    parameters = trainable_parameters(trained)
    optimizer = make_optimizer(trained, config, torch.device("cpu"))
    token_ids = tokenize([pipeline.tokenizer], [config.instance_prompt, config.class_prompt])
    instance = to_latents(photos)
    classes = to_latents(class_pictures) if config.prior_preservation else None
    scheduler = noise_scheduler()
    generator = torch.Generator().manual_seed(config.seed)
    for module in trained.values():
        module.train()

    started, step, losses = time.perf_counter(), 0, []
    while step < config.steps and (seconds is None or time.perf_counter() - started < seconds):
        step += 1
        with torch.set_grad_enabled(config.trains_text_encoders):
            prompts = encode_prompts([pipeline.text_encoder], token_ids, sdxl=False, device=torch.device("cpu"))
        batch = _batch(instance, classes, config.batch_size, generator)
        loss = training_loss(pipeline.unet, batch, prompts, scheduler, config, generator)
        loss.total.backward()
        torch.nn.utils.clip_grad_norm_(parameters, config.max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.total.item())
    for module in trained.values():
        module.requires_grad_(False)
        module.eval()
    return SubjectRun(step, round(time.perf_counter() - started, 1), losses, config)


def _batch(instance: torch.Tensor, classes: torch.Tensor | None, size: int, generator: torch.Generator) -> Batch:
    """`size` random photos, then as many random class pictures: the trainer's batch layout (train_data.py)."""
    rows = [instance[torch.randint(len(instance), (size,), generator=generator)]]
    prompt_rows = [torch.zeros(size, dtype=torch.long)]
    if classes is not None:
        rows.append(classes[torch.randint(len(classes), (size,), generator=generator)])
        prompt_rows.append(torch.ones(size, dtype=torch.long))
    return Batch(latents=torch.cat(rows), prompt_rows=torch.cat(prompt_rows), time_ids=None, instances=size)
