"""`stylist video finetune`: LoRA on the video model's attention projections, trained on short video–text pairs.

Reads top to bottom: config, data, model, loss, loop, output. The loss is each model's own diffusion loss:
noise prediction (ε) for AnimateDiff's motion UNet, flow matching (velocity ε − x₀ at a logit-normal σ) for
Wan. Wan trains without a control video (VACE's text-to-video mode), so it learns the motion from the
clips and their words. Only LoRA weights on to_q/to_k/to_v/to_out train (for AnimateDiff those of the
motion modules); everything else stays frozen.

DATA_DIR holds `metadata.jsonl`, one line per clip: {"file_name": "clip.mp4", "text": "a person turning
around"}, as `stylist video make-pairs` writes it. The adapter lands in data/models/video/<preset>-<backend>/
(or --out) and spins use it from then on.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np
import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler
from PIL import Image, ImageOps

from stylist.errors import StylistError
from stylist.presets import Preset, get_preset
from stylist.progress import Progress, ProgressCallback
from stylist.settings import Settings
from stylist.video import adapters, backend_name
from stylist.video.backends import VideoBackend, load_backend
from stylist.video.pairs import METADATA, Pair, read_pairs
from stylist.video.tiny import ANIMATEDIFF_SCHEDULER


@dataclass(frozen=True)
class FinetuneConfig:
    steps: int
    rank: int
    learning_rate: float
    frames: int  # per training clip; Wan rounds it up to 1 + 4k
    seed: int = 0
    # Fixed (clip, noise, timestep) draws on which the loss is measured before and after training: one
    # training step's loss swings with its random timestep, so it says little about learning.
    eval_draws: int = 8


# Real presets: rank 16 at 1e-4 as diffusers' video LoRA scripts default to; tiny: a few steps that still
# move a random model's loss.
DEFAULTS = {
    False: FinetuneConfig(steps=500, rank=16, learning_rate=1e-4, frames=16),
    True: FinetuneConfig(steps=30, rank=4, learning_rate=1e-3, frames=8),
}


@dataclass(frozen=True)
class FinetuneResult:
    backend: str
    preset: str
    steps: int
    clips: int
    initial_loss: float  # on the fixed evaluation draws, before training
    final_loss: float  # on the same draws, after
    seconds: float
    trainable_parameters: int
    adapter: Path

    def to_json(self) -> dict:
        return {"backend": self.backend, "preset": self.preset, "steps": self.steps, "clips": self.clips,
                "initial_loss": self.initial_loss, "final_loss": self.final_loss, "seconds": self.seconds,
                "trainable_parameters": self.trainable_parameters, "adapter": str(self.adapter)}


def default_config(preset: Preset) -> FinetuneConfig:
    return DEFAULTS[preset.random_weights]


def finetune(settings: Settings, data_dir: Path, *, backend: str | None = None, config: FinetuneConfig | None = None,
             out: Path | None = None, on_progress: ProgressCallback | None = None) -> FinetuneResult:
    """Train the adapter on the pairs in `data_dir` and save it, reporting each step's loss to `on_progress`."""
    preset = get_preset(settings.preset)
    name = backend_name(preset, backend)
    config = config or default_config(preset)
    pairs = read_pairs(Path(data_dir))
    start = time.perf_counter()
    model = load_backend(preset, settings.device, name, cached=False)  # a private copy: LoRA layers must not reach live spins
    frames = model.window_frames(config.frames)
    clips = [(pair, clip) for pair in pairs if (clip := load_clip(pair.path, frames, model.recipe.size)) is not None]
    if not clips:
        raise StylistError(f"{data_dir} has no usable video–text pairs: {METADATA} must name clips (MP4, WebM, GIF) "
                           f"of at least {frames} frames, each with a text; `stylist video make-pairs` writes such a folder")
    trainer = Trainer(model, clips, replace(config, frames=frames))
    initial = trainer.evaluate()
    trainer.train(on_progress)
    final = trainer.evaluate()
    folder = adapters.save_adapter(model.model, trainer.info, Path(out) if out else
                                   adapters.default_adapter_folder(settings, name))
    return FinetuneResult(backend=name, preset=settings.preset, steps=config.steps, clips=len(clips),
                          initial_loss=initial, final_loss=final, seconds=round(time.perf_counter() - start, 2),
                          trainable_parameters=sum(p.numel() for p in trainer.parameters), adapter=folder.resolve())


def load_clip(path: Path, min_frames: int, size: tuple[int, int], max_frames: int = 64) -> np.ndarray | None:
    """Up to max_frames frames, cropped to the model's aspect and size, as float RGB in [−1, 1]; None when the
    file cannot be decoded or is shorter than min_frames."""
    frames = []
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                image = ImageOps.fit(frame.to_image().convert("RGB"), size, Image.Resampling.LANCZOS)
                frames.append(np.asarray(image, dtype=np.float32) / 127.5 - 1)
                if len(frames) == max_frames:
                    break
    except (av.FFmpegError, OSError, ValueError):
        return None
    return np.stack(frames) if len(frames) >= min_frames else None


