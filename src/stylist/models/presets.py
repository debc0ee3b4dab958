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

from dataclasses import dataclass, replace

from stylist.errors import StylistError
from stylist.settings import PRESETS as PUBLIC_PRESETS

# How strongly the face adapter steers the image against the text. IP-Adapter's and diffusers' examples use
# 0.5-0.6 when a prompt should still decide clothes and scene; higher copies the reference photo's framing
# and light.
FACE_ADAPTER_SCALE = 0.6


@dataclass(frozen=True)
class FaceAdapter:
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
    look_adapter: FaceAdapter


@dataclass(frozen=True)
class Preset:
    """Every model one run uses, by name, so the CLI, the worker, tests and benchmarks agree on them."""

    name: str
    # "sdxl" (StableDiffusionXLPipeline, LoRA recipe), "sd" (StableDiffusionPipeline, DreamBooth baseline) or
    # "klein" (Flux2KleinPipeline: reference editing, the person's and the products' photos in, no training).
    family: str
    # Hugging Face hub id of the image model; None means built in code from seeded configs (tiny).
    image_model: str | None
    # Side of the square images the model is trained at (identity crops, DreamBooth, class images).
    resolution: int
    # open_clip model name and pretrained tag of the fashion CLIP backbone; no tag means random weights.
    clip_model: str
    clip_pretrained: str | None
    # None for klein, which takes the person's photo itself as a reference.
    face_adapter: FaceAdapter | None
    video: VideoModels
    # The preset ablations compare this one against (sdxl: the SD 1.x DreamBooth; klein: sdxl); None for sd14.
    baseline: str | None
    # IP-Adapter "plus" on whole images, which looks condition on the products' own pictures with. It shares
    # the face adapter's image encoder, so both load together.
    product_adapter: FaceAdapter | None = None
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


SDXL_FACE_ADAPTER = FaceAdapter(
    repo="h94/IP-Adapter",
    subfolder="sdxl_models",
    weight_name="ip-adapter-plus-face_sdxl_vit-h.safetensors",
    image_encoder_folder="models/image_encoder",
)
# Trained on SD 1.5, which shares SD 1.4's architecture and text encoder, so it loads into SD 1.4 as is.
SD_FACE_ADAPTER = FaceAdapter(
    repo="h94/IP-Adapter",
    subfolder="models",
    weight_name="ip-adapter-plus-face_sd15.safetensors",
    image_encoder_folder="models/image_encoder",
)
TINY_FACE_ADAPTER = FaceAdapter(
    repo=None,
    subfolder="models",
    weight_name="ip-adapter-plus-face_tiny.safetensors",
    image_encoder_folder="models/image_encoder",
)
SDXL_PRODUCT_ADAPTER = FaceAdapter(
    repo="h94/IP-Adapter",
    subfolder="sdxl_models",
    weight_name="ip-adapter-plus_sdxl_vit-h.safetensors",
    image_encoder_folder="models/image_encoder",
)
SD_PRODUCT_ADAPTER = FaceAdapter(
    repo="h94/IP-Adapter",
    subfolder="models",
    weight_name="ip-adapter-plus_sd15.safetensors",
    image_encoder_folder="models/image_encoder",
)
TINY_PRODUCT_ADAPTER = FaceAdapter(
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

# `tiny` is SDXL-shaped like `sdxl`; `tiny-sd` is its SD 1.x-shaped sibling, as `sd14` is for `sdxl`, and
# `tiny-klein` has klein's classes. A preset's `baseline` is what ablations compare it against: klein's is the
# trained-likeness path it replaces, sdxl's the SD 1.x DreamBooth of the seed.
_PRESETS = {
    preset.name: preset
    for preset in (
        Preset(
            name="sdxl",
            family="sdxl",
            image_model="stabilityai/stable-diffusion-xl-base-1.0",
            resolution=1024,
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
            name="sd14",
            family="sd",
            image_model="CompVis/stable-diffusion-v1-4",
            resolution=512,
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
            name="klein",
            family="klein",
            image_model="black-forest-labs/FLUX.2-klein-4B",
            resolution=1024,
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
        Preset(
            name="tiny",
            family="sdxl",
            image_model=None,
            resolution=64,
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
            family="sd",
            image_model=None,
            resolution=64,
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
            family="klein",
            image_model=None,
            resolution=64,
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
    )
}


def get_preset(name: str) -> Preset:
    try:
        return _PRESETS[name]
    except KeyError:
        raise StylistError(f"unknown preset {name!r}: choose one of {', '.join(PUBLIC_PRESETS)}") from None
