"""Product images from shops' CDNs: own request slots and limits, failures remembered, failing hosts skipped.

A CDN that hangs must not hold a crawl for hours: images get fewer retries and shorter timeouts than
pages, a URL that failed is not asked again in the same crawl, and a host that keeps failing is not
asked at all for the rest of it (a circuit breaker). Normalising is CPU work and runs in a process pool.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from stylist.catalog.fetch import Fetcher, FetchFailed
from stylist.catalog.images import ImageStore, StoredImage
from stylist.imaging import ImageRejected

ACCEPT = "image/avif,image/webp,image/*;q=0.8"


BREAKER_FAILURES = 5  # unanswered requests in a row after which a host is not asked again in this crawl


@dataclass
class ImageOutcome:
    """What became of the images a crawl asked for, for its report."""

    stored: int = 0  # newly stored files
    failed: int = 0  # no usable answer (network, timeout, 5xx, 4xx, not an image)
    skipped: int = 0  # not asked: the URL failed before, or its host's breaker is open
    broken_hosts: list[str] = field(default_factory=list)


def store_image(root: str, data: bytes) -> StoredImage:
    """Validate, orient and normalise in a worker process (module level so the pool can pickle it)."""
    return ImageStore(Path(root)).put(data)


class ImageFetcher:
    """Fetches and stores images for one crawl; `get` never raises for a bad URL, it returns None.

    `fetcher` is the crawl's fetcher for images (own slots, retries and timeouts). With `workers`, images
    are normalised in a process pool started at the first image, one worker per core.
    """

    def __init__(self, images: ImageStore, fetcher: Fetcher, *, workers: bool = True,
                 breaker_failures: int = BREAKER_FAILURES):
        self.images = images
        self.fetcher = fetcher
        self.workers = workers
        self.breaker_failures = breaker_failures
        self._pool: Executor | None = None
        self.outcome = ImageOutcome()
        self._failed_urls: set[str] = set()
        self._failures_in_a_row: dict[str, int] = {}
        self._in_flight: dict[str, asyncio.Task[StoredImage | None]] = {}

    async def get(self, url: str) -> StoredImage | None:
        if url in self._failed_urls or self._broken(url):
            self.outcome.skipped += 1
            return None
        if url not in self._in_flight:  # products sharing an image wait for one download
            self._in_flight[url] = asyncio.ensure_future(self._fetch(url))
        return await asyncio.shield(self._in_flight[url])

    def _broken(self, url: str) -> bool:
        return self._failures_in_a_row.get(_host(url), 0) >= self.breaker_failures

    async def _fetch(self, url: str) -> StoredImage | None:
        host = _host(url)
        try:
            image = await self._download_and_store(url)
        except FetchFailed:
            # the host did not answer: that counts towards its breaker; a 404 or a bad file does not
            self._failures_in_a_row[host] = self._failures_in_a_row.get(host, 0) + 1
            if self._broken(url) and host not in self.outcome.broken_hosts:
                self.outcome.broken_hosts.append(host)
            image = None
        else:
            self._failures_in_a_row[host] = 0
        finally:
            self._in_flight.pop(url, None)
        if image is None:
            self._failed_urls.add(url)
            self.outcome.failed += 1
        return image

    async def _download_and_store(self, url: str) -> StoredImage | None:
        response = await self.fetcher.get(url, accept=ACCEPT)
        if response.status >= 300:
            return None
        try:
            if not self.workers:
                image = await asyncio.to_thread(self.images.put, response.content)
            else:
                loop = asyncio.get_running_loop()
                image = await loop.run_in_executor(self._workers(), store_image, str(self.images.root),
                                                   response.content)
        except ImageRejected:
            return None
        self.outcome.stored += 1
        return image


    def _workers(self) -> Executor:
        if self._pool is None:
            # spawn, so that workers start clean of the crawl's threads and open sockets
            self._pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1,
                                             mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def aclose(self) -> None:
        await self.fetcher.aclose()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()