class Trainer:
    """The loop and the loss for one backend's video model, on clips cut into windows of config.frames."""

    def __init__(self, backend: VideoBackend, clips: list[tuple[Pair, np.ndarray]], config: FinetuneConfig):
        self.backend, self.config = backend, config
        pipeline = backend.pipeline
        self.device, self.dtype = pipeline.device, backend.model.dtype
        if backend.name == "animatediff":
            # The look's IP-Adapter needs an image with every call; the motion modules train without it.
            pipeline.unload_ip_adapter()
            self.noise_scheduler = DDPMScheduler(**ANIMATEDIFF_SCHEDULER)
        with torch.no_grad():
            texts = {pair.text: self._encode_text(pair.text) for pair, _ in clips}
            # Every whole window of every clip, encoded once: the VAE is frozen, so its latents never change.
            self.samples = [(self._encode_video(clip[start: start + config.frames]), texts[pair.text])
                            for pair, clip in clips for start in range(0, len(clip) - config.frames + 1, config.frames)]
            if backend.name == "wan-vace":
                self.control = self._control()
        self.info = adapters.AdapterInfo(backend=backend.name, preset=backend.preset.name, rank=config.rank,
                                         alpha=float(config.rank), targets=backend.lora_targets)
        self.parameters = adapters.add_adapter(backend.model, self.info)
        for parameter in self.parameters:  # LoRA weights and AdamW train in fp32 over low-precision frozen weights
            parameter.data = parameter.data.float()
        self.generator = torch.Generator("cpu").manual_seed(config.seed)
        eval_generator = torch.Generator("cpu").manual_seed(config.seed + 1)
        self.eval_draws = [self._draw(eval_generator) for _ in range(config.eval_draws)]

    def train(self, on_progress: ProgressCallback | None) -> None:
        model = self.backend.model
        model.train()
        if self.device.type == "cuda":
            model.enable_gradient_checkpointing()
        optimizer = torch.optim.AdamW(self.parameters, lr=self.config.learning_rate, weight_decay=1e-2)
        for step in range(1, self.config.steps + 1):
            loss = self._loss(*self._draw(self.generator))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.parameters, 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if not math.isfinite(loss.item()):
                raise RuntimeError(f"the fine-tune's loss became {loss.item()} at step {step}")
            if on_progress is not None:
                on_progress(Progress("training", step, self.config.steps, loss=loss.item()))
        model.eval()

    @torch.no_grad()
    def evaluate(self) -> float:
        self.backend.model.eval()
        return round(float(np.mean([self._loss(*draw).item() for draw in self.eval_draws])), 6)

    def _draw(self, generator: torch.Generator) -> tuple[int, torch.Tensor, torch.Tensor]:
        """A sample index, its noise and its noise level, all from `generator` so a seed fixes the run."""
        index = int(torch.randint(len(self.samples), (1,), generator=generator))
        noise = torch.randn(self.samples[index][0].shape, generator=generator)
        if self.backend.name == "animatediff":
            level = torch.randint(self.noise_scheduler.config.num_train_timesteps, (1,), generator=generator)
        else:
            level = torch.sigmoid(torch.randn(1, generator=generator))  # logit-normal σ, as SD3 and Wan train
        return index, noise, level

    def _loss(self, index: int, noise: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
        latents, text = self.samples[index]
        noise, level = noise.to(self.device, latents.dtype), level.to(self.device)
        with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype != torch.float32):
            if self.backend.name == "animatediff":
                noisy = self.noise_scheduler.add_noise(latents, noise, level)
                # The motion UNet runs its image layers frame by frame, so each frame gets the text (as the pipeline does).
                text = text.repeat_interleave(latents.shape[2], dim=0)
                prediction = self.backend.model(noisy.to(self.dtype), level, encoder_hidden_states=text).sample
                target = noise
            else:
                sigma = level.view(1, 1, 1, 1, 1)
                noisy = (1 - sigma) * latents + sigma * noise
                prediction = self.backend.model(
                    hidden_states=noisy.to(self.dtype), timestep=level * 1000, encoder_hidden_states=text,
                    control_hidden_states=self.control, control_hidden_states_scale=self._control_scale(),
                    return_dict=False)[0]
                target = noise - latents
        return F.mse_loss(prediction.float(), target.float())

    def _encode_text(self, text: str) -> torch.Tensor:
        pipeline = self.backend.pipeline
        if self.backend.name == "animatediff":
            embeddings, _ = pipeline.encode_prompt(text, self.device, 1, False)
        else:
            embeddings, _ = pipeline.encode_prompt(text, do_classifier_free_guidance=False, device=self.device)
        return embeddings.to(self.dtype)

    def _encode_video(self, frames: np.ndarray) -> torch.Tensor:
        """Latents (1, C, F, h, w) as each pipeline makes them: AnimateDiff per frame, Wan over time, normalised."""
        vae = self.backend.pipeline.vae
        pixels = torch.from_numpy(frames).permute(0, 3, 1, 2).to(self.device, vae.dtype)  # (F, 3, H, W)
        if self.backend.name == "animatediff":
            latents = vae.encode(pixels).latent_dist.mode() * vae.config.scaling_factor
            return latents.permute(1, 0, 2, 3).unsqueeze(0).float()
        latents = vae.encode(pixels.permute(1, 0, 2, 3).unsqueeze(0)).latent_dist.mode().float()
        mean = torch.tensor(vae.config.latents_mean, device=self.device).view(1, -1, 1, 1, 1)
        std = torch.tensor(vae.config.latents_std, device=self.device).view(1, -1, 1, 1, 1)
        return (latents - mean) / std

    def _control(self) -> torch.Tensor:
        """VACE's conditioning for text-to-video: an empty control video, all of it to be generated."""
        pipeline = self.backend.pipeline
        width, height = self.backend.recipe.size
        video, mask, references = pipeline.preprocess_conditions(
            None, None, None, 1, height, width, self.config.frames, torch.float32, self.device)
        control = pipeline.prepare_video_latents(video, mask, references, None, self.device)
        return torch.cat([control, pipeline.prepare_masks(mask, references, None)], dim=1).to(self.dtype)

    def _control_scale(self) -> torch.Tensor:
        layers = len(self.backend.model.config.vace_layers)
        return torch.ones(layers, device=self.device, dtype=self.dtype)
