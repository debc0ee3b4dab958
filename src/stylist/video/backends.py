"""Pose-driven video models behind one interface: a reference image and pose frames in, video frames out.

- `wan-vace` (modern): Wan2.1 VACE 1.3B through diffusers' `WanVACEPipeline`; the look is VACE's reference
  image and the pose frames its control video. Frames already made (the overlap with the previous window
  of a long clip) go in as kept frames of the control video, which is how VACE extends a clip.
- `animatediff` (baseline): AnimateDiff on SD 1.5 with ControlNet-OpenPose through diffusers'
  `AnimateDiffControlNetPipeline`; the look is an IP-Adapter "plus" reference.

The preset names the models (`Preset.video`; their licences are in stylist/presets.py). Both exist as
`tiny` miniatures (video/tiny.py) and load real weights through models/loading.py, which fails with one
sentence naming the missing model.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from diffusers import (
    AutoencoderKL,
    AutoencoderKLWan,
    ControlNetModel,
    DiffusionPipeline,
    MotionAdapter,
    UNet2DConditionModel,
    UniPCMultistepScheduler,
    WanVACETransformer3DModel,
)
from PIL import Image
from transformers import AutoTokenizer, CLIPTextModel, CLIPTokenizer, UMT5EncoderModel

from stylist.imaging import pad_to_square
from stylist.models.device import default_dtype, resolve_device
from stylist.models.face_adapter import attach_ip_adapters
from stylist.models.loading import load_component
from stylist.models.locate import model_folder
from stylist.models.residency import RESIDENCY
from stylist.models.weights import video_weights
from stylist.presets import Preset
from stylist.video import adapters, backend_name
from stylist.video.tiny import TINY_ANIMATEDIFF, TINY_WAN, animatediff_pipeline, build_animatediff, build_wan_vace

PROMPT = "a full-body photo of a person turning around on the spot, studio light, plain background"
NEGATIVE_PROMPT = "blurry, distorted body, extra limbs, deformed hands, low quality, text, watermark"

# What each real video pipeline is assembled from, by folder of its repository (models/weights.py lists the files).
WAN_PARTS = {"transformer": WanVACETransformer3DModel, "vae": AutoencoderKLWan, "text_encoder": UMT5EncoderModel,
             "tokenizer": AutoTokenizer, "scheduler": UniPCMultistepScheduler}
SD15_PARTS = {"unet": UNet2DConditionModel, "vae": AutoencoderKL, "text_encoder": CLIPTextModel,
              "tokenizer": CLIPTokenizer}
# How strongly the look steers AnimateDiff's frames against the prompt; IP-Adapter's examples use 0.5–0.8.
LOOK_SCALE = 0.7


@dataclass(frozen=True)
class SpinRecipe:
    """How a backend samples a spin: frame size (width, height), steps, guidance, and its window of frames."""

    size: tuple[int, int]
    steps: int
    guidance: float
    # The most frames one call may make: what the model was trained on (Wan 81, AnimateDiff's motion module 16).
    max_frames: int
    # Frames each window shares with the one before it, so long clips join without a jump.
    overlap: int


# Real presets sample at 512×768 (portrait, divisible by Wan's 16 and SD's 8); tiny at the smallest 2:3 size
# each tiny model accepts (Wan: multiples of 16; tiny AnimateDiff: of 4), with 2 steps. Wan's windows hold
# 4k+1 frames and overlap by one latent frame group (1 + 4); AnimateDiff's hold its motion module's 16.
RECIPES = {
    ("wan-vace", False): SpinRecipe(size=(512, 768), steps=30, guidance=5.0, max_frames=81, overlap=5),
    ("wan-vace", True): SpinRecipe(size=(32, 48), steps=2, guidance=5.0, max_frames=81, overlap=5),
    ("animatediff", False): SpinRecipe(size=(512, 768), steps=25, guidance=7.5, max_frames=16, overlap=4),
    ("animatediff", True): SpinRecipe(size=(16, 24), steps=2, guidance=7.5, max_frames=16, overlap=4),
}

StepCallback = Callable[[], None]


class VideoBackend:
    """One loaded video model. `generate` makes one window; video/windows.py strings windows into a clip."""

    name: str
    # Module names (a regular expression) of the video model's attention projections, which fine-tuning trains.
    lora_targets: str

    def __init__(self, pipeline: DiffusionPipeline, recipe: SpinRecipe, preset: Preset):
        self.pipeline = pipeline
        self.recipe = recipe
        self.preset = preset
        self.adapter: tuple[Path, int] | None = None  # the loaded fine-tuned adapter: folder and version
        # One clip at a time per loaded model: the worker may serve several jobs from threads.
        self.lock = threading.Lock()
        pipeline.set_progress_bar_config(disable=True)

    @property
    def model(self) -> torch.nn.Module:
        """The video model whose attention fine-tuning trains."""
        raise NotImplementedError

    def window_frames(self, wanted: int) -> int:
        """The number of frames to ask for so that at least `wanted` come back."""
        return wanted

    def generate(self, reference: Image.Image, poses: Sequence[Image.Image], *, context: Sequence[Image.Image],
                 prompt: str, seed: int, on_step: StepCallback | None = None) -> list[np.ndarray]:
        """len(poses) frames (float RGB in [0, 1]) of the person in `reference` moving as `poses` show.

        `context` are frames already made that the first len(context) frames continue from.
        """
        raise NotImplementedError

    def use_adapter(self, folder: Path | None) -> None:
        """Load a fine-tuned adapter (or go back to the plain model with None); a no-op when already in place."""
        # A folder trained again since it was loaded is loaded again: the version is the weights' mtime.
        version = adapters.version(Path(folder)) if folder is not None else None
        if version == self.adapter:
            return
        adapters.remove_adapter(self.model)
        self.adapter = None
        if folder is not None:
            adapters.load_adapter(self.model, Path(folder), self.name, self.preset.name)
            self.model.to(device=self.pipeline.device)
            self.adapter = version

    def _callback(self, on_step: StepCallback | None):
        def callback(pipeline, step, timestep, tensors):
            if on_step is not None:
                on_step()
            return tensors
        return callback


class WanVACEBackend(VideoBackend):
    name = "wan-vace"
    lora_targets = r".*attn[12]\.(to_q|to_k|to_v|to_out\.0)"

    @property
    def model(self) -> torch.nn.Module:
        return self.pipeline.transformer

    def window_frames(self, wanted: int) -> int:
        # Wan's VAE packs frames as 1 + 4k; any other count is rounded down by the pipeline.
        step = self.pipeline.vae_scale_factor_temporal
        return 1 + step * math.ceil(max(0, wanted - 1) / step)

    def generate(self, reference, poses, *, context, prompt, seed, on_step=None):
        width, height = self.recipe.size
        kept, black, white = len(context), Image.new("RGB", (width, height)), Image.new("RGB", (width, height), "white")
        output = self.pipeline(
            prompt=prompt, negative_prompt=NEGATIVE_PROMPT,
            video=list(context) + list(poses[kept:]), mask=[black] * kept + [white] * (len(poses) - kept),
            reference_images=[reference], height=height, width=width, num_frames=len(poses),
            num_inference_steps=self.recipe.steps, guidance_scale=self.recipe.guidance,
            generator=torch.Generator("cpu").manual_seed(seed), output_type="np",
            callback_on_step_end=self._callback(on_step),
        )
        return list(output.frames[0])


class AnimateDiffBackend(VideoBackend):
    name = "animatediff"
    # Only the motion modules' attention: they are what makes AnimateDiff a video model.
    lora_targets = r".*motion_modules.*(to_q|to_k|to_v|to_out\.0)"

    @property
    def model(self) -> torch.nn.Module:
        return self.pipeline.unet

    def generate(self, reference, poses, *, context, prompt, seed, on_step=None):
        width, height = self.recipe.size
        self.pipeline.set_ip_adapter_scale(LOOK_SCALE)
        output = self.pipeline(
            prompt=prompt, negative_prompt=NEGATIVE_PROMPT, num_frames=len(poses), height=height, width=width,
            conditioning_frames=list(poses), ip_adapter_image=pad_to_square(reference, 224),
            num_inference_steps=self.recipe.steps, guidance_scale=self.recipe.guidance,
            generator=torch.Generator("cpu").manual_seed(seed), output_type="np",
            callback_on_step_end=self._callback(on_step),
        )
        return list(output.frames[0])


# One process loads each (preset, backend, device, dtype) once: the worker keeps its models between jobs.


def load_backend(preset: Preset, device: str, name: str | None = None, *, cached: bool = True) -> VideoBackend:
    """The preset's video backend (or `name`) on `device` ("auto", "cpu", "cuda"). `cached=False` gives a
    private copy, as a trainer needs; the cached one is shared by every spin in the process."""
    name = backend_name(preset, name)
    device = resolve_device(device)
    dtype = default_dtype(device)
    if not cached:
        return _build(name, preset, device, dtype)
    return RESIDENCY.load(("video", preset.name, name, str(device), dtype), lambda: _build(name, preset, device, dtype),
                          device=str(device))


def _build(name: str, preset: Preset, device: torch.device, dtype: torch.dtype) -> VideoBackend:
    recipe = RECIPES[(name, preset.random_weights)]
    if name == "wan-vace":
        pipeline = build_wan_vace(TINY_WAN) if preset.random_weights else _load_wan(preset, dtype)
        if preset.random_weights and dtype != torch.float32:
            pipeline.transformer.to(dtype=dtype)
            pipeline.text_encoder.to(dtype=dtype)
        backend: VideoBackend = WanVACEBackend(pipeline.to(device), recipe, preset)
    else:
        pipeline = build_animatediff(TINY_ANIMATEDIFF) if preset.random_weights else _load_animatediff(preset, dtype)
        if preset.random_weights and dtype != torch.float32:
            pipeline.to(dtype=dtype)
        pipeline.to(device)
        attach_look_adapter(pipeline, preset)
        backend = AnimateDiffBackend(pipeline, recipe, preset)
    return backend


def attach_look_adapter(pipeline: DiffusionPipeline, preset: Preset) -> None:
    """The preset's look adapter on AnimateDiff's UNet, with its image encoder."""
    weights = None if preset.random_weights else video_weights(preset, "animatediff")["look adapter"]
    attach_ip_adapters(pipeline, preset, [preset.video.look_adapter], weights)


def _load_wan(preset: Preset, dtype: torch.dtype) -> DiffusionPipeline:
    from diffusers import WanVACEPipeline

    wan = video_weights(preset, "wan-vace")["video model"]
    folder = model_folder(wan, preset)
    # Wan's VAE stays in float32, as Wan's own examples run it: its decoder loses detail in half precision.
    components = {name: load_component(part, folder, name, wan, torch.float32 if name == "vae" else dtype)
                  for name, part in WAN_PARTS.items()}
    return WanVACEPipeline(**components)


def _load_animatediff(preset: Preset, dtype: torch.dtype) -> DiffusionPipeline:
    weights = video_weights(preset, "animatediff")
    base = weights["animated image model"]
    sd = model_folder(base, preset)
    parts = {name: load_component(part, sd, name, base, dtype) for name, part in SD15_PARTS.items()}
    motion_adapter = weights["motion adapter"]
    motion = load_component(MotionAdapter, model_folder(motion_adapter, preset), "", motion_adapter, dtype)
    pose = weights["pose ControlNet"]
    controlnet = load_component(ControlNetModel, model_folder(pose, preset), "", pose, dtype)
    return animatediff_pipeline(parts["vae"], parts["text_encoder"], parts["tokenizer"], parts["unet"], motion,
                                controlnet)
