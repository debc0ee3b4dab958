"""`stylist eval ...`: evaluation commands.

`looks` runs the ablation grid, `microworld` shows the trainers learn on procedural people, and
`preferences` summarises what people picked and rated in the web app.
"""

from __future__ import annotations

import json

import click

from stylist.evaluate.looks_command import looks
from stylist.evaluate.microworld.command import microworld
from stylist.settings import Settings


@click.group(name="eval")
def evaluate() -> None:
    """Measure how well stylist does."""


evaluate.add_command(looks)
evaluate.add_command(microworld)


@evaluate.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.pass_obj
def preferences(settings: Settings, as_json: bool) -> None:
    """What people picked and rated (1–5) in the web app, and how often they agreed with the ranking."""
    from stylist.people.choices import summarise_preferences

    summary = summarise_preferences(settings)
    if as_json:
        click.echo(json.dumps(summary))
        return
    if not summary["choices"]:
        click.echo("no choices recorded yet")
        return
    mean = f"{summary['mean_rating']:.2f}" if summary["mean_rating"] is not None else "-"
    stars = ", ".join(f"{stars}★ {count}" for stars, count in summary["ratings"].items())
    click.echo(f"{summary['choices']} choices by {summary['users']} people; {summary['rated']} rated, mean {mean} ({stars})")
    click.echo(f"the top-ranked option was picked {summary['top_pick_rate']:.0%} of the time "
               f"(chance: {summary['chance_top_pick_rate']:.0%}); mean rank picked {summary['mean_rank_picked']:.2f}")
