"""The `stylist` command: one tree for every step, each a thin layer over the library functions."""

from __future__ import annotations

import logging
import os
import sys

import click

from stylist.catalog.commands import catalog
from stylist.database_copy import db
from stylist.demo.commands import demo
from stylist.doctor import doctor
from stylist.errors import StylistError
from stylist.evaluate.bench_command import bench
from stylist.evaluate.commands import evaluate
from stylist.fetch import models
from stylist.grounding.commands import clip
from stylist.identity.commands import train
from stylist.looks.commands import style
from stylist.people.commands import user
from stylist.presets import preset_names
from stylist.settings import DEVICES, Settings
from stylist.video.commands import video
from stylist.web.commands import serve
from stylist.worker.commands import worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where stylist keeps its data [STYLIST_DATA_DIR, ./data].")
@click.option("--preset", type=click.Choice(preset_names()), help="Which models to run [STYLIST_PRESET, tiny-klein].")
@click.option("--device", type=click.Choice(DEVICES), help="Where to run them [STYLIST_DEVICE, auto].")
@click.option("--database", metavar="URL",
              help="postgresql://USER:PASSWORD@HOST:PORT/NAME holds the records and the jobs of several machines "
                   "[STYLIST_DATABASE; default: SQLite files in the data dir].")
@click.version_option(package_name="stylist")
@click.pass_context
def main_group(ctx: click.Context, data_dir: str | None, preset: str | None, device: str | None,
               database: str | None) -> None:
    """stylist: looks of you wearing real products you can buy today."""
    ctx.obj = Settings.from_env(data_dir, preset, device, database)


main_group.add_command(bench)
main_group.add_command(catalog)
main_group.add_command(clip)
main_group.add_command(db)
main_group.add_command(demo)
main_group.add_command(doctor)
main_group.add_command(models)
main_group.add_command(user)
user.add_command(train)  # the person's records are people's; their trained likeness is identity's
main_group.add_command(style)
main_group.add_command(video)
main_group.add_command(serve)
main_group.add_command(worker)
main_group.add_command(evaluate)


def quiet_libraries() -> None:
    """Keep the model libraries' own bars and advisory warnings out of stylist's output.

    Their "Loading weights" and "Writing model shards" bars and deprecation notes say nothing a stylist user
    can act on; stylist's own bars and one-line errors do. Read by the libraries when they are imported, so
    this runs first; a user's own setting of these variables wins.

    The hub's bars go off by a call rather than by HF_HUB_DISABLE_PROGRESS_BARS, which would forbid `models
    fetch` from turning them back on; transformers reads that state when it is imported.

    bitsandbytes (installed with the `gpu` extra) is imported by diffusers and transformers in every command
    that loads them, and on processors with AVX512-BF16 it warns at import about an optional kernel package
    for 4-bit CPU inference, which stylist never runs: its warnings stop here, its errors still show.
    """
    import huggingface_hub.utils

    for variable, value in (("TRANSFORMERS_VERBOSITY", "error"), ("DIFFUSERS_VERBOSITY", "error")):
        os.environ.setdefault(variable, value)
    huggingface_hub.utils.disable_progress_bars()
    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors become one `error: ...` line on standard error and a non-zero exit."""
    quiet_libraries()
    try:
        # Without standalone mode click returns a command's exit code instead of exiting itself.
        code = main_group.main(args=argv, prog_name="stylist", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help())  # `stylist` alone asks what it can do
        sys.exit(0)
    except click.UsageError as exc:
        hint = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code or 1)
    except StylistError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except OSError as exc:
        # Paths the user gave that cannot be used: a missing or read-only folder, a full disk.
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
