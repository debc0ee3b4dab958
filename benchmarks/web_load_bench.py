"""Web load benchmark: concurrent clients polling their jobs and browsing the catalog, against `stylist serve`.

    .venv/bin/python benchmarks/web_load_bench.py --out benchmarks/results/web-load-<machine>.json

The server is the real one (`stylist serve`, waitress, the SQLite queue) in its own process on 127.0.0.1,
over a data dir holding a crawled offline shop and a user per client group, each with a queued training
job (no worker runs, so the jobs stay queued and only the web layer is measured). The clients run in this
process, on the same cores as the server. Each client loops:
six of ten requests poll its user's job with its bearer token, three browse the catalog (half of them with
a search word), one asks for health. The result is latency percentiles per kind of request, throughput and
errors (any answer but 200, or no answer), with the machine that gave them.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalog_bench import machine  # the same machine description as the other benchmarks

ROOT = Path(__file__).resolve().parents[1]


def crawl_demo_shop(data: Path, products: int, database: str | None = None) -> None:
    from stylist.catalog.crawl import CrawlOptions, crawl_shops
    from stylist.catalog.images import ImageStore
    from stylist.catalog.store import CatalogStore
    from stylist.demo.shop import DemoShop, serve
    from stylist.settings import Settings

    with serve(DemoShop(n_products=products, seed=0, traps=False)) as url, \
            CatalogStore(Settings(data_dir=data, database=database)) as store:
        report = asyncio.run(crawl_shops([url], store, ImageStore(data / "images"), CrawlOptions(delay=0.0, concurrency=8)))[0]
    if not report.complete:
        raise SystemExit(f"the demo crawl did not complete: {report.reason}")


def photos() -> list[tuple[str, bytes]]:
    """Three photos of one face (scikit-image's astronaut), varied enough not to be near-duplicates."""
    from skimage import data

    astronaut = Image.fromarray(data.astronaut())
    made = []
    for number, box in enumerate([(0, 0, 480, 480), (100, 0, 420, 400), (20, 0, 512, 460)]):
        image = astronaut.crop(box)
        if number == 2:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        buffer = io.BytesIO()
        image.resize((max(image.width, 400), max(image.height, 400))).save(buffer, format="JPEG", quality=90)
        made.append((f"{number}.jpg", buffer.getvalue()))
    return made


def start_server(data: Path, database: str | None = None) -> tuple[subprocess.Popen, str]:
    # The database goes by the environment, never the command line, where `ps` would show its password.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
           "STYLIST_DATABASE": database or ""}
    server = subprocess.Popen([sys.executable, "-m", "stylist", "--data-dir", str(data), "--preset", "tiny",
                               "serve", "--port", "0", "--no-worker"], env=env, stderr=subprocess.PIPE, text=True)
    line = server.stderr.readline()
    found = re.search(r"serving on (http://\S+)", line)
    if not found:
        server.kill()
        raise SystemExit(f"the server did not start: {line}{server.stderr.read()}")
    # Keep reading its log, or a full pipe would stall the server under load.
    threading.Thread(target=server.stderr.read, daemon=True).start()
    return server, found.group(1)


def sign_up(url: str, count: int) -> tuple[list[dict], list[str]]:
    """`count` users signed up through the API, each with a queued training job (no worker runs it), and the
    words of the catalog's titles to search for."""
    users = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for number in range(count):
            made = http.post("/api/users", data={"name": f"load {number}", "consent": "true"},
                             files=[("photos", (name, content, "image/jpeg")) for name, content in photos()])
            made.raise_for_status()
            headers = {"Authorization": f"Bearer {made.json()['token']}"}
            job = http.post(f"/api/users/{made.json()['id']}/train", headers=headers)
            job.raise_for_status()
            users.append({"headers": headers, "job_id": job.json()["job_id"]})
        products = http.get("/api/catalog?limit=200").json()["products"]
    return users, sorted({word.lower() for product in products for word in product["title"].split()})


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"requests": 0, "p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 2)

    return {"requests": len(ordered), "p50_ms": at(0.50), "p90_ms": at(0.90), "p99_ms": at(0.99),
            "max_ms": round(1000 * ordered[-1], 2)}


async def client(http: httpx.AsyncClient, user: dict, words: list[str], until: float, seed: int,
                 latencies: dict[str, list[float]], errors: list[str]) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until:
        draw = rng.random()
        if draw < 0.6:
            kind, request = "job", http.get(f"/api/jobs/{user['job_id']}", headers=user["headers"])
        elif draw < 0.9:
            query = f"&q={rng.choice(words)}" if rng.random() < 0.5 else ""
            kind, request = "catalog", http.get(f"/api/catalog?limit=24{query}")
        else:
            kind, request = "health", http.get("/api/health")
        started = time.perf_counter()
        try:
            answer = await request
            if answer.status_code != 200:
                errors.append(f"{kind}: {answer.status_code} {answer.text[:100]}")
        except httpx.HTTPError as exc:
            errors.append(f"{kind}: {type(exc).__name__} {exc}")
        latencies[kind].append(time.perf_counter() - started)


async def load(url: str, users: list[dict], words: list[str], clients: int, seconds: float) -> dict:
    latencies: dict[str, list[float]] = {"job": [], "catalog": [], "health": []}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(client(http, users[n % len(users)], words, until, n, latencies, errors)
                               for n in range(clients)))
        elapsed = time.monotonic() - started
    every = [value for values in latencies.values() for value in values]
    return {
        "seconds": round(elapsed, 2), "requests": len(every), "requests_per_second": round(len(every) / elapsed, 1),
        "errors": len(errors), "error_examples": errors[:5], "all": percentiles(every),
        **{kind: percentiles(values) for kind, values in latencies.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--products", type=int, default=48)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        crawl_demo_shop(data, args.products)
        server, url = start_server(data)
        try:
            users, words = sign_up(url, args.users)
            # Other work on the machine (the client itself included) shares its cores: record how busy it was.
            load_before = os.getloadavg()[0]
            result = asyncio.run(load(url, users, words, args.clients, args.seconds))
            load_after = os.getloadavg()[0]
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    report = {
        "benchmark": "web_load", "machine": machine(),
        "setup": {"clients": args.clients, "seconds": args.seconds, "products": args.products, "users": args.users,
                  "server": "stylist serve (waitress, 8 threads, SQLite queue, no worker) on 127.0.0.1",
                  "mix": "60% GET /api/jobs/<id> with a bearer token, 30% GET /api/catalog?limit=24 (half with q=), "
                         "10% GET /api/health"},
        "load_average_1min": {"before": round(load_before, 2), "after": round(load_after, 2)},
        "result": result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
