"""What the DreamBooth loop trains on: the user's face crops and body squares, the class images as VAE
latents, the two prompts as text-encoder conditioning, and batches that put instance rows first and class rows
second.

Latents are kept as the VAE's latent distributions (mean and standard deviation) and sampled afresh for
every batch, so caching them changes the cost of a step but not what the model sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL, DiffusionPipeline
from PIL import Image

from stylist.people.photos import body_box, crop_box
from stylist.people.users import User, body_crops, face_crops

# Images per VAE call while caching: 200 class images at 1024×1024 in one call would not fit a GPU.
ENCODE_BATCH = 4
# A body square joins the instance images when it is at least this much wider than the face crop.
BODY_OVER_FACE = 1.5


@dataclass(frozen=True)
class TrainingImage:
    path: Path
    # (height, width) of the pixels the image was resized from: SDXL's size conditioning.
    original_size: tuple[int, int]


def instance_images(user: User, resolution: int) -> list[TrainingImage]:
    """The user's face crops at `resolution`, and beside them each photo's body square where it shows more of
    the person than the face crop does, each with the size of its square in the photo it was cut from.

    Face crops alone teach the identifier a head-and-shoulders framing, which then fights full-length outfit
    prompts; the body squares show the person's build and how they stand, in the framing looks ask for.

    SDXL was trained with the source size as a condition, so that upscaled, soft images are told apart from
    sharp ones. A crop upscaled from a 300-pixel square is conditioned on 300×300 here; generation asks for
    the full resolution, and the softness stays with the condition instead of becoming part of the face.
    The crop itself is the composition the model should learn, so its crop offset is (0, 0).
    """
    images = []
    bodies = []
    for face, body, photo in zip(face_crops(user, resolution), body_crops(user, resolution), user.photos, strict=True):
        with Image.open(photo.file) as original:
            size = original.size
        left, _, right, _ = crop_box(size, photo.face)
        side = round(right - left)
        images.append(TrainingImage(face, (side, side)))
        body_left, _, body_right, _ = body_box(size, photo.face)
        body_side = round(body_right - body_left)
        if body_side >= BODY_OVER_FACE * side:  # else the square is the face crop again
            bodies.append(TrainingImage(body, (body_side, body_side)))
    return images + bodies


def class_training_images(paths: Sequence[Path], resolution: int) -> list[TrainingImage]:
    """Class images are drawn at the training resolution, so nothing was resized."""
    return [TrainingImage(path, (resolution, resolution)) for path in paths]


def sdxl_time_ids(image: TrainingImage, resolution: int) -> list[int]:
    """SDXL's micro-conditioning: original size, crop top-left, target size, as in `_get_add_time_ids`."""
    return [*image.original_size, 0, 0, resolution, resolution]


@dataclass
class Prompts:
    """Text conditioning, one row per prompt: row 0 the instance prompt, row 1 the class prompt."""

    hidden: torch.Tensor  # (prompts, tokens, cross-attention width)
    pooled: torch.Tensor | None  # (prompts, projection width): SDXL's text_embeds; None for SD 1.x


def tokenize(tokenizers: Sequence, prompts: Sequence[str]) -> list[torch.Tensor]:
    """Token ids for each tokenizer, padded to its full length as the pipelines pad them."""
    return [
        tokenizer(list(prompts), padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                  return_tensors="pt").input_ids
        for tokenizer in tokenizers
    ]


def encode_prompts(text_encoders: Sequence[torch.nn.Module], token_ids: Sequence[torch.Tensor], sdxl: bool,
                   device: torch.device) -> Prompts:
    """The conditioning the pipelines' own `encode_prompt` computes, from modules that may be wrapped for DDP.

    Written out rather than calling the pipeline's method so that, when the encoders are trained, their
    forward passes go through accelerate's wrappers and their gradients are synchronised between GPUs.
    """
    if not sdxl:
        (encoder,), (ids,) = text_encoders, token_ids
        return Prompts(hidden=encoder(ids.to(device))[0], pooled=None)
    hidden = []
    for encoder, ids in zip(text_encoders, token_ids, strict=True):
        output = encoder(ids.to(device), output_hidden_states=True)
        # SDXL reads the penultimate layer of both encoders side by side ...
        hidden.append(output.hidden_states[-2])
    # ... and the pooled, projected output of the second one.
    return Prompts(hidden=torch.cat(hidden, dim=-1), pooled=output[0])


