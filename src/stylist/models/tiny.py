"""Architecture-faithful miniatures: the real diffusers / transformers / open_clip classes with small configs.

Weights are drawn from fixed seeds, so the same seed gives the same model every time, offline, in well
under a second. They make meaningless pictures but run every line the real presets run. The same
builder assembles full-size random pipelines for the GPU benchmark from the real configs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import open_clip
import torch
from diffusers import (
    AutoencoderKL,
    AutoencoderKLFlux2,
    DiffusionPipeline,
    EulerDiscreteScheduler,
    FlowMatchEulerDiscreteScheduler,
    Flux2KleinPipeline,
    Flux2Transformer2DModel,
    PNDMScheduler,
    StableDiffusionPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from safetensors.torch import save_file
from transformers import (
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTextModelWithProjection,
    CLIPVisionConfig,
    CLIPVisionModelWithProjection,
    Qwen3Config,
    Qwen3ForCausalLM,
)

from stylist.models.tokenizer import VOCAB_SIZE, chat_tokenizer, clip_tokenizer
from stylist.presets import FAMILIES, TINY_CLIP_MODEL, Family, IPAdapterWeights

# The schedulers the real repositories ship (scheduler/scheduler_config.json), so tiny samples the same way.
SDXL_SCHEDULER = dict(
    beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
    prediction_type="epsilon", interpolation_type="linear", timestep_spacing="leading", steps_offset=1,
    use_karras_sigmas=False,
)
SD_SCHEDULER = dict(
    beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
    set_alpha_to_one=False, skip_prk_steps=True, steps_offset=1,
)


@dataclass(frozen=True)
class ImageModelConfigs:
    """The configs an image pipeline is built from; `text_encoder_2` is SDXL's second (projected) encoder."""

    unet: dict[str, Any]
    vae: dict[str, Any]
    text_encoder: dict[str, Any]
    text_encoder_2: dict[str, Any] | None = None


# CLIP's vocabulary and special ids, as in our tokenizer; the text encoders pool at the end-of-text token.
CLIP_TEXT_IDS = dict(vocab_size=VOCAB_SIZE, max_position_embeddings=77, bos_token_id=49406, eos_token_id=49407,
                 pad_token_id=49407)
_TINY_TEXT = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=5, num_attention_heads=4,
                  projection_dim=32, **CLIP_TEXT_IDS)
_TINY_VAE = dict(
    block_out_channels=(32, 64), in_channels=3, out_channels=3, latent_channels=4, sample_size=64,
    down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
)

# diffusers' own SDXL test configuration: text-time conditioning on the pooled text embedding (32) plus six
# size/crop numbers embedded in 8 dimensions each (32 + 6 * 8 = 80), and cross-attention on the two text
# encoders' hidden states side by side (32 + 32 = 64), as SDXL does with 768 + 1280.
TINY_SDXL = ImageModelConfigs(
    unet=dict(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time",
        addition_time_embed_dim=8, transformer_layers_per_block=(1, 2), projection_class_embeddings_input_dim=80,
        cross_attention_dim=64, norm_num_groups=1,
    ),
    vae=dict(_TINY_VAE, scaling_factor=0.13025),
    text_encoder=dict(_TINY_TEXT, hidden_act="quick_gelu"),
    text_encoder_2=dict(_TINY_TEXT, hidden_act="gelu"),
)
# SD 1.x's layout (attention at the high resolutions, a plain block at the lowest), with the shapes the tiny
# AnimateDiff motion adapter fits (block_out_channels (32, 64), cross_attention_dim 32, norm_num_groups 2).
TINY_SD = ImageModelConfigs(
    unet=dict(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        attention_head_dim=8, cross_attention_dim=32, norm_num_groups=2,
    ),
    vae=dict(_TINY_VAE, scaling_factor=0.18215),
    text_encoder=dict(_TINY_TEXT, hidden_act="quick_gelu"),
)
# The face adapter's image encoder: a CLIP vision tower with two layers, because "plus" adapters read the
# penultimate hidden state.
TINY_IMAGE_ENCODER = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                          image_size=32, patch_size=8, projection_dim=32)


