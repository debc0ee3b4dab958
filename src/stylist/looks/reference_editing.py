"""The reference-editing drawing path (the klein presets): the person's photo and the products' own photos go to the model as
reference images, and it draws that person wearing those very products, with no training and no masks.

One call takes at most `preset.max_references` images (4 for FLUX.2 klein, by its vendor's guidance): the
person's photo first, then one image per product. An outfit with more products than fit beside the photo
gives them as one reference sheet instead (`reference_images` says why). The pipeline is built once per
process and preset, like the adapter path's (`reference_models`). Its sibling, adapter_drawing.py, draws the
SDXL and SD 1.x presets' looks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

import torch
from diffusers import DiffusionPipeline
from PIL import Image

from stylist.catalog.products import StoredProduct
from stylist.errors import StylistError
from stylist.imaging import ImageRejected, fit_within, load_image
from stylist.looks.drawing import Drawn, DrawnOptions, DrawTask, describe, product_board
from stylist.looks.outfits import slot_of
from stylist.looks.recipe import Recipe, look_size
from stylist.models.device import default_dtype, resolve_device
from stylist.models.loading import expected_bytes, load_image_pipeline
from stylist.models.memory import (
    MODEL_OFFLOAD,
    TEXT_ENCODER_OFFLOAD,
    MemoryPlan,
    candidates_per_call,
    device_plan,
)
from stylist.models.residency import RESIDENCY, model_bytes
from stylist.people.users import User
from stylist.presets import Preset

# FLUX.2 packs latents in 2×2 patches of the VAE's 8-pixel cells, and its image processor refuses a reference
# with a side under 64 pixels.
REFERENCE_MULTIPLE = 16
MIN_REFERENCE_SIDE = 64


@dataclass(frozen=True)
class EditRequest:
    """What one option is drawn from: the prompt, the reference images, and which products they show."""

    prompt: str
    references: tuple[Image.Image, ...]  # the person's photo first
    product_ids: tuple[int, ...]  # the products whose own images are among the references


class Editor(Protocol):
    """What draws each request's candidates, one per seed, every candidate's noise from its own seed: `draw`
    on the preset's pipeline, unless `style` is handed another (`seams=Seams(editor=...)`), as the micro-world's 32-pixel
    reference model is, so that stylist's own looks pipeline is judged end to end with a model that learnt."""

    def __call__(self, requests: Sequence[EditRequest], seeds: Sequence[Sequence[int]], recipe: Recipe,
                 on_step: Callable[[int, int], None] | None = None) -> list[list[Drawn]]: ...


@dataclass
class ReferenceModels:
    preset: Preset
    pipeline: DiffusionPipeline
    # Where the models sit on the device (models/memory.py): whole, the text encoder in the CPU's memory
    # between looks, or each model offloaded while another runs.
    plan: MemoryPlan
    # Held for a whole look, so that threads of one worker draw one look at a time on the shared pipeline.
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def device_bytes(self) -> int:
        """What the residency manager counts on the device: every model, since even with the text encoder in
        the CPU's memory it comes back for each look's prompts; the largest model when each is offloaded."""
        parts = [model_bytes(part) for part in self.pipeline.components.values() if isinstance(part, torch.nn.Module)]
        return max(parts, default=0) if self.plan.placement == MODEL_OFFLOAD else sum(parts)


def reference_models(preset: Preset, device: str) -> ReferenceModels:
    """The process's reference-editing pipeline for `preset` on `device`, built on first use and placed as the
    device's memory plan says."""
    resolved = resolve_device(device)
    dtype = default_dtype(resolved)
    plan = device_plan(preset, str(resolved))

    def build() -> ReferenceModels:
        # A private pipeline (cached=False): the residency manager holds it once, under this key.
        pipeline = load_image_pipeline(preset, resolved, dtype, cached=False,
                                       model_offload=plan.placement == MODEL_OFFLOAD)
        if plan.placement == TEXT_ENCODER_OFFLOAD:
            pipeline.text_encoder.to("cpu")
        return ReferenceModels(preset, pipeline, plan)

    def held() -> int | None:
        """Room made before building: every model's size from its files (the text encoder joins the others on
        the device for each look's prompts), or the plan's largest model when each is offloaded."""
        return plan.resident_bytes if plan.placement == MODEL_OFFLOAD else expected_bytes(preset, dtype)

    return RESIDENCY.load(("reference editing", preset, str(resolved), dtype, plan.placement), build,
                          device=str(resolved), expected_bytes=held)


