"""Refresh benchmark: what a refresh costs against a full crawl, for an unchanged shop and a changed one.

    .venv/bin/python benchmarks/catalog_refresh_bench.py --out benchmarks/results/catalog-refresh-<machine>.json

One run, one data directory, on the offline demo shop (no traps) served by its own process and
answering after `--latency` seconds: a full crawl of `--products` products; a refresh of the unchanged
shop; then `--changed` of its products change (a third gone, a third sold out, a third repriced, and as
many new ones as went) and a second refresh. For each: seconds, requests and bytes as the crawler
counted them (pages and images, headers included), the requests the shop answered and how many carried
validators or were answered 304, and whether the catalog then holds exactly the shop's purchasable
products. Crawls run at delay 0 with the default concurrency, images normalised in a process pool.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from catalog_bench import machine

from stylist.catalog.crawl import CrawlOptions, ShopCrawl
from stylist.catalog.images import ImageStore
from stylist.catalog.store import CatalogStore
from stylist.demo.catalogue import Product, make_catalogue
from stylist.demo.shop import DemoShop, serve
from stylist.files import recorded_path
from stylist.settings import Settings

CHANGED_ON = "2024-05-03"


def changed_catalogue(products: list[Product], share: float, seed: int) -> list[Product]:
    """`share` of the products changed: a third gone, a third sold out, a third repriced; as many new as gone."""
    rng = random.Random(f"refresh-bench:{seed}")
    picked = rng.sample(products, max(3, round(len(products) * share)))
    third = len(picked) // 3
    gone = {p.sku for p in picked[:third]}
    sold_out = {p.sku for p in picked[third : 2 * third]}
    repriced = {p.sku for p in picked[2 * third :]}
    changed = []
    for p in products:
        if p.sku in sold_out:
            p = replace(p, in_stock=(False,) * len(p.sizes), updated=CHANGED_ON)
        elif p.sku in repriced:
            p = replace(p, price=float(round(p.price * 0.8 / 5) * 5), updated=CHANGED_ON)
        if p.sku not in gone:
            changed.append(p)
    new = make_catalogue(len(products) + len(gone), seed)[len(products) :]
    return changed + [replace(p, updated=CHANGED_ON) for p in new]


def shop_process(products: int, latency: float, changed: float, commands) -> None:
    """Serve the demo shop and answer the benchmark's commands: its URL, change it, summarise its log."""
    shop = DemoShop(n_products=products, seed=0, traps=False)
    shop.latency = latency
    with serve(shop) as base_url:
        commands.send(base_url)
        while (command := commands.recv()) != "stop":
            if command == "change":
                shop.day = shop.add_day(changed_catalogue(shop.products(1), changed, seed=0))
                shop.requests.clear()
                commands.send(None)
            elif command == "purchasable":
                commands.send(sorted(sku for sku, want in shop.expected().items() if want.available))
            elif command == "log":
                answered = list(shop.requests)
                shop.requests.clear()
                pages = [r for r in answered if r.host == base_url.split("://", 1)[1]]
                commands.send({
                    "requests": len(answered), "page_requests": len(pages),
                    "page_requests_with_validators": sum(bool(r.if_none_match or r.if_modified_since) for r in pages),
                    "answered_304": sum(r.status == 304 for r in answered),
                    "image_requests": len(answered) - len(pages),
                    "body_bytes_sent": sum(r.size for r in answered),
                    "page_body_bytes_sent": sum(r.size for r in pages),
                })


def crawl(base_url: str, data: Path, options: CrawlOptions) -> tuple[dict, set[str]]:
    store = CatalogStore(Settings(data_dir=data))
    start = time.perf_counter()
    report = asyncio.run(ShopCrawl(base_url, store, ImageStore(data / "images"), options).run())
    seconds = time.perf_counter() - start
    purchasable = {p.sku for p in store.products()}
    store.close()
    result = {
        "complete": report.complete, "seconds": round(seconds, 2), "requests": report.requests,
        "bytes_fetched": report.bytes_fetched, "pages": report.pages, "unchanged_pages": report.unchanged_pages,
        "products_new": report.new, "products_updated": report.updated, "products_unchanged": report.unchanged,
        "products_now_unavailable": report.unavailable, "images_stored": report.images,
    }
    return result, purchasable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--changed", type=float, default=0.05, help="share of the products changed before the second refresh")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-images", type=int, default=2, help="images per product")
    parser.add_argument("--latency", type=float, default=0.05, help="the shop's seconds before each answer")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    results = {"benchmark": "catalog_refresh", "machine": machine(),
               "settings": vars(args) | {"out": recorded_path(args.out)}}
    options = CrawlOptions(delay=0.0, concurrency=args.concurrency, image_concurrency=args.concurrency,
                           max_images=args.max_images)
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    shop = multiprocessing.get_context("spawn").Process(
        target=shop_process, args=(args.products, args.latency, args.changed, theirs), daemon=True)
    shop.start()
    try:
        base_url = ours.recv()
        with tempfile.TemporaryDirectory() as tmp:
            for name, change in (("full_crawl", False), ("refresh_unchanged", False), ("refresh_changed", True)):
                if change:
                    ours.send("change")
                    ours.recv()
                print(f"{name.replace('_', ' ')} of {args.products} products ...", file=sys.stderr)
                result, purchasable = crawl(base_url, Path(tmp), options)
                ours.send("log")
                result["shop"] = ours.recv()
                ours.send("purchasable")
                result["catalog_matches_the_shop"] = purchasable == set(ours.recv())
                results[name] = result
        ours.send("stop")
    finally:
        shop.join(timeout=10)
        if shop.is_alive():
            shop.terminate()
    full = results["full_crawl"]
    for name in ("refresh_unchanged", "refresh_changed"):
        results[name]["share_of_full_crawl"] = {
            key: round(results[name][key] / full[key], 4) for key in ("bytes_fetched", "requests", "seconds")
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
