"""Video benchmark: seconds and peak GPU memory of a 3-second spin with each backend on full-size architectures.

    .venv/bin/python benchmarks/video_bench.py --out benchmarks/results/video-<machine>.json
    .venv/bin/python benchmarks/video_bench.py --preset tiny --device cpu --out x.json

`stylist bench gpu` calls `run` below; `main` is the command line of benchmarks/video_bench.py.

`--preset full` builds Wan2.1 VACE 1.3B (transformer, VAE, UMT5-XXL text encoder) and AnimateDiff v1-5-2 on
SD 1.5 with ControlNet-OpenPose from their configs, written out below, with random weights: time and
memory depend on shapes, not values, so nothing is downloaded. The look's IP-Adapter on AnimateDiff is the
tiny-encoder one (`write_face_adapter`) whose image attention has the full model's shapes; the ViT-H image
encoder it leaves out runs once per window and costs well under a second. `--preset tiny` runs the same
code on the tiny configs in seconds on a CPU, which is how the script is tested.

What is measured is `make_spin`'s own path after the model is loaded: the skeleton fitted to a photo of a
person (the demo's first photo, which ships in the package), pose frames rendered, the video model run in
windows (one 25-frame Wan window; two 16-frame AnimateDiff windows overlapping by 4) with classifier-free
guidance at the recipe's steps (Wan 30, AnimateDiff 25), and the MP4 and GIF written. A short run first
warms the kernels up. Peak memory is `torch.cuda.max_memory_allocated` over the measured spin, weights
included; every model stays on the GPU.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import av
import torch
from PIL import Image

from stylist.evaluate.bench.measure import command_line, machine, peak_gib, print_results, reset_peak, save, synchronize
from stylist.files import recorded_path
from stylist.imaging import load_image
from stylist.models.device import default_dtype, resolve_device
from stylist.models.tiny import CLIP_TEXT_IDS, ImageModelConfigs
from stylist.presets import get_preset
from stylist.video.backends import RECIPES, AnimateDiffBackend, VideoBackend, WanVACEBackend, attach_look_adapter
from stylist.video.encode import write_gif, write_mp4
from stylist.video.poses import fit_to_person, render, spin_poses
from stylist.video.tiny import (
    TINY_ANIMATEDIFF,
    TINY_WAN,
    AnimateDiffConfigs,
    WanConfigs,
    build_animatediff,
    build_wan_vace,
)
from stylist.video.windows import make_frames, plan_windows

# Wan-AI/Wan2.1-VACE-1.3B-diffusers: transformer/config.json (dim 1536 = 12 heads × 128, 30 layers, VACE hints
# into every second layer), vae/ (AutoencoderKLWan's defaults are Wan 2.1's VAE) and text_encoder/ (UMT5-XXL).
FULL_WAN = WanConfigs(
    transformer=dict(
        patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16, out_channels=16,
        text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=30, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024, vace_layers=list(range(0, 30, 2)),
        vace_in_channels=96,
    ),
    vae=dict(),
    text_encoder=dict(
        vocab_size=256384, d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64,
        relative_attention_num_buckets=32, relative_attention_max_distance=128, feed_forward_proj="gated-gelu",
        tie_word_embeddings=False, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
    ),
)
# stable-diffusion-v1-5/stable-diffusion-v1-5 unet/, vae/ and text_encoder/ (CLIP ViT-L/14) config.json, without
# the entries that equal the classes' defaults; guoyww/animatediff-motion-adapter-v1-5-2 is MotionAdapter's
# defaults; ControlNet-OpenPose v1.1 is a copy of the SD 1.5 encoder with the standard pose encoder.
SD15 = ImageModelConfigs(
    unet=dict(sample_size=64, cross_attention_dim=768, attention_head_dim=8),
    vae=dict(
        block_out_channels=(128, 256, 512, 512), in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, sample_size=512,
        scaling_factor=0.18215,
    ),
    text_encoder=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                      projection_dim=768, hidden_act="quick_gelu", **CLIP_TEXT_IDS),
)
FULL_ANIMATEDIFF = AnimateDiffConfigs(image=SD15, motion_adapter=dict(),
                                      controlnet_conditioning_channels=(16, 32, 96, 256))
CONFIGS = {"full": {"wan-vace": FULL_WAN, "animatediff": FULL_ANIMATEDIFF},
           "tiny": {"wan-vace": TINY_WAN, "animatediff": TINY_ANIMATEDIFF}}
# The targets on one H100, so that a 24 GB consumer card makes spins too.
TARGETS = {"seconds_per_spin": 30, "peak_gib": 24}
# A photo of a person that every installation has (scikit-image's astronaut, which the tests use, is a test
# dependency only).
LOOK = "demo/photos/1.jpg"


def build(backend: str, preset: str, device: torch.device, dtype: torch.dtype) -> VideoBackend:
    """The backend as load_backend makes it, from configs with random weights instead of downloaded ones."""
    configs = CONFIGS[preset][backend]
    recipe = RECIPES[(backend, preset == "tiny")]
    tiny_preset = get_preset("tiny")
    if backend == "wan-vace":
        pipeline = build_wan_vace(configs, device=device)
        pipeline.transformer.to(dtype=dtype)
        pipeline.text_encoder.to(dtype=dtype)  # the VAE stays in fp32, as the backend loads it
        return WanVACEBackend(pipeline, recipe, tiny_preset)
    pipeline = build_animatediff(configs, device=device)
    pipeline.to(dtype=dtype)
    attach_look_adapter(pipeline, tiny_preset)
    return AnimateDiffBackend(pipeline, recipe, tiny_preset)


def spin(backend: VideoBackend, look: Image.Image, seconds: float, fps: int, folder: Path) -> int:
    """make_spin's path after loading: fit, poses, windows, encode. Returns the model steps run."""
    total = round(seconds * fps)
    size = backend.recipe.size
    pose = spin_poses(total, fit_to_person(look, size))
    frames = make_frames(backend, look, lambda index: render(pose(index % total), size), total,
                         prompt="a person turning around", seed=0)
    write_mp4(frames, folder / "spin.mp4", fps)
    write_gif(frames, folder / "spin.gif", fps)
    recipe = backend.recipe
    return recipe.steps * len(plan_windows(total, recipe.max_frames, recipe.overlap, backend.window_frames))


