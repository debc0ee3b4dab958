"""`stylist video ...`: a spin of the person in an image, the video model's fine-tune, and its training pairs.

`stylist video IMAGE --out FILE.mp4` is the spin, as CONTRACT.md has it, while `video finetune` and
`video make-pairs` are subcommands: a first argument that names no subcommand is taken as the spin's
IMAGE (`stylist video spin IMAGE ...` is the same). Torch and the models are imported inside the commands,
so that `stylist --help` starts without them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from stylist.limits import MAX_SPIN_FPS, MAX_SPIN_SECONDS, MIN_SPIN_FPS, MIN_SPIN_SECONDS
from stylist.settings import Settings
from stylist.video import BACKENDS

BACKEND_CHOICE = click.Choice(BACKENDS)


class VideoGroup(click.Group):
    """A group whose default command is the spin, reached by giving an IMAGE instead of a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["spin", *args]
        return super().parse_args(ctx, args)


@click.group(cls=VideoGroup, subcommand_metavar="IMAGE --out FILE.mp4 [OPTIONS] | COMMAND [ARGS]...")
def video() -> None:
    """Spin videos: `stylist video IMAGE --out FILE.mp4` turns the person in IMAGE once around.

    See `stylist video spin --help` for the spin's options.
    """


@video.command()
@click.argument("image")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="The MP4 to write; the GIF goes beside it.")
@click.option("--seconds", type=float, default=3.0, show_default=True, help=f"Length of the spin ({MIN_SPIN_SECONDS}–{MAX_SPIN_SECONDS}).")
@click.option("--fps", type=int, default=8, show_default=True, help=f"Frames per second ({MIN_SPIN_FPS}–{MAX_SPIN_FPS}).")
@click.option("--poses-out", type=click.Path(file_okay=False), help="Also save the skeleton frames here as PNGs.")
@click.option("--backend", type=BACKEND_CHOICE, help="Video model [the preset's: sdxl wan-vace, sd14 animatediff].")
@click.option("--seed", type=int, default=0, show_default=True, help="Noise seed; the same seed gives the same video.")
@click.option("--adapter", type=click.Path(file_okay=False),
              help="A fine-tuned adapter folder [the preset's, if trained].")
@click.option("--json", "as_json", is_flag=True, help="Print {path, gif, seconds, fps, frames, backend}.")
@click.pass_obj
def spin(settings: Settings, image: str, out: str, seconds: float, fps: int, poses_out: str | None,
         backend: str | None, seed: int, adapter: str | None, as_json: bool) -> None:
    """Make a spin of the person in IMAGE: OUT (H.264 MP4) and OUT with .gif."""
    from stylist.models.locate import require_local
    from stylist.models.weights import spin_needs
    from stylist.presets import get_preset
    from stylist.progress import progress_bars, wants_progress
    from stylist.video.spin import make_spin

    preset = get_preset(settings.preset)
    require_local(preset, spin_needs(preset, backend), "a spin")

    start = time.perf_counter()
    with progress_bars(wants_progress(as_json), "spin") as show:
        made = make_spin(settings, Path(image), Path(out), seconds=seconds, fps=fps, backend=backend,
                         poses_out=Path(poses_out) if poses_out else None, seed=seed, on_progress=show,
                         adapter=Path(adapter) if adapter else None)
    if as_json:
        click.echo(json.dumps(made.to_json()))
    else:
        click.echo(f"spin: {made.mp4} and {made.gif.name}, {made.frames} frames ({made.seconds:g} s at {made.fps} fps) "
                   f"with {made.backend} in {time.perf_counter() - start:.1f} s")


@video.command()
@click.argument("data_dir", type=click.Path(file_okay=False))
@click.option("--backend", type=BACKEND_CHOICE, help="Video model to fine-tune [the preset's].")
@click.option("--steps", type=click.IntRange(min=1), help="Training steps [500; 30 on tiny].")
@click.option("--rank", type=click.IntRange(min=1), help="LoRA rank [16; 4 on tiny].")
@click.option("--lr", "learning_rate", type=click.FloatRange(min=0, min_open=True),
              help="Learning rate [1e-4; 1e-3 on tiny].")
@click.option("--frames", type=click.IntRange(min=2),
              help="Frames per training clip [16; 8 on tiny; Wan rounds to 1+4k].")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False),
              help="Adapter folder [data/models/video/<preset>-<backend>, which spins use].")
@click.option("--json", "as_json", is_flag=True,
              help="Print {backend, preset, steps, clips, initial_loss, final_loss, ...}.")
@click.pass_obj
def finetune(settings: Settings, data_dir: str, backend: str | None, steps: int | None, rank: int | None,
             learning_rate: float | None, frames: int | None, seed: int, out: str | None, as_json: bool) -> None:
    """Fine-tune the video model's attention (LoRA) on the video–text pairs in DATA_DIR (metadata.jsonl)."""
    from dataclasses import replace

    from stylist.progress import progress_bars, wants_progress
    from stylist.video.pairs import read_pairs

    read_pairs(Path(data_dir))  # a folder without pairs is answered before torch is imported

    from stylist.presets import get_preset
    from stylist.video.finetune import default_config
    from stylist.video.finetune import finetune as run

    config = default_config(get_preset(settings.preset))
    changes = {"steps": steps, "rank": rank, "learning_rate": learning_rate, "frames": frames}
    config = replace(config, seed=seed, **{key: value for key, value in changes.items() if value is not None})
    with progress_bars(wants_progress(as_json), "video finetune") as show:
        result = run(settings, Path(data_dir), backend=backend, config=config, out=Path(out) if out else None,
                     on_progress=show)
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        click.echo(f"fine-tuned {result.backend} on {result.clips} clips: {result.steps} steps in {result.seconds:.1f} s, "
                   f"loss {result.initial_loss:.4f} -> {result.final_loss:.4f}, adapter in {result.adapter}")


@video.command("make-pairs")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--variants", type=click.IntRange(min=1, max=100), default=2, show_default=True,
              help="Clips of each motion, each placed and sized differently.")
@click.option("--seconds", type=click.FloatRange(min=0.5, max=10), default=2.0, show_default=True)
@click.option("--fps", type=click.IntRange(min=4, max=30), default=8, show_default=True)
@click.option("--width", type=click.IntRange(min=16, max=2048), default=256, show_default=True)
@click.option("--height", type=click.IntRange(min=16, max=2048), default=384, show_default=True)
@click.option("--real", type=click.Path(file_okay=False),
              help="Also take the clips here, each captioned by a .txt of its name.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print {folder, pose_clips, real_clips, skipped}.")
def make_pairs(out_dir: str, variants: int, seconds: float, fps: int, width: int, height: int, real: str | None,
               seed: int, as_json: bool) -> None:
    """Write video–text pairs for `video finetune` to OUT_DIR: pose animations labelled with their motion."""
    from stylist.video.pairs import make_pairs as run

    if width % 2 or height % 2:
        raise click.UsageError("--width and --height must be even (H.264 in yuv420p)")
    report = run(Path(out_dir), variants=variants, seconds=seconds, fps=fps, size=(width, height),
                 real=Path(real) if real else None, seed=seed)
    if as_json:
        click.echo(json.dumps(report.to_json()))
        return
    for reason in report.skipped:
        click.echo(f"warning: skipped {reason}", err=True)
    click.echo(f"{report.pose_clips} pose clips and {report.real_clips} real clips in {report.folder}")
