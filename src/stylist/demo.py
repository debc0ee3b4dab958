"""`stylist demo`: the main job end to end, offline. Today: the catalog part (shop → crawl → dataset).

Later stages (CLIP, identity, looks, video) join here as they land; the page it writes grows with them.
"""

from __future__ import annotations

import asyncio
import html
import shutil
import time
from pathlib import Path

import click

from stylist.catalog.crawl import CrawlOptions, crawl_shops
from stylist.catalog.demo_shop import DemoShop, serve
from stylist.catalog.export import export_dataset, product_text
from stylist.catalog.images import ImageStore
from stylist.catalog.store import CatalogStore
from stylist.errors import StylistError
from stylist.progress import progress_bar, wants_progress


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="demo-out", show_default=True,
              help="Where the demo writes its data, dataset and index.html.")
@click.option("--products", type=click.IntRange(min=4, max=2000), default=48, show_default=True,
              help="Size of the offline demo shop.")
def demo(out_dir: str, products: int) -> None:
    """Run the main job end to end on an offline demo shop and write OUT/index.html."""
    out = Path(out_dir).resolve()
    # The demo keeps its own catalog, so a throw-away 127.0.0.1 shop never enters the user's `refresh`.
    data_dir = out / "data"
    _reset_demo_data(data_dir)
    timings: dict[str, float] = {}
    shop = DemoShop(n_products=products, seed=0, traps=False)
    with serve(shop) as base_url, CatalogStore(data_dir / "catalog.db", data_dir / "images") as store:
        start = time.perf_counter()
        with progress_bar(wants_progress(), desc="crawl demo shop", unit="page") as bar:
            def on_progress(done: int, known: int, found: int) -> None:
                bar.total, bar.n = known, done
                bar.refresh()

            options = CrawlOptions(delay=0.0, concurrency=8)
            report = asyncio.run(crawl_shops([base_url], store, ImageStore(data_dir / "images"), options, on_progress))[0]
        timings["crawl"] = time.perf_counter() - start
        click.echo(report.summary())
        if not report.complete:
            raise StylistError(f"the demo crawl did not complete: {report.reason}")
        start = time.perf_counter()
        exported = export_dataset(store, out / "dataset")
        timings["export"] = time.perf_counter() - start
        click.echo(exported.summary())
        page = write_index(out, store, timings)
    click.echo(f"demo written to {page}")
    click.echo(f"dataset: {exported.out_dir} (metadata.jsonl + one folder per product)")


def _reset_demo_data(data_dir: Path) -> None:
    """Start from an empty catalog: an earlier demo's shop ran on another port and would show twice."""
    if not data_dir.exists():
        return
    if any(data_dir.iterdir()) and not (data_dir / "catalog.db").exists():
        raise StylistError(f"{data_dir} exists and is not a stylist demo's data; choose another --out")
    shutil.rmtree(data_dir)


def write_index(out: Path, store: CatalogStore, timings: dict[str, float]) -> Path:
    """A static page listing the crawled products with their normalised images and buy links."""
    cards = []
    for product in store.products():
        image = product.images[0].relative_to(out).as_posix() if product.images else ""
        price = f"{product.price:.2f} {product.currency}" if product.price is not None else ""
        cards.append(
            f'<li><img src="{html.escape(image)}" alt="" width="160" height="160">'
            f"<b>{html.escape(product_text(product))}</b><span>{html.escape(price)}</span>"
            f'<a href="{html.escape(product.url)}">Buy</a></li>'
        )
    rows = "".join(f"<tr><td>{html.escape(stage)}</td><td>{seconds:.2f} s</td></tr>" for stage, seconds in timings.items())
    page = out / "index.html"
    page.write_text(
        "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>"
        "<title>stylist demo</title><style>body{font-family:system-ui;margin:2rem}ul{display:grid;"
        "grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:1rem;list-style:none;padding:0}"
        "li{display:flex;flex-direction:column;gap:.25rem}img{width:100%;height:auto}</style>"
        "<h1>stylist demo</h1><p>The catalog part of the demo: an offline shop crawled, its purchasable "
        "products stored and exported as an image–text dataset in <code>dataset/</code>.</p>"
        f"<h2>Timings</h2><table>{rows}</table><h2>Purchasable products</h2><ul>{''.join(cards)}</ul>",
        encoding="utf-8",
    )
    return page
