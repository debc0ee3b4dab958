"""Spin videos: a pose-driven video model turns the person in their chosen look once around.

The backends' names and the choice between them live here, apart from the models, so that a spin's
arguments are checked before torch is imported.
"""

from __future__ import annotations

from stylist.errors import StylistError
from stylist.presets import VIDEO_BACKENDS as BACKENDS
from stylist.presets import Preset


def backend_name(preset: Preset, name: str | None) -> str:
    """The backend asked for, or the preset's default; an unknown one is the user's error."""
    name = name or preset.video.backend
    if name not in BACKENDS:
        raise StylistError(f"unknown video backend {name!r}: choose one of {', '.join(BACKENDS)}")
    return name
