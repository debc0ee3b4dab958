"""klein benchmark: seconds per look and peak memory of reference editing on the full-size FLUX.2 klein 4B
architecture, with 1, 2 and 4 references, with and without `torch.compile`, and the text encoder's share.

    .venv/bin/python benchmarks/klein_bench.py --out benchmarks/results/klein-<machine>.json   # GPU
    .venv/bin/python benchmarks/klein_bench.py --preset tiny-klein --device cpu --compile off --out x.json

`stylist bench gpu` calls `run` below; `main` is the command line of benchmarks/klein_bench.py.

The pipeline is built from the real configs (KLEIN_4B: the transformer's 5 double and 20 single blocks of
24 heads × 128, the Qwen3-4B text encoder, the FLUX.2 VAE) with random weights in bfloat16, straight on the
GPU: time and memory depend on shapes, not values, so nothing is downloaded. Looks are drawn through
`stylist.looks.reference_editing`, as `stylist style` on the klein preset draws them: the person's 3:4 photo and
`references - 1` products' 2:3 shop photos, each fitted within 1 MP, a prompt of 512 tokens, the portrait
832×1248 frame, the distilled 4 steps without classifier-free guidance, the models placed as the device's
memory plan says (models/memory.py; STYLIST_MEMORY_BUDGET_GB=22 plans for a 24 GB card on a larger one). A
look here is one option's picture; four of them are timed one after the other, as a look of four options is
drawn, their prompts encoded together first. Peak memory is `torch.cuda.max_memory_allocated` over those
four, weights included. The text encoder's time is measured inside the same calls, between hooks on its
forward.

Targets are per reference count, from the arithmetic: each step runs the transformer over the picture's,
the references' and the text's tokens together (3.9 B parameters: 2 FLOP per parameter per token, plus
attention's 4·n²·3072 per block), so the work grows faster than the reference count. The targets allow the
H100's bf16 peak (989 TFLOP/s dense) at 40 % utilisation, plus a fixed half-second a look for the VAE, the
references' encoding and the text encoder.
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
from stylist.looks.reference_editing import ReferenceModels, draw, edit_request
from stylist.models.device import default_dtype, resolve_device
from stylist.models.memory import MODEL_OFFLOAD, TEXT_ENCODER_OFFLOAD, device_plan
from stylist.models.tiny import TINY_KLEIN, build_klein_pipeline
from stylist.presets import get_preset

STEPS = get_preset("klein").steps  # the klein preset's sampler: 4 steps, distilled

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
SCENE = "a Harry Potter themed Halloween party"
LOOKS = 4
PERSON_SIZE = (768, 1024)  # a phone photo's 3:4, within 1 MP as it is
# The arithmetic behind the targets (see the module's docstring).
TRANSFORMER_PARAMETERS = 3.9e9
BLOCKS, WIDTH = 25, 3072
H100_BF16_FLOPS = 989e12
UTILISATION = 0.4
FIXED_S_PER_LOOK = 0.5


def tokens(preset, references: int) -> int:
    """The transformer's sequence for one candidate: the picture's 16-pixel patches, the person's photo's, each
    product's (a 2:3 photo fitted within the reference size) and the text's."""
    from stylist.imaging import fit_within

    def patches(size: tuple[int, int]) -> int:
        fitted = fit_within(Image.new("RGB", size), preset.reference_pixels)
        return fitted.width * fitted.height // 256

    width, height = preset.look_size
    return (width * height // 256 + patches(PERSON_SIZE) + (references - 1) * patches((1200, 1800))
            + preset.max_prompt_tokens)


def target_seconds_per_look(preset, references: int, steps: int = STEPS) -> float:
    """What one look should take on an H100 with `references` references (see the module's docstring)."""
    n = tokens(preset, references)
    flops = steps * (2 * TRANSFORMER_PARAMETERS * n + 4 * n * n * WIDTH * BLOCKS)
    return round(flops / (UTILISATION * H100_BF16_FLOPS) + FIXED_S_PER_LOOK, 2)


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
    # Placed as `stylist style` places it (references.reference_models), by this device's plan.
    plan = device_plan(preset, str(device))
    if plan.placement == TEXT_ENCODER_OFFLOAD:
        pipeline.text_encoder.to("cpu")
    elif plan.placement == MODEL_OFFLOAD and device.type == "cuda":
        pipeline.to("cpu")
        pipeline.enable_model_cpu_offload(device=device)
    models = ReferenceModels(preset, pipeline, plan)
    person = Image.new("RGB", PERSON_SIZE, (200, 160, 140))
    recipe = Recipe(steps=steps, candidates=1)
    clock = TextEncoderClock(pipeline.text_encoder, device)
    results: dict[str, Any] = {"size": list(preset.look_size), "steps": steps, "looks": LOOKS,
                               "prompt_tokens": preset.max_prompt_tokens, "memory_plan": plan.to_json(), "runs": []}
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
                    "tokens": tokens(preset, count),
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
    klein = get_preset(preset)
    # On an H100 at the real size; the peak within the memory plan's budget, whatever the placement.
    targets = {"seconds_per_look": {str(count): target_seconds_per_look(klein, count, steps) for count in references},
               "peak_within_budget": True}
    results: dict[str, Any] = {"benchmark": "klein", "machine": found, "settings": settings, "targets": targets}
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
