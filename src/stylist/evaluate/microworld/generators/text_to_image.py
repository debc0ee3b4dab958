"""The micro-world's text-to-image model: a 1.4M-parameter UNet on pixels and a 2-layer CLIP text encoder.

The real diffusers and transformers classes, in SD 1.x's shape (cross-attention on the text encoder's hidden
states, no pooled embedding), so the DreamBooth trainer's own functions train it. Its "latents" are the
pictures themselves, each 2×2 block of pixels folded into channels (32×32×3 → 16×16×12): lossless, unlike
a VAE that would need training of its own, and half the compute of a UNet run at 32×32. Attention runs
only at 8×8 and in the middle block, where it is cheap on a CPU.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import DDIMScheduler, DDPMScheduler, DiffusionPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from stylist.evaluate.microworld.world.figures import SIZE
from stylist.models.tiny import CLIP_TEXT_IDS
from stylist.models.tokenizer import clip_tokenizer

# Captions are at most ten words; 16 positions hold them with the start and end tokens.
TOKENS = 16
FOLD = 2  # pixels per side folded into one latent position
LATENT_CHANNELS = 3 * FOLD * FOLD
UNET = dict(
    sample_size=SIZE // FOLD, in_channels=LATENT_CHANNELS, out_channels=LATENT_CHANNELS, block_out_channels=(64, 64),
    layers_per_block=1, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
    up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
    cross_attention_dim=64, attention_head_dim=8, norm_num_groups=8,
)
TEXT_ENCODER = dict(CLIP_TEXT_IDS, max_position_embeddings=TOKENS, hidden_size=64, intermediate_size=128,
                    num_hidden_layers=2, num_attention_heads=4)
# A cosine schedule (Nichol & Dhariwal 2021): the linear one spends most steps on noise a 32-pixel picture
# cannot be told apart from.
NOISE_SCHEDULE = dict(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction",
                      clip_sample=True)
SAMPLING_STEPS = 25
GUIDANCE = 3.0  # 4 over-saturates the backgrounds (NOTES.md)


class MicroPipeline(DiffusionPipeline):
    """Classifier-free-guided DDIM sampling of folded pixels, from the models it is handed."""

    def __init__(self, unet: UNet2DConditionModel, text_encoder: CLIPTextModel, tokenizer: CLIPTokenizer,
                 scheduler: DDIMScheduler) -> None:
        super().__init__()
        self.register_modules(unet=unet, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler)

    def token_ids(self, prompts: list[str]) -> torch.Tensor:
        return self.tokenizer(prompts, padding="max_length", max_length=TOKENS, truncation=True,
                              return_tensors="pt").input_ids

    @torch.no_grad()
    def __call__(self, prompts: list[str], generator: torch.Generator, guidance_scale: float = GUIDANCE,
                 num_inference_steps: int = SAMPLING_STEPS, batch_size: int = 128) -> np.ndarray:
        """One (32, 32, 3) uint8 picture per prompt; the same generator gives the same pictures."""
        self.unet.eval()
        self.text_encoder.eval()
        noise = torch.randn((len(prompts), LATENT_CHANNELS, SIZE // FOLD, SIZE // FOLD), generator=generator)
        pictures = [self._sample(prompts[start:start + batch_size], noise[start:start + batch_size], guidance_scale,
                                 num_inference_steps) for start in range(0, len(prompts), batch_size)]
        return np.concatenate(pictures)

    def _sample(self, prompts: list[str], sample: torch.Tensor, guidance_scale: float, steps: int) -> np.ndarray:
        hidden = self.text_encoder(self.token_ids(prompts + [""] * len(prompts)))[0]
        self.scheduler.set_timesteps(steps)
        for timestep in self.scheduler.timesteps:
            conditional, unconditional = self.unet(torch.cat([sample, sample]), timestep, hidden).sample.chunk(2)
            prediction = unconditional + guidance_scale * (conditional - unconditional)
            sample = self.scheduler.step(prediction, timestep, sample).prev_sample
        return to_pictures(sample)


def noise_scheduler() -> DDPMScheduler:
    """The training forward process; sampling uses DDIM on the same betas."""
    return DDPMScheduler(**NOISE_SCHEDULE)


def new_pipeline(seed: int = 0) -> MicroPipeline:
    """An untrained model drawn from `seed`; the caller's random state is left as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        unet = UNet2DConditionModel(**UNET)
        text_encoder = CLIPTextModel(CLIPTextConfig(**TEXT_ENCODER))
    tokenizer = clip_tokenizer()
    tokenizer.model_max_length = TOKENS  # the DreamBooth trainer's `tokenize` pads to this length
    return MicroPipeline(unet, text_encoder, tokenizer, DDIMScheduler.from_config(noise_scheduler().config))


def to_latents(images: np.ndarray) -> torch.Tensor:
    """(N, 32, 32, 3) uint8 pictures as the UNet's (N, 12, 16, 16) latents in [-1, 1]."""
    pixels = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
    return F.pixel_unshuffle(pixels, FOLD)


def to_pictures(latents: torch.Tensor) -> np.ndarray:
    """The inverse of `to_latents`, clipped to the picture's range."""
    pixels = F.pixel_shuffle(latents.clamp(-1, 1), FOLD)
    return ((pixels + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
