"""IP-Adapter's way in for images, on the reference-token arm's own backbone: the fair comparison of the two.

Part 2 compared klein's reference tokens on a FLUX.2 transformer with IP-Adapter on part 1's UNet, trained for
half the steps: a difference of backbone and budget as much as of mechanism. Here both arms are the same
`Flux2TransformerModel` (reference_tokens.ReferenceGenerator, the same config, text encoder, flow and sampler),
trained for the same steps; only the way an image gets in differs:
- **reference tokens** (klein): the image's own pixels, folded into 64 tokens, in the picture's sequence, at
  positions of their own;
- **adapter tokens** (IP-Adapter): an image encoder's features, projected into a few tokens per image that
  join the text's states, by a projection of its own for each slot (the person's photo, the product shot), as
  stylist attaches a face adapter and a product adapter. `plus` (the default, what stylist's real adapters
  are) is diffusers' `IPAdapterPlusImageProjection`, a Resampler of 16 learnt queries over the encoder's 8×8
  patch features; otherwise diffusers' `ImageProjection`, 4 tokens from one pooled vector.
An MMDiT has no cross-attention for IP-Adapter to decouple: its text stream is the context, with weights of
its own, so image tokens joining it (as FLUX.1 Redux feeds image embeddings to FLUX) is the adapter's place
here. As in part 2, the image encoder trains from scratch with everything else: there is no pretrained tower.
"""

from __future__ import annotations

import numpy as np
import torch
from diffusers.models.embeddings import ImageProjection, IPAdapterPlusImageProjection
from torch import nn

from stylist.evaluate.microworld.generators.reference_tokens import TRANSFORMER, ReferenceGenerator
from stylist.evaluate.microworld.world.wardrobe import Examples

SLOTS = 2  # the person's photo, the product shot
TASK_SLOTS = {"garment": [1], "identity": [0], "both": [0, 1], "none": []}
FEATURES = 64
PLUS_TOKENS = 16
PLAIN_TOKENS = 4


class PatchEncoder(nn.Module):
    """A 32-pixel picture as 8×8 patch features (B, 64, FEATURES): the image tower's place."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Conv2d(3, 32, 3, stride=2, padding=1), nn.SiLU(),
                                    nn.Conv2d(32, FEATURES, 3, stride=2, padding=1), nn.SiLU(),
                                    nn.Conv2d(FEATURES, FEATURES, 3, padding=1))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.layers(pixels).flatten(2).transpose(1, 2)


class AdapterTokensGenerator(ReferenceGenerator):
    """ReferenceGenerator with images entering as adapter tokens in the text's states instead of reference tokens."""

    def __init__(self, seed: int = 0, plus: bool = True) -> None:
        super().__init__(seed)
        self.plus = plus
        width = TRANSFORMER["joint_attention_dim"]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1)
            self.image_encoder = PatchEncoder()
            self.projections = nn.ModuleList([
                IPAdapterPlusImageProjection(embed_dims=FEATURES, output_dims=width, hidden_dims=128, depth=2,
                                             dim_head=32, heads=4, num_queries=PLUS_TOKENS) if plus
                else ImageProjection(FEATURES, width, PLAIN_TOKENS) for _ in range(SLOTS)])

    def modules(self) -> list[torch.nn.Module]:
        return [*super().modules(), self.image_encoder, self.projections]

    def condition(self, batch: Examples) -> tuple[torch.Tensor, list[torch.Tensor]]:
        states = [self.encode(batch.prompts)]
        for slot, images in zip(TASK_SLOTS[batch.task], batch.references, strict=True):
            pixels = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1
            patches = self.image_encoder(pixels)
            states.append(self.projections[slot](patches if self.plus else patches.mean(dim=1)))
        return torch.cat(states, dim=1), []
