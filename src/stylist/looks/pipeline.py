"""`style`: from a person and a prompt to a stored look of ranked options, each a picture of the person
wearing purchasable products. Reads top to bottom: retrieve, outfits, generate, rank, look.

Retrieval and scoring are injected (`retriever`, `scorer`, `pixel_scorer`) and default to the fashion CLIP
of stylist.grounding; the tests pass their own to check what each stage does with what it is given. The klein
path's drawing is injected the same way (`editor`, default the preset's pipeline), so that the micro-world
judges this very pipeline with a reference model that learnt (evaluate/microworld/shop_looks.py).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from stylist.catalog.budget import Budget, parse_budget
from stylist.errors import StylistError
from stylist.limits import MAX_OPTIONS
from stylist.looks.asked import fit_prompt
from stylist.looks.guidance import ClipGuidance, PixelScorer
from stylist.looks.outfits import Outfit, compose_outfits, crowded
from stylist.looks.rank import Scorer, best_candidate
from stylist.looks.recipe import DEFAULT_OPTIONS, Recipe
from stylist.looks.best_shop import cheapest_shops, with_twins
from stylist.looks.retrieve import Retriever, grounding_retriever, purchasable_now, shop_twins, still_purchasable
from stylist.looks.sizing import in_your_size
from stylist.models.presets import get_preset
from stylist.money import amount_text
from stylist.people.looks import Look, Option, copy_images, product_entry, save_look
from stylist.people.sizes import get_sizes
from stylist.people.users import get_user
from stylist.progress import Progress, ProgressCallback, ignore
from stylist.records import new_id, utc_now
from stylist.settings import Settings

if TYPE_CHECKING:  # references.py imports diffusers, which only the klein path needs
    from stylist.looks.references import Editor

# Products retrieved per option: enough for each option to find fresh products in every slot.
RETRIEVED_PER_OPTION = 12
SIZED_RETRIEVAL = 3  # times as many for a person with sizes: many products are sold out in one size
# Fractions of the progress bar each stage ends at; generation takes nearly all the time.
_PROGRESS = {"retrieve": 0.05, "outfits": 0.06, "load": 0.15, "generate": 0.9, "rank": 0.97, "look": 1.0}


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
    retriever: Retriever | None = None,
    scorer: Scorer | None = None,
    pixel_scorer: PixelScorer | None = None,
    editor: Editor | None = None,
) -> Look:
    """Make, store and return a look of `options` options for `user_id` as `prompt` describes.

    `budget` (or a phrase in the prompt such as "under €300") caps each option's total price. `seed` makes
    the look reproducible: the same seed, catalog and models give the same look. `recipe` says how the
    pictures are drawn (steps, candidates, adapter scales, CLIP guidance, the fast first look; see
    recipe.py). `editor` draws the klein presets' candidates instead of the preset's own pipeline. Unknown
    users raise StylistError.
    """
    from stylist.looks import generate as gen

    preset = get_preset(settings.preset)  # resolved once for the whole look
    recipe = recipe.for_preset(preset)  # its size settled (the preset's portrait frame unless asked for)
    report = on_progress or ignore
    timings: dict[str, float] = {}
    started = clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 4)
        clock = now
        report(Progress(stage, 0, None, fraction=_PROGRESS[stage]))

    user = get_user(settings, user_id)
    scene = prompt.strip()
    if not scene:
        raise StylistError("the prompt is empty: say what the look is for")
    if not 1 <= options <= MAX_OPTIONS:
        raise StylistError(f"a look has 1 to {MAX_OPTIONS} options, not {options}")
    if budget is not None and budget <= 0:
        raise StylistError(f"the budget must be a positive amount, not {budget:g}")
    candidates = recipe.candidates_per_option
    stated, scene = parse_budget(scene)
    scene = scene or prompt.strip()
    cap = Budget(budget, stated.currency if stated else None) if budget is not None else stated
    notes: list[str] = []

    # 1. Retrieve: purchasable products for the prompt, within the budget, as catalog.db has them now.
    worn = get_sizes(settings, user.id)
    # Sizes leave out what is sold out in them, so more is retrieved for a person who gave some.
    wanted = RETRIEVED_PER_OPTION * options * (SIZED_RETRIEVAL if worn else 1)
    retrieved = (retriever or grounding_retriever)(settings, scene, wanted, budget=cap.amount if cap else None)
    # Only the garments the prompt names; what nothing fits, and why, goes in the notes.
    fit = fit_prompt(settings, scene, purchasable_now(settings, retrieved, cap), cap)
    notes.extend(fit.notes)
    # The same product in other shops joins it; in stock in the person's size, for the slots they gave one,
    # each at that size's price and link; then each product from its cheapest shop, the others listed.
    twins = with_twins(fit.candidates, shop_twins(settings, [candidate.product.id for candidate in fit.candidates]))
    sized = in_your_size(twins.candidates, worn)
    notes.extend(sized.notes)
    shops = cheapest_shops(sized.candidates, twins)
    lap("retrieve")

    # 2. Outfits: distinct sets of products, one per slot, each within the budget; no two options the same.
    outfits = compose_outfits(shops.candidates, options, cap.amount if cap else None)
    if not outfits:
        if not fit.catalog_empty:
            within = f" within {amount_text(cap.amount, cap.currency)}" if cap else ""
            notes.append(f"no purchasable products match this prompt{within}: these looks come from the prompt alone")
        plan = [Outfit(())] * options  # options from the prompt alone differ by their seeds
    else:
        if len(outfits) < options:
            notes.append(f"the catalog gives {len(outfits)} distinct outfit(s) for this prompt, so the look has "
                         f"{len(outfits)} option(s), not {options}")
        plan = outfits[:options]
    options = len(plan)
    notes.extend(sized.listed_notes(list({p.id: p for outfit in plan for p in outfit.products}.values())))
    repeated = crowded(plan)
    if repeated and plan[0].products:
        notes.append("the catalog has too few products for this prompt to vary every option: " + ", ".join(
            f"{product.title} is in {count} of {options}" for product, count in repeated))
    lap("outfits")

    # 3. Generate: candidates per option, each from its own seed.
    base_seed = seed if seed is not None else secrets.randbelow(2**31)
    # Candidates' seeds drawn from the look's seed, so that looks of neighbouring seeds share no candidate.
    drawn_seeds = np.random.SeedSequence(base_seed).generate_state(options * candidates, dtype=np.uint32) >> 1
    seeds = [[int(each) for each in drawn_seeds[number * candidates:(number + 1) * candidates]]
             for number in range(options)]

    def on_step(done: int, total: int) -> None:
        report(Progress("generate", done, total, fraction=_between("load", "generate", done / total)))

    if preset.edits_references:
        # klein: the person's photo and the products' photos are the conditions; nothing was trained.
        drawn, references = _edit_references(preset, settings.device, user, scene, plan, seeds, recipe, notes,
                                             lambda: lap("load"), on_step, editor)
        identity_kind = "reference photo"
    else:
        guidance = None
        if recipe.clip_guidance > 0:
            guidance = ClipGuidance(pixel_scorer or _default_pixel_scorer(settings), recipe.clip_guidance)
        models = gen.look_models(preset, settings.device)
        with models.lock:
            identity = gen.use_identity(models, user)
            lap("load")
            texts = [gen.OutfitPrompt(_generation_prompt(identity.subject, scene, outfit), outfit.products)
                     for outfit in plan]
            drawn = gen.generate(models, identity, texts, seeds, recipe, guidance=guidance, on_step=on_step)
        # The product adapter saw every product of the outfit on its board, unless it was switched off.
        references = [[product.id for product in outfit.products] if recipe.product_scale > 0 else []
                      for outfit in plan]
        identity_kind = "dreambooth" if identity.trained else "face adapter"
    lap("generate")

    # 4. Rank: the best candidate of each option, by the fashion CLIP against the prompt and the products.
    scorer = scorer or _default_scorer(settings)
    best = [best_candidate(scorer, [each.image for each in option], scene, outfit.products)
            for option, outfit in zip(drawn, plan, strict=True)]
    lap("rank")

    # 5. Look: stored with the user, for buy links and a spin video later, with only the products that are
    # still purchasable now that the images are made.
    available = still_purchasable(settings, [product.id for outfit in plan for product in outfit.products])
    gone = {product.title for outfit in plan for product in outfit.products if product.id not in available}
    if gone:
        notes.append(f"sold out while the look was made, so not listed: {', '.join(sorted(gone))}")
    look_id = new_id()
    chosen = []
    for number, (ranked, option, outfit, shown) in enumerate(zip(best, drawn, plan, references, strict=True), start=1):
        chosen.append(Option(
            id=f"{look_id}-{number}", image=Path(), score=round(ranked.score, 6), seed=option[ranked.index].seed,
            products=[product_entry(product, sized.sizes.get(product.id), shops.also_at.get(product.id, []))
                      for product in outfit.products if product.id in available],
            references=[product_id for product_id in shown if product_id in available],
            candidates=[{"seed": each.seed, "score": round(score, 6)}
                        for each, score in zip(option, ranked.scores, strict=True)],
        ))
    look = Look(
        look_id=look_id, user_id=user.id, prompt=prompt, options=chosen, timings=timings, notes=notes,
        created_at=utc_now(),
        settings={"preset": settings.preset, "budget": cap.amount if cap else None,
                  "currency": cap.currency if cap else None, "seed": base_seed, **recipe.to_json(),
                  "identity": identity_kind},
    )
    lap("look")
    timings["total"] = round(time.perf_counter() - started, 4)
    save_look(settings, look, [option[ranked.index].image for ranked, option in zip(best, drawn, strict=True)])
    if out is not None:
        copy_images(look, Path(out))
    return look


def _edit_references(preset, device: str, user, scene: str, plan: list[Outfit], seeds: list[list[int]],
                     recipe: Recipe, notes: list[str], loaded: Callable[[], None],
                     on_step: Callable[[int, int], None], editor: Editor | None) -> tuple[list, list[list[int]]]:
    """The klein path's candidates for each outfit, and the product ids each option was drawn from."""
    from stylist.looks import references as ref

    if recipe.clip_guidance > 0:
        raise StylistError(f"CLIP guidance steers the sdxl and sd14 presets' sampling; the {preset.name} preset "
                           "draws from the products' own photos instead: leave out --clip-guidance")
    if editor is None:
        # `draw` holds the pipeline's lock while it draws the whole look.
        editor = partial(ref.draw, ref.reference_models(preset, device))
    person = ref.person_photo(user)
    loaded()
    requests = [ref.edit_request(person, scene, outfit.products, preset, notes) for outfit in plan]
    drawn = editor(requests, seeds, recipe, on_step)
    return drawn, [list(request.product_ids) for request in requests]


def _between(start: str, end: str, share: float) -> float:
    """The run's fraction `share` of the way from the end of stage `start` to the end of stage `end`."""
    return _PROGRESS[start] + (_PROGRESS[end] - _PROGRESS[start]) * share


def _generation_prompt(subject: str, scene: str, outfit: Outfit) -> str:
    """The person first, then the user's words, then the products by designer, colour and garment."""
    text = f"a photo of {subject}, {scene}"
    if not outfit.products:
        return text
    return f"{text}, wearing " + ", ".join(_describe(product) for product in outfit.products)


def _describe(product) -> str:
    words = f"{product.designer} {product.title}".strip()
    if product.color and product.color.lower() not in words.lower():
        words = f"{words} in {product.color.lower()}"
    return words


def _default_scorer(settings: Settings) -> Scorer:
    from stylist.grounding.fashion_clip import FashionClip
    from stylist.looks.rank import ClipScorer

    return ClipScorer(FashionClip.load(settings))


def _default_pixel_scorer(settings: Settings) -> PixelScorer:
    from stylist.grounding.fashion_clip import FashionClip
    from stylist.looks.guidance import FashionClipPixels

    return FashionClipPixels(FashionClip.load(settings))
