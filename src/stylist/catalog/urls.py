"""Which URLs a crawl visits: canonical forms, scope within the shop's host, links out of HTML."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from parsel import Selector
from w3lib.url import canonicalize_url, url_query_cleaner

# Query parameters that only track the visitor: two URLs differing in them are the same page.
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
    "gclid", "fbclid", "msclkid", "mc_cid", "mc_eid", "_ga", "ref", "ref_", "srsltid",
)
NOT_PAGES = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".ico", ".css", ".js", ".pdf", ".zip",
    ".mp4", ".webm", ".mp3", ".woff", ".woff2", ".ttf", ".xml.gz",
)


def canonical(url: str) -> str:
    """One spelling per page: no fragment, no tracking parameters, sorted query, normalised escapes."""
    return canonicalize_url(url_query_cleaner(url, TRACKING_PARAMS, remove=True, keep_fragments=False))


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def in_scope(url: str, host: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
        return False
    return not parts.path.lower().endswith(NOT_PAGES)


def page_links(html: str, base_url: str) -> list[str]:
    """Absolute URLs of the page's <a href> links, honouring <base href>."""
    selector = Selector(text=html)
    base = selector.css("base::attr(href)").get()
    base_url = urljoin(base_url, base) if base else base_url
    links = []
    for href in selector.css("a::attr(href)").getall():
        href = href.strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        links.append(urljoin(base_url, href))
    return links
