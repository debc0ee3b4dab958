"""Looks benchmark: seconds and peak memory of generating looks on the full-size SDXL architecture, and the
time of every stage of `stylist style` on tiny.

    .venv/bin/python benchmarks/looks_bench.py --out benchmarks/results/looks-<machine>.json          # GPU
    .venv/bin/python benchmarks/looks_bench.py --preset tiny --device cpu --steps 2 --out x.json      # its CPU test
    .venv/bin/python benchmarks/looks_bench.py --stages --out benchmarks/results/looks-stages-<machine>.json

`stylist bench gpu` calls `run` below; `main` is the command line of benchmarks/looks_bench.py.

Generation (`--preset sdxl`, the default) builds SDXL's UNet, VAE and text encoders from their configs
(the identity benchmark's) with random weights, and attaches the face and product IP-Adapters as looks do
(random too; their image encoder is the tiny ViT, so the ViT-H encoding of two images per look, about
10 ms on an H100, is left out). Time and memory depend on shapes, not values, so nothing is downloaded.
It measures, through `stylist.looks.adapter_drawing`, as `stylist style` runs it:
- 4 looks (one candidate each) at 1024x1024 in 30 steps with classifier-free guidance, in one batch;
  with and without `torch.compile` of the UNet;
- a fast first look: one image in 4 steps without classifier-free guidance, the LCM-LoRA recipe (a LoRA
  fused or not costs about the same, so the random model stands for the distilled one);
- the CLI's default look: DEFAULT_OPTIONS options × DEFAULT_CANDIDATES candidates (4 × 2), batched as
  `stylist style` batches them (as many per call as `fitting_batch` finds room for in the free memory). On a
  large card all 8 go in one call, so its peak is an upper bound for a 24 GB card, which would split the
  batch; the 4 × 1 figure above understates the default.
Peak memory is `torch.cuda.max_memory_allocated` over the measured call, weights included.

`--stages` runs `stylist.looks.pipeline.style` end to end on tiny (an offline demo shop crawled, a user cut
from scikit-image's astronaut photo, the real fashion CLIP and index) and reports each stage's seconds.
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import peft
import torch
from PIL import Image

from stylist.catalog.products import StoredProduct
from stylist.evaluate.bench.identity import SDXL
from stylist.evaluate.bench.measure import command_line, machine, peak_gib, print_results, reset_peak, save, synchronize
from stylist.files import recorded_path
from stylist.looks import adapter_drawing as gen
from stylist.looks.recipe import DEFAULT_CANDIDATES, DEFAULT_OPTIONS, Recipe
from stylist.models.device import default_dtype, resolve_device
from stylist.models.face_adapter import attach_ip_adapters
from stylist.models.tiny import TINY_SDXL, build_pipeline
from stylist.presets import get_preset
from stylist.settings import Settings

CONFIGS = {"sdxl": SDXL, "tiny": TINY_SDXL}
# The targets on one H100.
TARGETS = {"four_looks_s": 5.0, "fast_look_s": 1.0}
PROMPT = "a photo of a person, a Harry Potter themed Halloween party, wearing {items}"
COLOURS = [(190, 30, 40), (32, 45, 92), (193, 154, 107), (34, 94, 56)]


def make_products(folder: Path) -> list[StoredProduct]:
    """Four products with a picture each, as the catalog stores them: the 512² copy the product adapter's
    boards read, and the shop's 2:3 original at a shop's usual size that reference editing reads."""
    found = []
    for number, colour in enumerate(COLOURS, start=1):
        path, original = folder / f"{number}.512.jpg", folder / f"{number}.jpg"
        Image.new("RGB", (512, 512), colour).save(path)
        Image.new("RGB", (1200, 1800), colour).save(original)
        found.append(StoredProduct(id=number, shop="bench", sku=str(number), url=f"https://bench/{number}",
                                   designer="Designer", title=f"Garment {number}", description="", category="coat",
                                   color="", price=100.0, currency="EUR", available=True, first_seen="",
                                   last_seen="", images=[path], originals=[original]))
    return found


def timed(device: torch.device, call) -> tuple[float, float | None]:
    reset_peak(device)
    synchronize(device)
    start = time.perf_counter()
    call()
    synchronize(device)
    return round(time.perf_counter() - start, 3), peak_gib(device)


def generation(preset: str, device: torch.device, steps: int, fast_steps: int, options: int,
               compile: str) -> dict[str, Any]:
    dtype = default_dtype(device)
    print(f"building {preset} with random weights on {device} ...", file=sys.stderr)
    pipeline = build_pipeline(CONFIGS[preset], device=device)
    if dtype != torch.float32:
        pipeline.to(dtype=dtype)
    pipeline.set_progress_bar_config(disable=True)
    # The tiny preset's adapters are written at random, shaped for whichever UNet they are given.
    tiny = get_preset("tiny")
    attach_ip_adapters(pipeline, tiny, [tiny.face_adapter, tiny.product_adapter])
    models = gen.LookModels((preset, str(device), dtype), tiny, pipeline, pipeline.scheduler)
    face = Image.new("RGB", (512, 512), (200, 160, 140))
    identity = gen.Identity("a person", face, trained=False)
    with tempfile.TemporaryDirectory() as folder:
        catalog = make_products(Path(folder))
        outfits = outfit_prompts(catalog, options)
        seeds = [[number] for number in range(options)]

        def looks() -> None:
            gen.generate(models, identity, outfits, seeds, Recipe(steps=steps), batch_size=options)

        def fast_look() -> None:
            gen.generate(models, identity, outfits[:1], [[0]], Recipe(steps=fast_steps, guidance_scale=1.0))

        resolution = pipeline.unet.config.sample_size * pipeline.vae_scale_factor
        default = default_look(models, identity, catalog, steps, device)  # before torch.compile, as the CLI runs
        results: dict[str, Any] = {"resolution": resolution, "looks": [], "default_look": default}
        for compiled in (False, True) if compile == "both" else (False,):
            if compiled:
                pipeline.unet = torch.compile(pipeline.unet, fullgraph=False)
            print(f"4 looks in {steps} steps, torch.compile {compiled} (warm-up first) ...", file=sys.stderr)
            warm_up, _ = timed(device, looks)
            seconds, peak = timed(device, looks)
            fast_seconds, fast_peak = timed(device, fast_look)
            fast_seconds, fast_peak = timed(device, fast_look)  # the first ran at a new batch size
            results["looks"].append({
                "torch_compile": compiled, "options": options, "steps": steps, "seconds": seconds,
                "seconds_per_look": round(seconds / options, 3), "peak_gib": peak, "first_call_s": warm_up,
                "fast_look": {"steps": fast_steps, "seconds": fast_seconds, "peak_gib": fast_peak},
            })
    return results


def outfit_prompts(catalog: list[StoredProduct], options: int) -> list[gen.OutfitPrompt]:
    """An outfit of (up to) two products per option, named in its prompt."""
    return [gen.OutfitPrompt(PROMPT.format(items=", ".join(p.title for p in catalog[i:i + 2])), tuple(catalog[i:i + 2]))
            for i in range(options)]


def default_look(models: gen.LookModels, identity: gen.Identity, catalog: list[StoredProduct], steps: int,
                 device: torch.device) -> dict[str, Any]:
    """The CLI's default look, DEFAULT_OPTIONS options × DEFAULT_CANDIDATES candidates, in the batches `generate`
    sizes to the free memory: its seconds and peak, after a one-step warm-up at the same batch."""
    outfits = outfit_prompts(catalog, DEFAULT_OPTIONS)
    seeds = [[DEFAULT_CANDIDATES * option + each for each in range(DEFAULT_CANDIDATES)]
             for option in range(DEFAULT_OPTIONS)]
    images = DEFAULT_OPTIONS * DEFAULT_CANDIDATES
    print(f"the default look: {DEFAULT_OPTIONS} options x {DEFAULT_CANDIDATES} candidates in {steps} steps ...",
          file=sys.stderr)
    first, _ = timed(device, lambda: gen.generate(models, identity, outfits, seeds, Recipe(steps=1)))
    if torch.cuda.is_available():
        torch.cuda.empty_cache()  # as `timed` does before the measured call, so that both see the same free memory
    # What the measured call is about to choose, at the preset's portrait frame.
    batch = gen.fitting_batch(models.pipeline, classifier_free=True, size=models.preset.look_size)
    seconds, peak = timed(device, lambda: gen.generate(models, identity, outfits, seeds, Recipe(steps=steps)))
    return {"options": DEFAULT_OPTIONS, "candidates": DEFAULT_CANDIDATES, "images": images, "batch": batch,
            "calls": math.ceil(images / batch), "steps": steps, "seconds": seconds,
            "seconds_per_image": round(seconds / images, 3), "peak_gib": peak, "warm_up_s": first}


def stage_timings(device: str, steps: int, options: int, products: int, repeats: int) -> dict[str, Any]:
    """`style` end to end on tiny, on the CPU: each stage's median seconds over `repeats` looks after one warm-up."""
    from skimage import data

    from stylist.catalog.crawl import CrawlOptions, crawl_shops
    from stylist.catalog.images import ImageStore
    from stylist.catalog.store import CatalogStore
    from stylist.demo.shop import DemoShop, serve
    from stylist.looks.pipeline import style
    from stylist.people.users import add_user

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder) / "data", preset="tiny", device=device)
        with serve(DemoShop(n_products=products, seed=0, traps=False)) as url, \
                CatalogStore(settings) as store:
            asyncio.run(crawl_shops([url], store, ImageStore(settings.images_dir), CrawlOptions(delay=0)))
        astronaut = Image.fromarray(data.astronaut())
        photos = []
        for number, box in enumerate([(0, 0, 480, 480), (20, 0, 500, 470), (10, 10, 490, 490)]):
            photos.append(Path(folder) / f"{number}.png")
            astronaut.crop(box).save(photos[-1])
        user = add_user(settings, "Bench", photos, crop_size=get_preset(settings.preset).resolution)
        prompt = "a dress and a coat for a Harry Potter themed party under €400"

        def one_look(fast: bool) -> dict[str, float]:
            recipe = Recipe(fast=fast, steps=None if fast else steps)
            return style(settings, user.id, prompt, options=options, seed=0, recipe=recipe).timings

        one_look(False)  # warm-up: models built, the index made
        normal = [one_look(False) for _ in range(repeats)]
        fast = [one_look(True) for _ in range(repeats)]
    median = lambda runs: {stage: round(statistics.median(run[stage] for run in runs), 4) for stage in runs[0]}  # noqa: E731
    return {"prompt": prompt, "catalog_products": products, "options": options, "repeats": repeats,
            "steps": steps, "candidates": 2, "resolution": get_preset("tiny").resolution,
            "look": median(normal), "fast_look": median(fast)}


