"""klein benchmark: seconds per look and peak memory of reference editing on the full-size FLUX.2 klein 4B
architecture, with 1, 2 and 4 references, with and without `torch.compile`, and the text encoder's share.

    .venv/bin/python benchmarks/klein_bench.py --out benchmarks/results/klein-<machine>.json   # GPU
    .venv/bin/python benchmarks/klein_bench.py --preset tiny-klein --device cpu --compile off --out x.json

`stylist bench gpu` calls `run` below; `main` is the command line of benchmarks/klein_bench.py.

The pipeline is built from the real configs (KLEIN_4B: the transformer's 5 double and 20 single blocks of
24 heads × 128, the Qwen3-4B text encoder, the FLUX.2 VAE) with random weights in bfloat16, straight on the
GPU: time and memory depend on shapes, not values, so nothing is downloaded. Looks are drawn through
`stylist.looks.references`, as `stylist style` on the klein preset draws them: the person's photo and
`references - 1` product photos, padded square at 1024, a prompt of 512 tokens, the distilled 4 steps
without classifier-free guidance, one call per option. A look here is one option's picture; four of them
are timed one after the other, as a look of four options is drawn. Peak memory is
`torch.cuda.max_memory_allocated` over those four, weights included. The text encoder's time is measured
inside the same calls, between hooks on its forward.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from stylist.evaluate.bench.looks import make_products, timed
from stylist.evaluate.bench.measure import command_line, machine, print_results, save, synchronize
from stylist.files import recorded_path
from stylist.looks.recipe import Recipe
from stylist.looks.references import STEPS, ReferenceModels, draw, edit_request
from stylist.models.device import default_dtype, resolve_device
from stylist.models.presets import get_preset
from stylist.models.tiny import TINY_KLEIN, build_klein_pipeline

# FLUX.2-klein-4B's configs (transformer/config.json, text_encoder/config.json; the VAE is AutoencoderKLFlux2's
# defaults). The rules that tie them (../shared/NOTES.md): in_channels = 4 × the VAE's 32 latent channels,
# joint_attention_dim = 3 stacked hidden layers × 2560, the four rotary axes sum to the head width.
KLEIN_4B = dict(
    transformer=dict(patch_size=1, in_channels=128, num_layers=5, num_single_layers=20, attention_head_dim=128,
                     num_attention_heads=24, joint_attention_dim=3 * 2560, timestep_guidance_channels=256,
                     mlp_ratio=3.0, axes_dims_rope=(32, 32, 32, 32), rope_theta=2000, guidance_embeds=False),
    text_encoder=dict(vocab_size=151936, hidden_size=2560, intermediate_size=9728, num_hidden_layers=36,
                      num_attention_heads=32, num_key_value_heads=8, head_dim=128, max_position_embeddings=40960,
                      rms_norm_eps=1e-6, tie_word_embeddings=True),
    vae={},
    scheduler=TINY_KLEIN["scheduler"],  # the real model's scheduler_config.json
)
CONFIGS = {"klein": KLEIN_4B, "tiny-klein": TINY_KLEIN}
# The targets on one H100.
TARGETS = {"four_looks_s": 2.0, "peak_gib": 24.0}
# If the peak is over its target: the text encoder can leave the GPU while the transformer runs
# (`pipeline.enable_model_cpu_offload()`, about 8 GB less for a few hundred ms a call), or everything can
# (`enable_sequential_cpu_offload()`, far slower); an fp8 transformer halves its 8 GB.
OFFLOAD_OPTIONS = ("enable_model_cpu_offload", "enable_sequential_cpu_offload", "fp8 transformer weights")
SCENE = "a Harry Potter themed Halloween party"
LOOKS = 4


class TextEncoderClock:
    """Seconds spent inside the text encoder's forward, added up across calls, synchronised on the GPU.

    Its hooks stay on the module, which lives only as long as the benchmark's pipeline."""

    def __init__(self, module: torch.nn.Module, device: torch.device):
        self.seconds, self.device, self._start = 0.0, device, 0.0
        module.register_forward_pre_hook(self._enter)
        module.register_forward_hook(self._leave)

    def _enter(self, *_) -> None:
        synchronize(self.device)
        self._start = time.perf_counter()

    def _leave(self, *_) -> None:
        synchronize(self.device)
        self.seconds += time.perf_counter() - self._start


