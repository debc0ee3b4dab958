"""The two video pipelines built from configs with random weights: tiny ones for tests, full-size ones for benchmarks.

As models/tiny.py does for images, these are the real diffusers / transformers classes with small configs,
drawn from fixed seeds, offline. The AnimateDiff baseline reuses the tiny SD 1.x-shaped image model, whose
shapes the tiny motion adapter was chosen to fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from diffusers import (
    AnimateDiffControlNetPipeline,
    AutoencoderKLWan,
    ControlNetModel,
    DDIMScheduler,
    DiffusionPipeline,
    MotionAdapter,
    UniPCMultistepScheduler,
    WanVACEPipeline,
    WanVACETransformer3DModel,
)
from transformers import UMT5Config, UMT5EncoderModel

from stylist.models.tiny import TINY_SD, ImageModelConfigs, build_pipeline
from stylist.models.tokenizer import VOCAB_SIZE, clip_tokenizer

# Wan-AI/Wan2.1-VACE-1.3B-diffusers scheduler/scheduler_config.json: UniPC on flow-matching sigmas, shifted
# by 3 (the value Wan uses at 480p).
WAN_SCHEDULER = dict(
    prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0, num_train_timesteps=1000,
    solver_order=2, solver_type="bh2", final_sigmas_type="zero", timestep_spacing="linspace",
)
# AnimateDiff's own recommendation (its model card and diffusers' docs): DDIM on a linear beta schedule.
ANIMATEDIFF_SCHEDULER = dict(
    beta_start=0.00085, beta_end=0.012, beta_schedule="linear", clip_sample=False, timestep_spacing="linspace",
    steps_offset=1,
)


@dataclass(frozen=True)
class WanConfigs:
    transformer: dict[str, Any]
    vae: dict[str, Any]
    text_encoder: dict[str, Any]


@dataclass(frozen=True)
class AnimateDiffConfigs:
    image: ImageModelConfigs  # the SD 1.x model the motion adapter animates
    motion_adapter: dict[str, Any]
    # Channels of the ControlNet's pose encoder: it must shrink the pose image by the VAE's factor.
    controlnet_conditioning_channels: tuple[int, ...]


# The checked tiny Wan VACE of NOTES.md: 2 heads of 12, 3 layers with VACE hints into layers 0 and 2, a
# 4-level VAE (8× in space, 4× in time) and a 2-layer UMT5 encoder over CLIP's vocabulary, so the CLIP
# tokenizer feeds it (any tokenizer does for a random encoder).
TINY_WAN = WanConfigs(
    transformer=dict(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
        text_dim=32, freq_dim=256, ffn_dim=32, num_layers=3, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32, vace_layers=[0, 2], vace_in_channels=96,
    ),
    vae=dict(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]),
    text_encoder=dict(
        vocab_size=VOCAB_SIZE, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
        relative_attention_num_buckets=8, pad_token_id=49407, eos_token_id=49407, decoder_start_token_id=0,
    ),
)
# NOTES.md: this motion adapter fits an SD 1.x UNet with block_out_channels (32, 64), which TINY_SD is.
TINY_ANIMATEDIFF = AnimateDiffConfigs(
    image=TINY_SD,
    motion_adapter=dict(block_out_channels=(32, 64), motion_layers_per_block=2, motion_norm_num_groups=2,
                        motion_num_attention_heads=4),
    controlnet_conditioning_channels=(16, 32),  # one halving, as the tiny VAE's 2× latents need
)


def build_wan_vace(configs: WanConfigs, seed: int = 0, device: torch.device | str = "cpu") -> WanVACEPipeline:
    """A Wan VACE pipeline of random weights drawn from `seed`, made directly on `device`, CPU random state untouched."""
    with torch.random.fork_rng(devices=[]), torch.device(device):
        torch.manual_seed(seed)
        transformer = WanVACETransformer3DModel(**configs.transformer)
        vae = AutoencoderKLWan(**configs.vae)
        text_encoder = UMT5EncoderModel(UMT5Config(**configs.text_encoder))
    return _for_inference(WanVACEPipeline(tokenizer=clip_tokenizer(), text_encoder=text_encoder, vae=vae,
                                          scheduler=UniPCMultistepScheduler(**WAN_SCHEDULER), transformer=transformer))


def build_animatediff(configs: AnimateDiffConfigs, seed: int = 0,
                      device: torch.device | str = "cpu") -> AnimateDiffControlNetPipeline:
    """AnimateDiff with an OpenPose-shaped ControlNet (a copy of the UNet's encoder, as ControlNet starts)."""
    image = build_pipeline(configs.image, seed, device)
    with torch.random.fork_rng(devices=[]), torch.device(device):
        torch.manual_seed(seed + 1)
        motion_adapter = MotionAdapter(**configs.motion_adapter)
        controlnet = ControlNetModel.from_unet(
            image.unet, conditioning_embedding_out_channels=configs.controlnet_conditioning_channels)
    return _for_inference(animatediff_pipeline(image.vae, image.text_encoder, image.tokenizer, image.unet,
                                               motion_adapter, controlnet))


def animatediff_pipeline(vae, text_encoder, tokenizer, unet, motion_adapter, controlnet) -> AnimateDiffControlNetPipeline:
    """The pipeline around these parts; it turns the image UNet into a motion UNet with the adapter's layers."""
    return AnimateDiffControlNetPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, motion_adapter=motion_adapter,
        controlnet=controlnet, scheduler=DDIMScheduler(**ANIMATEDIFF_SCHEDULER),
    )


def _for_inference(pipeline: DiffusionPipeline) -> DiffusionPipeline:
    """Every model in eval mode, as from_pretrained leaves them: a model built from a config starts in training
    mode, and UMT5's dropout would then make the same seed give a different video each time."""
    for component in pipeline.components.values():
        if isinstance(component, torch.nn.Module):
            component.eval()
    return pipeline