def measure(name: str, preset: str, seconds: float, fps: int, steps: int | None, device: torch.device,
            dtype: torch.dtype) -> dict[str, Any]:
    print(f"building {name} ({preset}) with random weights on {device} ...", file=sys.stderr)
    backend = build(name, preset, device, dtype)
    if steps is not None:
        backend.recipe = replace(backend.recipe, steps=steps)
    parameters = {part: sum(p.numel() for p in module.parameters())
                  for part, module in backend.pipeline.components.items() if isinstance(module, torch.nn.Module)}
    look = load_image(resources.files("stylist").joinpath(LOOK).read_bytes())
    with tempfile.TemporaryDirectory() as folder:
        measured = backend.recipe
        backend.recipe = replace(measured, steps=1)
        spin(backend, look, 1, 4, Path(folder))  # warm-up: kernel selection and allocator growth
        backend.recipe = measured
        reset_peak(device)
        synchronize(device)
        start = time.perf_counter()
        model_steps = spin(backend, look, seconds, fps, Path(folder))
        synchronize(device)
        elapsed = time.perf_counter() - start
        with av.open(str(Path(folder) / "spin.mp4")) as container:
            frames = sum(1 for _ in container.decode(video=0))
    peak = peak_gib(device)
    result = {
        "backend": name, "width": measured.size[0], "height": measured.size[1], "seconds": seconds, "fps": fps,
        "frames": frames, "steps": measured.steps, "model_steps": model_steps, "guidance": measured.guidance,
        "seconds_per_spin": round(elapsed, 3), "peak_gib": peak, "parameters": parameters,
    }
    del backend
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return result


def run(*, preset: str = "full", device: str = "auto", backends: tuple[str, ...] = ("wan-vace", "animatediff"),
        seconds: float = 3.0, fps: int = 8, steps: int | None = None, out: Path | None = None) -> dict[str, Any]:
    """Time one spin of `seconds` at `fps` with each backend (`steps`: each recipe's unless given); write to `out`
    if given."""
    torch_device = resolve_device(device)
    dtype = default_dtype(torch_device)
    results: dict[str, Any] = {
        "benchmark": "video", "machine": machine(torch_device, {"av": av.__version__}, busy=True),
        "settings": {"preset": preset, "device": device, "backends": list(backends), "seconds": seconds, "fps": fps,
                     "steps": steps, "out": recorded_path(out) if out else None, "dtype": str(dtype).removeprefix("torch."),
                     "attention": "sdpa"},
        "targets": TARGETS,
        "spins": [measure(name, preset, seconds, fps, steps, torch_device, dtype) for name in backends],
    }
    return save(results, out)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """benchmarks/video_bench.py's command line: `run`'s keywords as options, its defaults unless given."""
    parser = command_line(__doc__, CONFIGS)
    parser.add_argument("--backends", nargs="+", choices=["wan-vace", "animatediff"])
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--fps", type=int)
    parser.add_argument("--steps", type=int, help="denoising steps [each backend's recipe]")
    return print_results(run(**vars(parser.parse_args(argv))))
