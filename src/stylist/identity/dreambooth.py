"""DreamBooth on one user's face: the trainer behind `stylist user train` (weights.py saves and loads what it makes).

SDXL learns a LoRA on the UNet's attention projections (and, when asked, on both text encoders); SD 1.x
fine-tunes the whole UNet as the DreamBooth paper does, or a LoRA. Every step denoises the user's photos
captioned with a rare identifier ("a photo of sks person") and, for prior preservation, as many images
the base model drew for the class prompt ("a photo of a person"), in one batch and one loss: the paper's
instance loss + prior weight × class loss. Settings and their defaults are in dreambooth_config.py.

`train_identity` reads top to bottom: config, data, model, optimiser, loop, checkpoint, output. Files:

    users/<id>/identity/<preset>/identity.json                     what was trained, for how long, final loss
    users/<id>/identity/<preset>/pytorch_lora_weights.safetensors  LoRA weights, as `load_lora_weights` reads them
    users/<id>/identity/<preset>/identifier_embeddings.safetensors  the identifier's trained embedding (pivotal tuning only)
    users/<id>/identity/<preset>/unet/                             the fine-tuned UNet (full fine-tune only)
    users/<id>/training/<preset>/checkpoint-<step>/                the latest checkpoint, for `resume`
    users/<id>/training/<preset>/validation/step-<step>-<n>.png    validation images

Several GPUs: `accelerate launch -m stylist --preset sdxl user train USER_ID` runs one process per GPU.
Each process draws its own batches from a generator seeded with its rank and gradients are averaged, so
the batch grows with the number of GPUs; only the first process writes weights and reports progress.
"""

from __future__ import annotations

import random
import shutil
import time
import warnings
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from diffusers import DDPMScheduler, DiffusionPipeline, SchedulerMixin
from diffusers.models.attention_processor import AttnProcessor
from diffusers.optimization import get_scheduler
from diffusers.training_utils import cast_training_params, compute_snr, free_memory
from peft import inject_adapter_in_model

from stylist.errors import StylistError
from stylist.identity.class_images import class_images
from stylist.identity.dreambooth_config import DreamBoothConfig, default_config
from stylist.identity.identifier import attach_identifiers, identifier_parameters
from stylist.identity.train_data import (
    Batch,
    Prompts,
    class_training_images,
    encode_prompts,
    instance_images,
    tokenize,
    training_data,
)
from stylist.identity.weights import (
    TEXT_ENCODERS,
    TEXT_LORA_TARGETS,
    UNET_LORA_TARGETS,
    identity_folder,
    lora_config,
    save_identity,
    training_folder,
)
from stylist.models.device import default_dtype, resolve_device
from stylist.models.loading import load_image_pipeline
from stylist.models.residency import RESIDENCY
from stylist.people.users import User, get_user, make_user_folder
from stylist.presets import get_preset
from stylist.progress import Progress, ProgressCallback, ignore
from stylist.records import utc_now
from stylist.settings import Settings

