"""Catalog benchmark: crawl throughput, image normalisation speed, catalog size, failing image CDNs.

    .venv/bin/python benchmarks/catalog_bench.py --out benchmarks/results/catalog-<machine>.json

Crawl throughput is measured on the offline demo shop (no traps) served on 127.0.0.1 by its own process
(so the shop's work does not share the crawler's interpreter), answering after `--latency` seconds as a
real shop's server does, at delay 0 with the default concurrency (images normalised in a process pool)
and, as the baseline in the same run, serially (concurrency 1, images normalised in the crawl's own
process). Both crawls use fresh data directories, so every image is downloaded and normalised; each
reports where its time went (fetch, parse, images, store; overlapping wall time).

Image failures are measured on a small shop whose images live on a CDN that refuses connections, and on
one that accepts them and never answers: how long the crawl takes and what it stores.
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
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from stylist.catalog.crawl import CrawlOptions, ShopCrawl
from stylist.catalog.images import ImageStore
from stylist.catalog.store import CatalogStore
from stylist.demo.catalogue import make_catalogue
from stylist.demo.drawing import render_image
from stylist.files import recorded_path
from stylist.settings import Settings


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
        # the cores may be shared: a load above the core count means other work took some of them
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    }


def folder_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def crawl_once(base_url: str, concurrency: int, max_images: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        store = CatalogStore(Settings(data_dir=data))
        options = CrawlOptions(delay=0.0, concurrency=concurrency, image_concurrency=concurrency,
                               max_images=max_images, image_workers=concurrency > 1)
        start = time.perf_counter()
        report = asyncio.run(ShopCrawl(base_url, store, ImageStore(data / "images"), options).run())
        seconds = time.perf_counter() - start
        products = report.new + report.updated + report.unchanged
        with store.engine.connect() as connection:  # the write-ahead log folded in, so the file is the catalog
            connection.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
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
        "profile_seconds": {stage: round(seconds, 2) for stage, seconds in report.profile.items()},
        "profile_ms_per_product": {stage: round(seconds / products * 1000, 1)
                                   for stage, seconds in report.profile.items()},
    }


class TinyShop(ThreadingHTTPServer):
    """`products` product pages whose images all live on `cdn` (a base URL)."""

    def __init__(self, products: int, cdn: str):
        self.pages = {"/": "".join(f'<a href="/p/{n}">{n}</a>' for n in range(products))}
        for n in range(products):
            doc = {"@context": "https://schema.org", "@type": "Product", "name": f"Coat {n}", "sku": f"C-{n}",
                   "image": [f"{cdn}/{n}-{k}.jpg" for k in range(2)],
                   "offers": {"price": 100 + n, "priceCurrency": "EUR", "availability": "InStock"}}
            self.pages[f"/p/{n}"] = f'<script type="application/ld+json">{json.dumps(doc)}</script><h1>Coat {n}</h1>'
        super().__init__(("127.0.0.1", 0), TinyShopHandler)


class TinyShopHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        page = self.server.pages.get(self.path)
        body = (page or "not found").encode()
        self.send_response(200 if page else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8" if page else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def crawl_with_failing_cdn(kind: str, products: int) -> dict:
    """A crawl whose every image is on a CDN that refuses connections ("unreachable") or never answers."""
    cdn_socket = socket.socket()
    cdn_socket.bind(("127.0.0.1", 0))
    if kind == "never_answers":
        cdn_socket.listen(1024)  # connections are accepted into the backlog and never answered
    cdn = f"http://127.0.0.1:{cdn_socket.getsockname()[1]}"
    if kind == "unreachable":
        cdn_socket.close()  # nothing listens there any more: connections are refused
    shop = TinyShop(products, cdn)
    threading.Thread(target=shop.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            store = CatalogStore(Settings(data_dir=data))
            options = CrawlOptions(delay=0.0, image_workers=False)
            start = time.perf_counter()
            base = f"http://127.0.0.1:{shop.server_address[1]}"
            report = asyncio.run(ShopCrawl(base, store, ImageStore(data / "images"), options).run())
            seconds = time.perf_counter() - start
            stored = len(list(store.products(include_unavailable=True)))
            store.close()
    finally:
        shop.shutdown()
        cdn_socket.close()
    return {
        "cdn": kind, "products_on_shop": products, "products_stored": stored, "seconds": round(seconds, 2),
        "image_requests_failed": report.images_rejected, "image_requests_skipped": report.images_skipped,
        "hosts_given_up": len(report.image_hosts_down), "image_timeout_s": options.image_timeout,
        "image_retries": options.image_retries, "complete": report.complete,
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
    parser.add_argument("--failing-cdn-products", type=int, default=200,
                        help="products of the shop whose image CDN fails")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    results = {"benchmark": "catalog", "machine": machine(), "settings": vars(args) | {"out": recorded_path(args.out)}}
    with shop_process(args.products, args.latency) as base_url:
        for concurrency in (args.concurrency, 1):
            print(f"crawling {args.products} products at concurrency {concurrency}"
                  f"{' with a normalising pool' if concurrency > 1 else ', serially'} ...", file=sys.stderr)
            results[f"crawl_concurrency_{concurrency}"] = crawl_once(base_url, concurrency, args.max_images)
    fast, slow = results[f"crawl_concurrency_{args.concurrency}"], results["crawl_concurrency_1"]
    results["crawl_speedup"] = round(fast["products_per_second"] / slow["products_per_second"], 2)
    print("normalising images ...", file=sys.stderr)
    results["normalise"] = normalise_images(args.normalise)
    for kind in ("unreachable", "never_answers"):
        print(f"crawling a shop whose image CDN is {kind.replace('_', ' ')} ...", file=sys.stderr)
        results[f"failing_cdn_{kind}"] = crawl_with_failing_cdn(kind, args.failing_cdn_products)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
