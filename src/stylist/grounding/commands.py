"""`stylist clip ...`: train the fashion CLIP on the catalog, evaluate it, search products, rebuild the index.

torch, open_clip and faiss are imported inside the commands, so `stylist --help` starts without them.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from stylist.errors import StylistError
from stylist.settings import Settings


def _require_backbone(settings: Settings) -> None:
    """Refuse at once, naming it, when the preset's CLIP backbone is not on this machine."""
    from stylist.models.locate import require_local
    from stylist.models.weights import clip_needs
    from stylist.presets import get_preset

    preset = get_preset(settings.preset)
    require_local(preset, clip_needs(preset), "the fashion CLIP")


@click.group()
def clip() -> None:
    """The fashion CLIP: ties prompts and generated images to purchasable products."""


@clip.command()
@click.option("--steps", type=click.IntRange(min=1), help="Optimiser steps [tiny 300, real 1000].")
@click.option("--epochs", type=click.IntRange(min=1),
              help="Passes over the training products, in place of --steps (each pass is one step per batch).")
@click.option("--batch-size", type=click.IntRange(min=2), help="Products per step [tiny 64, real 128].")
@click.option("--lr", "learning_rate", type=click.FloatRange(min=0, min_open=True),
              help="Learning rate of the backbone's trained blocks [tiny 5e-3, real 1e-5].")
@click.option("--adapter-lr", "adapter_learning_rate", type=click.FloatRange(min=0, min_open=True),
              help="Learning rate of the adapters and temperature [tiny 5e-3, real 1e-4].")
@click.option("--unfreeze", type=click.IntRange(min=-1),
              help="Train the last N blocks of each tower too; -1 trains the whole backbone [tiny -1, real 2].")
@click.option("--siglip", is_flag=True, help="SigLIP's pairwise sigmoid loss instead of CLIP's InfoNCE.")
@click.option("--patience", type=click.IntRange(min=1),
              help="Stop after this many validation checks without a better validation R@5 [tiny 8, real 3].")
@click.option("--eval-every", type=click.IntRange(min=1), help="Steps between validation checks [tiny 25, real 100].")
@click.option("--held-out", type=click.FloatRange(min=0, max=0.9), help="Share of products held out, reported on [0.2].")
@click.option("--validation", type=click.FloatRange(min=0, max=0.5),
              help="Share of products that choose the checkpoint, apart from the held-out ones [0.1].")
@click.option("--seed", type=int, help="Seed of the split, the order and the draws [0].")
@click.option("--resume", is_flag=True, help="Continue an interrupted training with the same flags.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.pass_obj
def train(settings: Settings, steps, epochs, batch_size, learning_rate, adapter_learning_rate, unfreeze, siglip,
          patience, eval_every, held_out, validation, seed, resume, as_json) -> None:
    """Fine-tune the fashion CLIP on the purchasable catalog, then rebuild the product index."""
    _require_backbone(settings)
    from stylist.grounding.fashion_clip import FashionClip
    from stylist.grounding.index import rebuild_index
    from stylist.grounding.train import default_config, train_clip
    from stylist.progress import progress_bars, wants_progress

    config = default_config(settings.preset).with_overrides(
        steps=steps, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
        adapter_learning_rate=adapter_learning_rate, unfreeze=unfreeze, loss="siglip" if siglip else None,
        patience=patience, eval_every=eval_every, held_out=held_out, validation=validation, seed=seed,
    )
    with progress_bars(wants_progress(as_json), "the fashion CLIP") as show:
        result = train_clip(settings, config, resume=resume, on_progress=show)
    index = rebuild_index(settings, FashionClip.load(settings))
    if as_json:
        click.echo(json.dumps({**result.to_json(), "index": {"products": index.products, "kind": index.kind}}))
        return
    stop = f", stopped early (best step {result.best_step})" if result.stopped_early else f", best step {result.best_step}"
    click.echo(f"trained the {result.preset} CLIP on {result.train_products} products for {result.steps} steps "
               f"({result.epochs:.1f} passes){stop} in {result.seconds:.1f} s: held-out R@1 {result.start.r1:.3f} -> "
               f"{result.best.r1:.3f}, R@5 {result.start.r5:.3f} -> {result.best.r5:.3f} ({result.held_out_products} "
               f"held-out products, {result.validation_products} validation); weights in {result.weights}")
    click.echo(index.summary())


@clip.command(name="eval")
@click.option("--json", "as_json", is_flag=True, help='One JSON object: {"queries", "base", "finetuned"}.')
@click.pass_obj
def evaluate(settings: Settings, as_json: bool) -> None:
    """Text→image retrieval on the held-out products: base model and fine-tuned model side by side.

    Before any training only the base model is scored ("finetuned" is null).
    """
    _require_backbone(settings)
    from stylist.grounding.retrieval_metrics import evaluate_clip

    result = evaluate_clip(settings)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"text→image retrieval on {result['queries']} held-out products ({settings.preset})")
    click.echo(f"{'model':<12}{'R@1':>8}{'R@5':>8}{'R@10':>8}{'MRR':>8}")
    for name, label in (("base", "base"), ("finetuned", "fine-tuned")):
        scores = result[name]
        if scores is None:
            click.echo(f"{label:<12}  not trained yet: run `stylist clip train`")
        else:
            click.echo(f"{label:<12}" + "".join(f"{scores[key]:>8.3f}" for key in ("r1", "r5", "r10", "mrr")))


