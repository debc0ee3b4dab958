"""Presets: one name picks every model a run uses, so one switch moves the system from a laptop to a GPU.

This module imports nothing heavy: the web process reads presets without importing torch.

Licences of the weights the real presets name, as their Hugging Face model cards state them:
- stabilityai/stable-diffusion-xl-base-1.0: CreativeML Open RAIL++-M (commercial use allowed, with the
  licence's use restrictions passed on to users).
- CompVis/stable-diffusion-v1-4: CreativeML OpenRAIL-M (the same terms for SD 1.x).
- h94/IP-Adapter: Apache-2.0, for both the adapters and their image encoder `models/image_encoder`
  (OpenCLIP ViT-H-14). The "plus-face" adapters condition on CLIP features of a face crop; the FaceID
  adapters in other repositories need InsightFace models, whose licence forbids commercial use, so they
  are not used here. The "plus" adapters (ip-adapter-plus_*) condition on whole images: looks give
  them the products' pictures.
- latent-consistency/lcm-lora-sdxl and lcm-lora-sdv1-5 (the fast first look): OpenRAIL++-M.
- OpenCLIP ViT-B-32 `laion2b_s34b_b79k`: MIT.
- black-forest-labs/FLUX.2-klein-4B (reference editing, with its Qwen3-4B text encoder and FLUX.2 VAE in
  the same repository): Apache-2.0. The 9B klein models are non-commercial and are not used.
- Wan-AI/Wan2.1-VACE-1.3B-diffusers (the spin's video model): Apache-2.0.
- guoyww/animatediff-motion-adapter-v1-5-2 (the baseline's motion adapter): Apache-2.0.
- lllyasviel/control_v11p_sd15_openpose: OpenRAIL (CreativeML OpenRAIL-M terms, as SD 1.5).
- stable-diffusion-v1-5/stable-diffusion-v1-5 (the image model AnimateDiff animates): CreativeML OpenRAIL-M
  (commercial use allowed, with the licence's use restrictions passed on).
- h94/IP-Adapter `ip-adapter-plus_sd15.safetensors` (the look's reference in AnimateDiff spins) and its
  ViT-H image encoder: Apache-2.0, as above.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from stylist.errors import StylistError

GB = 10**9

# How strongly the face adapter steers the image against the text. IP-Adapter's and diffusers' examples use
# 0.5-0.6 when a prompt should still decide clothes and scene; higher copies the reference photo's framing
# and light.
FACE_ADAPTER_SCALE = 0.6


@dataclass(frozen=True)
class IPAdapterWeights:
    """IP-Adapter weights ("plus-face" for the face, "plus" for products and a spin's look), laid out as in
    h94/IP-Adapter.

    `repo` is None for the tiny presets, whose adapter is built in code and written in the same layout,
    so that both go through diffusers' `load_ip_adapter` with the same arguments.
    """

    repo: str | None
    subfolder: str
    weight_name: str
    # Relative to the repository root: the ViT-H encoder these adapters were trained with.
    image_encoder_folder: str


# The spin's video model families: Wan VACE (modern) and AnimateDiff + ControlNet-OpenPose (baseline).
VIDEO_BACKENDS = ("wan-vace", "animatediff")


@dataclass(frozen=True)
class VideoModels:
    """The spin's video models (video/backends.py loads them). A repository of None means the model is built
    in code from seeded configs (video/tiny.py), as the tiny presets do."""

    # Default backend, one of VIDEO_BACKENDS.
    backend: str
    # Hub id of Wan VACE in diffusers' layout (transformer, VAE, UMT5 text encoder, tokenizer, scheduler).
    wan_vace: str | None
    # AnimateDiff: the SD 1.x image model it animates, its motion adapter and the OpenPose ControlNet, each a
    # hub id in diffusers' layout.
    animatediff_base: str | None
    motion_adapter: str | None
    pose_controlnet: str | None
    # The IP-Adapter that carries the look into AnimateDiff's frames: the general "plus" adapter, not the face
    # one, so that the whole look (garments, colours) comes through.
    look_adapter: IPAdapterWeights


# Compared and hashed as itself (eq=False): each family is one row of FAMILIES, and its tables are dicts, which a
# value hash could not take; presets, which hold one, key the residency manager's models.
@dataclass(frozen=True, eq=False)
class Family:
    """One image-model architecture: how it is assembled, built in miniature and placed on a card. Presets name
    one; code asks the family what to do instead of testing its name.

    Plain data, so that this module stays torch-free: classes are named as diffusers' own model_index.json names
    them, (library, class name), and only the loader (models/loading.py) imports them.
    """

    name: str
    pipeline: str  # a diffusers pipeline class
    # The pipeline's components, by subfolder of the hub repository.
    components: Mapping[str, tuple[str, str]]
    # Keyword arguments the pipeline class takes besides its components.
    extra_arguments: Mapping[str, Any]
    # The function of stylist.models.tiny that builds the family's miniature from seeded configs (tiny presets).
    tiny_builder: str
    # What `stylist user train` fine-tunes unless asked ("lora" or "full", identity/dreambooth_config.py's recipes);
    # None for a family that needs no training.
    trains: str | None
    # Bytes in bfloat16 of each model the family keeps on the device, from the real configs' parameter counts, for
    # the memory plan. SDXL's and SD's include the IP-Adapters' ViT-H image encoder (632 M parameters) and adapters.
    part_bytes: Mapping[str, int]
    # Whether the memory plan may keep components in the CPU's memory and bring each to the card only while it
    # runs. The SDXL and SD paths swap LoRAs and IP-Adapters in place, which offload hooks do not follow.
    offloads: bool = False
    # What overflows in float16, for a family that must run in bfloat16 or float32; None: float16 works.
    float16_overflows: str | None = None
    # One candidate's activations grow with the joint sequence's tokens (a transformer that reads its references
    # beside the picture) or with the picture's megapixels (a UNet).
    activations_grow_with: str = "megapixels"


# The SD 1.x safety checker is left out: the baseline runs like SDXL, which has none.
SDXL = Family(
    name="sdxl",
    pipeline="StableDiffusionXLPipeline",
    components={
        "unet": ("diffusers", "UNet2DConditionModel"), "vae": ("diffusers", "AutoencoderKL"),
        "text_encoder": ("transformers", "CLIPTextModel"),
        "text_encoder_2": ("transformers", "CLIPTextModelWithProjection"),
        "tokenizer": ("transformers", "CLIPTokenizer"), "tokenizer_2": ("transformers", "CLIPTokenizer"),
        "scheduler": ("diffusers", "EulerDiscreteScheduler"),
    },
    extra_arguments={},
    tiny_builder="tiny_sdxl_pipeline",
    trains="lora",
    part_bytes={"unet": int(5.14 * GB), "text_encoder": int(0.25 * GB), "text_encoder_2": int(1.39 * GB),
                "vae": int(0.17 * GB), "image_encoder": int(1.26 * GB), "ip_adapters": int(0.85 * GB)},
)
SD = Family(
    name="sd",
    pipeline="StableDiffusionPipeline",
    components={
        "unet": ("diffusers", "UNet2DConditionModel"), "vae": ("diffusers", "AutoencoderKL"),
        "text_encoder": ("transformers", "CLIPTextModel"), "tokenizer": ("transformers", "CLIPTokenizer"),
        "scheduler": ("diffusers", "PNDMScheduler"),
    },
    extra_arguments={"safety_checker": None, "feature_extractor": None, "requires_safety_checker": False},
    tiny_builder="tiny_sd_pipeline",
    trains="full",  # the whole UNet, as the DreamBooth paper does
    part_bytes={"unet": int(1.72 * GB), "text_encoder": int(0.25 * GB), "vae": int(0.17 * GB),
                "image_encoder": int(1.26 * GB), "ip_adapters": int(0.1 * GB)},
)
KLEIN = Family(
    name="klein",
    pipeline="Flux2KleinPipeline",
    components={
        "transformer": ("diffusers", "Flux2Transformer2DModel"), "vae": ("diffusers", "AutoencoderKLFlux2"),
        "text_encoder": ("transformers", "Qwen3ForCausalLM"), "tokenizer": ("transformers", "Qwen2TokenizerFast"),
        "scheduler": ("diffusers", "FlowMatchEulerDiscreteScheduler"),
    },
    # The 4B klein is step-distilled: one transformer call a step, no classifier-free guidance.
    extra_arguments={"is_distilled": True},
    tiny_builder="tiny_klein_pipeline",
    trains=None,
    part_bytes={"transformer": int(7.75 * GB), "text_encoder": int(8.04 * GB), "vae": int(0.17 * GB)},
    offloads=True,
    float16_overflows="FLUX.2's transformer and its Qwen3 text encoder",
    activations_grow_with="tokens",
)
FAMILIES = {family.name: family for family in (SDXL, SD, KLEIN)}


@dataclass(frozen=True)
class Preset:
    """Every model one run uses, by name, so the CLI, the worker, tests and benchmarks agree on them."""

    name: str
    # SDXL (LoRA recipe), SD (SD 1.x, the DreamBooth baseline) or KLEIN (reference editing: the person's and the
    # products' photos in, no training).
    family: Family
    # Hugging Face hub id of the image model; None means built in code from seeded configs (tiny).
    image_model: str | None
    # Side of the square images the model is trained at (identity crops, DreamBooth, class images).
    resolution: int
    # open_clip model name and pretrained tag of the fashion CLIP backbone; no tag means random weights.
    clip_model: str
    clip_pretrained: str | None
    # The sampler's defaults, which a look's recipe may override: denoising steps and classifier-free guidance.
    # SDXL's and SD's model cards sample with 25-50 steps at guidance 5-7.5; the 4B klein is step-distilled for 4
    # steps without guidance. The tiny presets sample as their families do.
    steps: int
    guidance: float
    # None for klein, which takes the person's photo itself as a reference.
    face_adapter: IPAdapterWeights | None
    video: VideoModels
    # The preset ablations compare this one against (sdxl: the SD 1.x DreamBooth; klein: sdxl); None for sd14.
    baseline: str | None
    # IP-Adapter "plus" on whole images, which looks condition on the products' own pictures with. It shares
    # the face adapter's image encoder, so both load together.
    product_adapter: IPAdapterWeights | None = None
    # Hub id of an LCM-LoRA for the fast first look (4 steps); None means a few-step sampler instead.
    fast_lora: str | None = None

    # Reference editing: the most reference images one call takes (the person's photo among them), and the
    # text encoder's token budget (the real Qwen3 reads 512; tiny's 64 keep tests quick).
    max_references: int = 0
    max_prompt_tokens: int = 77
    # The most pixels a reference image is fitted to, at its own aspect ratio: FLUX.2 reads up to 1 MP. Tiny's
    # 128² keeps both sides of a portrait photo above the 64 pixels FLUX.2's image processor asks for.
    reference_pixels: int = 0
    # (width, height) a look is drawn at unless `stylist style --size` asks for another: a portrait frame, since
    # a look is a full-length photo of a person; square would leave the face some 60-90 px high at 1024².
    look_size: tuple[int, int] = (832, 1216)

    @property
    def random_weights(self) -> bool:
        """Only the tiny presets may run on random weights; real presets fail without their weights."""
        return self.image_model is None

    @property
    def edits_references(self) -> bool:
        """Looks come from the person's photo and the products' photos with no training (klein); else a
        trained identity or the face adapter carries the person (sdxl, sd14)."""
        return self.max_references > 0


SDXL_FACE_ADAPTER = IPAdapterWeights(
    repo="h94/IP-Adapter",
    subfolder="sdxl_models",
    weight_name="ip-adapter-plus-face_sdxl_vit-h.safetensors",
    image_encoder_folder="models/image_encoder",
)
# Trained on SD 1.5, which shares SD 1.4's architecture and text encoder, so it loads into SD 1.4 as is.
SD_FACE_ADAPTER = IPAdapterWeights(
    repo="h94/IP-Adapter",
    subfolder="models",
    weight_name="ip-adapter-plus-face_sd15.safetensors",
    image_encoder_folder="models/image_encoder",
)
TINY_FACE_ADAPTER = IPAdapterWeights(
    repo=None,
    subfolder="models",
    weight_name="ip-adapter-plus-face_tiny.safetensors",
    image_encoder_folder="models/image_encoder",
)
SDXL_PRODUCT_ADAPTER = IPAdapterWeights(
    repo="h94/IP-Adapter",
    subfolder="sdxl_models",
    weight_name="ip-adapter-plus_sdxl_vit-h.safetensors",
    image_encoder_folder="models/image_encoder",
)
SD_PRODUCT_ADAPTER = IPAdapterWeights(
    repo="h94/IP-Adapter",
    subfolder="models",
    weight_name="ip-adapter-plus_sd15.safetensors",
    image_encoder_folder="models/image_encoder",
)
TINY_PRODUCT_ADAPTER = IPAdapterWeights(
    repo=None,
    subfolder="models",
    weight_name="ip-adapter-plus_tiny.safetensors",
    image_encoder_folder="models/image_encoder",
)

# Every real preset spins with the same video models. The look adapter is the SD 1.5 "plus" adapter that
# sd14's looks condition on products with.
VIDEO_MODELS = VideoModels(
    backend="wan-vace",
    wan_vace="Wan-AI/Wan2.1-VACE-1.3B-diffusers",
    animatediff_base="stable-diffusion-v1-5/stable-diffusion-v1-5",
    motion_adapter="guoyww/animatediff-motion-adapter-v1-5-2",
    pose_controlnet="lllyasviel/control_v11p_sd15_openpose",
    look_adapter=SD_PRODUCT_ADAPTER,
)
TINY_VIDEO_MODELS = VideoModels(
    backend="wan-vace",
    wan_vace=None,
    animatediff_base=None,
    motion_adapter=None,
    pose_controlnet=None,
    look_adapter=TINY_PRODUCT_ADAPTER,
)

# FLUX.2 klein takes up to 4 reference images reliably, by its vendor's guidance (the diffusers pipeline has no
# limit of its own): the person's photo and three garments.
KLEIN_MAX_REFERENCES = 4

# Portrait frames looks are drawn in, (width, height): FLUX.2's vendor lists 832×1248 among its buckets; SDXL's
# training buckets include 832×1216; SD 1.x draws 512×768 well. The tiny presets keep klein's 2:3 at their
# 64-pixel scale (sides a multiple of 16, which klein's latents need).
KLEIN_PORTRAIT = (832, 1248)
SDXL_PORTRAIT = (832, 1216)
SD_PORTRAIT = (512, 768)
TINY_PORTRAIT = (64, 96)

# Registered by stylist.models.tiny.register_tiny_clip from configs/stylist-tiny-ViT.json.
TINY_CLIP_MODEL = "stylist-tiny-ViT"

# The preset table: the one list of presets (settings, the CLI's --preset, `doctor` and `models fetch` read their
# names from it). `tiny` is
# SDXL-shaped like `sdxl`; `tiny-sd` is its SD 1.x-shaped sibling, as `sd14` is for `sdxl`, and `tiny-klein` has
# klein's classes. A preset's `baseline` is what ablations compare it against: klein's is the trained-likeness
# path it replaces, sdxl's the SD 1.x DreamBooth of the seed.
PRESETS = {
    preset.name: preset
    for preset in (
        Preset(
            name="tiny",
            family=SDXL,
            image_model=None,
            resolution=64,
            steps=30,
            guidance=5.0,
            clip_model=TINY_CLIP_MODEL,
            clip_pretrained=None,
            face_adapter=TINY_FACE_ADAPTER,
            video=TINY_VIDEO_MODELS,
            baseline="tiny-sd",
            product_adapter=TINY_PRODUCT_ADAPTER,
            fast_lora=None,
            look_size=TINY_PORTRAIT,
        ),
        Preset(
            name="tiny-sd",
            family=SD,
            image_model=None,
            resolution=64,
            steps=30,
            guidance=5.0,
            clip_model=TINY_CLIP_MODEL,
            clip_pretrained=None,
            face_adapter=TINY_FACE_ADAPTER,
            video=replace(TINY_VIDEO_MODELS, backend="animatediff"),
            baseline=None,
            product_adapter=TINY_PRODUCT_ADAPTER,
            fast_lora=None,
            look_size=TINY_PORTRAIT,
        ),
        Preset(
            name="tiny-klein",
            family=KLEIN,
            image_model=None,
            resolution=64,
            steps=4,
            guidance=1.0,
            clip_model=TINY_CLIP_MODEL,
            clip_pretrained=None,
            face_adapter=None,
            video=TINY_VIDEO_MODELS,
            baseline="tiny",
            max_references=KLEIN_MAX_REFERENCES,
            max_prompt_tokens=64,
            reference_pixels=128 * 128,
            look_size=TINY_PORTRAIT,
        ),
        Preset(
            name="sd14",
            family=SD,
            image_model="CompVis/stable-diffusion-v1-4",
            resolution=512,
            steps=30,
            guidance=5.0,
            clip_model="ViT-B-32",
            clip_pretrained="laion2b_s34b_b79k",
            face_adapter=SD_FACE_ADAPTER,
            video=replace(VIDEO_MODELS, backend="animatediff"),
            baseline=None,
            product_adapter=SD_PRODUCT_ADAPTER,
            fast_lora="latent-consistency/lcm-lora-sdv1-5",
            look_size=SD_PORTRAIT,
        ),
        Preset(
            name="sdxl",
            family=SDXL,
            image_model="stabilityai/stable-diffusion-xl-base-1.0",
            resolution=1024,
            steps=30,
            guidance=5.0,
            clip_model="ViT-B-32",
            clip_pretrained="laion2b_s34b_b79k",
            face_adapter=SDXL_FACE_ADAPTER,
            video=VIDEO_MODELS,
            baseline="sd14",
            product_adapter=SDXL_PRODUCT_ADAPTER,
            fast_lora="latent-consistency/lcm-lora-sdxl",
            look_size=SDXL_PORTRAIT,
        ),
        Preset(
            name="klein",
            family=KLEIN,
            image_model="black-forest-labs/FLUX.2-klein-4B",
            resolution=1024,
            steps=4,
            guidance=1.0,
            clip_model="ViT-B-32",
            clip_pretrained="laion2b_s34b_b79k",
            face_adapter=None,
            video=VIDEO_MODELS,
            baseline="sdxl",
            max_references=KLEIN_MAX_REFERENCES,
            max_prompt_tokens=512,
            reference_pixels=1024 * 1024,
            look_size=KLEIN_PORTRAIT,
        ),
    )
}


def preset_names() -> tuple[str, ...]:
    """The presets a run may name, in the table's order (small to large, each family's tiny one first)."""
    return tuple(PRESETS)


def cpu_counterpart(preset: Preset) -> Preset:
    """The tiny preset of `preset`'s family: the same path, on seeded miniatures a CPU runs in seconds."""
    return next(each for each in PRESETS.values() if each.random_weights and each.family is preset.family)


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise StylistError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}") from None
