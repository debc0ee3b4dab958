"""`stylist demo`: the offline end-to-end demo job, and `stylist demo shop`, the demo shop alone until Ctrl-C.

The demo is a group that runs its job when no subcommand is named, so `stylist demo [--out DIR ...]` stays as
CONTRACT.md has it while the shop gets a command of its own.
"""

from __future__ import annotations

import contextlib
import time

import click
from click.core import ParameterSource

from stylist.demo.job import PROMPT, run_demo
from stylist.demo.shop import DemoShop, serve
from stylist.limits import MAX_OPTIONS
from stylist.models.locate import require_local
from stylist.models.weights import look_needs, spin_needs
from stylist.presets import get_preset


@click.group(invoke_without_command=True, subcommand_metavar="[shop [OPTIONS]]")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="demo-out", show_default=True,
              help="Where the demo writes its data, dataset, looks, video and index.html.")
@click.option("--products", type=click.IntRange(min=8, max=2000), default=48, show_default=True,
              help="Size of the offline demo shop.")
@click.option("--prompt", default=PROMPT, show_default=True, help="What the demo person asks for.")
@click.option("--options", type=click.IntRange(min=1, max=MAX_OPTIONS), default=4, show_default=True,
              help="Looks to make.")
@click.pass_context
def demo(ctx: click.Context, out_dir: str, products: int, prompt: str, options: int) -> None:
    """Run the main job end to end on an offline demo shop and write OUT/index.html.

    `stylist demo shop` serves the demo shop alone, to crawl it by hand.
    """
    if ctx.invoked_subcommand is not None:
        # The job's options mean nothing to a subcommand: say so rather than drop them unseen.
        given = [param.opts[0] for param in ctx.command.params
                 if ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT]
        if given:
            command = ctx.invoked_subcommand
            raise click.UsageError(f"the demo job's options ({', '.join(given)}) do not go with `demo {command}`; "
                                   f"give its own options after `{command}`")
        return
    preset = get_preset(ctx.obj.preset)  # every model the demo will read, before its crawl starts
    require_local(preset, look_needs(preset, fast=False) + spin_needs(preset), "the demo")
    run = run_demo(ctx.obj, out_dir, products, prompt, options)
    click.echo(f"demo written to {run.index} in {run.seconds:.0f} s")


@demo.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to serve on.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8123, show_default=True,
              help="The port; 0 picks a free one.")
@click.option("--products", type=click.IntRange(min=1), default=60, show_default=True, help="Products on day 1.")
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed gives the same shop.")
@click.option("--day", type=click.IntRange(min=1, max=2), default=1, show_default=True,
              help="Day 2 has products gone, sold out, repriced and new.")
@click.option("--shopify", is_flag=True, help="Serve a Shopify-style store (products.json) instead.")
@click.option("--traps/--no-traps", default=True, show_default=True,
              help="Throw at a crawler what real shops throw, or be a well-behaved shop.")
@click.option("--latency", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Seconds before each answer (a real shop's time to first byte).")
def shop(host: str, port: int, products: int, seed: int, day: int, shopify: bool, traps: bool,
         latency: float) -> None:
    """Serve the offline demo shop until Ctrl-C.

    The first line printed is the shop's URL; crawl it with `stylist catalog crawl URL --delay 0`.
    """
    try:
        demo_shop = DemoShop(products, seed=seed, day=day, traps=traps, shopify=shopify)
    except ValueError as exc:  # too few products for the traps
        raise click.UsageError(str(exc)) from exc
    demo_shop.latency = latency
    with serve(demo_shop, host, port) as url:
        click.echo(f"{url}  ({products} products, day {day}; Ctrl-C stops)")
        # Ctrl-C is how this command ends, not an interruption: exit quietly with 0.
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
