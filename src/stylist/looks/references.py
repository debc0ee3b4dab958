"""Reference editing (the klein presets): the person's photo and the products' own photos go to the model as
reference images, and it draws that person wearing those very products, with no training and no masks.

One call takes at most `preset.max_references` images (4 for FLUX.2 klein, by its vendor's guidance): the
person's photo first, then one image per product. An outfit with more products than fit beside the photo
gives them as one reference sheet instead (`reference_images` says why). The pipeline is built once per
process and preset, like the SDXL path's (`reference_models`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import torch
from diffusers import DiffusionPipeline
from PIL import Image

from stylist.catalog.store import StoredProduct
from stylist.imaging import ImageRejected, load_image, pad_to_square
from stylist.looks.generate import Candidate, product_board
from stylist.looks.outfits import slot_of
from stylist.looks.recipe import Recipe
from stylist.models.device import default_dtype, resolve_device
from stylist.models.loading import expected_bytes, load_image_pipeline
from stylist.models.presets import Preset
from stylist.models.residency import RESIDENCY
from stylist.people.users import User

# FLUX.2 klein 4B is distilled to 4 steps without classifier-free guidance; the fast look is the same recipe
# with one candidate, since there is nothing faster to switch to.
STEPS = 4
GUIDANCE = 1.0


@dataclass(frozen=True)
class EditRequest:
    """What one option is drawn from: the prompt, the reference images, and which products they show."""

    prompt: str
    references: tuple[Image.Image, ...]  # the person's photo first
    product_ids: tuple[int, ...]  # the products whose own images are among the references


class Editor(Protocol):
    """What draws each request's candidates, one per seed, every candidate's noise from its own seed: `draw`
    on the preset's pipeline, unless `style` is handed another (its `editor=`), as the micro-world's 32-pixel
    reference model is, so that stylist's own looks pipeline is judged end to end with a model that learnt."""

    def __call__(self, requests: Sequence[EditRequest], seeds: Sequence[Sequence[int]], recipe: Recipe,
                 on_step: Callable[[int, int], None] | None = None) -> list[list[Candidate]]: ...


@dataclass
class ReferenceModels:
    preset: Preset
    pipeline: DiffusionPipeline
    # Held for a whole look, so that threads of one worker draw one look at a time on the shared pipeline.
    lock: threading.RLock = field(default_factory=threading.RLock)


def reference_models(preset: Preset, device: str) -> ReferenceModels:
    """The process's reference-editing pipeline for `preset` on `device`, built on first use."""
    resolved = resolve_device(device)
    dtype = default_dtype(resolved)
    # A private pipeline (cached=False): the residency manager holds it once, under this key.
    return RESIDENCY.load(("reference editing", preset, str(resolved), dtype),
                          lambda: ReferenceModels(preset, load_image_pipeline(preset, resolved, dtype, cached=False)),
                          device=str(resolved), expected_bytes=lambda: expected_bytes(preset, dtype))


def person_photo(user: User) -> Image.Image:
    """The user's photo that shows most of them: the one whose face takes the smallest share of the picture.

    Intake found the face in every photo; a photo where the face is small shows the body, the hair and how
    the person stands, which a full-length look needs more than a close-up of the face.
    """
    def face_share(photo) -> float:
        with Image.open(photo.file) as image:
            width, height = image.size
        return photo.face.w * photo.face.h / (width * height)

    chosen = min(user.photos, key=face_share)
    return load_image(chosen.file.read_bytes())


def reference_images(person: Image.Image, products: Sequence[StoredProduct], preset: Preset,
                     notes: list[str]) -> tuple[tuple[Image.Image, ...], tuple[int, ...]]:
    """The references for one outfit, each padded square at the model's resolution, and the products they show.

    A product whose image cannot be read is left out with a note; the look still shows the others. When the
    products do not all fit beside the person's photo, they go in as one sheet rather than as several passes
    of a few garments each: passes would redraw the person once per pass (more time, and the likeness drifts
    with every redraw), and the sheet keeps one call per option. The SDXL path gives its product adapter the
    same sheet, so both paths see an outfit the same way when it is large.
    """
    side = preset.resolution
    readable: list[tuple[StoredProduct, Image.Image]] = []
    for product in products:
        try:
            readable.append((product, load_image(product.images[0].read_bytes())))
        except (ImageRejected, OSError, IndexError):
            notes.append(f"the picture of {product.title} could not be read, so it is listed but not drawn from")
    references = [pad_to_square(person, side)]
    if len(readable) <= preset.max_references - 1:
        references += [pad_to_square(image, side) for _, image in readable]
    elif readable:
        references.append(product_board([product for product, _ in readable], side))
    return tuple(references), tuple(product.id for product, _ in readable)


def edit_prompt(scene: str, products: Sequence[StoredProduct], shown: Sequence[int], sheet: bool) -> str:
    """The instruction: the person of image 1 wearing each product by its image, slot, designer, title and
    colour, for the user's occasion. FLUX.2 reads references by their place ("image 2")."""
    parts = ["The person in image 1"]
    worn = [product for product in products if product.id in shown]
    if worn:
        def name(product: StoredProduct) -> str:
            words = f"{product.designer} {product.title}".strip()
            colour = f" in {product.color.lower()}" if product.color and product.color.lower() not in words.lower() else ""
            return f"{slot_of(product)}: {words}{colour}"

        if sheet:
            items = "; ".join(name(product) for product in worn)
            parts.append(f"wearing the garments shown in image 2 ({items})")
        else:
            parts.append("wearing " + "; ".join(f"the {name(product)} from image {number}"
                                                for number, product in enumerate(worn, start=2)))
    parts.append(f"for {scene}, full-length photo, same face and hair")
    return ", ".join(parts)


def edit_request(person: Image.Image, scene: str, products: Sequence[StoredProduct], preset: Preset,
                 notes: list[str]) -> EditRequest:
    references, shown = reference_images(person, products, preset, notes)
    sheet = len(shown) > preset.max_references - 1
    return EditRequest(edit_prompt(scene, products, shown, sheet), references, shown)


def draw(models: ReferenceModels, requests: Sequence[EditRequest], seeds: Sequence[Sequence[int]],
         recipe: Recipe, on_step: Callable[[int, int], None] | None = None) -> list[list[Candidate]]:
    """Candidates for each request, one per seed, every candidate's noise from a CPU generator of its own seed.

    One call per option (references are shared by every image of a call), its candidates drawn together.
    """
    steps = recipe.steps or STEPS
    guidance = GUIDANCE if recipe.guidance_scale is None else recipe.guidance_scale
    side = models.preset.resolution
    total = steps * len(requests)
    found: list[list[Candidate]] = []
    with models.lock:
        for number, (request, option_seeds) in enumerate(zip(requests, seeds, strict=True)):
            def report(pipeline, step: int, timestep, tensors: dict, offset: int = number * steps) -> dict:
                if on_step is not None:
                    on_step(offset + step + 1, total)
                return tensors

            # The prompt once per option, its embedding repeated for the candidates: Qwen3-4B reads 512 tokens.
            output = models.pipeline(
                image=list(request.references), prompt=request.prompt, num_images_per_prompt=len(option_seeds),
                height=side, width=side, num_inference_steps=steps, guidance_scale=guidance,
                generator=[torch.Generator("cpu").manual_seed(seed) for seed in option_seeds],
                max_sequence_length=models.preset.max_prompt_tokens, callback_on_step_end=report,
            )
            found.append([Candidate(image, seed) for image, seed in zip(output.images, option_seeds, strict=True)])
    return found
