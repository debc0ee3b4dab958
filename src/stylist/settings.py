"""Where stylist keeps its data and which models it runs: one object, filled from flags or environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from stylist.errors import StylistError
from stylist.presets import PRESETS

# The main path (looks from the person's photo and the products' own, no training) at a size any CPU runs in
# seconds; a GPU with the real weights is chosen with --preset klein.
DEFAULT_PRESET = "tiny-klein"
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    preset: str = DEFAULT_PRESET
    device: str = "auto"

    @classmethod
    def from_env(cls, data_dir: str | None = None, preset: str | None = None, device: str | None = None) -> Settings:
        preset = preset or os.environ.get("STYLIST_PRESET") or DEFAULT_PRESET
        device = device or os.environ.get("STYLIST_DEVICE") or "auto"
        if preset not in PRESETS:
            raise StylistError(f"unknown preset {preset!r} (STYLIST_PRESET); choose one of {', '.join(PRESETS)}")
        if device not in DEVICES:
            raise StylistError(f"unknown device {device!r} (STYLIST_DEVICE); choose one of {', '.join(DEVICES)}")
        return cls(
            data_dir=Path(data_dir or os.environ.get("STYLIST_DATA_DIR") or "data").expanduser().resolve(),
            preset=preset,
            device=device,
        )

    @property
    def catalog_db(self) -> Path:
        return self.data_dir / "catalog.db"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"
