"""CLIP guidance: after each denoising step, move the latents up the gradient of the fashion-CLIP score of
the image they are heading for. Off by default: every step then decodes through the VAE and back-propagates
through it and the CLIP image tower, which costs more than the step itself at 1024 px.

What is scored is the step's prediction of the clean latents, x0, not the noisy latents: early in sampling
the noisy latents decode to noise, whose CLIP gradient says little about the picture. A forward hook on the
UNet (`CleanPrediction`) reads each step's input and noise prediction and, after classifier-free guidance
combined as the pipeline combines it, solves the UNet's training relation x_in = √ᾱ_t·x0 + √(1−ᾱ_t)·ε̂ for x0.
Every sampler hands the UNet its latents in those terms (`scale_model_input`), so this one formula is the x0
of DPM-Solver, Euler (its `pred_original_sample`) and LCM alike.

The push on the current latents takes the chain rule through x0 = f(x_t) with the noise prediction held
fixed (an approximation: no back-propagation through the UNet, whose activations would cost more memory than
the decoder's). With ε̂ fixed, x0 is x_t less a multiple of ε̂, scaled: ∂x0/∂x_t is a positive number times
the identity (1/√ᾱ for the variance-preserving samplers, 1 for Euler's), and for a first-order step (Euler,
DDIM) the x0 of the latents after the step equals the x0 the step was taken with. The gradient with respect
to x0 is normalised to unit RMS per image, which absorbs that number, so `scale` is the size of each push in
latent units whatever the scale of the score's gradient.

Memory: back-propagating through SDXL's VAE decoder at 1024 px keeps about 13 GB of activations per image,
so the batch is guided one image at a time, from clean latents resized so the decoded image is GUIDE_SIDE px
(the CLIP sees 224 px anyway: a quarter of the pixels costs a sixteenth of the decoder's activations), and in
float32 where the VAE would overflow in float16 (SDXL's, which the pipeline itself upcasts to decode).
"""

from __future__ import annotations

import copy
from typing import Protocol, Self

import torch
import torch.nn.functional as F
from diffusers import DiffusionPipeline
from torchvision.transforms import Normalize


class PixelScorer(Protocol):
    """A differentiable fashion CLIP: embeddings of images given as pixels and of texts, L2-normalised."""

    def embed_pixels(self, pixels: torch.Tensor) -> torch.Tensor:  # [B, 3, H, W] in [0, 1] → [B, dim]
        ...

    def embed_texts(self, texts: list[str]) -> torch.Tensor: ...


class FashionClipPixels:
    """The fashion CLIP (stylist.grounding) as a PixelScorer: its own preprocessing (resize, normalise) done
    on tensors, so the score stays differentiable in the pixels."""

    def __init__(self, clip) -> None:
        self.clip = clip
        normalize = next(step for step in clip.preprocess.transforms if isinstance(step, Normalize))
        self.mean = torch.tensor(normalize.mean).view(1, 3, 1, 1)
        self.std = torch.tensor(normalize.std).view(1, 3, 1, 1)

    def embed_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        size = self.clip.image_size
        pixels = F.interpolate(pixels, size=(size, size), mode="bicubic", antialias=True, align_corners=False)
        pixels = (pixels - self.mean.to(pixels)) / self.std.to(pixels)
        return self.clip.encode_pixels(pixels.to(self.clip.device)).float().to(pixels.device)

    def embed_texts(self, texts: list[str]) -> torch.Tensor:
        return self.clip.embed_texts(texts)


# The side of the image guidance decodes to: a few times the CLIP's input, well below SDXL's 1024.
GUIDE_SIDE = 256


