"""Prior-preservation images: what the base model draws for the class prompt, drawn once and shared.

DreamBooth's prior loss keeps the model able to draw other people while it learns one person. Those
images depend only on the base model, the class prompt and the resolution, so they are cached under the
data directory (`models/class_images/<model>/<prompt>/<resolution>/`) and every user and every run of
that model reuses them: on a GPU, 100 SDXL images cost minutes that a second user should not pay again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import torch
from diffusers import DiffusionPipeline

from stylist.files import replacing
from stylist.identity.dreambooth_config import DreamBoothConfig
from stylist.presets import Preset

# Images per pipeline call: enough to keep a GPU busy, few enough for SDXL at 1024 in 12 GB.
SAMPLE_BATCH = 4


def class_image_folder(data_dir: Path, preset: Preset, prompt: str, resolution: int) -> Path:
    """Where the class images of one (model, class prompt, resolution) live."""
    model = (preset.image_model or preset.name).replace("/", "--")
    # The slug keeps the folder readable; the digest keeps two prompts with the same slug apart.
    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:60]
    digest = hashlib.sha256(prompt.encode()).hexdigest()[:12]
    return data_dir / "models" / "class_images" / model / f"{slug}-{digest}" / str(resolution)


def class_images(
    pipeline: DiffusionPipeline,
    preset: Preset,
    config: DreamBoothConfig,
    data_dir: Path,
    on_image: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """The first `config.num_class_images` class images, drawing with `pipeline` only those not cached yet.

    `pipeline` must be the preset's base model, before any identity is added to it. `on_image(done, total)`
    is called after each batch that had to be drawn.
    """
    folder = class_image_folder(data_dir, preset, config.class_prompt, config.resolution)
    wanted = [folder / f"{index:04d}.png" for index in range(config.num_class_images)]
    missing = [index for index, path in enumerate(wanted) if not path.exists()]
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(missing), SAMPLE_BATCH):
        chunk = missing[start : start + SAMPLE_BATCH]
        # One CPU generator per image, seeded with its number: image n is the same whichever run draws it
        # and on whichever device, so a run asking for more images extends the set instead of replacing it.
        generators = [torch.Generator().manual_seed(index) for index in chunk]
        images = pipeline(
            prompt=[config.class_prompt] * len(chunk), height=config.resolution, width=config.resolution,
            num_inference_steps=config.class_inference_steps, generator=generators,
        ).images
        for index, image in zip(chunk, images, strict=True):
            # Written beside and renamed into place, so a killed run never leaves a half-written image that
            # the next run would take as cached.
            with replacing(wanted[index]) as partial:
                image.save(partial)
        if on_image:
            on_image(start + len(chunk), len(missing))
    return wanted
