"""Which torch device and dtype a run uses: `--device auto|cpu|cuda` and the precision that device does best."""

from __future__ import annotations

import torch

from stylist.errors import StylistError
from stylist.settings import DEVICES


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """`auto` picks the GPU when torch sees one; asking for `cuda` without one is the user's error."""
    if isinstance(name, torch.device):
        return name
    if name not in DEVICES:
        raise StylistError(f"unknown device {name!r}: choose one of {', '.join(DEVICES)}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise StylistError("--device cuda was asked for but torch sees no CUDA GPU here: use --device cpu or auto")
    return torch.device(name)


def default_dtype(device: torch.device) -> torch.dtype:
    """bf16 where the GPU supports it (no fp16 overflow in SDXL's VAE), else fp16 on GPUs, fp32 on the CPU.

    Half precision on the CPU is slower than fp32 and many CPU kernels lack it, so the CPU stays in fp32.
    """
    if device.type != "cuda":
        return torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