def decode(pipeline: DiffusionPipeline, latents: torch.Tensor, side: int | None = None,
           vae: torch.nn.Module | None = None) -> torch.Tensor:
    """Latents as images in [0, 1] ([B, 3, H, W]), differentiably, as the pipeline's own decode computes them;
    `side` resizes the latents first so that the image comes out about that many pixels wide, and `vae`
    decodes instead of the pipeline's (guidance's float32 copy)."""
    vae = vae or pipeline.vae
    factor = pipeline.vae_scale_factor
    if side is not None and latents.shape[-1] * factor > side:
        latents = F.interpolate(latents, size=(side // factor, side // factor), mode="bilinear", align_corners=False)
    with torch.autocast(latents.device.type, enabled=False):
        latents = latents.to(vae.dtype) / vae.config.scaling_factor
        return (vae.decode(latents).sample.float() / 2 + 0.5).clamp(0, 1)


class CleanPrediction:
    """While entered, a forward hook on the pipeline's UNet keeps the prediction of the clean latents of the
    latest denoising step (`latest`, float32, one row per image of the batch); see the module docstring."""

    def __init__(self, pipeline: DiffusionPipeline) -> None:
        self.pipeline = pipeline
        self.latest: torch.Tensor | None = None
        self._hook: torch.utils.hooks.RemovableHandle | None = None

    def __enter__(self) -> Self:
        self._hook = self.pipeline.unet.register_forward_hook(self._record, with_kwargs=True)
        return self

    def __exit__(self, *_) -> None:
        self._hook.remove()
        self.latest = None

    def _record(self, unet: torch.nn.Module, args: tuple, kwargs: dict, output) -> None:
        sample = (args[0] if args else kwargs["sample"]).detach().float()
        timestep = args[1] if len(args) > 1 else kwargs["timestep"]
        noise = output[0].detach().float()
        pipeline = self.pipeline
        if pipeline.do_classifier_free_guidance:  # the batch is [unconditional; conditional], as the pipeline made it
            unconditional, conditional = noise.chunk(2)
            noise = unconditional + pipeline.guidance_scale * (conditional - unconditional)
            sample = sample.chunk(2)[1]
        self.latest = clean_latents(pipeline.scheduler, sample, noise, timestep)


def clean_latents(scheduler, sample: torch.Tensor, prediction: torch.Tensor, timestep) -> torch.Tensor:
    """x0 from the UNet's input `sample` at `timestep` and its output, by the relation the UNet was trained on:
    sample = √ᾱ·x0 + √(1−ᾱ)·ε, with ᾱ the scheduler's cumulative alpha at the timestep (interpolated between
    the table's entries for samplers whose timesteps fall between them)."""
    table = scheduler.alphas_cumprod
    step = min(max(float(torch.as_tensor(timestep).flatten()[0]), 0.0), len(table) - 1.0)
    low = int(step)
    high = min(low + 1, len(table) - 1)
    alpha_bar = float(table[low] + (step - low) * (table[high] - table[low]))
    signal, noise = alpha_bar**0.5, (1 - alpha_bar) ** 0.5
    kind = scheduler.config.prediction_type
    if kind == "epsilon":
        return (sample - noise * prediction) / signal
    if kind == "v_prediction":
        return signal * sample - noise * prediction
    raise ValueError(f"CLIP guidance reads epsilon or v predictions, not {kind!r}")


class ClipGuidance:
    def __init__(self, scorer: PixelScorer, scale: float) -> None:
        self.scorer, self.scale = scorer, scale
        self._upcast: tuple[torch.nn.Module, torch.nn.Module] | None = None  # (the pipeline's VAE, its fp32 copy)

    def _vae(self, pipeline: DiffusionPipeline) -> torch.nn.Module:
        """The VAE to back-propagate through: the pipeline's own, or, where it would overflow in float16
        (`force_upcast`, as SDXL's), a float32 copy made once rather than a cast of the shared one each step."""
        vae = pipeline.vae
        if vae.dtype != torch.float16 or not vae.config.get("force_upcast"):
            return vae
        if self._upcast is None or self._upcast[0] is not vae:
            self._upcast = (vae, copy.deepcopy(vae).float().requires_grad_(False))
        return self._upcast[1]

    def scores(self, pixels: torch.Tensor, prompts: list[str]) -> torch.Tensor:
        """The CLIP score of each image against its prompt, [B], differentiable in `pixels`."""
        texts = self.scorer.embed_texts(prompts).to(pixels.device)
        return (self.scorer.embed_pixels(pixels) * texts).sum(dim=-1)

    def steer(self, pipeline: DiffusionPipeline, latents: torch.Tensor, clean: torch.Tensor,
              prompts: list[str]) -> torch.Tensor:
        """The latents pushed up the CLIP score's gradient at their predicted clean latents `clean`, one image
        at a time (see the module docstring for the chain rule and the memory)."""
        vae = self._vae(pipeline)
        gradients = []
        for predicted, prompt in zip(clean.split(1), prompts, strict=True):
            with torch.enable_grad():
                predicted = predicted.detach().float().requires_grad_(True)
                score = self.scores(decode(pipeline, predicted, GUIDE_SIDE, vae), [prompt]).sum()
                (gradient,) = torch.autograd.grad(score, predicted)
            gradients.append(gradient)
        gradient = torch.cat(gradients).to(latents.device)
        rms = gradient.pow(2).mean(dim=tuple(range(1, gradient.ndim)), keepdim=True).sqrt().clamp_min(1e-12)
        return (latents.float() + self.scale * gradient / rms).to(latents.dtype)
