"""Identity benchmark: DreamBooth-LoRA training steps and image generation on the full-size SDXL architecture.

    .venv/bin/python benchmarks/identity_bench.py --out benchmarks/results/identity-<machine>.json
    .venv/bin/python benchmarks/identity_bench.py --preset tiny --device cpu --train-steps 2 --gen-steps 2 --out x.json

`stylist bench gpu` calls `run` below; `main` is the command line of benchmarks/identity_bench.py.

`--preset sdxl` builds SDXL's real UNet, VAE and both text encoders from their configs, written out below,
with random weights: time and memory depend on shapes, not values, so nothing is downloaded. `--preset
tiny` runs the same code on the tiny configs in seconds on a CPU, which is how the script is tested.

What is measured, as the DreamBooth-LoRA trainer runs it:
- a training step: LoRA of rank 16 on the UNet's attention projections (to_q, to_k, to_v, to_out.0), frozen
  weights in bf16, LoRA weights and AdamW in fp32, bf16 autocast, SDPA attention; latents and text
  embeddings are cached, so a step is noise, UNet forward and backward, and the optimiser. The batch holds
  one instance and one class image (prior preservation). Measured with and without gradient checkpointing;
  every model stays on the GPU, as it does when the trainer renders validation images.
- generation of one image at the preset's resolution (1024x1024 for SDXL) with 30 steps and classifier-free
  guidance, with the LoRA attached, as a personalised look is generated.
Peak memory is `torch.cuda.max_memory_allocated` over the measured steps, weights included. The 500-step
time is seconds per step times 500; it leaves out generating and encoding the class images.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

import peft
import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler, DiffusionPipeline
from peft import LoraConfig

from stylist.evaluate.bench.measure import command_line, machine, peak_gib, print_results, reset_peak, save, synchronize
from stylist.files import recorded_path
from stylist.models.device import default_dtype, resolve_device
from stylist.models.tiny import CLIP_TEXT_IDS, TINY_SDXL, ImageModelConfigs, build_pipeline
from stylist.presets import get_preset

# stabilityai/stable-diffusion-xl-base-1.0: unet/, vae/, text_encoder/ (CLIP ViT-L/14) and text_encoder_2/
# (OpenCLIP ViT-bigG/14) config.json, without the entries that equal the classes' defaults.
SDXL = ImageModelConfigs(
    unet=dict(
        sample_size=128, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(320, 640, 1280),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(5, 10, 20), transformer_layers_per_block=(1, 2, 10), cross_attention_dim=2048,
        use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=256,
        projection_class_embeddings_input_dim=2816,
    ),
    vae=dict(
        block_out_channels=(128, 256, 512, 512), in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, sample_size=1024,
        scaling_factor=0.13025, force_upcast=True,
    ),
    text_encoder=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                      projection_dim=768, hidden_act="quick_gelu", **CLIP_TEXT_IDS),
    text_encoder_2=dict(hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=20,
                        projection_dim=1280, hidden_act="gelu", **CLIP_TEXT_IDS),
)
CONFIGS = {"sdxl": SDXL, "tiny": TINY_SDXL}
# The targets on one H100, so that a 24 GB consumer card runs everything.
TARGETS = {"dreambooth_lora_500_steps_s": 180, "train_peak_gib": 16, "generate_peak_gib": 12}
PROMPT = "a photo of sks person wearing a red wool coat, full body, studio light"


def add_lora(pipeline: DiffusionPipeline, rank: int) -> list[torch.nn.Parameter]:
    """LoRA on the UNet's attention projections, trained in fp32 on top of the frozen low-precision weights."""
    unet = pipeline.unet
    unet.requires_grad_(False)
    unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian",
                                target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    parameters = [parameter for parameter in unet.parameters() if parameter.requires_grad]
    for parameter in parameters:
        parameter.data = parameter.data.float()
    return parameters


