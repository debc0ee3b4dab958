"""`style`: from a person and a prompt to a stored look of ranked options, each a picture of the person
wearing purchasable products. Reads top to bottom, in five stages: retrieve, outfits, draw, rank, look.

What a test or the micro-world replaces is one `Seams` object: retrieval and scoring default to the fashion CLIP
of stylist.grounding, and the klein path's drawing to the preset's pipeline, so that the tests pass their own to
check what each stage does with what it is given, and the micro-world judges this very pipeline with a
reference model that learnt (evaluate/microworld/judging/looks.py). Drawing goes to one of the two paths beside
each other in this room: adapter_drawing.py (sdxl, sd14) or reference_editing.py (klein).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stylist.catalog.budget import Budget, parse_budget
from stylist.errors import StylistError
from stylist.limits import MAX_OPTIONS
from stylist.looks.asked import fit_prompt
from stylist.looks.best_shop import cheapest_shops, with_twins
from stylist.looks.drawing import DrawnOptions, DrawTask, seed_plan
from stylist.looks.guidance import ClipGuidance, PixelScorer
from stylist.looks.outfits import Match, Outfit, compose_outfits, crowded
from stylist.looks.rank import Ranked, Scorer, best_candidate
from stylist.looks.recipe import DEFAULT_OPTIONS, Recipe
from stylist.looks.retrieve import Retriever, grounding_retriever, purchasable_now, shop_twins, still_purchasable
from stylist.looks.sizing import Sized, in_your_size
from stylist.money import amount_text
from stylist.people.looks import Look, Option, copy_images, product_entry, save_look
from stylist.people.sizes import get_sizes
from stylist.people.users import User, get_user
from stylist.presets import get_preset
from stylist.progress import Progress, ProgressCallback, ignore
from stylist.records import new_id, utc_now
from stylist.settings import Settings

if TYPE_CHECKING:  # the drawing paths import diffusers, which a look loads only when it draws
    from stylist.looks.reference_editing import Editor

# Products retrieved per option: enough for each option to find fresh products in every slot.
RETRIEVED_PER_OPTION = 12
SIZED_RETRIEVAL = 3  # times as many for a person with sizes: many products are sold out in one size
# Fractions of the progress bar each stage ends at; drawing takes nearly all the time.
_PROGRESS = {"retrieve": 0.05, "outfits": 0.06, "load": 0.15, "generate": 0.9, "rank": 0.97, "look": 1.0}


@dataclass(frozen=True)
class Seams:
    """What a caller may put in place of a stage's default: the retriever and the scorer (the fashion CLIP),
    the pixel scorer CLIP guidance steers with, and the klein path's editor (the preset's pipeline)."""

    retriever: Retriever | None = None
    scorer: Scorer | None = None
    pixel_scorer: PixelScorer | None = None
    editor: Editor | None = None


@dataclass
class Shelf:
    """What retrieval found for the look: the matches outfits are made of, each from its cheapest shop in the
    person's size, with the sizes chosen and the other shops that sell each product."""

    matches: list[Match]
    sized: Sized
    also_at: dict[int, list]
    catalog_empty: bool


