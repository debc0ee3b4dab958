"""The demo job behind `stylist demo`: the main job end to end, offline, written up as one page.

An offline demo shop on 127.0.0.1 is crawled, the fashion CLIP trained on it, a demo person added from the
bundled photos and personalised, a prompt styled into looks, and the favourite turned into a spin video.
`OUT/index.html` shows every step with its time. It runs with whatever preset the CLI was given: `tiny`
(the default) in a few minutes on a laptop CPU, `sdxl` unchanged on a GPU.
"""

from __future__ import annotations

import asyncio
import html
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from babel import Locale

from stylist.catalog.crawl import CrawlOptions, crawl_shops
from stylist.catalog.export import export_dataset
from stylist.catalog.images import ImageStore
from stylist.catalog.store import CatalogStore
from stylist.demo.shop import DemoShop, serve
from stylist.errors import StylistError
from stylist.money import DEFAULT_LOCALE, money, total
from stylist.presets import Preset, get_preset
from stylist.progress import progress_bars, wants_progress
from stylist.settings import Settings

PROMPT = "my next Halloween costume for a Harry Potter themed party"
PHOTOS = Path(__file__).resolve().parent / "photos"
# Written into the demo's data folder when it makes it: only a folder holding it is ever deleted by a demo.
MARKER = ".stylist-demo"
# The fashion CLIP's steps in the demo: on its 48-product shop the held-out R@1 peaks by step 75-100 (0.17 ->
# 0.67 over 6 products), and 300 steps, the preset's default, took three times as long to land no higher.
DEMO_CLIP_STEPS = 100


@dataclass(frozen=True)
class DemoRun:
    index: Path  # OUT/index.html
    seconds: float  # all stages together


def run_demo(settings: Settings, out_dir: str | Path, products: int, prompt: str, options: int) -> DemoRun:
    """Run the main job end to end on an offline demo shop of `products` products, making `options` looks
    for `prompt`, and write `out_dir`/index.html. An error that refuses `out_dir` names it as `--out`.
    """
    out = Path(out_dir).resolve()
    # The demo keeps its own data, so a throw-away 127.0.0.1 shop never enters the user's `catalog refresh`.
    data_dir = out / "data"
    if data_dir == settings.data_dir:
        raise StylistError(f"--out {out_dir} would put the demo's data in your data directory {data_dir}; "
                           "choose another --out")
    _reset_demo_data(data_dir)
    run = Settings(data_dir=data_dir, preset=settings.preset, device=settings.device)
    timings: dict[str, float] = {}
    page: dict = {"preset": run.preset, "prompt": prompt}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        timings[name] = time.perf_counter() - started

    shop = DemoShop(n_products=products, seed=0, traps=False)
    with serve(shop) as base_url:
        with stage("crawl"), progress_bars(wants_progress(), "demo shop") as on_crawl:
            with CatalogStore(run) as store:
                crawl_options = CrawlOptions(delay=0.0, concurrency=8)
                report = asyncio.run(crawl_shops([base_url], store, ImageStore(run.images_dir), crawl_options, on_crawl))[0]
        _say(report.summary())
        if not report.complete:
            raise StylistError(f"the demo crawl did not complete: {report.reason}")
        with stage("export"), CatalogStore(run) as store:
            exported = export_dataset(store, out / "dataset")
        _say(exported.summary())
        # The Buy links point at the demo shop, which lives only while the demo runs: say so on the page.
        page["shop"] = base_url

    preset = get_preset(run.preset)  # resolved once for the whole demo
    with stage("clip"):
        page["clip"] = _train_clip(run)
    with stage("user"):
        user = _add_demo_user(run, preset)
    if preset.edits_references:
        page["identity"] = None  # klein draws from the person's photo: nothing to train
    else:
        with stage("identity"):
            page["identity"] = _train_identity(run, user.id)
    with stage("looks"):
        look = _style(run, user.id, prompt, options)
    page["look"] = look
    favourite = look.best_first()[0]  # the demo person picks the best match
    with stage("video"):
        spin = _spin(run, favourite.image, out / "spin.mp4")
    page["spin"], page["favourite"] = spin, favourite
    return DemoRun(write_index(out, page, timings), sum(timings.values()))