def train(pipeline: DiffusionPipeline, parameters: list[torch.nn.Parameter], steps: int, batch: int,
          resolution: int, checkpointing: bool, device: torch.device, dtype: torch.dtype) -> dict[str, Any]:
    unet = pipeline.unet
    if checkpointing:
        unet.enable_gradient_checkpointing()
    else:
        unet.disable_gradient_checkpointing()
    unet.train()
    optimizer = torch.optim.AdamW(parameters, lr=1e-4)
    scheduler = DDPMScheduler.from_config(pipeline.scheduler.config)
    side = resolution // pipeline.vae_scale_factor
    # Cached latents and text embeddings: SDXL's penultimate hidden states of both encoders side by side,
    # the second encoder's pooled output, and the size and crop numbers of text-time conditioning.
    latents = torch.randn(batch, unet.config.in_channels, side, side, device=device, dtype=dtype)
    text = torch.randn(batch, 77, unet.config.cross_attention_dim, device=device, dtype=dtype)
    pooled = torch.randn(batch, pipeline.text_encoder_2.config.projection_dim, device=device, dtype=dtype)
    size_and_crop = [resolution, resolution, 0, 0, resolution, resolution]
    time_ids = torch.tensor([size_and_crop] * batch, device=device, dtype=dtype)
    conditions = {"text_embeds": pooled, "time_ids": time_ids}

    def step() -> float:
        noise = torch.randn_like(latents)
        timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (batch,), device=device)
        noisy = scheduler.add_noise(latents, noise, timesteps)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
            prediction = unet(noisy, timesteps, text, added_cond_kwargs=conditions).sample
        loss = F.mse_loss(prediction.float(), noise.float())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    step()  # warm-up: kernel selection and allocator growth are not part of the steady state
    reset_peak(device)
    synchronize(device)
    start = time.perf_counter()
    losses = [step() for _ in range(steps)]
    synchronize(device)
    seconds = (time.perf_counter() - start) / steps
    unet.disable_gradient_checkpointing()
    return {
        "gradient_checkpointing": checkpointing, "seconds_per_step": round(seconds, 4),
        "peak_gib": peak_gib(device), "dreambooth_lora_500_steps_s": round(500 * seconds, 1),
        "finite_loss": all(math.isfinite(loss) for loss in losses),
    }


def generate(pipeline: DiffusionPipeline, steps: int, resolution: int, device: torch.device) -> dict[str, Any]:
    pipeline.unet.eval()
    pipeline.set_progress_bar_config(disable=True)

    def image(num_steps: int) -> None:
        generator = torch.Generator("cpu").manual_seed(0)
        pipeline(PROMPT, height=resolution, width=resolution, num_inference_steps=num_steps, guidance_scale=5.0,
                 generator=generator, output_type="pt")

    image(2)  # warm-up at the measured resolution
    reset_peak(device)
    synchronize(device)
    start = time.perf_counter()
    image(steps)
    synchronize(device)
    return {"resolution": resolution, "steps": steps, "seconds_per_image": round(time.perf_counter() - start, 3),
            "peak_gib": peak_gib(device)}


def run(*, preset: str = "sdxl", device: str = "auto", train_steps: int = 10, gen_steps: int = 30, rank: int = 16,
        batch: int = 2, out: Path | None = None) -> dict[str, Any]:
    """Measure `train_steps` training steps per variant and one image of `gen_steps`; write to `out` if given."""
    torch_device = resolve_device(device)
    dtype = default_dtype(torch_device)
    configs, resolution = CONFIGS[preset], get_preset(preset).resolution
    print(f"building {preset} with random weights on {torch_device} ...", file=sys.stderr)
    pipeline = build_pipeline(configs, device=torch_device)
    if dtype != torch.float32:  # built in fp32; the frozen weights train in bf16
        pipeline.to(dtype=dtype)
    unet_parameters = sum(parameter.numel() for parameter in pipeline.unet.parameters())
    parameters = add_lora(pipeline, rank)
    results: dict[str, Any] = {
        "benchmark": "identity", "machine": machine(torch_device, {"peft": peft.__version__}),
        "settings": {"preset": preset, "device": device, "train_steps": train_steps, "gen_steps": gen_steps,
                     "rank": rank, "batch": batch, "out": recorded_path(out) if out else None,
                     "dtype": str(dtype).removeprefix("torch."), "resolution": resolution, "attention": "sdpa"},
        "parameters": {"unet": unet_parameters, "lora": sum(parameter.numel() for parameter in parameters)},
        "targets": TARGETS,
    }
    results["train"] = []
    for checkpointing in (False, True):
        print(f"training {train_steps} steps, gradient checkpointing {checkpointing} ...", file=sys.stderr)
        results["train"].append(train(pipeline, parameters, train_steps, batch, resolution, checkpointing,
                                      torch_device, dtype))
    print(f"generating a {resolution}x{resolution} image in {gen_steps} steps ...", file=sys.stderr)
    results["generate"] = generate(pipeline, gen_steps, resolution, torch_device)
    return save(results, out)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """benchmarks/identity_bench.py's command line: `run`'s keywords as options, its defaults unless given."""
    parser = command_line(__doc__, CONFIGS)
    parser.add_argument("--train-steps", type=int, help="measured training steps per variant")
    parser.add_argument("--gen-steps", type=int, help="denoising steps of the measured image")
    parser.add_argument("--rank", type=int)
    parser.add_argument("--batch", type=int, help="images per step: instance + class image")
    return print_results(run(**vars(parser.parse_args(argv))))