def style(
    settings: Settings,
    user_id: str,
    prompt: str,
    *,
    options: int = DEFAULT_OPTIONS,
    budget: float | None = None,
    seed: int | None = None,
    out: Path | None = None,
    recipe: Recipe = Recipe(),
    on_progress: ProgressCallback | None = None,
    seams: Seams = Seams(),
) -> Look:
    """Make, store and return a look of `options` options for `user_id` as `prompt` describes.

    `budget` (or a phrase in the prompt such as "under €300") caps each option's total price. `seed` makes
    the look reproducible: the same seed, catalog and models give the same look. `recipe` says how the
    pictures are drawn (steps, candidates, adapter scales, CLIP guidance, the fast first look; see
    recipe.py). `seams` replaces stages' defaults. Unknown users raise StylistError.
    """
    preset = get_preset(settings.preset)  # resolved once for the whole look
    recipe = recipe.for_preset(preset)  # its size settled (the preset's portrait frame unless asked for)
    user = get_user(settings, user_id)
    scene = prompt.strip()
    if not scene:
        raise StylistError("the prompt is empty: say what the look is for")
    if not 1 <= options <= MAX_OPTIONS:
        raise StylistError(f"a look has 1 to {MAX_OPTIONS} options, not {options}")
    if budget is not None and budget <= 0:
        raise StylistError(f"the budget must be a positive amount, not {budget:g}")
    stated, scene = parse_budget(scene)
    scene = scene or prompt.strip()
    cap = Budget(budget, stated.currency if stated else None) if budget is not None else stated
    stages = _Stages(on_progress or ignore)
    notes: list[str] = []

    # 1. Retrieve: purchasable products for the prompt, within the budget, as catalog.db has them now.
    shelf = _retrieve(settings, user, scene, options=options, cap=cap,
                      retriever=seams.retriever or grounding_retriever, notes=notes)
    stages.lap("retrieve")
    # 2. Outfits: distinct sets of products, one per slot, each within the budget; no two options the same.
    plan = _outfits(shelf, options, cap, notes)
    stages.lap("outfits")
    # 3. Draw: candidates per option, each from its own seed, on the preset's drawing path.
    look_seed = seed if seed is not None else secrets.randbelow(2**31)
    task = DrawTask(preset, settings.device, user, scene, tuple(plan),
                    seed_plan(look_seed, len(plan), recipe.candidates_per_option), recipe)
    drawn = _draw(settings, task, seams, stages, notes)
    stages.lap("generate")
    # 4. Rank: the best candidate of each option, by the fashion CLIP against the prompt and the products.
    scorer = seams.scorer or _default_scorer(settings)
    best = [best_candidate(scorer, [each.image for each in option], scene, outfit.products)
            for option, outfit in zip(drawn.candidates, plan, strict=True)]
    stages.lap("rank")
    # 5. Look: stored with the user, for buy links and a spin video later.
    made = {"preset": settings.preset, "budget": cap.amount if cap else None,
            "currency": cap.currency if cap else None, "seed": look_seed, **recipe.to_json(),
            "identity": drawn.identity}
    look = _look(settings, user, prompt, plan=plan, drawn=drawn, best=best, shelf=shelf, notes=notes, made=made,
                 timings=stages.timings)
    stages.lap("look")
    look.timings["total"] = round(time.perf_counter() - stages.started, 4)
    save_look(settings, look, [option[ranked.index].image for ranked, option in zip(best, drawn.candidates, strict=True)])
    if out is not None:
        copy_images(look, Path(out))
    return look


class _Stages:
    """Each stage's seconds, and the progress bar moved to the stage's end as it finishes."""

    def __init__(self, report: ProgressCallback) -> None:
        self.report = report
        self.timings: dict[str, float] = {}
        self.started = self._clock = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._clock, 4)
        self._clock = now
        self.report(Progress(stage, 0, None, fraction=_PROGRESS[stage]))

    def drawing(self, done: int, total: int) -> None:
        """Denoising steps, between the models' load and the end of drawing."""
        share = _PROGRESS["load"] + (_PROGRESS["generate"] - _PROGRESS["load"]) * done / total
        self.report(Progress("generate", done, total, fraction=share))


def _retrieve(settings: Settings, user: User, scene: str, *, options: int, cap: Budget | None,
              retriever: Retriever, notes: list[str]) -> Shelf:
    worn = get_sizes(settings, user.id)
    # Sizes leave out what is sold out in them, so more is retrieved for a person who gave some.
    wanted = RETRIEVED_PER_OPTION * options * (SIZED_RETRIEVAL if worn else 1)
    retrieved = retriever(settings, scene, wanted, budget=cap.amount if cap else None)
    # Only the garments the prompt names; what nothing fits, and why, goes in the notes.
    fit = fit_prompt(settings, scene, purchasable_now(settings, retrieved, cap), cap)
    notes.extend(fit.notes)
    # The same product in other shops joins it; in stock in the person's size, for the slots they gave one,
    # each at that size's price and link; then each product from its cheapest shop, the others listed.
    twins = with_twins(fit.matches, shop_twins(settings, [match.product.id for match in fit.matches]))
    sized = in_your_size(twins.matches, worn)
    notes.extend(sized.notes)
    shops = cheapest_shops(sized.matches, twins)
    return Shelf(shops.matches, sized, shops.also_at, fit.catalog_empty)