@clip.command()
@click.argument("text", required=False)
@click.option("--image", "image_path", type=click.Path(dir_okay=False), help="Search by this image instead of TEXT.")
@click.option("--k", type=click.IntRange(min=1), default=10, show_default=True, help="How many products.")
@click.option("--budget", type=click.FloatRange(min=0), help="Only products at this price or less.")
@click.option("--shop", "shops", multiple=True, help="Only products of this shop (its host); repeatable.")
@click.option("--category", help="Only products of this category, as the shop names it.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, as `catalog list`, plus score.")
@click.pass_obj
def search(settings: Settings, text, image_path, k, budget, shops, category, as_json) -> None:
    """Purchasable products that best match TEXT (or --image), best first.

    A TEXT is searched in the catalog's lexical index and by the fashion CLIP, fused by reciprocal rank;
    colours and categories it names come first, and a budget in it ("under €200") is kept to."""
    if (text is None) == (image_path is None):
        raise click.UsageError("give a TEXT to search for, or --image PATH (not both)")
    _require_backbone(settings)
    query = text
    if image_path is not None:
        from stylist.imaging import ImageRejected, load_image

        try:
            query = load_image(Path(image_path).read_bytes())
        except ImageRejected as error:
            raise StylistError(f"{image_path}: {error}") from None
    from stylist.grounding.index import search as search_index
    from stylist.grounding.search import hybrid_search

    # Text: the lexical and the vector index fused; an image: the vector index alone.
    find = hybrid_search if isinstance(query, str) else search_index
    hits = find(settings, query, k, budget=budget, shops=shops or None, category=category)
    if as_json:
        # the same keys as `catalog list --json`, the same product's listings in other shops included
        from stylist.catalog.store import CatalogStore

        with CatalogStore(settings) as store:
            twins = store.same_products()
    for hit in hits:
        if as_json:
            click.echo(json.dumps({**hit.to_json(), "same_as": twins.same_as(hit.product.id)}, ensure_ascii=False))
        else:
            product = hit.product
            price = f"{product.price:.2f} {product.currency}" if product.price is not None else "no price"
            click.echo(f"{hit.score:.3f}\t{product.id}\t{product.designer} {product.title}\t{price}\t{product.url}")


@clip.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object: products, embedded, reused, kind.")
@click.pass_obj
def index(settings: Settings, as_json: bool) -> None:
    """Rebuild the product index now (search also does it by itself when the catalog or model changed)."""
    _require_backbone(settings)
    from stylist.grounding.index import rebuild_index

    report = rebuild_index(settings)
    if as_json:
        click.echo(json.dumps({"products": report.products, "embedded": report.embedded, "reused": report.reused,
                               "kind": report.kind, "path": str(report.path)}))
    else:
        click.echo(report.summary())