def build_pipeline(configs: ImageModelConfigs, seed: int = 0, device: torch.device | str = "cpu") -> DiffusionPipeline:
    """A pipeline of the real classes with random weights drawn from `seed`, created directly on `device`.

    The caller's CPU random state is left as it was, so building a model never changes what a test samples next.
    """
    with torch.random.fork_rng(devices=[]), torch.device(device):
        torch.manual_seed(seed)
        unet = UNet2DConditionModel(**configs.unet)
        vae = AutoencoderKL(**configs.vae)
        text_encoder = CLIPTextModel(CLIPTextConfig(**configs.text_encoder))
        second = configs.text_encoder_2
        text_encoder_2 = CLIPTextModelWithProjection(CLIPTextConfig(**second)) if second is not None else None
    if text_encoder_2 is not None:  # SDXL reads two text encoders side by side; SD 1.x one
        return StableDiffusionXLPipeline(
            vae=vae, text_encoder=text_encoder, text_encoder_2=text_encoder_2, tokenizer=clip_tokenizer(),
            tokenizer_2=clip_tokenizer(), unet=unet, scheduler=EulerDiscreteScheduler(**SDXL_SCHEDULER),
        )
    return StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=clip_tokenizer(), unet=unet,
        scheduler=PNDMScheduler(**SD_SCHEDULER), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    )


def tiny_pipeline(family: Family | str, seed: int = 0) -> DiffusionPipeline:
    """The family's miniature (a Family or its name), on the CPU in float32, by the builder its table row names."""
    family = FAMILIES[family] if isinstance(family, str) else family
    builder: Callable[[int], DiffusionPipeline] = globals()[family.tiny_builder]
    return builder(seed)


def tiny_sdxl_pipeline(seed: int = 0) -> StableDiffusionXLPipeline:
    """The tiny SDXL-shaped pipeline, on the CPU in float32."""
    return build_pipeline(TINY_SDXL, seed)


def tiny_sd_pipeline(seed: int = 0) -> StableDiffusionPipeline:
    """The tiny SD 1.x-shaped pipeline, on the CPU in float32."""
    return build_pipeline(TINY_SD, seed)


# FLUX.2 klein's classes at toy sizes (../shared/NOTES.md has the rules they obey): the transformer's input is
# the VAE's 4 latent channels patchified 2×2 (16), its text width the encoder's hidden size times the three
# hidden layers the pipeline stacks (16 × 3 = 48), and its rotary axes (T, H, W, L) sum to the head width.
TINY_KLEIN = dict(
    transformer=dict(patch_size=1, in_channels=16, num_layers=1, num_single_layers=2, attention_head_dim=16,
                     num_attention_heads=2, joint_attention_dim=48, timestep_guidance_channels=256,
                     axes_dims_rope=(4, 4, 4, 4), guidance_embeds=False),
    # 27 layers, because the pipeline reads the hidden states of layers 9, 18 and 27, as the real 36-layer one.
    text_encoder=dict(vocab_size=151936, hidden_size=16, intermediate_size=32, num_hidden_layers=27,
                      num_attention_heads=2, num_key_value_heads=1, head_dim=8, max_position_embeddings=512,
                      tie_word_embeddings=True),
    vae=dict(down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
             block_out_channels=(8, 8, 8, 8), layers_per_block=1, latent_channels=4, norm_num_groups=4,
             sample_size=64),
    # The real model's scheduler_config.json.
    scheduler=dict(num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=True),
)


def tiny_klein_pipeline(seed: int = 0) -> Flux2KleinPipeline:
    """FLUX.2 klein's reference-editing pipeline at toy sizes, distilled like the real 4B, on the CPU in float32."""
    return build_klein_pipeline(TINY_KLEIN, seed)


def build_klein_pipeline(configs: dict[str, dict[str, Any]], seed: int = 0, device: torch.device | str = "cpu",
                         dtype: torch.dtype = torch.float32) -> Flux2KleinPipeline:
    """A distilled klein pipeline of the real classes from `configs` (TINY_KLEIN's keys), with random weights from
    `seed`, created directly on `device` in `dtype` (a full-size one never exists in float32 on the way)."""
    previous = torch.get_default_dtype()
    with torch.random.fork_rng(devices=[]), torch.device(device):
        torch.manual_seed(seed)
        torch.set_default_dtype(dtype)
        try:
            transformer = Flux2Transformer2DModel(**configs["transformer"])
            text_encoder = Qwen3ForCausalLM(Qwen3Config(**configs["text_encoder"]))
            vae = AutoencoderKLFlux2(**configs["vae"])
        finally:
            torch.set_default_dtype(previous)
    return Flux2KleinPipeline(scheduler=FlowMatchEulerDiscreteScheduler(**configs["scheduler"]), vae=vae,
                              text_encoder=text_encoder, tokenizer=chat_tokenizer(), transformer=transformer,
                              is_distilled=True)


