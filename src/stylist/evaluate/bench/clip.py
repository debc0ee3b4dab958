"""Fashion CLIP benchmark: images/s and texts/s of a preset's CLIP architecture with random weights.

The time depends on shapes, not values, so nothing is downloaded; bf16 autocast on a GPU, fp32 on the CPU.
`stylist bench gpu` runs it alone; benchmarks/index_bench.py runs it beside its product-index benchmark
(`--clip-preset`).
"""

from __future__ import annotations

import time
from typing import Any

import torch

from stylist.grounding.fashion_clip import ClipConfig, FashionClip
from stylist.models.device import resolve_device
from stylist.presets import get_preset


def run(*, preset: str, device: str = "auto", batch: int = 64, batches: int = 5) -> dict[str, Any]:
    """Embedding throughput over `batches` batches of `batch` images, then of as many texts, after a warm-up."""
    found = get_preset(preset)
    torch_device = resolve_device(device)
    model = FashionClip(ClipConfig(found.clip_model, None, 0)).to(torch_device).eval()  # random weights: no download
    size = model.image_size
    pixels = torch.randn(batch, 3, size, size, device=torch_device)
    tokens = model.tokenizer(["a red striped cotton dress by Maison Nord, midi length"] * batch).to(torch_device)

    def rate(encode, inputs) -> float:
        with torch.no_grad(), model._autocast():
            encode(inputs)  # warm-up
            if torch_device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(batches):
                encode(inputs)
            if torch_device.type == "cuda":
                torch.cuda.synchronize()
        return round(batch * batches / (time.perf_counter() - start), 1)

    return {"preset": found.name, "model": found.clip_model, "device": str(torch_device), "image_size": size,
            "batch": batch, "images_per_s": rate(model.encode_pixels, pixels),
            "texts_per_s": rate(model.encode_tokens, tokens),
            "parameters": sum(parameter.numel() for parameter in model.parameters())}
