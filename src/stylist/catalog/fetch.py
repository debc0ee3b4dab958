"""Polite HTTP for the crawler: one client, a per-host delay, retries with backoff, Retry-After honoured.

Politeness is configuration here rather than code in each adapter (as Scrapy's downloader does it):
every request of a crawl, pages and images alike, goes through `Fetcher.get`.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from stylist import __version__

ROBOTS_TOKEN = "stylist-catalog"  # the name robots.txt rules address us by


def user_agent() -> str:
    """Who we are, honestly; operators add a way to reach them with STYLIST_CRAWLER_CONTACT (a URL or e-mail)."""
    contact = os.environ.get("STYLIST_CRAWLER_CONTACT", "").strip()
    about = f"+{contact}; " if contact else ""
    return f"{ROBOTS_TOKEN}/{__version__} ({about}fashion catalogue crawler; obeys robots.txt)"


RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
MAX_RETRY_AFTER = 120.0  # seconds; a shop asking for longer is treated as down for this crawl


@dataclass
class Response:
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        return httpx.Response(self.status, headers=self.headers, content=self.content).text


class TransientError(Exception):
    """A failure worth retrying that is not httpx's own (a browser tab that timed out)."""


class FetchFailed(Exception):
    """No definite answer after every retry: a network error, a timeout, or 429/5xx throughout."""


class HostGate:
    """Spaces requests to one host by `delay` seconds; a Retry-After pauses the whole host."""

    def __init__(self, delay: float):
        self.delay = delay
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, host: str) -> None:
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            pause = self._next.get(host, 0.0) - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            self._next[host] = time.monotonic() + self.delay

    def pause(self, host: str, seconds: float) -> None:
        self._next[host] = max(self._next.get(host, 0.0), time.monotonic() + seconds)


class Fetcher:
    def __init__(
        self,
        *,
        concurrency: int = 8,
        delay: float = 0.5,
        retries: int = 3,
        timeout: float = 20.0,
        backoff: float = 0.5,
        max_bytes: int = 25 * 1024 * 1024,
        renderer=None,
        gate: HostGate | None = None,
    ):
        self.renderer = renderer  # a render.Renderer when pages must be fetched through Chromium
        self.retries = retries
        self.backoff = backoff
        self.max_bytes = max_bytes
        self.gate = gate or HostGate(delay)  # fetchers of one crawl share a gate: one delay per host
        self.slots = asyncio.Semaphore(concurrency)
        self.client = httpx.AsyncClient(
            headers={"User-Agent": user_agent(), "Accept-Language": "en"},
            timeout=timeout,
            follow_redirects=True,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self.requests = 0
        self.bytes_received = 0  # status lines, headers and bodies as they came over the wire

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(self, url: str, *, accept: str = "*/*", render: bool = False,
                  headers: Mapping[str, str] | None = None) -> Response:
        """GET with retries. Any definite answer (2xx, 3xx, 4xx) is returned; FetchFailed otherwise.

        `headers` are sent with the request, such as If-None-Match for a conditional one (a 304 is an
        answer like any other); a rendered page cannot carry them.
        """
        host = urlsplit(url).netloc
        last_problem = ""
        for attempt in range(self.retries + 1):
            await self.gate.wait(host)
            try:
                async with self.slots:
                    self.requests += 1
                    if render and self.renderer is not None:
                        response = await self._render(url)
                    else:
                        response = await self._download(url, {"Accept": accept, **(headers or {})})
            except (httpx.TimeoutException, httpx.TransportError, TransientError) as exc:
                last_problem = f"{type(exc).__name__}"
                wait = self._backoff(attempt)
            else:
                if response.status not in RETRY_STATUSES:
                    return response
                last_problem = f"HTTP {response.status}"
                wait = retry_after(response.headers.get("retry-after"))
                if wait is None:
                    wait = self._backoff(attempt)
                elif wait > MAX_RETRY_AFTER:
                    break
                self.gate.pause(host, wait)
            if attempt < self.retries:
                await asyncio.sleep(wait)
        raise FetchFailed(f"{url}: {last_problem} after {self.retries + 1} attempts")

    async def _download(self, url: str, headers: dict[str, str]) -> Response:
        async with self.client.stream("GET", url, headers=headers) as response:
            chunks, size = [], 0
            try:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        # Too large to be a page or an image we want: a definite answer, not a retry.
                        return Response(str(response.url), 413, response.headers, b"")
                    chunks.append(chunk)
            finally:
                self.bytes_received += _head_bytes(response) + response.num_bytes_downloaded
            return Response(str(response.url), response.status_code, response.headers, b"".join(chunks))

    async def _render(self, url: str) -> Response:
        final_url, status, html = await self.renderer.render(url)
        headers = httpx.Headers({"content-type": "text/html; charset=utf-8"})
        content = html.encode("utf-8")
        self.bytes_received += len(content)  # the page's own HTML; what the browser loaded besides is not counted
        return Response(final_url, status, headers, content)

    def _backoff(self, attempt: int) -> float:
        return self.backoff * (2**attempt) * (0.75 + random.random() / 2)


def _head_bytes(response: httpx.Response) -> int:
    """The size of the status line and headers as sent: a 304 is little else, and must not count as free."""
    status_line = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n")
    return status_line + sum(len(name) + len(value) + 4 for name, value in response.headers.raw) + 2


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header, given either as seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
