"""How a look's pictures are drawn: every knob an ablation turns, as one plain value (configs as data, as
diffusers does), so that the CLI, the worker, the evaluation grid and the benchmarks pass the same thing.

Torch-free: the CLI checks a recipe before any model is imported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from stylist.errors import StylistError
from stylist.models.presets import FACE_ADAPTER_SCALE

DEFAULT_OPTIONS = 4  # options in a look, unless asked for others
DEFAULT_CANDIDATES = 2  # per option; the fast first look draws one
# How strongly the product board steers the picture. The "plus" adapter at 0.5 keeps colours and shapes of
# the garments while the text still decides pose and scene; higher pastes the board's layout in.
DEFAULT_PRODUCT_SCALE = 0.5


@dataclass(frozen=True)
class Recipe:
    """The drawing settings of one look. None means the sampler's own default (the normal or the fast one)."""

    fast: bool = False  # the instant first look: LCM-LoRA or a few-step sampler, one candidate per option
    candidates: int | None = None  # drawn per option, the best kept [2; fast 1]
    steps: int | None = None  # denoising steps [30; fast 4 with LCM-LoRA, else 8]
    guidance_scale: float | None = None  # classifier-free guidance [5; 1 with LCM-LoRA]
    face_scale: float = FACE_ADAPTER_SCALE  # the face adapter, for a person without a trained identity
    product_scale: float = DEFAULT_PRODUCT_SCALE  # the products' own pictures
    clip_guidance: float = 0.0  # steer sampling with the fashion CLIP's gradient (slow; 0 is off)

    def __post_init__(self) -> None:
        if (self.candidates is not None and self.candidates < 1) or (self.steps is not None and self.steps < 1):
            raise StylistError("candidates and steps must be at least 1")
        if min(self.face_scale, self.product_scale, self.clip_guidance, self.guidance_scale or 0.0) < 0:
            raise StylistError("scales and guidance cannot be negative")

    @property
    def candidates_per_option(self) -> int:
        return self.candidates or (1 if self.fast else DEFAULT_CANDIDATES)

    def to_json(self) -> dict:
        return {**asdict(self), "candidates": self.candidates_per_option}