def editing(preset_name: str, device: torch.device, steps: int, references: tuple[int, ...],
            compile: str) -> dict[str, Any]:
    preset = get_preset(preset_name)
    if max(references) > preset.max_references or min(references) < 1:
        raise ValueError(f"{preset_name} takes 1 to {preset.max_references} references, not {references}")
    dtype = default_dtype(device)
    print(f"building {preset_name} with random weights on {device} in {dtype} ...", file=sys.stderr)
    pipeline = build_klein_pipeline(CONFIGS[preset_name], device=device, dtype=dtype)
    pipeline.set_progress_bar_config(disable=True)
    models = ReferenceModels(preset, pipeline)
    person = Image.new("RGB", (768, 1024), (200, 160, 140))
    recipe = Recipe(steps=steps, candidates=1)
    clock = TextEncoderClock(pipeline.text_encoder, device)
    results: dict[str, Any] = {"resolution": preset.resolution, "steps": steps, "looks": LOOKS,
                               "prompt_tokens": preset.max_prompt_tokens, "runs": []}
    with tempfile.TemporaryDirectory() as folder:
        catalog = make_products(Path(folder))
        for compiled in (False, True) if compile == "both" else (False,):
            if compiled:
                pipeline.transformer.compile()
            for count in references:
                notes: list[str] = []
                request = edit_request(person, SCENE, catalog[:count - 1], preset, notes)
                assert len(request.references) == count, notes

                def looks(request=request) -> None:
                    draw(models, [request] * LOOKS, [[seed] for seed in range(LOOKS)], recipe)

                print(f"{LOOKS} looks, {count} reference(s), torch.compile {compiled} (warm-up first) ...",
                      file=sys.stderr)
                first, _ = timed(device, looks)
                clock.seconds = 0.0
                seconds, peak = timed(device, looks)
                results["runs"].append({
                    "torch_compile": compiled, "references": count, "products": count - 1, "seconds": seconds,
                    "seconds_per_look": round(seconds / LOOKS, 3), "peak_gib": peak, "first_call_s": first,
                    "text_encoder_s": round(clock.seconds, 3),
                    "text_encoder_share": round(clock.seconds / seconds, 3) if seconds else None,
                })
    return results


def run(*, preset: str = "klein", device: str = "auto", steps: int = STEPS, references: tuple[int, ...] = (1, 2, 4),
        compile: str = "both", out: Path | None = None) -> dict[str, Any]:
    """Time reference editing on `preset` with each count of `references` (`compile` "both" also times a
    torch.compile'd transformer); write to `out` if given."""
    torch_device = resolve_device(device)
    settings = {"preset": preset, "device": device, "steps": steps, "references": list(references),
                "compile": compile, "out": recorded_path(out) if out else None}
    found = machine(torch_device, {}, busy=torch_device.type == "cpu")
    results: dict[str, Any] = {"benchmark": "klein", "machine": found, "settings": settings, "targets": TARGETS,
                               "offload_options": list(OFFLOAD_OPTIONS)}
    results["editing"] = editing(preset, torch_device, steps, tuple(references), compile)
    return save(results, out)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """benchmarks/klein_bench.py's command line: `run`'s keywords as options, its defaults unless given."""
    parser = command_line(__doc__, CONFIGS)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--references", type=int, nargs="+",
                        help="reference counts to time, the person's photo included")
    parser.add_argument("--compile", choices=("both", "off"),
                        help="also time a torch.compile'd transformer (minutes of compiling on a CPU)")
    arguments = vars(parser.parse_args(argv))
    if "references" in arguments:
        arguments["references"] = tuple(arguments["references"])
    return print_results(run(**arguments))
