"""`--render`: pages fetched through the system Chromium (Playwright), for shops that build pages in JavaScript."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from stylist.catalog.fetch import TransientError
from stylist.errors import StylistError

# Chromium's own background traffic is refused on closed networks, and it must never fetch updates.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})  # the crawler fetches images itself


def chromium_path() -> str:
    """The browser to drive: STYLIST_CHROMIUM, else Debian's chromium."""
    candidates = [os.environ.get("STYLIST_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise StylistError(
        "--render needs Chromium: install it (apt-get install chromium) or set STYLIST_CHROMIUM to its path"
    )


class Renderer:
    """One headless Chromium for a crawl; each page is loaded in a fresh tab and its DOM returned."""

    def __init__(self, user_agent: str, timeout: float = 30.0):
        self.user_agent = user_agent
        self.timeout_ms = int(timeout * 1000)
        self._playwright = None
        self._browser = None
        self._context = None

    async def __aenter__(self) -> Renderer:
        from playwright.async_api import async_playwright

        executable = chromium_path()
        self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        self._context = await self._browser.new_context(user_agent=self.user_agent, service_workers="block")
        await self._context.route("**/*", self._route)
        return self

    async def __aexit__(self, *exc) -> None:
        if self._browser:
            await self._browser.close()
        if self._playwright:
            await self._playwright.stop()

    @staticmethod
    async def _route(route) -> None:
        if route.request.resource_type in SKIPPED_RESOURCES:
            await route.abort()
        else:
            await route.continue_()

    async def render(self, url: str) -> tuple[str, int, str]:
        """(final URL, HTTP status, rendered HTML) once the page's network has gone quiet."""
        from playwright.async_api import Error as PlaywrightError

        page = await self._context.new_page()
        try:
            try:
                response = await page.goto(url, wait_until="load", timeout=self.timeout_ms)
            except PlaywrightError as exc:
                raise TransientError(str(exc).splitlines()[0]) from exc
            # Pages that keep polling never go idle; what has loaded by now is what we read.
            with contextlib.suppress(PlaywrightError):
                await page.wait_for_load_state("networkidle", timeout=min(self.timeout_ms, 5000))
            status = response.status if response else 0
            return page.url, status, await page.content()
        finally:
            await page.close()