class ImageLatents:
    """A set of images as the VAE sees them: latent distributions encoded once, or pixels encoded per batch."""

    def __init__(self, vae: AutoencoderKL, pixels: torch.Tensor, cache: bool) -> None:
        """`pixels` stay on the CPU when not cached: 200 class images at 1024×1024 are 2.5 GB."""
        self.vae = vae
        self.pixels = None if cache else pixels
        if cache:
            parts = [self._encode(chunk) for chunk in pixels.split(ENCODE_BATCH)]
            self.mean = torch.cat([mean for mean, _ in parts])
            self.std = torch.cat([std for _, std in parts])

    def __len__(self) -> int:
        return len(self.pixels if self.pixels is not None else self.mean)

    @torch.no_grad()
    def _encode(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # SDXL's VAE overflows in fp16; it is upcast for encoding only, because the pipeline's own decode
        # (class and validation images) upcasts an fp16 VAE itself and fails on an fp32 one fed fp16 latents.
        upcast = self.vae.dtype == torch.float16 and self.vae.config.force_upcast
        if upcast:
            self.vae.to(torch.float32)
        try:
            distribution = self.vae.encode(pixels.to(self.vae.device, self.vae.dtype)).latent_dist
        finally:
            if upcast:
                self.vae.to(torch.float16)
        return distribution.mean.float(), distribution.std.float()

    def sample(self, rows: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """A draw from each row's latent distribution, scaled as the UNet expects latents."""
        if self.pixels is None:
            mean, std = self.mean[rows], self.std[rows]
        else:
            mean, std = self._encode(self.pixels[rows.cpu()])
        noise = torch.randn(mean.shape, generator=generator, device=mean.device)
        return (mean + std * noise) * self.vae.config.scaling_factor


@dataclass
class Batch:
    latents: torch.Tensor  # instance rows first, then class rows
    prompt_rows: torch.Tensor  # each row's prompt: 0 the instance prompt, 1 the class prompt
    time_ids: torch.Tensor | None  # SDXL's size conditioning per row; None for SD 1.x
    instances: int  # how many rows, from the top, are the user's photos


@dataclass
class TrainingData:
    instance: ImageLatents
    instance_time_ids: torch.Tensor | None
    classes: ImageLatents | None  # None without prior preservation
    class_time_ids: torch.Tensor | None

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        """`batch_size` random photos and, with prior preservation, as many random class images after them.

        The DreamBooth paper's loss needs both halves in one forward pass, with one noise draw and one
        timestep per row.
        """
        device = generator.device
        rows = torch.randint(len(self.instance), (batch_size,), generator=generator, device=device)
        latents = [self.instance.sample(rows, generator)]
        time_ids = [self.instance_time_ids[rows]] if self.instance_time_ids is not None else []
        prompt_rows = torch.zeros(batch_size, dtype=torch.long, device=device)
        if self.classes is not None:
            class_rows = torch.randint(len(self.classes), (batch_size,), generator=generator, device=device)
            latents.append(self.classes.sample(class_rows, generator))
            if self.class_time_ids is not None:
                time_ids.append(self.class_time_ids[class_rows])
            prompt_rows = torch.cat([prompt_rows, torch.ones_like(prompt_rows)])
        return Batch(latents=torch.cat(latents), prompt_rows=prompt_rows,
                     time_ids=torch.cat(time_ids) if time_ids else None, instances=batch_size)


def training_data(pipeline: DiffusionPipeline, instance: Sequence[TrainingImage], classes: Sequence[TrainingImage],
                  resolution: int, cache_latents: bool, sdxl: bool, device: torch.device) -> TrainingData:
    """Load and preprocess the images; `classes` is empty without prior preservation."""

    def latents(images: Sequence[TrainingImage]) -> ImageLatents:
        pictures = []
        for image in images:
            with Image.open(image.path) as picture:
                pictures.append(picture.convert("RGB"))
        # The pipeline's own preprocessing: resize to the resolution and scale to [-1, 1].
        pixels = pipeline.image_processor.preprocess(pictures, height=resolution, width=resolution)
        return ImageLatents(pipeline.vae, pixels, cache_latents)

    def time_ids(images: Sequence[TrainingImage]) -> torch.Tensor | None:
        if not sdxl:
            return None
        return torch.tensor([sdxl_time_ids(image, resolution) for image in images], dtype=torch.float32, device=device)

    return TrainingData(
        instance=latents(instance), instance_time_ids=time_ids(instance),
        classes=latents(classes) if classes else None, class_time_ids=time_ids(classes) if classes else None,
    )
