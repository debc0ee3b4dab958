"""How a look's pictures are drawn: every knob an ablation turns, as one plain value (configs as data, as
diffusers does), so that the CLI, the worker, the evaluation grid and the benchmarks pass the same thing.

Torch-free: the CLI checks a recipe before any model is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from stylist.errors import StylistError
from stylist.presets import FACE_ADAPTER_SCALE, Preset

DEFAULT_OPTIONS = 4  # options in a look, unless asked for others
DEFAULT_CANDIDATES = 2  # per option; the fast first look draws one
# How strongly the product board steers the picture. The "plus" adapter at 0.5 keeps colours and shapes of
# the garments while the text still decides pose and scene; higher pastes the board's layout in.
DEFAULT_PRODUCT_SCALE = 0.5
# Sides of a look are a multiple of this (klein's latents are 16-pixel patches; SDXL's and SD's are 8), and at
# most this many times the preset's training side: FLUX.2 draws up to 4 MP, SDXL's quality falls off beyond.
SIZE_MULTIPLE = 16
MAX_SIZE_FACTOR = 2


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
    size: tuple[int, int] | None = None  # (width, height) of the pictures [the preset's portrait frame]

    def __post_init__(self) -> None:
        if (self.candidates is not None and self.candidates < 1) or (self.steps is not None and self.steps < 1):
            raise StylistError("candidates and steps must be at least 1")
        if min(self.face_scale, self.product_scale, self.clip_guidance, self.guidance_scale or 0.0) < 0:
            raise StylistError("scales and guidance cannot be negative")

    @property
    def candidates_per_option(self) -> int:
        return self.candidates or (1 if self.fast else DEFAULT_CANDIDATES)

    def for_preset(self, preset: Preset) -> Recipe:
        """This recipe with its size settled for `preset`: the preset's portrait frame unless one was asked for,
        which must suit the preset's model (see look_size)."""
        return replace(self, size=look_size(preset, self.size))

    def to_json(self) -> dict:
        return {**asdict(self), "candidates": self.candidates_per_option,
                "size": list(self.size) if self.size else None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Recipe:
        """A recipe from `to_json`'s keys, any of them left out for its default: what a looks job carries and
        what a look records. An unknown key or a value of the wrong kind is the caller's error, in one sentence."""
        unknown = sorted(set(data) - set(RECIPE_KEYS))
        if unknown:
            raise StylistError(f"a recipe has no {', '.join(map(repr, unknown))}: its keys are {', '.join(RECIPE_KEYS)}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if value is None:
                continue
            kind = _KINDS[name]
            if name == "size":
                if not (isinstance(value, list | tuple) and len(value) == 2
                        and all(isinstance(side, int) and not isinstance(side, bool) for side in value)):
                    raise StylistError("a recipe's `size` is [width, height] in whole pixels, or null")
                value = (value[0], value[1])
            elif kind is bool and not isinstance(value, bool):
                raise StylistError(f"a recipe's `{name}` is true or false")
            elif kind is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise StylistError(f"a recipe's `{name}` is a whole number, or null")
            elif kind is float and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise StylistError(f"a recipe's `{name}` is a number")
            values[name] = float(value) if kind is float else value
        return cls(**values)


RECIPE_KEYS = tuple(field.name for field in fields(Recipe))
# What each of a recipe's fields holds, for from_json (the annotations are strings under postponed evaluation).
_KINDS = {"fast": bool, "candidates": int, "steps": int, "guidance_scale": float, "face_scale": float,
          "product_scale": float, "clip_guidance": float, "size": tuple}


def parse_size(text: str) -> tuple[int, int]:
    """"832x1248" (or "832×1248") as (width, height); anything else is the user's error."""
    width, separator, height = text.strip().lower().replace("×", "x").partition("x")
    if not separator or not width.isdigit() or not height.isdigit():
        raise StylistError(f"a size is WIDTHxHEIGHT in pixels, such as 832x1248, not {text!r}")
    return int(width), int(height)


def look_size(preset: Preset, asked: tuple[int, int] | None = None) -> tuple[int, int]:
    """The (width, height) a look of `preset` is drawn at: `asked`, or the preset's portrait frame."""
    if asked is None:
        return preset.look_size
    width, height = asked
    largest = MAX_SIZE_FACTOR * preset.resolution
    if width % SIZE_MULTIPLE or height % SIZE_MULTIPLE:
        raise StylistError(f"{width}x{height} cannot be drawn: both sides must be multiples of {SIZE_MULTIPLE} "
                           f"(the {preset.name} preset draws {preset.look_size[0]}x{preset.look_size[1]})")
    if not (SIZE_MULTIPLE <= width <= largest and SIZE_MULTIPLE <= height <= largest):
        raise StylistError(f"{width}x{height} is outside what the {preset.name} preset draws well: each side from "
                           f"{SIZE_MULTIPLE} to {largest} pixels (its default is "
                           f"{preset.look_size[0]}x{preset.look_size[1]})")
    return width, height
