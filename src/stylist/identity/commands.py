"""`stylist user ...`: add a person from their photos, train their identity, list people, delete a person.

Heavy libraries (OpenCV for intake, torch and diffusers for training) are imported inside the commands,
so that `stylist --help` and the other command groups start without them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from stylist.settings import Settings

if TYPE_CHECKING:
    from tqdm import tqdm

    from stylist.identity.dreambooth import TrainingProgress
    from stylist.identity.users import User


@click.group()
def user() -> None:
    """The people whose photos looks are personalised with."""


@user.command()
@click.argument("name")
@click.argument("photos", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print {id, photos, warnings} as JSON.")
@click.pass_obj
def add(settings: Settings, name: str, photos: tuple[str, ...], as_json: bool) -> None:
    """Add NAME from 3 or 4 PHOTOS of their face; prints the new user's id."""
    from stylist.identity.users import add_user

    new = add_user(settings, name, photos)
    if as_json:
        click.echo(json.dumps(_to_json(new), ensure_ascii=False))
        return
    # Warnings go to standard error so that standard output is only the id, for scripts.
    for warning in new.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(new.id)


@user.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def list_command(settings: Settings, as_json: bool) -> None:
    """Every user, oldest first."""
    from stylist.identity.users import list_users

    for each in list_users(settings):
        if as_json:
            click.echo(json.dumps({**_to_json(each), "name": each.name, "created_at": each.created_at},
                                  ensure_ascii=False))
        else:
            click.echo(f"{each.id}\t{each.name}\t{each.created_at}\t{len(each.photos)} photos")


@user.command()
@click.argument("user_id")
@click.option("--queue", "queue_url", help="The web app's job queue when it is not the data dir's jobs.db (redis://...).")
@click.pass_obj
def delete(settings: Settings, user_id: str, queue_url: str | None) -> None:
    """Delete USER_ID: their photos, crops, weights, looks, videos and jobs."""
    from stylist.identity.users import delete_user
    from stylist.jobs.queue import open_queue

    # Jobs first, as the web app does: a worker running one loses its claim and stops before the files go.
    if queue_url or (settings.data_dir / "jobs.db").exists():
        queue = open_queue(settings, queue_url)
        try:
            queue.delete_user(user_id)
        finally:
            queue.close()
    delete_user(settings, user_id)
    click.echo(f"deleted user {user_id}")


@user.command()
@click.argument("user_id")
@click.option("--steps", type=click.IntRange(min=1), help="Training steps [preset's recipe: sdxl 500, sd14 800].")
@click.option("--rank", type=click.IntRange(min=1), help="LoRA rank [16; 4 on tiny].")
@click.option("--lr", "learning_rate", type=click.FloatRange(min=0, min_open=True), help="Learning rate.")
@click.option("--prior-weight", type=click.FloatRange(min=0), help="Weight of the prior-preservation loss [1.0].")
@click.option("--no-prior", is_flag=True, help="Train without prior preservation (no class images).")
@click.option("--train-text-encoder", is_flag=True, help="Also train LoRA on the text encoders.")
@click.option("--identifier-lr", type=click.FloatRange(min=0, min_open=True),
              help="Pivotal tuning: also train the identifier token's embedding at this learning rate [off].")
@click.option("--lora/--full-unet", "lora", default=None,
              help="Train a LoRA or the whole UNet [sdxl: LoRA; sd14: whole UNet, as the DreamBooth paper].")
@click.option("--checkpoint-every", type=click.IntRange(min=0), help="Save a checkpoint every N steps (0: never).")
@click.option("--resume", is_flag=True, help="Continue from the latest checkpoint of the last run.")
@click.option("--json", "as_json", is_flag=True, help="Print {user_id, preset, steps, final_loss, seconds, weights}.")
@click.pass_obj
def train(settings: Settings, user_id: str, steps: int | None, rank: int | None, learning_rate: float | None,
          prior_weight: float | None, no_prior: bool, train_text_encoder: bool, identifier_lr: float | None,
          lora: bool | None, checkpoint_every: int | None, resume: bool, as_json: bool) -> None:
    """Personalise the preset's image model on USER_ID's photos (DreamBooth; LoRA on SDXL)."""
    from stylist.identity.dreambooth_config import default_config
    from stylist.identity.users import get_user

    if no_prior and prior_weight is not None:
        raise click.UsageError("--prior-weight and --no-prior contradict each other")
    # Before torch is imported: an unknown user is answered at once.
    get_user(settings, user_id)
    config = default_config(settings.preset, None if lora is None else ("lora" if lora else "full"))
    if rank is not None and config.unet == "full":
        raise click.UsageError(f"--rank applies to a LoRA; the {settings.preset} preset trains the whole UNet "
                               "unless --lora is given")
    config = config.with_overrides(
        steps=steps, rank=rank, learning_rate=learning_rate, prior_weight=prior_weight,
        prior_preservation=False if no_prior else None, train_text_encoder=train_text_encoder or None,
        identifier_lr=identifier_lr, checkpoint_every=checkpoint_every,
    )

    from accelerate import PartialState

    from stylist.identity.dreambooth import train_identity
    from stylist.progress import progress_bar, wants_progress

    bars: list[tqdm] = []  # one per stage: drawing the class images, then training

    def show(progress: TrainingProgress) -> None:
        if not bars or bars[-1].desc != progress.stage:
            if bars:
                bars[-1].close()
            unit = "image" if progress.stage == "class images" else "step"
            bars.append(progress_bar(True, progress.stage, unit, total=progress.total))
        bars[-1].update(progress.step - bars[-1].n)
        if progress.loss is not None:
            bars[-1].set_postfix(loss=f"{progress.loss:.4f}", it_s=f"{progress.steps_per_second:.2f}")

    try:
        result = train_identity(settings, user_id, config, resume=resume,
                                on_progress=show if wants_progress(as_json) else None)
    finally:
        if bars:
            bars[-1].close()
    # Under `accelerate launch` every process gets here; one answer is enough.
    if not PartialState().is_main_process:
        return
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        click.echo(f"trained {result.user_id} on {result.preset}: {result.steps} steps in {result.seconds:.1f} s, "
                   f"final loss {result.final_loss:.4f}, weights in {result.weights}")


def _to_json(each: User) -> dict:
    return {"id": each.id, "photos": [str(path) for path in each.crops], "warnings": list(each.warnings)}
