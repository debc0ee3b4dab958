"""CLIP guidance: after each denoising step, move the latents up the gradient of the fashion-CLIP score of
their decoded image against the prompt. Off by default: every step then decodes the batch through the VAE
and backpropagates through it and the CLIP image tower, which costs more than the step itself at 1024 px.

The gradient is taken on the current latents, decoded as they are (the callback sees no noise prediction),
and normalised to unit RMS per image, so `scale` is the size of each push in latent units whatever the
scale of the score's gradient.

Memory: back-propagating through SDXL's VAE decoder at 1024 px keeps about 13 GB of activations per image,
so the batch is guided one image at a time, from latents resized so the decoded image is GUIDE_SIDE px (the
CLIP sees 224 px anyway: a quarter of the pixels costs a sixteenth of the decoder's activations), and in
float32 where the VAE would overflow in float16 (SDXL's, which the pipeline itself upcasts to decode).
"""

from __future__ import annotations

import copy
from typing import Protocol

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

    def steer(self, pipeline: DiffusionPipeline, latents: torch.Tensor, prompts: list[str]) -> torch.Tensor:
        """The latents pushed up their CLIP score's gradient, one image at a time (see the module's memory note)."""
        vae = self._vae(pipeline)
        gradients = []
        for latent, prompt in zip(latents.split(1), prompts, strict=True):
            with torch.enable_grad():
                current = latent.detach().float().requires_grad_(True)
                score = self.scores(decode(pipeline, current, GUIDE_SIDE, vae), [prompt]).sum()
                (gradient,) = torch.autograd.grad(score, current)
            gradients.append(gradient)
        gradient = torch.cat(gradients)
        rms = gradient.pow(2).mean(dim=tuple(range(1, gradient.ndim)), keepdim=True).sqrt().clamp_min(1e-12)
        return (latents.float() + self.scale * gradient / rms).to(latents.dtype)