WEIGHT_DTYPES = {"no": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
# Settings that may differ between a checkpoint and the run resuming it: they change when and how things
# are reported or how much memory a step takes, not what the weights become.
RESUMABLE_CHANGES = {"steps", "checkpoint_every", "validation_every", "validation_images",
                     "validation_inference_steps", "gradient_checkpointing"}
# The final loss is averaged over this many steps: one step's loss swings with its random timestep.
FINAL_LOSS_STEPS = 10
# Of a run's progress, the share spent drawing the class images (when the prior is drawn); training is the rest.
CLASS_IMAGES_SHARE = 0.2


@dataclass(frozen=True)
class TrainingResult:
    user_id: str
    preset: str
    steps: int
    final_loss: float
    seconds: float  # wall-clock time of this call
    weights: Path  # the identity folder that `load_identity` reads
    losses: list[float]  # every step's loss, from step 1, across resumes

    def to_json(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "preset": self.preset, "steps": self.steps, "final_loss": self.final_loss,
                "seconds": self.seconds, "weights": str(self.weights)}


@dataclass
class Loss:
    total: torch.Tensor
    instance: torch.Tensor
    prior: torch.Tensor | None  # None without class rows in the batch


def train_identity(
    settings: Settings,
    user_id: str,
    config: DreamBoothConfig | None = None,
    *,
    resume: bool = False,
    on_progress: ProgressCallback | None = None,
) -> TrainingResult:
    """Personalise the settings' preset on the user's photos and store the result in their identity folder.

    With `resume`, training continues from the latest checkpoint of the user's last run with this preset
    (an error when there is none) and ends exactly where an uninterrupted run would have.
    """
    started = time.perf_counter()
    preset = get_preset(settings.preset)
    config = config or default_config(preset)
    user = get_user(settings, user_id)  # add_user guarantees 3–4 photos

    # One process per GPU under `accelerate launch`; fp32 on the CPU, whose kernels are fastest in it.
    device = resolve_device(settings.device)
    precision = {torch.bfloat16: "bf16", torch.float16: "fp16", torch.float32: "no"}[default_dtype(device)]
    if device.type == "cuda" and config.mixed_precision != "auto":
        precision = config.mixed_precision
    accelerator = Accelerator(mixed_precision=precision, cpu=device.type == "cpu")
    device, main = accelerator.device, accelerator.is_main_process
    if device.type == "cuda":
        # The trainer's private pipeline, its gradients and optimiser state need the GPU to themselves: the
        # looks and spin models a worker holds are dropped and loaded again by the next job that asks.
        RESIDENCY.release(str(device))
    # Seeds python, numpy and torch alike on every process: peft draws the LoRA's first weights from torch's
    # global generator. Each process's batches come from its own generator, below.
    set_seed(config.seed)
    report = on_progress if on_progress and main else ignore

    # Model: a private copy of the base model, its frozen weights in the precision they train in.
    pipeline = load_image_pipeline(preset, device, WEIGHT_DTYPES[precision], cached=False)
    run = training_folder(user, preset)
    checkpoint = latest_checkpoint(run) if resume else None
    if resume and checkpoint is None:
        raise StylistError(f"user {user.id} has no checkpoint to resume on the {preset.name} preset: train "
                           "without --resume (checkpoints are written every --checkpoint-every steps)")
    if checkpoint is None and main:
        shutil.rmtree(run, ignore_errors=True)  # a fresh run must never resume from an older run's checkpoint
    sdxl = "text_encoder_2" in preset.family.components  # SDXL's conditioning: two text encoders, size/crop ids

    # Data: class images from the base model (cached on disk for every user), latents, prompts.
    class_files = []
    drawing_share = CLASS_IMAGES_SHARE if config.prior_preservation else 0.0
    if config.prior_preservation:
        def drawn(done: int, total: int) -> None:
            report(Progress("class images", done, total, unit="image", fraction=drawing_share * done / max(total, 1)))

        with accelerator.main_process_first():
            class_files = class_images(pipeline, preset, config, settings.data_dir, drawn)
    data = training_data(pipeline, instance_images(user, config.resolution),
                         class_training_images(class_files, config.resolution), config.resolution,
                         config.cache_latents, sdxl, device)
    tokenizers = [pipeline.tokenizer, pipeline.tokenizer_2] if sdxl else [pipeline.tokenizer]
    token_ids = tokenize(tokenizers, [config.instance_prompt, config.class_prompt])
    text_encoders = [getattr(pipeline, name) for name in TEXT_ENCODERS[: len(tokenizers)]]
    cached_prompts, validation_inputs = None, {"prompt": config.validation_prompt}
    if config.cache_text_embeddings and not config.trains_text_encoders:
        with torch.no_grad():
            cached_prompts = encode_prompts(text_encoders, token_ids, sdxl, device)
            validation_inputs = prompt_embeddings(pipeline, config.validation_prompt)
        # Frozen encoders have nothing left to do: SDXL's two are 1.6 GB in bf16.
        for name in TEXT_ENCODERS[: len(tokenizers)]:
            setattr(pipeline, name, None)
        text_encoders = []
        free_memory()

    # Trainable weights: LoRA (or the whole UNet), and text-encoder LoRA when asked.
    if not config.sdpa:
        pipeline.unet.set_attn_processor(AttnProcessor())
    trained = add_trainable_weights(pipeline, config)
    if config.gradient_checkpointing:
        enable_gradient_checkpointing(trained)
    parameters = trainable_parameters(trained)

    # Optimiser. accelerate steps the schedule once per process, hence the step counts times the processes.
    optimizer = make_optimizer(trained, config, device)
    lr_scheduler = get_scheduler(config.lr_scheduler, optimizer,
                                 num_warmup_steps=config.lr_warmup_steps * accelerator.num_processes,
                                 num_training_steps=config.steps * accelerator.num_processes)
    *prepared, optimizer, lr_scheduler = accelerator.prepare(*trained.values(), optimizer, lr_scheduler)
    training_modules = dict(zip(trained, prepared, strict=True))
    if config.trains_text_encoders:
        text_encoders = [training_modules[name] for name in TEXT_ENCODERS if name in training_modules]
    # The DDPM forward process of the scheduler the model was trained with, prediction type included.
    noise_scheduler = DDPMScheduler.from_config(pipeline.scheduler.config)
    # Every random draw of the loop (rows, latents, noise, timesteps) comes from this generator, which
    # checkpoints save, so a resumed run draws exactly what an uninterrupted one would have.
    generator = torch.Generator(device).manual_seed(config.seed + accelerator.process_index)
    step, losses = 0, []
    if checkpoint is not None:
        step, losses = load_checkpoint(checkpoint, config, trained, optimizer, lr_scheduler, generator, accelerator)

    # Loop.
    for module in trained.values():
        module.train()
    loop_started, first_step = time.perf_counter(), step
    while step < config.steps:
        step += 1
        batch = data.sample(config.batch_size, generator)
        with accelerator.autocast():
            if cached_prompts is not None:
                prompts = cached_prompts
            else:
                with torch.set_grad_enabled(config.trains_text_encoders):
                    prompts = encode_prompts(text_encoders, token_ids, sdxl, device)
            loss = training_loss(training_modules["unet"], batch, prompts, noise_scheduler, config, generator)
        accelerator.backward(loss.total)
        accelerator.clip_grad_norm_(parameters, config.max_grad_norm)
        optimizer.step()
        lr_scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(accelerator.reduce(loss.total.detach(), reduction="mean").item())

        writes = (config.checkpoint_every and step % config.checkpoint_every == 0) or (
            config.validation_every and (step % config.validation_every == 0 or step == config.steps))
        if writes:
            ensure_not_deleted(user)
        if config.checkpoint_every and step % config.checkpoint_every == 0:
            make_user_folder(user.folder, "training", preset.name)
            save_checkpoint(run / f"checkpoint-{step}", step, losses, config, trained, optimizer, lr_scheduler,
                            generator, accelerator)
        if main and config.validation_every and (step % config.validation_every == 0 or step == config.steps):
            make_user_folder(user.folder, "training", preset.name, "validation")
            save_validation_images(pipeline, trained, validation_inputs, config, run / "validation", step, accelerator)
        report(Progress("training", step, config.steps, loss=losses[-1],
                        rate=(step - first_step) / (time.perf_counter() - loop_started),
                        fraction=drawing_share + (1 - drawing_share) * step / config.steps))

    # Output.
    final_loss = float(np.mean(losses[-FINAL_LOSS_STEPS:]))
    seconds = round(time.perf_counter() - started, 2)
    folder = identity_folder(user, preset)
    ensure_not_deleted(user)
    if main:
        record = {
            "user_id": user.id, "preset": preset.name, "family": preset.family.name, "unet": config.unet,
            "token": config.identifier, "instance_prompt": config.instance_prompt, "class_prompt": config.class_prompt,
            "steps": step, "final_loss": final_loss, "seconds": seconds, "precision": precision,
            "optimizer": type(optimizer.optimizer).__name__, "processes": accelerator.num_processes,
            "trained_at": utc_now(), "config": config.to_json(),
        }
        make_user_folder(user.folder, "identity")
        save_identity(pipeline, trained, config, record, folder)
        # The checkpoints only serve a resume; kept, they would hold gigabytes per user (a full SD UNet
        # with its optimiser state) long after the identity is saved.
        for checkpoint_folder in run.glob("checkpoint-*"):
            shutil.rmtree(checkpoint_folder, ignore_errors=True)
    accelerator.wait_for_everyone()
    return TrainingResult(user.id, preset.name, step, final_loss, seconds, folder, losses)


def ensure_not_deleted(user: User) -> None:
    """Stop a run whose user was deleted meanwhile, before it writes their data back."""
    if not user.folder.exists():
        raise StylistError(f"user {user.id} was deleted during training; nothing of theirs was saved")


def prompt_embeddings(pipeline: DiffusionPipeline, prompt: str) -> dict[str, torch.Tensor]:
    """The pipeline's own embeddings of `prompt` and of its negative, to generate once the encoders are gone."""
    names = ("prompt_embeds", "negative_prompt_embeds", "pooled_prompt_embeds", "negative_pooled_prompt_embeds")
    embeddings = pipeline.encode_prompt(prompt=prompt, device=pipeline.device, num_images_per_prompt=1,
                                        do_classifier_free_guidance=True)
    return dict(zip(names, embeddings, strict=False))


def add_trainable_weights(pipeline: DiffusionPipeline, config: DreamBoothConfig) -> dict[str, torch.nn.Module]:
    """Freeze the pipeline, then make trainable exactly what `config` trains; the modules, by component name."""
    for component in pipeline.components.values():
        if isinstance(component, torch.nn.Module):
            component.requires_grad_(False)
    unet = pipeline.unet
    if config.unet == "lora":
        unet.add_adapter(lora_config(config.rank, UNET_LORA_TARGETS))
    else:
        unet.requires_grad_(True)
    trained = {"unet": unet}
    if config.train_text_encoder:
        for name in TEXT_ENCODERS:
            encoder = getattr(pipeline, name, None)
            if encoder is not None:
                # peft's own injection rather than transformers' `add_adapter`, which transformers 5 allows only
                # with peft >= 0.22; the layers and their state-dict names are the same either way.
                inject_adapter_in_model(lora_config(config.rank, TEXT_LORA_TARGETS), encoder)
                trained[name] = encoder
    if config.identifier_lr is not None:
        for name in attach_identifiers(pipeline, config.identifier):
            trained[name] = getattr(pipeline, name)
    # Trained weights are kept in fp32 under bf16/fp16 autocast: updates of lr × gradient round away in bf16.
    cast_training_params(list(trained.values()), dtype=torch.float32)
    return trained


def trainable_parameters(trained: dict[str, torch.nn.Module]) -> list[torch.nn.Parameter]:
    return [parameter for module in trained.values() for parameter in module.parameters() if parameter.requires_grad]


def enable_gradient_checkpointing(trained: dict[str, torch.nn.Module]) -> None:
    for name, module in trained.items():
        if name == "unet":
            module.enable_gradient_checkpointing()
        else:
            # Non-reentrant checkpointing lets gradients reach LoRA weights inside frozen layers.
            module.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def make_optimizer(trained: dict[str, torch.nn.Module], config: DreamBoothConfig,
                   device: torch.device) -> torch.optim.Optimizer:
    """AdamW; bitsandbytes' 8-bit AdamW (a quarter of the state memory) when asked for, installed and on CUDA.

    Identifier vectors (pivotal tuning) are a group of their own, at their own learning rate and without
    weight decay: an embedding moves at the scale of embeddings, not of LoRA weights.
    """
    optimizer_class = torch.optim.AdamW
    if config.use_8bit_adam and device.type == "cuda":
        if find_spec("bitsandbytes"):
            import bitsandbytes

            optimizer_class = bitsandbytes.optim.AdamW8bit
        else:
            # Never silently: full AdamW keeps 8 bytes of state per trained weight instead of 2.
            state_gb = 6 * sum(parameter.numel() for parameter in trainable_parameters(trained)) / 1e9
            warnings.warn(f"8-bit Adam was asked for but bitsandbytes is not installed (`pip install -e '.[gpu]'` "
                          f"on Linux x86-64): full AdamW needs about {state_gb:.1f} GB more GPU memory for its state",
                          stacklevel=2)
    vectors = identifier_parameters(list(trained.values()))
    chosen = {id(vector) for vector in vectors}
    groups = [{"params": [parameter for parameter in trainable_parameters(trained) if id(parameter) not in chosen]}]
    if vectors:
        groups.append({"params": vectors, "lr": config.identifier_lr, "weight_decay": 0.0})
    return optimizer_class(groups, lr=config.learning_rate, weight_decay=config.weight_decay)


def training_loss(unet: torch.nn.Module, batch: Batch, prompts: Prompts, noise_scheduler: SchedulerMixin,
                  config: DreamBoothConfig, generator: torch.Generator) -> Loss:
    """One denoising step on the batch: noise at a random timestep per row, predict, compare."""
    latents = batch.latents
    noise = torch.randn(latents.shape, generator=generator, device=latents.device)
    timesteps = torch.randint(0, noise_scheduler.config.num_train_timesteps, (len(latents),), generator=generator,
                              device=latents.device)
    noisy = noise_scheduler.add_noise(latents, noise, timesteps)
    added = None
    if batch.time_ids is not None:
        added = {"text_embeds": prompts.pooled[batch.prompt_rows], "time_ids": batch.time_ids}
    prediction = unet(noisy, timesteps, prompts.hidden[batch.prompt_rows], added_cond_kwargs=added).sample
    target = training_target(noise_scheduler, latents, noise, timesteps)
    weights = min_snr_weights(noise_scheduler, timesteps, config.snr_gamma) if config.snr_gamma else None
    return dreambooth_loss(prediction, target, batch.instances, config.prior_weight, weights)


def training_target(noise_scheduler: SchedulerMixin, latents: torch.Tensor, noise: torch.Tensor,
                    timesteps: torch.Tensor) -> torch.Tensor:
    """What the model is trained to predict, by the scheduler's prediction type."""
    kind = noise_scheduler.config.prediction_type
    if kind == "epsilon":
        return noise
    if kind == "v_prediction":
        return noise_scheduler.get_velocity(latents, noise, timesteps)
    if kind == "sample":
        return latents
    raise ValueError(f"unknown prediction type {kind!r}")


def min_snr_weights(noise_scheduler: SchedulerMixin, timesteps: torch.Tensor, gamma: float) -> torch.Tensor:
    """Min-SNR-γ (Hang et al. 2023): min(SNR, γ) in units of each prediction type's own loss weighting.

    Low-noise timesteps otherwise dominate the gradient with detail the model already knows.
    """
    snr = compute_snr(noise_scheduler, timesteps)
    own_weight = {"epsilon": snr, "v_prediction": snr + 1, "sample": torch.ones_like(snr)}
    return torch.clamp(snr, max=gamma) / own_weight[noise_scheduler.config.prediction_type]


def dreambooth_loss(prediction: torch.Tensor, target: torch.Tensor, instances: int, prior_weight: float,
                    weights: torch.Tensor | None = None) -> Loss:
    """The DreamBooth paper's objective: the photos' denoising loss + prior_weight × the class images' loss.

    The first `instances` rows are the user's photos, the rest class images. With equal halves, the mean of
    per-row mean squared errors is the plain mean squared error of each half.
    """
    squared = F.mse_loss(prediction.float(), target.float(), reduction="none")
    per_row = squared.mean(dim=tuple(range(1, squared.ndim)))
    if weights is not None:
        per_row = per_row * weights
    instance = per_row[:instances].mean()
    if instances == len(per_row):
        return Loss(total=instance, instance=instance, prior=None)
    prior = per_row[instances:].mean()
    return Loss(total=instance + prior_weight * prior, instance=instance, prior=prior)


def save_validation_images(pipeline: DiffusionPipeline, trained: dict[str, torch.nn.Module],
                           inputs: dict[str, Any], config: DreamBoothConfig, folder: Path, step: int,
                           accelerator: Accelerator) -> list[Path]:
    """Images of the validation prompt from the model as trained so far, with fixed seeds so steps compare."""
    for module in trained.values():
        module.eval()
    # CPU generators: they never touch the training generator, so validating does not change training.
    generators = [torch.Generator().manual_seed(config.seed + number) for number in range(config.validation_images)]
    with accelerator.autocast():
        images = pipeline(**inputs, num_images_per_prompt=config.validation_images, height=config.resolution,
                          width=config.resolution, num_inference_steps=config.validation_inference_steps,
                          generator=generators).images
    for module in trained.values():
        module.train()
    folder.mkdir(exist_ok=True)  # not its parents: a deleted user's folder must not come back
    paths = [folder / f"step-{step:05d}-{number}.png" for number in range(len(images))]
    for image, path in zip(images, paths, strict=True):
        image.save(path)
    return paths


def latest_checkpoint(run: Path) -> Path | None:
    """The run's checkpoint with the highest step; partial ones (written under a dot name) are ignored."""
    found = sorted((path for path in run.glob("checkpoint-*") if path.name.removeprefix("checkpoint-").isdigit()),
                   key=lambda path: int(path.name.removeprefix("checkpoint-")))
    return found[-1] if found else None


def save_checkpoint(folder: Path, step: int, losses: list[float], config: DreamBoothConfig,
                    trained: dict[str, torch.nn.Module], optimizer: torch.optim.Optimizer, lr_scheduler: Any,
                    generator: torch.Generator, accelerator: Accelerator) -> None:
    """Everything a resumed run needs to continue bit for bit; only the latest checkpoint is kept.

    The trained weights, optimiser and schedule are the same on every process and written once; random
    states differ per process and each writes its own. Written under a dot name and renamed into place,
    so a run killed while writing leaves the previous checkpoint as the latest.
    """
    partial = folder.with_name(f".{folder.name}")
    if accelerator.is_main_process:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()  # not its parents: a deleted user's folder must not come back
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        weights = {name: {key: value.detach().cpu() for key, value in module.named_parameters() if value.requires_grad}
                   for name, module in trained.items()}
        torch.save({"step": step, "losses": losses, "config": config.to_json(), "weights": weights,
                    "optimizer": optimizer.state_dict(), "lr_scheduler": lr_scheduler.state_dict()},
                   partial / "training_state.pt")
    torch.save({
        "python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "generator": generator.get_state(),
    }, partial / f"rng-{accelerator.process_index}.pt")
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        partial.rename(folder)
        for older in folder.parent.glob("checkpoint-*"):
            if older != folder:
                shutil.rmtree(older)


def load_checkpoint(folder: Path, config: DreamBoothConfig, trained: dict[str, torch.nn.Module],
                    optimizer: torch.optim.Optimizer, lr_scheduler: Any, generator: torch.Generator,
                    accelerator: Accelerator) -> tuple[int, list[float]]:
    """Restore a checkpoint written by `save_checkpoint`; returns its step and the losses up to it."""
    # weights_only=False: these are our own files, and they hold python and numpy random states.
    state = torch.load(folder / "training_state.pt", map_location="cpu", weights_only=False)
    changed = sorted(name for name, value in state["config"].items()
                     if name not in RESUMABLE_CHANGES and config.to_json()[name] != value)
    if changed:
        raise StylistError(f"the checkpoint in {folder} was trained with other settings ({', '.join(changed)}): "
                           "train again without --resume, or resume with its settings")
    for name, module in trained.items():
        # Only trained weights are saved, hence strict=False; a name the module lacks means another model.
        unexpected = module.load_state_dict(state["weights"][name], strict=False).unexpected_keys
        if unexpected:
            raise RuntimeError(f"checkpoint {folder} has {name} weights this model lacks, such as {unexpected[0]}")
    optimizer.load_state_dict(state["optimizer"])
    lr_scheduler.load_state_dict(state["lr_scheduler"])
    rng = torch.load(folder / f"rng-{accelerator.process_index}.pt", map_location="cpu", weights_only=False)
    random.setstate(rng["python"])
    np.random.set_state(rng["numpy"])
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    generator.set_state(rng["generator"])
    return state["step"], state["losses"]