def draw_look(task: DrawTask, notes: list[str], *, loaded: Callable[[], None],
              on_step: Callable[[int, int], None], editor: Editor | None = None) -> DrawnOptions:
    """The look's candidates from the person's photo and each outfit's product photos, by `editor` (default: the
    preset's pipeline, `draw`). Products whose pictures cannot be read are noted in `notes`. `loaded` is called
    once the models are ready to draw."""
    if task.recipe.clip_guidance > 0:
        raise StylistError(f"CLIP guidance steers the sdxl and sd14 presets' sampling; the {task.preset.name} preset "
                           "draws from the products' own photos instead: leave out --clip-guidance")
    if editor is None:
        # `draw` holds the pipeline's lock while it draws the whole look.
        editor = partial(draw, reference_models(task.preset, task.device))
    person = person_photo(task.user)
    loaded()
    requests = [edit_request(person, task.scene, outfit.products, task.preset, notes) for outfit in task.plan]
    drawn = editor(requests, task.seeds, task.recipe, on_step)
    return DrawnOptions(drawn, [list(request.product_ids) for request in requests], "reference photo")


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
    """The references for one outfit, and the products they show.

    Each reference is the picture at its own aspect ratio, fitted within the preset's reference size (1 MP on
    klein) at sides a multiple of 16, as FLUX.2 reads references, never padded: grey borders
    would cost tokens and draw nothing. A product's is its stored original (the shop's own photograph, not the
    catalog's 512-pixel padded copy). A product whose image cannot be read is left out with a note; the look
    still shows the others. When the products do not all fit beside the person's photo, they go in as one
    sheet rather than as several passes of a few garments each: passes would redraw the person once per pass
    (more time, and the likeness drifts with every redraw), and the sheet keeps one call per option. The SDXL
    path gives its product adapter the same sheet, so both paths see an outfit the same way when it is large.
    """
    def fitted(image: Image.Image) -> Image.Image:
        return fit_within(image, preset.reference_pixels, REFERENCE_MULTIPLE, MIN_REFERENCE_SIDE)

    readable: list[tuple[StoredProduct, Image.Image]] = []
    for product in products:
        try:
            readable.append((product, load_image(product.picture().read_bytes())))
        except (ImageRejected, OSError, IndexError):
            notes.append(f"the picture of {product.title} could not be read, so it is listed but not drawn from")
    references = [fitted(person)]
    if len(readable) <= preset.max_references - 1:
        references += [fitted(image) for _, image in readable]
    elif readable:
        references.append(product_board([product for product, _ in readable], preset.resolution))
    return tuple(references), tuple(product.id for product, _ in readable)


def edit_prompt(scene: str, products: Sequence[StoredProduct], shown: Sequence[int], sheet: bool) -> str:
    """The instruction: the person of image 1 wearing each product by its image, slot, designer, title and
    colour, for the user's occasion. FLUX.2 reads references by their place ("image 2")."""
    parts = ["The person in image 1"]
    worn = [product for product in products if product.id in shown]
    if worn:
        def name(product: StoredProduct) -> str:
            return f"{slot_of(product)}: {describe(product)}"

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
         recipe: Recipe, on_step: Callable[[int, int], None] | None = None) -> list[list[Drawn]]:
    """Candidates (`Drawn`) for each request, one per seed, every candidate's noise from a CPU generator of its own seed.

    Every option's prompt is encoded once, before the first step (Qwen3-4B reads 512 tokens; with the memory
    plan's text encoder offload, the encoder visits the device once a look). Then each option is drawn in calls
    of as many candidates as the plan has room for, its references shared by every image of a call.
    """
    # The preset's sampler (klein 4B: 4 steps, no guidance). The fast look is the same recipe with one
    # candidate, since a distilled model has nothing faster to switch to.
    steps = recipe.steps or models.preset.steps
    guidance = models.preset.guidance if recipe.guidance_scale is None else recipe.guidance_scale
    width, height = look_size(models.preset, recipe.size)
    calls: list[list[Sequence[int]]] = []  # each option's seeds, in calls of as many as fit
    for request, option_seeds in zip(requests, seeds, strict=True):
        size = candidates_per_call(models.preset, models.plan, (width, height), len(request.references))
        calls.append([option_seeds[start:start + size] for start in range(0, len(option_seeds), size)])
    total, done = steps * sum(len(chunks) for chunks in calls), 0
    found: list[list[Drawn]] = []
    with models.lock:
        prompts = encode_prompts(models, [request.prompt for request in requests])
        for request, embeds, chunks in zip(requests, prompts, calls, strict=True):
            candidates: list[Drawn] = []
            for chunk in chunks:
                def report(pipeline, step: int, timestep, tensors: dict, offset: int = done) -> dict:
                    if on_step is not None:
                        on_step(offset + step + 1, total)
                    return tensors

                output = models.pipeline(
                    image=list(request.references), prompt_embeds=embeds, num_images_per_prompt=len(chunk),
                    height=height, width=width, num_inference_steps=steps, guidance_scale=guidance,
                    generator=[torch.Generator("cpu").manual_seed(seed) for seed in chunk],
                    callback_on_step_end=report,
                )
                candidates += [Drawn(image, seed) for image, seed in zip(output.images, chunk, strict=True)]
                done += steps
            found.append(candidates)
    return found


def encode_prompts(models: ReferenceModels, prompts: Sequence[str]) -> list[torch.Tensor]:
    """Each prompt's embedding, one row each. With the text encoder offloaded between looks it comes to the
    device for these prompts and leaves before any denoising, so that its memory is the activations' then."""
    pipeline = models.pipeline
    device = pipeline._execution_device
    visiting = models.plan.placement == TEXT_ENCODER_OFFLOAD and device.type != "cpu"
    if visiting:
        pipeline.text_encoder.to(device)
    try:
        with torch.no_grad():
            return [pipeline.encode_prompt(prompt, device=device, max_sequence_length=models.preset.max_prompt_tokens)[0]
                    for prompt in prompts]
    finally:
        if visiting:
            pipeline.text_encoder.to("cpu")
            torch.cuda.empty_cache()
