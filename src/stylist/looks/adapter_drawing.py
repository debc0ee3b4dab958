"""The adapter drawing path (the SDXL and SD 1.x presets): candidate images of the person wearing an outfit,
with the person's identity and the products' own pictures as image conditions, batched, every candidate from
its own recorded seed. Its sibling, reference_editing.py, draws the klein presets' looks.

Identity: the user's DreamBooth-LoRA when one is trained for the preset, else the face adapter (an
IP-Adapter "plus-face" on a face crop, no training). Products: a second IP-Adapter ("plus") sees a board of
the outfit's product images. Both adapters stay attached; a call turns one off with a scale of 0 (the face
adapter when a LoRA carries the identity, the product adapter for a look from the prompt alone).

The pipeline with its adapters is built once per process and preset (`look_models`, held by the residency
manager), and reused for every user: switching users swaps only the identity LoRA (unload_identity takes
every part of it out). The worker relies on that to answer in seconds.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from diffusers import DiffusionPipeline, DPMSolverMultistepScheduler, LCMScheduler, StableDiffusionXLPipeline
from PIL import Image

from stylist.catalog.products import StoredProduct
from stylist.identity.weights import identity_folder, load_identity, unload_identity
from stylist.imaging import load_image
from stylist.looks.drawing import Drawn, DrawnOptions, DrawTask, describe, product_board
from stylist.looks.guidance import CleanPrediction, ClipGuidance
from stylist.looks.outfits import Outfit
from stylist.looks.recipe import Recipe, look_size
from stylist.models.device import default_dtype, resolve_device
from stylist.models.face_adapter import attach_ip_adapters
from stylist.models.loading import expected_bytes, load_image_pipeline
from stylist.models.locate import model_folder
from stylist.models.memory import ACTIVATION_BYTES_PER_MEGAPIXEL, MAX_BATCH
from stylist.models.residency import RESIDENCY
from stylist.models.weights import LCM_LORA_FILE, fast_lora_weights
from stylist.people.users import User
from stylist.presets import Preset

# The fast first look: LCM-LoRA's recipe (4 steps, no classifier-free guidance) where the preset has one,
# else DPM-Solver++ in 8 steps, the fewest at which it still gives a clean SDXL image (at the preset's guidance).
FAST_LCM = {"steps": 4, "guidance": 1.0}
FAST_SAMPLER_STEPS = 8
FAST_ADAPTER = "fast"


@dataclass(frozen=True)
class OutfitPrompt:
    """What one outfit's candidates are drawn from."""

    text: str
    products: tuple[StoredProduct, ...]  # empty: a look from the prompt alone


@dataclass(frozen=True)
class Identity:
    subject: str  # how prompts name the person: their identifier token, or "a person"
    face: Image.Image  # a face crop, for the face adapter
    trained: bool  # a LoRA carries the identity; the face adapter is then off


@dataclass
class LookModels:
    """The preset's pipeline with the face and product adapters attached, and what it carries now."""

    settings_key: tuple
    preset: Preset
    pipeline: DiffusionPipeline
    sampler: object  # the preset's own scheduler
    identity: str | None = None  # the LoRA adapter loaded, "identity-<user id>"
    full_identity: bool = False  # a fully fine-tuned UNet: it cannot be taken back out
    fast_lora: bool = False
    # Held from choosing the person to the last image, so that threads of one worker never mix identities.
    lock: threading.RLock = field(default_factory=threading.RLock)


def look_models(preset: Preset, device: str) -> LookModels:
    """The process's looks models for `preset` on `device` ("auto", "cpu", "cuda"), built on first use."""
    resolved = resolve_device(device)
    key = (preset, str(resolved), default_dtype(resolved))
    # The image model's size; its IP-Adapters add under a tenth to SDXL's.
    return RESIDENCY.load(("looks", *key), lambda: _build(key), device=str(resolved),
                          expected_bytes=lambda: expected_bytes(preset, key[2]))