def run(*, preset: str = "sdxl", device: str = "auto", steps: int = 30, fast_steps: int = 4, options: int = 4,
        compile: str = "both", stages: bool = False, products: int = 48, repeats: int = 3,
        out: Path | None = None) -> dict[str, Any]:
    """Time generation on `preset` (`compile` "both" also times a torch.compile'd UNet), or with `stages` each
    stage of `style` end to end on tiny; write to `out` if given."""
    if stages:
        preset = "tiny"  # the stages run the real pipeline, which only tiny can do without weights
    torch_device = resolve_device(device)
    # Other processes on the machine slow a CPU run down: the load and torch's threads say how much.
    busy = {"load_average_1m": round(os.getloadavg()[0], 2), "torch_threads": torch.get_num_threads()}
    settings = {"preset": preset, "device": device, "steps": steps, "fast_steps": fast_steps, "options": options,
                "compile": compile, "stages": stages, "products": products, "repeats": repeats,
                "out": recorded_path(out) if out else None}
    results: dict[str, Any] = {"benchmark": "looks-stages" if stages else "looks",
                               "machine": machine(torch_device, {"peft": peft.__version__}) | busy,
                               "settings": settings, "targets": TARGETS}
    if stages:
        results["stages"] = stage_timings(device, steps, options, products, repeats)
    else:
        results["generation"] = generation(preset, torch_device, steps, fast_steps, options, compile)
    return save(results, out)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """benchmarks/looks_bench.py's command line: `run`'s keywords as options, its defaults unless given."""
    parser = command_line(__doc__, CONFIGS)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--fast-steps", type=int)
    parser.add_argument("--options", type=int)
    parser.add_argument("--compile", choices=("both", "off"),
                        help="also time a torch.compile'd UNet (minutes of compiling on a CPU)")
    parser.add_argument("--stages", action="store_true", help="time each stage of `style` end to end on tiny")
    parser.add_argument("--products", type=int, help="demo shop size for --stages")
    parser.add_argument("--repeats", type=int, help="looks timed per mode for --stages")
    return print_results(run(**vars(parser.parse_args(argv))))
