"""`stylist style USER_ID "PROMPT"`: a look of the person wearing purchasable products, as CONTRACT.md says.

torch, diffusers and the fashion CLIP are imported inside the command, so `stylist --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from stylist.limits import MAX_OPTIONS
from stylist.looks.recipe import DEFAULT_OPTIONS, DEFAULT_PRODUCT_SCALE, Recipe, look_size, parse_size
from stylist.presets import FACE_ADAPTER_SCALE
from stylist.settings import Settings


@click.command()
@click.argument("user_id")
@click.argument("prompt")
@click.option("--options", type=click.IntRange(1, MAX_OPTIONS), default=DEFAULT_OPTIONS, show_default=True,
              help="Options in the look.")
@click.option("--budget", type=click.FloatRange(min=0, min_open=True),
              help='Most an option may cost in total [or a phrase in PROMPT: "under €300"].')
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the first candidate; the same seed gives the same look.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Also copy the option images into DIR.")
@click.option("--json", "as_json", is_flag=True, help="Print the look as JSON.")
@click.option("--fast", is_flag=True, help="The instant first look: LCM-LoRA or a few-step sampler, one candidate.")
@click.option("--candidates", type=click.IntRange(min=1), help="Candidates drawn per option, best kept [2; fast 1].")
@click.option("--steps", type=click.IntRange(min=1), help="Denoising steps [30; fast 4 with LCM-LoRA, else 8].")
@click.option("--clip-guidance", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Steer sampling with the fashion CLIP's gradient (slow; 0 is off).")
@click.option("--product-scale", type=click.FloatRange(min=0), default=DEFAULT_PRODUCT_SCALE, show_default=True,
              help="Strength of the product images (sdxl, sd14).")
@click.option("--face-scale", type=click.FloatRange(min=0), default=FACE_ADAPTER_SCALE, show_default=True,
              help="Strength of the face adapter before training (sdxl, sd14).")
@click.option("--size", metavar="WxH", help="Width and height of the pictures, multiples of 16 [the preset's "
              "portrait frame: 832x1248 klein, 832x1216 sdxl, 512x768 sd14].")
@click.pass_obj
def style(settings: Settings, *, user_id: str, prompt: str, options: int, budget: float | None, seed: int | None,
          out_dir: str | None, as_json: bool, fast: bool, candidates: int | None, steps: int | None,
          clip_guidance: float, product_scale: float, face_scale: float, size: str | None) -> None:
    """Looks of USER_ID wearing purchasable products, as PROMPT describes."""
    from stylist.models.locate import require_local
    from stylist.models.weights import look_needs
    from stylist.people.users import get_user
    from stylist.presets import get_preset

    # Before torch is imported: an unknown user, a size the model cannot draw or a missing model is answered at once.
    get_user(settings, user_id)
    preset = get_preset(settings.preset)
    asked = look_size(preset, parse_size(size)) if size else None
    require_local(preset, look_needs(preset, fast=fast), "a look")

    recipe = Recipe(fast=fast, candidates=candidates, steps=steps, clip_guidance=clip_guidance,
                    product_scale=product_scale, face_scale=face_scale, size=asked)

    from babel import Locale

    from stylist.looks.pipeline import style as make_look
    from stylist.money import DEFAULT_LOCALE, money, total
    from stylist.progress import progress_bars, wants_progress

    with progress_bars(wants_progress(as_json), "style") as show:
        look = make_look(settings, user_id, prompt, options=options, budget=budget, seed=seed,
                         out=Path(out_dir) if out_dir else None, recipe=recipe, on_progress=show)
    english = Locale.parse(DEFAULT_LOCALE)
    if as_json:
        click.echo(json.dumps(look.shown_json(english), ensure_ascii=False))
        return
    for note in look.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"look {look.look_id}: {len(look.options)} options in {look.timings['total']:.1f} s, best first")
    for rank, option in enumerate(look.best_first(), 1):
        cost = total(option.products, english, look.settings.get("budget"))["text"]
        click.echo(f"{rank}. option {option.id}, {f'total {cost}' if cost else 'no products'}: {option.image}")
        for product in option.products:
            price = money(product["price"], product["currency"], english)
            size = f", size {product['size']}" if product.get("size") else ""
            click.echo(f"   {product['designer']}, {product['title']}{size}, {price}: {product['url']}")
            for other in product.get("also_at", []):
                if other["available"]:
                    click.echo(f"     also at {other['shop']}, {money(other['price'], other['currency'], english)}: "
                               f"{other['url']}")