def _build(key: tuple) -> LookModels:
    preset, device, dtype = key
    # A private copy: adapters and LoRA change the UNet, which other users of the cached pipeline must not see.
    pipeline = load_image_pipeline(preset, device, dtype, cached=False)
    # The VAE decodes a batch one image at a time: the same pictures, without a batch-sized peak at the end.
    pipeline.vae.enable_slicing()
    attach_ip_adapters(pipeline, preset, [preset.face_adapter, preset.product_adapter])
    return LookModels(key, preset, pipeline, pipeline.scheduler)


def use_identity(models: LookModels, user: User) -> Identity:
    """Make the pipeline carry `user`: their LoRA when trained for the preset, else nothing (the face adapter)."""
    face = load_image(user.crops[0].read_bytes())
    record_file = identity_folder(user, models.preset) / "identity.json"
    record = json.loads(record_file.read_text(encoding="utf-8")) if record_file.is_file() else None
    wanted = f"identity-{user.id}" if record else None
    if wanted != models.identity:
        _swap_identity(models, user, wanted, full=bool(record and record["unet"] == "full"))
    if record is None:
        return Identity("a person", face, trained=False)
    config = record["config"]
    return Identity(f"{config['identifier']} {config['class_noun']}", face, trained=True)


def _swap_identity(models: LookModels, user: User, wanted: str | None, full: bool) -> None:
    pipeline = models.pipeline
    if models.full_identity or full:
        # A fine-tuned UNet replaced the base weights: start again from a fresh copy of the model.
        fresh = _build(models.settings_key)
        models.pipeline, models.sampler, models.fast_lora = fresh.pipeline, fresh.sampler, False
        models.identity, models.full_identity = None, False
        pipeline = models.pipeline
    # LoRA goes in with the image adapters off, as load_identity asks; they come back on top of it, with the
    # same image encoder (ViT-H, 2.5 GB on SDXL): unloading the adapters does not change it.
    encoder = pipeline.image_encoder
    pipeline.unload_ip_adapter()
    if models.identity is not None:
        unload_identity(pipeline, models.identity)
        models.identity = None
    if wanted is not None:
        load_identity(pipeline, user, models.preset)
        models.identity, models.full_identity = wanted, full
    attach_ip_adapters(pipeline, models.preset, [models.preset.face_adapter, models.preset.product_adapter],
                       encoder=encoder)


def use_sampler(models: LookModels, fast: bool) -> dict[str, float]:
    """Set the scheduler and LoRA adapters for a normal or a fast call; returns its steps and guidance."""
    pipeline = models.pipeline
    if fast and models.preset.fast_lora and not models.fast_lora:
        weights = fast_lora_weights(models.preset)
        pipeline.load_lora_weights(str(model_folder(weights, models.preset)), weight_name=LCM_LORA_FILE,
                                   adapter_name=FAST_ADAPTER)
        models.fast_lora = True
    # A fully fine-tuned identity is in the UNet's own weights, not an adapter.
    loaded = {name for names in pipeline.get_list_adapters().values() for name in names}
    adapters = [name for name in (models.identity, FAST_ADAPTER if fast else None) if name in loaded]
    if adapters:
        pipeline.enable_lora()
        pipeline.set_adapters(adapters)
    elif models.fast_lora:
        pipeline.disable_lora()
    if not fast:
        pipeline.scheduler = models.sampler
        return {"steps": models.preset.steps, "guidance": models.preset.guidance}
    if models.preset.fast_lora:
        pipeline.scheduler = LCMScheduler.from_config(models.sampler.config)
        return FAST_LCM
    pipeline.scheduler = DPMSolverMultistepScheduler.from_config(models.sampler.config)
    return {"steps": FAST_SAMPLER_STEPS, "guidance": models.preset.guidance}


