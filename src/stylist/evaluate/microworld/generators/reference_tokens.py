"""The micro-world's reference-conditioned generator: FLUX.2 klein's conditioning mechanism at 32 pixels.

The real diffusers `Flux2Transformer2DModel` (double-stream then single-stream blocks, 4-axis RoPE), fed as
`Flux2KleinPipeline` feeds it: the noisy picture's tokens, then every reference image's tokens, in one
sequence that attends jointly with the text's tokens; position ids from the pipeline's own helpers, so that
image k's tokens sit at time coordinate 10·k (the noisy picture at 0) and only the first picture's outputs
are the prediction. A rectified flow (x_t = (1−t)·x_0 + t·ε, predicting ε − x_0) as FLUX trains, sampled
with `FlowMatchEulerDiscreteScheduler`. The klein pipeline class itself is not used: it refuses
references under 64 pixels and needs a VAE and a Qwen text encoder, neither of which the micro-world has
(pictures are folded 4×4 into 48 channels instead, lossless; the text encoder is part 1's small CLIP).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import FlowMatchEulerDiscreteScheduler, Flux2KleinPipeline, Flux2Transformer2DModel
from transformers import CLIPTextConfig, CLIPTextModel

from stylist.evaluate.microworld.generators.text_to_image import TEXT_ENCODER, TOKENS
from stylist.evaluate.microworld.world.figures import SIZE
from stylist.evaluate.microworld.world.wardrobe import Examples
from stylist.models.tokenizer import clip_tokenizer

FOLD = 4  # pixels per side folded into one token: 32×32×3 → 8×8 tokens of 48 channels
TRANSFORMER = dict(patch_size=1, in_channels=3 * FOLD * FOLD, num_layers=2, num_single_layers=2, attention_head_dim=32,
                   num_attention_heads=4, joint_attention_dim=TEXT_ENCODER["hidden_size"],
                   timestep_guidance_channels=64, axes_dims_rope=(8, 8, 8, 8), guidance_embeds=False)
SAMPLING_STEPS = 20


def fold(images: np.ndarray, token_pixels: int = FOLD) -> torch.Tensor:
    """(N, 32, 32, 3) uint8 pictures as (N, 3·p², 32/p, 32/p) in [-1, 1] for p `token_pixels`: (N, 48, 8, 8) at 4."""
    pixels = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1
    return F.pixel_unshuffle(pixels, token_pixels)


def unfold(latents: torch.Tensor, token_pixels: int = FOLD) -> np.ndarray:
    pixels = F.pixel_shuffle(latents.clamp(-1, 1), token_pixels)
    return ((pixels + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


class ReferenceGenerator:
    """Transformer, text encoder and sampler; `loss` trains it, calling it samples. `token_pixels` is the pixels
    per side of one token (4: 64 tokens a picture; 2: 256, four times the sequence, for the prints benchmark)."""

    def __init__(self, seed: int = 0, token_pixels: int = FOLD) -> None:
        self.token_pixels = token_pixels
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.transformer = Flux2Transformer2DModel(**TRANSFORMER | {"in_channels": 3 * token_pixels ** 2})
            self.text_encoder = CLIPTextModel(CLIPTextConfig(**TEXT_ENCODER))
        self.tokenizer = clip_tokenizer()
        self.scheduler = FlowMatchEulerDiscreteScheduler(shift=1.0)
        # As in part 1: random token embeddings already tell the few words apart.
        self.text_encoder.get_input_embeddings().requires_grad_(False)

    def modules(self) -> list[torch.nn.Module]:
        return [self.transformer, self.text_encoder]

    def encode(self, prompts: list[str]) -> torch.Tensor:
        ids = self.tokenizer(prompts, padding="max_length", max_length=TOKENS, truncation=True,
                             return_tensors="pt").input_ids
        return self.text_encoder(ids)[0]

    def predict(self, noisy: torch.Tensor, sigma: torch.Tensor, text: torch.Tensor,
                references: list[torch.Tensor]) -> torch.Tensor:
        """The flow's velocity for folded `noisy` pictures ((B, 48, 8, 8) at 4-pixel tokens) at noise level `sigma` (B,), as the klein
        pipeline asks its transformer: reference tokens appended to the picture's, sharing its attention."""
        tokens = Flux2KleinPipeline._pack_latents(noisy)
        ids = Flux2KleinPipeline._prepare_latent_ids(noisy)
        if references:
            tokens = torch.cat([tokens, *(Flux2KleinPipeline._pack_latents(image) for image in references)], dim=1)
            image_ids = Flux2KleinPipeline._prepare_image_ids([image[:1] for image in references])
            ids = torch.cat([ids, image_ids.expand(len(noisy), -1, -1)], dim=1)
        output = self.transformer(hidden_states=tokens, timestep=sigma, encoder_hidden_states=text,
                                  txt_ids=Flux2KleinPipeline._prepare_text_ids(text), img_ids=ids,
                                  return_dict=False)[0]
        return output[:, : noisy.shape[2] * noisy.shape[3]].transpose(1, 2).reshape(noisy.shape)

    def loss(self, batch: Examples, generator: torch.Generator) -> torch.Tensor:
        clean = fold(batch.targets, self.token_pixels)
        noise = torch.randn(clean.shape, generator=generator)
        # Noise levels drawn logit-normally, as SD3 and FLUX train: most of them mid-way, where content forms.
        sigma = torch.sigmoid(torch.randn(len(clean), generator=generator))
        noisy = (1 - sigma.view(-1, 1, 1, 1)) * clean + sigma.view(-1, 1, 1, 1) * noise
        prediction = self.predict(noisy, sigma, *self.condition(batch))
        return F.mse_loss(prediction, noise - clean)

    def condition(self, batch: Examples) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """What the transformer is given beside the noisy picture: the text's states, and the images as
        reference tokens (folded pictures), as klein gives them."""
        return self.encode(batch.prompts), [fold(images, self.token_pixels) for images in batch.references]

    @torch.no_grad()
    def __call__(self, batch: Examples, generator: torch.Generator,
                 num_inference_steps: int = SAMPLING_STEPS, guidance: float = 1.0) -> np.ndarray:
        """One (32, 32, 3) uint8 picture per example of `batch`, from its prompt and images (image k is
        `batch.references[k - 1]`). `guidance` above 1 pushes each step away from the model's picture with no
        image, by that factor, at twice the cost: classifier-free guidance on the task, whose unconditioned
        branch is the `none` task (no image, and its own prompt), one step in seven of training."""
        for module in self.modules():
            module.eval()
        count = len(batch.targets)
        side = SIZE // self.token_pixels
        sample = torch.randn((count, 3 * self.token_pixels ** 2, side, side), generator=generator)
        given = self.condition(batch)
        guided = guidance != 1 and bool(batch.references)
        unconditioned = self.condition(replace(batch, task="none", references=[])) if guided else given
        self.scheduler.set_timesteps(num_inference_steps)
        for timestep in self.scheduler.timesteps:
            sigma = (timestep / 1000).expand(count)
            velocity = self.predict(sample, sigma, *given)
            if guided:
                without = self.predict(sample, sigma, *unconditioned)
                velocity = without + guidance * (velocity - without)
            sample = self.scheduler.step(velocity, timestep, sample).prev_sample
        return unfold(sample, self.token_pixels)
