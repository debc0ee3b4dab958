"""The SDXL path's mechanism in the micro-world: IP-Adapter's decoupled cross-attention on part 1's UNet.

As stylist attaches a face adapter and a product adapter to SDXL (models/face_adapter.py), this attaches two
adapters to the micro-world UNet: image slot 1 (the person's photo) and slot 2 (the product shot). Each
image becomes 4 tokens through diffusers' `ImageProjection` (the plain IP-Adapter's projection of one pooled
image vector), and diffusers' `IPAdapterAttnProcessor2_0` adds their attention to every cross-attention
layer's, with key and value projections of their own. stylist's own adapters are IP-Adapter "plus" (a
Resampler over patch features); in the micro-world a Resampler trained from scratch carried nothing into the
picture in 1,200 steps (the marker as often from another person's photo as from the person's own), where
this projection carried the hat and the garment's category (docs/microworld.md). The
text still enters where it always did. Images enter only through these layers, which (part 1's UNet) sit
at 8×8 and in the middle block: whether a pattern printed 3 pixels apart survives that is what the
measurement asks.

What differs from IP-Adapter, and why: its image encoder is a frozen CLIP ViT and its base model is frozen.
The micro-world has no pretrained image encoder, and a base that never saw a pattern or a marker hat could
not draw one however well it were told; so a small convolutional encoder and the UNet train with the
adapters, from scratch. A missing image (one slot empty) is a zero embedding.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import DDIMScheduler, UNet2DConditionModel
from diffusers.models.attention_processor import AttnProcessor2_0, IPAdapterAttnProcessor2_0
from diffusers.models.embeddings import ImageProjection, MultiIPAdapterImageProjection
from torch import nn
from transformers import CLIPTextConfig, CLIPTextModel

from stylist.evaluate.microworld.generators.text_to_image import (
    LATENT_CHANNELS,
    TEXT_ENCODER,
    TOKENS,
    UNET,
    noise_scheduler,
    to_latents,
    to_pictures,
)
from stylist.evaluate.microworld.world.figures import SIZE
from stylist.evaluate.microworld.world.wardrobe import Examples
from stylist.models.tokenizer import clip_tokenizer

SLOTS = 2  # image 1: the person's photo; image 2: the product shot
IMAGE_TOKENS = 4
EMBEDDING = 128
SAMPLING_STEPS = 25
# Which adapter each task's images go to, in order.
TASK_SLOTS = {"garment": [1], "identity": [0], "both": [0, 1], "none": []}


class ImageEncoder(nn.Module):
    """A 32-pixel picture as one vector, the role CLIP's image tower plays for IP-Adapter."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1), nn.SiLU(),  # 16×16
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.SiLU(),  # 8×8
            nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.SiLU(),  # 4×4
            nn.Flatten(), nn.Linear(64 * 4 * 4, EMBEDDING),
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.layers(pixels)


def attach_adapters(unet: UNet2DConditionModel) -> None:
    """Two image projections and IP-Adapter attention processors, as diffusers' `load_ip_adapter` sets them up."""
    cross = unet.config.cross_attention_dim
    unet.encoder_hid_proj = MultiIPAdapterImageProjection(
        [ImageProjection(EMBEDDING, cross, IMAGE_TOKENS) for _ in range(SLOTS)])
    unet.register_to_config(encoder_hid_dim_type="ip_image_proj")
    processors = {}
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            processors[name] = AttnProcessor2_0()
            continue
        if name.startswith("mid_block"):
            hidden = unet.config.block_out_channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(unet.config.block_out_channels))[int(name.split(".")[1])]
        else:
            hidden = unet.config.block_out_channels[int(name.split(".")[1])]
        processors[name] = IPAdapterAttnProcessor2_0(hidden, cross, num_tokens=[IMAGE_TOKENS] * SLOTS,
                                                     scale=[1.0] * SLOTS)
    unet.set_attn_processor(processors)


class AdapterGenerator:
    """UNet with two image adapters, text encoder, image encoder and sampler; `loss` trains it, calling it samples."""

    def __init__(self, seed: int = 0) -> None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.unet = UNet2DConditionModel(**UNET)
            self.text_encoder = CLIPTextModel(CLIPTextConfig(**TEXT_ENCODER))
            self.image_encoder = ImageEncoder()
            attach_adapters(self.unet)
        self.tokenizer = clip_tokenizer()
        self.training_schedule = noise_scheduler()
        self.scheduler = DDIMScheduler.from_config(self.training_schedule.config)
        self.text_encoder.get_input_embeddings().requires_grad_(False)

    def modules(self) -> list[torch.nn.Module]:
        return [self.unet, self.text_encoder, self.image_encoder]

    def encode(self, prompts: list[str]) -> torch.Tensor:
        ids = self.tokenizer(prompts, padding="max_length", max_length=TOKENS, truncation=True,
                             return_tensors="pt").input_ids
        return self.text_encoder(ids)[0]

    def image_embeds(self, batch: Examples) -> list[torch.Tensor]:
        """One (B, 1, EMBEDDING) tensor per slot, the task's images in their slots and zeros in the others."""
        embeds = [torch.zeros(len(batch.targets), 1, EMBEDDING) for _ in range(SLOTS)]
        for slot, images in zip(TASK_SLOTS[batch.task], batch.references, strict=True):
            pixels = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1
            embeds[slot] = self.image_encoder(pixels).unsqueeze(1)
        return embeds

    def predict(self, noisy: torch.Tensor, timestep: torch.Tensor, text: torch.Tensor,
                embeds: list[torch.Tensor]) -> torch.Tensor:
        return self.unet(noisy, timestep, text, added_cond_kwargs={"image_embeds": embeds}).sample

    def loss(self, batch: Examples, generator: torch.Generator) -> torch.Tensor:
        clean = to_latents(batch.targets)
        noise = torch.randn(clean.shape, generator=generator)
        timestep = torch.randint(0, self.training_schedule.config.num_train_timesteps, (len(clean),),
                                 generator=generator)
        noisy = self.training_schedule.add_noise(clean, noise, timestep)
        prediction = self.predict(noisy, timestep, self.encode(batch.prompts), self.image_embeds(batch))
        return F.mse_loss(prediction, self.training_schedule.get_velocity(clean, noise, timestep))

    @torch.no_grad()
    def __call__(self, batch: Examples, generator: torch.Generator,
                 num_inference_steps: int = SAMPLING_STEPS) -> np.ndarray:
        """One (32, 32, 3) uint8 picture per example of `batch`, from its prompt and images."""
        for module in self.modules():
            module.eval()
        sample = torch.randn((len(batch.targets), LATENT_CHANNELS, SIZE // 2, SIZE // 2), generator=generator)
        text = self.encode(batch.prompts)
        embeds = self.image_embeds(batch)
        self.scheduler.set_timesteps(num_inference_steps)
        for timestep in self.scheduler.timesteps:
            sample = self.scheduler.step(self.predict(sample, timestep, text, embeds), timestep, sample).prev_sample
        return to_pictures(sample)
