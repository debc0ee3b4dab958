"""`stylist eval looks`: the ablation grid of a config file, run resumably, reported as tables and plots.

torch and the pipelines are imported inside the command, so that `stylist --help` starts without them.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from stylist.progress import progress_bars, wants_progress
from stylist.settings import Settings

CONFIGS = Path(__file__).parent / "configs"


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Where results.jsonl, report.md, report.json and the plots go; a rerun resumes from it.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="The grid, as TOML [the bundled looks-tiny.toml on the tiny presets, looks.toml otherwise].")
@click.option("--train-steps", type=click.IntRange(min=1), help="Identity training steps for every system.")
@click.option("--keep-users", is_flag=True, help="Keep the users the grid personalised (deleted by default).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary rows as JSON.")
@click.pass_obj
def looks(settings: Settings, out_dir: Path, config_path: Path | None, train_steps: int | None, keep_users: bool,
          as_json: bool) -> None:
    """Run the ablation grid: systems × CLIP modes × seeds × prompts × users, then the sensitivity sweep.

    Looks come from this data directory's catalog and fashion CLIP, so crawl a shop (and `clip train`) first.
    """
    from dataclasses import asdict

    from stylist.evaluate.ablation import load_config, run_grid, summarise, write_report
    from stylist.evaluate.looks_cell import LooksCells
    from stylist.presets import get_preset

    default = "looks-tiny.toml" if get_preset(settings.preset).random_weights else "looks.toml"
    config = load_config(config_path or CONFIGS / default)
    runner = LooksCells(settings.data_dir, out_dir, device=settings.device, options=config.options,
                        steps=config.steps, train_steps=train_steps)
    out_dir.mkdir(parents=True, exist_ok=True)
    with progress_bars(wants_progress(as_json), "ablation") as on_progress:
        results = run_grid(config, out_dir, runner, on_progress)
    if not keep_users:
        runner.close()
    report = write_report(out_dir, results, title=f"Ablation ({(config_path or CONFIGS / default).name})")
    for warning in runner.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps([asdict(row) for row in summarise([r for r in results if r["setting"] is None])],
                              default=lambda value: None))
        return
    click.echo(f"{len(results)} cells measured; report in {report}")