def _outfits(shelf: Shelf, options: int, cap: Budget | None, notes: list[str]) -> list[Outfit]:
    outfits = compose_outfits(shelf.matches, options, cap.amount if cap else None)
    if not outfits:
        if not shelf.catalog_empty:
            within = f" within {amount_text(cap.amount, cap.currency)}" if cap else ""
            notes.append(f"no purchasable products match this prompt{within}: these looks come from the prompt alone")
        plan = [Outfit(())] * options  # options from the prompt alone differ by their seeds
    else:
        if len(outfits) < options:
            notes.append(f"the catalog gives {len(outfits)} distinct outfit(s) for this prompt, so the look has "
                         f"{len(outfits)} option(s), not {options}")
        plan = outfits[:options]
    notes.extend(shelf.sized.listed_notes(list({p.id: p for outfit in plan for p in outfit.products}.values())))
    repeated = crowded(plan)
    if repeated and plan[0].products:
        notes.append("the catalog has too few products for this prompt to vary every option: " + ", ".join(
            f"{product.title} is in {count} of {len(plan)}" for product, count in repeated))
    return plan


def _draw(settings: Settings, task: DrawTask, seams: Seams, stages: _Stages, notes: list[str]) -> DrawnOptions:
    """The preset's drawing path: reference editing (klein: the person's photo and the products' photos are the
    conditions; nothing was trained) or the adapters (a trained identity or the face adapter)."""
    loaded = lambda: stages.lap("load")  # noqa: E731 - the stage's end, called by the path once its models are in
    if task.preset.edits_references:
        from stylist.looks import reference_editing

        return reference_editing.draw_look(task, notes, loaded=loaded, on_step=stages.drawing, editor=seams.editor)
    from stylist.looks import adapter_drawing

    guidance = None
    if task.recipe.clip_guidance > 0:
        guidance = ClipGuidance(seams.pixel_scorer or _default_pixel_scorer(settings), task.recipe.clip_guidance)
    return adapter_drawing.draw_look(task, loaded=loaded, on_step=stages.drawing, guidance=guidance)


def _look(settings: Settings, user: User, prompt: str, *, plan: list[Outfit], drawn: DrawnOptions,
          best: list[Ranked], shelf: Shelf, notes: list[str], made: dict, timings: dict[str, float]) -> Look:
    """The look's record (`made`: how it was made), with only the products that are still purchasable now that the images are made."""
    available = still_purchasable(settings, [product.id for outfit in plan for product in outfit.products])
    gone = {product.title for outfit in plan for product in outfit.products if product.id not in available}
    if gone:
        notes.append(f"sold out while the look was made, so not listed: {', '.join(sorted(gone))}")
    look_id = new_id()
    chosen = []
    options = zip(best, drawn.candidates, plan, drawn.references, strict=True)
    for number, (ranked, option, outfit, shown) in enumerate(options, start=1):
        chosen.append(Option(
            id=f"{look_id}-{number}", image=Path(), score=round(ranked.score, 6), seed=option[ranked.index].seed,
            products=[product_entry(product, shelf.sized.sizes.get(product.id), shelf.also_at.get(product.id, []))
                      for product in outfit.products if product.id in available],
            references=[product_id for product_id in shown if product_id in available],
            candidates=[{"seed": each.seed, "score": round(score, 6)}
                        for each, score in zip(option, ranked.scores, strict=True)],
        ))
    return Look(look_id=look_id, user_id=user.id, prompt=prompt, options=chosen, timings=timings, notes=notes,
                created_at=utc_now(), settings=made)


def _default_scorer(settings: Settings) -> Scorer:
    from stylist.grounding.fashion_clip import FashionClip
    from stylist.looks.rank import ClipScorer

    return ClipScorer(FashionClip.load(settings))


def _default_pixel_scorer(settings: Settings) -> PixelScorer:
    from stylist.grounding.fashion_clip import FashionClip
    from stylist.looks.guidance import FashionClipPixels

    return FashionClipPixels(FashionClip.load(settings))
