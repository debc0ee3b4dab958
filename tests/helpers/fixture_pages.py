"""Shop pages from tests/fixtures as the crawler would have fetched them."""

from __future__ import annotations

from pathlib import Path

from stylist.catalog.products import Page

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
LVR_DRESS = "https://www.luisaviaroma.com/en-it/p/dolce-gabbana/women/dresses/70I-B41020"


def fixture(name: str, url: str, content_type: str = "text/html") -> Page:
    """tests/fixtures/pages/`name`, as fetched from `url`."""
    return Page(url=url, status=200, content_type=content_type, text=(PAGES / name).read_text())
