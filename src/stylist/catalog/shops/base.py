"""The interface every shop adapter implements: it only extracts; fetching and storing live elsewhere."""

from __future__ import annotations

from typing import ClassVar

from stylist.catalog.products import Extraction, Page


class Adapter:
    """Reads products out of fetched pages of one shop.

    The crawler owns fetching, politeness and link discovery. An adapter says where to start (`seeds`),
    whether the crawler should also walk HTML links and sitemaps, and what a page contains (`extract`).
    One instance serves one crawl of one shop, so it may remember shop-wide facts (a currency) between
    pages.
    """

    name: ClassVar[str] = ""
    follow_html_links: ClassVar[bool] = True  # walk <a href> links and sitemaps within the host
    use_sitemaps: ClassVar[bool] = True

    def seeds(self, root_url: str) -> list[str]:
        """URLs to fetch first, in order, besides the root URL itself."""
        return []

    def extract(self, page: Page) -> Extraction:
        raise NotImplementedError