def write_face_adapter(unet: UNet2DConditionModel, adapter: IPAdapterWeights, folder: Path, seed: int = 0) -> None:
    """Write a random IP-Adapter "plus" checkpoint shaped for `unet` into `folder`, laid out like h94/IP-Adapter.

    The image encoder goes to `adapter.image_encoder_folder` as a transformers model folder, and the
    adapter to `adapter.subfolder/adapter.weight_name` with the key names of IP-Adapter's own checkpoints
    (`image_proj.*` for the Resampler, `ip_adapter.<n>.to_k_ip/to_v_ip` for the attention layers), so
    diffusers' `load_ip_adapter` converts and loads it exactly as it does the real one.
    """
    # The encoder is always drawn from seed 0: adapters of one repository (face, products) share it.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(**TINY_IMAGE_ENCODER))
    encoder.save_pretrained(folder / adapter.image_encoder_folder)
    generator = torch.Generator().manual_seed(seed)
    resampler = _resampler(encoder.config.hidden_size, unet.config.cross_attention_dim, generator)
    state = {f"image_proj.{key}": value for key, value in resampler.items()}
    state |= {f"ip_adapter.{key}": value for key, value in _image_attention(unet, generator).items()}
    (folder / adapter.subfolder).mkdir(parents=True, exist_ok=True)
    save_file(state, folder / adapter.subfolder / adapter.weight_name)


def _linear(out_features: int, in_features: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(out_features, in_features, generator=generator) / in_features**0.5


def _resampler(embed_dim: int, output_dim: int, generator: torch.Generator, dim: int = 32,
               num_queries: int = 4) -> dict[str, torch.Tensor]:
    """IP-Adapter's Resampler (ip_adapter/resampler.py) as it saves itself.

    diffusers reads the sizes back from the tensors: four layers, attention heads of 64 dimensions (the
    head count is `to_q` rows // 64), and a feed-forward four times as wide as `dim`.
    """
    inner, wide = 64, 4 * dim
    state = {
        "latents": torch.randn(1, num_queries, dim, generator=generator) / dim**0.5,
        "proj_in.weight": _linear(dim, embed_dim, generator), "proj_in.bias": torch.zeros(dim),
        "proj_out.weight": _linear(output_dim, dim, generator), "proj_out.bias": torch.zeros(output_dim),
        "norm_out.weight": torch.ones(output_dim), "norm_out.bias": torch.zeros(output_dim),
    }
    for layer in range(4):
        attention, feed_forward = f"layers.{layer}.0", f"layers.{layer}.1"
        state |= {
            f"{attention}.norm1.weight": torch.ones(dim), f"{attention}.norm1.bias": torch.zeros(dim),
            f"{attention}.norm2.weight": torch.ones(dim), f"{attention}.norm2.bias": torch.zeros(dim),
            f"{attention}.to_q.weight": _linear(inner, dim, generator),
            f"{attention}.to_kv.weight": _linear(2 * inner, dim, generator),
            f"{attention}.to_out.weight": _linear(dim, inner, generator),
            f"{feed_forward}.0.weight": torch.ones(dim), f"{feed_forward}.0.bias": torch.zeros(dim),
            f"{feed_forward}.1.weight": _linear(wide, dim, generator),
            f"{feed_forward}.3.weight": _linear(dim, wide, generator),
        }
    return state


def _image_attention(unet: UNet2DConditionModel, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Key and value projections of the image tokens, parallel to each cross-attention's text projections.

    IP-Adapter numbers every attention layer of the UNet in order; the cross-attentions (attn2) are the
    odd ones, which is where diffusers looks for them. An AnimateDiff UNet's motion modules are skipped, as
    diffusers skips them: their attn2 is a second self-attention over frames.
    """
    state = {}
    cross_attentions = [name for name in unet.attn_processors
                        if name.endswith("attn2.processor") and "motion_modules" not in name]
    for index, name in enumerate(cross_attentions):
        text_keys = unet.get_submodule(name.removesuffix(".processor")).to_k
        for projection in ("to_k_ip", "to_v_ip"):
            weight = _linear(text_keys.out_features, text_keys.in_features, generator)
            state[f"{2 * index + 1}.{projection}.weight"] = weight
    return state


def register_tiny_clip() -> None:
    """Make `open_clip.create_model_and_transforms(TINY_CLIP_MODEL, pretrained=None)` build the tiny CLIP."""
    if TINY_CLIP_MODEL not in open_clip.list_models():
        open_clip.add_model_config(Path(__file__).parent / "configs" / f"{TINY_CLIP_MODEL}.json")
