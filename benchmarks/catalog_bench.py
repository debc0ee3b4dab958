"""Catalog benchmark: crawl throughput, image normalisation speed, catalog size on disk.

    .venv/bin/python benchmarks/catalog_bench.py --out benchmarks/results/catalog-<machine>.json

Crawl throughput is measured on the offline demo shop (no traps) served on 127.0.0.1 by its own process
(so the shop's work does not share the crawler's interpreter), answering after `--latency` seconds as a
real shop's server does, at delay 0 with the default concurrency and, as the baseline in the same run,
at concurrency 1. Both crawls use fresh data directories, so every image is downloaded and normalised.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from stylist.catalog.crawl import CrawlOptions, ShopCrawl
from stylist.catalog.images import ImageStore
from stylist.catalog.store import CatalogStore
from stylist.demo.catalogue import make_catalogue
from stylist.demo.drawing import render_image


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "hostname": socket.gethostname(), "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory, 1),
        "python": platform.python_version(), "platform": platform.platform(), "gpu": None,
    }


def folder_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def crawl_once(base_url: str, concurrency: int, max_images: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        store = CatalogStore(data / "catalog.db", data / "images")
        options = CrawlOptions(delay=0.0, concurrency=concurrency, max_images=max_images)
        start = time.perf_counter()
        report = asyncio.run(ShopCrawl(base_url, store, ImageStore(data / "images"), options).run())
        seconds = time.perf_counter() - start
        products = report.new + report.updated + report.unchanged
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db_bytes = (data / "catalog.db").stat().st_size
        image_bytes = folder_bytes(data / "images")
        store.close()
    assert report.complete, report.reason
    return {
        "concurrency": concurrency, "seconds": round(seconds, 2), "pages": report.pages, "products": products,
        "images": report.images, "products_per_second": round(products / seconds, 2),
        "pages_per_second": round(report.pages / seconds, 2),
        "db_bytes_per_1000_products": round(db_bytes / products * 1000),
        "image_bytes_per_1000_products": round(image_bytes / products * 1000),
    }


def normalise_images(count: int) -> dict:
    """Validate, orient, store and normalise `count` shop-like images (JPEG/PNG, 0.4–1.2 MP)."""
    catalogue = make_catalogue(max(1, count // 3), seed=1)
    specs = [(product, spec) for product in catalogue for spec in product.images if spec.valid][:count]
    sources = [render_image(product, spec) for product, spec in specs]
    megapixels = sum(spec.width * spec.height for _, spec in specs) / len(specs) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        store = ImageStore(Path(tmp))
        start = time.perf_counter()
        for data in sources:
            store.put(data)
        seconds = time.perf_counter() - start
    return {"images": len(sources), "mean_megapixels": round(megapixels, 2), "seconds": round(seconds, 2),
            "images_per_second": round(len(sources) / seconds, 2)}


@contextlib.contextmanager
def shop_process(products: int, latency: float) -> Iterator[str]:
    command = [sys.executable, "-m", "stylist", "demo", "shop", "--port", "0", "--products", str(products),
               "--no-traps", "--latency", str(latency)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        yield process.stdout.readline().split()[0]
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-images", type=int, default=2, help="images per product in the crawls")
    parser.add_argument("--latency", type=float, default=0.05, help="the shop's seconds before each answer")
    parser.add_argument("--normalise", type=int, default=300, help="images in the normalisation benchmark")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    results = {"benchmark": "catalog", "machine": machine(), "settings": vars(args) | {"out": str(args.out)}}
    with shop_process(args.products, args.latency) as base_url:
        for concurrency in (args.concurrency, 1):
            print(f"crawling {args.products} products at concurrency {concurrency} ...", file=sys.stderr)
            results[f"crawl_concurrency_{concurrency}"] = crawl_once(base_url, concurrency, args.max_images)
    fast, slow = results[f"crawl_concurrency_{args.concurrency}"], results["crawl_concurrency_1"]
    results["crawl_speedup"] = round(fast["products_per_second"] / slow["products_per_second"], 2)
    print("normalising images ...", file=sys.stderr)
    results["normalise"] = normalise_images(args.normalise)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