def _say(line: str) -> None:
    """A stage's line, on a terminal only: elsewhere (cron, CI, pipes) the demo prints one summary line."""
    if wants_progress():
        click.echo(line, err=True)


def _reset_demo_data(data_dir: Path) -> None:
    """Start from empty data (an earlier demo's shop ran on another port and would show twice), but delete
    only what a demo made: a folder with the demo's marker in it."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).exists():
            raise StylistError(f"{data_dir} exists and is not a stylist demo's data; choose another --out")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by `stylist demo`, which deletes this folder when it runs again\n")


def _train_clip(run: Settings) -> dict:
    from stylist.grounding.fashion_clip import FashionClip
    from stylist.grounding.index import rebuild_index
    from stylist.grounding.retrieval_metrics import evaluate_clip
    from stylist.grounding.train import default_config, train_clip

    with progress_bars(wants_progress(), "the fashion CLIP") as show:
        result = train_clip(run, default_config(run.preset).with_overrides(steps=DEMO_CLIP_STEPS), on_progress=show)
    index = rebuild_index(run, FashionClip.load(run))
    evaluation = evaluate_clip(run)
    # R@1 and MRR: with a handful of held-out products R@5 finds nearly all of them before any training.
    _say(f"fashion CLIP: on {result.held_out_products} products it never trained on, a product's own words find it "
         f"first {result.start.r1:.0%} -> {result.best.r1:.0%} of the time (chance "
         f"{1 / result.held_out_products:.0%}), mean reciprocal rank {result.start.mrr:.2f} -> {result.best.mrr:.2f}; "
         f"{index.summary()}")
    return {"training": result.to_json(), "evaluation": evaluation}


def _add_demo_user(run: Settings, preset: Preset):
    from stylist.people.users import add_user

    user = add_user(run, "Demo", sorted(PHOTOS.glob("*.jpg")), crop_size=preset.resolution)
    _say(f"demo user {user.id} from {len(user.photos)} photos")
    return user


def _train_identity(run: Settings, user_id: str) -> dict:
    from stylist.identity.dreambooth import train_identity

    with progress_bars(wants_progress(), "personalise") as show:
        result = train_identity(run, user_id, on_progress=show)
    _say(f"identity: {result.steps} steps, final loss {result.final_loss:.4f}")
    return result.to_json()


def _style(run: Settings, user_id: str, prompt: str, options: int):
    from stylist.looks.pipeline import style

    with progress_bars(wants_progress(), "looks") as show:
        look = style(run, user_id, prompt, options=options, seed=0, on_progress=show)
    _say(f"look {look.look_id}: {len(look.options)} options")
    for note in look.notes:
        _say(f"note: {note}")
    return look


def _spin(run: Settings, image: Path, out: Path):
    from stylist.video.spin import make_spin

    with progress_bars(wants_progress(), "spin video") as show:
        spin = make_spin(run, image, out, on_progress=show)
    _say(f"spin: {spin.frames} frames at {spin.fps} fps, {spin.mp4} and {spin.gif}")
    return spin


def write_index(out: Path, page: dict, timings: dict[str, float]) -> Path:
    """One static page: the looks with their products and Buy links, the spin, the CLIP's scores, the timings."""
    def rel(path: Path | str) -> str:
        return html.escape(Path(path).resolve().relative_to(out).as_posix())

    look, spin, clip = page["look"], page["spin"], page["clip"]["evaluation"]
    cards = []
    english = Locale.parse(DEFAULT_LOCALE)
    for number, option in enumerate(look.best_first(), 1):
        items = "".join(
            f'<li><img src="{rel(p["image"])}" alt="" width="64" height="64"><span><b>{html.escape(p["designer"])}'
            f"</b> {html.escape(p['title'])}<br>{_price(p)}</span>"
            f'<a href="{html.escape(p["url"])}" rel="noopener" target="_blank">Buy</a></li>'
            for p in option.products
        ) or "<li>No catalog product matched this option: it follows the prompt alone.</li>"
        drawn = (f" · drawn from {len(option.references)} product photo(s)" if option.references else "")
        cost = total(option.products, english, look.settings.get("budget"))["text"]
        cards.append(f'<article><img src="{rel(option.image)}" alt="look {number}" class=look>'
                     f"<p>Option {number}{' · best match' if number == 1 and option.products else ''}"
                     f"{f' · total {html.escape(cost)}' if cost else ''}{drawn}</p><ul>{items}</ul></article>")
    notes = "".join(f"<p class=note>{html.escape(note)}</p>" for note in look.notes)
    rows = "".join(f"<tr><td>{html.escape(name)}</td><td>{seconds:.1f} s</td></tr>" for name, seconds in timings.items())
    rows += f"<tr><th>total</th><th>{sum(timings.values()):.1f} s</th></tr>"
    scores = "".join(
        f"<tr><td>{name}</td>" + "".join(f"<td>{(clip[name] or {}).get(k, float('nan')):.3f}</td>"
                                        for k in ("r1", "r5", "r10", "mrr")) + "</tr>"
        for name in ("base", "finetuned") if clip.get(name)
    )
    real = "klein" if page["preset"] == "tiny-klein" else "sdxl"
    banner = (f"<p class=banner>These pictures come from the <b>{html.escape(page['preset'])}</b> preset: small "
              "models with random weights that exercise every step of the pipeline. They are not results; run "
              f"<code>stylist --preset {real} demo</code> on a GPU for real looks.</p>"
              ) if page["preset"].startswith("tiny") else ""
    document = out / "index.html"
    document.write_text(
        "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>"
        "<title>stylist demo</title><style>body{font-family:system-ui;margin:1rem auto;max-width:70rem;padding:0 1rem}"
        ".looks{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:1rem}"
        "article{border:1px solid #ddd;border-radius:.5rem;padding:.5rem}img.look{width:100%;image-rendering:pixelated}"
        "ul{list-style:none;padding:0}li{display:flex;gap:.5rem;align-items:center;margin:.25rem 0}"
        "li span{flex:1}.banner{background:#fff3cd;padding:.5rem}.note{color:#555}"
        "video{max-width:100%;height:auto;image-rendering:pixelated}td,th{padding:.1rem .6rem;text-align:left}</style>"
        f"<h1>stylist demo</h1>{banner}<p>“{html.escape(page['prompt'])}”: {len(look.options)} looks for the demo "
        f"person, each wearing products of the offline demo shop that were purchasable when it was crawled. The "
        f"Buy links point at that shop ({html.escape(page['shop'])}), which ran only while the demo did.</p>{notes}"
        f"<h2>Looks</h2><div class=looks>{''.join(cards)}</div>"
        f"<h2>Spin of option {look.best_first().index(page['favourite']) + 1}, the best match</h2><video src='{rel(spin.mp4)}' controls autoplay loop muted playsinline width=256>"
        f"</video><p><a href='{rel(spin.gif)}' download>GIF</a> · {spin.frames} frames at {spin.fps} fps "
        f"({spin.backend})</p>"
        f"<h2>Fashion CLIP, held-out text→image retrieval</h2><table><tr><th></th><th>R@1</th><th>R@5</th>"
        f"<th>R@10</th><th>MRR</th></tr>{scores}</table>"
        f"<h2>Timings</h2><table>{rows}</table>"
        f"<p>Dataset exported to <code>dataset/</code>; everything the demo stored is in <code>data/</code>. "
        f"<a href='summary.json'>summary.json</a> has these numbers.</p>",
        encoding="utf-8",
    )
    summary = {"preset": page["preset"], "prompt": page["prompt"], "look": look.shown_json(english),
               "spin": spin.to_json(),
               "clip": page["clip"], "identity": page["identity"], "timings": timings}
    summary = _inside(summary, out.resolve())
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return document


def _inside(value: Any, folder: Path) -> Any:
    """`value` (JSON) with every path under `folder` written relative to it, as index.html links them: the demo's
    folder can be moved, zipped or served as it is."""
    if isinstance(value, dict):
        return {key: _inside(item, folder) for key, item in value.items()}
    if isinstance(value, list):
        return [_inside(item, folder) for item in value]
    if isinstance(value, str) and value.startswith(f"{folder}/"):
        return Path(value).relative_to(folder).as_posix()
    return value


def _price(product: dict) -> str:
    return html.escape(money(product.get("price"), product.get("currency"), Locale.parse(DEFAULT_LOCALE)))