def fitting_batch(pipeline: DiffusionPipeline, classifier_free: bool, size: tuple[int, int]) -> int:
    """How many candidates one denoising call draws: up to MAX_BATCH, as many as fit in the GPU's free memory.

    Activations grow with the image's pixels (`size`, width by height) and halve without classifier-free
    guidance; the per-megapixel figure is the memory plan's estimate (models/memory.py), to be replaced by
    `stylist bench gpu`'s measurement. The CPU draws MAX_BATCH: its memory is the machine's.
    """
    if pipeline.device.type != "cuda":
        return MAX_BATCH
    free, _ = torch.cuda.mem_get_info(pipeline.device)
    # Memory PyTorch keeps cached from earlier looks is free to this one: the driver counts it as used.
    free += torch.cuda.memory_reserved(pipeline.device) - torch.cuda.memory_allocated(pipeline.device)
    width, height = size
    per_image = ACTIVATION_BYTES_PER_MEGAPIXEL * width * height / 2**20 * (1.0 if classifier_free else 0.5)
    return max(1, min(MAX_BATCH, int(0.8 * free // per_image)))


def draw_look(task: DrawTask, *, loaded: Callable[[], None], on_step: Callable[[int, int], None],
              guidance: ClipGuidance | None = None) -> DrawnOptions:
    """The look's candidates on the preset's shared pipeline: the person carried by their trained identity, else
    by the face adapter on a crop of their face; the products by the product adapter on their board. `loaded`
    is called once the models are ready to draw."""
    models = look_models(task.preset, task.device)
    with models.lock:
        identity = use_identity(models, task.user)
        loaded()
        texts = [OutfitPrompt(generation_prompt(identity.subject, task.scene, outfit), outfit.products)
                 for outfit in task.plan]
        drawn = generate(models, identity, texts, task.seeds, task.recipe, guidance=guidance, on_step=on_step)
    # The product adapter saw every product of the outfit on its board, unless it was switched off.
    references = [[product.id for product in outfit.products] if task.recipe.product_scale > 0 else []
                  for outfit in task.plan]
    return DrawnOptions(drawn, references, "dreambooth" if identity.trained else "face adapter")


def generation_prompt(subject: str, scene: str, outfit: Outfit) -> str:
    """The person first, then the user's words, then the products by designer, colour and garment."""
    text = f"a photo of {subject}, {scene}"
    if not outfit.products:
        return text
    return f"{text}, wearing " + ", ".join(describe(product) for product in outfit.products)


def generate(
    models: LookModels,
    identity: Identity,
    outfits: Sequence[OutfitPrompt],
    seeds: Sequence[Sequence[int]],
    recipe: Recipe = Recipe(),
    *,
    guidance: ClipGuidance | None = None,
    batch_size: int | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> list[list[Drawn]]:
    """Candidates (`Drawn`) for each outfit, one per seed in `seeds[outfit]`, drawn in batches of up to `batch_size`
    (default: as many as the device's free memory holds, `fitting_batch`).

    Every candidate's noise comes from a CPU generator of its own seed, so a seed gives the same image
    whichever batch it is drawn in and on every device. `on_step(done, total)` reports denoising steps.
    The recipe's steps and classifier-free guidance default to the normal or the fast sampler's.
    """
    rows = [(index, seed) for index, outfit_seeds in enumerate(seeds) for seed in outfit_seeds]
    with models.lock:
        sampler = use_sampler(models, recipe.fast)
        steps = recipe.steps or sampler["steps"]
        guidance_scale = sampler["guidance"] if recipe.guidance_scale is None else recipe.guidance_scale
        pipeline = models.pipeline
        do_cfg = guidance_scale > 1 and getattr(pipeline.unet.config, "time_cond_proj_dim", None) is None
        pipeline.set_ip_adapter_scale([0.0 if identity.trained else recipe.face_scale,
                                       recipe.product_scale if any(outfit.products for outfit in outfits) else 0.0])
        # Each outfit's text and pictures encoded once, whichever of its candidates a batch draws.
        embeds = [_image_embeds(pipeline, identity.face, outfit.products, do_cfg) for outfit in outfits]
        texts = [_text_embeds(pipeline, outfit.text, do_cfg) for outfit in outfits]
        images: list[Image.Image] = []
        width, height = look_size(models.preset, recipe.size)
        batch_size = batch_size or fitting_batch(pipeline, do_cfg, (width, height))
        batches = [rows[start:start + batch_size] for start in range(0, len(rows), batch_size)]
        total = steps * len(batches)
        # Guidance reads each step's prediction of the clean latents from a hook on the UNet, for this call only.
        clean = CleanPrediction(pipeline) if guidance is not None else contextlib.nullcontext()
        try:
            with clean:
                for number, batch in enumerate(batches):
                    def report(step: int, offset: int = number * steps) -> None:
                        if on_step is not None:
                            on_step(offset + step + 1, total)
                    prompts = [outfits[index].text for index, _ in batch]
                    output = pipeline(
                        **_text_rows(texts, [index for index, _ in batch]),
                        ip_adapter_image_embeds=_rows(embeds, [index for index, _ in batch], do_cfg),
                        height=height, width=width,
                        num_inference_steps=steps,
                        guidance_scale=guidance_scale,
                        generator=[torch.Generator("cpu").manual_seed(seed) for _, seed in batch],
                        callback_on_step_end=_StepCallback(report, guidance, clean, prompts),
                        callback_on_step_end_tensor_inputs=["latents"],
                    )
                    images.extend(output.images)
        finally:
            pipeline.scheduler = models.sampler  # the fast sampler is for this call only
    found: list[list[Drawn]] = [[] for _ in outfits]
    for (index, seed), image in zip(rows, images, strict=True):
        found[index].append(Drawn(image, seed))
    return found


def _image_embeds(pipeline: DiffusionPipeline, face: Image.Image, products: Sequence[StoredProduct],
                  do_cfg: bool) -> list[torch.Tensor]:
    """Per adapter (face, products): [negative; positive] embeddings of one outfit, or [positive] without CFG."""
    return pipeline.prepare_ip_adapter_image_embeds([face, product_board(products)], None, pipeline.device, 1, do_cfg)


def _text_embeds(pipeline: DiffusionPipeline, text: str, do_cfg: bool) -> dict[str, torch.Tensor]:
    """One outfit's prompt as the pipeline's `*prompt_embeds` arguments: SDXL's two encoders give sequence and
    pooled embeddings, SD 1.x's one the sequence; the negatives are what the pipeline would make of no
    negative prompt (SDXL: zeros), and absent without classifier-free guidance."""
    names = ("prompt_embeds", "negative_prompt_embeds", "pooled_prompt_embeds", "negative_pooled_prompt_embeds")
    if isinstance(pipeline, StableDiffusionXLPipeline):
        encoded = pipeline.encode_prompt(text, device=pipeline.device, num_images_per_prompt=1,
                                         do_classifier_free_guidance=do_cfg)
    else:
        encoded = pipeline.encode_prompt(text, pipeline.device, 1, do_cfg)
    return {name: tensor for name, tensor in zip(names, encoded, strict=False) if tensor is not None}


def _text_rows(texts: list[dict[str, torch.Tensor]], outfit_of_row: list[int]) -> dict[str, torch.Tensor]:
    """The text embeddings of a batch of rows, each row its outfit's."""
    return {name: torch.cat([texts[index][name] for index in outfit_of_row]) for name in texts[0]}


def _rows(embeds: list[list[torch.Tensor]], outfit_of_row: list[int], do_cfg: bool) -> list[torch.Tensor]:
    """Each adapter's embeddings for a batch of rows, laid out as the pipeline splits them: all negatives,
    then all positives."""
    result = []
    for adapter in range(len(embeds[0])):
        parts = [embeds[index][adapter].chunk(2) if do_cfg else (embeds[index][adapter],) for index in outfit_of_row]
        result.append(torch.cat([part[half] for half in range(len(parts[0])) for part in parts]))
    return result


class _StepCallback:
    """callback_on_step_end: progress, and CLIP guidance of the latents when it is on."""

    def __init__(self, report: Callable[[int], None], guidance: ClipGuidance | None,
                 clean: CleanPrediction | contextlib.nullcontext, prompts: list[str]) -> None:
        self.report, self.guidance, self.clean, self.prompts = report, guidance, clean, prompts

    def __call__(self, pipeline: DiffusionPipeline, step: int, timestep, tensors: dict) -> dict:
        if self.guidance is not None:
            tensors["latents"] = self.guidance.steer(pipeline, tensors["latents"], self.clean.latest, self.prompts)
        self.report(step)
        return tensors
