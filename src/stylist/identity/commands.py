"""`stylist user train`: personalise the preset's image model on a person's photos.

torch and diffusers are imported inside the command, so that `stylist --help` and the other commands start
without them.
"""

from __future__ import annotations

import json

import click

from stylist.settings import Settings


@click.command()
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
    from stylist.models.locate import require_local
    from stylist.models.weights import image_model_needs
    from stylist.people.users import get_user
    from stylist.presets import get_preset

    if no_prior and prior_weight is not None:
        raise click.UsageError("--prior-weight and --no-prior contradict each other")
    # Before torch is imported: an unknown user is answered at once.
    get_user(settings, user_id)
    require_local(get_preset(settings.preset), image_model_needs(get_preset(settings.preset)), "training")
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
    from stylist.progress import progress_bars, wants_progress

    with progress_bars(wants_progress(as_json), "user train") as show:
        result = train_identity(settings, user_id, config, resume=resume, on_progress=show)
    # Under `accelerate launch` every process gets here; one answer is enough.
    if not PartialState().is_main_process:
        return
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        click.echo(f"trained {result.user_id} on {result.preset}: {result.steps} steps in {result.seconds:.1f} s, "
                   f"final loss {result.final_loss:.4f}, weights in {result.weights}")
