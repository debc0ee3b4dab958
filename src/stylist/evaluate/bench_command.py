"""`stylist bench gpu`: every full-size benchmark in one process, into one JSON (see evaluate/bench/)."""

from __future__ import annotations

from pathlib import Path

import click

from stylist.errors import StylistError
from stylist.settings import Settings


@click.group()
def bench() -> None:
    """Speed and memory benchmarks."""


@bench.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The JSON to write.")
@click.option("--only", multiple=True,
              help="Run only this benchmark (identity, looks, klein, clip, video, smoke); repeatable.")
@click.pass_obj
def gpu(settings: Settings, out: Path, only: tuple[str, ...]) -> None:
    """Full-size architectures with random weights on the GPU; on a tiny preset, tiny ones on the CPU."""
    from stylist.evaluate.bench import run_benchmarks

    report = run_benchmarks(out, tiny=settings.preset.startswith("tiny"), only=only,
                            on_start=lambda name: click.echo(f"benchmark {name} ...", err=True))
    gpu_name = report["machine"]["gpu"] or "no GPU"
    click.echo(f"{len(report['results'])} benchmarks on {gpu_name} in {sum(report['seconds'].values()):.0f} s; "
               f"results in {out}")
    if report["errors"]:
        failed = "; ".join(f"{name}: {error}" for name, error in report["errors"].items())
        raise StylistError(f"{len(report['errors'])} benchmark(s) failed ({failed}); the others are in {out}")
