"""Images from CDNs that fail: failures remembered, a host that stops answering is no longer asked."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest

from stylist.catalog.fetch import Fetcher
from stylist.catalog.image_fetch import ImageFetcher
from stylist.catalog.images import ImageStore
from tests.helpers.images import image_bytes
from tests.helpers.scripted_server import ScriptedServer


def fetch_all(images: ImageFetcher, *batches: list[str]) -> list:
    """Each batch fetched at once (products arriving together), one batch after another, in one crawl."""
    async def run() -> list:
        found = []
        try:
            for urls in batches:
                found += await asyncio.gather(*(images.get(url) for url in urls))
        finally:
            await images.aclose()
        return found
    return asyncio.run(run())


def image_fetcher(tmp_path: Path, timeout: float = 5.0, workers: bool = False) -> ImageFetcher:
    fetcher = Fetcher(concurrency=4, delay=0.0, retries=0, timeout=timeout, backoff=0.0)
    return ImageFetcher(ImageStore(tmp_path / "images"), fetcher, workers=workers, breaker_failures=3)


def test_a_failed_url_shared_by_products_is_asked_once(tmp_path: Path) -> None:
    server = ScriptedServer({"/ok.jpg": [(200, {"Content-Type": "image/jpeg"}, image_bytes())],
                             "/bad.jpg": [(404, {}, b"")]})
    with server.serve() as base:
        images = image_fetcher(tmp_path)
        found = fetch_all(images, [f"{base}/bad.jpg", f"{base}/ok.jpg", f"{base}/bad.jpg", f"{base}/ok.jpg"],
                          [f"{base}/bad.jpg"])
    assert [image is not None for image in found] == [False, True, False, True, False]
    assert (len(server.hits("/bad.jpg")), len(server.hits("/ok.jpg"))) == (1, 1)
    assert (images.outcome.stored, images.outcome.failed, images.outcome.skipped) == (1, 1, 1)
    assert images.outcome.broken_hosts == []  # a 404 is the URL's fault, not the host's


def test_a_host_that_keeps_failing_is_no_longer_asked(tmp_path: Path) -> None:
    server = ScriptedServer({f"/{n}.jpg": [(503, {}, b"")] for n in range(10)})
    with server.serve() as base:
        images = image_fetcher(tmp_path)
        fetch_all(images, *([f"{base}/{n}.jpg"] for n in range(10)))
    assert sum(len(server.hits(f"/{n}.jpg")) for n in range(10)) == 3
    assert images.outcome.skipped == 7 and images.outcome.broken_hosts == [base.removeprefix("http://")]


@pytest.mark.serial  # a wall-clock limit
def test_a_host_that_never_answers_costs_one_timeout_per_slot(tmp_path: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # accepts connections and never answers
    base = f"http://127.0.0.1:{silent.getsockname()[1]}"
    try:
        images = image_fetcher(tmp_path, timeout=0.5)
        start = time.monotonic()
        found = fetch_all(images, [f"{base}/{n}.jpg" for n in range(4)], [f"{base}/{n}.jpg" for n in range(4, 40)])
        seconds = time.monotonic() - start
    finally:
        silent.close()
    assert found == [None] * 40
    assert seconds < 3.0 and images.outcome.skipped == 36


def test_normalising_in_worker_processes(tmp_path: Path) -> None:
    server = ScriptedServer({f"/{n}.jpg": [(200, {"Content-Type": "image/jpeg"}, image_bytes(color=(n * 40, 9, 9)))]
                             for n in range(4)})
    with server.serve() as base:
        found = fetch_all(image_fetcher(tmp_path, workers=True), [f"{base}/{n}.jpg" for n in range(4)])
    assert all(image is not None and image.normalised.exists() for image in found)
    assert len({image.sha256 for image in found}) == 4
