"""A spin: the person in a look image turning once around, as an MP4 and a GIF beside it.

`make_spin` is what the CLI, the web worker and the demo call: image → fitted skeleton → pose frames →
video model (in windows when the clip is longer than the model's) → files. Models stay loaded between
calls in one process (video/backends.py caches them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from stylist.errors import StylistError
from stylist.imaging import MAX_BYTES, ImageRejected, load_image
from stylist.limits import MAX_SPIN_FPS, MAX_SPIN_SECONDS, MIN_SPIN_FPS, MIN_SPIN_SECONDS
from stylist.presets import get_preset
from stylist.progress import Progress, ProgressCallback, ignore
from stylist.settings import Settings
from stylist.video import backend_name


@dataclass(frozen=True)
class Spin:
    mp4: Path
    gif: Path
    seconds: float
    fps: int
    frames: int
    backend: str

    def to_json(self) -> dict:
        return {"path": str(self.mp4), "gif": str(self.gif), "seconds": self.seconds, "fps": self.fps,
                "frames": self.frames, "backend": self.backend}


def spin_frames(seconds: float, fps: int) -> int:
    """seconds × fps, refused unless both are in range and make a whole number of frames."""
    if not MIN_SPIN_SECONDS <= seconds <= MAX_SPIN_SECONDS:
        raise StylistError(f"a spin lasts {MIN_SPIN_SECONDS:g} to {MAX_SPIN_SECONDS:g} seconds, not {seconds:g}")
    if int(fps) != fps or not MIN_SPIN_FPS <= fps <= MAX_SPIN_FPS:
        raise StylistError(f"a spin plays at {MIN_SPIN_FPS} to {MAX_SPIN_FPS} whole frames per second, not {fps:g}")
    frames = seconds * fps
    if abs(frames - round(frames)) > 1e-6:
        raise StylistError(f"{seconds:g} seconds at {fps} fps is {frames:g} frames; choose seconds and fps whose "
                           "product is a whole number")
    return round(frames)


def open_look(image: Path | str | Image.Image) -> Image.Image:
    """The look as upright RGB pixels; a file that is not a readable image is the user's error."""
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    path = Path(image)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_BYTES + 1)  # one byte past the limit is enough for load_image to refuse it
    except FileNotFoundError:
        raise StylistError(f"{path}: the file does not exist") from None
    except IsADirectoryError:
        raise StylistError(f"{path}: it is a folder, not an image") from None
    try:
        return load_image(data)
    except ImageRejected as rejected:
        raise StylistError(f"{path}: {rejected}") from None


def make_spin(
    settings: Settings,
    image: Path | Image.Image,
    out: Path,
    *,
    seconds: float = 3,
    fps: int = 8,
    backend: str | None = None,
    poses_out: Path | None = None,
    seed: int = 0,
    on_progress: ProgressCallback | None = None,
    prompt: str | None = None,
    adapter: Path | None = None,
) -> Spin:
    """Write the spin of the person in `image` to `out` (.mp4) and the same stem's .gif; return what was made.

    `adapter` is a folder written by `stylist video finetune`; without it the preset's own fine-tuned adapter
    is used when one has been trained (see adapters.default_adapter_folder).
    """
    out = Path(out)
    if out.suffix.lower() != ".mp4":
        raise StylistError(f"the spin is written as MP4: give --out a name ending in .mp4, not {out.name!r}")
    total = spin_frames(seconds, fps)
    look = open_look(image)
    preset = get_preset(settings.preset)
    name = backend_name(preset, backend)
    # Torch and the models only once the request is known to be good: a bad one is answered at once.
    from stylist.video import adapters
    from stylist.video.backends import PROMPT, load_backend
    from stylist.video.encode import write_gif, write_mp4
    from stylist.video.poses import fit_to_person, render, save_pose_frames, spin_poses
    from stylist.video.windows import make_frames, plan_windows

    if adapter is None and adapters.default_adapter_folder(settings, name).is_dir():
        adapter = adapters.default_adapter_folder(settings, name)
    model = load_backend(preset, settings.device, name)
    size = model.recipe.size
    pose = spin_poses(total, fit_to_person(look, size))
    pose_frames: dict[int, Image.Image] = {}

    def pose_image(index: int) -> Image.Image:
        index %= total  # the turn loops, so a window running past the end reuses the first poses
        if index not in pose_frames:
            pose_frames[index] = render(pose(index), size)
        return pose_frames[index]

    if poses_out is not None:
        save_pose_frames([pose_image(index) for index in range(total)], Path(poses_out))
    recipe = model.recipe
    steps = recipe.steps * len(plan_windows(total, recipe.max_frames, recipe.overlap, model.window_frames))
    done = 0

    report = on_progress or ignore

    def on_step() -> None:
        nonlocal done
        done += 1
        report(Progress("spin", done, steps, fraction=min(0.99, done / steps)))  # the last percent is the encoding

    with model.lock:
        model.use_adapter(adapter)
        frames = make_frames(model, look, pose_image, total, prompt=prompt or PROMPT, seed=seed, on_step=on_step)
    mp4 = write_mp4(frames, out, fps)
    gif = write_gif(frames, out.with_suffix(".gif"), fps)
    report(Progress("encode", 0, None, fraction=1.0))
    return Spin(mp4=Path(os.path.abspath(mp4)), gif=Path(os.path.abspath(gif)), seconds=float(seconds), fps=int(fps), frames=total, backend=name)
